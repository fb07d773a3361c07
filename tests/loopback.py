"""Loopback HTTP for the tests: ``post``, servers in a thread, and a target in a process.

``InThreadServer`` serves a handler class (usually a ``QuietHandler``) from a daemon thread:
the tests' platform sinks and scripted stacks. ``LoopbackTarget`` is a target with known
behaviour in its own process (the replay and drill tests; the ``loopback_target`` fixture).
Per POST, in order of the request count n: every ``reset_every``-th connection is reset (RST,
no answer); the rest wait out the current ``stall`` of every ``period`` seconds, then
``latency`` seconds, and answer ``fail_code`` every ``fail_every``-th request (a 429 with
``Retry-After: 1``), 202 otherwise. Every received event id is appended to ``received.txt``.
Run as a script it serves (its settings a JSON object in argv[1]) and prints its port.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """POST a JSON ``body``; the status and answer (-1 when the server closed the connection,
    as it may on an oversized upload)."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError:
        return -1, b""


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no request log; ``answer`` sends a status and a small JSON body."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes = b"{}") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class InThreadServer:
    """``handler`` served on loopback (``port`` 0: a free one) from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LoopbackTarget:
    """The target in a subprocess; ``restart()`` brings it back on the same port."""

    def __init__(self, tmp: Path, latency: float = 0.002, period: float = 0.0,
                 stall: float = 0.0, fail_every: int = 0, fail_code: int = 500,
                 reset_every: int = 0) -> None:
        self.log = tmp / "received.txt"
        self.settings = {"latency": latency, "period": period, "stall": stall,
                         "fail_every": fail_every, "fail_code": fail_code,
                         "reset_every": reset_every, "log": str(self.log)}
        self.port = 0
        self.proc = self._start()
        self.url = f"http://127.0.0.1:{self.port}"

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, __file__, json.dumps({**self.settings, "port": self.port})],
            stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        self.port = int(proc.stdout.readline())
        return proc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.kill()
        self.proc = self._start()

    def received(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []


def serve(port: int, latency: float, period: float, stall: float, fail_every: int,
          fail_code: int, reset_every: int, log: str) -> None:
    lock = threading.Lock()
    count = [0]
    t0 = time.monotonic()
    out = open(log, "a")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._answer(200)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                count[0] += 1
                n = count[0]
                out.write(json.loads(body)["id"] + "\n")
                out.flush()
            if reset_every and n % reset_every == 0:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if period > 0:
                phase = (time.monotonic() - t0) % period
                if phase < stall:
                    time.sleep(stall - phase)  # the periodic stall: wait until it ends
            time.sleep(latency)
            self._answer(fail_code if fail_every and n % fail_every == 0 else 202)

        def _answer(self, code: int) -> None:
            extra = b"Retry-After: 1\r\n" if code == 429 else b""
            head = b"HTTP/1.1 %d X\r\n%sContent-Length: 2\r\n\r\n" % (code, extra)
            self.wfile.write(head + b"{}")

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(**json.loads(sys.argv[1]))
