"""Drill-staffing run folders (reports/staffing): a frontline tier on Poisson or clustered posts.

The tiny storm (bench/synthetic_run.py) with a frontline of exponential handle times (AHT
3 min), 80% answered within 20 s, no patience, and an idle legal tier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench.synthetic_run import make_event, tiny_scenario, write_run
from simulator.scenario.models import Scenario

AHT, WITHIN, TARGET = 180.0, 20.0, 0.8
INTERVAL = 900.0


def staffed_scenario(hours: int, agents: int = 14, seed: int = 3) -> Scenario:
    """The tiny storm over ``hours`` with ``agents`` on the frontline."""
    team: dict[str, Any] = {
        "tiers": [
            {
                "name": "frontline",
                "tier": 1,
                "routes": ["care"],
                "shifts": [{"from": "0h", "to": f"{hours}h", "agents": agents}],
                "handle_time": {"dist": "exponential", "mean": f"{AHT:g}s"},
            },
            {
                "name": "legal-security",
                "tier": 3,
                "routes": ["legal"],
                "shifts": [{"from": "0h", "to": f"{hours}h", "agents": 1}],
                "handle_time": {"dist": "constant", "value": "10m"},
            },
        ],
        "service_level": {"within": f"{WITHIN:g}s", "target": TARGET},
    }
    return tiny_scenario(duration=f"{hours}h", team=team, seed=seed)


def poisson_times(rate: float, horizon: float, rng: np.random.Generator) -> np.ndarray:
    """Poisson arrival times (``rate`` per second) before ``horizon``."""
    t = np.cumsum(rng.exponential(1 / rate, int(rate * horizon * 1.3) + 10))
    return t[t < horizon]


def cluster_times(rng: np.random.Generator, horizon: float, mu: float, n: float) -> np.ndarray:
    """Hawkes-like cluster process: Poisson immigrants, each post has Poisson(n) children
    exponentially (mean 60 s) later; mean rate mu / (1 - n)."""
    gen = poisson_times(mu, horizon, rng)
    out = [gen]
    while gen.size:
        kids = rng.poisson(n, gen.size)
        gen = np.repeat(gen, kids) + rng.exponential(60.0, int(kids.sum()))
        gen = gen[gen < horizon]
        out.append(gen)
    return np.sort(np.concatenate(out))


def staffing_run(run_dir: Path, times: np.ndarray, intents: list[str] | None = None,
                 status: np.ndarray | None = None) -> Path:
    """A run folder of posts at ``times`` (complaints unless ``intents``), no actions."""
    intents = intents or ["complaint"] * times.size
    events = [make_event(i, float(t), k) for i, (t, k) in enumerate(zip(times, intents,
                                                                          strict=True))]
    sends = None if status is None else {"status": status}
    return write_run(run_dir, events, [], sends=sends)
