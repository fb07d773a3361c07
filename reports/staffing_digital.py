"""Digital-care figures of the staffing section: Erlang vs simulation, per-class levels.

``erlang_vs_sim`` says where and by how much Erlang C (with the effective-server
approximation for concurrency) and the simulated requirement disagree; ``first_response_levels``
the service level achieved per class (public, private) in a drill; ``team_tier`` what the
team model's team.json says of a tier (occupancy per agent slot, per-class levels).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.scenario_facts import Roster
from reports.stats import ratio
from simulator.scenario.vocab import PRIVATE_CHANNELS
from simulator.staffing.requirement import clock

__all__ = ["erlang_vs_sim", "first_response_levels", "team_tier"]


def team_tier(run: RunData, name: str) -> dict[str, Any]:
    """A tier's occupancy per agent slot and per-class service levels from team.json."""
    for tier in (run.team or {}).get("tiers", []) or []:
        if isinstance(tier, dict) and tier.get("name") == name:
            return {"occupancy_per_slot": tier.get("occupancy"),
                    "service_levels_team": tier.get("service_levels")}
    return {"occupancy_per_slot": None, "service_levels_team": None}


def erlang_vs_sim(
    arrivals: np.ndarray,
    req_c: list[int | None],
    req_sim: list[int | None],
    starts: np.ndarray,
    roster: Roster,
) -> dict[str, Any] | None:
    """Where and by how much Erlang C (c*N effective servers) and the simulation disagree.

    Over intervals with arrivals and both figures: how many agree, how many need more or
    fewer agents by simulation, the mean gap (sim - Erlang C), the largest with its clock.
    None without a simulated requirement.
    """
    pairs = [(i, s - c) for i, (c, s) in enumerate(zip(req_c, req_sim, strict=True))
             if c is not None and s is not None and arrivals[i] > 0]
    if not pairs:
        return None
    gaps = [g for _, g in pairs]
    worst_i, worst = max(pairs, key=lambda p: abs(p[1]))
    return {
        "intervals": len(gaps),
        "agree": sum(g == 0 for g in gaps),
        "sim_above": sum(g > 0 for g in gaps),
        "sim_below": sum(g < 0 for g in gaps),
        "mean_gap": round(sum(gaps) / len(gaps), 3),
        "max_gap": worst,
        "max_gap_at": clock(float(starts[worst_i]), roster.start),
    }


def first_response_levels(run: RunData, out: Outcomes, roster: Roster) -> dict[str, Any]:
    """Per class (public, private), the share of posts needing an answer that got their
    first response within the class's ``within`` (one class, ``public``, without per-class
    levels). A drill sees replies, not when an agent started: this is first response."""
    ev = run.events
    need = ev.respond
    names = np.asarray(ev.channel.names, dtype=object)
    on_private = np.isin(names, sorted(PRIVATE_CHANNELS)) if names.size else np.zeros(0, bool)
    private = on_private[ev.channel.codes] if names.size else np.zeros(len(ev), bool)
    classes = [("public", np.ones(len(ev), bool), roster.within_s, roster.target)]
    if roster.private is not None:
        classes = [("public", ~private, roster.within_s, roster.target),
                   ("private", private, roster.private[0], roster.private[1])]
    result: dict[str, Any] = {}
    for name, mask, within, target in classes:
        sel = need & mask
        n = int(sel.sum())
        hits = int(np.sum(out.first_response_s[sel] <= within))
        result[name] = {"within_s": within, "target": target, "posts": n,
                        "service_level": ratio(hits, n), "measured_on": "first response"}
    return result
