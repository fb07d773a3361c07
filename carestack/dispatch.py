"""Cases and their queues: one priority queue per (route, tier), p1 first, FIFO within.

``Dispatcher.enqueue(case, prefer)`` hands a case to an idle simulated agent slot that
serves its (route, tier) at once (agent ``prefer``'s own slot first: a reopened case goes
back to its agent when it has a free slot), or queues it. ``take(routes, tier)`` pops the
best queued case over the given routes; ``claim(case)`` takes one chosen case out of its
queue (the console). Removal is lazy: a queue entry whose case has moved on (claimed,
escalated) is skipped.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PRIORITY_RANK", "Case", "Dispatcher"]

PRIORITY_RANK = {"p1": 1, "p2": 2, "p3": 3, "p4": 4}


@dataclass(slots=True)
class Case:
    """One post turned into a case; ``status`` is queued, open, closed or ignored.

    A customer's answer-back reopens the case (``turns``); ``waiting`` holds the event ids
    the customer still waits on an answer to, oldest first (the post itself, then turns).
    """

    event_id: str
    case_id: str
    received_at: float
    channel: str
    handle: str
    followers: int
    text: str
    intent: str
    sentiment: float
    route: str
    tier: int
    priority: str
    status: str = "queued"
    agent: str | None = None
    first_reply_at: float | None = None
    closed_at: float | None = None
    event: str = "{}"
    queue_seq: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    turns: int = 0

    def row(self) -> tuple[Any, ...]:
        """The row stored in SQLite (``store.CASE_COLUMNS`` order)."""
        return (self.event_id, self.case_id, self.received_at, self.channel, self.handle,
                self.followers, self.text, self.intent, self.sentiment, self.route, self.tier,
                self.priority, self.status, self.agent, self.first_reply_at, self.closed_at,
                self.event)

    def public(self) -> dict[str, Any]:
        """The JSON shape of ``GET /cases/{event_id}``."""
        return {"event_id": self.event_id, "case_id": self.case_id, "route": self.route,
                "tier": self.tier, "priority": self.priority, "intent": self.intent,
                "sentiment": self.sentiment, "status": self.status, "agent": self.agent,
                "received_at": self.received_at, "first_reply_at": self.first_reply_at,
                "closed_at": self.closed_at, "channel": self.channel, "handle": self.handle,
                "followers": self.followers, "text": self.text, "turns": self.turns,
                "waiting": list(self.waiting), "history": self.history}


class Dispatcher:
    """Priority queues per (route, tier) plus the idle simulated agents waiting for work."""

    def __init__(self) -> None:
        self._heaps: dict[tuple[str, int], list[tuple[int, int, Case]]] = defaultdict(list)
        self._depth: dict[tuple[str, int], int] = defaultdict(int)
        self._idle: dict[tuple[str, int], list[asyncio.Future[Case]]] = defaultdict(list)
        self._owner: dict[asyncio.Future[Case], str | None] = {}
        self._seq = itertools.count(1)

    def enqueue(self, case: Case, prefer: str | None = None) -> None:
        """Queue ``case`` at its (route, tier), or give it to a waiting idle agent slot
        (one of agent ``prefer``'s first, when it has one waiting)."""
        key = (case.route, case.tier)
        waiting = self._idle.get(key)
        if prefer is not None and waiting:
            for fut in waiting:
                if self._owner.get(fut) == prefer and not fut.done():
                    waiting.remove(fut)
                    case.status = "open"
                    fut.set_result(case)
                    return
        while waiting:
            fut = waiting.pop(0)
            if not fut.done():
                case.status = "open"
                fut.set_result(case)
                return
        case.status = "queued"
        case.queue_seq = next(self._seq)
        heapq.heappush(self._heaps[key], (PRIORITY_RANK[case.priority], case.queue_seq, case))
        self._depth[key] += 1

    @staticmethod
    def _live(entry: tuple[int, int, Case], key: tuple[str, int]) -> bool:
        case = entry[2]
        return (case.status == "queued" and case.queue_seq == entry[1]
                and (case.route, case.tier) == key)

    def _top(self, key: tuple[str, int]) -> tuple[int, int, Case] | None:
        heap = self._heaps.get(key)
        while heap and not self._live(heap[0], key):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def take(self, routes: tuple[str, ...], tier: int) -> Case | None:
        """Pop the best queued case for an agent serving ``routes`` at ``tier``."""
        best: tuple[int, int, Case] | None = None
        best_key: tuple[str, int] | None = None
        for route in routes:
            key = (route, tier)
            top = self._top(key)
            if top is not None and (best is None or top[:2] < best[:2]):
                best, best_key = top, key
        if best is None or best_key is None:
            return None
        heapq.heappop(self._heaps[best_key])
        self._depth[best_key] -= 1
        best[2].status = "open"
        return best[2]

    def claim(self, case: Case) -> bool:
        """Take ``case`` out of its queue (lazily); False if it was not queued."""
        if case.status != "queued":
            return False
        self._depth[(case.route, case.tier)] -= 1
        case.status = "open"
        return True

    def wait(self, routes: tuple[str, ...], tier: int,
             owner: str | None = None) -> asyncio.Future[Case]:
        """A future resolved with the next case enqueued for any of ``routes`` at ``tier``;
        ``owner`` is the agent whose slot waits (for ``enqueue(prefer=...)``)."""
        fut: asyncio.Future[Case] = asyncio.get_running_loop().create_future()
        self._owner[fut] = owner
        for route in routes:
            self._idle[(route, tier)].append(fut)
        return fut

    def forget(self, fut: asyncio.Future[Case]) -> None:
        """Drop a waiting agent's future from every idle list (agent stopped or paused)."""
        self._owner.pop(fut, None)
        for waiting in self._idle.values():
            if fut in waiting:
                waiting.remove(fut)

    def queued(self, limit: int = 200) -> list[Case]:
        """Queued cases, best first (priority, then arrival), at most ``limit``."""
        live = [e for key in self._heaps for e in self._heaps[key] if self._live(e, key)]
        return [e[2] for e in heapq.nsmallest(limit, live, key=lambda e: (e[0], e[1]))]

    def depth(self) -> dict[str, dict[str, int]]:
        """Queue depth per route and tier: ``{"care": {"1": 3}, ...}``."""
        out: dict[str, dict[str, int]] = {}
        for (route, tier), n in sorted(self._depth.items()):
            if n:
                out.setdefault(route, {})[str(tier)] = n
        return out
