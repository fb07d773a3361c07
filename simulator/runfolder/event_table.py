"""The event stream: a columnar ``EventTable`` and its JSONL form (DESIGN.md section 5).

Row ``i`` is event ``ev-{i:07d}``; rows are sorted by ``t`` (scenario seconds). Codes index
the vocab tuples (``simulator.scenario.vocab``); ``incident`` and ``route`` index the table's own
pools; -1 means none. String columns (``handle``, ``name``, ``text``) may be lazy: a
generated table renders them on first access (that is where text is made). ``handle`` and
``name`` are kept per author when the table has an ``author`` code (generated tables and
tables ``read_jsonl`` reads): ``pool(name)`` gives the per-author strings, ``strings``
(or the ``handle`` / ``name`` properties) a per-row list, which from then on is the column.
``simulator.runfolder.write_jsonl`` and ``read_jsonl`` round-trip every field.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, SEGMENTS

__all__ = ["EventTable", "event_id", "gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small containers.

    Those objects hold no cycles; without the pause, repeated full collections over the
    growing lists make reading and writing a large stream several times slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def event_id(i: int) -> str:
    return f"ev-{i:07d}"


@dataclass
class EventTable:
    """Columns of equal length, one row per event, sorted by ``t``."""

    t: np.ndarray  # float64 seconds from scenario start
    channel: np.ndarray  # int8 -> CHANNELS
    kind: np.ndarray  # int8 -> KINDS
    parent: np.ndarray  # int64 row of the parent event, -1 for none
    thread: np.ndarray  # int64 thread number
    followers: np.ndarray  # int64
    verified: np.ndarray  # bool
    segment: np.ndarray  # int8 -> SEGMENTS
    customer: np.ndarray  # int64 customer number, -1 anonymous
    incident: np.ndarray  # int16 -> incidents, -1 baseline
    intent: np.ndarray  # int8 -> INTENTS
    emotion: np.ndarray  # int8 -> EMOTIONS
    sentiment: np.ndarray  # float32 in [-1, 1]
    route: np.ndarray  # int16 -> routes
    tier: np.ndarray  # int8
    priority: np.ndarray  # int8: 0 none, 1..4 -> p1..p4
    respond: np.ndarray  # bool
    respond_within_s: np.ndarray  # float64, NaN when no answer is needed
    journey: np.ndarray  # int8 journey step (0 first post), -1 not on a journey
    follows: np.ndarray  # int64 row of the journey post this one follows, -1 none
    incidents: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    # int64 per row: the author's entry in the per-author pools (handle, name), or None.
    # Rows with one code share handle, name, followers, verified, customer and segment.
    author: np.ndarray | None = None
    _strings: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _lazy: dict[str, Callable[[], list[str]]] = field(default_factory=dict, repr=False)
    _pools: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _lazy_pools: dict[str, Callable[[], np.ndarray]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.t)

    def strings(self, name: str) -> list[str]:
        """A string column (``handle``, ``name`` or ``text``) as a list, rendered on first use.

        The list is the column from then on: edits to it are what ``write_jsonl`` writes.
        """
        if name not in self._strings:
            pool = self.pool(name)
            if pool is not None:
                assert self.author is not None
                self._strings[name] = pool[self.author].tolist()
                self._pools.pop(name)
            elif name in self._lazy:
                with gc_paused():
                    self._strings[name] = self._lazy.pop(name)()
            else:
                raise KeyError(name)
        return self._strings[name]

    def pool(self, name: str) -> np.ndarray | None:
        """Per-author strings (``handle``, ``name``) indexed by ``author``, an object array.

        None when the table has no pool for it, or the column was already turned into a
        list by ``strings`` (which may have been edited since).
        """
        if self.author is None or name in self._strings:
            return None
        if name not in self._pools:
            if name not in self._lazy_pools:
                return None
            self._pools[name] = self._lazy_pools.pop(name)()
        return self._pools[name]

    @property
    def handle(self) -> list[str]:
        return self.strings("handle")

    @property
    def name(self) -> list[str]:
        return self.strings("name")

    @property
    def text(self) -> list[str]:
        return self.strings("text")

    def ids(self) -> list[str]:
        return [event_id(i) for i in range(len(self))]

    def names(self, column: str) -> np.ndarray:
        """A code column decoded to names (object array), e.g. ``names("intent")``."""
        pools = {
            "channel": CHANNELS,
            "kind": KINDS,
            "segment": SEGMENTS,
            "intent": INTENTS,
            "emotion": EMOTIONS,
            "incident": self.incidents,
            "route": self.routes,
        }
        pool = np.array(list(pools[column]) + [None], dtype=object)
        return pool[getattr(self, column)]
