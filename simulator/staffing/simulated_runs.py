"""The staffing plan from simulated runs, and the ``simulate`` command's run folder.

``plan`` builds the staffing plan from several replications of
``simulator.team.simulation.simulate`` (seed, seed+1, ...); ``write_run`` writes the run
folder's ``events.jsonl``, ``actions.jsonl``, ``team.json`` and, with reactions,
``reactions.json`` (docs/architecture.md); ``team_json`` is team.json's content.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulator import runfolder as rf
from simulator.runfolder.event_table import event_id
from simulator.scenario.models import Scenario
from simulator.staffing.requirement import DEFAULT_INTERVAL_S, StaffingPlan, staffing_plan
from simulator.team.closed_loop import ClosedLoop
from simulator.team.model import NOISE_PRIORITY, TeamRun
from simulator.team.simulation import SimResult, simulate
from simulator.team.statistics import class_levels, conversation_figures, tier_figures

__all__ = ["plan", "team_json", "write_actions", "write_run"]

REPLY_TEXT = {
    "reply": "Thanks for reaching out, we're on it. Please check your DMs.",
    "escalate": "Escalated to a specialist team.",
    "close": "",
    "triage": "",
}


def plan(
    scenario: Scenario,
    seed: int | None = None,
    replications: int = 4,
    interval_s: float = DEFAULT_INTERVAL_S,
    first: SimResult | None = None,
) -> StaffingPlan:
    """The staffing plan from ``replications`` coupled runs (seeds seed, seed+1, ...).

    ``first`` reuses an existing run as the first replication.
    """
    base = scenario.seed if seed is None else seed
    runs = [first.team] if first is not None else []
    while len(runs) < replications:
        runs.append(simulate(scenario, base + len(runs), record_actions=False).team)
    return staffing_plan(runs, scenario.team, scenario.duration, scenario.start_time, interval_s)


def team_json(result: SimResult, staffing: StaffingPlan) -> dict[str, Any]:
    """team.json: per-tier figures, the staffing plan per tier, abandonment counts."""
    within = result.scenario.team.service_level.within
    figures = {f.name: f for f in tier_figures(result.team, within)}
    tiers = []
    for tp in staffing.tiers:
        f = figures[tp.name]
        tiers.append({
            **{k: _finite(v) for k, v in f.to_dict().items()},
            "tier": tp.tier,
            "slowdown": tp.slowdown,
            "service_levels": tp.service_levels,
            "erlang_vs_sim": tp.erlang_vs_sim,
            "intervals": [vars(r) | {} for r in tp.intervals],
        })
    n = len(staffing.tiers[0].intervals) if staffing.tiers else 0
    totals = []
    for i in range(n):
        rows = [tp.intervals[i] for tp in staffing.tiers]
        totals.append({
            "start_s": rows[0].start_s,
            "arrivals": round(sum(r.arrivals for r in rows), 2),
            "required_erlang": sum(r.required_erlang_c for r in rows),
            "required_erlang_a": sum(r.required_erlang_a for r in rows),
            "required_sim": sum(r.required_sim for r in rows),
            "rostered": sum(r.rostered for r in rows),
            "backlog": sum(r.backlog for r in rows),
        })
    return {
        "seed": result.seed,
        "interval_s": staffing.interval_s,
        "service_level": {"within_s": staffing.within_s, "target": staffing.target},
        "service_level_classes": staffing.classes,
        "service_levels": class_levels(result.team, within, staffing.target),
        "conversations": conversation_figures(result.team),
        "replications": staffing.replications,
        "tiers": tiers,
        "intervals": totals,
        "shortfall_windows": [vars(w) for w in staffing.shortfalls],
        "abandoned": result.abandoned,
        "reposts_from_abandonment": result.reposts,
        "posts": result.loop.delivered if result.loop is not None else len(result.events),
    }


def _finite(v: object) -> object:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def write_actions(run: TeamRun, path: Path) -> int:
    """Write actions.jsonl (DESIGN.md section 6 shape plus ``at``); returns the line count."""
    idx = run.index.tolist()
    return rf.write_actions(path, (
        rf.Action(event_id(idx[p]), kind, at, route, tier,
                  None if prio >= NOISE_PRIORITY else f"p{prio}", agent, REPLY_TEXT[kind])
        for p, kind, route, tier, prio, agent, at in run.actions), truncate=True)


def write_run(run_dir: Path, result: SimResult, staffing: StaffingPlan) -> None:
    """Write events.jsonl, actions.jsonl and team.json into ``run_dir`` (created)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    rf.write_jsonl(result.events, run_dir / "events.jsonl")
    write_actions(result.team, run_dir / "actions.jsonl")  # starts the file afresh
    if result.loop is not None:
        engine = result.loop.engine
        _append_turn_replies(run_dir / "actions.jsonl", result.loop)
        silence = [j for j, c in engine.cause.items() if c.get("action") == "silence"]
        rf.annotate_events(run_dir / "events.jsonl", engine, engine.prevented_by, silence)
        rf.write_reactions_json(run_dir, {**engine.summary(),
                                       "prevented_rows": sorted(engine.prevented_by)},
                             enabled=True)
    data = team_json(result, staffing)
    rf.write_json(run_dir / "team.json", data)


def _append_turn_replies(path: Path, loop: ClosedLoop) -> None:
    """The team's replies to answer-backs (conversation turns), as actions on those posts."""
    engine = loop.engine
    rf.write_actions(path, (
        rf.Action(event_id(post), "reply", at, engine.route[post], engine.tier[post],
                  f"p{engine.priority[post]}" if engine.priority[post] else None, None,
                  REPLY_TEXT["reply"])
        for post, at in loop.turn_replies))
