"""Benchmark: results.json and report.html for a 1,000,000-event run folder.

Synthesises a drill run folder (events.jsonl with realistic text and labels,
actions.jsonl with a triage and a reply per post that needs one, replay.json and
sends.npz) under bench/out/, then times, side by side in one process:

1. merely reading the two JSONL files (orjson, one object per line, GC paused): the
   floor any Python reader of these files pays;
2. ``build_results`` (everything in results.json);
3. ``render_report`` (charts and HTML).

Prints each time and the ratio of (2 + 3) to (1). Target (DESIGN.md section 12):
results and report in at most 15 s. Usage: ``.venv/bin/python bench/report.py [N]``.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic_run import (  # noqa: E402
    answered,
    drill_replay,
    expected_labels,
    tiny_scenario,
    write_run,
)
from reports.report import render_report  # noqa: E402
from reports.results import build_results  # noqa: E402
from simulator.runfolder import read_columns  # noqa: E402
from simulator.runfolder.records import Author, Event  # noqa: E402

OUT = ROOT / "bench" / "out" / "report-1m"
INTENTS = ("complaint", "noise", "legal_threat")
CHANNELS = ("twitter", "facebook", "email", "chat")
TEXTS = (
    "@NorthwindAir card declined 3 times, fare went up while I waited. Fix it! #fail",
    "just drove past the airport, planes everywhere lol",
    "This is unacceptable. My lawyer will be in touch about the double charge on my card.",
)


def synthesise(n: int, rng: np.random.Generator) -> Path:
    """Write a run folder of ``n`` events spread over the tiny storm's hour: labels by its
    policy, a triage (5% misrouted to care) and a reply per post that needs one."""
    t = np.sort(rng.uniform(0, 3600, n))
    intent = rng.choice(3, size=n, p=[0.7, 0.28, 0.02])
    channel = rng.integers(0, len(CHANNELS), n)
    delay = rng.lognormal(5.0, 1.0, n)
    misroute = rng.random(n) < 0.05
    expected = [expected_labels(name) for name in INTENTS]

    def events() -> Iterator[dict[str, Any]]:
        for i in range(n):
            yield Event(
                id=f"ev-{i:07d}", t=float(t[i]), channel=CHANNELS[channel[i]], kind="post",
                thread=f"th-{i // 3:07d}",
                author=Author(handle=f"@user{i % 50000}", name="Jane Doe", followers=1340,
                              verified=False, customer_id=f"C-{i % 50000:06d}",
                              segment="regular"),
                text=TEXTS[intent[i]], intent=INTENTS[intent[i]], emotion="angry",
                sentiment=-0.6, expected=expected[intent[i]],
                incident="payments-down" if i % 2 else None).as_dict()

    def actions() -> Iterator[dict[str, Any]]:
        for i in range(n):
            exp = expected[intent[i]]
            if exp.respond:
                route, tier, prio = (("care", 1, "p3") if misroute[i]
                                     else (exp.route, exp.tier, exp.priority))
                yield from answered(f"ev-{i:07d}", float(t[i]), route, tier, prio,
                                    f"a-{i % 40:02d}", "Sorry, on it", float(t[i] + delay[i]))

    seconds = 60
    per_second = np.bincount((t / 60).astype(int), minlength=seconds)[:seconds].tolist()
    sends: dict[str, np.ndarray] = {
        "intended_s": t / 60.0, "lag_ms": rng.uniform(0, 3, n),
        "latency_ms": rng.lognormal(1.0, 0.6, n), "service_ms": rng.lognormal(0.9, 0.6, n),
        "status": np.full(n, 202, dtype=np.int16)}
    return write_run(OUT, events(), actions(), drill_replay(n, per_second), sends)


def read_only(run: Path) -> float:
    """Seconds to merely parse both JSONL files, one orjson.loads per line (GC paused)."""
    gc.disable()
    start = time.perf_counter()
    for name in ("events.jsonl", "actions.jsonl"):
        rows = [orjson.loads(line) for line in (run / name).read_bytes().splitlines()]
        del rows
    elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    start = time.perf_counter()
    marker = OUT / "events.count"
    if marker.exists() and marker.read_text() == str(n):
        run = OUT  # reuse the folder a previous run synthesised
    else:
        run = synthesise(n, np.random.default_rng(11))
        marker.write_text(str(n))
    size = sum((run / f).stat().st_size for f in ("events.jsonl", "actions.jsonl")) / 1e6
    print(
        f"synthesised {n:,} events ({size:,.0f} MB of JSONL) in {time.perf_counter() - start:.1f} s"
    )
    scenario = tiny_scenario()
    floor = read_only(run)
    start = time.perf_counter()
    read_columns(run)
    t_columns = time.perf_counter() - start
    print(f"  (alone: events.jsonl + actions.jsonl -> columns {t_columns:.2f} s, pyarrow reader)")
    start = time.perf_counter()
    results = build_results(run, scenario, "drill", ["bench/report.py", str(n)])
    built = time.perf_counter() - start
    start = time.perf_counter()
    report = render_report(results, run, datetime(2026, 3, 14, tzinfo=UTC))
    rendered = time.perf_counter() - start
    total = built + rendered
    print(f"read JSONL only : {floor:6.2f} s")
    print(f"build_results   : {built:6.2f} s")
    print(f"render_report   : {rendered:6.2f} s  ({report.stat().st_size / 1e6:.1f} MB)")
    print(
        f"results + report: {total:6.2f} s  = {total / floor:.2f}x reading the JSONL "
        f"({'within' if total <= 15 else 'OVER'} the 15 s target)"
    )


if __name__ == "__main__":
    main()
