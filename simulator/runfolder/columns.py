"""A run folder's events and actions as numpy columns (what reports compute over).

``Events`` and ``Actions`` are parallel arrays, one entry per line of ``events.jsonl`` /
``actions.jsonl``; categorical fields are ``Categorical`` (codes plus a name list).
``simulator.runfolder.read.read_columns`` fills them (pyarrow, or the line parser).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NO_ROUTE", "Actions", "Categorical", "Events", "factorize"]

NO_ROUTE = "none"


@dataclass(frozen=True)
class Categorical:
    """Integer codes into ``names``; the numpy-friendly form of a string column."""

    codes: np.ndarray
    names: list[str]

    def index(self, name: str) -> int:
        """The code of ``name``, or -1 when it never occurs."""
        try:
            return self.names.index(name)
        except ValueError:
            return -1

    def mask(self, name: str) -> np.ndarray:
        return self.codes == self.index(name)

    def values(self) -> np.ndarray:
        """The column as an object array of strings (for small selections)."""
        return np.asarray(self.names, dtype=object)[self.codes] if self.names else np.array([])


@dataclass(frozen=True)
class Events:
    """The storm, one entry per event in events.jsonl order."""

    ids: list[str]
    t: np.ndarray
    channel: Categorical
    incident: Categorical  # "" when the event belongs to no incident
    thread: Categorical
    intent: Categorical
    sentiment: np.ndarray
    route: Categorical  # expected route, "none" when no response is needed
    tier: np.ndarray  # expected tier, 0 when none
    priority: Categorical  # expected priority, "" when none
    respond: np.ndarray  # bool: the post needs an answer
    respond_within_s: np.ndarray  # NaN when no deadline
    text: Sequence[str]  # a list, or Arrow-backed (``arrow.ArrowStrings``)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Actions:
    """What the stack did, one entry per action in arrival order."""

    event: np.ndarray  # index into Events, -1 when the event_id matched nothing
    action: Categorical
    route: Categorical  # "" when the action carried none
    tier: np.ndarray  # -1 when the action carried none
    priority: Categorical
    agent: Categorical  # "" when no agent was named
    at: np.ndarray

    def __len__(self) -> int:
        return len(self.at)


def factorize(values: list[Any], fill: str = "") -> Categorical:
    """Codes and first-seen-ordered names of a list of hashables; None and "" become ``fill``.

    Uses ``map`` over C-level dict methods (no Python frame per value): each value's
    code is first the position where it was first seen, then made dense.
    """
    index: dict[Any, int] = {}
    first_seen = np.fromiter(
        map(index.setdefault, values, itertools.count()), dtype=np.int64, count=len(values)
    )
    if not index:
        return Categorical(np.zeros(0, dtype=np.int32), [])
    positions = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    raw_names = [fill if k is None or k == "" else str(k) for k in index]
    dense_of = {name: i for i, name in enumerate(dict.fromkeys(raw_names))}
    names = list(dense_of)
    lut_names = np.fromiter(
        map(dense_of.__getitem__, raw_names), dtype=np.int32, count=len(raw_names)
    )
    dense = np.searchsorted(positions, first_seen)  # positions are increasing
    return Categorical(lut_names[dense], names)
