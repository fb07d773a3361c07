"""Measure the reference stack's triage against the shipped scenarios' ground truth.

For each ``scenarios/*.yaml`` it generates the event stream (``run_drill.py generate``),
classifies every post with ``carestack.triage.Triager`` (default config: VIP at 10,000
followers, no misroute) and compares with ``labels``:
  intent     share of posts whose intent matches ``labels.intent``;
  respond    share whose answer/no-answer decision matches ``labels.expected.respond``;
  route      share of posts needing an answer routed to the expected route;
  exact      share of posts needing an answer with route, tier and priority all expected;
  p1 recall  posts labelled p1 that reached their route at their tier or above.
The triage is not tuned on these labels; the numbers are findings (carestack/README.md).

Each scenario is reported with its industry. Then, per industry: one base scenario
(``--base``, default payment-outage) regenerated with ``brand.industry`` set to each shipped
pack (everything else, policy included, unchanged), so a pack that makes triage trivially
easy or impossible stands out against the others on the same storm.

Usage: .venv/bin/python bench/triage_accuracy.py [SCENARIO.yaml ...] [--volume V]
       [--base SCENARIO.yaml] [--no-industries]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/carestack.py must not shadow the package

from carestack.config import load_config  # noqa: E402
from carestack.triage import Triager  # noqa: E402
from simulator.scenario.content_packs import INDUSTRIES  # noqa: E402


def generate(scenario: Path, out: Path, volume: float) -> list[dict]:
    cmd = [sys.executable, str(ROOT / "run_drill.py"), "generate", str(scenario), "-o", str(out)]
    if volume != 1.0:
        cmd += ["--volume", str(volume)]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return [orjson.loads(line) for line in out.read_bytes().splitlines() if line.strip()]


def score(events: list[dict], triager: Triager) -> dict:
    n = len(events)
    c: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    for ev in events:
        lab, exp = ev["labels"], ev["labels"]["expected"]
        a = ev["author"]
        t = triager.classify(ev["text"], a.get("followers") or 0, bool(a.get("verified")),
                             a.get("segment"))
        c["intent"] += t.intent == lab["intent"]
        if t.intent != lab["intent"]:
            confusion[(lab["intent"], t.intent)] += 1
        respond = bool(exp.get("respond"))
        c["respond"] += t.respond == respond
        if respond:
            c["needs"] += 1
            c["route"] += t.route == exp.get("route")
            c["exact"] += (t.route, t.tier, t.priority) == (exp.get("route"), exp.get("tier"),
                                                             exp.get("priority"))
        if exp.get("priority") == "p1":
            c["p1"] += 1
            c["p1_hit"] += t.route == exp.get("route") and t.tier >= (exp.get("tier") or 0)
    needs = max(c["needs"], 1)
    return {"posts": n, "intent": c["intent"] / n, "respond": c["respond"] / n,
            "route": c["route"] / needs, "exact": c["exact"] / needs,
            "p1": c["p1"], "p1_recall": c["p1_hit"] / c["p1"] if c["p1"] else float("nan"),
            "confusion": confusion.most_common(4)}


HEADER = (f"{'':<24}{'industry':<12}{'posts':>7}{'intent':>8}{'respond':>9}{'route':>7}"
          f"{'exact':>7}{'p1':>6}{'p1 recall':>10}")


def report(label: str, industry: str, s: dict) -> None:
    print(f"{label:<24}{industry:<12}{s['posts']:>7}{s['intent']:>8.1%}{s['respond']:>9.1%}"
          f"{s['route']:>7.1%}{s['exact']:>7.1%}{s['p1']:>6}{s['p1_recall']:>10.1%}")
    print(f"{'':<36}top confusions (label -> triage): "
          + ", ".join(f"{a}->{b} {k}" for (a, b), k in s["confusion"]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", type=Path)
    ap.add_argument("--volume", type=float, default=1.0)
    ap.add_argument("--base", type=Path, default=ROOT / "scenarios" / "payment-outage.yaml")
    ap.add_argument("--no-industries", action="store_true", help="skip the per-industry runs")
    args = ap.parse_args()
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.yaml"))
    cfg = load_config()
    triager = Triager(cfg.vip_followers, cfg.misroute)
    print("scenario" + HEADER[8:])
    total: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            events = generate(path, Path(tmp) / f"{path.stem}.jsonl", args.volume)
            s = score(events, triager)
            industry = (yaml.safe_load(path.read_text())["brand"].get("industry") or "generic")
            report(path.stem, industry, s)
            total["posts"] += s["posts"]
            for key in ("intent", "respond"):
                total[key] += round(s[key] * s["posts"])
        if total["posts"]:
            print(f"{'all':<36}{total['posts']:>7}{total['intent'] / total['posts']:>8.1%}"
                  f"{total['respond'] / total['posts']:>9.1%}")
        if args.no_industries:
            return
        print(f"\nper industry: {args.base.stem} with brand.industry set to each pack")
        print("base" + HEADER[4:])
        data = yaml.safe_load(args.base.read_text())
        for industry in INDUSTRIES:
            data["brand"]["industry"] = industry
            data.pop("content", None)  # a scenario's own words belong to its own industry
            path = Path(tmp) / f"{args.base.stem}-{industry}.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False))
            events = generate(path, Path(tmp) / f"{industry}.jsonl", args.volume)
            report(args.base.stem, industry, score(events, triager))


if __name__ == "__main__":
    main()
