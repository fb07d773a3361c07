"""Benchmark: a 24-hour, ~200,000-post storm against a 100-agent team (DESIGN.md section 12).

Target: crowd + team + staffing plan in at most 20 s. Times, each as CPU seconds
(``time.process_time``, fair on a shared machine) and wall seconds:

- ``crowd``: the storm generator alone in streaming mode (one SimPy event per post, a no-op
  ``on_post``), the way ``simulate`` drives it;
- ``team``: the care-team model alone, fed the coupled run's posts by ``simulator.team.feed``;
- ``crowd+team``: the coupled run (``simulator.simulate.simulate``), what the target counts;
- ``staffing plan``: ``simulator.simulate.plan`` on that run (one replication).

Each SimPy part is also given as a ratio to a bare SimPy loop scheduling the same number of
events, measured in this run. Run: ``.venv/bin/python bench/simulate.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from simulator.crowd import Crowd
from simulator.events import EventTable
from simulator.scenario import Scenario, parse_scenario
from simulator.simulate import plan, simulate
from simulator.team import TeamModel, feed

TARGET_S = 20.0
SCENARIO = {
    "name": "bench-24h",
    "seed": 3,
    "duration": "24h",
    "start": "2026-03-14T00:00:00Z",
    "brand": {"name": "Northwind Air", "handle": "@NorthwindAir", "products": ["app"]},
    "audience": {"customers": 200000, "followers": {"dist": "pareto", "alpha": 1.3, "min": 20}},
    "channels": {"twitter": 0.7, "facebook": 0.2, "email": 0.1},
    "baseline": {"rate": "7000/h", "profile": "flat",
                 "intents": {"question": 0.35, "complaint": 0.3, "praise": 0.1, "noise": 0.25}},
    "incidents": [{
        "id": "outage", "at": "10h", "topic": "app down",
        "trigger": {"rate": "6000/h", "for": "2h"},
        "cascade": {"branching": 0.5, "kernel": {"dist": "exponential", "mean": "5m"}},
        "intents": {"complaint": 0.7, "question": 0.2, "legal_threat": 0.02, "noise": 0.08},
    }],
    "journeys": {"share": 0.3, "patience": {"dist": "exponential", "mean": "40m"},
                 "path": ["twitter", "facebook", "email"]},
    "policy": [
        {"when": {"kind": "repost"}, "then": {"route": "none", "respond": False}},
        {"when": {"intent": "legal_threat"},
         "then": {"route": "legal", "tier": 3, "priority": "p1", "respond_within": "30m"}},
        {"when": {"intent": "complaint", "followers": ">=10000"},
         "then": {"route": "care", "tier": 2, "priority": "p2", "respond_within": "30m"}},
        {"when": {"intent": ["complaint", "question"]},
         "then": {"route": "care", "tier": 1, "priority": "p3", "respond_within": "1h"}},
        {"otherwise": {"route": "none", "respond": False}},
    ],
    "team": {
        "tiers": [
            {"name": "frontline", "tier": 1, "routes": ["care"],
             "shifts": [{"from": "0h", "to": "24h", "agents": 75}],
             "handle_time": {"dist": "lognormal", "mean": "40s", "sd": "20s"}, "escalates": 0.05},
            {"name": "specialists", "tier": 2, "routes": ["care"],
             "shifts": [{"from": "0h", "to": "24h", "agents": 20}],
             "handle_time": {"dist": "lognormal", "mean": "3m", "sd": "1m"}},
            {"name": "legal", "tier": 3, "routes": ["legal"],
             "shifts": [{"from": "0h", "to": "24h", "agents": 5}],
             "handle_time": {"dist": "lognormal", "mean": "10m", "sd": "5m"}},
        ],
        "service_level": {"within": "15m", "target": 0.8},
        "patience": {"dist": "exponential", "mean": "45m"},
    },
}


class Timed:
    """CPU and wall seconds of one call, and its result."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        c0, w0 = time.process_time(), time.perf_counter()
        self.value = fn()
        self.cpu = time.process_time() - c0
        self.wall = time.perf_counter() - w0

    def __str__(self) -> str:
        return f"cpu {self.cpu:6.2f} s  wall {self.wall:6.2f} s"


def scheduled(env: simpy.Environment) -> int:
    """SimPy events scheduled so far in ``env`` (its event counter)."""
    return next(env._eid) if hasattr(env, "_eid") else 0


def bare_loop(events: int) -> Timed:
    """A bare SimPy process scheduling ``events`` timeouts."""
    env = simpy.Environment()

    def proc():
        for _ in range(events):
            yield env.timeout(1.0)

    env.process(proc())
    return Timed(env.run)


def crowd_alone(scenario: Scenario) -> tuple[int, int]:
    """Posts and SimPy events of the crowd alone in streaming mode (no team, no reposts)."""
    env = simpy.Environment()
    rng = np.random.default_rng(scenario.seed).spawn(2)[0]  # the coupled run's crowd stream
    crowd = Crowd(env, scenario, rng, on_post=lambda _i: None, auto_journeys=False)
    crowd.start()
    env.run(until=scenario.duration)
    return len(crowd), scheduled(env)


def team_alone(scenario: Scenario, events: EventTable) -> int:
    """SimPy events of the team alone, fed ``events`` (no abandonment reposts)."""
    env = simpy.Environment()
    rng = np.random.default_rng(scenario.seed).spawn(2)[1]
    model = TeamModel(env, scenario.team, rng, record_actions=True)
    routes = [events.routes[int(r)] if r >= 0 else "none" for r in events.route.tolist()]
    prio = np.where(events.priority > 0, events.priority, 4)
    feed(env, model, events.t, routes, events.tier, prio, events.respond)
    env.run(until=scenario.duration)
    return scheduled(env)


def ratio(part: Timed, bare: Timed) -> str:
    return f"cpu {part.cpu / bare.cpu:5.1f}x  wall {part.wall / bare.wall:5.1f}x"


def main() -> None:
    scenario = parse_scenario(SCENARIO, "bench-24h")
    crowd = Timed(lambda: crowd_alone(scenario))
    coupled = Timed(lambda: simulate(scenario, record_actions=True))
    result = coupled.value
    team = Timed(lambda: team_alone(scenario, result.events))
    staffing = Timed(lambda: plan(scenario, replications=1, first=result))
    total_cpu, total_wall = coupled.cpu + staffing.cpu, coupled.wall + staffing.wall
    bare = {n: bare_loop(n) for n in (crowd.value[1], team.value, result.sim_events)}
    agents = sum(s.agents for t in scenario.team.tiers for s in t.shifts)
    print(f"posts: {len(result.events):,}  agents: {agents}  abandoned: {result.abandoned:,}  "
          f"reposts: {result.reposts:,}  actions: {len(result.team.actions):,}  "
          f"shortfall windows: {len(staffing.value.shortfalls)}")
    print(f"{'part':<15}{'time':<30}{'simpy events':>13}   ratio to a bare SimPy loop")
    for name, part, n in (("crowd", crowd, crowd.value[1]), ("team", team, team.value),
                          ("crowd+team", coupled, result.sim_events)):
        print(f"{name:<15}{part!s:<30}{n:>13,}   {ratio(part, bare[n])}"
              f"  (bare: {bare[n]})")
    print(f"{'staffing plan':<15}{staffing!s:<30}")
    verdict = "met" if total_cpu <= TARGET_S else "MISSED"
    print(f"{'total':<15}cpu {total_cpu:6.2f} s  wall {total_wall:6.2f} s   "
          f"(crowd+team + staffing plan; target <= {TARGET_S:g} s CPU: {verdict})")


if __name__ == "__main__":
    main()
