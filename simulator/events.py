"""The event stream: a columnar ``EventTable`` and its JSONL form (DESIGN.md section 5).

Row ``i`` is event ``ev-{i:07d}``; rows are sorted by ``t`` (scenario seconds). Codes index
the vocab tuples (``simulator.vocab``); ``incident`` and ``route`` index the table's own
pools; -1 means none. String columns (``handle``, ``name``, ``text``) may be lazy: a
generated table renders them on first access (that is where text is made), a table read
from JSONL holds them already. ``write_jsonl`` and ``read_jsonl`` round-trip every field.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["EventTable", "event_id", "read_jsonl", "write_jsonl"]

WRITE_CHUNK = 20_000


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
    """Write one JSON object per event (DESIGN.md section 5); return the count written."""
    with gc_paused():
        return _write_jsonl(table, path)


def _write_jsonl(table: EventTable, path: Path | str) -> int:
    n = len(table)
    if n > 1 and bool(np.any(np.diff(table.t) < 0)):
        raise ValueError("event table is not sorted by t")
    cols = {
        "t": np.round(table.t, 3).tolist(),
        "parent": table.parent.tolist(),
        "thread": table.thread.tolist(),
        "followers": table.followers.tolist(),
        "verified": table.verified.tolist(),
        "customer": table.customer.tolist(),
        "sentiment": (np.round(table.sentiment.astype(np.float64), 3) + 0.0).tolist(),
        "tier": table.tier.tolist(),
        "respond": table.respond.tolist(),
        "within": table.respond_within_s.tolist(),
        "journey": table.journey.tolist(),
        "follows": table.follows.tolist(),
    }
    channel, kind = table.names("channel").tolist(), table.names("kind").tolist()
    segment, incident = table.names("segment").tolist(), table.names("incident").tolist()
    intent, emotion = table.names("intent").tolist(), table.names("emotion").tolist()
    route = table.names("route").tolist()
    prio_pool = [None, *PRIORITIES]
    priority = [prio_pool[p] for p in table.priority.tolist()]
    handle, name, text = table.handle, table.name, table.text
    with open(path, "wb") as out:
        buf: list[bytes] = []
        for i in range(n):
            parent, within, step = cols["parent"][i], cols["within"][i], cols["journey"][i]
            follows = cols["follows"][i]
            record = {
                "id": event_id(i),
                "t": cols["t"][i],
                "channel": channel[i],
                "kind": kind[i],
                "parent": event_id(parent) if parent >= 0 else None,
                "thread": f"th-{cols['thread'][i]:07d}",
                "author": {
                    "handle": handle[i],
                    "name": name[i],
                    "followers": cols["followers"][i],
                    "verified": cols["verified"][i],
                    "customer_id": f"C-{cust:06d}" if (cust := cols["customer"][i]) >= 0 else None,
                    "segment": segment[i],
                },
                "text": text[i],
                "lang": "en",
                "incident": incident[i],
                "labels": {
                    "intent": intent[i],
                    "emotion": emotion[i],
                    "sentiment": cols["sentiment"][i],
                    "journey_step": step if step >= 0 else None,
                    "follows": event_id(follows) if follows >= 0 else None,
                    "expected": {
                        "route": route[i],
                        "tier": cols["tier"][i],
                        "priority": priority[i],
                        "respond": cols["respond"][i],
                        "respond_within_s": None if within != within else within,
                    },
                },
            }
            buf.append(orjson.dumps(record))
            if len(buf) >= WRITE_CHUNK:
                out.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            out.write(b"\n".join(buf) + b"\n")
    return n


def _codes(
    rows: list[Any], get: Callable[[Any], Any], pool: tuple[str, ...], what: str, source: str
) -> np.ndarray:
    """Map names to codes (None -> -1); an unknown name is an InputError naming the line."""
    lookup: dict[Any, int] = {name: i for i, name in enumerate(pool)}
    lookup[None] = -1
    try:
        return np.array([lookup[get(r)] for r in rows], dtype=np.int64)
    except KeyError:
        for i, r in enumerate(rows):
            if get(r) not in lookup:
                raise InputError(
                    f"{source}: line {i + 1} {what} must be one of {', '.join(pool)}, "
                    f"got {get(r)!r}"
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


def _read_jsonl(path: Path | str) -> EventTable:
    path = Path(path)
    source = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: must be an existing events file, got no such file") from None
    rows: list[Any] = []
    for lineno, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                rows.append(orjson.loads(line))
            except orjson.JSONDecodeError as err:
                raise InputError(
                    f"{source}: line {lineno} must be a JSON object, got {err}"
                ) from err
    try:
        authors = [r["author"] for r in rows]
        labels = [r["labels"] for r in rows]
        expected = [lab["expected"] for lab in labels]
        t = np.array([float(r["t"]) for r in rows], dtype=np.float64)
        parent = np.array([_ref(r.get("parent"), "ev-") for r in rows], dtype=np.int64)
        thread = np.array([_ref(r.get("thread"), "th-") for r in rows], dtype=np.int64)
        followers = np.array([int(a.get("followers") or 0) for a in authors], dtype=np.int64)
        verified = np.array([bool(a.get("verified")) for a in authors], dtype=bool)
        customer = np.array([_ref(a.get("customer_id"), "C-") for a in authors], dtype=np.int64)
        sentiment = np.array([float(lab.get("sentiment") or 0.0) for lab in labels])
        tier = np.array([int(e.get("tier") or 0) for e in expected], dtype=np.int8)
        respond = np.array([bool(e.get("respond")) for e in expected], dtype=bool)
        within = np.array(
            [
                np.nan if e.get("respond_within_s") is None else float(e["respond_within_s"])
                for e in expected
            ],
            dtype=np.float64,
        )
        journey = np.array(
            [-1 if lab.get("journey_step") is None else int(lab["journey_step"]) for lab in labels],
            dtype=np.int8,
        )
        follows = np.array([_ref(lab.get("follows"), "ev-") for lab in labels], dtype=np.int64)
        handle = [a.get("handle") or "" for a in authors]
        name = [a.get("name") or "" for a in authors]
        text = [r.get("text") or "" for r in rows]
        incident, incidents = _pool_codes([r.get("incident") for r in rows])
        route, routes = _pool_codes([e.get("route") or "none" for e in expected])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        bad = next((i for i, r in enumerate(rows) if not _looks_like_event(r)), 0)
        raise InputError(f"{source}: line {bad + 1} must be an event, got {err!r}") from err
    table = EventTable(
        t=t,
        channel=_codes(rows, lambda r: r["channel"], CHANNELS, "channel", source).astype(np.int8),
        kind=_codes(rows, lambda r: r["kind"], KINDS, "kind", source).astype(np.int8),
        parent=parent,
        thread=thread,
        followers=followers,
        verified=verified,
        segment=_codes(
            authors, lambda a: a.get("segment"), SEGMENTS, "author.segment", source
        ).astype(np.int8),
        customer=customer,
        incident=incident.astype(np.int16),
        intent=_codes(labels, lambda lab: lab["intent"], INTENTS, "labels.intent", source).astype(
            np.int8
        ),
        emotion=_codes(
            labels, lambda lab: lab["emotion"], EMOTIONS, "labels.emotion", source
        ).astype(np.int8),
        sentiment=sentiment.astype(np.float32),
        route=route.astype(np.int16),
        tier=tier,
        priority=(
            _codes(expected, lambda e: e.get("priority"), PRIORITIES, "priority", source) + 1
        ).astype(np.int8),
        respond=respond,
        respond_within_s=within,
        journey=journey,
        follows=follows,
        incidents=incidents,
        routes=routes,
    )
    table._strings.update(handle=handle, name=name, text=text)
    return table


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
