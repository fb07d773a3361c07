"""``staff --schedule`` outputs: a readable plan, its JSON shape and the pasteable YAML block."""

from __future__ import annotations

from typing import Any

from simulator.scenario.units import format_duration
from simulator.staffing.shift_plan import segments
from simulator.staffing.shift_schedule import Schedule, TierSchedule

__all__ = ["schedule_json", "schedule_table", "shifts_yaml"]


def _verdict(s: Schedule) -> str:
    rounds = len(s.rounds)
    if s.status == "met":
        return f"meets the target in every interval after {rounds} round(s)"
    misses = s.rounds[-1].missed if s.rounds else 0
    why = (f"the bound of {rounds} rounds" if s.status == "bound"
           else "--max-agents, which stops further raises")
    return f"still misses {misses} tier-interval(s) after {rounds} round(s): stopped by {why}"


def _tier_json(s: Schedule, t: TierSchedule) -> dict[str, Any]:
    rows = []
    for i in range(len(t.required_sim)):
        s_start = i * s.options.interval_s
        rows.append({
            "start_s": s_start,
            "clock": s.clock(s_start),
            "required_sim": t.required_sim[i],
            "planned_for": t.planned_for[i],
            "on_duty": t.on_duty[i],
            "rostered": t.rostered[i],
            "service_level": {c.sla_class: c.service_level[i] for c in t.service},
            "posts": {c.sla_class: c.counted[i] for c in t.service},
        })
    return {
        "name": t.name,
        "tier": t.tier,
        "agent_hours": round(t.plan.agent_hours, 3),
        "rostered_agent_hours": round(t.rostered_agent_hours, 3),
        "optimal": t.plan.optimal,
        "mip_gap": t.plan.mip_gap,
        "solve_s": round(t.plan.solve_s, 4),
        "shifts": [
            {"start_s": x.start_s, "clock": s.clock(x.start_s), "length_s": x.length_s,
             "agents": x.agents}
            for x in t.plan.shifts
        ],
        "missed_intervals": [s.clock(i * s.options.interval_s) for i in t.missed()],
        "intervals": rows,
    }


def schedule_json(s: Schedule) -> dict[str, Any]:
    """Plain data for ``--json`` (docs/staffing.md lists the keys)."""
    o = s.options
    return {
        "interval_s": o.interval_s,
        "shift_lengths_s": list(o.lengths_s),
        "start_step_s": o.step_s,
        "max_agents": o.max_agents,
        "replications": o.replications,
        "seed": s.seed,
        "status": s.status,
        "rounds": [{"round": r.number, "agent_hours": round(r.agent_hours, 3),
                    "missed": r.missed} for r in s.rounds],
        "agent_hours": round(s.agent_hours, 3),
        "rostered_agent_hours": round(s.rostered_agent_hours, 3),
        "tiers": [_tier_json(s, t) for t in s.tiers],
    }


def schedule_table(s: Schedule) -> str:
    """Per tier: the shifts, then one line per interval; the verdict first."""
    o = s.options
    lengths = ", ".join(format_duration(x) for x in o.lengths_s)
    lines = [
        f"Shift plan: {lengths} shifts starting every {format_duration(o.step_s)}, least paid "
        f"agent-hours covering the simulated requirement ({o.replications} replication(s), "
        f"seed {s.seed}" + (f", at most {o.max_agents} agents on duty" if o.max_agents else "")
        + ").",
        "Verification by simulation: " + "; ".join(
            f"round {r.number} {r.agent_hours:g} agent-hours, {r.missed} missed" for r in s.rounds
        ) + f". The plan {_verdict(s)}.",
        f"Paid: {s.agent_hours:g} agent-hours planned, {s.rostered_agent_hours:g} rostered.",
    ]
    for t in s.tiers:
        solved = "optimal" if t.plan.optimal else f"gap {t.plan.mip_gap:.2%}"
        lines += ["", f"{t.name} (tier {t.tier}): {t.plan.agent_hours:g} agent-hours "
                      f"({solved}, {t.plan.solve_s * 1000:.0f} ms), rostered "
                      f"{t.rostered_agent_hours:g}",
                  "  shifts: " + (", ".join(
                      f"{s.clock(x.start_s)} {format_duration(x.length_s)} x{x.agents}"
                      for x in t.plan.shifts) or "none")]
        classes = [c.sla_class for c in t.service]
        head = f"{'time':>6} {'required':>9} {'planned':>8} {'on duty':>8} {'rostered':>9}"
        lines.append(head + "".join(f" {'SL ' + c:>9}" for c in classes))
        for i in range(len(t.required_sim)):
            sl = "".join(
                f" {'-' if v is None else format(v, '.0%'):>9}"
                for v in (c.service_level[i] for c in t.service)
            )
            lines.append(
                f"{s.clock(i * o.interval_s):>6} {t.required_sim[i]:>9} {t.planned_for[i]:>8} "
                f"{t.on_duty[i]:>8} {t.rostered[i]:>9}" + sl
            )
    return "\n".join(lines)


def shifts_yaml(s: Schedule, scenario_name: str) -> str:
    """The plan as ``team.tiers[].shifts`` lists to paste into the scenario.

    Scenario shifts are consecutive stretches with the agents on duty (no overlaps), so
    each tier's planned shifts are listed in a comment above its stretches.
    """
    lines = [
        f"# staff --schedule for {scenario_name} (seed {s.seed}): {s.agent_hours:g} paid "
        f"agent-hours; the plan {_verdict(s)}.",
        "# Paste each tier's shifts into the scenario's team.tiers[] entry of the same name.",
        "team:",
        "  tiers:",
    ]
    for t in s.tiers:
        lines.append(f"    - name: {t.name}")
        for x in t.plan.shifts:
            lines.append(f"      # {s.clock(x.start_s)} for {format_duration(x.length_s)}: "
                         f"{x.agents} agent(s)")
        lines.append("      shifts:")
        for lo, hi, n in segments(t.plan.shifts, s.duration_s):
            lines.append(f"        - {{from: {_dur(lo)}, to: {_dur(hi)}, agents: {n}}}")
    return "\n".join(lines) + "\n"


def _dur(seconds: float) -> str:
    """A duration the scenario parser reads back exactly (whole seconds as ``1h30m``)."""
    if abs(seconds - round(seconds)) < 1e-6:
        return format_duration(round(seconds))
    return f"{seconds:g}s"
