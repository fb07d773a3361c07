"""The end of a drill: wait for the stack's last answers, bounded by the posts' own deadlines.

After the last send, a post that needs an answer and is still within its deadline is neither
met nor missed yet. By default the drill waits until every delivered post that needs an answer
has one (a reply or message in ``actions.jsonl``) or the last such post's deadline has passed;
``--grace`` / ``drill.grace`` (scenario time after the last send) caps the wait, and posts still
within their deadline then are reported open at the end (reports/scope.py). The wait shows on
the progress line and ends at once on Ctrl-C, SIGTERM or the facilitator's End. With the
embedded reference stack it also ends as soon as nobody is left to answer (every simulated agent
off shift and idle): nothing can change any more, so the outcome is taken as known until the
wait's end, and the posts whose deadline falls before it are scored as missed.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from simulator.runfolder import ActionTail

__all__ = ["AnswerWait"]

ANSWERS = ("reply", "message")
POLL_S = 0.5
SETTLE_S = 0.5  # wall seconds after the last send for the stack's last actions to arrive
STAFF_CHECK_S = 2.0  # wall seconds between asks whether anybody is left to answer


class AnswerWait:
    """Which delivered posts still wait for an answer, and until when the drill waits."""

    def __init__(self, events: list[dict[str, Any]], accepted: np.ndarray, speed: float,
                 start_wall: float, shift_s: float, last_offset_s: float,
                 grace_s: float | None) -> None:
        self.speed = speed
        self.deadline_wall: dict[str, float] = {}
        for k in np.flatnonzero(accepted).tolist():
            expected = (events[k].get("labels") or {}).get("expected") or {}
            within = expected.get("respond_within_s")
            if expected.get("respond") and isinstance(within, int | float) \
                    and math.isfinite(within):
                due = (float(events[k]["t"]) + float(within)) / speed + shift_s
                self.deadline_wall[str(events[k]["id"])] = start_wall + due
        self.settle_wall = start_wall + last_offset_s + shift_s + SETTLE_S
        last_due = max(self.deadline_wall.values(), default=self.settle_wall)
        self.end_wall = max(self.settle_wall, last_due)
        if grace_s is not None:
            self.end_wall = min(self.end_wall,
                                start_wall + last_offset_s + shift_s + grace_s / speed)
        self.open = set(self.deadline_wall)
        self._tail: ActionTail | None = None

    def _read_answers(self, actions: Path) -> None:
        """Drop from ``open`` the posts answered in the new lines of actions.jsonl."""
        if self._tail is None:
            self._tail = ActionTail(actions)
        for action in self._tail.new():
            if action.get("action") in ANSWERS:
                self.open.discard(str(action.get("event_id")))

    def wait(self, actions: Path, stop: Any,
             can_answer: Callable[[], bool] | None = None) -> float:
        """Block until every post is answered or the wait's end, whichever is first; return
        the wall time until which the outcome is known.

        ``can_answer`` (asked every few seconds after the settle time) ends the wait early
        when it says nobody is left to answer; the outcome is then known until the wait's
        end, since no answer can come before it."""
        tty = sys.stderr.isatty()
        last_print = last_check = 0.0
        while not stop.is_set():
            self._read_answers(actions)
            now = time.time()
            if now >= self.end_wall or (not self.open and now >= self.settle_wall):
                break
            if can_answer is not None and now >= self.settle_wall \
                    and now - last_check >= STAFF_CHECK_S:
                last_check = now
                if not can_answer():
                    self._read_answers(actions)
                    print(f"{chr(10) if tty else ''}nobody on shift is left to answer: the "
                          f"{len(self.open)} posts still waiting are scored as they stand at "
                          f"the end of the wait", file=sys.stderr, flush=True)
                    return max(self.end_wall, time.time())
            if now - last_print >= (1.0 if tty else 10.0):
                last_print = now
                left = self.end_wall - now
                line = (f"waiting for answers: {len(self.open)} of {len(self.deadline_wall)} "
                        f"delivered posts still within their deadline; the wait ends in "
                        f"{left:.0f}s ({left * self.speed:.0f}s of scenario time) or when all "
                        f"are answered (Ctrl-C ends it: they are reported open)")
                print(("\r" + line + "   ") if tty else line, end="" if tty else "\n",
                      file=sys.stderr, flush=True)
            stop.wait(min(POLL_S, max(self.end_wall - now, 0.01)))
        return time.time()
