"""One tier's live state in the care-team model: its queues and its agents' thread slots."""

from __future__ import annotations

from collections import deque

from simulator.scenario.roster import Tier

__all__ = ["QUEUE_LEVELS", "TierState"]

QUEUE_LEVELS = 6  # priorities 0..5 (p1..p4, then noise); more are added on demand


class TierState:
    """One tier's queues and agents.

    ``ready[j]`` holds the on-duty agents holding ``j`` threads (``j < concurrency``), as
    insertion-ordered sets (the last one in is picked first, as the idle stack was).
    ``duty`` counts on-duty agents not marked to leave; ``release`` of them leave at their
    next finished thread; ``leaving`` agents finish their threads and take no new ones.
    """

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self.slots = tier.concurrency
        # one FIFO of visits per priority (p1 first), abandoners removed lazily; private work
        # waits in ``deferred`` when the team has per-class service levels
        self.queues: list[deque[int]] = [deque() for _ in range(QUEUE_LEVELS)]
        self.deferred: list[deque[int]] = [deque() for _ in range(QUEUE_LEVELS)]
        self.ready: list[dict[str, None]] = [{} for _ in range(self.slots)]
        self.load: dict[str, int] = {}
        self.leaving: dict[str, None] = {}
        self.offline: list[str] = []
        self.made = 0
        self.duty = 0
        self.release = 0
        self.busy = 0  # threads in hand
