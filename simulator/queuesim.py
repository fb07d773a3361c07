"""A resumable one-tier queue simulation: the kernel of the simulated staffing search.

The same rules as one tier of ``simulator.team`` (priority then FIFO, an agent leaving at a
staffing cut finishes the case in hand, customers abandon after their patience), written as
a plain event loop over heaps so the state can be copied at an interval boundary and the
next interval tried with several agent counts (common random numbers: every candidate sees
the same arrivals, handle times and patience). Abandonment is resolved lazily when an agent
would pick the post up, which gives the same outcomes as scheduling it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Arrivals", "QueueState", "run_interval"]


@dataclass(frozen=True)
class Arrivals:
    """Posts reaching one tier, sorted by ``t``; ``answer`` marks posts the SL counts."""

    t: np.ndarray
    priority: np.ndarray
    answer: np.ndarray
    handle: np.ndarray
    patience: np.ndarray

    def window(self, start: float, end: float) -> list[tuple[float, int, bool, float, float]]:
        """The posts arriving in ``[start, end)`` as plain tuples for the event loop."""
        lo, hi = np.searchsorted(self.t, [start, end], side="left")
        return list(
            zip(
                self.t[lo:hi].tolist(),
                self.priority[lo:hi].tolist(),
                self.answer[lo:hi].tolist(),
                self.handle[lo:hi].tolist(),
                self.patience[lo:hi].tolist(),
                strict=True,
            )
        )


@dataclass
class QueueState:
    """Agents' finish times (heap) and the waiting posts (heap), at time ``now``."""

    now: float = 0.0
    busy: list[float] = field(default_factory=list)
    # (priority, arrival order, arrived at, abandons at, handle time, scored 0/1)
    queue: list[tuple[int, int, float, float, float, int]] = field(default_factory=list)
    seq: int = 0

    def copy(self) -> QueueState:
        return QueueState(self.now, list(self.busy), list(self.queue), self.seq)

    def backlog(self) -> int:
        """Posts waiting now that have not yet abandoned."""
        return sum(1 for q in self.queue if q[3] >= self.now)


def run_interval(
    state: QueueState,
    posts: list[tuple[float, int, bool, float, float]],
    agents: int,
    end: float,
    within_s: float,
    score: bool,
) -> tuple[int, int]:
    """Advance ``state`` to ``end`` with ``agents`` on duty, feeding ``posts`` (sorted).

    With ``score`` the run goes on past ``end`` (no new arrivals, same agents) until every
    post of ``posts`` has started or can no longer start within ``within_s``, and returns
    ``(hits, counted)``: posts needing an answer started within ``within_s``, and how many
    needed one. ``state`` is modified in place (copy it first to try a candidate).
    """
    busy, queue = state.busy, state.queue
    hits = counted = 0
    limit = end + within_s if score else end
    i, n = 0, len(posts)
    # agents newly on duty take waiting posts at once
    now = state.now
    while len(busy) < agents and queue:
        h = _pop_valid(queue, now)
        if h is None:
            break
        hits += h[0]
        heapq.heappush(busy, now + h[1])
    while True:
        t_arr = posts[i][0] if i < n else math.inf
        t_fin = busy[0] if busy else math.inf
        t = min(t_arr, t_fin)
        if t >= limit:
            break
        if t_arr <= t_fin:
            at, prio, answer, handle, patience = posts[i]
            i += 1
            if answer and score:
                counted += 1
            flag = 1 if (answer and score) else 0
            if len(busy) < agents:
                hits += flag
                heapq.heappush(busy, at + handle)
            else:
                state.seq += 1
                heapq.heappush(queue, (prio, state.seq, at, at + patience, handle, flag))
        else:
            heapq.heappop(busy)
            if len(busy) < agents:
                h = _pop_valid(queue, t, within_s)
                if h is not None:
                    hits += h[0]
                    heapq.heappush(busy, t + h[1])
    state.now = end
    return hits, counted


def _pop_valid(
    queue: list[tuple[int, int, float, float, float, int]], now: float, within_s: float = math.inf
) -> tuple[int, float] | None:
    """Pop the next post still waiting at ``now``: (scored hit 0/1, its handle time)."""
    while queue:
        _, _, at, deadline, handle, flag = heapq.heappop(queue)
        if deadline >= now:
            return (1 if flag and now - at <= within_s else 0), handle
    return None
