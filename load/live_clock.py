"""The storm's clock in a live drill: pause and resume shift the whole remaining schedule.

Event ``k`` is due at ``start + offsets[k] + paused``, where ``paused`` is the total wall
time the facilitator held the storm. On resume the sender's origin (``Sender.shift_origin``) and
the platform endpoint's start move forward by the pause, so events keep their relative
spacing, latency is measured from the *shifted* intended time and actions' ``at`` stay in
scenario time. Runs in the drill's gevent loop: call it from greenlets, not threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
from gevent.event import Event

__all__ = ["StormClock"]

POLL_S = 0.05  # how often a waiting send rechecks pause and stop (a live drill runs at speed 1)
EARLY_S = 0.0002


class StormClock:
    """Pause/resume state plus the hooks that move the schedule's origin."""

    def __init__(self) -> None:
        self.paused_total_s = 0.0
        self._paused_at: float | None = None
        self._sender: Any = None
        self.on_shift: list[Callable[[float], None]] = []  # called with the new start wall

        self.start_wall: float | None = None
        self.running = Event()
        self.running.set()

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    @property
    def sender(self) -> Any:
        """The bound sender (None before the replay starts)."""
        return self._sender

    def bind(self, sender: Any) -> None:
        """The sender whose origin a resume moves forward (``Sender.shift_origin``)."""
        self._sender = sender

    def started(self, start_wall: float) -> None:
        """Record the replay's wall-clock start (the replay's ``start`` hook)."""
        self.start_wall = start_wall

    def elapsed_wall(self, now: float | None = None) -> float:
        """Wall seconds of storm played so far: since the start, minus every pause."""
        if self.start_wall is None:
            return 0.0
        now = time.time() if now is None else now
        held = self.paused_total_s + ((now - self._paused_at) if self._paused_at else 0.0)
        return max(0.0, now - self.start_wall - held)

    def pause(self) -> bool:
        """Hold the storm; False when it was already paused."""
        if self.paused:
            return False
        self._paused_at = time.time()
        self.running.clear()
        return True

    def resume(self) -> float:
        """Release the storm; returns the seconds it was held (0 when it was not paused)."""
        if self._paused_at is None:
            return 0.0
        held = time.time() - self._paused_at
        self._paused_at = None
        self.paused_total_s += held
        if self._sender is not None:
            self._sender.shift_origin(held)
        if self.start_wall is not None:
            for hook in self.on_shift:
                hook(self.start_wall + self.paused_total_s)
        self.running.set()
        return held

    def wait_due(self, sender: Any, offset: float, stop: Event) -> bool:
        """Block until the event at ``offset`` is due (pauses included); False on stop."""
        while True:
            if stop.is_set():
                return False
            if not self.running.is_set():
                self.running.wait(POLL_S)
                continue
            delay = sender.origin + offset - time.monotonic()
            if delay <= EARLY_S:
                return True
            if stop.wait(min(delay, POLL_S)):
                return False
            gevent.sleep(0)
