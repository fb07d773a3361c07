"""Training mode without a browser (issue 17): fair scores and moments on a hand-built run,
no debrief for a bot, exercise plans validated and saved, the debrief chart's layout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from bench.synthetic_run import RunFolders, make_event, tiny_scenario
from load.live import request_debrief
from load.live_plan import load_plan, plan_yaml
from reports.charts import place_labels
from reports.debrief_chart import hold_spans
from reports.results import build_results
from simulator.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
END_S = 3600.0


def _act(eid: str, action: str, at: float, agent: str, route: str | None = None,
         tier: int | None = None, priority: str | None = None) -> dict[str, Any]:
    return {"event_id": eid, "action": action, "route": route, "tier": tier,
            "priority": priority, "agent": agent, "text": "", "at": at}


def _training_run(run_folder: RunFolders, live: bool = True) -> Path:
    """Seven posts; triage misroutes two; Ana, Ben and a simulated agent act (see each line)."""
    intents = ["legal_threat", "complaint", "complaint", "complaint", "legal_threat",
               "complaint", "complaint", "noise"]
    times = [0.0, 10.0, 20.0, 30.0, 40.0, END_S - 10, 100.0, 50.0]
    events = [make_event(i, t, intent) for i, (t, intent) in enumerate(zip(times, intents,
                                                                          strict=True))]
    ids = [e["id"] for e in events]
    triage = {0: ("care", 1, "p3"), 2: ("legal", 3, "p1"), 4: ("legal", 3, "p1"),
              7: ("care", 1, "p3")}  # the noise post: triage queues it anyway
    actions = [_act(ids[i], "triage", times[i] + 1, "triage",
                    *triage.get(i, ("care", 1, "p3"))) for i in range(8)]
    actions += [
        _act(ids[0], "escalate", 60, "Ana", "legal", 3, "p1"),  # rerouted right, then waits
        _act(ids[1], "reply", 100, "Ben", "care", 1, "p3"),
        _act(ids[1], "message", 110, "Ben", "care", 1, "p3"),  # taken private
        _act(ids[2], "reply", 200, "Ana", "legal", 3, "p1"),  # triage's misroute, not Ana's
        _act(ids[2], "close", 210, "Ana", "legal", 3, "p1"),
        _act(ids[3], "close", 40, "Ben", "care", 1, "p3"),  # closed with no answer: wrong
        _act(ids[7], "close", 60, "Ben", "care", 1, "p3"),  # needs no answer: closed right
        _act(ids[4], "reply", 2040, "a-01", "legal", 3, "p1"),  # late, but simulated
        _act(ids[4], "close", 2050, "a-01", "legal", 3, "p1"),
    ]
    run = run_folder(events, actions)
    if live:
        (run / "live.json").write_bytes(orjson.dumps(
            {"live": True, "timeline": [{"kind": "start", "t": 0.0},
                                        {"kind": "end", "t": END_S}], "injected": []}))
    return run


def test_trainees_are_scored_on_their_own_decisions_and_triage_on_its_own(
        run_folder: RunFolders) -> None:
    results = build_results(_training_run(run_folder), tiny_scenario(), "simulate", [])
    d = results["debrief"]
    rows = {r["agent"]: r for r in d["trainees"]}
    assert set(rows) == {"Ana", "Ben"}
    ana, ben = rows["Ana"], rows["Ben"]
    assert (ana["routed"], ana["routed_right"], ana["critical_misses"]) == (1, 1, 0)
    assert (ana["private_due"], ana["private_met"], ana["sla_due"], ana["sla_met"]) == (1, 0, 1, 1)
    assert (ben["routed"], ben["private_due"], ben["private_met"]) == (0, 1, 1)
    assert (ben["closed_no_action"], ben["closed_no_action_right"]) == (2, 1)
    t = d["triage"]
    assert (t["posts"], t["route_right"], t["critical"], t["critical_reached"]) == (8, 5, 2, 1)
    assert (t["misrouted_needing_answer"], t["corrected_by_trainees"]) == (2, 1)
    assert d["simulated"] == {"agents": 1, "cases": 1, "responses": 1, "critical_misses": 0}
    # ev 0: p1, routed on by Ana and waiting past its deadline: 4 x (1 + 1800/1800) = 8;
    # ev 3 (Ben's close, never answered) and ev 6 (never taken) score 2; ev 5 came 10 s
    # before the end, ev 4 was the simulated agent's: neither is a moment.
    moments = [(m["event_id"], m["agent"], m["score"]) for m in d["moments"]]
    assert moments == [("ev-000000", None, 8.0), ("ev-000003", "Ben", 2.0),
                       ("ev-000006", None, 2.0)]


def test_a_bot_that_names_its_agents_gets_no_debrief(run_folder: RunFolders) -> None:
    run = _training_run(run_folder, live=False)
    results = build_results(run, tiny_scenario(), "simulate", [])
    assert results["debrief"] is None
    assert {a["agent"] for a in results["agents"]} >= {"Ana", "Ben"}  # still scored as agents
    request_debrief(run)  # drill --debrief: asked for
    asked = build_results(run, tiny_scenario(), "simulate", [])["debrief"]
    assert asked is not None and asked["live"] is False and len(asked["trainees"]) == 2


def _plan(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data,
                    encoding="utf-8")
    return path


GOOD = {"plan": "p", "injects": [{"at": "30s", "preset": "journalist"}]}


@pytest.mark.parametrize(("data", "match"), [
    ("plan: [", "must be valid YAML"),
    ({"injects": GOOD["injects"]}, "plan must be the exercise's name"),
    ({"plan": "p", "injects": []}, "injects must be a list of 1 to"),
    ({**GOOD, "extra": 1}, "extra must be one of"),
    ({"plan": "p", "injects": [{"preset": "journalist"}]}, r"injects\[0\].at must be given"),
    ({"plan": "p", "injects": [{"at": "soon", "preset": "journalist"}]},
     r"injects\[0\].at must be a duration"),
    ({"plan": "p", "injects": [{"at": "2h", "preset": "journalist"}]},
     r"injects\[0\].at must be within the scenario's 600 s"),
    ({"plan": "p", "injects": [{"at": 1, "preset": "nope"}]}, r"injects\[0\].preset must be"),
    ({"plan": "p", "injects": [{"at": 1, "preset": "journalist", "post": {}}]},
     "exactly one of preset or post, got both"),
    ({"plan": "p", "injects": [{"at": 1, "post": {"intent": "rant"}}]},
     r"injects\[0\].post.intent must be one of"),
    ({"plan": "p", "injects": [{"at": 1, "preset": "pile-on", "count": 0}]},
     r"injects\[0\].count must be an integer >= 1"),
    ({**GOOD, "take_private": {"routes": ["hr"]}}, "take_private.routes must be a list of"),
])
def test_bad_plans_are_one_line_naming_the_field(tmp_path: Path, data: Any, match: str) -> None:
    path = _plan(tmp_path, data)
    with pytest.raises(InputError, match=match) as err:
        load_plan(path, 600.0)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_a_saved_plan_runs_the_same_exercise(tmp_path: Path) -> None:
    plan = load_plan(_plan(tmp_path, {
        "plan": "storm-a", "take_private": {"intents": ["complaint"]},
        "injects": [{"at": "1m30s", "post": {"intent": "safety", "text": "smoke in row 3"}},
                    {"at": "20s", "preset": "pile-on", "count": 3}]}), 600.0)
    assert [(i.at_s, i.spec.count) for i in plan.injects] == [(20.0, 3), (90.0, 1)]
    saved = tmp_path / "saved.yaml"
    saved.write_text(plan_yaml("storm-a", [(i.at_s, i.source) for i in plan.injects],
                               plan.take_private), encoding="utf-8")
    again = load_plan(saved, 600.0)
    assert again.digest == plan.digest and again.summary()["injects"] == 2


def test_a_plan_needs_live_and_a_bad_plan_stops_before_any_load(tmp_path: Path) -> None:
    bad = _plan(tmp_path, {"plan": "p", "injects": [{"at": "9h", "preset": "journalist"}]})
    scenario = str(ROOT / "scenarios" / "ci-smoke.yaml")
    for flags in (["--plan", str(bad)], ["--live", "--plan", str(bad)]):
        proc = subprocess.run([sys.executable, str(ROOT / "run_drill.py"), "drill", scenario,
                               *flags, "-o", str(tmp_path / "run")], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "injects[0].at must be within" in proc.stderr
    assert not (tmp_path / "run" / "events.jsonl").exists()


def test_close_marks_get_their_own_label_rows_and_holds_their_width() -> None:
    from reports.charts import _plt

    marks = [{"kind": "pause", "t": 100.0}, {"kind": "resume", "t": 100.0, "held_s": 9.4},
             {"kind": "inject", "t": 100.5, "title": "a journalist asks for comment"},
             {"kind": "inject", "t": 101.0, "title": "post", "planned": True},
             {"kind": "end", "t": 400.0}]
    assert hold_spans(marks) == [(100.0, 9.4)]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.0, 3.2))
    ax.set_xlim(0, 400)
    boxes = place_labels(fig, ax, [(100.0, "paused 9.4 s"), (100.5, "a journalist asks"),
                                   (101.0, "planned: post"), (400.0, "end")])
    plt.close(fig)
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert len({round(b.y0) for b in boxes[:3]}) == 3  # three rows for three close marks
