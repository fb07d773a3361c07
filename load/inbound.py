"""What comes back from a stack, in the platform endpoint's process: callbacks and live captures.

``InboundHub`` is given the compiled profile. It serves the profile's ``callbacks:`` paths
(verify the signature, decode, find the event, map to actions with ``load.casemap``), holds
the captures the sender streams in (``capture.ticket_id`` -> event, live, also appended to
``captures.jsonl``), keeps each case's known state (shared with ``load.poller``), and keeps
every inbound request it could not map in ``unmapped.jsonl`` with the reason (the first
``KEEP_UNMAPPED``; all are counted). A callback naming a captured id not yet captured (a
helpdesk that calls its webhook before answering the create request) is held until the
capture arrives, at most ``HOLD_S``; ``finish()`` gives up on the rest. ``Trace`` lists the
latest mappings for ``drill probe``.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import orjson

from load.callbacks import CallbackSpec, secret_of, verify_signature
from load.casemap import CaseMapper, CaseState, Unmapped, dig

__all__ = ["InboundHub", "Trace", "UnmappedLog"]

KEEP_UNMAPPED = 200
KEEP_BODY_CHARS = 4000
HOLD_S = 60.0
MAX_PENDING = 20000
TRACE_LEN = 200
SKIP_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

Record = Callable[[dict[str, Any], float], None]


class UnmappedLog:
    """Counts inbound requests that could not be mapped, by reason; keeps the first few.

    ``unmapped.jsonl`` in the run folder: arrival (wall), method, path, the status answered,
    the reason, the headers (credentials left out) and the body (first 4,000 characters),
    with every secret the profile reads from the environment replaced by ``<env.NAME>``.
    """

    def __init__(self, run_dir: Path, redact: Any) -> None:
        self.redact = redact
        self.counts: Counter[str] = Counter()
        self.kept = 0
        self._path = run_dir / "unmapped.jsonl"
        self._path.write_bytes(b"")
        self._fh = self._path.open("ab")

    def keep(self, status: int, reason: str, method: str, path: str,
             headers: dict[bytes, bytes], body: bytes | None, arrival: float,
             key: str | None = None) -> str:
        """Count one unmapped request by ``key`` (else the reason without its values); keep it
        (the first few) with the reason; return the reason."""
        reason = self.redact.text(reason)
        self.counts[key or _reason_key(reason)] += 1
        if self.kept < KEEP_UNMAPPED:
            self.kept += 1
            text = (body or b"").decode("utf-8", "replace")
            row = {"at_wall": round(arrival, 3), "method": method, "path": path,
                   "status": status, "reason": reason,
                   "headers": {k.decode("latin-1"): v.decode("latin-1")
                               for k, v in headers.items()
                               if k.decode("latin-1").lower() not in SKIP_HEADERS},
                   "body": text[:KEEP_BODY_CHARS], "truncated": len(text) > KEEP_BODY_CHARS}
            self._fh.write(orjson.dumps(self.redact.value(row)) + b"\n")
            self._fh.flush()
        return reason

    def stats(self) -> dict[str, Any]:
        return {"unmapped": sum(self.counts.values()),
                "unmapped_by_reason": dict(self.counts.most_common(20)),
                "unmapped_kept": self.kept}


class Trace:
    """The latest mappings (what arrived, and what it became), for ``drill probe``."""

    def __init__(self) -> None:
        self.rows: deque[dict[str, Any]] = deque(maxlen=TRACE_LEN)
        self.seq = 0

    def add(self, source: str, outcome: str, detail: str,
            actions: list[dict[str, Any]]) -> None:
        self.seq += 1
        self.rows.append({"seq": self.seq, "at_wall": round(time.time(), 3), "source": source,
                          "outcome": outcome, "detail": detail, "actions": actions})

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["seq"] > seq]


class _Callback:
    def __init__(self, spec: CallbackSpec, env: jinja2.Environment) -> None:
        self.spec = spec
        self.mapper = CaseMapper(spec, env)
        self.event_template = (env.from_string(spec.event.template)
                               if spec.event.template is not None else None)
        self.pattern = re.compile(spec.event.pattern) if spec.event.pattern else None
        self.secret = secret_of(spec.verify) if spec.verify is not None else None


class InboundHub:
    """Callbacks, captures and case state for one run (see the module docstring)."""

    def __init__(self, profile: Any, events: dict[str, dict[str, Any]], record: Record,
                 unmapped: UnmappedLog, captures: Path, trace: Trace) -> None:
        self.profile = profile
        self.events = events
        self.record = record
        self.redact = profile.redactor
        self.callbacks = {(c.path, c.method): _Callback(c, profile.env)
                          for c in profile.profile.callbacks}
        self.paths = frozenset(path for path, _ in self.callbacks)
        self.captured: dict[str, dict[str, Any]] = {}  # event id -> captured fields
        self.by_capture: dict[str, dict[str, str]] = {}  # capture name -> value -> event id
        self.states: dict[str, CaseState] = {}
        self.pending: deque[tuple[float, _Callback, Any, str, dict[bytes, bytes]]] = deque()
        self.unmapped = unmapped
        self.mapped = 0
        self.no_change = 0
        self._trace = trace.add
        captures.write_bytes(b"")
        self._captures_fh = captures.open("ab")
        self.ctx = {"vars": profile.profile.vars, "env": profile.template_env}

    # -- captures ----------------------------------------------------------------------------
    def add_captures(self, rows: list[dict[str, Any]], arrival: float) -> None:
        """Captured fields per event, as the sender streams them (``[{"event_id", ...}]``)."""
        for row in rows:
            event_id = str(row.get("event_id"))
            fields = {k: v for k, v in row.items() if k != "event_id"}
            self.captured[event_id] = fields
            self.states.setdefault(event_id, CaseState())
            for name, value in fields.items():
                if value is not None:
                    self.by_capture.setdefault(name, {})[_text(value)] = event_id
            self._captures_fh.write(orjson.dumps(self.redact.value(row)) + b"\n")
        self._captures_fh.flush()
        self._retry_pending(arrival)

    # -- callbacks ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[bytes, bytes], body: bytes,
               arrival: float) -> tuple[int, Any]:
        """One inbound request on a callback path -> (status, answer)."""
        callback = self.callbacks.get((path, method))
        if callback is None:
            return self.keep(405, f"{path} takes {self._methods(path)}, got {method}",
                             method, path, headers, body, arrival)
        spec = callback.spec
        if spec.verify is not None:
            if callback.secret is None:
                reason = f"verify.secret_env {spec.verify.secret_env} is not set"
            else:
                reason = verify_signature(spec.verify, callback.secret, headers, body) or ""
            if reason:
                return self.keep(401, reason, method, path, headers, body, arrival)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self.keep(400, "body is not JSON", method, path, headers, body, arrival)
        try:
            event_id = self._find_event(callback, payload)
        except Unmapped as err:
            return self.keep(422, str(err), method, path, headers, body, arrival)
        if event_id is None:  # a captured id not captured yet: hold it for the capture
            if len(self.pending) >= MAX_PENDING:
                return self.keep(503, "too many callbacks waiting for their capture", method,
                                 path, headers, body, arrival)
            self.pending.append((arrival, callback, payload, path, headers))
            self._trace(path, "held", f"waiting for capture.{spec.event.capture}", [])
            return spec.answer, {"ok": True, "held": True}
        try:
            n = self.apply(event_id, callback.mapper, payload, arrival, f"callback:{path}")
        except Unmapped as err:
            return self.keep(422, str(err), method, path, headers, body, arrival)
        return spec.answer, {"ok": True, "actions": n}

    def _methods(self, path: str) -> str:
        return ", ".join(sorted(m for p, m in self.callbacks if p == path))

    def _find_event(self, callback: _Callback, payload: Any) -> str | None:
        """The event id, None while its captured id is not captured yet; raises ``Unmapped``."""
        rule = callback.spec.event
        if callback.event_template is not None:
            try:
                raw: Any = callback.event_template.render(payload=payload, **self.ctx)
            except jinja2.TemplateError as err:
                raise Unmapped(f"event.template error: {err}") from err
        else:
            raw = dig(payload, rule.from_ or "")
        where = rule.from_ or "event.template"
        if raw is None or raw == "":
            raise Unmapped(f"event: no value at {where}")
        value = _text(raw)
        if callback.pattern is not None:
            match = callback.pattern.search(value)
            if match is None:
                raise Unmapped(f"event: {where} {value!r} does not match {rule.pattern!r}")
            value = match.group(1) if match.groups() else match.group(0)
        if rule.capture is not None:
            return self.by_capture.get(rule.capture, {}).get(value)
        if value not in self.events:
            raise Unmapped(f"event: {where} {value!r} names no event of the storm")
        return value

    def apply(self, event_id: str, mapper: CaseMapper, payload: Any, arrival: float,
              source: str) -> int:
        """Map one observation of ``event_id`` and record its actions; returns how many."""
        state = self.states.setdefault(event_id, CaseState())
        ctx = {**self.ctx, "event": self.events.get(event_id, {}),
               "capture": self.captured.get(event_id, {})}
        actions = mapper.actions(payload, state, ctx)
        for action in actions:
            self.record({"event_id": event_id, **self.redact.value(action), "source": source},
                        arrival)
        if source != "poll":
            self.mapped += 1
            self.no_change += not actions
        self._trace(source, "mapped", event_id, actions)
        return len(actions)

    def _retry_pending(self, now: float) -> None:
        waiting, self.pending = self.pending, deque()
        for arrival, callback, payload, path, headers in waiting:
            try:
                event_id = self._find_event(callback, payload)
                if event_id is None:
                    if now - arrival < HOLD_S:
                        self.pending.append((arrival, callback, payload, path, headers))
                        continue
                    value = _text(dig(payload, callback.spec.event.from_ or ""))
                    raise Unmapped(f"event: capture.{callback.spec.event.capture} {value!r} "
                                   f"was never captured (the create request was not accepted?)")
                self.apply(event_id, callback.mapper, payload, arrival, f"callback:{path}")
            except Unmapped as err:
                self.keep(422, str(err), callback.spec.method, path, headers,
                          orjson.dumps(payload), arrival)

    def finish(self) -> None:
        """The drill is over: held callbacks whose capture never came are unmapped."""
        self._retry_pending(float("inf"))

    def keep(self, status: int, reason: str, method: str, path: str,
             headers: dict[bytes, bytes], body: bytes | None, arrival: float) -> tuple[int, Any]:
        """Count and keep an inbound request that could not be mapped; answer ``status``."""
        reason = self.unmapped.keep(status, reason, method, path, headers, body, arrival)
        self._trace(path, "unmapped", reason, [])
        return status, {"error": reason}

    def stats(self) -> dict[str, Any]:
        return {"mapped": self.mapped, "no_change": self.no_change, "held": len(self.pending),
                "captured": len(self.captured)}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reason_key(reason: str) -> str:
    """The reason without the values that vary per request (for counting)."""
    return re.sub(r"'[^']*'|\d+(\.\d+)?", "…", reason)[:160]
