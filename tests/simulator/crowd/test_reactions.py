"""The reaction engine (simulator.crowd.reactions): damping, journeys, backlash, determinism.

Statistical checks compare with closed forms (the expected kept count from the events' parent
links; the Borel mean 1/(1-n) of an amplified cascade) with tolerances from the sample size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from simulator.crowd.model import generate
from simulator.crowd.reactions import ReactionEngine
from simulator.errors import InputError
from simulator.runfolder.event_table import EventTable, event_id
from simulator.scenario.models import Scenario, parse_scenario
from simulator.scenario.vocab import EMOTION_ESCALATION, EMOTIONS

SMOKE = Path(__file__).resolve().parents[3] / "scenarios" / "ci-smoke.yaml"


def _smoke_data(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def busy() -> tuple[Scenario, EventTable]:
    """ci-smoke with a bigger, longer incident: many cascades and journeys."""
    data = _smoke_data(duration="20m")
    inc = data["incidents"][0]
    inc["trigger"] = {"rate": "120/m", "for": "15m"}
    inc["cascade"] = {"branching": 0.6, "kernel": {"dist": "exponential", "mean": "2m"}}
    inc["waves"] = []
    data["team"]["tiers"] = [{**t, "shifts": [{"from": "0s", "to": "20m", "agents": 5}]}
                             for t in data["team"]["tiers"]]
    sc = parse_scenario(data, "busy")
    return sc, generate(sc)


def _expected_kept(engine: ReactionEngine, i: int, at: float, keep: float) -> tuple[float, int]:
    """Sum over unsent descendants of keep^(unsent nodes on the path), and their count."""
    total, n = 0.0, 0
    stack = [(c, 0) for c in engine.children(i)]
    while stack:
        c, depth = stack.pop()
        if engine.t[c] > at:
            depth += 1
            total += keep**depth
            n += 1
        stack.extend((k, depth) for k in engine.children(c))
    return total, n


def test_timely_answers_damp_the_cascade_as_the_parent_links_predict(busy: Any) -> None:
    sc, table = busy
    engine = ReactionEngine(sc, table)
    keep = engine.spec.in_time.damp
    # p3/p4 roots: a care tier-1 reply is the right handling for them
    roots = [i for i in np.flatnonzero(table.respond & (table.parent < 0)
                                       & (table.priority >= 3)).tolist()
             if len(engine.children(i))]
    expected, bound, unsent = 0.0, 0.0, 0
    for i in roots:
        at = float(table.t[i]) + 30.0
        e, n = _expected_kept(engine, i, at, keep)
        expected, bound, unsent = expected + e, bound + n * e, unsent + n
    before = set(engine.prevented_by)
    for i in roots:
        engine.on_action(event_id(i), "reply", float(table.t[i]) + 30.0, "care", 1)
    descendants_prevented = sum(1 for j, by in engine.prevented_by.items()
                                if j not in before and table.parent[j] >= 0)
    kept = unsent - descendants_prevented
    assert unsent > 200
    # kept counts of different answers are independent; Var(K_i) <= N_i * E[K_i]
    assert abs(kept - expected) <= 4 * math.sqrt(bound) + 1


def test_silence_lets_every_scripted_follow_up_happen(busy: Any) -> None:
    sc, table = busy
    engine = ReactionEngine(sc, table)
    happened = engine.due_until(float(sc.duration))
    assert happened == np.flatnonzero(table.follows >= 0).tolist()
    assert all(engine.cause[j]["action"] == "silence" for j in happened)
    assert engine.summary()["prevented"] == 0 and engine.summary()["reactions"] == 0


def test_an_answer_in_time_cancels_the_journey_follow_ups(busy: Any) -> None:
    sc, table = busy
    engine = ReactionEngine(sc, table)
    starts = np.flatnonzero((table.journey == 0) & (table.follows < 0))
    starts = [i for i in starts.tolist() if engine.next_follow[i] >= 0]
    assert starts
    for i in starts:
        engine.on_action(event_id(i), "reply", float(table.t[i]) + 1.0, None, None)
    for i in starts:
        j = engine.next_follow[i]
        while j >= 0:
            assert engine.prevented_by[j]["event_id"] == event_id(i)
            j = engine.next_follow[j]
    assert not engine.due_until(float(sc.duration)) or all(
        int(table.follows[j]) not in starts for j in engine.due_until(float(sc.duration)))


def test_a_canned_reply_to_a_legal_threat_brings_an_amplified_backlash() -> None:
    data = _smoke_data(duration="10h")
    inc = data["incidents"][0]
    inc["trigger"] = {"rate": "200/m", "for": "5m"}
    inc["intents"] = {"legal_threat": 1.0}
    inc["cascade"] = {"branching": 0.5, "kernel": {"dist": "exponential", "mean": "20s"}}
    inc["waves"] = []
    data["journeys"] = None
    data["team"]["tiers"] = [{**t, "shifts": [{"from": "0s", "to": "10h", "agents": 5}]}
                             for t in data["team"]["tiers"]]
    data["reactions"]["wrong"] = {"backlash": 1.0, "delay": {"dist": "constant", "value": "1m"},
                                  "amplify": 1.6}
    sc = parse_scenario(data, "legal")
    table = generate(sc)
    engine = ReactionEngine(sc, table)
    legal = np.flatnonzero((table.intent == 6) & (table.priority == 1)
                           & (table.parent < 0)).tolist()[:400]
    sizes = []
    for i in legal:
        change = engine.on_action(event_id(i), "reply", float(table.t[i]) + 5, "care", 1)
        assert change.add and not change.cancel
        root = change.add[0].event
        assert root["cause"] == {"event_id": event_id(i), "action": "reply",
                                 "at": round(float(table.t[i]) + 5, 3), "reaction": "backlash"}
        assert root["labels"]["intent"] == "legal_threat"
        assert root["labels"]["expected"]["priority"] == "p1"  # labelled by the policy
        assert root["labels"]["emotion"] == EMOTION_ESCALATION[EMOTIONS[table.emotion[i]]]
        assert root["t"] == pytest.approx(float(table.t[i]) + 65, abs=1e-3)
        sizes.append(len(change.add))
    n = 0.5 * 1.6
    mean, var = 1 / (1 - n), n / (1 - n) ** 3  # Borel(n)
    assert abs(np.mean(sizes) - mean) <= 4 * math.sqrt(var / len(sizes))
    # the right handling (legal tier 3) settles without backlash
    other = np.flatnonzero((table.intent == 6) & (table.priority == 1)).tolist()[-1]
    assert not engine.on_action(event_id(other), "reply", float(table.t[other]) + 5,
                                "legal", 3).add


def test_reactions_are_keyed_by_event_not_by_arrival(busy: Any) -> None:
    """Actions on other threads in between change nothing in a thread's reactions."""
    sc, table = busy
    need = np.flatnonzero(table.respond & (table.parent < 0) & (table.journey < 0)).tolist()[:400]
    actions = sorted(((event_id(i), "reply" if i % 3 else "close", float(table.t[i]) + 20 + i % 7)
                      for i in need), key=lambda a: a[2])
    mine = {event_id(i) for i in need[::2]}

    def run(todo: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        engine = ReactionEngine(sc, table)
        for ev, act, at in todo:
            engine.on_action(ev, act, at, "care", 1)
        prevented = {event_id(k): v for k, v in engine.prevented_by.items()
                     if v["event_id"] in mine}
        added = sorted((p.event for p in engine.added if p.event["cause"]["event_id"] in mine),
                       key=lambda e: (e["cause"]["event_id"], e["t"]))
        return prevented, [{k: v for k, v in e.items() if k not in ("id", "parent")}
                           for e in added]

    alone = run([a for a in actions if a[0] in mine])
    assert alone == run(actions) == run([a for a in actions if a[0] in mine])
    assert alone[0] and alone[1]


@pytest.mark.parametrize(("change", "match"), [
    ({"in_time": {"damp": 1.5, "answer_back": 0.3}}, r"reactions\.in_time\.damp"),
    ({"in_time": {"damp": 0.3, "answer_back": 0.3, "mix": {"sorry": 1.0}}},
     r"reactions\.in_time\.mix"),
    ({"in_time": {"damp": 0.3, "answer_back": 0.3},
      "wrong": {"backlash": 0.5, "delay": {"dist": "constant", "value": "1m"}, "amplify": 2.5}},
     r"reactions\.wrong\.amplify must keep every incident's branching x amplify below 1"),
])
def test_bad_reactions_are_one_line_errors(change: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match) as caught:
        parse_scenario(_smoke_data(reactions=change), "smoke.yaml")
    assert "\n" not in str(caught.value)
