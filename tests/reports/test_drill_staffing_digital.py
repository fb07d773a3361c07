"""Drill staffing for digital care: concurrency (Erlang C on c*N servers vs the simulation),
per-class service levels achieved, and where Erlang and the simulation disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.synthetic_run import make_event, tiny_scenario, write_run
from reports.outcomes import compute_outcomes
from reports.run_data import load_run
from reports.scenario_facts import roster_of
from reports.staffing_adequacy import staffing_metrics
from simulator.scenario.models import Scenario
from simulator.staffing import erlang
from tests.reports.staffing_runs import poisson_times

AHT, WITHIN, TARGET = 180.0, 20.0, 0.8


def _scenario(hours: int, service_level: dict[str, Any]) -> Scenario:
    team: dict[str, Any] = {
        "tiers": [{
            "name": "social", "tier": 1, "routes": ["care"], "concurrency": 2, "slowdown": 0,
            "shifts": [{"from": "0h", "to": f"{hours}h", "agents": 7}],
            "handle_time": {"dist": "exponential", "mean": f"{AHT:g}s"},
        }, {
            "name": "legal-security", "tier": 3, "routes": ["legal"],
            "shifts": [{"from": "0h", "to": f"{hours}h", "agents": 1}],
            "handle_time": {"dist": "constant", "value": "10m"},
        }],
        "service_level": service_level,
    }
    return tiny_scenario(duration=f"{hours}h", team=team, seed=3)


def _staffing(tmp: Path, times: np.ndarray, scenario: Scenario,
              channels: list[str] | None = None) -> dict[str, Any]:
    channels = channels or ["twitter"] * times.size
    events = [make_event(i, float(t), "complaint", channel=c)
              for i, (t, c) in enumerate(zip(times, channels, strict=True))]
    run = load_run(write_run(tmp / "run", events, []))
    return staffing_metrics(run, compute_outcomes(run), roster_of(scenario), scenario=scenario)


def test_drill_with_concurrency_agrees_with_erlang_c_on_c_times_n_servers(tmp_path: Path) -> None:
    rate, hours = 100 / 1800, 4
    assert erlang.erlang_c_required(rate, AHT, TARGET, WITHIN) == 14  # servers: 7 agents of 2
    times = poisson_times(rate, hours * 3600.0, np.random.default_rng(0))
    st = _staffing(tmp_path, times, _scenario(hours, {"within": "20s", "target": TARGET}))
    social = st["tiers"][0]
    assert social["concurrency"] == 2
    rows = social["intervals"][1:]
    assert all(5 <= r["required_erlang"] <= 9 for r in rows), rows  # ~7, the realised rates
    diff = np.array([r["required_sim"] - r["required_erlang"] for r in rows])
    assert abs(diff.mean()) <= 1.0, diff
    gap = social["erlang_vs_sim"]
    assert gap["intervals"] == len(social["intervals"])
    assert gap["agree"] + gap["sim_above"] + gap["sim_below"] == gap["intervals"]
    every = [r["required_sim"] - r["required_erlang"] for r in social["intervals"]]
    assert abs(gap["mean_gap"] - np.mean(every)) < 1e-3
    assert set(st["service_levels"]) == {"public"}


def test_drill_with_service_level_classes_scores_each_class(tmp_path: Path) -> None:
    rate, hours = 100 / 1800, 2
    times = poisson_times(rate, hours * 3600.0, np.random.default_rng(1))
    channels = ["email" if i % 4 == 0 else "twitter" for i in range(times.size)]
    levels = {"public": {"within": "20s", "target": TARGET},
              "private": {"within": "1h", "target": 0.9, "max_occupancy": 0.9}}
    st = _staffing(tmp_path, times, _scenario(hours, levels), channels)
    sl = st["service_levels"]
    assert set(sl) == {"public", "private"}
    assert sl["private"]["within_s"] == 3600.0 and sl["public"]["within_s"] == 20.0
    assert sl["private"]["posts"] == sum(c == "email" for c in channels)
    # nobody answers in this hand-built run: every class at 0
    assert sl["public"]["service_level"] == 0.0 and sl["private"]["service_level"] == 0.0
    # deferring a quarter of the posts under a 1 h deadline needs no more agents than
    # holding every post to 20 s
    one = _staffing(tmp_path / "one", times, _scenario(hours, {"within": "20s", "target": TARGET}))
    need = [r["required_sim"] for r in st["tiers"][0]["intervals"]]
    need_one = [r["required_sim"] for r in one["tiers"][0]["intervals"]]
    assert sum(need) <= sum(need_one), (need, need_one)
