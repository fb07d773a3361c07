"""Reading a run folder with pyarrow's multithreaded JSON reader, straight to columns.

Reads only the fields reports/ uses (an explicit schema; everything else in a line is
skipped in C++), dictionary-encodes the categorical columns and matches action event ids
with a hash join, so a 1,000,000-event folder loads in seconds. Any file pyarrow cannot
read as expected (a malformed line, a field of an unexpected type) raises ``ArrowFallback``
and ``read.read_columns`` reads it again with the line parser, which names the bad line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from simulator.runfolder.columns import NO_ROUTE, Actions, Categorical, Events

__all__ = [
    "ACTION_SCHEMA", "EVENT_SCHEMA", "ArrowFallback", "ArrowStrings", "read_actions", "read_events",
    "read_ids",
]

BLOCK_BYTES = 16 << 20  # pyarrow parses blocks of this size in parallel


class ArrowFallback(Exception):
    """pyarrow could not read the file as the contract describes; use the orjson path."""


class ArrowStrings(Sequence[str]):
    """Read-only string column kept in Arrow memory; ``[i]`` gives a Python str ("" for null)."""

    def __init__(self, column: Any) -> None:
        self._column = column

    def __len__(self) -> int:
        return len(self._column)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [v or "" for v in self._column[i].to_pylist()]
        return self._column[int(i)].as_py() or ""

    def take(self, rows: Any) -> ArrowStrings:
        """The strings at ``rows`` (an integer array), still in Arrow memory."""
        return ArrowStrings(self._column.take(rows))


_EXPECTED = pa.struct(
    [
        ("route", pa.string()),
        ("tier", pa.int64()),
        ("priority", pa.string()),
        ("respond", pa.bool_()),
        ("respond_within_s", pa.float64()),
    ]
)
_LABELS = pa.struct(
    [("intent", pa.string()), ("sentiment", pa.float64()), ("expected", _EXPECTED)]
)
# the fields reports use; everything else in a line is skipped in C++
EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("t", pa.float64()),
        ("channel", pa.string()),
        ("incident", pa.string()),
        ("thread", pa.string()),
        ("text", pa.string()),
        ("labels", _LABELS),
    ]
)
ID_SCHEMA = pa.schema([("id", pa.string())])
ACTION_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("action", pa.string()),
        ("route", pa.string()),
        ("tier", pa.int64()),
        ("priority", pa.string()),
        ("agent", pa.string()),
        ("at", pa.float64()),
    ]
)


def _read(path: Path, schema: Any) -> Any:
    if path.stat().st_size == 0:
        return pa.table({f.name: pa.array([], type=f.type) for f in schema})
    try:
        return pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=BLOCK_BYTES),
            parse_options=pj.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
        raise ArrowFallback(str(err)) from err


def _categorical(column: Any, fill: str = "") -> Categorical:
    column = pc.fill_null(column, fill)
    if fill:
        column = pc.if_else(pc.equal(column, ""), fill, column)
    encoded = column.combine_chunks().dictionary_encode() if len(column) else None
    if encoded is None:
        return Categorical(np.zeros(0, dtype=np.int32), [])
    return Categorical(encoded.indices.to_numpy().astype(np.int32), encoded.dictionary.to_pylist())


def _floats(column: Any, default: float) -> np.ndarray:
    if not np.isnan(default):
        column = pc.fill_null(column, default)
    return np.asarray(column.to_numpy(), dtype=np.float64)


def read_events(path: Path) -> tuple[Events, Any]:
    """events.jsonl as ``Events`` plus the Arrow id column (for matching actions)."""
    table = _read(path, EVENT_SCHEMA)
    ids, t = table.column("id"), table.column("t")
    if ids.null_count or t.null_count:
        raise ArrowFallback("an event without id or t")
    labels = table.column("labels")
    expected = pc.struct_field(labels, "expected")
    thread = pc.coalesce(table.column("thread"), ids)
    events = Events(
        ids=ids.to_pylist(),
        t=_floats(t, np.nan),
        channel=_categorical(table.column("channel")),
        incident=_categorical(table.column("incident")),
        thread=_categorical(thread),
        intent=_categorical(pc.struct_field(labels, "intent")),
        sentiment=_floats(pc.struct_field(labels, "sentiment"), np.nan),
        route=_categorical(pc.struct_field(expected, "route"), NO_ROUTE),
        tier=_floats(pc.struct_field(expected, "tier"), 0.0).astype(np.int16),
        priority=_categorical(pc.struct_field(expected, "priority")),
        respond=pc.fill_null(pc.struct_field(expected, "respond"), False).to_numpy().astype(bool),
        respond_within_s=_floats(pc.struct_field(expected, "respond_within_s"), np.nan),
        text=ArrowStrings(table.column("text")),
    )
    return events, ids


def read_ids(path: Path) -> list[str]:
    """The ``id`` of every line of events.jsonl (the rest of each line is skipped in C++)."""
    ids = _read(path, ID_SCHEMA).column("id")
    if ids.null_count:
        raise ArrowFallback("an event without id")
    return list(ids.to_pylist())


def read_actions(path: Path, event_ids: Any) -> Actions:
    """actions.jsonl as ``Actions``, event ids matched to event indexes by a hash join."""
    table = _read(path, ACTION_SCHEMA)
    event = pc.fill_null(pc.index_in(table.column("event_id"), value_set=event_ids), -1)
    return Actions(
        event=np.asarray(event.to_numpy(), dtype=np.int64),
        action=_categorical(table.column("action")),
        route=_categorical(table.column("route")),
        tier=_floats(table.column("tier"), -1.0).astype(np.int16),
        priority=_categorical(table.column("priority")),
        agent=_categorical(table.column("agent")),
        at=_floats(table.column("at"), np.nan),
    )
