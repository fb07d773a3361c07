"""A run folder as reports see it: its columns without the posts reactions prevented.

load_run(run_dir) reads the folder through simulator.runfolder (the one reader of
its files) and returns a RunData: the events and actions as parallel arrays, the
replay, sends and team recordings when present (None otherwise), and what
reports.reached dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reports.reached import prevented_mask, reached
from simulator.runfolder import Actions, Events, read_columns, read_json, read_sends

__all__ = ["RunData", "load_run"]


@dataclass(frozen=True)
class RunData:
    """Everything reports/ reads from a run folder."""

    run_dir: Path
    events: Events
    actions: Actions
    replay: dict[str, Any] | None = None
    sends: dict[str, np.ndarray] | None = None
    team: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_run(run_dir: Path) -> RunData:
    """Read events, actions and the optional replay/sends/team recordings of a run."""
    run_dir = Path(run_dir)
    events, actions = read_columns(run_dir)
    sends = read_sends(run_dir / "sends.npz")
    reactions = read_json(run_dir / "reactions.json")
    events, actions, sends, info = reached(events, actions, sends,
                                           prevented_mask(len(events), sends, reactions))
    return RunData(
        run_dir=run_dir,
        events=events,
        actions=actions,
        replay=read_json(run_dir / "replay.json"),
        sends=sends,
        team=read_json(run_dir / "team.json"),
        extra={"reactions": reactions, "reached": info},
    )
