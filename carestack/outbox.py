"""The outbox: every action is kept in SQLite and delivered to the platform URL, never dropped.

``Outbox.submit(action)`` stores the action and queues it; ``run()`` starts ``connections``
supervised sender tasks that POST actions as JSON to ``{platform_url}/platform/actions``
through one pooled ``aiohttp.ClientSession`` (keep-alive connections, a per-request timeout;
it reads any valid answer: Content-Length, chunked, or HTTP/1.0 close-delimited bodies).
aiohttp rather than httpx: on bench/carestack.py it costs about a fifth of httpx's CPU per
action, which keeps the stack's ingest target (docs/carestack.md).
Actions are sharded over the senders by event id, so the actions of one event arrive in the
order they were decided (triage, reply, ...).

Delivery is at least once, made exactly once at the platform by an ``Idempotency-Key``
header (``<outbox id>-<seq>``, the same on every retry of one action): when the platform
closes the connection mid-answer the action may have been recorded, so it is sent again and
the platform drops the repeat. A connection error, timeout, 429 or 5xx puts the action back
at the head of its queue and every sender backs off (exponential, from ``retry_initial_s``
up to ``retry_max_s``) until the platform answers again; other 4xx answers are final (kept
in the database as ``rejected``). Actions left undelivered by a previous run on the same
database are re-sent first.

A sender that fails on anything else (a bug, a fault knob) is restarted after the same
backoff with its action back at the head of its queue; the failure is logged with its
traceback (the stack's log), counted and shown in ``/stats`` (``sender_restarts``,
``sender_error``). The stack never stops delivering while it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
import zlib
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from .config import OutboxConfig
from .store import Store

__all__ = ["IDEMPOTENCY_HEADER", "SIGNATURE_HEADER", "Outbox", "SenderFault"]

# Header carrying "sha256=" + hex(HMAC-SHA256(platform_secret, body)) when a secret is set
# (the harness's platform endpoint checks it, load/platform.py).
SIGNATURE_HEADER = "X-Drill-Signature"
# One key per action, the same on every retry: the platform keeps the first, drops repeats.
IDEMPOTENCY_HEADER = "Idempotency-Key"
ACTIONS_PATH = "/platform/actions"
KEEPALIVE_S = 30.0  # idle keep-alive connections are closed after this long

log = logging.getLogger("carestack.outbox")


class SenderFault(RuntimeError):
    """The ``outbox.crash_after`` fault knob: a sender dies on purpose (restart drill)."""


class Outbox:
    """Durable, per-event ordered delivery of actions to the platform endpoint."""

    def __init__(self, platform_url: str, store: Store, cfg: OutboxConfig,
                 secret: str | None = None):
        url = urlsplit(platform_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"platform URL must be http(s)://host:port, got {platform_url!r}")
        self._url = platform_url.rstrip("/") + ACTIONS_PATH
        self._store = store
        self._cfg = cfg
        self._secret = secret.encode() if secret else None
        self._key_prefix = secrets.token_hex(6)
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
        self.sender_restarts = 0
        self.sender_error: str | None = None
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

    def _headers(self, seq: int, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json",
                   IDEMPOTENCY_HEADER: f"{self._key_prefix}-{seq}"}
        if self._secret is not None:
            mac = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={mac}"
        return headers

    async def _post(self, client: aiohttp.ClientSession, seq: int, body: bytes) -> int | str:
        """POST one action; its HTTP status, or the name of the network error."""
        try:
            async with client.post(self._url, data=body,
                                   headers=self._headers(seq, body)) as resp:
                await resp.read()  # the whole answer, so the connection can be reused
                return resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:  # refused, reset, timeout, bad answer
            return type(exc).__name__

    def _back_off(self, error: str) -> None:
        self.failed_attempts += 1
        self.last_error = error
        self._backoff = min(self._cfg.retry_max_s,
                            max(self._cfg.retry_initial_s, self._backoff * 2))
        self._retry_at = time.monotonic() + self._backoff

    async def _sender(self, client: aiohttp.ClientSession, shard: int) -> None:
        queue, wake = self._queues[shard], self._wakes[shard]
        crash_after = self._cfg.crash_after
        delivered = 0
        while True:
            if not queue:
                wake.clear()
                await wake.wait()
                continue
            delay = self._retry_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            seq, body, attempts = queue[0]  # stays queued until answered: a crash loses nothing
            outcome = await self._post(client, seq, body)
            if isinstance(outcome, str) or outcome == 429 or outcome >= 500:
                queue[0] = (seq, body, attempts + 1)
                self._back_off(outcome if isinstance(outcome, str) else f"HTTP {outcome}")
                continue
            queue.popleft()
            self._backoff = 0.0
            if 200 <= outcome < 300:
                self.sent += 1
                self._store.mark_sent(seq, "sent", attempts + 1)
            else:
                self.rejected += 1
                self.last_error = f"HTTP {outcome}"
                self._store.mark_sent(seq, "rejected", attempts + 1)
            delivered += 1
            if crash_after and delivered % crash_after == 0:
                raise SenderFault(f"outbox.crash_after={crash_after}: sender {shard} "
                                  f"fails on purpose")

    async def _supervise(self, client: aiohttp.ClientSession, shard: int) -> None:
        """Run one sender forever: a sender that fails is logged, counted and restarted."""
        while True:
            try:
                await self._sender(client, shard)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the stack must keep delivering
                self.sender_restarts += 1
                self.sender_error = f"{type(exc).__name__}: {exc}"
                log.error("outbox sender %d failed (restart %d): %s", shard,
                          self.sender_restarts, self.sender_error, exc_info=exc)
                await asyncio.sleep(max(self._cfg.retry_initial_s, 0.01))

    async def run(self) -> None:
        """Run the supervised sender tasks until cancelled."""
        n = len(self._queues)
        connector = aiohttp.TCPConnector(limit=n, keepalive_timeout=KEEPALIVE_S)
        timeout = aiohttp.ClientTimeout(total=self._cfg.timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                         headers={"User-Agent": "carestack"}) as client:
            for wake in self._wakes:
                wake.set()
            senders = [asyncio.create_task(self._supervise(client, i)) for i in range(n)]
            try:
                await asyncio.gather(*senders)
            finally:
                for task in senders:
                    task.cancel()
                await asyncio.gather(*senders, return_exceptions=True)

    def stats(self) -> dict[str, Any]:
        """Delivery counters for ``/stats``."""
        return {"pending": self.pending, "sent": self.sent, "rejected": self.rejected,
                "failed_attempts": self.failed_attempts, "last_error": self.last_error,
                "sender_restarts": self.sender_restarts, "sender_error": self.sender_error}
