"""The event stream: a columnar ``EventTable`` and its JSONL form (DESIGN.md section 5).

Row ``i`` is event ``ev-{i:07d}``; rows are sorted by ``t`` (scenario seconds). Codes index
the vocab tuples (``simulator.vocab``); ``incident`` and ``route`` index the table's own
pools; -1 means none. String columns (``handle``, ``name``, ``text``) may be lazy: a
generated table renders them on first access (that is where text is made), a table read
from JSONL holds them already. ``write_jsonl`` and ``read_jsonl`` round-trip every field.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["EventTable", "event_id", "read_jsonl", "write_jsonl"]

READ_CHUNK = 50_000
_NONE_CHANNELS, _NONE_KINDS = (None, *CHANNELS), (None, *KINDS)
_NONE_SEGMENTS, _NONE_INTENTS, _NONE_EMOTIONS = (
    (None, *SEGMENTS),
    (None, *INTENTS),
    (None, *EMOTIONS),
)


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

    def per_row(self, name: str) -> np.ndarray:
        """A string column as an object array, without fixing it as a list when pooled."""
        pool = self.pool(name)
        if pool is not None:
            assert self.author is not None
            return pool[self.author]
        return np.array(self.strings(name), dtype=object)

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


def _customer_id(number: int) -> str | None:
    return None if number < 0 else f"C-{number:06d}"


def write_jsonl(table: EventTable, path: Path | str) -> int:
    """Write one JSON object per event (DESIGN.md section 5); return the count written.

    The bytes are those of ``orjson.dumps`` on each event's dict (compact, keys in section 5
    order), built column-wise in bounded chunks (``simulator.jsonl_write``).
    """
    from simulator.jsonl_write import write_table

    with gc_paused():
        return write_table(table, path)


def _codes(
    values: Sequence[Any], pool: tuple[str, ...], what: str, source: str, before: int = 0
) -> np.ndarray:
    """Map names to int8 codes (None -> -1); an unknown name is an InputError naming the line."""
    lookup: dict[Any, int] = {name: i for i, name in enumerate(pool)}
    lookup[None] = -1
    try:
        return np.array(list(map(lookup.__getitem__, values)), dtype=np.int8)
    except (KeyError, TypeError):
        for i, v in enumerate(values):
            if not isinstance(v, str | None) or v not in lookup:
                raise InputError(
                    f"{source}: line {before + i + 1} {what} must be one of {', '.join(pool)}, "
                    f"got {v!r}"
                ) from None
        raise


def _pool_codes(values: list[Any]) -> tuple[np.ndarray, tuple[str, ...]]:
    pool: dict[Any, int] = {}
    codes = [-1 if v is None else pool.setdefault(v, len(pool)) for v in values]
    return np.array(codes, dtype=np.int64), tuple(pool)


def _ref(value: str | None, prefix: str) -> int:
    return int(value[len(prefix) :]) if value else -1


def read_jsonl(path: Path | str) -> EventTable:
    """Read an ``events.jsonl`` back into a table; ``InputError`` names a bad line."""
    with gc_paused():
        return _read_jsonl(path)


def _parse_lines(lines: list[bytes], first: int, source: str) -> list[Any]:
    """Parse one chunk of lines (``first`` is the first line's number); skip blank lines.

    All lines go through one ``map(orjson.loads, ...)``; only if that fails is the chunk
    parsed again line by line, to name the bad line.
    """
    kept = [ln for ln in lines if ln and not ln.isspace()]
    try:
        return list(map(orjson.loads, kept))
    except orjson.JSONDecodeError:
        pass
    rows = []
    for lineno, line in enumerate(lines, first):
        if line.strip():
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as err:
                raise InputError(
                    f"{source}: line {lineno} must be a JSON object, got {err}"
                ) from err
    return rows


def _read_jsonl(path: Path | str) -> EventTable:
    path = Path(path)
    source = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: must be an existing events file, got no such file") from None
    lines = data.splitlines()
    del data
    parts: list[dict[str, Any]] = []
    done = 0
    for lo in range(0, len(lines), READ_CHUNK):
        rows = _parse_lines(lines[lo : lo + READ_CHUNK], lo + 1, source)
        parts.append(_columns(rows, source, done))
        done += len(rows)
    del lines
    if not parts:
        parts.append(_columns([], source, 0))
    cat: dict[str, Any] = {
        k: (
            np.concatenate([p[k] for p in parts])
            if isinstance(parts[0][k], np.ndarray)
            else [v for p in parts for v in p[k]]
        )
        for k in parts[0]
    }
    incident, incidents = _pool_codes(cat.pop("incident_names"))
    route, routes = _pool_codes(cat.pop("route_names"))
    strings = {k: cat.pop(k) for k in ("handle", "name", "text")}
    table = EventTable(
        **cat,
        incident=incident.astype(np.int16),
        route=route.astype(np.int16),
        incidents=incidents,
        routes=routes,
    )
    table._strings.update(strings)
    return table


def _transpose(rows: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows of tuples to columns (``width`` empty columns for no rows)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _numbers(values: Sequence[Any], dtype: type, missing: float) -> np.ndarray:
    """Numbers (None -> ``missing``) as ``dtype``."""
    arr = np.array(values, dtype=np.float64)
    arr[np.isnan(arr)] = missing
    return arr.astype(dtype)


def _refs(values: Sequence[Any], prefix: int) -> np.ndarray:
    """``ev-0000123``-style references to their numbers; None or empty -> -1."""
    return np.array([int(v[prefix:]) if v else -1 for v in values], dtype=np.int64)


def _columns(rows: list[Any], source: str, before: int) -> dict[str, Any]:
    """Column arrays of parsed rows; ``before`` rows came earlier (for line numbers)."""
    try:
        # one pass per nesting level (transposed with zip): each dict is visited while hot
        (t, channel, kind, parent, thread, text, incident, authors, labels) = _transpose(
            [
                (
                    r["t"],
                    r["channel"],
                    r["kind"],
                    r.get("parent"),
                    r.get("thread"),
                    r.get("text"),
                    r.get("incident"),
                    r["author"],
                    r["labels"],
                )
                for r in rows
            ],
            9,
        )
        (handle, name, followers, verified, customer, segment) = _transpose(
            [
                (
                    a.get("handle"),
                    a.get("name"),
                    a.get("followers"),
                    a.get("verified"),
                    a.get("customer_id"),
                    a.get("segment"),
                )
                for a in authors
            ],
            6,
        )
        (intent, emotion, sentiment, journey, follows, expected) = _transpose(
            [
                (
                    x["intent"],
                    x["emotion"],
                    x.get("sentiment"),
                    x.get("journey_step"),
                    x.get("follows"),
                    x["expected"],
                )
                for x in labels
            ],
            6,
        )
        (route, tier, priority, respond, within) = _transpose(
            [
                (
                    e.get("route"),
                    e.get("tier"),
                    e.get("priority"),
                    e.get("respond"),
                    e.get("respond_within_s"),
                )
                for e in expected
            ],
            5,
        )
        cols: dict[str, Any] = {
            "t": np.array(t, dtype=np.float64),
            "parent": _refs(parent, 3),
            "thread": _refs(thread, 3),
            "followers": _numbers(followers, np.int64, 0),
            "verified": np.array(verified, dtype=bool),
            "customer": _refs(customer, 2),
            "sentiment": _numbers(sentiment, np.float32, 0.0),
            "tier": _numbers(tier, np.int8, 0),
            "respond": np.array(respond, dtype=bool),
            "respond_within_s": np.array(within, dtype=np.float64),
            "journey": _numbers(journey, np.int8, -1),
            "follows": _refs(follows, 3),
            "handle": [v or "" for v in handle],
            "name": [v or "" for v in name],
            "text": [v or "" for v in text],
            "incident_names": list(incident),
            "route_names": [v or "none" for v in route],
        }
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        bad = next((i for i, r in enumerate(rows) if not _looks_like_event(r)), 0)
        raise InputError(
            f"{source}: line {before + bad + 1} must be an event, got {err!r}"
        ) from err
    cols["channel"] = _codes(channel, CHANNELS, "channel", source, before)
    cols["kind"] = _codes(kind, KINDS, "kind", source, before)
    cols["segment"] = _codes(segment, SEGMENTS, "author.segment", source, before)
    cols["intent"] = _codes(intent, INTENTS, "labels.intent", source, before)
    cols["emotion"] = _codes(emotion, EMOTIONS, "labels.emotion", source, before)
    prio = _codes(priority, PRIORITIES, "priority", source, before)
    cols["priority"] = (prio + 1).astype(np.int8)
    return cols


def _looks_like_event(r: Any) -> bool:
    try:
        return bool(
            isinstance(r, dict)
            and r["author"] is not None
            and r["labels"]["expected"] is not None
            and "t" in r
        )
    except (KeyError, TypeError):
        return False
