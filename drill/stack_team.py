"""The embedded reference stack's team, written from the scenario's validated team.

The scenario's ``team`` is parsed once (``simulator.scenario.roster``, pydantic); the
reference stack imports nothing of the harness and reads its own team-file format
(``carestack.config.load_team``: ``team: {tiers: [...]}``, durations in seconds).
``write_stack_team`` writes that format from the validated tiers, keeping each tier's routes,
shifts, handle-time distribution, escalation rate, concurrency and slowdown; a live drill
caps every shift at ``--sim-agents`` simulated agents (humans work the rest in the console).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError
from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import Team, Tier

__all__ = ["stack_tier", "write_stack_team"]


def _handle_time(spec: DistSpec, where: str) -> dict[str, Any]:
    """The stack's ``handle_time``: lognormal (mean, sd), exponential (mean), constant (mean)."""
    if spec.dist == "lognormal":
        return {"dist": "lognormal", "mean": float(spec.mean or 0.0), "sd": float(spec.sd or 0.0)}
    if spec.dist == "exponential":
        return {"dist": "exponential", "mean": float(spec.mean or 0.0)}
    if spec.dist == "constant":
        return {"dist": "constant", "mean": float(spec.value or 0.0)}
    raise InputError(f"{where}.dist must be lognormal, exponential or constant for the "
                     f"reference stack's agents (or use --target), got {spec.dist}")


def stack_tier(tier: Tier, where: str, cap: int | None = None) -> dict[str, Any]:
    """One tier in the stack's format; ``cap`` bounds every shift's agents."""
    shifts = [{"from": s.start, "to": s.end,
               "agents": s.agents if cap is None else min(s.agents, cap)} for s in tier.shifts]
    return {"name": tier.name, "tier": tier.tier, "routes": list(tier.routes),
            "agents": max(s["agents"] for s in shifts), "shifts": shifts,
            "handle_time": _handle_time(tier.handle_time, f"{where}.handle_time"),
            "escalates": tier.escalates, "concurrency": tier.concurrency,
            "slowdown": tier.slowdown}


def write_stack_team(team: Team, out: Path, cap: int | None = None,
                     source: str = "team") -> Path:
    """Write ``team`` as the stack's team file at ``out``; returns ``out``.

    ``source`` names the scenario in an error (a handle-time distribution the stack lacks).
    """
    tiers = [stack_tier(t, f"{source}: team.tiers[{i}]", cap) for i, t in enumerate(team.tiers)]
    out.write_text(yaml.safe_dump({"team": {"tiers": tiers}}, sort_keys=False), encoding="utf-8")
    return out
