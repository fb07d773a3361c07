"""The platform endpoint: the HTTP server that stands in for the social network in a drill.

The stack acts on posts by calling it (DESIGN.md section 6):
``POST /platform/actions`` with ``{"event_id", "action", "route", "tier", "priority",
"agent", "text"}`` and ``POST /2/tweets`` with the X API v2 shape
``{"text", "reply": {"in_reply_to_tweet_id"}}`` (a reply to that event). Each action is
stamped on arrival with ``at`` = (arrival wall - start wall) * speed, scenario seconds, and
appended to ``actions.jsonl`` at once (flushed; nothing is held only in memory). Actions
naming no known event are kept and counted as unmatched. Bad input never crashes it:
oversized bodies get 413, malformed ones 400/422, a missing or wrong signature 401 (when a
shared secret is set: header ``X-Drill-Signature: sha256=<hex HMAC-SHA256(secret, body)>``);
all are counted by reason, and the first few are kept in ``unmapped.jsonl`` with the reason.
With a target profile (``--profile``), the profile's ``callbacks:`` paths are served beside
these shapes and its ``poll:`` runs here during the drill (``load.inbound``,
``load.poller``); the sender streams captures in (``/_drill/captures``).
A repeated ``Idempotency-Key`` header (a stack re-sending an action whose answer it never got)
is answered 202 and not recorded again: counted as ``duplicates``.

It runs as its own process (``python -m load.platform``: a raw ASGI app on uvicorn with uvloop
and httptools, no gevent) so it keeps up at full volume without sharing a core with the
sender; ``PlatformProcess`` starts it, tells it the run's start time, reads its counters and
stops it.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from simulator.runfolder import ActionLog, read_event_dicts, read_event_ids

__all__ = ["PlatformProcess", "PlatformServer", "SIGNATURE_HEADER", "platform_signature"]

ACTIONS = frozenset({"triage", "reply", "message", "escalate", "close", "ignore"})
ANSWERS = frozenset({"reply", "message"})
MAX_BODY_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Drill-Signature"
CONTROL_HEADER = "X-Drill-Control"
READY_PREFIX = "PLATFORM_READY "
START_TIMEOUT_S = 20.0
BACKLOG = 4096


WHY = {  # what a rejection reason means, kept beside the request in unmapped.jsonl
    "not_found": "no such path (served: /platform/actions, /2/tweets and the profile's "
                 "callbacks)",
    "method": "these paths take POST",
    "oversized": f"the body is over {MAX_BODY_BYTES // 1024} KiB",
    "unauthorized": f"{SIGNATURE_HEADER} is missing or does not match the shared secret",
    "malformed": "the body must be one JSON object",
    "invalid": "/platform/actions needs action (one of " + ", ".join(sorted(ACTIONS)) + ") and "
               "event_id (a string); /2/tweets needs text and reply.in_reply_to_tweet_id",
}


def platform_signature(secret: bytes, body: bytes) -> str:
    """The signature header value a stack must send when the endpoint has a secret."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _load_events(events: Path | None, full: bool) -> frozenset[str] | dict[str, Any]:
    """The storm's event ids; with ``full``, its events by id without labels (for templates)."""
    if events is None or not events.exists():
        return {} if full else frozenset()
    if not full:
        return frozenset(read_event_ids(events))
    out: dict[Any, Any] = {}
    for event in read_event_dicts(events):
        event.pop("labels", None)
        out[event.get("id")] = event
    return out


class PlatformServer:
    """The ASGI app and its counters; one instance per run."""

    def __init__(self, out: Path, speed: float, event_ids: frozenset[str] | dict[str, Any],
                 secret: bytes | None, control_token: str, profile: Any = None) -> None:
        from load.inbound import InboundHub, Trace, UnmappedLog
        from load.templating import Redactor

        self.speed = speed
        self.start_wall = time.time()
        self.event_ids = event_ids
        self.secret = secret
        self.control_token = control_token
        self.log = ActionLog(out)
        self.actions = 0
        self.unmatched = 0
        self.answered: set[str] = set()
        self.rejected: Counter[str] = Counter()
        self.idempotency_keys: set[bytes] = set()
        self.duplicates = 0
        self.unmapped = UnmappedLog(out.parent, profile.redactor if profile else Redactor(()))
        self.trace = Trace()
        self.hub = self.poller = None
        if profile is not None and (profile.profile.callbacks or profile.profile.poll):
            events = event_ids if isinstance(event_ids, dict) else {}
            self.hub = InboundHub(profile, events, self._record, self.unmapped,
                                  out.parent / "captures.jsonl", self.trace)
            if profile.profile.poll is not None:
                from load.poller import Poller

                self.poller = Poller(self.hub)

    def stats(self) -> dict[str, Any]:
        out = {"actions": self.actions, "unmatched": self.unmatched,
               "answered": len(self.answered), "rejected": sum(self.rejected.values()),
               "rejected_by_reason": dict(self.rejected), "duplicates": self.duplicates,
               "start_wall": self.start_wall,
               "callbacks": {**self.unmapped.stats(),
                             **(self.hub.stats() if self.hub else {})}}
        if self.poller is not None:
            out["poll"] = self.poller.stats()
        return out

    def _reject(self, status: int, reason: str) -> tuple[int, Any]:
        self.rejected[reason] += 1
        return status, {"error": reason}

    def _record(self, action: dict[str, Any], arrival: float) -> None:
        action["at"] = round((arrival - self.start_wall) * self.speed, 3)
        event_id = action.get("event_id")
        if not isinstance(event_id, str) or event_id not in self.event_ids:
            self.unmatched += 1
        elif action.get("action") in ANSWERS:
            self.answered.add(event_id)
        self.actions += 1
        self.log.append(action)

    def handle(self, method: str, path: str, headers: dict[bytes, bytes], body: bytes | None,
               arrival: float) -> tuple[int, Any]:
        """One request -> (status, JSON payload); ``body`` None means it was too large."""
        try:
            status, payload = self._handle(method, path, headers, body, arrival)
        except Exception as err:  # never crash on a request: count it and answer 400
            status, payload = self._reject(400, f"error:{type(err).__name__}")
        kept = isinstance(payload, dict) and payload.pop("kept", False)
        if status >= 400 and not path.startswith("/_drill/") and not kept:
            error = str(payload.get("error"))
            reason = self.unmapped.keep(status, f"{error}: {WHY.get(error, error)}", method, path,
                                        headers, body, arrival, key=error)
            self.trace.add(path, "unmapped", reason, [])
        return status, payload

    def _handle(self, method: str, path: str, headers: dict[bytes, bytes], body: bytes | None,
                arrival: float) -> tuple[int, Any]:
        if path.startswith("/_drill/"):
            return self._control(method, path, headers, body)
        if path == "/health" and method == "GET":
            return 200, {"ok": True}
        if self.hub is not None and path in self.hub.paths:
            if body is None:
                return self._reject(413, "oversized")
            status, answer = self.hub.handle(method, path, headers, body, arrival)
            return status, {**answer, "kept": True} if status >= 400 else answer
        if path not in ("/platform/actions", "/2/tweets"):
            return self._reject(404, "not_found")
        if method != "POST":
            return self._reject(405, "method")
        if body is None:
            return self._reject(413, "oversized")
        if self.secret is not None:
            given = headers.get(b"x-drill-signature", b"").decode("latin-1")
            if not hmac.compare_digest(given, platform_signature(self.secret, body)):
                return self._reject(401, "unauthorized")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self._reject(400, "malformed")
        if not isinstance(data, dict):
            return self._reject(422, "malformed")
        key = headers.get(b"idempotency-key")
        if key is not None and key in self.idempotency_keys:
            self.duplicates += 1
            return 202, {"ok": True, "duplicate": True}
        if path == "/2/tweets":
            answer = self._tweet(data, arrival)
        elif data.get("action") not in ACTIONS or not isinstance(data.get("event_id"),
                                                                 str | None):
            return self._reject(422, "invalid")
        else:
            self._record(data, arrival)
            self.trace.add(path, "mapped", str(data.get("event_id")), [data])
            answer = 202, {"ok": True}
        if key is not None and answer[0] < 300:
            self.idempotency_keys.add(key)
        return answer

    def _tweet(self, data: dict[str, Any], arrival: float) -> tuple[int, Any]:
        reply = data.get("reply")
        text = data.get("text")
        if not isinstance(text, str) or not (reply is None or isinstance(reply, dict)):
            return self._reject(422, "invalid")
        target = reply.get("in_reply_to_tweet_id") if reply else None
        action = {"event_id": str(target) if target is not None else None,
                  "action": "reply" if target is not None else "post",
                  "route": None, "tier": None, "priority": None,
                  "agent": data.get("agent"), "text": text, "source": "x-v2",
                  "reply_id": f"pt-{self.actions + 1:09d}"}  # the id answered below
        self._record(action, arrival)
        self.trace.add("/2/tweets", "mapped", str(action["event_id"]), [action])
        return 201, {"data": {"id": action["reply_id"], "text": text}}

    def _control(self, method: str, path: str, headers: dict[bytes, bytes],
                 body: bytes | None) -> tuple[int, Any]:
        if headers.get(b"x-drill-control", b"").decode("latin-1") != self.control_token:
            return self._reject(403, "control")
        if path == "/_drill/start" and method == "POST" and body:
            self.start_wall = float(orjson.loads(body)["start_wall"])
            if self.poller is not None:
                self.poller.start()
        if path == "/_drill/captures" and method == "POST" and body and self.hub is not None:
            self.hub.add_captures(orjson.loads(body), time.time())
            return 200, {"ok": True}
        if path == "/_drill/trace":
            since = int(orjson.loads(body).get("since", 0)) if body else 0
            return 200, {"trace": self.trace.since(since), **self.stats()}
        return 200, self.stats()

    async def finish(self) -> None:
        """The drill is over: the last poll round, then held callbacks are given up."""
        if self.poller is not None:
            await self.poller.finish()
        if self.hub is not None:
            self.hub.finish()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The ASGI app: reads at most MAX_BODY_BYTES, answers JSON."""
        if scope["type"] != "http":
            return
        arrival = time.time()
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        body: bytes | None = b""
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            body = None
        else:
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                chunks.append(chunk)
                more = message.get("more_body", False)
                if size > MAX_BODY_BYTES:
                    body = None
                    break
            if body is not None:
                body = b"".join(chunks)
        if scope["path"] == "/_drill/finish" and headers.get(b"x-drill-control", b"").decode(
                "latin-1") == self.control_token:
            await self.finish()
        status, payload = self.handle(scope["method"], scope["path"], headers, body, arrival)
        data = orjson.dumps(payload)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})


def serve(host: str, port: int, app: PlatformServer) -> None:
    """Serve until terminated: uvicorn (uvloop + httptools when installed) on one socket."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, date_header=False, backlog=BACKLOG)
    print(f"{READY_PREFIX}{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


class PlatformProcess:
    """Runs the platform endpoint in its own process for the length of a drill."""

    def __init__(self, out: Path, speed: float, events: Path | None, port: int = 8765,
                 host: str = "127.0.0.1", secret: str | None = None,
                 profile: Path | None = None, base_url: str | None = None) -> None:
        self.host = host
        self.token = secrets.token_hex(16)
        env = dict(os.environ)
        if secret:
            env["DRILL_PLATFORM_SECRET"] = secret
        else:
            env.pop("DRILL_PLATFORM_SECRET", None)
        self.secret = bool(secret)
        cmd = [sys.executable, "-m", "load.platform", "--host", host, "--port", str(port),
               "--out", str(out), "--speed", str(speed), "--token", self.token]
        if events is not None:
            cmd += ["--events", str(events)]
        if profile is not None:
            cmd += ["--profile", str(profile)] + (["--base-url", base_url] if base_url else [])
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        from load.launcher import child_options

        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True,
                                     **child_options())  # type: ignore[call-overload]
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith(READY_PREFIX):
            self.proc.kill()
            from simulator.errors import TargetError

            raise TargetError(f"platform endpoint could not listen on {host}:{port} "
                              f"(is the port taken? try --platform-port 0)")
        self.port = int(line[len(READY_PREFIX):])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _call(self, path: str, payload: dict[str, Any] | None = None,
              timeout: float = 10) -> dict[str, Any]:
        data = orjson.dumps(payload) if payload is not None else None
        req = urllib.request.Request(self.url + path, data=data,
                                     headers={CONTROL_HEADER: self.token})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            result: dict[str, Any] = orjson.loads(resp.read())
            return result

    def set_start(self, start_wall: float) -> None:
        """Fix the run's start (wall clock): ``at`` is measured from it."""
        self._call("/_drill/start", {"start_wall": start_wall})

    def stats(self) -> dict[str, Any]:
        """Counters: actions, unmatched, answered (events), rejected (and by reason)."""
        return self._call("/_drill/stats")

    def send_captures(self, rows: list[dict[str, Any]]) -> None:
        """Captured fields per event (``[{"event_id", NAME: value}]``): live, for templates."""
        self._call("/_drill/captures", rows)  # type: ignore[arg-type]

    def trace(self, since: int) -> dict[str, Any]:
        """How each inbound request after ``since`` was mapped (``drill probe``), and stats."""
        return self._call("/_drill/trace", {"since": since})

    def finish(self) -> dict[str, Any]:
        """The last poll round and the held callbacks' verdicts; returns the final stats."""
        return self._call("/_drill/finish", {}, timeout=120)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="load.platform")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--events", type=Path, default=None)
    parser.add_argument("--token", default="")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args(argv)
    secret = os.environ.get("DRILL_PLATFORM_SECRET")
    profile = None
    if args.profile is not None:
        from load.profile import load_profile

        profile = load_profile(args.profile, args.base_url)  # validated by the drill already
    events = _load_events(args.events, profile is not None and bool(
        profile.profile.callbacks or profile.profile.poll))
    app = PlatformServer(args.out, args.speed, events, secret.encode() if secret else None,
                         args.token, profile)
    try:
        serve(args.host, args.port, app)
    except OSError as err:
        print(f"PLATFORM_FAILED {err}", flush=True)
        return 3
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
