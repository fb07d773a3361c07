"""Benchmark: generate and write a 1,000,000-event storm, read it back; compare with bare SimPy.

Run: ``.venv/bin/python bench/generate.py [--events N] [--write PATH] [--no-read]``. Prints,
each as wall seconds (CPU seconds in brackets: the machine is shared, CPU is the steadier
figure): generation, the JSONL write (which renders handles, names and text), their total,
peak memory (ru_maxrss) after each phase, the read-back time, and every phase's ratio to a
bare SimPy timeout loop of the same event count measured in the same run. Target (DESIGN.md
section 12): generate + write <= 10 s and <= 1 GB per 1M events on one core. Without
``--write`` the file goes to a temporary directory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.crowd.model import generate  # noqa: E402
from simulator.runfolder import read_jsonl, write_jsonl  # noqa: E402
from simulator.scenario.models import Scenario, parse_scenario  # noqa: E402
from simulator.scenario.summary import summarize  # noqa: E402

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


class Phase:
    """Wall and CPU seconds of one timed block."""

    def __enter__(self) -> Phase:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", type=Path, default=None, help="write the JSONL here")
    parser.add_argument("--no-read", action="store_true", help="skip reading the file back")
    args = parser.parse_args()
    scenario = bench_scenario(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.write or Path(tmp) / "events.jsonl"
        with Phase() as gen:
            table = generate(scenario, seed=args.seed)
        n = len(table)
        gen_mb = _rss_mb()
        with Phase() as write:
            write_jsonl(table, path)
        write_mb = _rss_mb()
        size_mb = path.stat().st_size / 1e6
        del table
        read = None
        if not args.no_read:
            with Phase() as read:
                back = read_jsonl(path)
            assert len(back) == n
            del back
        read_mb = _rss_mb()
    with Phase() as bare:
        bare_simpy(n)

    def line(label: str, ph: Phase) -> None:
        print(
            f"{label:<22}{ph.wall:6.2f} s [cpu {ph.cpu:5.2f}]  {n / ph.wall:>10,.0f} events/s"
            f"  {ph.wall / bare.wall:5.2f}x bare"
        )

    total = Phase()
    total.wall, total.cpu = gen.wall + write.wall, gen.cpu + write.cpu
    print(f"events                {n:,}  ({size_mb:,.0f} MB of JSONL)")
    line("generation", gen)
    line("write JSONL + text", write)
    line("generate + write", total)
    if read is not None:
        line("read JSONL", read)
    line("bare SimPy loop", bare)
    print(
        f"peak memory (maxrss)  after generation {gen_mb:,.0f} MB, after write {write_mb:,.0f} MB"
        f", after read {read_mb:,.0f} MB"
    )
    per_m = 1_000_000 / n
    ok = total.wall * per_m <= 10 and write_mb <= 1024
    ok_cpu = total.cpu * per_m <= 10
    print(
        f"target generate + write <= 10 s and <= 1 GB per 1M events: "
        f"{'met' if ok else 'NOT met'} (wall), {'met' if ok_cpu else 'NOT met'} (cpu)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
