"""The report's recommended shift plan beside the roster (results.json staffing.schedule)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reports import build_results
from reports.report import render_html
from run_drill import main
from simulator.scenario.models import load_scenario
from tests.reports.staffing_runs import poisson_times, staffed_scenario, staffing_run

H = 3600.0
OUTAGE = Path(__file__).resolve().parents[2] / "scenarios" / "payment-outage.yaml"


def _check_block(staffing: dict[str, Any], duration: float) -> dict[str, Any]:
    """The plan covers each tier's requirement, and its sums and misses add up."""
    plan = staffing["schedule"]
    interval = staffing["interval_s"]
    for tier, rec in zip(staffing["tiers"], plan["tiers"], strict=True):
        assert rec["name"] == tier["name"]
        key = "required_sim" if tier["required_basis"] == "simulation" else "required_erlang"
        for i, row in enumerate(tier["intervals"]):
            lo, hi = i * interval, min((i + 1) * interval, duration)
            duty = sum(s["agents"] for s in rec["shifts"]
                       if s["start_s"] <= lo and s["start_s"] + s["length_s"] >= hi)
            assert duty >= (row[key] or 0), (tier["name"], i)
        paid = sum(s["agents"] * s["length_s"] for s in rec["shifts"]) / H
        assert rec["recommended_agent_hours"] == pytest.approx(paid, abs=1e-3)
        assert rec["gap_agent_hours"] == pytest.approx(
            rec["recommended_agent_hours"] - rec["rostered_agent_hours"], abs=1e-3)
        want = [r["clock"] for r in tier["intervals"]
                if r[key] is not None and r[key] > r["rostered"]]
        assert rec["missed_intervals"] == want
    assert plan["missed_intervals"] == sum(len(t["missed_intervals"]) for t in plan["tiers"])
    return plan


def test_drill_report_shows_the_plan_beside_the_roster(tmp_path: Path) -> None:
    hours = 6
    scenario = staffed_scenario(hours, agents=10)
    times = poisson_times(100 / 1800, hours * H, np.random.default_rng(1))
    run = staffing_run(tmp_path / "run", times)
    # a hand-built drill folder has no replay recordings: "simulate" mode reads it, and
    # without team.json its staffing is the drill's (a search over its own posts)
    results = build_results(run, scenario, "simulate", [])
    assert results["staffing"]["simulation"]["source"] == "drill"
    plan = _check_block(results["staffing"], hours * H)
    front = plan["tiers"][0]
    assert front["rostered_agent_hours"] == 10 * hours
    assert front["missed_intervals"]  # ~14 needed against 10 rostered
    assert plan["shift_lengths_s"] == [4 * H, 6 * H]
    html = render_html(results, datetime(2026, 1, 1, tzinfo=UTC))
    assert "Recommended shift plan beside the roster" in html
    assert "cost of the gap" in html and f"{front['shifts'][0]['agents']} × " in html


def test_simulate_report_has_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["simulate", str(OUTAGE), "-o", str(out)]) == 0
    scenario = load_scenario(OUTAGE)
    results = build_results(out, scenario, "simulate", [])
    plan = _check_block(results["staffing"], scenario.duration)
    assert plan["gap_agent_hours"] > 0  # the outage roster is far short
    assert plan["rostered_agent_hours"] == pytest.approx(101.5)
