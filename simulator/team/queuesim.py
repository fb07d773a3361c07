"""A resumable one-tier queue simulation: the kernel of the simulated staffing search.

The same rules as one tier of ``simulator.team.model`` (priority then FIFO, an agent leaving at a
staffing cut finishes the case in hand, customers abandon after their patience), written as
a plain event loop so the state can be copied at an interval boundary and the next interval
tried with several agent counts (common random numbers: every candidate sees the same
arrivals, handle times and patience). Abandonment is resolved lazily when an agent would
pick the post up, which gives the same outcomes as scheduling it.

Why it is cheap to copy: priority-then-FIFO is one FIFO per priority, and a post is only
ever taken from the head of its FIFO. Every post fed is appended to its priority's log (a
post served at once is appended and consumed: an idle agent means every FIFO is empty), so
copies of one state fed the same posts append the same items. The logs are therefore shared
between copies, append-only, and a state is its agents' finish times plus a head and a tail
position per priority: copying it costs O(agents + priorities), however long the backlog
(a storm's unanswered noise can reach tens of thousands of posts).

Digital care (docs/staffing.md): ``concurrency`` slots per agent, so ``agents *
concurrency`` threads run at once; a thread started while ``b`` threads are busy (it
included) is stretched by ``1 + slowdown * (ceil(b / agents) - 1)``, the threads per agent
when the load is spread evenly (the team model tracks each agent; with ``slowdown: 0`` the
two are the same M/M/(c*N) queue). Private posts (``Arrivals.private``, when the team has
per-class service levels) queue at ``PRIVATE_OFFSET + priority``, after every public FIFO,
and start only while fewer than ``max_occupancy`` of the slots are busy; they are scored
against their own ``within``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Arrivals", "Classes", "PRIVATE_OFFSET", "Post", "QueueState", "run_interval"]

MAX_PRIORITY = 63  # priorities are small non-negative ints (p1..p4, 5 for noise)
PRIVATE_OFFSET = 8  # a private post's FIFO: after every public one (p1..p4 and noise)

# (arrived at, priority, needs an answer, handle time, patience)
Post = tuple[float, int, bool, float, float]


@dataclass(frozen=True)
class Arrivals:
    """Posts reaching one tier, sorted by ``t``; ``answer`` marks posts the SL counts.

    ``private`` (None: all public) marks deferred posts (per-class service levels).
    """

    t: np.ndarray
    priority: np.ndarray
    answer: np.ndarray
    handle: np.ndarray
    patience: np.ndarray
    private: np.ndarray | None = None

    def window(self, start: float, end: float) -> list[Post]:
        """The posts arriving in ``[start, end)`` as plain tuples for the event loop.

        A private post's priority is its FIFO, ``PRIVATE_OFFSET + priority``.
        """
        lo, hi = np.searchsorted(self.t, [start, end], side="left")
        prio = self.priority[lo:hi]
        if self.private is not None:
            prio = np.where(self.private[lo:hi], prio + PRIVATE_OFFSET, prio)
        return list(
            zip(
                self.t[lo:hi].tolist(),
                prio.tolist(),
                self.answer[lo:hi].tolist(),
                self.handle[lo:hi].tolist(),
                self.patience[lo:hi].tolist(),
                strict=True,
            )
        )


@dataclass(frozen=True)
class Classes:
    """Private posts' service level (``within``, ``target``) and the occupancy cap."""

    private_within_s: float
    private_target: float
    max_occupancy: float


@dataclass
class QueueState:
    """Agents' finish times (heap) and the waiting posts, at time ``now``.

    The posts waiting at priority ``p`` are ``logs[p][heads[p]:tails[p]]`` (abandoners
    included until an agent reaches them). ``logs`` is shared with copies (module docstring).
    """

    now: float = 0.0
    busy: list[float] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    tails: list[int] = field(default_factory=list)
    logs: list[list[Post]] = field(default_factory=list)

    def copy(self) -> QueueState:
        """An independent state (the logs are shared, append-only)."""
        return QueueState(self.now, list(self.busy), list(self.heads), list(self.tails), self.logs)

    def backlog(self) -> int:
        """Posts waiting now that have not yet abandoned."""
        now = self.now
        return sum(
            1
            for p, log in enumerate(self.logs)
            for post in log[self._at(self.heads, p) : self._at(self.tails, p)]
            if post[0] + post[4] >= now
        )

    @staticmethod
    def _at(xs: list[int], p: int) -> int:
        return xs[p] if p < len(xs) else 0

    def _append(self, post: Post, marks: list[int]) -> None:
        """Queue ``post`` at the tail of its priority's FIFO (shared log when it agrees)."""
        p = post[1]
        if not 0 <= p <= MAX_PRIORITY:
            raise ValueError(f"priority must be in 0..{MAX_PRIORITY}, got {p}")
        logs, heads, tails = self.logs, self.heads, self.tails
        while len(logs) <= p:
            logs.append([])
        while len(tails) < len(logs):
            heads.append(0)
            tails.append(0)
            marks.append(0)
        log, t = logs[p], tails[p]
        if t == len(log):
            log.append(post)
        elif log[t] is not post and log[t] != post:
            self._diverge(marks)
            self.logs[p].append(post)
        tails[p] += 1

    def _diverge(self, marks: list[int]) -> None:
        """This state was fed other posts than a copy sharing its logs: take private logs."""
        heads, tails = self.heads, self.tails
        self.logs = [log[heads[p] : tails[p]] for p, log in enumerate(self.logs[: len(tails)])]
        for p in range(len(tails)):
            marks[p] = max(0, marks[p] - heads[p])
            tails[p] -= heads[p]
            heads[p] = 0

    def _pop(self, now: float, top: int) -> Post | None:
        """Take the next post still waiting at ``now`` from FIFOs below ``top``.

        ``run_interval`` inlines this on its hot path.
        """
        logs, heads, tails = self.logs, self.heads, self.tails
        for p in range(min(top, len(tails))):
            h, t = heads[p], tails[p]
            if h == t:
                continue
            log = logs[p]
            while h < t:
                post = log[h]
                h += 1
                if post[0] + post[4] >= now:
                    heads[p] = h
                    return post
            heads[p] = h
        return None


def run_interval(
    state: QueueState,
    posts: list[Post],
    agents: int,
    end: float,
    within_s: float,
    score: bool,
    concurrency: int = 1,
    slowdown: float = 0.0,
    classes: Classes | None = None,
) -> tuple[int, int, int, int]:
    """Advance ``state`` to ``end`` with ``agents`` on duty, feeding ``posts`` (sorted).

    With ``score`` the run goes on past ``end`` (no new arrivals, same agents) until every
    post of ``posts`` has started or can no longer start within its class's wait, and returns
    ``(hits, counted)`` per class: posts needing an answer started within ``within_s`` (or
    ``classes.private_within_s``), and how many needed one; public first, then private
    (zeros without ``classes``; private posts are then scored as public). ``state`` is
    modified in place (copy it first to try a candidate).
    """
    # The hot loop: FIFO appends and pops are inlined (QueueState._append/_pop are the
    # slow paths) because this runs once per post per candidate agent count.
    busy = state.busy
    push, pop = heapq.heappush, heapq.heappop
    marks = list(state.tails)  # where this call's posts start in each FIFO's log
    hits = counted = hits_p = counted_p = 0
    within_p = classes.private_within_s if classes is not None else within_s
    cap = classes.max_occupancy * agents * concurrency if classes is not None else math.inf
    limit = end + max(within_s, within_p) if score else end
    stretch = slowdown if concurrency > 1 and agents > 0 else 0.0
    slots = agents * concurrency
    i, n = 0, len(posts)
    # agents newly on duty take waiting posts at once (none of them is fresh)
    now = state.now
    while len(busy) < slots:
        got = state._pop(now, MAX_PRIORITY + 1 if len(busy) < cap else PRIVATE_OFFSET)
        if got is None:
            break
        work = got[3]
        if stretch:
            work *= 1.0 + stretch * (-(-(len(busy) + 1) // agents) - 1)
        push(busy, now + work)
    logs, heads, tails = state.logs, state.heads, state.tails
    free = slots - len(busy)  # slots on duty and idle (negative: some leave when done)
    top = len(tails)
    t_arr = posts[0][0] if n else math.inf
    while True:
        t_fin = busy[0] if busy else math.inf
        if t_arr <= t_fin:
            if t_arr >= limit:
                break
            post = posts[i]
            i += 1
            p = post[1]
            if p < top and tails[p] == len(logs[p]):
                logs[p].append(post)
                tails[p] += 1
            elif p < top and logs[p][tails[p]] is post:
                tails[p] += 1
            else:
                state._append(post, marks)
                logs, top = state.logs, len(tails)
            # public FIFOs are empty while a slot is free; private ones may wait for the cap
            now_starts = free > 0 and (p < PRIVATE_OFFSET or len(busy) < cap)
            if post[2] and score:
                if p >= PRIVATE_OFFSET and classes is not None:
                    counted_p += 1
                    hits_p += now_starts
                else:
                    counted += 1
                    hits += now_starts
            if now_starts:
                heads[p] = tails[p]
                work = post[3]
                if stretch:
                    work *= 1.0 + stretch * (-(-(len(busy) + 1) // agents) - 1)
                push(busy, t_arr + work)
                free -= 1
            t_arr = posts[i][0] if i < n else math.inf
        else:
            if t_fin >= limit:
                break
            pop(busy)
            free += 1
            if free <= 0:
                continue
            stop = top if len(busy) < cap else min(top, PRIVATE_OFFSET)
            for p in range(stop):
                h, t = heads[p], tails[p]
                if h == t:
                    continue
                log = logs[p]
                while h < t:
                    nxt = log[h]
                    h += 1
                    if nxt[0] + nxt[4] >= t_fin:  # still waiting: an agent takes it
                        heads[p] = h
                        if score and h > marks[p] and nxt[2]:
                            if p >= PRIVATE_OFFSET and classes is not None:
                                hits_p += t_fin - nxt[0] <= within_p
                            else:
                                hits += t_fin - nxt[0] <= within_s
                        work = nxt[3]
                        if stretch:
                            work *= 1.0 + stretch * (-(-(len(busy) + 1) // agents) - 1)
                        push(busy, t_fin + work)
                        free -= 1
                        break
                else:
                    heads[p] = h
                    continue
                break
    state.now = end
    return hits, counted, hits_p, counted_p
