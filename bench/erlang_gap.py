"""Erlang C on c*N effective servers against the simulated requirement, on Poisson input.

For three loads and three team shapes (one thread per agent; three threads without and with
the default 18% slowdown), prints Erlang C's agents
(``simulator.staffing.requirement.erlang_agents``:
servers at the handle time stretched to N threads, divided by N) and the simulated search's
mean, min and max over the 15 intervals after the first (30 replications of 4 hours,
AHT 3 min, 80% within 1 min). Run: ``.venv/bin/python bench/erlang_gap.py`` (about a minute).
"""

from __future__ import annotations

import math

import numpy as np

from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import ServiceLevel, Shift, Tier
from simulator.staffing.requirement import erlang_agents, simulated_required
from simulator.team.queuesim import Arrivals

AHT, WITHIN, TARGET, INTERVAL, HOURS, REPS = 180.0, 60.0, 0.8, 900.0, 4, 30


def poisson(rng: np.random.Generator, rate: float, horizon: float) -> np.ndarray:
    t = np.cumsum(rng.exponential(1 / rate, int(rate * horizon * 1.3) + 10))
    return t[t < horizon]


def main() -> None:
    rng = np.random.default_rng(1)
    level = ServiceLevel(within=WITHIN, target=TARGET)
    starts = np.arange(HOURS * 4) * INTERVAL
    print(f"AHT {AHT:g} s, {TARGET:.0%} within {WITHIN:g} s, {REPS} replications of {HOURS} h")
    for per_hour in (40, 200, 1000):
        rate = per_hour / 3600
        for concurrency, slowdown in ((1, 0.0), (3, 0.0), (3, 0.18)):
            tier = Tier(name="t", tier=1, routes=("care",), concurrency=concurrency,
                        slowdown=slowdown, handle_time=DistSpec(dist="exponential", mean=AHT),
                        shifts=(Shift.model_validate({"from": 0, "to": 1, "agents": 1}),))
            reps = []
            for _ in range(REPS):
                t = poisson(rng, rate, HOURS * 3600.0)
                n = t.size
                reps.append(Arrivals(t, np.full(n, 3), np.ones(n, bool),
                                     rng.exponential(AHT, n), np.full(n, math.inf)))
            erlang, _ = erlang_agents(rate, AHT, tier, [level], math.inf)
            sim = simulated_required(reps, starts, INTERVAL, WITHIN, TARGET,
                                     [erlang] * starts.size, concurrency, slowdown)[1:]
            print(f"{per_hour:5d} posts/h, concurrency {concurrency}, slowdown {slowdown:.2f}: "
                  f"Erlang C {erlang:3d}   simulation mean {np.mean(sim):6.2f} "
                  f"(min {min(sim)}, max {max(sim)})")


if __name__ == "__main__":
    main()
