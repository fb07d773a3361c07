"""Read a run folder into numpy columns: the single place reports/ touches raw files.

``load_run(run_dir)`` returns a ``RunData`` with the events and actions as parallel
arrays (codes plus name lists for the categorical fields), and the replay, sends and
team recordings when present. Lines are parsed with orjson; a malformed line raises
``InputError`` naming the file and line. Missing optional files are ``None``.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from reports.reached import prevented_mask, reached
from simulator.errors import InputError

NO_ROUTE = "none"
ACTION_KINDS = ("triage", "reply", "message", "escalate", "close", "ignore")
EMPTY: dict[str, Any] = {}
CHUNK_LINES = 65_536  # parse this many lines, keep their columns, drop the dicts


@dataclass(frozen=True)
class Categorical:
    """Integer codes into ``names``; the numpy-friendly form of a string column."""

    codes: np.ndarray
    names: list[str]

    def index(self, name: str) -> int:
        """The code of ``name``, or -1 when it never occurs."""
        try:
            return self.names.index(name)
        except ValueError:
            return -1

    def mask(self, name: str) -> np.ndarray:
        return self.codes == self.index(name)

    def values(self) -> np.ndarray:
        """The column as an object array of strings (for small selections)."""
        return np.asarray(self.names, dtype=object)[self.codes] if self.names else np.array([])


@dataclass(frozen=True)
class Events:
    """The storm, one entry per event in events.jsonl order."""

    ids: list[str]
    t: np.ndarray
    channel: Categorical
    incident: Categorical  # "" when the event belongs to no incident
    thread: Categorical
    intent: Categorical
    sentiment: np.ndarray
    route: Categorical  # expected route, "none" when no response is needed
    tier: np.ndarray  # expected tier, 0 when none
    priority: Categorical  # expected priority, "" when none
    respond: np.ndarray  # bool: the post needs an answer
    respond_within_s: np.ndarray  # NaN when no deadline
    text: Sequence[str]  # a list, or Arrow-backed (reports.arrowload.ArrowStrings)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Actions:
    """What the stack did, one entry per action in arrival order."""

    event: np.ndarray  # index into Events, -1 when the event_id matched nothing
    action: Categorical
    route: Categorical  # "" when the action carried none
    tier: np.ndarray  # -1 when the action carried none
    priority: Categorical
    agent: Categorical  # "" when no agent was named
    at: np.ndarray

    def __len__(self) -> int:
        return len(self.at)


@dataclass(frozen=True)
class RunData:
    """Everything reports/ reads from a run folder."""

    run_dir: Path
    events: Events
    actions: Actions
    replay: dict[str, Any] | None = None
    sends: dict[str, np.ndarray] | None = None
    team: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def factorize(values: list[Any], fill: str = "") -> Categorical:
    """Codes and first-seen-ordered names of a list of hashables; None and "" become ``fill``.

    Uses ``map`` over C-level dict methods (no Python frame per value): each value's
    code is first the position where it was first seen, then made dense.
    """
    index: dict[Any, int] = {}
    first_seen = np.fromiter(
        map(index.setdefault, values, itertools.count()), dtype=np.int64, count=len(values)
    )
    if not index:
        return Categorical(np.zeros(0, dtype=np.int32), [])
    positions = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    raw_names = [fill if k is None or k == "" else str(k) for k in index]
    dense_of = {name: i for i, name in enumerate(dict.fromkeys(raw_names))}
    names = list(dense_of)
    lut_names = np.fromiter(
        map(dense_of.__getitem__, raw_names), dtype=np.int32, count=len(raw_names)
    )
    dense = np.searchsorted(positions, first_seen)  # positions are increasing
    return Categorical(lut_names[dense], names)


def _floats(values: list[Any], default: float) -> np.ndarray:
    """A float column; None (missing) becomes ``default``."""
    arr = np.array(values, dtype=np.float64)  # None -> NaN
    if not np.isnan(default):
        arr[np.isnan(arr)] = default
    return arr


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC: parsing creates millions of acyclic dicts, and gen-2 passes
    over them would double the load time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(path: Path) -> Iterator[list[dict[str, Any]]]:
    """Parsed rows of a JSONL file, CHUNK_LINES at a time (blank lines skipped)."""
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
            rows = [loads(line) for line in chunk if line]
        except orjson.JSONDecodeError:
            rows = []
            for number, line in enumerate(chunk, start=offset + 1):
                if not line.strip():
                    continue
                try:
                    rows.append(loads(line))
                except orjson.JSONDecodeError as err:
                    raise InputError(
                        f"{path}: line {number} must be one JSON object, got {err}"
                    ) from err
        yield rows


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
    with _no_gc():
        try:
            for rows in _chunks(path):
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
    with _no_gc():
        lookup = dict(zip(ids, itertools.count()))
        try:
            for rows in _chunks(path) if path.exists() else ():
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


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        raise InputError(f"{path}: must be a JSON object, got {err}") from err
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object, got {type(data).__name__}")
    return data


def _read_columns(run_dir: Path) -> tuple[Events, Actions]:
    """pyarrow's reader when installed and the files conform; orjson otherwise."""
    events_path, actions_path = run_dir / "events.jsonl", run_dir / "actions.jsonl"
    if not events_path.exists():
        raise InputError(f"{events_path}: must be a readable file, got no such file")
    try:
        from reports import arrowload
    except ImportError:
        arrowload = None  # type: ignore[assignment]
    if arrowload is not None:
        try:
            events, ids = arrowload.read_events(events_path)
        except arrowload.ArrowFallback:
            pass
        else:
            if not actions_path.exists():
                return events, read_actions(actions_path, [])
            try:
                return events, arrowload.read_actions(actions_path, ids)
            except arrowload.ArrowFallback:
                return events, read_actions(actions_path, list(events.ids))
    events = read_events(events_path)
    return events, read_actions(actions_path, list(events.ids))


def load_run(run_dir: Path) -> RunData:
    """Read events, actions and the optional replay/sends/team recordings of a run."""
    run_dir = Path(run_dir)
    events, actions = _read_columns(run_dir)
    sends = None
    if (run_dir / "sends.npz").exists():
        with np.load(run_dir / "sends.npz") as npz:
            sends = {k: npz[k] for k in npz.files}
    reactions = _read_json(run_dir / "reactions.json")
    events, actions, sends, info = reached(events, actions, sends,
                                           prevented_mask(len(events), sends, reactions))
    return RunData(
        run_dir=run_dir,
        events=events,
        actions=actions,
        replay=_read_json(run_dir / "replay.json"),
        sends=sends,
        team=_read_json(run_dir / "team.json"),
        extra={"reactions": reactions, "reached": info},
    )
