"""Reading ``events.jsonl`` into an ``EventTable``: a fast path for the writer's own layout.

The file is read in blocks of ``READ_BLOCK`` bytes, so only one block's raw lines are in
memory at a time. When every line has the exact layout ``jsonl_write``
produces, each line is cut at its fixed markers (``,"author":``, ``,"text":"``, ...; none
can occur inside a JSON string, where every ``"`` is escaped) with a few ``bytes.index``
calls: the repeating pieces (channel and kind, the author object, the tail with labels
and the expected object) are pooled and each distinct piece is parsed once by orjson,
texts and times by one orjson call per block, and event references as digits with numpy.
Authors stay pooled, so a million events hold one handle and name string per author.

Any other file (other key order, blank lines, bad values) is read again by the general
parser ``jsonl_parse``, which accepts every valid section 5 stream and names
the first bad line; values are converted by the same functions on both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.runfolder.event_table import EventTable, gc_paused
from simulator.runfolder.jsonl_parse import codes, numbers, parse_columns, pool_codes, refs
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["READ_BLOCK", "READ_CHUNK", "read_jsonl"]

READ_BLOCK = 8 << 20  # bytes read at a time (bounds the memory of a block's pieces)
READ_CHUNK = 50_000  # at most this many lines per unit of the general parser

_CK_KEYS = ["channel", "kind"]
_AUTHOR_KEYS = ["handle", "name", "followers", "verified", "customer_id", "segment"]
_TAIL_KEYS = ["lang", "incident", "labels"]
_LABEL_KEYS = ["intent", "emotion", "sentiment", "journey_step", "follows", "expected"]
_EXPECTED_KEYS = ["route", "tier", "priority", "respond", "respond_within_s"]
_REF = 12  # bytes of a quoted 7-digit reference, ``"ev-0000123"``


class _NotOurLayout(Exception):
    """The file is not (all) in the writer's layout: parse it in full."""


class _Pool:
    """Distinct byte pieces in first-seen order, parsed once each by orjson."""

    def __init__(self, wrap: Callable[[list[bytes]], bytes], keys: list[str]) -> None:
        self.index: dict[bytes, int] = {}
        self.values: list[dict[str, Any]] = []
        self.wrap, self.keys = wrap, keys

    def codes(self, pieces: list[bytes]) -> np.ndarray:
        """Each piece's code; new pieces must parse to objects with exactly ``keys``."""
        index = self.index
        before = len(index)
        # one probe of the (large) index per row: a new piece gets the next code
        code = np.array([index.setdefault(p, len(index)) for p in pieces], dtype=np.int64)
        if len(index) > before:
            at = np.flatnonzero(code >= before)
            _, first = np.unique(code[at], return_index=True)
            new = [pieces[i] for i in at[first].tolist()]
            parsed = orjson.loads(self.wrap(new))
            keys = self.keys
            if len(parsed) != len(new) or not all(list(d) == keys for d in parsed):
                raise ValueError("not our layout")
            self.values += parsed
        return code


class _Reader:
    """The pools of repeating pieces, filled block by block."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ck = _Pool(lambda new: b"[{" + b"},{".join(p[1:] for p in new) + b"}]", _CK_KEYS)
        self.authors = _Pool(lambda new: b"[" + b",".join(new) + b"]", _AUTHOR_KEYS)
        self.tails = _Pool(lambda new: b"[{" + b",{".join(new) + b"]", _TAIL_KEYS)

    def block(self, lines: list[bytes]) -> dict[str, Any]:
        """Raw columns (pool codes for the repeating pieces) of lines in the writer's layout.

        Raises ValueError (or IndexError) for any line in another layout.
        """
        ts: list[bytes] = []
        ck: list[bytes] = []
        ref: list[bytes] = []
        authors: list[bytes] = []
        texts: list[bytes] = []
        tails: list[bytes] = []
        t_add, ck_add, ref_add = ts.append, ck.append, ref.append
        author_add, text_add, tail_add = authors.append, texts.append, tails.append
        for line in lines:
            a = line.index(b',"author":')
            x = line.index(b',"text":"', a)
            y = line.index(b'","lang":"en","incident":', x)
            c = line.index(b',"channel":', 0, a)
            p = line.index(b',"parent":', c, a)
            if not (line.startswith(b'{"id":"ev-') and line.startswith(b'","t":', 17)):
                raise ValueError("not our layout")
            t_add(line[23:c])
            ck_add(line[c:p])
            ref_add(line[p + 10 : a])
            author_add(line[a + 10 : x])
            text_add(line[x + 9 : y])
            tail_add(line[y + 2 :])
        n = len(lines)
        t = np.array(orjson.loads(b"[" + b",".join(ts) + b"]"), dtype=np.float64)
        text = orjson.loads(b'["' + b'","'.join(texts) + b'"]')
        if t.shape != (n,) or len(text) != n:
            raise ValueError("not our layout")
        parent, thread = _parent_thread(ref)
        return {
            "t": t,
            "parent": parent,
            "thread": thread,
            "text": text,
            "ck": self.ck.codes(ck),
            "author": self.authors.codes(authors),
            "tail": self.tails.codes(tails),
        }

    def columns(self, parts: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The table's columns from all blocks, and the per-author handle and name pools."""
        cols: dict[str, Any] = {
            k: np.concatenate([p[k] for p in parts]) for k in ("t", "parent", "thread")
        }
        cols["text"] = list(chain.from_iterable(p["text"] for p in parts))
        pools: dict[str, Any] = {}
        for name, values in (
            ("ck", self._ck_values),
            ("tail", self._tail_values),
            ("author", self._author_values),
        ):
            code = np.concatenate([p[name] for p in parts])
            for key, col in values().items():
                if key in ("handle", "name"):
                    pools[key] = col
                elif key in ("incidents", "routes"):
                    cols[key] = col
                else:
                    cols[key] = col[code]
        cols["author"] = code
        return cols, pools

    def _ck_values(self) -> dict[str, Any]:
        vals, src = self.ck.values, self.source
        return {
            "channel": codes([d["channel"] for d in vals], CHANNELS, "channel", src),
            "kind": codes([d["kind"] for d in vals], KINDS, "kind", src),
        }

    def _author_values(self) -> dict[str, Any]:
        vals, src = self.authors.values, self.source
        return {
            "handle": np.array([d["handle"] or "" for d in vals], dtype=object),
            "name": np.array([d["name"] or "" for d in vals], dtype=object),
            "followers": numbers([d["followers"] for d in vals], np.int64, 0),
            "verified": np.array([d["verified"] for d in vals], dtype=bool),
            "customer": refs([d["customer_id"] for d in vals], 2),
            "segment": codes([d["segment"] for d in vals], SEGMENTS, "author.segment", src),
        }

    def _tail_values(self) -> dict[str, Any]:
        vals, src = self.tails.values, self.source
        labels = [d["labels"] for d in vals]
        if not all(type(x) is dict and list(x) == _LABEL_KEYS for x in labels):
            raise ValueError("not our layout")
        expected = [x["expected"] for x in labels]
        if not all(type(e) is dict and list(e) == _EXPECTED_KEYS for e in expected):
            raise ValueError("not our layout")
        prio = codes([e["priority"] for e in expected], PRIORITIES, "priority", src)
        # tails are numbered in first-seen order, so these pools are too (as per row)
        incident, incidents = pool_codes([d["incident"] for d in vals])
        route, routes = pool_codes([e["route"] or "none" for e in expected])
        return {
            "intent": codes([x["intent"] for x in labels], INTENTS, "labels.intent", src),
            "emotion": codes([x["emotion"] for x in labels], EMOTIONS, "labels.emotion", src),
            "sentiment": numbers([x["sentiment"] for x in labels], np.float32, 0.0),
            "journey": numbers([x["journey_step"] for x in labels], np.int8, -1),
            "follows": refs([x["follows"] for x in labels], 3),
            "tier": numbers([e["tier"] for e in expected], np.int8, 0),
            "priority": (prio + 1).astype(np.int8),
            "respond": np.array([e["respond"] for e in expected], dtype=bool),
            "respond_within_s": np.array(
                [e["respond_within_s"] for e in expected], dtype=np.float64
            ),
            "incident": incident.astype(np.int16),
            "route": route.astype(np.int16),
            "incidents": incidents,
            "routes": routes,
        }


def _ref_matrix(mat: np.ndarray, prefix: bytes) -> np.ndarray:
    """Rows of ``"<prefix>DDDDDDD"`` or ``null`` (NUL-padded ``uint8``) to numbers, -1 for null."""
    width = mat.shape[1] - len(prefix) - 2
    null = mat[:, 0] == ord("n")
    null_ok = (mat[:, :4] == np.frombuffer(b"null", np.uint8)).all(axis=1) & (mat[:, 4:] == 0).all(
        axis=1
    )
    digits = mat[:, 1 + len(prefix) : 1 + len(prefix) + width].astype(np.int64) - 48
    ref_ok = (
        (mat[:, : 1 + len(prefix)] == np.frombuffer(b'"' + prefix, np.uint8)).all(axis=1)
        & ((digits >= 0) & (digits <= 9)).all(axis=1)
        & (mat[:, -1] == ord('"'))
    )
    if not bool(np.where(null, null_ok, ref_ok).all()):
        raise ValueError("not our layout")
    value = digits @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))
    return np.where(null, -1, value)


def _parent_thread(pieces: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``<parent>,"thread":<thread>`` pieces (7-digit references) to the two columns.

    A reference is ``"ev-0000123"`` (12 bytes) or ``null``; the piece is read as a
    NUL-padded byte matrix, the thread starting at byte 14 or 22 after the parent.
    """
    n = len(pieces)
    arr = np.array(pieces, dtype="S")
    if arr.itemsize > 2 * _REF + 10:
        raise ValueError("not our layout")
    arr = arr.astype(f"S{2 * _REF + 10}")
    mat = arr.view(np.uint8).reshape(n, 2 * _REF + 10)
    null = mat[:, 0] == ord("n")
    parent = np.zeros((n, _REF), dtype=np.uint8)
    parent[null, :4] = mat[null, :4]
    parent[~null] = mat[~null, :_REF]
    sep = np.where(null[:, None], mat[:, 4:14], mat[:, _REF : _REF + 10])
    if not bool((sep == np.frombuffer(b',"thread":', np.uint8)).all()):
        raise ValueError("not our layout")
    if bool((mat[null, 14 + _REF :] != 0).any()):
        raise ValueError("not our layout")
    thread = np.where(null[:, None], mat[:, 14 : 14 + _REF], mat[:, _REF + 10 :])
    return _ref_matrix(parent, b"ev-"), _ref_matrix(thread.astype(np.uint8), b"th-")


def _blocks(path: Path, size: int) -> Iterator[tuple[int, list[bytes]]]:
    """``(first line number, lines)`` per block of about ``size`` bytes of whole lines."""
    lineno = 1
    rest = b""
    with open(path, "rb") as f:
        while True:
            data = f.read(size)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            lines = data[:cut].split(b"\n")[:-1]
            del data
            yield lineno, lines
            lineno += len(lines)
    if rest:
        yield lineno, [rest]


def read_jsonl(path: Path | str) -> EventTable:
    """Read an events file (any valid DESIGN.md section 5 JSONL) into a table."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: must be an existing events file, got no such file")
    with gc_paused():
        try:
            return _read_fast(path)
        except (_NotOurLayout, ValueError, KeyError, TypeError, IndexError, InputError):
            return _read_full(path)


def _read_fast(path: Path) -> EventTable:
    reader = _Reader(path.name)
    parts = [reader.block(lines) for _, lines in _blocks(path, READ_BLOCK)]
    if not parts:
        raise _NotOurLayout
    cols, pools = reader.columns(parts)
    del parts
    table = _table(cols)
    table._pools.update(pools)
    return table


def _read_full(path: Path) -> EventTable:
    parts: list[dict[str, Any]] = []
    done = 0
    for first, lines in _blocks(path, READ_BLOCK * 32):
        for lo in range(0, len(lines), READ_CHUNK):
            part = parse_columns(lines[lo : lo + READ_CHUNK], first + lo, path.name, done)
            done += len(part["t"])
            parts.append(part)
    if not parts:
        parts.append(parse_columns([], 1, path.name, 0))
    cols = {
        k: (
            np.concatenate([p[k] for p in parts])
            if isinstance(parts[0][k], np.ndarray)
            else [v for p in parts for v in p[k]]
        )
        for k in parts[0]
    }
    return _table(cols)


def _table(cols: dict[str, Any]) -> EventTable:
    """An ``EventTable`` from columns (incident and route names per row, or coded)."""
    if "incident_names" in cols:
        incident, cols["incidents"] = pool_codes(list(cols.pop("incident_names")))
        route, cols["routes"] = pool_codes(list(cols.pop("route_names")))
        cols.update(incident=incident.astype(np.int16), route=route.astype(np.int16))
    strings: dict[str, list[str]] = {
        k: cols.pop(k) for k in ("handle", "name", "text") if k in cols
    }
    table = EventTable(**cols)
    table._strings.update(strings)
    return table
