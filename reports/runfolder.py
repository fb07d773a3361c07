"""Read a run folder into numpy columns: the single place reports/ touches raw files.

``load_run(run_dir)`` returns a ``RunData`` with the events and actions as parallel
arrays (codes plus name lists for the categorical fields), and the replay, sends and
team recordings when present. Lines are parsed with orjson; a malformed line raises
``InputError`` naming the file and line. Missing optional files are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.errors import InputError

NO_ROUTE = "none"
ACTION_KINDS = ("triage", "reply", "message", "escalate", "close", "ignore")


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
    kind: Categorical
    incident: Categorical  # "" when the event belongs to no incident
    thread: Categorical
    intent: Categorical
    emotion: Categorical
    sentiment: np.ndarray
    route: Categorical  # expected route, "none" when no response is needed
    tier: np.ndarray  # expected tier, 0 when none
    priority: Categorical  # expected priority, "" when none
    respond: np.ndarray  # bool: the post needs an answer
    respond_within_s: np.ndarray  # NaN when no deadline
    text: list[str]

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


def factorize(values: list[Any]) -> Categorical:
    """Turn a list of hashables into codes and first-seen-ordered names."""
    index: dict[Any, int] = {}
    setdefault = index.setdefault
    codes = np.fromiter(
        (setdefault(v, len(index)) for v in values), dtype=np.int32, count=len(values)
    )
    return Categorical(codes, [str(k) for k in index])


def _parse_lines(path: Path) -> list[dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: must be a readable file, got {err.strerror}") from err
    try:
        return orjson.loads(
            b"[" + b",".join(line for line in raw.splitlines() if line.strip()) + b"]"
        )
    except orjson.JSONDecodeError:
        pass
    # Slow path only to name the broken line.
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError as err:
            raise InputError(f"{path}: line {number} must be one JSON object, got {err}") from err
    raise InputError(f"{path}: must hold one JSON object per line")


def _num(values: list[Any], default: float) -> np.ndarray:
    return np.array([default if v is None else v for v in values], dtype=np.float64)


def read_events(path: Path) -> Events:
    """Load events.jsonl into columns."""
    rows = _parse_lines(path)
    try:
        labels = [r.get("labels") or {} for r in rows]
        expected = [lab.get("expected") or {} for lab in labels]
        return Events(
            ids=[r["id"] for r in rows],
            t=np.array([r["t"] for r in rows], dtype=np.float64),
            channel=factorize([r.get("channel") or "" for r in rows]),
            kind=factorize([r.get("kind") or "post" for r in rows]),
            incident=factorize([r.get("incident") or "" for r in rows]),
            thread=factorize([r.get("thread") or r["id"] for r in rows]),
            intent=factorize([lab.get("intent") or "" for lab in labels]),
            emotion=factorize([lab.get("emotion") or "" for lab in labels]),
            sentiment=_num([lab.get("sentiment") for lab in labels], np.nan),
            route=factorize([e.get("route") or NO_ROUTE for e in expected]),
            tier=np.array([e.get("tier") or 0 for e in expected], dtype=np.int16),
            priority=factorize([e.get("priority") or "" for e in expected]),
            respond=np.array([bool(e.get("respond", False)) for e in expected], dtype=bool),
            respond_within_s=_num([e.get("respond_within_s") for e in expected], np.nan),
            text=[r.get("text") or "" for r in rows],
        )
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise InputError(
            f"{path}: every event must have id, t and labels as in DESIGN.md section 5, got {err!r}"
        ) from err


def read_actions(path: Path, ids: list[str]) -> Actions:
    """Load actions.jsonl into columns, matching event ids to event indexes."""
    rows = _parse_lines(path) if path.exists() else []
    lookup = {eid: i for i, eid in enumerate(ids)}
    try:
        event = np.array([lookup.get(r.get("event_id"), -1) for r in rows], dtype=np.int64)
        at = _num([r.get("at") for r in rows], np.nan)
        tiers = [r.get("tier") for r in rows]
        return Actions(
            event=event,
            action=factorize([r.get("action") or "" for r in rows]),
            route=factorize([r.get("route") or "" for r in rows]),
            tier=np.array([-1 if v is None else int(v) for v in tiers], dtype=np.int16),
            priority=factorize([r.get("priority") or "" for r in rows]),
            agent=factorize([r.get("agent") or "" for r in rows]),
            at=at,
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


def load_run(run_dir: Path) -> RunData:
    """Read events, actions and the optional replay/sends/team recordings of a run."""
    run_dir = Path(run_dir)
    events = read_events(run_dir / "events.jsonl")
    actions = read_actions(run_dir / "actions.jsonl", events.ids)
    sends = None
    if (run_dir / "sends.npz").exists():
        with np.load(run_dir / "sends.npz") as npz:
            sends = {k: npz[k] for k in npz.files}
    return RunData(
        run_dir=run_dir,
        events=events,
        actions=actions,
        replay=_read_json(run_dir / "replay.json"),
        sends=sends,
        team=_read_json(run_dir / "team.json"),
    )
