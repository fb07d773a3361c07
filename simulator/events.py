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

WRITE_CHUNK = 50_000
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
    _strings: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _lazy: dict[str, Callable[[], list[str]]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.t)

    def strings(self, name: str) -> list[str]:
        """A string column (``handle``, ``name`` or ``text``), rendered on first use."""
        if name not in self._strings:
            if name not in self._lazy:
                raise KeyError(name)
            with gc_paused():
                self._strings[name] = self._lazy.pop(name)()
        return self._strings[name]

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
    order), built column-wise: low-cardinality parts come from small pools of pre-encoded
    fragments, strings are JSON-encoded a chunk at a time, and ``WRITE_CHUNK`` rows are joined
    and written at once, so memory stays bounded whatever the table's length.
    """
    with gc_paused():
        return _write_jsonl(table, path)


def _json_strings(values: list[str]) -> list[str]:
    """JSON-encode many strings at once (quotes included).

    Splitting orjson's array on ``","`` is exact: inside an encoded string every ``"`` is
    preceded by a backslash, so that sequence only ever separates two elements.
    """
    if not values:
        return []
    body = orjson.dumps(values).decode()[2:-2]
    return [f'"{v}"' for v in body.split('","')]


def _pooled(codes: np.ndarray, make: Callable[[int], str]) -> list[str]:
    """One fragment per row for a low-cardinality code column (``make`` called per code)."""
    uniq, inverse = np.unique(codes, return_inverse=True)
    pool = np.array([make(int(u)) for u in uniq], dtype=object)
    return pool[inverse.reshape(-1)].tolist()


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _ref_fragments(values: np.ndarray, prefix: str, width: int) -> list[str]:
    return [f'"{prefix}{v:0{width}d}"' if v >= 0 else "null" for v in values.tolist()]


def _write_jsonl(table: EventTable, path: Path | str) -> int:
    n = len(table)
    if n > 1 and bool(np.any(np.diff(table.t) < 0)):
        raise ValueError("event table is not sorted by t")
    handle, name, text = table.handle, table.name, table.text
    names = {col: table.names(col) for col in ("channel", "kind", "segment", "incident")}
    names.update(intent=table.names("intent"), emotion=table.names("emotion"))
    routes = table.names("route")
    prio_pool = [None, *PRIORITIES]
    # within: codes over its distinct values (NaN -> null), for the pooled "expected" part
    within_values, within_code = np.unique(table.respond_within_s, return_inverse=True)
    within_code = within_code.reshape(-1)
    n_within = max(len(within_values), 1)
    with open(path, "wb") as out:
        for lo in range(0, n, WRITE_CHUNK):
            hi = min(n, lo + WRITE_CHUNK)
            out.write(
                _chunk_lines(
                    table,
                    lo,
                    hi,
                    handle,
                    name,
                    text,
                    names,
                    routes,
                    prio_pool,
                    within_values,
                    within_code,
                    n_within,
                )
            )
    return n


def _chunk_lines(  # noqa: PLR0913
    table: EventTable,
    lo: int,
    hi: int,
    handle: list[str],
    name: list[str],
    text: list[str],
    names: dict[str, np.ndarray],
    routes: np.ndarray,
    prio_pool: list[str | None],
    within_values: np.ndarray,
    within_code: np.ndarray,
    n_within: int,
) -> bytes:
    """The JSONL bytes of rows ``lo:hi``."""
    sl = slice(lo, hi)
    m = hi - lo
    # code columns are shifted by one so that -1 (none) is code 0, written as null
    nk = len(KINDS) + 1
    ck = (table.channel[sl].astype(np.int64) + 1) * nk + table.kind[sl] + 1
    head = _pooled(
        ck,
        lambda c: (
            f',"channel":{_dumps(_NONE_CHANNELS[c // nk])},'
            f'"kind":{_dumps(_NONE_KINDS[c % nk])},"parent":'
        ),
    )
    seg = (table.segment[sl].astype(np.int64) + 1) * 2 + table.verified[sl]
    verified = _pooled(
        seg,
        lambda c: (
            ',"verified":true,"customer_id":' if c % 2 else ',"verified":false,"customer_id":'
        ),
    )
    segment = _pooled(seg, lambda c: f',"segment":{_dumps(_NONE_SEGMENTS[c // 2])}}},"text":')
    n_em, n_in = len(EMOTIONS) + 1, len(INTENTS) + 1
    lab = ((table.incident[sl].astype(np.int64) + 1) * n_in + table.intent[sl] + 1) * n_em
    lab += table.emotion[sl].astype(np.int64) + 1
    incidents = (None, *table.incidents)
    labels = _pooled(
        lab,
        lambda c: (
            ',"lang":"en","incident":'
            + _dumps(incidents[c // (n_in * n_em)])
            + ',"labels":{"intent":'
            + _dumps(_NONE_INTENTS[c // n_em % n_in])
            + ',"emotion":'
            + _dumps(_NONE_EMOTIONS[c % n_em])
            + ',"sentiment":'
        ),
    )
    route = table.route[sl].astype(np.int64) + 1
    exp_code = (
        ((route * 256 + table.tier[sl] + 128) * 8 + table.priority[sl]) * 2 + table.respond[sl]
    ) * n_within + within_code[sl]
    route_pool = (None, *table.routes)

    def expected(c: int) -> str:
        w = c % n_within
        rest = c // n_within
        respond, rest = rest % 2, rest // 2
        prio, rest = rest % 8, rest // 8
        tier, r = rest % 256 - 128, rest // 256
        within = float(within_values[w]) if len(within_values) else float("nan")
        return (
            ',"expected":'
            + _dumps(
                {
                    "route": route_pool[r],
                    "tier": tier,
                    "priority": prio_pool[prio],
                    "respond": bool(respond),
                    "respond_within_s": None if within != within else within,
                }
            )
            + "}}"
        )

    exp = _pooled(exp_code, expected)
    journey = table.journey[sl].tolist()
    cols: list[list[str] | list[Any] | range] = [
        [f'{{"id":"ev-{i:07d}","t":' for i in range(lo, hi)],
        list(map(repr, np.round(table.t[sl], 3).tolist())),
        head,
        _ref_fragments(table.parent[sl], "ev-", 7),
        [f',"thread":"th-{v:07d}","author":{{"handle":' for v in table.thread[sl].tolist()],
        _json_strings(handle[sl]),
        [',"name":'] * m,
        _json_strings(name[sl]),
        [',"followers":'] * m,
        list(map(str, table.followers[sl].tolist())),
        verified,
        _ref_fragments(table.customer[sl], "C-", 6),
        segment,
        _json_strings(text[sl]),
        labels,
        list(map(repr, (np.round(table.sentiment[sl].astype(np.float64), 3) + 0.0).tolist())),
        [',"journey_step":'] * m,
        ["null" if j < 0 else str(j) for j in journey],
        [',"follows":'] * m,
        _ref_fragments(table.follows[sl], "ev-", 7),
        exp,
        ["\n"] * m,
    ]
    grid = np.empty((m, len(cols)), dtype=object)
    for k, col in enumerate(cols):
        grid[:, k] = col
    return "".join(grid.ravel().tolist()).encode()


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
