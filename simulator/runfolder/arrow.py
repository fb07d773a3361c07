"""Reading a run folder with pyarrow's multithreaded JSON reader, straight to columns.

One explicit schema per file (``EVENT_SCHEMA``: every field of DESIGN.md section 5 an
``EventTable`` holds, plus ``id``; ``ACTION_SCHEMA``); everything else in a line is skipped
in C++. ``event_table`` turns the events into an ``EventTable`` (the crowd and reactions
engine); ``read_events`` reads only the ``REPORT_SCHEMA`` columns reports use, dictionary-
encodes the categorical ones and matches action event ids with a hash join, so a
1,000,000-event folder loads in seconds. Any file pyarrow cannot read as expected (a
malformed line, a field of an unexpected type) raises ``ArrowFallback``: the caller reads
it again with the line parser (``lines``), whose rows ``rows_table`` turns into the same
Arrow table, so that a bad value is reported with its line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from simulator.errors import InputError
from simulator.runfolder.columns import NO_ROUTE, Actions, Categorical, Events
from simulator.runfolder.event_table import EventTable
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = [
    "ACTION_SCHEMA", "EVENT_SCHEMA", "REPORT_SCHEMA", "TABLE_SCHEMA", "ArrowFallback",
    "ArrowStrings", "event_table", "read_actions", "read_events", "read_ids", "read_table",
    "rows_table",
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
_AUTHOR = pa.struct(
    [
        ("handle", pa.string()),
        ("name", pa.string()),
        ("followers", pa.int64()),
        ("verified", pa.bool_()),
        ("customer_id", pa.string()),
        ("segment", pa.string()),
    ]
)
_LABELS = pa.struct(
    [
        ("intent", pa.string()),
        ("emotion", pa.string()),
        ("sentiment", pa.float64()),
        ("journey_step", pa.int64()),
        ("follows", pa.string()),
        ("expected", _EXPECTED),
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("t", pa.float64()),
        ("channel", pa.string()),
        ("kind", pa.string()),
        ("parent", pa.string()),
        ("thread", pa.string()),
        ("author", _AUTHOR),
        ("text", pa.string()),
        ("incident", pa.string()),
        ("labels", _LABELS),
    ]
)
# the parts of it an ``EventTable`` holds (rows are numbered, not named) and reports use
TABLE_SCHEMA = EVENT_SCHEMA.remove(EVENT_SCHEMA.get_field_index("id"))
REPORT_SCHEMA = pa.schema(
    [EVENT_SCHEMA.field(k) for k in ("id", "t", "channel", "incident", "thread", "text")]
    + [("labels", pa.struct([_LABELS.field(k) for k in ("intent", "sentiment", "expected")]))]
)
ID_SCHEMA = pa.schema([EVENT_SCHEMA.field("id")])
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


def read_table(path: Path, schema: Any) -> Any:
    """The JSONL file as an Arrow table of ``schema`` (``ArrowFallback`` when it is not)."""
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
    table = read_table(path, REPORT_SCHEMA)
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
    ids = read_table(path, ID_SCHEMA).column("id")
    if ids.null_count:
        raise ArrowFallback("an event without id")
    return list(ids.to_pylist())


def read_actions(path: Path, event_ids: Any) -> Actions:
    """actions.jsonl as ``Actions``, event ids matched to event indexes by a hash join."""
    table = read_table(path, ACTION_SCHEMA)
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


def rows_table(rows: list[Any], lines: Sequence[int], source: Path, schema: Any) -> Any:
    """Parsed lines (``lines``: their numbers) as an Arrow table of ``schema``.

    A line that is not an object, or holds a value of another type than the schema's, is
    an ``InputError`` naming it.
    """
    line = next((n for row, n in zip(rows, lines, strict=True) if type(row) is not dict), 0)
    if line:
        raise InputError(f"{source}: line {line} must be one JSON object")
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, TypeError, AttributeError):
        for row, line in zip(rows, lines, strict=True):
            try:
                pa.Table.from_pylist([row], schema=schema)
            except (pa.ArrowException, TypeError, AttributeError) as err:
                raise InputError(
                    f"{source}: line {line} must be an object as in DESIGN.md sections 5 and 6, "
                    f"got {err}"
                ) from err
        raise


def event_table(table: Any, source: Path, lines: Sequence[int] | None = None) -> EventTable:
    """An ``EventTable`` from a ``TABLE_SCHEMA`` table, every field kept.

    Handles and names are pooled per author (one string each). A value the table cannot
    hold (an unknown channel or intent, an event without t, author or labels.expected) is
    ``ArrowFallback``, or with ``lines`` (the rows' line numbers) an ``InputError`` naming
    the line.
    """

    def check(ok: Any, what: str, column: Any = None) -> None:
        ok = ok.to_numpy()
        if ok.all():
            return
        if lines is None:
            raise ArrowFallback(what)
        row = int(np.argmin(ok))
        got = f", got {column[row].as_py()!r}" if column is not None else ""
        raise InputError(f"{source}: line {lines[row]} {what}{got}")

    def codes(column: Any, vocab: tuple[str, ...], what: str) -> np.ndarray:
        index = pc.index_in(column, value_set=pa.array(vocab))
        check(pc.or_(pc.is_valid(index), pc.is_null(column)),
              f"{what} must be one of {', '.join(vocab)}", column)
        return np.asarray(pc.fill_null(index, -1).to_numpy(), dtype=np.int8)

    def refs(column: Any, prefix: str, what: str) -> np.ndarray:
        present = pc.fill_null(pc.not_equal(column, ""), False)
        digits = pc.utf8_slice_codeunits(column, len(prefix))
        check(pc.or_(pc.invert(present), pc.fill_null(pc.utf8_is_digit(digits), False)),
              f"{what} must be like {prefix}0000123", column)
        return np.asarray(pc.cast(pc.if_else(present, digits, "-1"), pa.int64()).to_numpy())

    def numbers(column: Any, missing: Any, dtype: Any) -> np.ndarray:
        return np.asarray(pc.fill_null(column, missing).to_numpy(), dtype=dtype)

    def pooled(column: Any) -> tuple[np.ndarray, tuple[str, ...]]:
        encoded = column.combine_chunks().dictionary_encode()
        index = pc.fill_null(encoded.indices, -1).to_numpy()
        return index.astype(np.int16), tuple(encoded.dictionary.to_pylist())

    author, labels = table.column("author"), table.column("labels")
    expected = pc.struct_field(labels, "expected")
    check(pc.and_(pc.and_(pc.is_valid(table.column("t")), pc.is_valid(author)),
                  pc.and_(pc.is_valid(labels), pc.is_valid(expected))),
          "must be an event with t, author and labels.expected as in DESIGN.md section 5")
    field = pc.struct_field
    try:
        handle, name = (pc.fill_null(field(author, k), "") for k in ("handle", "name"))
        who = pc.binary_join_element_wise(handle, name, "\x00").combine_chunks()
        encoded = who.dictionary_encode()
        code = np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
        first = np.empty(len(encoded.dictionary), dtype=np.int64)
        first[code] = np.arange(len(code))  # a row of each author (any: they agree)
        incident, incidents = pooled(table.column("incident"))
        route, routes = pooled(pc.fill_null(field(expected, "route"), NO_ROUTE))
        events = EventTable(
            t=numbers(table.column("t"), np.nan, np.float64),
            channel=codes(table.column("channel"), CHANNELS, "channel"),
            kind=codes(table.column("kind"), KINDS, "kind"),
            parent=refs(table.column("parent"), "ev-", "parent"),
            thread=refs(table.column("thread"), "th-", "thread"),
            followers=numbers(field(author, "followers"), 0, np.int64),
            verified=numbers(field(author, "verified"), False, bool),
            segment=codes(field(author, "segment"), SEGMENTS, "author.segment"),
            customer=refs(field(author, "customer_id"), "C-", "author.customer_id"),
            incident=incident,
            intent=codes(field(labels, "intent"), INTENTS, "labels.intent"),
            emotion=codes(field(labels, "emotion"), EMOTIONS, "labels.emotion"),
            sentiment=numbers(field(labels, "sentiment"), 0.0, np.float32),
            route=route,
            tier=numbers(field(expected, "tier"), 0, np.int8),
            priority=codes(field(expected, "priority"), PRIORITIES, "priority") + 1,
            respond=numbers(field(expected, "respond"), False, bool),
            respond_within_s=numbers(field(expected, "respond_within_s"), np.nan, np.float64),
            journey=numbers(field(labels, "journey_step"), -1, np.int8),
            follows=refs(field(labels, "follows"), "ev-", "labels.follows"),
            incidents=incidents,
            routes=routes,
            author=code,
        )
        texts = pc.fill_null(table.column("text"), "").to_pylist()
    except (pa.ArrowInvalid, OverflowError) as err:  # a number too large for its column
        if lines is None:
            raise ArrowFallback(str(err)) from err
        raise InputError(
            f"{source}: every event must be as in DESIGN.md section 5, got {err}"
        ) from err
    events._pools.update(
        handle=handle.take(first).to_numpy(zero_copy_only=False),
        name=name.take(first).to_numpy(zero_copy_only=False),
    )
    events._strings["text"] = texts
    return events
