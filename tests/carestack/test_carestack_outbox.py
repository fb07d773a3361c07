"""The reference stack's outbox against awkward real platforms on loopback (issue 19).

Each platform is a standard-library HTTP server in a thread that records every action it is
sent and keeps the first of each ``Idempotency-Key`` (as the harness's platform endpoint does).
The stack runs for real (``python -m carestack --no-agents``: exactly one triage action per
posted event), so "every action arrives exactly once" is checked end to end.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.carestack.helpers import event
from tests.loopback import InThreadServer, QuietHandler

N_EVENTS = 30
OUTBOX = {"retry_initial": "50ms", "retry_max": "300ms", "timeout": "1s", "connections": 4}


class AwkwardPlatform(InThreadServer):
    """A platform in one of several awkward styles; ``delivered`` keeps one body per key."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.requests = 0
        self.delivered: dict[str, dict[str, Any]] = {}
        self.repeats = 0
        self.statuses: Counter[int] = Counter()
        self.started = time.monotonic()
        self._lock = threading.Lock()
        platform = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.0" if style == "http10" else "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status, cut = platform.record(self.headers.get("idempotency-key", ""), body)
                if cut:  # recorded, then the connection drops in the middle of the answer
                    self.wfile.write(b"HTTP/1.1 202 Accepted\r\nContent-Le")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_response(status)
                answer = b'{"ok": true}' if status < 300 else b'{"error": "busy"}'
                if style == "http10":  # no Content-Length: the body ends when the socket closes
                    self.end_headers()
                    self.wfile.write(answer)
                elif style == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for part in (answer[:5], answer[5:]):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

        super().__init__(Handler)

    def record(self, key: str, body: bytes) -> tuple[int, bool]:
        """Count the request; (status to answer, whether to cut the answer short)."""
        with self._lock:
            self.requests += 1
            n = self.requests
            if self.style == "5xx-for-a-while" and time.monotonic() - self.started < 1.5:
                self.statuses[503] += 1
                return 503, False
            if key in self.delivered:
                self.repeats += 1
            else:
                self.delivered[key] = json.loads(body)
        if self.style == "slow":
            # Most answers take 0.2 s; every 7th takes longer than the stack's 1 s timeout.
            time.sleep(1.5 if n % 7 == 0 else 0.2)
        self.statuses[202] += 1
        return 202, self.style == "closes-mid-answer" and n % 3 == 0


def _post_and_wait(url: str, platform: AwkwardPlatform) -> dict[str, Any]:
    ids = [f"ev-{i}" for i in range(N_EVENTS)]
    with httpx.Client(base_url=url, timeout=10) as http:
        for event_id in ids:
            assert http.post("/events", json=event(event_id, "app down, refund me")).status_code \
                == 202
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            stats = http.get("/stats").json()["outbox"]
            if stats["pending"] == 0 and stats["sent"] == N_EVENTS:
                break
            time.sleep(0.1)
    arrived = Counter(a["event_id"] for a in platform.delivered.values())
    assert arrived == Counter(ids), "every action arrives exactly once"
    assert stats["pending"] == 0 and stats["sent"] == N_EVENTS, stats
    return stats


@pytest.mark.parametrize("style", ["http10", "chunked", "closes-mid-answer", "slow",
                                   "5xx-for-a-while"])
def test_every_action_arrives_exactly_once(style: str, reference_stack) -> None:
    platform = AwkwardPlatform(style)
    try:
        url = reference_stack(platform.url, "--no-agents", config={"outbox": OUTBOX})
        stats = _post_and_wait(url, platform)
    finally:
        platform.stop()
    if style in ("closes-mid-answer", "slow"):
        # The platform recorded actions whose answer never came: the stack sent them again
        # with the same key, and the platform kept one.
        assert platform.repeats > 0 and stats["failed_attempts"] > 0
    if style == "5xx-for-a-while":
        assert platform.statuses[503] > 0 and stats["last_error"] == "HTTP 503"
    assert stats["sender_restarts"] == 0


def test_failed_sender_is_restarted_and_reported(reference_stack, tmp_path: Path) -> None:
    platform = AwkwardPlatform("http10")
    try:
        url = reference_stack(platform.url, "--no-agents",
                              config={"outbox": {**OUTBOX, "crash_after": 4}})
        stats = _post_and_wait(url, platform)
    finally:
        platform.stop()
    # Each sender fails after every 4th delivery; actions are sharded by crc32(event id).
    per_sender = Counter(zlib.crc32(f"ev-{i}".encode()) % OUTBOX["connections"]
                         for i in range(N_EVENTS))
    assert stats["sender_restarts"] == sum(n // 4 for n in per_sender.values())
    assert stats["sender_error"].startswith("SenderFault: outbox.crash_after=4")
    log = (tmp_path / "carestack-0.log").read_text()
    assert "outbox sender" in log and "Traceback" in log and "SenderFault" in log
