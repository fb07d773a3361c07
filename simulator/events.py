"""The event stream: a columnar ``EventTable`` and its JSONL form (DESIGN.md section 5).

Row ``i`` is event ``ev-{i:07d}``; rows are sorted by ``t`` (scenario seconds). Codes index
the vocab tuples (``simulator.vocab``); ``incident`` and ``route`` index the table's own
pools; -1 means none. String columns (``handle``, ``name``, ``text``) may be lazy: a
generated table renders them on first access (that is where text is made), a table read
from JSONL holds them already. ``write_jsonl`` and ``read_jsonl`` round-trip every field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["EventTable", "event_id", "read_jsonl", "write_jsonl"]

WRITE_CHUNK = 20_000


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


def _code(pool: tuple[str, ...], name: str | None, where: str) -> int:
    if name is None:
        return -1
    try:
        return pool.index(name)
    except ValueError:
        raise InputError(f"{where} must be one of {', '.join(pool)}, got {name!r}") from None


def read_jsonl(path: Path | str) -> EventTable:
    """Read an ``events.jsonl`` back into a table; ``InputError`` names a bad line."""
    path = Path(path)
    rows: list[dict] = []
    try:
        with open(path, "rb") as src:
            for lineno, line in enumerate(src, 1):
                if line.strip():
                    try:
                        rows.append(orjson.loads(line))
                    except orjson.JSONDecodeError as err:
                        raise InputError(
                            f"{path.name}: line {lineno} must be a JSON object, got {err}"
                        ) from err
    except FileNotFoundError:
        raise InputError(f"{path}: must be an existing events file, got no such file") from None
    incidents: dict[str, int] = {}
    routes: dict[str, int] = {}
    n = len(rows)
    cols: dict[str, list] = {k: [] for k in ("channel", "kind", "segment", "intent", "emotion")}
    inc, rte, prio, handle, name, text = [], [], [], [], [], []
    t, parent, thread, followers, verified, customer = [], [], [], [], [], []
    sentiment, tier, respond, within, journey, follows = [], [], [], [], [], []
    try:
        for i, r in enumerate(rows):
            where = f"{path.name}: line {i + 1}"
            a, lab = r["author"], r["labels"]
            exp = lab["expected"]
            t.append(float(r["t"]))
            cols["channel"].append(_code(CHANNELS, r["channel"], f"{where} channel"))
            cols["kind"].append(_code(KINDS, r["kind"], f"{where} kind"))
            cols["segment"].append(_code(SEGMENTS, a.get("segment"), f"{where} author.segment"))
            cols["intent"].append(_code(INTENTS, lab["intent"], f"{where} labels.intent"))
            cols["emotion"].append(_code(EMOTIONS, lab["emotion"], f"{where} labels.emotion"))
            parent.append(int(r["parent"][3:]) if r.get("parent") else -1)
            thread.append(int(str(r.get("thread") or "th-0")[3:] or 0))
            followers.append(int(a.get("followers") or 0))
            verified.append(bool(a.get("verified")))
            cid = a.get("customer_id")
            customer.append(int(cid[2:]) if cid else -1)
            handle.append(a.get("handle") or "")
            name.append(a.get("name") or "")
            text.append(r.get("text") or "")
            name_inc = r.get("incident")
            inc.append(-1 if name_inc is None else incidents.setdefault(name_inc, len(incidents)))
            rte.append(routes.setdefault(exp.get("route") or "none", len(routes)))
            tier.append(int(exp.get("tier") or 0))
            p = exp.get("priority")
            prio.append(0 if p is None else _code(PRIORITIES, p, f"{where} priority") + 1)
            respond.append(bool(exp.get("respond")))
            w = exp.get("respond_within_s")
            within.append(np.nan if w is None else float(w))
            sentiment.append(float(lab.get("sentiment") or 0.0))
            step = lab.get("journey_step")
            journey.append(-1 if step is None else int(step))
            prev = lab.get("follows")
            follows.append(int(prev[3:]) if prev else -1)
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"{path.name}: line {i + 1} must be an event, got {err!r}") from err
    table = EventTable(
        t=np.array(t, dtype=np.float64),
        channel=np.array(cols["channel"], dtype=np.int8),
        kind=np.array(cols["kind"], dtype=np.int8),
        parent=np.array(parent, dtype=np.int64),
        thread=np.array(thread, dtype=np.int64),
        followers=np.array(followers, dtype=np.int64),
        verified=np.array(verified, dtype=bool),
        segment=np.array(cols["segment"], dtype=np.int8),
        customer=np.array(customer, dtype=np.int64),
        incident=np.array(inc, dtype=np.int16),
        intent=np.array(cols["intent"], dtype=np.int8),
        emotion=np.array(cols["emotion"], dtype=np.int8),
        sentiment=np.array(sentiment, dtype=np.float32),
        route=np.array(rte, dtype=np.int16),
        tier=np.array(tier, dtype=np.int8),
        priority=np.array(prio, dtype=np.int8),
        respond=np.array(respond, dtype=bool),
        respond_within_s=np.array(within, dtype=np.float64),
        journey=np.array(journey, dtype=np.int8),
        follows=np.array(follows, dtype=np.int64),
        incidents=tuple(incidents),
        routes=tuple(routes),
    )
    table._strings.update(handle=handle, name=name, text=text)
    assert len(table) == n
    return table
