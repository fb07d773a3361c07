"""The ``staff`` command's outputs: a readable table, the JSON shape and a CSV file."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.scenario.units import format_duration
from simulator.staffing.requirement import StaffingPlan, TierPlan, clock

__all__ = ["CSV_FIELDS", "plan_json", "plan_table", "write_csv"]

CSV_FIELDS = (
    "tier", "start_s", "clock", "arrivals", "aht_s", "required_erlang_c", "required_erlang_a",
    "required_sim", "rostered", "shortfall", "backlog",
)


def plan_json(plan: StaffingPlan) -> dict[str, Any]:
    """``{"tiers": [{"name", "concurrency", "service_levels", "occupancy_per_slot",
    "erlang_vs_sim", "intervals": [{start_s, arrivals, aht_s, required_*, ...}]}]}``."""
    return {
        "interval_s": plan.interval_s,
        "service_level": {"within_s": plan.within_s, "target": plan.target},
        "service_level_classes": plan.classes,
        "replications": plan.replications,
        "tiers": [
            {"name": t.name, "tier": t.tier, "concurrency": t.concurrency,
             "slowdown": t.slowdown, "occupancy_per_slot": t.occupancy,
             "service_levels": t.service_levels, "erlang_vs_sim": t.erlang_vs_sim,
             "intervals": [vars(r) for r in t.intervals]}
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
        f"{format_duration(plan.within_s)}"
        + (f" (public); private: {plan.classes['private']['target']:.0%} within "
           f"{format_duration(plan.classes['private']['within_s'])}, deferred up to "
           f"{plan.classes['private']['max_occupancy']:.0%} occupancy"
           if plan.classes else "")
        + f"; intervals of {format_duration(plan.interval_s)}; "
        f"simulation over {plan.replications} replication(s).",
    ]
    head = f"{'time':>6} {'arrivals':>9} {'aht':>7} {'erlang_c':>9} {'erlang_a':>9} " \
           f"{'sim':>5} {'rostered':>9} {'short':>6} {'backlog':>8}"
    rows = _rows(plan, start)
    for t in plan.tiers:
        lines += ["", f"{t.name} (tier {t.tier}){_digital(t)}", head]
        for r in (x for x in rows if x["tier"] == t.name):
            short = str(r["shortfall"]) if r["shortfall"] else "-"
            lines.append(
                f"{r['clock']:>6} {r['arrivals']:>9g} {format_duration(r['aht_s']):>7} "
                f"{r['required_erlang_c']:>9} {r['required_erlang_a']:>9} {r['required_sim']:>5} "
                f"{r['rostered']:>9} {short:>6} {r['backlog']:>8}"
            )
        lines.append(_gap_line(t))
    lines.append("")
    if plan.shortfalls:
        lines.append("Shortfall (simulation needs more agents than rostered):")
        lines += [f"  {w.text}" for w in plan.shortfalls]
    else:
        lines.append("No shortfall: the roster meets the simulated requirement in every interval.")
    return "\n".join(lines)


def _digital(t: TierPlan) -> str:
    """`` - 3 threads per agent (slowdown 18%/thread); SL public 84%, private 97%; ...``."""
    parts = []
    if t.concurrency > 1:
        parts.append(f"{t.concurrency} threads per agent (slowdown {t.slowdown:.0%} per "
                     "extra thread)")
    levels = [f"{name} {v['service_level']:.0%}" for name, v in t.service_levels.items()
              if v.get("service_level") is not None]
    if levels:
        parts.append("service level achieved " + ", ".join(levels))
    if t.occupancy is not None:
        parts.append(f"occupancy per slot {t.occupancy:.0%}")
    return " - " + "; ".join(parts) if parts else ""


def _gap_line(t: TierPlan) -> str:
    """Where and by how much Erlang C (c*N effective servers) and the simulation disagree."""
    g = t.erlang_vs_sim
    if not g or not g.get("intervals"):
        return "  Erlang C vs simulation: no intervals with arrivals."
    return (f"  Erlang C{' (c*N servers)' if t.concurrency > 1 else ''} vs simulation over "
            f"{g['intervals']} intervals: agree in {g['agree']}, simulation needs more in "
            f"{g['sim_above']}, fewer in {g['sim_below']}; mean gap {g['mean_gap']:+g} agents, "
            f"largest {g['max_gap']:+d} at {g['max_gap_at']}.")


def write_csv(plan: StaffingPlan, path: Path, start: datetime | None) -> None:
    """One row per tier and interval with ``CSV_FIELDS``."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in _rows(plan, start):
            w.writerow(row)
