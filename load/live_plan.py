"""Exercise plans: timed injects written before a live drill, run with ``--plan FILE``.

A plan is YAML (docs/training.md):

    plan: journalist-then-safety          # the exercise's name
    take_private:                         # optional: which public posts should go to DM
      routes: [legal, security]
      intents: [complaint, hidden_help]
    injects:
      - at: 20s                           # storm clock (scenario time, pauses excluded)
        preset: journalist                # one of load.live_inject.PRESETS
      - at: 1m
        post: {intent: safety, emotion: sad, text: "a passenger fainted at gate 4"}
        count: 1

``load_plan(path, duration_s)`` validates it and raises ``InputError`` with one line
naming the file and the field. ``ExercisePlan.digest`` identifies the exercise (same
injects and rule, same digest), so two teams' runs of one plan can be compared.
``plan_yaml`` writes a plan back (the facilitator page's "Save as plan" and the run
folder's ``plan.yaml``: the exercise as it was run, ad-hoc injects included).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from load.live_inject import PRESETS, Injection, injection_from_json, with_count
from simulator.errors import InputError
from simulator.scenario.units import parse_duration
from simulator.scenario.vocab import INTENTS

__all__ = ["ExercisePlan", "PlannedInject", "load_plan", "plan_yaml"]

ROUTES = ("care", "sales", "pr", "legal", "security")
MAX_INJECTS = 500
PLAN_KEYS = frozenset({"plan", "take_private", "injects"})
INJECT_KEYS = frozenset({"at", "preset", "post", "count"})


@dataclass(frozen=True)
class PlannedInject:
    """One timed inject: ``spec`` at ``at_s`` scenario seconds; ``source`` as written."""

    at_s: float
    spec: Injection
    source: dict[str, Any]


@dataclass(frozen=True)
class ExercisePlan:
    """A validated plan; ``injects`` sorted by time."""

    name: str
    injects: tuple[PlannedInject, ...]
    take_private: dict[str, list[str]] | None = None
    path: str = ""

    @property
    def digest(self) -> str:
        """12 hex digits over the injects and the take-private rule (not the name)."""
        body = orjson.dumps({"injects": [{**i.source, "at": i.at_s} for i in self.injects],
                             "take_private": self.take_private}, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(body).hexdigest()[:12]

    def summary(self) -> dict[str, Any]:
        """What live.json and the debrief keep of the plan."""
        return {"name": self.name, "digest": self.digest, "path": self.path,
                "injects": len(self.injects)}


def _fail(where: str, message: str) -> InputError:
    return InputError(f"{where} {message}")


def _names(raw: Any, vocab: tuple[str, ...], where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x in vocab for x in raw):
        raise _fail(where, f"must be a list of {', '.join(vocab)}, got {raw!r}")
    return list(raw)


def _take_private(raw: Any, where: str) -> dict[str, list[str]] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw or set(raw) - {"routes", "intents"}:
        raise _fail(where, f"must be a mapping with routes and/or intents, got {raw!r}")
    return {"routes": _names(raw.get("routes", []), ROUTES, f"{where}.routes"),
            "intents": _names(raw.get("intents", []), INTENTS, f"{where}.intents")}


def _inject(raw: Any, where: str, duration_s: float) -> PlannedInject:
    if not isinstance(raw, dict):
        raise _fail(where, f"must be a mapping with at and preset or post, got {raw!r}")
    unknown = set(raw) - INJECT_KEYS
    if unknown:
        raise _fail(f"{where}.{sorted(unknown)[0]}",
                    f"must be one of {', '.join(sorted(INJECT_KEYS))}, got an unknown key")
    if "at" not in raw:
        raise _fail(f"{where}.at", "must be given (a time like 30s or 2m), got nothing")
    try:
        at_s = parse_duration(raw["at"])
    except ValueError as err:
        raise _fail(f"{where}.at", f"must be {err}") from err
    if at_s > duration_s:
        raise _fail(f"{where}.at", f"must be within the scenario's {duration_s:g} s, got "
                                   f"{raw['at']!r}")
    if ("preset" in raw) == ("post" in raw):
        raise _fail(where, "must have exactly one of preset or post, got "
                           f"{'both' if 'preset' in raw else 'neither'}")
    body = {"preset": raw["preset"]} if "preset" in raw else raw["post"]
    if "preset" in raw and raw["preset"] not in PRESETS:
        raise _fail(f"{where}.preset", f"must be one of {', '.join(PRESETS)}, got "
                                       f"{raw['preset']!r}")
    try:
        spec = injection_from_json(body)
    except InputError as err:
        raise InputError(f"{where}.post.{str(err).removeprefix('inject: ')}") from err
    count = raw.get("count")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise _fail(f"{where}.count", f"must be an integer >= 1, got {count!r}")
        spec = with_count(spec, count)
    return PlannedInject(at_s, spec, {k: v for k, v in raw.items() if k != "at"})


def load_plan(path: Path, duration_s: float) -> ExercisePlan:
    """Read and validate an exercise plan; every mistake is one line naming file and field."""
    name = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise _fail(f"--plan: {name}: file",
                    f"must be a readable file, got {err.strerror}") from err
    except yaml.YAMLError as err:
        raise _fail(f"{name}: file",
                    f"must be valid YAML, got {str(err).splitlines()[0]}") from err
    if not isinstance(raw, dict):
        raise _fail(f"{name}: top level",
                    f"must be a mapping with plan and injects, got {type(raw).__name__}")
    unknown = set(raw) - PLAN_KEYS
    if unknown:
        raise _fail(f"{name}: {sorted(unknown)[0]}",
                    f"must be one of {', '.join(sorted(PLAN_KEYS))}, got an unknown key")
    title = raw.get("plan")
    if not isinstance(title, str) or not title.strip():
        raise _fail(f"{name}: plan", f"must be the exercise's name, got {title!r}")
    injects = raw.get("injects")
    if not isinstance(injects, list) or not 1 <= len(injects) <= MAX_INJECTS:
        raise _fail(f"{name}: injects", f"must be a list of 1 to {MAX_INJECTS} timed injects, "
                                        f"got {injects!r}"[:200])
    items = [_inject(item, f"{name}: injects[{i}]", duration_s)
             for i, item in enumerate(injects)]
    return ExercisePlan(title.strip(), tuple(sorted(items, key=lambda p: p.at_s)),
                        _take_private(raw.get("take_private"), f"{name}: take_private"),
                        path=name)


def _at(seconds: float) -> str:
    minutes, secs = divmod(round(seconds, 1), 60)
    return f"{int(minutes)}m{secs:g}s" if minutes else f"{secs:g}s"


def plan_yaml(name: str, injects: list[tuple[float, dict[str, Any]]],
              take_private: dict[str, list[str]] | None) -> str:
    """A plan file from ``(at_s, inject body)`` pairs (loadable with ``load_plan``)."""
    items = [{"at": _at(at), **body} for at, body in sorted(injects, key=lambda x: x[0])]
    data: dict[str, Any] = {"plan": name, "injects": items}
    if take_private:
        data["take_private"] = take_private
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
