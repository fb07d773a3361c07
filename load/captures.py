"""Live captures: each accepted answer's captured fields, streamed to the platform endpoint.

The sender calls ``CaptureFeed.add(k, fields)`` as each answer arrives (a list append on the
hot path); a greenlet posts what has accumulated every ``FLUSH_S`` to the platform endpoint
(``/_drill/captures``), which indexes it (``capture.ticket_id`` -> event, for callbacks and
poll templates), appends it to ``captures.jsonl`` and starts polling that case. ``close()``
flushes the rest. Used when the profile has ``callbacks:`` or ``poll:``; with local sending
only (workers in other processes do not stream captures).
"""

from __future__ import annotations

import sys
from typing import Any

import gevent
from gevent.event import Event

__all__ = ["CaptureFeed"]

FLUSH_S = 0.05
BATCH = 2000


class CaptureFeed:
    """Batches captures and posts them to the platform endpoint from a greenlet."""

    def __init__(self, platform: Any, ids: list[str]) -> None:
        self.platform = platform
        self.ids = ids
        self.rows: list[dict[str, Any]] = []
        self.sent = 0
        self.failures = 0
        self._closing = Event()
        self._greenlet = gevent.spawn(self._loop)

    def add(self, k: int, fields: dict[str, Any]) -> None:
        self.rows.append({"event_id": self.ids[k], **fields})

    def _flush(self) -> None:
        while self.rows:
            batch, self.rows = self.rows[:BATCH], self.rows[BATCH:]
            try:
                self.platform.send_captures(batch)
                self.sent += len(batch)
            except OSError as err:
                self.failures += len(batch)
                print(f"\nwarning: {len(batch)} captures did not reach the platform endpoint "
                      f"({err})", file=sys.stderr, flush=True)

    def _loop(self) -> None:
        while not self._closing.wait(FLUSH_S):
            self._flush()

    def close(self) -> None:
        """Flush what is left; a batch being posted is finished first, never cut off."""
        self._closing.set()
        self._greenlet.join()
        self._flush()
