"""Benchmark: a 24-hour, ~200,000-post storm against a 100-agent team working 3 threads
each (DESIGN.md section 12), and the team model against Ciw on M/M/100.

Target: crowd + team + staffing plan in at most 20 s. Times, each as CPU seconds
(``time.process_time``, fair on a shared machine) and wall seconds:

- ``crowd``: the storm generator alone in streaming mode (one SimPy event per post, a no-op
  ``on_post``), the way ``simulate`` drives it;
- ``team``: the care-team model alone, fed the coupled run's posts by ``simulator.team.model.feed``,
  with a fifth of first replies answered back five minutes later (conversation turns);
- ``crowd+team``: the coupled run (``simulator.team.simulation.simulate``), what the target counts;
- ``staffing plan``: ``simulator.staffing.simulated_runs.plan`` on that run (one replication).

Each SimPy part is also given as a ratio to a bare SimPy loop scheduling the same number of
events, measured in this run. Then M/M/100 (rate 95, mean service 1, 200,000 arrivals): the
team model with 100 agents and with 25 agents of concurrency 4 (the same 100 servers),
against Ciw (``pip install -e .[bench]``), with each one's mean wait beside Erlang C's.
Run: ``.venv/bin/python bench/simulate.py`` (``--no-ciw`` skips the comparison).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from simulator.crowd.model import Crowd
from simulator.runfolder.event_table import EventTable
from simulator.scenario.distributions import DistSpec
from simulator.scenario.models import Scenario, parse_scenario
from simulator.scenario.roster import Shift, Team, Tier
from simulator.scenario.vocab import CHANNELS, PRIVATE_CHANNELS
from simulator.staffing.erlang import erlang_c_metrics
from simulator.staffing.simulated_runs import plan
from simulator.team.model import TeamModel, feed
from simulator.team.simulation import simulate

TARGET_S = 20.0
CONCURRENCY = 3
TURN_SHARE, TURN_DELAY_S = 0.2, 300.0  # answer-backs in the team-alone part
MM_RATE, MM_SERVERS, MM_ARRIVALS = 95.0, 100, 200_000
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
             "handle_time": {"dist": "lognormal", "mean": "40s", "sd": "20s"}, "escalates": 0.05,
             "concurrency": CONCURRENCY},
            {"name": "specialists", "tier": 2, "routes": ["care"],
             "shifts": [{"from": "0h", "to": "24h", "agents": 20}],
             "handle_time": {"dist": "lognormal", "mean": "3m", "sd": "1m"},
             "concurrency": CONCURRENCY},
            {"name": "legal", "tier": 3, "routes": ["legal"],
             "shifts": [{"from": "0h", "to": "24h", "agents": 5}],
             "handle_time": {"dist": "lognormal", "mean": "10m", "sd": "5m"},
             "concurrency": CONCURRENCY},
        ],
        "service_level": {"public": {"within": "15m", "target": 0.8},
                          "private": {"within": "2h", "target": 0.9}},
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


def team_alone(scenario: Scenario, events: EventTable) -> tuple[int, int]:
    """SimPy events and answer-backs of the team alone, fed ``events`` (no abandonment
    reposts; a ``TURN_SHARE`` of first replies answered back ``TURN_DELAY_S`` later)."""
    env = simpy.Environment()
    rng = np.random.default_rng(scenario.seed).spawn(2)[1]
    answers = np.random.default_rng(1).random(len(events)).tolist()
    turns = [0]

    def on_reply(index: int, turn: int) -> None:
        if turn == 0 and answers[index] < TURN_SHARE:
            turns[0] += 1
            model.answer_back(index, env.now + TURN_DELAY_S)

    model = TeamModel(env, scenario.team, rng, record_actions=True, on_reply=on_reply)
    routes = [events.routes[int(r)] if r >= 0 else "none" for r in events.route.tolist()]
    prio = np.where(events.priority > 0, events.priority, 4)
    private = np.isin(events.channel, [i for i, c in enumerate(CHANNELS) if c in PRIVATE_CHANNELS])
    feed(env, model, events.t, routes, events.tier, prio, events.respond, private)
    env.run(until=scenario.duration)
    return scheduled(env), turns[0]


def mm_team(concurrency: int) -> tuple[float, int]:
    """M/M/100 on the team model (``MM_SERVERS / concurrency`` agents): mean wait, arrivals."""
    rng = np.random.default_rng(5)
    times = np.cumsum(rng.exponential(1 / MM_RATE, MM_ARRIVALS))
    tier = Tier(name="mm", tier=1, routes=("care",), concurrency=concurrency, slowdown=0.0,
                handle_time=DistSpec(dist="exponential", mean=1.0),
                shifts=(Shift.model_validate({"from": 0, "to": 1e9,
                                              "agents": MM_SERVERS // concurrency}),))
    env = simpy.Environment()
    model = TeamModel(env, Team(tiers=(tier,), triage_accuracy=1.0), np.random.default_rng(6),
                      record_actions=False)
    n = times.size
    feed(env, model, times, ["care"] * n, np.ones(n, int), np.full(n, 3), np.ones(n, bool))
    env.run()
    run = model.result()
    return float(np.mean(run.v_start - run.v_enqueue)), n


def mm_ciw() -> tuple[float, int]:
    """M/M/100 on Ciw: mean wait of the customers who finished, arrivals."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=MM_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0)],
        number_of_servers=[MM_SERVERS],
    )
    ciw.seed(5)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(MM_ARRIVALS, method="Arrive")
    records = sim.get_all_records()
    return float(np.mean([r.waiting_time for r in records])), MM_ARRIVALS


def ratio(part: Timed, bare: Timed) -> str:
    return f"cpu {part.cpu / bare.cpu:5.1f}x  wall {part.wall / bare.wall:5.1f}x"


def main() -> None:
    scenario = parse_scenario(SCENARIO, "bench-24h")
    crowd = Timed(lambda: crowd_alone(scenario))
    coupled = Timed(lambda: simulate(scenario, record_actions=True))
    result = coupled.value
    team = Timed(lambda: team_alone(scenario, result.events))
    team_events, turns = team.value
    staffing = Timed(lambda: plan(scenario, replications=1, first=result))
    total_cpu, total_wall = coupled.cpu + staffing.cpu, coupled.wall + staffing.wall
    bare = {n: bare_loop(n) for n in (crowd.value[1], team_events, result.sim_events)}
    agents = sum(s.agents for t in scenario.team.tiers for s in t.shifts)
    print(f"posts: {len(result.events):,}  agents: {agents}  abandoned: {result.abandoned:,}  "
          f"reposts: {result.reposts:,}  actions: {len(result.team.actions):,}  "
          f"shortfall windows: {len(staffing.value.shortfalls)}  concurrency: {CONCURRENCY}  "
          f"answer-backs (team part): {turns:,}")
    print(f"{'part':<15}{'time':<30}{'simpy events':>13}   ratio to a bare SimPy loop")
    for name, part, n in (("crowd", crowd, crowd.value[1]), ("team", team, team_events),
                          ("crowd+team", coupled, result.sim_events)):
        print(f"{name:<15}{part!s:<30}{n:>13,}   {ratio(part, bare[n])}"
              f"  (bare: {bare[n]})")
    print(f"{'staffing plan':<15}{staffing!s:<30}")
    verdict = "met" if total_cpu <= TARGET_S else "MISSED"
    print(f"{'total':<15}cpu {total_cpu:6.2f} s  wall {total_wall:6.2f} s   "
          f"(crowd+team + staffing plan; target <= {TARGET_S:g} s CPU: {verdict})")
    if "--no-ciw" not in sys.argv[1:]:
        compare_ciw()


def compare_ciw() -> None:
    """M/M/100 with 200,000 arrivals: the team model (1 and 4 slots per agent) vs Ciw."""
    erlang = erlang_c_metrics(MM_RATE, 1.0, MM_SERVERS, 0.0).asa_s
    print(f"\nM/M/{MM_SERVERS}, rate {MM_RATE:g}, mean service 1, {MM_ARRIVALS:,} arrivals "
          f"(Erlang C mean wait {erlang:.4f})")
    one = Timed(lambda: mm_team(1))
    four = Timed(lambda: mm_team(4))
    ciw_run = Timed(mm_ciw)
    for name, part in ((f"team model, {MM_SERVERS} agents", one),
                       (f"team model, {MM_SERVERS // 4} agents x 4", four), ("Ciw", ciw_run)):
        print(f"{name:<28}{part!s:<30}mean wait {part.value[0]:.4f}")
    print(f"team model vs Ciw: cpu {ciw_run.cpu / one.cpu:.1f}x faster "
          f"({ciw_run.cpu / four.cpu:.1f}x with concurrency 4)")


if __name__ == "__main__":
    main()
