"""The line parser of ``events.jsonl`` and ``actions.jsonl``: orjson, one line at a time.

What ``read_columns`` falls back to when pyarrow cannot read a file as the schema says (a
malformed line, a field of another type): it accepts every valid file and names the first
bad line (``InputError``: file, line, what was expected). ``read_event_dicts`` gives the
events as dicts in file order (the replay renders requests from them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError
from simulator.runfolder.columns import NO_ROUTE, Actions, Events, factorize
from simulator.runfolder.event_table import gc_paused

__all__ = ["read_actions", "read_event_dicts", "read_events"]

EMPTY: dict[str, Any] = {}
CHUNK_LINES = 65_536  # parse this many lines, keep their columns, drop the dicts


def read_event_dicts(path: Path) -> list[dict[str, Any]]:
    """``events.jsonl`` (DESIGN.md section 5) as dicts, in file order."""
    events: list[dict[str, Any]] = []
    with gc_paused():
        for _, _, rows in _chunks(Path(path)):
            events += rows
    return events


def read_rows(path: Path) -> tuple[list[Any], list[int]]:
    """Every non-blank line of a JSONL file parsed, and its line number."""
    rows: list[Any] = []
    numbers: list[int] = []
    with gc_paused():
        for first, chunk, parsed in _chunks(Path(path)):
            rows += parsed
            numbers += [first + k for k, line in enumerate(chunk) if line and not line.isspace()]
    return rows, numbers


def _floats(values: list[Any], default: float) -> np.ndarray:
    """A float column; None (missing) becomes ``default``."""
    arr = np.array(values, dtype=np.float64)  # None -> NaN
    if not np.isnan(default):
        arr[np.isnan(arr)] = default
    return arr


def _chunks(path: Path) -> Iterator[tuple[int, list[bytes], list[Any]]]:
    """``(first line number, lines, parsed rows)`` of a JSONL file, CHUNK_LINES lines at a
    time (blank lines skipped)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: must be a readable file, got {err.strerror}") from err
    lines = raw.splitlines()
    del raw
    loads = orjson.loads
    for offset in range(0, len(lines), CHUNK_LINES):
        chunk = lines[offset : offset + CHUNK_LINES]
        try:
            rows = [loads(line) for line in chunk if line and not line.isspace()]
        except orjson.JSONDecodeError:
            rows = []
            for number, line in enumerate(chunk, start=offset + 1):
                if not line or line.isspace():
                    continue
                try:
                    rows.append(loads(line))
                except orjson.JSONDecodeError as err:
                    raise InputError(
                        f"{path}: line {number} must be one JSON object, got {err}"
                    ) from err
        yield offset + 1, chunk, rows


def _columns(rows: list[Any], keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """One tuple per key (None where a row lacks it): a multi-key itemgetter and a C-level
    transpose when every row has every key, per-key ``get`` otherwise."""
    if not rows:
        return [() for _ in keys]
    try:
        return list(zip(*map(itemgetter(*keys), rows), strict=True))
    except KeyError:
        return [tuple(map(methodcaller("get", key), rows)) for key in keys]


TOP_KEYS = ("id", "t", "channel", "incident", "text", "thread")
LABEL_KEYS = ("intent", "sentiment")
EXPECTED_KEYS = ("route", "tier", "priority", "respond", "respond_within_s")
ACTION_KEYS = ("event_id", "at", "action", "route", "tier", "priority", "agent")


def read_events(path: Path) -> Events:
    """Load events.jsonl into columns."""
    cols: dict[str, list[Any]] = {k: [] for k in TOP_KEYS + LABEL_KEYS + EXPECTED_KEYS}
    with gc_paused():
        try:
            for _, _, rows in _chunks(path):
                labels = list(map(methodcaller("get", "labels", EMPTY), rows))
                expected = list(map(methodcaller("get", "expected", EMPTY), labels))
                for keys, source in (
                    (TOP_KEYS, rows),
                    (LABEL_KEYS, labels),
                    (EXPECTED_KEYS, expected),
                ):
                    for key, column in zip(keys, _columns(source, keys), strict=True):
                        cols[key] += column
            ids = cols["id"]
            if None in ids or None in cols["t"]:
                raise KeyError("id" if None in ids else "t")
            threads = cols["thread"]
            if None in threads:
                threads = [t if t is not None else i for t, i in zip(threads, ids, strict=True)]
            return Events(
                ids=ids,
                t=_floats(cols["t"], np.nan),
                channel=factorize(cols["channel"]),
                incident=factorize(cols["incident"]),
                thread=factorize(threads),
                intent=factorize(cols["intent"]),
                sentiment=_floats(cols["sentiment"], np.nan),
                route=factorize(cols["route"], NO_ROUTE),
                tier=_floats(cols["tier"], 0.0).astype(np.int16),
                priority=factorize(cols["priority"]),
                respond=np.array(cols["respond"], dtype=bool),
                respond_within_s=_floats(cols["respond_within_s"], np.nan),
                text=cols["text"],
            )
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise InputError(
                f"{path}: every event must have id, t and labels as in DESIGN.md section 5, "
                f"got {err!r}"
            ) from err


def read_actions(path: Path, ids: list[str]) -> Actions:
    """Load actions.jsonl into columns, matching event ids to event indexes."""
    cols: dict[str, list[Any]] = {k: [] for k in ACTION_KEYS}
    with gc_paused():
        lookup = dict(zip(ids, itertools.count()))
        try:
            for _, _, rows in _chunks(path) if path.exists() else ():
                for key, column in zip(ACTION_KEYS, _columns(rows, ACTION_KEYS), strict=True):
                    cols[key] += column
            event = np.fromiter(
                map(lookup.get, cols["event_id"], itertools.repeat(-1)),
                dtype=np.int64,
                count=len(cols["event_id"]),
            )
            return Actions(
                event=event,
                action=factorize(cols["action"]),
                route=factorize(cols["route"]),
                tier=_floats(cols["tier"], -1.0).astype(np.int16),
                priority=factorize(cols["priority"]),
                agent=factorize(cols["agent"]),
                at=_floats(cols["at"], np.nan),
            )
        except (TypeError, AttributeError, ValueError) as err:
            raise InputError(
                f"{path}: every action must be an object as in DESIGN.md section 6, got {err!r}"
            ) from err
