"""Metrics against hand-computed small run folders (reports/ outcomes, latency, escalation)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from bench.synthetic_run import (
    RunFolders,
    drill_replay,
    make_event,
    tiny_scenario,
    two_second_stack,
)
from reports import build_results, write_outputs
from simulator.errors import InputError
from simulator.staffing import erlang

AT = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def _action(
    eid: str,
    action: str,
    at: float,
    route: str | None = None,
    tier: int | None = None,
    priority: str | None = None,
    agent: str | None = None,
) -> dict[str, object]:
    return {
        "event_id": eid,
        "action": action,
        "route": route,
        "tier": tier,
        "priority": priority,
        "agent": agent,
        "text": None,
        "at": at,
    }


def test_two_second_stack_that_misroutes_legal_threats(run_folder: RunFolders) -> None:
    # 100 posts 30 s apart: i % 10 == 3 is a legal threat (10 posts: 3, 13, ..., 93), otherwise
    # i % 7 == 0 is noise (0, 7, ..., 98 minus 63 which is a legal threat: 14 posts), the
    # remaining 76 are complaints. Every post needing an answer is answered after exactly 2 s;
    # every legal threat is triaged to care tier 1 p3.
    events, actions = two_second_stack(100)
    run = run_folder(events, actions)
    r = build_results(run, tiny_scenario(), "simulate", ["drill", "simulate", "tiny.yaml"])

    assert r["counts"]["generated"] == 100
    assert r["counts"]["needed_response"] == 86
    assert r["counts"]["responded"] == 86
    assert r["counts"]["unanswered"] == 0
    fr = r["latency"]["first_response_s"]
    assert (fr["p50"], fr["p90"], fr["p99"], fr["max"], fr["count"]) == (2.0, 2.0, 2.0, 2.0, 86)
    assert fr["by_priority"]["p1"]["count"] == 10 and fr["by_priority"]["p3"]["count"] == 76
    assert r["latency"]["sla_attainment"] == 1.0

    esc = r["escalation"]
    # Routing is scored only where the stack expressed a route (issue 19): the 14 noise posts
    # were never triaged, so they are counted as not expressed, not as correctly routed none.
    assert esc["route_not_expressed"] == 14 and esc["scored"] == 86
    assert esc["accuracy"] == pytest.approx(76 / 86, abs=1e-6)  # 76 complaints right
    assert esc["critical_support"] == 10
    assert esc["critical_recall"] == 0.0
    assert esc["critical_missed"] == 10
    assert [m["id"] for m in esc["critical_misses"]] == [f"ev-{i:06d}" for i in range(3, 100, 10)]
    assert all(
        m["decided"] == {"route": "care", "tier": 1, "priority": "p3"}
        for m in esc["critical_misses"]
    )
    assert esc["under_escalated"] == 10 and esc["over_escalated"] == 0
    labels = esc["labels"]
    assert labels == ["care", "legal", "none"]
    assert esc["confusion"] == [[76, 0, 0], [10, 0, 0], [0, 0, 0]]
    assert esc["per_route"]["care"]["precision"] == pytest.approx(76 / 86, abs=1e-6)
    assert esc["per_route"]["care"]["recall"] == 1.0
    assert esc["per_route"]["legal"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 10,
        "predicted": 0,
    }
    assert "none" not in esc["per_route"]  # no noise post was scored

    gates = {g["name"]: g for g in r["gates"]}
    assert gates["critical_recall"]["passed"] is False
    assert (
        gates["first_response_p90"]["passed"] is True
        and gates["first_response_p90"]["value"] == 2.0
    )
    assert "ingest_p99" not in gates and "error_rate" not in gates  # drill-only gates
    assert r["passed"] is False
    assert "10 of 10 critical" in r["findings"][0]["text"]


def test_first_response_is_the_first_reply_or_message_after_the_post(
    run_folder: RunFolders,
) -> None:
    events = [
        make_event(0, 100.0, "complaint"),
        make_event(1, 200.0, "complaint"),
        make_event(2, 300.0, "complaint"),
        make_event(3, 400.0, "noise"),
    ]
    actions = [
        _action("ev-000000", "triage", 101.0, "care", 1, "p3"),
        _action("ev-000000", "reply", 190.0, agent="a-1"),  # first reply: 90 s
        _action(
            "ev-000000", "reply", 150.0, agent="a-2"
        ),  # arrives later in the file, earlier in time: 50 s
        _action("ev-000001", "message", 99.0),  # before the post: ignored
        _action("ev-000001", "message", 260.0),  # 60 s
        _action("ev-999999", "reply", 10.0),  # matches nothing
    ]
    run = run_folder(events, actions)
    r = build_results(run, tiny_scenario(), "simulate", [])
    assert r["latency"]["first_response_s"]["count"] == 2
    assert r["latency"]["first_response_s"]["max"] == 60.0
    assert r["latency"]["first_response_s"]["p50"] == pytest.approx(55.0)  # median of 50 and 60
    assert r["counts"]["unanswered"] == 1  # ev-000002
    assert r["counts"]["unmatched_actions"] == 1
    assert r["latency"]["sla_due"] == 3 and r["latency"]["sla_met"] == 2
    assert r["latency"]["sla_attainment"] == pytest.approx(2 / 3, abs=1e-6)


def test_final_decision_takes_the_last_route_tier_and_priority(run_folder: RunFolders) -> None:
    events = [
        make_event(0, 0.0, "legal_threat"),
        make_event(1, 10.0, "legal_threat"),
        make_event(2, 20.0, "complaint"),
        make_event(3, 30.0, "noise"),
    ]
    actions = [
        _action("ev-000000", "triage", 1.0, "care", 1, "p3"),
        _action(
            "ev-000000", "escalate", 40.0, "legal", 3, "p1", agent="a-1"
        ),  # reached legal at tier 3
        _action("ev-000001", "triage", 11.0, "legal", 2, "p1"),  # right route, tier too low
        _action("ev-000002", "triage", 21.0, "care", 1, "p3"),
        _action("ev-000002", "escalate", 50.0, tier=2),  # only the tier changes: over-escalated
        _action("ev-000003", "triage", 31.0, "care", 1, "p3"),
        _action("ev-000003", "ignore", 32.0),  # ignored in the end: routed none
    ]
    run = run_folder(events, actions)
    r = build_results(run, tiny_scenario(), "simulate", [])
    esc = r["escalation"]
    assert esc["correct"] == 2  # ev 0 and ev 3
    assert esc["critical_support"] == 2 and esc["critical_missed"] == 1
    assert esc["critical_misses"][0]["id"] == "ev-000001"
    assert esc["critical_misses"][0]["decided"] == {"route": "legal", "tier": 2, "priority": "p1"}
    assert esc["over_escalated"] == 1 and esc["under_escalated"] == 1
    assert r["latency"]["escalation_s"]["count"] == 2
    assert r["latency"]["escalation_s"]["p50"] == 35.0  # median of 40 - 0 and 50 - 20


def test_a_critical_post_escalated_above_its_tier_counts_as_reached(run_folder: RunFolders) -> None:
    events = [make_event(0, 0.0, "legal_threat")]
    actions = [_action("ev-000000", "triage", 5.0, "legal", 4, "p1")]
    r = build_results(run_folder(events, actions), tiny_scenario(), "simulate", [])
    assert r["escalation"]["critical_recall"] == 1.0
    assert r["escalation"]["over_escalated"] == 1


def test_staffing_against_erlang_and_the_roster(run_folder: RunFolders) -> None:
    # 30 complaints in the first 15 minutes, none after; frontline has 2 agents, AHT 4 min.
    events = [make_event(i, 30.0 * i, "complaint") for i in range(30)]
    actions = [_action(f"ev-{i:06d}", "reply", 30.0 * i + 1200.0, agent="a-1") for i in range(30)]
    r = build_results(run_folder(events, actions), tiny_scenario(), "simulate", [])
    st = r["staffing"]
    assert st["interval_s"] == 900.0
    front = next(t for t in st["tiers"] if t["name"] == "frontline")
    rows = front["intervals"]
    assert len(rows) == 4 and [row["clock"] for row in rows] == ["08:00", "08:15", "08:30", "08:45"]
    assert [row["arrivals"] for row in rows] == [30, 0, 0, 0]
    # answers at 1200 + 30 i (1200..2070): [900, 1800) holds i = 0..19, [1800, 2700) the rest
    assert [row["throughput"] for row in rows] == [0, 20, 10, 0]
    assert [row["backlog"] for row in rows] == [30, 10, 0, 0]
    assert [row["rostered"] for row in rows] == [2, 2, 2, 2]
    need = erlang.erlang_c_required(30 / 900.0, 240.0, 0.8, 900.0)
    assert rows[0]["required_erlang"] == need and rows[1]["required_erlang"] == 0
    assert rows[0]["required_erlang_a"] == erlang.erlang_a_required(
        30 / 900.0, 240.0, 0.8, 900.0, 2700.0
    )
    assert rows[0]["sla"] == 1.0  # 20 min answers, within the 1 h deadline
    assert front["observed_case_s"] == 30.0  # a-1 answers every 30 s
    assert need > 2  # 8 Erlangs offered
    assert st["adequate"] is False
    # shortfalls count against the simulation over these arrivals (no team.json: the drill's
    # search); a 15-minute surge with 15 minutes' grace needs fewer than steady-state Erlang
    sim = rows[0]["required_sim"]
    assert st["required_basis"] == "simulation" and 2 < sim < need
    assert st["shortfall_windows"][0]["text"] == f"08:00-08:15 frontline needed {sim}, had 2"
    legal = sum(row["required_sim"] > 1 for t in st["tiers"] if t["name"] != "frontline"
                for row in t["intervals"])
    assert st["shortfall_agent_hours"] == pytest.approx((sim - 2) * 0.25) and legal == 0


def test_per_agent_scorecard_and_sentiment(run_folder: RunFolders) -> None:
    events = [
        make_event(0, 0.0, "complaint", thread="th-a", sentiment=-0.8),
        make_event(1, 60.0, "complaint", thread="th-a", sentiment=-0.4),
        make_event(
            2, 600.0, "complaint", thread="th-a", sentiment=0.4
        ),  # after the answer at 120 s
        make_event(3, 0.0, "legal_threat", thread="th-b", sentiment=-0.9),
    ]
    actions = [
        _action("ev-000000", "triage", 10.0, "care", 1, "p3", agent="ann"),
        _action("ev-000000", "reply", 120.0, agent="ann"),
        _action("ev-000001", "reply", 160.0, agent="bob"),
        _action("ev-000003", "triage", 5.0, "care", 1, "p3", agent="bob"),
    ]
    r = build_results(run_folder(events, actions), tiny_scenario(), "simulate", [])
    agents = {a["agent"]: a for a in r["agents"]}
    assert agents["ann"]["cases"] == 1 and agents["ann"]["responses"] == 1
    assert agents["ann"]["median_first_response_s"] == 120.0
    assert agents["ann"]["escalation_accuracy"] == 1.0
    assert agents["bob"]["cases"] == 2 and agents["bob"]["median_first_response_s"] == 100.0
    assert agents["bob"]["critical_misses"] == 1 and agents["bob"]["escalation_accuracy"] == 0.0
    s = r["sentiment"]
    assert s["before"]["posts"] == 2 and s["before"]["mean"] == pytest.approx(-0.6)
    assert s["after"]["posts"] == 1 and s["after"]["mean"] == pytest.approx(0.4)
    assert s["unanswered_threads"]["posts"] == 1 and s["threads_answered"] == 1


def test_drill_recordings_give_counts_ingest_and_fidelity(run_folder: RunFolders) -> None:
    from hdrh.histogram import HdrHistogram

    events, actions = two_second_stack(20)
    hist = HdrHistogram(1, 60_000_000, 3)
    for us in (1000, 2000, 3000, 4000, 100_000):  # microseconds
        hist.record_value(us)
    lag = HdrHistogram(1, 60_000_000, 3)
    lag.record_value(500)
    status = np.full(20, 202, dtype=np.int64)
    status[[4, 5]] = 500
    status[6] = 0
    replay = {
        **drill_replay(20, [5, 10, 5]),
        "counts": {
            "generated": 20,
            "sent": 19,
            "accepted": 17,
            "failed": 2,
            "unsent": 1,
            "unmatched_actions": 0,
            "rejected_callbacks": 3,
            "throttled": 0,
        },
        "status_codes": {"202": 17, "500": 2},
        "per_second": {
            "planned": [5, 10, 5],
            "sent": [5, 9, 5],
            "accepted": [5, 7, 5],
            "failed": [0, 2, 0],
        },
        "hdr": {
            "ingest_ms": hist.encode().decode(),
            "ingest_service_ms": hist.encode().decode(),
            "schedule_lag_ms": lag.encode().decode(),
        },
    }
    sends = {
        "intended_s": np.arange(20) * 0.5,
        "lag_ms": np.full(20, 0.5),
        "latency_ms": np.full(20, 3.0),
        "service_ms": np.full(20, 2.5),
        "status": status,
    }
    run = run_folder(events, actions, replay, sends)
    r = build_results(run, tiny_scenario(), "drill", ["drill", "tiny.yaml"])
    c = r["counts"]
    assert (c["generated"], c["sent"], c["accepted"], c["failed"], c["unsent"]) == (
        20,
        19,
        17,
        2,
        1,
    )
    assert c["accounting_ok"] is True and c["rejected_callbacks"] == 3
    ingest = r["latency"]["ingest_ms"]
    assert ingest["count"] == 5
    assert ingest["p50"] == pytest.approx(3.0, rel=1e-3) and ingest["max"] == pytest.approx(
        100.0, rel=1e-3
    )
    assert r["replay"]["planned_peak_rate"] == 10 and r["replay"]["achieved_peak_rate"] == 9
    assert r["replay"]["schedule_lag_ms"]["p99"] == pytest.approx(0.5, rel=1e-2)
    assert r["latency"]["ingest_over_time"]["p50"] == [3.0] * 10  # 1 s buckets over 9.5 s
    gates = {g["name"]: g for g in r["gates"]}
    assert gates["error_rate"]["value"] == pytest.approx(0.1) and not gates["error_rate"]["passed"]
    assert gates["ingest_p99"]["threshold"] == 500.0 and gates["ingest_p99"]["passed"]


def test_write_outputs_writes_results_and_report(run_folder: RunFolders) -> None:
    events, actions = two_second_stack(30)
    run = run_folder(events, actions)
    results = write_outputs(run, tiny_scenario(), "simulate", ["drill", "simulate"], AT)
    stored = orjson.loads((run / "results.json").read_bytes())
    assert stored["generated_at"] == "2026-03-14T12:00:00+00:00"
    assert stored["schema"] == results["schema"] and stored["passed"] is False
    for key in (
        "schema",
        "mode",
        "scenario",
        "counts",
        "replay",
        "latency",
        "escalation",
        "staffing",
        "gates",
        "passed",
    ):
        assert key in stored
    assert stored["scenario"] == {
        **stored["scenario"],
        "name": "tiny-storm",
        "seed": 7,
        "duration_s": 3600.0,
    }
    assert (run / "report.html").stat().st_size > 10_000


def test_a_broken_events_line_names_the_file_and_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").write_text(
        orjson.dumps(make_event(0, 0.0, "noise")).decode() + "\n{broken\n"
    )
    with pytest.raises(InputError, match=r"events.jsonl: line 2 must be one JSON object"):
        build_results(run, tiny_scenario(), "simulate", [])


def test_an_event_without_id_is_an_input_error(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").write_text('{"t": 1.0}\n')
    with pytest.raises(InputError, match=r"events.jsonl: line 1 must be an event as in DESIGN"):
        build_results(run, tiny_scenario(), "simulate", [])


def test_an_empty_run_has_no_figures_but_does_not_crash(run_folder: RunFolders) -> None:
    run = run_folder([], [])
    r = build_results(run, tiny_scenario(), "simulate", [])
    assert r["counts"]["generated"] == 0
    assert r["latency"]["first_response_s"]["p90"] is None
    assert r["escalation"]["accuracy"] is None
    assert any(g["passed"] is False for g in r["gates"])  # a null metric fails its gate
    assert math.isclose(r["staffing"]["shortfall_agent_hours"], 0.0)


def test_arrow_and_orjson_loaders_agree(run_folder: RunFolders) -> None:
    from simulator.runfolder import read_columns

    events, actions = two_second_stack(50)
    events[3]["thread"] = None  # falls back to the event's own id
    events[4]["incident"] = ""
    events[5]["labels"]["expected"] = {"route": None, "respond": False}
    actions.append(_action("ev-999999", "reply", 5.0, agent="ghost"))
    actions.append(_action("ev-000001", "escalate", 40.0, tier=3))
    fast_events, fast_actions = read_columns(run_folder(events, actions))
    # a tier written as 1.0 (pyarrow reads only integers there): the line parser reads both
    expected = next(e["labels"]["expected"] for e in events if "tier" in e["labels"]["expected"])
    expected["tier"] = float(expected["tier"])
    actions[-1]["tier"] = 3.0
    slow_events, slow_actions = read_columns(run_folder(events, actions, name="slow"))

    def decoded(cat: Any) -> list[str]:
        return [cat.names[c] for c in cat.codes]

    assert fast_events.ids == slow_events.ids
    for name in ("channel", "incident", "thread", "intent", "route", "priority"):
        assert decoded(getattr(fast_events, name)) == decoded(getattr(slow_events, name)), name
    for name in ("t", "sentiment", "tier", "respond", "respond_within_s"):
        np.testing.assert_array_equal(
            getattr(fast_events, name), getattr(slow_events, name), err_msg=name
        )
    assert [fast_events.text[i] for i in range(50)] == list(slow_events.text)
    np.testing.assert_array_equal(fast_actions.event, slow_actions.event)
    assert fast_actions.event[-2] == -1
    for name in ("action", "route", "priority", "agent"):
        assert decoded(getattr(fast_actions, name)) == decoded(getattr(slow_actions, name)), name
    np.testing.assert_array_equal(fast_actions.tier, slow_actions.tier)
    np.testing.assert_array_equal(fast_actions.at, slow_actions.at)


def test_a_field_of_the_wrong_type_falls_back_to_the_line_naming_reader(
    run_folder: RunFolders,
) -> None:
    events, actions = two_second_stack(10)
    events[2]["labels"]["expected"]["tier"] = "three"
    run = run_folder(events, actions)
    with pytest.raises(InputError, match=r"events.jsonl: line 3 must be an event as in DESIGN"):
        build_results(run, tiny_scenario(), "simulate", [])


def test_a_short_last_interval_uses_its_real_length(run_folder: RunFolders) -> None:
    # 25 minutes: intervals [0, 15m) and [15m, 25m); 40 complaints in the second one.
    events = [make_event(i, 900.0 + 15.0 * i, "complaint") for i in range(40)]
    r = build_results(
        run_folder(events, []), tiny_scenario(duration="25m"), "simulate", []
    )
    front = next(t for t in r["staffing"]["tiers"] if t["name"] == "frontline")
    last = front["intervals"][-1]
    assert (last["start_s"], last["end_s"], last["arrivals"]) == (900.0, 1500.0, 40)
    assert last["required_erlang"] == erlang.erlang_c_required(40 / 600.0, 240.0, 0.8, 900.0)
    window = next(w for w in r["staffing"]["shortfall_windows"] if w["tier"] == "frontline")
    assert window["text"] == f"08:15-08:25 frontline needed {last['required_sim']}, had 2"
    assert r["counts"]["unanswered"] == 40 and r["latency"]["sla_attainment"] == 0.0
