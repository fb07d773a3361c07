"""Benchmark: generate a 1,000,000-event storm; compare with a bare SimPy loop.

Run: ``.venv/bin/python bench/generate.py [--events N] [--write PATH]``. Prints generation
events/s, peak memory (ru_maxrss), the time of a bare SimPy timeout loop of the same event
count measured in the same run, and their ratio; with ``--write`` also the JSONL write
(which renders the text). Targets (DESIGN.md section 12): <= 10 s and <= 1 GB per 1M events.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.crowd import generate  # noqa: E402
from simulator.events import write_jsonl  # noqa: E402
from simulator.scenario import Scenario, parse_scenario  # noqa: E402
from simulator.summary import summarize  # noqa: E402

SMOKE = Path(__file__).resolve().parent.parent / "scenarios" / "ci-smoke.yaml"


def bench_scenario(events: int) -> Scenario:
    """A 6-hour storm (baseline, one cascading incident, a media wave) of ~``events`` posts."""
    import yaml

    data = yaml.safe_load(SMOKE.read_text())
    data.update(name="bench", duration="6h")
    data["audience"]["customers"] = 200_000
    data["baseline"]["rate"] = "10/s"
    inc = data["incidents"][0]
    inc.update(at="30m", trigger={"rate": "6/s", "for": "4h"})
    inc["cascade"] = {
        "branching": 0.6,
        "kernel": {"dist": "powerlaw", "s0": "5m", "theta": 0.2314843},
        "influence": 0.5,
    }
    inc["waves"] = [{"at": "2h", "source": "media", "rate": "10/s", "for": "30m"}]
    data["journeys"]["patience"] = {"dist": "lognormal", "mean": "30m", "sd": "15m"}
    for tier in data["team"]["tiers"]:
        tier["shifts"] = [{"from": "0s", "to": "6h", "agents": 50}]
    first = parse_scenario(data, "bench")
    scale = events / summarize(first).total
    # scale every exogenous rate so the expected volume is ``events``
    data["baseline"]["rate"] = f"{10 * scale:.6f}/s"
    inc["trigger"]["rate"] = f"{6 * scale:.6f}/s"
    inc["waves"][0]["rate"] = f"{10 * scale:.6f}/s"
    return parse_scenario(data, "bench")


def bare_simpy(n: int) -> float:
    """Seconds for one SimPy process yielding ``n`` timeouts."""
    env = simpy.Environment()

    def loop(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield env.timeout(0.01)

    env.process(loop(env))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", type=Path, default=None, help="also write JSONL here")
    args = parser.parse_args()
    scenario = bench_scenario(args.events)
    t0 = time.perf_counter()
    table = generate(scenario, seed=args.seed)
    gen_s = time.perf_counter() - t0
    n = len(table)
    gen_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    bare_s = bare_simpy(n)
    print(f"events generated      {n:,}")
    print(f"generation            {gen_s:.2f} s  ({n / gen_s:,.0f} events/s)")
    print(f"bare SimPy loop       {bare_s:.2f} s  ({n / bare_s:,.0f} timeouts/s)")
    print(f"ratio gen/bare        {gen_s / bare_s:.2f}x")
    print(f"peak memory after generation (maxrss)  {gen_rss_mb:,.0f} MB")
    if args.write is not None:
        t1 = time.perf_counter()
        write_jsonl(table, args.write)
        write_s = time.perf_counter() - t1
        print(f"write JSONL + text    {write_s:.2f} s  ({n / write_s:,.0f} events/s)")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory after writing (maxrss)     {rss_mb:,.0f} MB")
    ok = gen_s <= 10 * n / 1_000_000 and gen_rss_mb <= 1024
    print(f"generation target <= 10 s and <= 1 GB per 1M events: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
