"""Writing an ``EventTable`` as JSONL (DESIGN.md section 5), column-wise, as bytes.

The bytes are those of ``orjson.dumps`` on each event's dict (compact, keys in section 5
order). Each line is nine pieces, all ``bytes``:

1. ``{"id":"ev-0000123","t":1234`` - ids and the integer part of ``t`` in numpy digits;
2. ``.5,"channel":"twitter","kind":"reply","parent":`` - pooled by fraction, channel, kind;
3. ``"ev-0000042","thread":"th-0000007"`` - references in numpy digits;
4. ``,"author":{...},"text":"`` - pooled per author (or built per row, see below);
5. the text, JSON-encoded by one orjson call per chunk;
6. ``","lang":"en","incident":...,"sentiment":`` - pooled by incident, intent, emotion;
7. ``-0.55,"journey_step":null,"follows":`` - pooled by sentiment and journey step;
8. ``null`` or the followed event's id;
9. ``,"expected":{...}}}`` and the newline - pooled by the whole ``expected`` object.

Pools are built once per table, pieces ``WRITE_CHUNK`` rows at a time and joined with one
``bytes.join``. A table whose handle or name column was turned into a list (and so may
have been edited) gets its author object built per row instead of per author.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.runfolder.event_table import EventTable, gc_paused
from simulator.runfolder.rowbytes import Choice, Int, Ref, json_inner, render_rows
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["WRITE_CHUNK", "write_jsonl"]

# rows per chunk: small enough that bytes.join's per-piece bookkeeping stays in cache
WRITE_CHUNK = 8192
_NO_FRACTION = 1000  # fraction code for a ``t`` written whole by repr (the slow path)
_VERIFIED = (b',"verified":false,"customer_id":', b',"verified":true,"customer_id":')
_SEGMENT_TAILS = tuple(b',"segment":' + orjson.dumps(s) + b'},"text":"' for s in (None, *SEGMENTS))


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _round3(values: np.ndarray) -> np.ndarray:
    """Python's ``round(v, 3)`` for every value, vectorised.

    ``np.round`` scales by 1000 first, which can land a value just off a half exactly on it
    and round it the other way; those few rows are rounded again by Python.
    """
    v = values.astype(np.float64)
    r = np.round(v, 3)
    scaled = v * 1000
    near_half = np.flatnonzero(np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6)
    if near_half.size:
        r[near_half] = [round(x, 3) for x in v[near_half].tolist()]
    return r


def _milli(rounded: np.ndarray) -> np.ndarray | None:
    """Values rounded to 3 decimals as integer thousandths ``k``, if each is ``k / 1000``.

    Then each value's shortest repr (orjson's and Python's) is the decimal ``k / 1000``;
    None when that does not hold for every value (huge, non-finite or negative zero).
    """
    with np.errstate(invalid="ignore"):
        k = np.rint(rounded * 1000)
    ok = np.all(np.abs(k) < 1e15) and np.array_equal(k / 1000, rounded)
    if not ok or np.any(np.signbit(rounded) & (rounded == 0)):
        return None
    return k.astype(np.int64)


def _fraction(f: int) -> bytes:
    """``.5``, ``.25``, ``.125``, ``.0`` for thousandths ``f`` (0 <= f < 1000)."""
    return b"." + (f"{f:03d}".rstrip("0") or "0").encode()


class _Layout:
    """The per-table pools and codes the chunks are cut from."""

    def __init__(self, table: EventTable) -> None:
        self.table = table
        n = len(table)
        # t: integer part in digits, fraction pooled with channel and kind
        milli = _milli(_round3(table.t)) if n else np.zeros(0, np.int64)
        self.t_milli = milli if milli is not None and (not n or milli.min() >= 0) else None
        nk = len(KINDS) + 1
        self.nck = (len(CHANNELS) + 1) * nk
        ck = [
            b',"channel":' + _dumps(c) + b',"kind":' + _dumps(k) + b',"parent":'
            for c in (None, *CHANNELS)
            for k in (None, *KINDS)
        ]
        fractions = [_fraction(f) for f in range(1000)] + [b""]
        self.ck_pool = np.array([f + c for f in fractions for c in ck], dtype=object)
        # labels: incident, intent and emotion
        self.n_in, self.n_em = len(INTENTS) + 1, len(EMOTIONS) + 1
        self.labels_pool = np.array(
            [
                b'","lang":"en","incident":'
                + _dumps(inc)
                + b',"labels":{"intent":'
                + _dumps(it)
                + b',"emotion":'
                + _dumps(em)
                + b',"sentiment":'
                for inc in (None, *table.incidents)
                for it in (None, *INTENTS)
                for em in (None, *EMOTIONS)
            ],
            dtype=object,
        )
        self.sj_code, self.sj_pool = _sentiment_journey(table.sentiment, table.journey)
        self.exp_code, self.exp_pool = _expected(table)
        self.author_pool = _author_pool(table)

    def chunk(self, lo: int, hi: int) -> bytes:
        """The JSONL bytes of rows ``lo:hi``."""
        tb, sl, m = self.table, slice(lo, hi), hi - lo
        rows = np.arange(lo, hi, dtype=np.int64)
        if self.t_milli is not None:
            milli = self.t_milli[sl]
            head = render_rows(m, [b'{"id":', Ref(rows, b"ev-", 7), b',"t":', Int(milli // 1000)])
            fraction = milli % 1000
        else:
            head = np.array(
                [
                    f'{{"id":"ev-{i:07d}","t":{v!r}'.encode()
                    for i, v in zip(rows.tolist(), _round3(tb.t[sl]).tolist(), strict=True)
                ],
                dtype=object,
            )
            fraction = np.full(m, _NO_FRACTION, dtype=np.int64)
        ck = (tb.channel[sl].astype(np.int64) + 1) * (len(KINDS) + 1) + tb.kind[sl] + 1
        lab = (tb.incident[sl].astype(np.int64) + 1) * self.n_in + tb.intent[sl] + 1
        lab = lab * self.n_em + tb.emotion[sl] + 1
        cols: list[Any] = [
            head,
            self.ck_pool[fraction * self.nck + ck],
            render_rows(
                m,
                [Ref(tb.parent[sl], b"ev-", 7), b',"thread":', Ref(tb.thread[sl], b"th-", 7)],
            ),
        ]
        if self.author_pool is not None:
            assert tb.author is not None
            cols.append(self.author_pool[tb.author[sl]])
        else:
            cols += _author_rows(tb, lo, hi)
        cols += [
            json_inner(tb.text[lo:hi]),
            self.labels_pool[lab],
            self.sj_pool[self.sj_code[sl]],
            render_rows(m, [Ref(tb.follows[sl], b"ev-", 7)]),
            self.exp_pool[self.exp_code[sl]],
        ]
        grid = np.empty((m, len(cols)), dtype=object)
        for k, col in enumerate(cols):
            grid[:, k] = col
        return b"".join(grid.ravel().tolist())


def _sentiment_journey(sentiment: np.ndarray, journey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and pool of ``-0.55,"journey_step":null,"follows":`` pieces."""
    rounded = _round3(sentiment) + 0.0
    milli = _milli(rounded)
    if milli is not None and (not milli.size or int(np.abs(milli).max()) <= 1000):
        s_code, s_values = milli + 1000, [repr(k / 1000) for k in range(-1000, 1001)]
    else:
        uniq, s_code = np.unique(rounded, return_inverse=True)
        s_values = [repr(float(v)) for v in uniq.tolist()]
    j = journey.astype(np.int64)
    j_lo = min(int(j.min()), -1) if j.size else -1
    j_hi = max(int(j.max()), 0) if j.size else 0
    steps = range(j_lo, j_hi + 1)
    pool = np.array(
        [
            f'{s},"journey_step":{"null" if step < 0 else step},"follows":'.encode()
            for s in s_values
            for step in steps
        ],
        dtype=object,
    )
    return s_code.reshape(-1) * len(steps) + (j - j_lo), pool


def _expected(table: EventTable) -> tuple[np.ndarray, np.ndarray]:
    """Codes and pool of ``,"expected":{...}}}\\n`` pieces (one per distinct object)."""
    within_values, within_code = np.unique(table.respond_within_s, return_inverse=True)
    n_within = max(len(within_values), 1)
    route = table.route.astype(np.int64) + 1
    code = (
        ((route * 256 + table.tier.astype(np.int64) + 128) * 8 + table.priority) * 2 + table.respond
    ) * n_within + within_code.reshape(-1)
    uniq, inverse = np.unique(code, return_inverse=True)
    route_pool = (None, *table.routes)
    prio_pool = (None, *PRIORITIES)

    def piece(c: int) -> bytes:
        w, rest = c % n_within, c // n_within
        respond, rest = rest % 2, rest // 2
        prio, rest = rest % 8, rest // 8
        tier, r = rest % 256 - 128, rest // 256
        within = float(within_values[w]) if len(within_values) else float("nan")
        return (
            b',"expected":'
            + _dumps(
                {
                    "route": route_pool[r],
                    "tier": tier,
                    "priority": prio_pool[prio],
                    "respond": bool(respond),
                    "respond_within_s": None if within != within else within,
                }
            )
            + b"}}\n"
        )

    return inverse.reshape(-1), np.array([piece(c) for c in uniq.tolist()], dtype=object)


def _author_tails(
    followers: np.ndarray, verified: np.ndarray, customer: np.ndarray, segment: np.ndarray
) -> np.ndarray:
    """``","followers":12,"verified":false,...,"segment":"regular"},"text":"`` per row."""
    return render_rows(
        len(followers),
        [
            b'","followers":',
            Int(followers),
            Choice(verified.astype(np.int64), _VERIFIED),
            Ref(customer, b"C-", 6),
            Choice(segment.astype(np.int64) + 1, _SEGMENT_TAILS),
        ],
    )


def _author_objects(handles: list[str], names: list[str], tails: np.ndarray) -> list[bytes]:
    """Whole ``,"author":{...},"text":"`` pieces, one per entry."""
    out: list[bytes] = []
    for lo in range(0, len(tails), WRITE_CHUNK):
        hi = min(len(tails), lo + WRITE_CHUNK)
        grid = np.empty((hi - lo, 6), dtype=object)
        grid[:, 0] = b',"author":{"handle":"'
        grid[:, 1] = json_inner(handles[lo:hi])
        grid[:, 2] = b'","name":"'
        grid[:, 3] = json_inner(names[lo:hi])
        grid[:, 4] = tails[lo:hi]
        # a raw newline never occurs inside encoded JSON, so it splits the pieces apart again
        grid[:, 5] = b"\n"
        out += b"".join(grid.ravel().tolist()).split(b"\n")[:-1]
    return out


def _author_pool(table: EventTable) -> np.ndarray | None:
    """One author piece per author code, or None when the table has no usable pools."""
    handles, names, code = table.pool("handle"), table.pool("name"), table.author
    if handles is None or names is None or code is None:
        return None
    k = len(handles)
    rep = np.zeros(k, dtype=np.int64)
    rep[code] = np.arange(len(code))  # one row per code (any: they agree)
    cols = (table.followers, table.verified, table.customer, table.segment)
    if any(not np.array_equal(c[rep][code], c) for c in cols):
        return None  # a per-author column was edited: build authors per row
    tails = _author_tails(*(c[rep] for c in cols))
    return np.array(_author_objects(handles.tolist(), names.tolist(), tails), dtype=object)


def _author_rows(table: EventTable, lo: int, hi: int) -> list[Any]:
    """The author piece as separate columns for rows ``lo:hi`` (no pools)."""
    sl = slice(lo, hi)
    tails = _author_tails(
        table.followers[sl], table.verified[sl], table.customer[sl], table.segment[sl]
    )
    return [
        b',"author":{"handle":"',
        json_inner(table.handle[lo:hi]),
        b'","name":"',
        json_inner(table.name[lo:hi]),
        tails,
    ]


def write_jsonl(table: EventTable, path: Path | str) -> int:
    """Write ``table`` to ``path`` as JSONL; return the number of events written."""
    n = len(table)
    if n > 1 and bool(np.any(np.diff(table.t) < 0)):
        raise ValueError("event table is not sorted by t")
    with gc_paused():
        layout = _Layout(table)
        with open(path, "wb") as out:
            for lo in range(0, n, WRITE_CHUNK):
                out.write(layout.chunk(lo, min(n, lo + WRITE_CHUNK)))
    return n
