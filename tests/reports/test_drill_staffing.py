"""Drill staffing by simulation: required_sim over the drill's own arrivals (reports/staffing).

Closed-form checks as in tests/simulator/staffing/test_staffing.py: on Poisson arrivals with
exponential handle times the drill's simulated requirement agrees with Erlang C within one
agent; on a bursty (Hawkes-like cluster) storm of the same mean rate it needs more than Erlang
C.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from reports import build_results, render_report
from reports.outcomes import compute_outcomes
from reports.run_data import load_run
from reports.scenario_facts import roster_of
from reports.staffing_adequacy import SIM_POST_BUDGET, staffing_metrics
from simulator.scenario.models import Scenario
from simulator.staffing import erlang
from tests.reports.staffing_runs import (
    AHT,
    TARGET,
    WITHIN,
    cluster_times,
    poisson_times,
    staffed_scenario,
    staffing_run,
)


def _staffing(run_dir: Path, scenario: Scenario) -> dict[str, Any]:
    run = load_run(run_dir)
    return staffing_metrics(run, compute_outcomes(run), roster_of(scenario), scenario=scenario)


def _differences(st: dict[str, Any]) -> np.ndarray:
    """required_sim - required_erlang per frontline interval, the first (empty start) left out."""
    rows = st["tiers"][0]["intervals"][1:]
    return np.array([r["required_sim"] - r["required_erlang"] for r in rows])


def test_poisson_drill_agrees_with_erlang_c_within_one_agent(tmp_path: Path) -> None:
    rate, hours = 100 / 1800, 6  # Erlang C: 14 agents for 80% within 20 s at AHT 3 min
    assert erlang.erlang_c_required(rate, AHT, TARGET, WITHIN) == 14
    times = poisson_times(rate, hours * 3600.0, np.random.default_rng(0))
    st = _staffing(staffing_run(tmp_path / "run", times), staffed_scenario(hours))
    assert st["simulation"]["source"] == "drill"
    assert st["simulation"]["distributions"] == "scenario" and st["simulation"]["seed"] == 3
    assert st["simulation"]["posts"] == times.size and st["simulation"]["skipped"] is None
    diff = _differences(st)
    # one arrival stream: single intervals scatter by a couple of agents (their own bursts),
    # but over 23 intervals the simulation and Erlang C agree within one agent
    assert abs(diff.mean()) <= 1.0 and abs(np.median(diff)) <= 1.0, diff
    assert st["required_basis"] == "simulation"
    assert st["peak_required_sim"] == max(r["required_sim"] for r in st["intervals"])


def test_bursty_storm_needs_more_than_erlang_c(tmp_path: Path) -> None:
    # the same mean rate (100 per 30 min) arriving in clusters of about ten posts
    hours = 4
    times = cluster_times(np.random.default_rng(9), hours * 3600.0, 100 / 1800 * 0.1, 0.9)
    st = _staffing(staffing_run(tmp_path / "run", times), staffed_scenario(hours))
    diff = _differences(st)
    assert diff.mean() > 1.0 and diff.sum() > 0, diff
    # shortfalls count against the simulation: a roster at Erlang C's peak is short somewhere
    peak_c = max(r["required_erlang"] for r in st["tiers"][0]["intervals"])
    st = _staffing(staffing_run(tmp_path / "run", times), staffed_scenario(hours, agents=peak_c))
    windows = [w for w in st["shortfall_windows"] if w["tier"] == "frontline"]
    assert windows and all(w["needed"] > peak_c for w in windows)
    assert st["shortfall_agent_hours"] > 0 and st["adequate"] is False


def test_posts_that_never_reached_the_stack_are_left_out(tmp_path: Path) -> None:
    times = np.arange(40) * 20.0
    intents = ["noise" if i % 4 == 0 else "complaint" for i in range(40)]
    status = np.full(40, 202, dtype=np.int16)
    status[[1, 2]] = 0  # never sent
    status[[5]] = -1  # connection refused
    status[[6]] = 500  # reached the stack, refused by it: a customer still posted it
    st = _staffing(staffing_run(tmp_path / "run", times, intents, status), staffed_scenario(1))
    # noise (10 posts) is triaged by the lowest tier; 3 complaints never arrived
    assert st["simulation"]["posts"] == 40 - 3
    assert st["tiers"][1]["intervals"][0]["required_sim"] == 0  # legal: nothing arrived


def test_same_scenario_same_answer_and_results_without_the_scenario(tmp_path: Path) -> None:
    times = poisson_times(100 / 1800, 3600.0, np.random.default_rng(4))
    run = staffing_run(tmp_path / "run", times)
    first, again = _staffing(run, staffed_scenario(1)), _staffing(run, staffed_scenario(1))
    assert first["intervals"] == again["intervals"]
    # the whole results step (mode simulate: this hand-built folder has no replay recordings
    # for the drill's ingest gates; without team.json the search runs on its events)
    r = build_results(run, staffed_scenario(1), "simulate", [])
    sim = r["staffing"]["simulation"]
    # results.py does not hand the scenario to staffing_metrics yet: roster means then
    assert sim["distributions"] in ("scenario", "exponential at the roster's means")
    assert all(row["required_sim"] is not None for row in r["staffing"]["intervals"])
    html = render_report(r, run, datetime(2026, 3, 14, tzinfo=UTC)).read_text()
    assert "peak required (simulation)" in html and "replications of handle times" in html


def test_huge_drills_skip_the_search_and_say_so(tmp_path: Path) -> None:
    n = SIM_POST_BUDGET + 1
    times = np.linspace(0.0, 3599.0, n)
    st = _staffing(staffing_run(tmp_path / "run", times), staffed_scenario(1, agents=500))
    assert st["simulation"]["replications"] == 0
    assert f"budget of {SIM_POST_BUDGET}" in st["simulation"]["skipped"]
    assert all(r["required_sim"] is None for r in st["intervals"])
    assert st["required_basis"] == "erlang_c" and st["peak_required_sim"] is None
    # shortfalls fall back to Erlang C: 60,001 posts an hour at 3 min need far more than 500
    rows = st["tiers"][0]["intervals"]
    assert st["shortfall_windows"][0]["needed"] == max(r["required_erlang"] for r in rows)


def test_large_drills_use_fewer_replications(tmp_path: Path) -> None:
    times = np.linspace(0.0, 3599.0, SIM_POST_BUDGET // 3)
    st = _staffing(staffing_run(tmp_path / "run", times), staffed_scenario(1, agents=300))
    assert st["simulation"]["replications"] == 3
    assert all(r["required_sim"] is not None for r in st["intervals"])
