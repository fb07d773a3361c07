"""Reading a run folder: the events and actions as columns, and the JSON and numpy files.

``events.jsonl`` and ``actions.jsonl`` have one reader: pyarrow with an explicit schema
(``arrow``); a file pyarrow cannot read as the schema says is parsed by the line parser
(``lines``) into the same Arrow table, so a bad line is named. ``read_jsonl(path)`` gives
the events as an ``EventTable`` (every field), ``read_columns(run_dir)`` the events and
actions as the columns reports use, ``read_event_ids`` the ids. ``read_json`` reads
``replay.json``, ``team.json``, ``reactions.json`` (None when absent); ``read_sends``
reads ``sends.npz``. pyarrow is imported on the first read, so a process that only writes
(``generate``) does not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.runfolder.columns import Actions, Events
from simulator.runfolder.event_table import EventTable, gc_paused

__all__ = [
    "count_actions_on", "read_columns", "read_event_ids", "read_json", "read_jsonl", "read_sends",
]

def read_jsonl(path: Path | str) -> EventTable:
    """An events file (any valid DESIGN.md section 5 JSONL) as an ``EventTable``."""
    from simulator.runfolder import arrow  # pyarrow (~35 MB) only for the runs that read

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: must be an existing events file, got no such file")
    with gc_paused():
        return arrow.read_file(path, arrow.TABLE_SCHEMA,
                               lambda table, numbers: arrow.event_table(table, path, numbers))


def read_columns(run_dir: Path) -> tuple[Events, Actions]:
    """The folder's events and actions (no ``actions.jsonl``: no actions)."""
    from simulator.runfolder import arrow

    events_path, actions_path = Path(run_dir) / "events.jsonl", Path(run_dir) / "actions.jsonl"
    if not events_path.exists():
        raise InputError(f"{events_path}: must be a readable file, got no such file")
    events, ids = arrow.read_file(
        events_path, arrow.REPORT_SCHEMA,
        lambda table, numbers: arrow.events_columns(table, events_path, numbers))
    return events, arrow.read_file(actions_path, arrow.ACTION_SCHEMA,
                                   lambda table, _: arrow.actions_columns(table, ids))


def read_event_ids(path: Path) -> list[str]:
    """The event ids of ``events.jsonl``, in file order."""
    from simulator.runfolder import arrow

    path = Path(path)
    return arrow.read_file(path, arrow.ID_SCHEMA,
                           lambda table, numbers: arrow.event_ids(table, path, numbers))


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file, or None when it does not exist."""
    if not path.exists():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        raise InputError(f"{path}: must be a JSON object, got {err}") from err
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object, got {type(data).__name__}")
    return data


def read_sends(path: Path) -> dict[str, np.ndarray] | None:
    """``sends.npz``'s arrays by name, or None when it does not exist."""
    if not path.exists():
        return None
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def count_actions_on(path: Path, ids: set[str]) -> int:
    """How many lines of ``actions.jsonl`` act on one of ``ids`` (0 when there is none)."""
    if not path.exists() or not ids:
        return 0
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip() and orjson.loads(line).get("event_id") in ids)
