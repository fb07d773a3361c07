"""Events from fully parsed JSON lines: the general reader behind ``read_jsonl``.

Any JSONL file of DESIGN.md section 5 events (keys in any order, optional keys missing,
blank lines) is parsed with orjson and turned into ``EventTable`` columns here;
``jsonl_read`` uses it for every chunk its fast path does not recognise.
Errors name the file and line (``InputError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["codes", "numbers", "parse_columns", "pool_codes", "refs"]


def codes(
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


def pool_codes(values: list[Any]) -> tuple[np.ndarray, tuple[str, ...]]:
    pool: dict[Any, int] = {}
    codes = [-1 if v is None else pool.setdefault(v, len(pool)) for v in values]
    return np.array(codes, dtype=np.int64), tuple(pool)


def parse_columns(lines: list[bytes], first: int, source: str, before: int) -> dict[str, Any]:
    """Columns of ``lines`` (line ``first`` onwards; ``before`` events came earlier).

    Blank lines are skipped; every key of ``simulator.runfolder.event_table.EventTable`` is
    present, with
    ``handle``, ``name`` and ``text`` as lists and ``incident_names`` / ``route_names`` per row.
    """
    return _columns(_parse_lines(lines, first, source), source, before)


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


def _transpose(rows: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    """Rows of tuples to columns (``width`` empty columns for no rows)."""
    return list(zip(*rows, strict=True)) if rows else [()] * width


def numbers(values: Sequence[Any], dtype: type, missing: float) -> np.ndarray:
    """Numbers (None -> ``missing``) as ``dtype``."""
    arr = np.array(values, dtype=np.float64)
    arr[np.isnan(arr)] = missing
    return arr.astype(dtype)


def refs(values: Sequence[Any], prefix: int) -> np.ndarray:
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
            "parent": refs(parent, 3),
            "thread": refs(thread, 3),
            "followers": numbers(followers, np.int64, 0),
            "verified": np.array(verified, dtype=bool),
            "customer": refs(customer, 2),
            "sentiment": numbers(sentiment, np.float32, 0.0),
            "tier": numbers(tier, np.int8, 0),
            "respond": np.array(respond, dtype=bool),
            "respond_within_s": np.array(within, dtype=np.float64),
            "journey": numbers(journey, np.int8, -1),
            "follows": refs(follows, 3),
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
    cols["channel"] = codes(channel, CHANNELS, "channel", source, before)
    cols["kind"] = codes(kind, KINDS, "kind", source, before)
    cols["segment"] = codes(segment, SEGMENTS, "author.segment", source, before)
    cols["intent"] = codes(intent, INTENTS, "labels.intent", source, before)
    cols["emotion"] = codes(emotion, EMOTIONS, "labels.emotion", source, before)
    prio = codes(priority, PRIORITIES, "priority", source, before)
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
