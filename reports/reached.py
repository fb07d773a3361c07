"""The posts that reached the platform: a run's events without those reactions prevented.

A prevented post (status -3 in a drill's ``sends.npz``, listed in ``reactions.json``
``prevented_rows`` in simulate) was cancelled by the team's answers before it was due: it
never existed on the platform, so no figure is computed over it (it needs no answer, is not
scored, has no sentiment). ``reached(...)`` drops those rows from the events, the send arrays
and the actions' event indexes, and returns what reports need to know about them:
``ReachedInfo`` (how many, their times, and each kept row's row in events.jsonl).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simulator.runfolder import PREVENTED

__all__ = ["ReachedInfo", "prevented_mask", "reached"]



@dataclass(frozen=True)
class ReachedInfo:
    """What was dropped: prevented count and times; ``rows`` maps kept rows to file rows."""

    prevented: int
    prevented_t: np.ndarray
    rows: np.ndarray


def prevented_mask(n: int, sends: dict[str, np.ndarray] | None,
                   reactions: dict[str, Any] | None) -> np.ndarray:
    """Posts prevented by reactions: status -3 in a drill, ``prevented_rows`` in simulate."""
    if sends is not None and len(sends.get("status", ())) == n:
        return np.asarray(sends["status"]) == PREVENTED
    mask = np.zeros(n, dtype=bool)
    rows = (reactions or {}).get("prevented_rows") or []
    if rows:
        mask[np.asarray(rows, dtype=np.int64)] = True
    return mask


def _take(values: Any, idx: np.ndarray) -> Any:
    if isinstance(values, np.ndarray):
        return values[idx]
    take = getattr(values, "take", None)
    if take is not None:
        return take(idx)
    return [values[i] for i in idx.tolist()]


def reached(events: Any, actions: Any, sends: dict[str, np.ndarray] | None,
            prevented: np.ndarray) -> tuple[Any, Any, dict[str, np.ndarray] | None, ReachedInfo]:
    """Events, actions and sends without the prevented rows (unchanged when there are none)."""
    n = len(events)
    if not prevented.any():
        return events, actions, sends, ReachedInfo(0, np.zeros(0), np.arange(n))
    keep = np.flatnonzero(~prevented)
    changes: dict[str, Any] = {}
    for name in events.__dataclass_fields__:
        value = getattr(events, name)
        if hasattr(value, "codes") and hasattr(value, "names"):
            changes[name] = replace(value, codes=value.codes[keep])
        else:
            changes[name] = _take(value, keep)
    new_index = np.full(n + 1, -1, dtype=np.int64)  # -1 stays -1 (an unmatched action)
    new_index[keep] = np.arange(len(keep))
    actions = replace(actions, event=new_index[actions.event])
    if sends is not None:
        sends = {k: (v[keep] if len(v) == n else v) for k, v in sends.items()}
    info = ReachedInfo(int(prevented.sum()), np.asarray(events.t)[prevented], keep)
    return replace(events, **changes), actions, sends, info
