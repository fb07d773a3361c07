"""Benchmark: a 24-hour, ~200,000-post storm against a 100-agent team (DESIGN.md section 12).

Target: crowd + team + staffing plan in at most 20 s. Prints the ratio of the coupled run's
SimPy time to a bare SimPy loop scheduling the same number of events, measured in this run.
Run: ``.venv/bin/python bench/simulate.py``.
"""

from __future__ import annotations

import time

import simpy

from simulator.scenario import parse_scenario
from simulator.simulate import plan, simulate

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


def bare_loop(events: int) -> float:
    """Seconds for a bare SimPy process scheduling ``events`` timeouts."""
    env = simpy.Environment()

    def proc():  # type: ignore[no-untyped-def]
        for _ in range(events):
            yield env.timeout(1.0)

    env.process(proc())
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def main() -> None:
    scenario = parse_scenario(SCENARIO, "bench-24h")
    t0 = time.perf_counter()
    result = simulate(scenario, record_actions=True)
    t_sim = time.perf_counter() - t0
    t1 = time.perf_counter()
    staffing = plan(scenario, replications=1, first=result)
    t_plan = time.perf_counter() - t1
    total = t_sim + t_plan
    t_bare = bare_loop(result.sim_events)
    agents = sum(s.agents for t in scenario.team.tiers for s in t.shifts)
    print(f"posts: {len(result.events):,}  agents: {agents}  abandoned: {result.abandoned:,}  "
          f"reposts: {result.reposts:,}  actions: {len(result.team.actions):,}")
    print(f"simpy events scheduled: {result.sim_events:,}")
    print(f"crowd + team: {t_sim:.2f} s   staffing plan: {t_plan:.2f} s   total: {total:.2f} s "
          f"(target <= {TARGET_S:g} s: {'met' if total <= TARGET_S else 'MISSED'})")
    print(f"bare SimPy loop, same event count: {t_bare:.2f} s   "
          f"ratio crowd+team / bare: {t_sim / t_bare:.2f}x")
    print(f"shortfall windows: {len(staffing.shortfalls)}")


if __name__ == "__main__":
    main()
