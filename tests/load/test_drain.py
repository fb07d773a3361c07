"""``--drain``: how long requests still in flight after the last send are waited for."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSWER_S = 1.5


class SlowStack(http.server.ThreadingHTTPServer):
    """Answers GET /health at once and every POST after ANSWER_S."""

    daemon_threads = True

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                self.send_response(202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:  # noqa: N802
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                time.sleep(ANSWER_S)
                self._answer()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.mark.slow
@pytest.mark.parametrize(("drain", "accepted"), [(0.3, 0), (5.0, 3)])
def test_requests_in_flight_are_waited_for_drain_seconds(tmp_path: Path, drain: float,
                                                         accepted: int) -> None:
    stack = SlowStack()
    threading.Thread(target=stack.serve_forever, daemon=True).start()
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"".join(orjson.dumps({"id": f"ev-{i:06d}", "t": i * 0.1, "text": "x"})
                                + b"\n" for i in range(3)))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "drill.replay", str(events), "-o", str(tmp_path / "run"),
             "--target", str(ROOT / "targets/reference.yaml"), "--base-url",
             f"http://127.0.0.1:{stack.server_address[1]}", "--speed", "1", "--drain",
             str(drain)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        stack.shutdown()
    assert done.returncode == 0, done.stderr
    counts = orjson.loads((tmp_path / "run" / "replay.json").read_bytes())["counts"]
    assert counts["accepted"] == accepted and counts["failed"] == 3 - accepted
