"""The recommended shift plan beside the rostered one, for the report's staffing section.

``recommended_plan(staffing, roster)`` takes the ``staffing`` section already computed
(``reports.staffing_adequacy.staffing_metrics``) and, per tier, solves the shift-plan integer
program (``simulator.staffing.shift_plan.solve_shifts``, HiGHS) on the same requirement the
shortfalls count against (the simulation's where the tier has one, Erlang C otherwise),
with the default shift lengths (4h, 6h, 8h where they fit the scenario, else half of it and
all of it) starting every 30 minutes. It reports per tier and in total the agent-hours the
roster pays and the plan would pay, the gap between them (plan minus roster: positive when
covering the requirement costs more than the roster pays, negative when the roster pays for
hours the requirement does not need), and the intervals the current roster misses. The
report does not re-simulate the plan; ``staff --schedule`` does (docs/staffing.md).
"""

from __future__ import annotations

from typing import Any

from reports.scenario_facts import Roster
from simulator.staffing.requirement import clock
from simulator.staffing.shift_plan import DEFAULT_STEP_S, default_lengths, solve_shifts

__all__ = ["recommended_plan"]


def _paid_hours(shifts: tuple[tuple[float, float, int], ...], duration_s: float) -> float:
    return sum(max(0.0, min(hi, duration_s) - lo) * n for lo, hi, n in shifts) / 3600.0


def recommended_plan(staffing: dict[str, Any], roster: Roster) -> dict[str, Any] | None:
    """The ``staffing.schedule`` block of results.json (module docstring); None without tiers."""
    tiers = staffing.get("tiers") or []
    if not tiers or not roster.tiers:
        return None
    duration = roster.duration_s
    interval = float(staffing["interval_s"])
    lengths = default_lengths(duration)
    plans = {p.name: p for p in roster.tiers}
    out = []
    for tier in tiers:
        rows = tier["intervals"]
        key = "required_sim" if tier["required_basis"] == "simulation" else "required_erlang"
        needed = [r[key] for r in rows]
        known = all(n is not None for n in needed)
        plan = solve_shifts([n or 0 for n in needed], interval, duration, lengths,
                            DEFAULT_STEP_S)
        rostered = _paid_hours(plans[tier["name"]].shifts, duration)
        missed = [r["clock"] for r, n in zip(rows, needed, strict=True)
                  if n is not None and n > r["rostered"]]
        out.append({
            "name": tier["name"],
            "basis": tier["required_basis"],
            "requirement_complete": known,
            "rostered_agent_hours": round(rostered, 3),
            "recommended_agent_hours": round(plan.agent_hours, 3),
            "gap_agent_hours": round(plan.agent_hours - rostered, 3),
            "missed_intervals": missed,
            "optimal": plan.optimal,
            "shifts": [
                {"start_s": s.start_s, "clock": clock(s.start_s, roster.start),
                 "end_clock": clock(s.end_s, roster.start), "length_s": s.length_s,
                 "agents": s.agents}
                for s in plan.shifts
            ],
        })
    rostered_total = sum(t["rostered_agent_hours"] for t in out)
    recommended_total = sum(t["recommended_agent_hours"] for t in out)
    return {
        "shift_lengths_s": list(lengths),
        "start_step_s": DEFAULT_STEP_S,
        "verified_by_simulation": False,
        "rostered_agent_hours": round(rostered_total, 3),
        "recommended_agent_hours": round(recommended_total, 3),
        "gap_agent_hours": round(recommended_total - rostered_total, 3),
        "missed_intervals": sum(len(t["missed_intervals"]) for t in out),
        "tiers": out,
    }
