"""`staff --schedule`: the verified plan, its pasteable block and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from carestack.config import load_team
from drill.stack_team import write_stack_team
from run_drill import main
from simulator.scenario.models import load_scenario
from simulator.staffing.plan_verify import interval_service, sla_classes
from simulator.staffing.shift_print import shifts_yaml
from simulator.staffing.shift_schedule import MAX_ROUNDS, Schedule, ScheduleOptions, schedule
from simulator.team.simulation import simulate

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
OUTAGE = SCENARIOS / "payment-outage.yaml"  # 2 h, a roster far below the storm's need
REPS = 2
H = 3600.0


@pytest.fixture(scope="module")
def planned() -> Schedule:
    scenario = load_scenario(OUTAGE)
    return schedule(scenario, ScheduleOptions((H / 2, H), H / 2, replications=REPS))


def test_plan_covers_what_it_was_solved_for(planned: Schedule) -> None:
    interval = planned.options.interval_s
    for tier in planned.tiers:
        assert all(p >= r for p, r in zip(tier.planned_for, tier.required_sim, strict=True))
        for i, need in enumerate(tier.planned_for):
            lo, hi = i * interval, min((i + 1) * interval, planned.duration_s)
            duty = sum(s.agents for s in tier.plan.shifts if s.start_s <= lo and s.end_s >= hi)
            assert duty >= need, (tier.name, i)
        assert {s.length_s for s in tier.plan.shifts} <= {H / 2, H}
    # the roster of this scenario is far short: the plan pays for more
    assert planned.agent_hours > planned.rostered_agent_hours


def test_verification_decides_the_rounds(planned: Schedule) -> None:
    # a new round is solved only after a round that missed, and never past the bound
    assert len(planned.rounds) <= MAX_ROUNDS
    assert all(r.missed > 0 for r in planned.rounds[:-1])
    if planned.status == "bound":
        assert len(planned.rounds) == MAX_ROUNDS
    last = planned.rounds[-1]
    if planned.status == "met":
        assert last.missed == 0
        for tier in planned.tiers:
            for cls in tier.service:
                for hits, counted in zip(cls.hits, cls.counted, strict=True):
                    assert counted == 0 or hits >= cls.target * counted
    else:
        assert last.missed > 0
    # later rounds only ever add agents
    hours = [r.agent_hours for r in planned.rounds]
    assert hours == sorted(hours)


def test_pasted_block_validates_and_runs_the_planned_team(
    planned: Schedule, tmp_path: Path
) -> None:
    block = yaml.safe_load(shifts_yaml(planned, "payment-outage"))
    data = yaml.safe_load(OUTAGE.read_text())
    pasted = {t["name"]: t["shifts"] for t in block["team"]["tiers"]}
    for tier in data["team"]["tiers"]:
        tier["shifts"] = pasted[tier["name"]]
    path = tmp_path / "planned.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    scenario = load_scenario(path)
    runs = [simulate(scenario, planned.seed + r, record_actions=False).team for r in range(REPS)]
    interval = planned.options.interval_s
    mids = (np.arange(len(planned.tiers[0].on_duty)) + 0.5) * interval
    for tier in runs[0].tiers:
        mine = next(t for t in planned.tiers if t.name == tier.name)
        assert tier.agents_at(mids).tolist() == list(mine.on_duty)
    # the pasted scenario's runs are the verification's runs: same service level per interval
    service = interval_service(runs, sla_classes(scenario.team), len(mids), interval)
    for got in service:
        want = next(c for t in planned.tiers for c in t.service
                    if t.name == got.tier and c.sla_class == got.sla_class)
        assert got.hits == want.hits and got.counted == want.counted
    # a drill's reference stack takes its agents from the same block
    stack_team = write_stack_team(scenario.team, tmp_path / "team.yaml")
    stack = {t.name: t.shifts for t in load_team(stack_team)}
    for tier in scenario.team.tiers:
        assert stack[tier.name] == tuple((s.start, s.end, s.agents) for s in tier.shifts)
    # and `simulate` on it writes a run folder whose roster is the plan
    assert main(["simulate", str(path), "-o", str(tmp_path / "run")]) == 0
    team = json.loads((tmp_path / "run" / "team.json").read_text())
    front = next(t for t in team["tiers"] if t["name"] == "frontline")
    assert [r["rostered"] for r in front["intervals"]] == list(planned.tiers[0].on_duty)


def test_cli_json_and_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shifts.yaml"
    args = ["staff", str(OUTAGE), "--schedule", "--shift-lengths", "1h,2h", "--start-step",
            "1h", "--replications", "1", "--json", "--yaml", str(out)]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] in ("met", "bound")
    assert data["shift_lengths_s"] == [H, 2 * H]
    tier = data["tiers"][0]
    assert tier["shifts"] and all(s["start_s"] in (0.0, H) for s in tier["shifts"])
    assert set(tier["intervals"][0]) >= {"required_sim", "planned_for", "on_duty", "rostered",
                                        "service_level"}
    assert out.read_text().startswith("# staff --schedule for payment-outage")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--shift-lengths", "4h"], "--shift-lengths: must be at most the scenario's duration "
                                    "(2h), got 4h"),
        (["--shift-lengths", "1h,soon"], "--shift-lengths: must be a comma-separated list of "
                                         "a duration"),
        (["--shift-lengths", "1h,,2h"], "--shift-lengths: must be a comma-separated list"),
        (["--start-step", "0s"], "--start-step: must be a duration > 0"),
        (["--max-agents", "10"], "--max-agents: tier 'frontline' needs"),
        (["--max-agents", "0"], "--max-agents: must be an integer >= 1, got 0"),
    ],
)
def test_bad_schedule_input_is_one_line(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["staff", str(OUTAGE), "--schedule", "--replications", "1", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_schedule_flags_need_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staff", str(OUTAGE), "--yaml", "x.yaml"]) == 2
    assert "--yaml needs --schedule" in capsys.readouterr().err
