"""The ``staff`` command's outputs: a readable table, the JSON shape and a CSV file."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.staffing import StaffingPlan, clock
from simulator.units import format_duration

__all__ = ["CSV_FIELDS", "plan_json", "plan_table", "write_csv"]

CSV_FIELDS = (
    "tier", "start_s", "clock", "arrivals", "aht_s", "required_erlang_c", "required_erlang_a",
    "required_sim", "rostered", "shortfall", "backlog",
)


def plan_json(plan: StaffingPlan) -> dict[str, Any]:
    """``{"tiers": [{"name", "intervals": [{start_s, arrivals, aht_s, required_*, ...}]}]}``."""
    return {
        "interval_s": plan.interval_s,
        "service_level": {"within_s": plan.within_s, "target": plan.target},
        "replications": plan.replications,
        "tiers": [
            {"name": t.name, "tier": t.tier, "intervals": [vars(r) for r in t.intervals]}
            for t in plan.tiers
        ],
        "shortfall_windows": [w.text for w in plan.shortfalls],
    }


def _rows(plan: StaffingPlan, start: datetime | None) -> list[dict[str, Any]]:
    out = []
    for t in plan.tiers:
        for r in t.intervals:
            out.append({"tier": t.name, "clock": clock(r.start_s, start), **vars(r),
                        "shortfall": max(0, r.required_sim - r.rostered)})
    return out


def plan_table(plan: StaffingPlan, start: datetime | None) -> str:
    """Per tier, one line per interval, then the shortfall windows in words."""
    lines = [
        f"Service level: {plan.target:.0%} of posts started within "
        f"{format_duration(plan.within_s)}; intervals of {format_duration(plan.interval_s)}; "
        f"simulation over {plan.replications} replication(s).",
    ]
    head = f"{'time':>6} {'arrivals':>9} {'aht':>7} {'erlang_c':>9} {'erlang_a':>9} " \
           f"{'sim':>5} {'rostered':>9} {'short':>6} {'backlog':>8}"
    rows = _rows(plan, start)
    for t in plan.tiers:
        lines += ["", f"{t.name} (tier {t.tier})", head]
        for r in (x for x in rows if x["tier"] == t.name):
            short = str(r["shortfall"]) if r["shortfall"] else "-"
            lines.append(
                f"{r['clock']:>6} {r['arrivals']:>9g} {format_duration(r['aht_s']):>7} "
                f"{r['required_erlang_c']:>9} {r['required_erlang_a']:>9} {r['required_sim']:>5} "
                f"{r['rostered']:>9} {short:>6} {r['backlog']:>8}"
            )
    lines.append("")
    if plan.shortfalls:
        lines.append("Shortfall (simulation needs more agents than rostered):")
        lines += [f"  {w.text}" for w in plan.shortfalls]
    else:
        lines.append("No shortfall: the roster meets the simulated requirement in every interval.")
    return "\n".join(lines)


def write_csv(plan: StaffingPlan, path: Path, start: datetime | None) -> None:
    """One row per tier and interval with ``CSV_FIELDS``."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in _rows(plan, start):
            w.writerow(row)
