"""The outbox: every action is kept in SQLite and delivered to the platform URL, never dropped.

``Outbox.submit(action)`` stores the action and queues it; ``run()`` starts
``connections`` sender tasks that POST actions as JSON to ``{platform_url}/platform/actions``
over persistent HTTP/1.1 connections. Actions are sharded over the senders by event id, so
the actions of one event arrive in the order they were decided (triage, reply, ...).
A connection error, timeout, 429 or 5xx puts the action back at the head of its queue
and every sender backs off (exponential, from
``retry_initial_s`` up to ``retry_max_s``) until the platform answers again; other 4xx
answers are final (kept in the database as ``rejected``). Actions left undelivered by a
previous run on the same database are re-sent first.

The client is a minimal HTTP/1.1 keep-alive writer (content-length bodies only) because
at thousands of actions per second a general client (httpx) costs more CPU than the rest of
the stack; the platform endpoint is a plain loopback server.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
import zlib
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import orjson

from .config import OutboxConfig
from .store import Store

__all__ = ["SIGNATURE_HEADER", "Outbox"]

# Header carrying "sha256=" + hex(HMAC-SHA256(platform_secret, body)) when a secret is set
# (the harness's platform endpoint checks it, load/platform.py).
SIGNATURE_HEADER = "X-Drill-Signature"
ACTIONS_PATH = "/platform/actions"


class _Retry(Exception):
    """The platform did not take the action now; try again later."""


class _Connection:
    """One persistent HTTP/1.1 connection to the platform."""

    def __init__(self, host: str, port: int, tls: bool, timeout: float):
        self.host, self.port, self.tls, self.timeout = host, port, tls, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        ctx = ssl.create_default_context() if self.tls else None
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=ctx), self.timeout)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post_many(self, requests: list[bytes], statuses: list[int]) -> None:
        """Pipeline ``requests`` (complete HTTP requests); append each answer's status.

        Stops early (``len(statuses) < len(requests)``) when the platform closes the
        connection after an answer; raises ``_Retry`` on a network error or timeout, with
        ``statuses`` holding the answers received so far.
        """
        try:
            await asyncio.wait_for(self._post_many(requests, statuses), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise _Retry(type(exc).__name__) from exc

    async def _post_many(self, requests: list[bytes], statuses: list[int]) -> None:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        reader = self.reader
        self.writer.write(b"".join(requests))
        await self.writer.drain()
        for _ in requests:
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("platform closed the connection")
            status = int(status_line.split(b" ", 2)[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    close = True  # not worth parsing: drop the connection after this answer
            if length:
                await reader.readexactly(length)
            statuses.append(status)
            if close:
                self.close()
                return


class Outbox:
    """Durable, ordered-ish delivery of actions to the platform endpoint."""

    def __init__(self, platform_url: str, store: Store, cfg: OutboxConfig,
                 secret: str | None = None):
        url = urlsplit(platform_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"platform URL must be http(s)://host:port, got {platform_url!r}")
        self._host = url.hostname
        self._port = url.port or (443 if url.scheme == "https" else 80)
        self._tls = url.scheme == "https"
        self._path = (url.path or "") + ACTIONS_PATH
        self._store = store
        self._cfg = cfg
        self._secret = secret.encode() if secret else None
        n = cfg.connections
        # One queue per sender; entries are (seq, body, attempts).
        self._queues: list[deque[tuple[int, bytes, int]]] = [deque() for _ in range(n)]
        self._wakes = [asyncio.Event() for _ in range(n)]
        self._seq = store.max_action_seq()
        self._backoff = 0.0
        self._retry_at = 0.0
        self.sent = 0
        self.rejected = 0
        self.failed_attempts = 0
        self.last_error: str | None = None
        for seq, event_id, body in store.load_unsent():
            self._queues[self._shard(event_id)].append((seq, body.encode(), 0))

    def _shard(self, event_id: str) -> int:
        return zlib.crc32(event_id.encode()) % len(self._queues)

    @property
    def pending(self) -> int:
        """Actions accepted but not yet delivered (including retries)."""
        return sum(len(q) for q in self._queues)

    def submit(self, action: dict[str, Any]) -> int:
        """Keep ``action`` (persisted) and queue it for delivery; returns its sequence number."""
        self._seq += 1
        body = orjson.dumps(action)
        event_id = str(action.get("event_id", ""))
        self._store.put_action(self._seq, event_id, str(action.get("action", "")),
                               body.decode(), time.time())
        shard = self._shard(event_id)
        self._queues[shard].append((self._seq, body, 0))
        self._wakes[shard].set()
        return self._seq

    def _head(self, body: bytes) -> bytes:
        lines = [f"POST {self._path} HTTP/1.1", f"Host: {self._host}:{self._port}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}",
                 "User-Agent: carestack"]
        if self._secret is not None:
            mac = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            lines.append(f"{SIGNATURE_HEADER}: sha256={mac}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _sender(self, shard: int) -> None:
        conn = _Connection(self._host, self._port, self._tls, self._cfg.timeout_s)
        queue, wake = self._queues[shard], self._wakes[shard]
        try:
            while True:
                if not queue:
                    wake.clear()
                    await wake.wait()
                    continue
                delay = self._retry_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue
                batch = [queue.popleft() for _ in range(min(len(queue), self._cfg.pipeline))]
                statuses: list[int] = []
                error: str | None = None
                try:
                    await conn.post_many([self._head(body) + body for _, body, _ in batch],
                                         statuses)
                except _Retry as exc:
                    error = str(exc)
                retry = []
                for (seq, body, attempts), status in zip(batch, statuses, strict=False):
                    if status == 429 or status >= 500:
                        retry.append((seq, body, attempts + 1))
                        error = f"HTTP {status}"
                    elif 200 <= status < 300:
                        self.sent += 1
                        self._store.mark_sent(seq, "sent", attempts + 1)
                    else:
                        self.rejected += 1
                        self.last_error = f"HTTP {status}"
                        self._store.mark_sent(seq, "rejected", attempts + 1)
                # Unanswered requests (connection closed or failed) go back first, in order.
                retry.extend(batch[len(statuses):])
                queue.extendleft(reversed(retry))
                if error is None:
                    self._backoff = 0.0
                    continue
                self.failed_attempts += 1
                self.last_error = error
                self._backoff = min(self._cfg.retry_max_s,
                                    max(self._cfg.retry_initial_s, self._backoff * 2))
                self._retry_at = time.monotonic() + self._backoff
        finally:
            conn.close()

    async def run(self) -> None:
        """Run the sender tasks until cancelled."""
        for wake in self._wakes:
            wake.set()
        senders = [asyncio.create_task(self._sender(i)) for i in range(len(self._queues))]
        try:
            await asyncio.gather(*senders)
        finally:
            for task in senders:
                task.cancel()

    def stats(self) -> dict[str, Any]:
        """Delivery counters for ``/stats``."""
        return {"pending": self.pending, "sent": self.sent, "rejected": self.rejected,
                "failed_attempts": self.failed_attempts, "last_error": self.last_error}
