"""The care-team model's routing: which tier takes a post, and where an escalation goes.

Tiers are the team's, sorted by tier number. A decision is ``(tier index, priority, route,
tier number)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from simulator.scenario.roster import Tier

__all__ = ["MISROUTE_PRIORITY", "NOISE_PRIORITY", "NO_ROUTE", "decide", "misroute",
           "next_tier", "tier_for"]

NOISE_PRIORITY = 5  # after p4
MISROUTE_PRIORITY = 4  # a noise post misrouted as needing an answer
NO_ROUTE = "none"  # the policy's route for posts that need no answer

Decision = tuple[int, int, str, int]


def tier_for(tiers: Sequence[Tier], route: str, number: int) -> int:
    """The tier index working ``route`` at policy tier ``number`` (nearest match)."""
    best, best_key = 0, (9, 99)
    for k, t in enumerate(tiers):
        key = (0 if route in t.routes else 1, abs(t.tier - number))
        if key < best_key:
            best, best_key = k, key
    return best


def next_tier(tiers: Sequence[Tier], k: int, route: str) -> int | None:
    """The tier an escalation from tier index ``k`` goes to (one serving ``route`` first)."""
    here = tiers[k].tier
    higher = [j for j in range(k + 1, len(tiers)) if tiers[j].tier > here]
    if not higher:
        return None
    for j in higher:
        if route in tiers[j].routes:
            return j
    return higher[0]


def decide(tiers: Sequence[Tier], k: int, prio: int, route: str) -> Decision:
    """The decision of a triage that put a post at tier index ``k``."""
    if prio == NOISE_PRIORITY:  # triaged as needing no answer: no route, no tier
        return k, prio, NO_ROUTE, 0
    decided = route if route in tiers[k].routes else tiers[k].routes[0]
    return k, prio, decided, tiers[k].tier


def misroute(tiers: Sequence[Tier], k: int, prio: int, route: str, u_pick: float) -> Decision:
    """The triage decision when triage gets a post wrong (drawn ``u_pick``)."""
    if len(tiers) > 1:
        others = [j for j in range(len(tiers)) if j != k]
        k = others[min(int(u_pick * len(others)), len(others) - 1)]
    if prio == NOISE_PRIORITY:
        prio = MISROUTE_PRIORITY
    return decide(tiers, k, prio, route)
