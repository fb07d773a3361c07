"""Service level per interval from team runs, checked on a hand-worked queue."""

from __future__ import annotations

import numpy as np
import simpy

from simulator.scenario.roster import Team
from simulator.staffing.plan_verify import interval_service, planned_team, sla_classes
from simulator.staffing.shift_plan import ShiftSpec
from simulator.team.model import TeamModel, feed

HORIZON = 1800.0


def _team(agents: int = 1) -> Team:
    return Team.model_validate({
        "tiers": [{"name": "frontline", "tier": 1, "routes": ["care"],
                   "shifts": [{"from": 0, "to": HORIZON, "agents": agents}],
                   "handle_time": {"dist": "constant", "value": "60s"}}],
        "service_level": {"within": "30s", "target": 0.8},
        "triage_accuracy": 1.0,
    })


def test_hand_worked_queue() -> None:
    # one agent, 60 s per post, 30 s allowed. Interval 0: posts at 0, 10, 20 start at 0, 60,
    # 120 (waits 0, 50, 100): 1 of 3. Interval 1 (900-1800): posts at 1750 and 1760 start at
    # 1750 and 1810 (after the end): the second's deadline 1790 is inside the run, a miss;
    # a post at 1780 (deadline 1810, after the end) is not counted.
    team = _team()
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0), record_actions=False)
    times = [0.0, 10.0, 20.0, 1750.0, 1760.0, 1780.0]
    n = len(times)
    feed(env, model, times, ["care"] * n, [1] * n, [3] * n, [True] * n)
    env.run(until=HORIZON)
    (svc,) = interval_service([model.result()], sla_classes(team), 2, 900.0)
    assert svc.tier == "frontline" and svc.sla_class == "all"
    assert svc.hits == (1, 1) and svc.counted == (3, 2)
    assert svc.service_level == (1 / 3, 0.5)
    assert svc.misses() == [0, 1]


def test_planned_team_takes_the_plan_stretches() -> None:
    plan = {"frontline": (ShiftSpec(0.0, 900.0, 2), ShiftSpec(600.0, 1200.0, 3))}
    tier = planned_team(_team(), plan, HORIZON).tiers[0]
    assert [(s.start, s.end, s.agents) for s in tier.shifts] == [
        (0.0, 600.0, 2), (600.0, 900.0, 5), (900.0, 1800.0, 3)]
