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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reports.report import render_report  # noqa: E402
from reports.results import build_results  # noqa: E402
from simulator.runfolder import read_columns  # noqa: E402
from simulator.scenario.models import load_scenario  # noqa: E402

OUT = ROOT / "bench" / "out" / "report-1m"
TINY_SCENARIO = ROOT / "bench" / "tiny-storm.yaml"
# The tiny scenario's policy per intent, as events.jsonl labels carry it.
EXPECTED = {
    "complaint": {
        "route": "care",
        "tier": 1,
        "priority": "p3",
        "respond": True,
        "respond_within_s": 3600,
    },
    "legal_threat": {
        "route": "legal",
        "tier": 3,
        "priority": "p1",
        "respond": True,
        "respond_within_s": 1800,
    },
    "noise": {"route": "none", "respond": False},
}
INTENTS = ("complaint", "noise", "legal_threat")
CHANNELS = ("twitter", "facebook", "email", "chat")
TEXTS = (
    "@NorthwindAir card declined 3 times, fare went up while I waited. Fix it! #fail",
    "just drove past the airport, planes everywhere lol",
    "This is unacceptable. My lawyer will be in touch about the double charge on my card.",
)


def synthesise(n: int, rng: np.random.Generator) -> Path:
    """Write a run folder of ``n`` events spread over the tiny scenario's hour."""
    OUT.mkdir(parents=True, exist_ok=True)
    t = np.sort(rng.uniform(0, 3600, n))
    intent = rng.choice(3, size=n, p=[0.7, 0.28, 0.02])
    channel = rng.integers(0, len(CHANNELS), n)
    delay = rng.lognormal(5.0, 1.0, n)
    misroute = rng.random(n) < 0.05
    ev_lines, act_lines = [], []
    for i in range(n):
        name = INTENTS[intent[i]]
        eid = f"ev-{i:07d}"
        ev_lines.append(
            orjson.dumps(
                {
                    "id": eid,
                    "t": float(t[i]),
                    "channel": CHANNELS[channel[i]],
                    "kind": "post",
                    "parent": None,
                    "thread": f"th-{i // 3:07d}",
                    "author": {
                        "handle": f"@user{i % 50000}",
                        "name": "Jane Doe",
                        "followers": 1340,
                        "verified": False,
                        "customer_id": f"C-{i % 50000:06d}",
                        "segment": "regular",
                    },
                    "text": TEXTS[intent[i]],
                    "lang": "en",
                    "incident": "payments-down" if i % 2 else None,
                    "labels": {
                        "intent": name,
                        "emotion": "angry",
                        "sentiment": -0.6,
                        "expected": EXPECTED[name],
                    },
                }
            )
        )
        exp = EXPECTED[name]
        if not exp["respond"]:
            continue
        route, tier, prio = (
            ("care", 1, "p3") if misroute[i] else (exp["route"], exp["tier"], exp["priority"])
        )
        act_lines.append(
            orjson.dumps(
                {
                    "event_id": eid,
                    "action": "triage",
                    "route": route,
                    "tier": tier,
                    "priority": prio,
                    "agent": None,
                    "text": None,
                    "at": float(t[i] + 1.0),
                }
            )
        )
        act_lines.append(
            orjson.dumps(
                {
                    "event_id": eid,
                    "action": "reply",
                    "route": None,
                    "tier": None,
                    "priority": None,
                    "agent": f"a-{i % 40:02d}",
                    "text": "Sorry, on it",
                    "at": float(t[i] + delay[i]),
                }
            )
        )
    (OUT / "events.jsonl").write_bytes(b"\n".join(ev_lines) + b"\n")
    (OUT / "actions.jsonl").write_bytes(b"\n".join(act_lines) + b"\n")
    seconds = 60
    per_second = np.bincount((t / 60).astype(int), minlength=seconds)[:seconds].tolist()
    (OUT / "replay.json").write_bytes(
        orjson.dumps(
            {
                "speed": 60.0,
                "volume": 1.0,
                "target": {"profile": "reference", "base_url": "http://127.0.0.1:8000"},
                "started_at": "2026-03-14T08:00:00Z",
                "partial": False,
                "stopped_reason": None,
                "counts": {
                    "generated": n,
                    "sent": n,
                    "accepted": n,
                    "failed": 0,
                    "unsent": 0,
                    "unmatched_actions": 0,
                    "rejected_callbacks": 0,
                    "throttled": 0,
                },
                "status_codes": {"202": n},
                "hdr": {},
                "per_second": {
                    "planned": per_second,
                    "sent": per_second,
                    "accepted": per_second,
                    "failed": [0] * seconds,
                },
                "workers": 2,
                "platform": {"host": "127.0.0.1", "port": 8765, "secret": False},
            }
        )
    )
    np.savez(
        OUT / "sends.npz",
        intended_s=t / 60.0,
        lag_ms=rng.uniform(0, 3, n),
        latency_ms=rng.lognormal(1.0, 0.6, n),
        service_ms=rng.lognormal(0.9, 0.6, n),
        status=np.full(n, 202, dtype=np.int16),
    )
    return OUT


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
    scenario = load_scenario(TINY_SCENARIO)
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
