"""``drill probe``: one event to a stack, and exactly how everything that came back was mapped.

For writing a target profile in minutes: the profile is validated (exit 2, one line), the
target checked (exit 3), the platform endpoint started with the profile's callbacks and
polling, one sample event rendered and sent; then for ``--wait`` seconds every request the
stack sends back (to a callback path or the endpoint's own shapes) and every poll is printed
with what it became: the actions, or the reason it could not be mapped. Secrets the profile
reads from the environment are shown as ``<env.NAME>``. Exit 0 when the event was accepted,
1 when it was not.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from load.launcher import check_target
from load.platform import PlatformProcess
from load.profile import load_profile
from load.profile_check import SAMPLE_EVENT
from load.templating import env_names
from simulator.runfolder import append_lines

__all__ = ["run_probe"]

SHOW_CHARS = 1500
TRACE_EVERY_S = 0.25


def _short(text: str) -> str:
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + f"... ({len(text)} chars)"


def _action_line(action: dict[str, Any]) -> str:
    keys = ("route", "tier", "priority", "agent", "text")
    parts = [f"{k}={action[k]!r}" for k in keys if action.get(k) is not None]
    return f"{action.get('action')} {action.get('event_id', '')} " + " ".join(parts)


def _print_trace(rows: list[dict[str, Any]], out: Any) -> None:
    for row in rows:
        if row["outcome"] == "mapped" and row["source"] == "poll" and not row["actions"]:
            continue  # a poll that saw no change: counted in the summary
        if row["outcome"] == "mapped":
            actions = row["actions"]
            what = "; ".join(_action_line(a) for a in actions) if actions else "no change"
            print(f"  {row['source']}: mapped to {row['detail']}: {what}", file=out)
        elif row["outcome"] == "held":
            print(f"  {row['source']}: held ({row['detail']})", file=out)
        else:
            print(f"  {row['source']}: NOT MAPPED: {row['detail']}", file=out)


def run_probe(profile_path: Path, base_url: str | None, *, wait_s: float = 15.0,
              platform_port: int = 8765, allow_remote: bool = False, out: Any = None) -> int:
    """Probe the stack; prints to ``out`` (stdout); returns the exit code."""
    out = out or sys.stdout
    profile = load_profile(profile_path, base_url)
    check_target(profile.base_url, profile.profile.health, allow_remote)
    redact = profile.redactor
    event = {**SAMPLE_EVENT, "id": f"ev-probe-{int(time.time())}"}
    with tempfile.TemporaryDirectory(prefix="drill-probe-") as tmp:
        run = Path(tmp)
        append_lines(run / "events.jsonl", [event], truncate=True)
        platform = PlatformProcess(run / "actions.jsonl", 1.0, run / "events.jsonl",
                                   platform_port, profile=profile_path, base_url=base_url)
        try:
            print(f"platform endpoint: {platform.url} (POST /platform/actions, /2/tweets)",
                  file=out)
            for callback in profile.profile.callbacks:
                print(f"  callback: {callback.method} {platform.url}{callback.path}", file=out)
            accepted = _send(profile, event, platform, redact, out)
            platform.set_start(time.time())
            print(f"waiting {wait_s:g}s for what comes back (callbacks, actions, polls)",
                  file=out, flush=True)
            seq = 0
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                answer = platform.trace(seq)
                _print_trace(answer["trace"], out)
                seq = answer["trace"][-1]["seq"] if answer["trace"] else seq
                out.flush()
                time.sleep(TRACE_EVERY_S)
            platform.finish()
            final = platform.trace(seq)
            _print_trace(final["trace"], out)
            _summary(final, out)
        finally:
            platform.stop()
    return 0 if accepted else 1


def _send(profile: Any, event: dict[str, Any], platform: PlatformProcess, redact: Any,
          out: Any) -> bool:
    req = profile.render(event)
    print(f"> {req.method} {redact.text(profile.base_url + req.path)}", file=out)
    for name, value in req.headers.items():
        secrets = sorted(env_names(profile.env, [profile.profile.headers.get(name, "")]))
        shown = (f"<from {', '.join('env.' + s for s in secrets)}>" if secrets
                 else redact.text(value))
        print(f"> {name}: {shown}", file=out)
    print(f"> {_short(redact.text(req.body.decode('utf-8', 'replace')))}", file=out)
    began = time.monotonic()
    try:
        resp = httpx.request(req.method, profile.base_url + req.path, content=req.body,
                             headers=req.headers, timeout=30)
    except httpx.HTTPError as err:
        print(f"< error: {type(err).__name__}: {redact.text(str(err))}", file=out)
        return False
    ms = (time.monotonic() - began) * 1000
    print(f"< {resp.status_code} in {ms:.0f} ms: {_short(redact.text(resp.text))}", file=out)
    accepted = resp.status_code in profile.accept
    if not accepted:
        print(f"  NOT ACCEPTED: {resp.status_code} is not in accept "
              f"{sorted(profile.accept)}", file=out)
        return False
    try:
        fields = profile.capture(orjson.loads(resp.content or b"null"))
    except orjson.JSONDecodeError:
        fields = {}
        if profile.profile.capture:
            print("  the answer is not JSON: nothing can be captured", file=out)
    for name, value in fields.items():
        where = profile.profile.capture[name]
        note = "" if value is not None else f"  <- nothing at {where!r}: fix capture.{name}"
        print(f"  capture.{name} = {value!r}{note}", file=out)
    platform.send_captures([{"event_id": event["id"], **fields}])
    return True


def _summary(stats: dict[str, Any], out: Any) -> None:
    returns = stats.get("callbacks", {})
    line = (f"summary: {stats.get('actions', 0)} actions recorded, "
            f"{returns.get('unmapped', 0)} requests not mapped")
    if returns.get("held"):
        line += f", {returns['held']} held for a capture that never came"
    poll = stats.get("poll")
    if poll:
        line += (f"; poll: {poll['requests']} requests, {poll['ok']} ok, {poll['failed']} "
                 f"failed")
        for reason, n in poll.get("failed_by_reason", {}).items():
            line += f"\n  poll failed {n}x: {reason}"
    print(line, file=out)
