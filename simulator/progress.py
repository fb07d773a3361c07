"""A progress line on stderr for long generation runs (``generate``, ``simulate``).

Call the ``StderrProgress`` instance as ``progress(events, now_s, duration_s)``; it redraws
at most every ``interval`` wall seconds, only once the run has taken ``delay`` seconds (short
runs stay quiet), and ``close()`` ends the line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from simulator.scenario.units import format_duration

__all__ = ["StderrProgress"]


class StderrProgress:
    """Throttled ``events generated, scenario time`` display."""

    def __init__(
        self,
        label: str = "generating",
        stream: TextIO | None = None,
        delay: float = 1.0,
        interval: float = 0.5,
    ) -> None:
        self.label, self.stream = label, stream or sys.stderr
        self.delay, self.interval = delay, interval
        self.started = time.monotonic()
        self._last = 0.0
        self._shown = False

    def __call__(self, events: int, now: float, end: float) -> None:
        wall = time.monotonic()
        if wall - self.started < self.delay or wall - self._last < self.interval:
            return
        self._last = wall
        self._shown = True
        pct = 100.0 * now / end if end else 100.0
        rate = events / max(wall - self.started, 1e-9)
        tty = self.stream.isatty()
        line = (
            f"{self.label}: {events:,} events, scenario {format_duration(now)}/"
            f"{format_duration(end)} ({pct:.0f}%), {rate:,.0f} events/s"
        )
        self.stream.write("\r" + line if tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Finish the line if anything was drawn."""
        if self._shown and self.stream.isatty():
            self.stream.write("\n")
            self.stream.flush()
