"""Reading a run folder: the events and actions as columns, and the JSON and numpy files.

``read_jsonl(path)`` reads ``events.jsonl`` into an ``EventTable`` (every field) and
``read_columns(run_dir)`` reads ``events.jsonl`` and ``actions.jsonl`` with pyarrow and an
explicit schema (``arrow``); a file pyarrow cannot read as the schema says is read again by
the line parser (``lines``), which names the file and the bad line. ``read_json`` reads
``replay.json``, ``team.json``, ``reactions.json`` (None when absent); ``read_sends``
reads ``sends.npz``. pyarrow is imported on the first read, so a process that only writes
(``generate``, ``simulate``) does not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.runfolder import lines
from simulator.runfolder.columns import Actions, Events
from simulator.runfolder.event_table import EventTable, gc_paused

__all__ = [
    "count_actions_on", "read_columns", "read_event_ids", "read_json", "read_jsonl", "read_sends",
]


def read_jsonl(path: Path | str) -> EventTable:
    """An events file (any valid DESIGN.md section 5 JSONL) as an ``EventTable``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: must be an existing events file, got no such file")
    from simulator.runfolder import arrow

    with gc_paused():
        try:
            return arrow.event_table(arrow.read_table(path, arrow.TABLE_SCHEMA), path)
        except arrow.ArrowFallback:
            rows, numbers = lines.read_rows(path)
            table = arrow.rows_table(rows, numbers, path, arrow.TABLE_SCHEMA)
            return arrow.event_table(table, path, numbers)


def read_columns(run_dir: Path) -> tuple[Events, Actions]:
    """The folder's events and actions (no ``actions.jsonl``: no actions)."""
    events_path, actions_path = Path(run_dir) / "events.jsonl", Path(run_dir) / "actions.jsonl"
    if not events_path.exists():
        raise InputError(f"{events_path}: must be a readable file, got no such file")
    from simulator.runfolder import arrow  # pyarrow (~35 MB) only for the runs that read

    try:
        events, ids = arrow.read_events(events_path)
    except arrow.ArrowFallback:
        events = lines.read_events(events_path)
        return events, lines.read_actions(actions_path, list(events.ids))
    if not actions_path.exists():
        return events, lines.read_actions(actions_path, [])
    try:
        return events, arrow.read_actions(actions_path, ids)
    except arrow.ArrowFallback:
        return events, lines.read_actions(actions_path, list(events.ids))


def read_event_ids(path: Path) -> list[str]:
    """The event ids of ``events.jsonl``, in file order."""
    from simulator.runfolder import arrow

    try:
        return arrow.read_ids(Path(path))
    except arrow.ArrowFallback:
        return [str(e.get("id")) for e in lines.read_event_dicts(Path(path))]


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
