"""Reading a run folder with pyarrow's JSON reader (one thread), straight to columns.

One explicit schema per file (``EVENT_SCHEMA``: every field of DESIGN.md section 5 an
``EventTable`` holds, plus ``id``; ``ACTION_SCHEMA``); a reader asks for the part it needs
(``TABLE_SCHEMA``, ``REPORT_SCHEMA``, ``ID_SCHEMA``) and everything else in a line is
skipped in C++. ``event_table`` turns the events into an ``EventTable`` (the crowd and
reactions engine); ``events_columns`` / ``actions_columns`` into the columns reports use
(categorical ones dictionary-encoded, action event ids matched by a hash join), so a
1,000,000-event folder loads in seconds. ``read_file`` reads a file: when pyarrow cannot
read it as the schema says (a malformed line, a value of another type), or a value does not
convert (``ArrowFallback``), the line parser (``lines``) parses it and its rows become the
same Arrow table, so that the bad line is named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from simulator.errors import InputError
from simulator.runfolder import lines
from simulator.runfolder.columns import NO_ROUTE, Actions, Categorical, Events
from simulator.runfolder.event_table import EventTable
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = [
    "ACTION_SCHEMA", "EVENT_SCHEMA", "ID_SCHEMA", "REPORT_SCHEMA", "TABLE_SCHEMA", "ArrowFallback",
    "ArrowStrings", "actions_columns", "event_ids", "event_table", "events_columns", "read_file",
]

BLOCK_BYTES = 16 << 20  # pyarrow parses blocks of this size
# one thread: the same CPU as several, less memory, and no contention with a drill's other
# processes on a small machine (bench/generate.py, measured side by side)
T = TypeVar("T")
_AN_EVENT = "an event as in DESIGN.md section 5"


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


def read_file(path: Path, schema: Any, convert: Callable[[Any, Sequence[int] | None], T]) -> T:
    """``convert(table, None)`` of the JSONL file read by pyarrow as ``schema``; when that
    raises ``ArrowFallback``, ``convert(table, line numbers)`` of the same table made from
    the line parser's rows. No file is an empty table."""
    try:
        return convert(_read_table(path, schema), None)
    except ArrowFallback:
        rows, numbers = lines.read_rows(path)
        return convert(_rows_table(rows, numbers, path, schema), numbers)


def _read_table(path: Path, schema: Any) -> Any:
    if not path.exists() or path.stat().st_size == 0:
        return pa.table({f.name: pa.array([], type=f.type) for f in schema})
    try:
        return pj.read_json(
            path,
            read_options=pj.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
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


def _check(ok: Any, what: str, source: Path, numbers: Sequence[int] | None,
           column: Any = None) -> None:
    """Nothing when ``ok`` holds for every row; else ``ArrowFallback`` (a table pyarrow read),
    or with ``numbers`` (the rows' line numbers) an ``InputError`` naming the first bad line."""
    ok = ok.to_numpy()
    if ok.all():
        return
    if numbers is None:
        raise ArrowFallback(what)
    row = int(np.argmin(ok))
    got = f", got {column[row].as_py()!r}" if column is not None else ""
    raise InputError(f"{source}: line {numbers[row]} {what}{got}")


def _ids(table: Any, source: Path, numbers: Sequence[int] | None) -> Any:
    ids = table.column("id")
    _check(pc.is_valid(ids), f"must be {_AN_EVENT}, with an id", source, numbers)
    return ids


def event_ids(table: Any, source: Path, numbers: Sequence[int] | None = None) -> list[str]:
    """The ``id`` of every event of an ``ID_SCHEMA`` table."""
    return list(_ids(table, source, numbers).to_pylist())


def events_columns(
    table: Any, source: Path, numbers: Sequence[int] | None = None
) -> tuple[Events, Any]:
    """A ``REPORT_SCHEMA`` table as ``Events``, plus the Arrow id column (to match actions)."""
    ids, t = _ids(table, source, numbers), table.column("t")
    _check(pc.is_valid(t), f"must be {_AN_EVENT}, with t", source, numbers)
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


def actions_columns(table: Any, event_ids: Any) -> Actions:
    """An ``ACTION_SCHEMA`` table as ``Actions``, event ids matched to event indexes by a
    hash join (-1: no such event)."""
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


def _rows_table(rows: list[Any], numbers: Sequence[int], source: Path, schema: Any) -> Any:
    """Parsed lines (``numbers``: their line numbers) as an Arrow table of ``schema``.

    A line that is not an object, or holds a value of another type than the schema's, is
    an ``InputError`` naming it.
    """
    line = next((n for row, n in zip(rows, numbers, strict=True) if type(row) is not dict), 0)
    if line:
        raise InputError(f"{source}: line {line} must be one JSON object")
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, TypeError, AttributeError):
        what = "an action as in DESIGN.md section 6" if schema is ACTION_SCHEMA else _AN_EVENT
        for row, line in zip(rows, numbers, strict=True):
            try:
                pa.Table.from_pylist([row], schema=schema)
            except (pa.ArrowException, TypeError, AttributeError) as err:
                raise InputError(f"{source}: line {line} must be {what}, got {err}") from err
        raise


def event_table(table: Any, source: Path, numbers: Sequence[int] | None = None) -> EventTable:
    """An ``EventTable`` from a ``TABLE_SCHEMA`` table, every field kept.

    Handles and names are pooled per author (one string each). A value the table cannot
    hold (an unknown channel or intent, an event without t, author or labels.expected) is
    ``ArrowFallback``, or with ``numbers`` (the rows' line numbers) an ``InputError`` naming
    the line.
    """

    def check(ok: Any, what: str, column: Any = None) -> None:
        _check(ok, what, source, numbers, column)

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

    def filled(column: Any, missing: Any, dtype: Any) -> np.ndarray:
        return np.asarray(pc.fill_null(column, missing).to_numpy(), dtype=dtype)

    def pooled(column: Any) -> tuple[np.ndarray, tuple[str, ...]]:
        encoded = column.combine_chunks().dictionary_encode()
        index = pc.fill_null(encoded.indices, -1).to_numpy()
        return index.astype(np.int16), tuple(encoded.dictionary.to_pylist())

    author, labels = table.column("author"), table.column("labels")
    expected = pc.struct_field(labels, "expected")
    check(pc.and_(pc.and_(pc.is_valid(table.column("t")), pc.is_valid(author)),
                  pc.and_(pc.is_valid(labels), pc.is_valid(expected))),
          f"must be {_AN_EVENT}, with t, author and labels.expected")
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
            t=filled(table.column("t"), np.nan, np.float64),
            channel=codes(table.column("channel"), CHANNELS, "channel"),
            kind=codes(table.column("kind"), KINDS, "kind"),
            parent=refs(table.column("parent"), "ev-", "parent"),
            thread=refs(table.column("thread"), "th-", "thread"),
            followers=filled(field(author, "followers"), 0, np.int64),
            verified=filled(field(author, "verified"), False, bool),
            segment=codes(field(author, "segment"), SEGMENTS, "author.segment"),
            customer=refs(field(author, "customer_id"), "C-", "author.customer_id"),
            incident=incident,
            intent=codes(field(labels, "intent"), INTENTS, "labels.intent"),
            emotion=codes(field(labels, "emotion"), EMOTIONS, "labels.emotion"),
            sentiment=filled(field(labels, "sentiment"), 0.0, np.float32),
            route=route,
            tier=filled(field(expected, "tier"), 0, np.int8),
            priority=codes(field(expected, "priority"), PRIORITIES, "labels.expected.priority") + 1,
            respond=filled(field(expected, "respond"), False, bool),
            respond_within_s=filled(field(expected, "respond_within_s"), np.nan, np.float64),
            journey=filled(field(labels, "journey_step"), -1, np.int8),
            follows=refs(field(labels, "follows"), "ev-", "labels.follows"),
            incidents=incidents,
            routes=routes,
            author=code,
        )
        texts = pc.fill_null(table.column("text"), "").to_pylist()
    except (pa.ArrowInvalid, OverflowError) as err:  # a number too large for its column
        if numbers is None:
            raise ArrowFallback(str(err)) from err
        raise InputError(f"{source}: every event must be as in DESIGN.md section 5, got {err}") \
            from err
    events._pools.update(
        handle=handle.take(first).to_numpy(zero_copy_only=False),
        name=name.take(first).to_numpy(zero_copy_only=False),
    )
    events._strings["text"] = texts
    return events
