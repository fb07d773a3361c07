"""Queue figures from a care-team run, defined exactly as in ``simulator.staffing.erlang``.

Every figure is over the visits that QUEUED at a tier in ``[start, end)`` and whose customer
needs an answer (noise triage only counts toward occupancy):

- ``p_wait``: share that did not start the moment they queued;
- ``asa_s``: mean time in queue, abandoners counted up to their abandonment, and visits still
  waiting at the run's end counted up to the end;
- ``service_level``: share an agent started on within ``within_s`` (abandoners are misses);
- ``abandon_rate``: share that abandoned;
- ``occupancy``: busy thread-seconds over rostered slot-seconds in the window (noise
  included): occupancy per agent SLOT, an agent holding ``concurrency`` slots (1: per agent).

``class_levels`` gives the service level achieved per class (public, private) with each
class's own ``within``; ``conversation_figures`` the thread-level times: first response
(arrival to the first reply), turn response (a customer's answer-back to the agent's reply)
and resolution (arrival to the last reply, for threads whose every turn was answered).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from simulator.team.model import TeamRun

__all__ = [
    "TierFigures",
    "class_levels",
    "conversation_figures",
    "rostered_agents",
    "rostered_seconds",
    "tier_figures",
]


@dataclass(frozen=True)
class TierFigures:
    """One tier's figures over a window (see the module docstring)."""

    name: str
    arrivals: int
    p_wait: float
    asa_s: float
    service_level: float
    abandon_rate: float
    occupancy: float
    concurrency: int = 1

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def rostered_agents(run: TeamRun, k: int, t: float | np.ndarray) -> np.ndarray:
    """Agents tier ``k`` has on duty at time(s) ``t``."""
    tier = run.tiers[k]
    if run.agents is not None:
        return np.full(np.atleast_1d(t).shape, run.agents.get(tier.name, 0), dtype=np.int64)
    return tier.agents_at(t)


def rostered_seconds(run: TeamRun, k: int, start: float, end: float) -> float:
    """Agent-seconds tier ``k`` has on duty in ``[start, end)``."""
    tier = run.tiers[k]
    if run.agents is not None:
        return run.agents.get(tier.name, 0) * max(0.0, end - start)
    total = 0.0
    for s in tier.shifts:
        total += s.agents * max(0.0, min(end, s.end) - max(start, s.start))
    return total


def tier_figures(
    run: TeamRun, within_s: float, start: float = 0.0, end: float | None = None
) -> list[TierFigures]:
    """Per-tier figures over visits queued in ``[start, end)`` (default: the whole run)."""
    stop = run.horizon if end is None else end
    out = []
    for k, tier in enumerate(run.tiers):
        sel = (run.v_tier == k) & (run.v_enqueue >= start) & (run.v_enqueue < stop)
        ans = sel & run.v_answer
        enq = run.v_enqueue[ans]
        st, ab = run.v_start[ans], run.v_abandon[ans]
        n = int(enq.size)
        started = ~np.isnan(st)
        left = np.where(started, st, np.where(np.isnan(ab), run.horizon, ab))
        wait = left - enq
        busy_from = np.clip(run.v_start[run.v_tier == k], start, stop)
        busy_to = np.clip(np.nan_to_num(run.v_end[run.v_tier == k], nan=run.horizon), start, stop)
        busy = float(np.nansum(busy_to - busy_from))
        avail = rostered_seconds(run, k, start, stop) * tier.concurrency
        out.append(
            TierFigures(
                name=tier.name,
                arrivals=int(sel.sum()),
                p_wait=float(np.mean(wait > 0.0)) if n else 0.0,
                asa_s=float(wait.mean()) if n else 0.0,
                service_level=float(np.mean(started & (wait <= within_s))) if n else 1.0,
                abandon_rate=float(np.mean(~np.isnan(ab))) if n else 0.0,
                occupancy=min(1.0, busy / avail) if avail > 0 else 0.0,
                concurrency=tier.concurrency,
            )
        )
    return out


def _started_within(run: TeamRun, sel: np.ndarray, within_s: float) -> tuple[int, int]:
    """(visits in ``sel`` started within ``within_s`` of queueing, visits in ``sel``)."""
    wait = run.v_start[sel] - run.v_enqueue[sel]
    return int(np.sum(wait <= within_s)), int(sel.sum())  # NaN (never started) is a miss


def class_levels(
    run: TeamRun, within_s: float, target: float, k: int | None = None
) -> dict[str, dict[str, Any]]:
    """Service level achieved per class over the visits needing an answer (turns included),
    at tier index ``k`` or over every tier.

    With per-class service levels (``run.classes``) public and private posts are measured
    against their own ``within`` and ``target``; with one level (``within_s``, ``target``)
    every post counts as ``public``.
    """
    counted = run.v_answer if k is None else run.v_answer & (run.v_tier == k)

    def level(mask: np.ndarray, within: float, goal: float) -> dict[str, Any]:
        hits, n = _started_within(run, mask & counted, within)
        return {"within_s": within, "target": goal, "arrivals": n,
                "service_level": round(hits / n, 6) if n else None}

    classes = run.classes
    if classes is None:
        return {"public": level(np.ones_like(run.v_answer), within_s, target)}
    pub, priv = classes.public, classes.private
    return {"public": level(~run.v_private, pub.within, pub.target),
            "private": level(run.v_private, priv.within, priv.target)}


def _summary(xs: np.ndarray) -> dict[str, float | int | None]:
    if not xs.size:
        return {"n": 0, "mean": None, "p50": None, "p90": None}
    p50, p90 = np.percentile(xs, [50, 90])
    return {"n": int(xs.size), "mean": round(float(xs.mean()), 3), "p50": round(float(p50), 3),
            "p90": round(float(p90), 3)}


def conversation_figures(run: TeamRun) -> dict[str, Any]:
    """Thread-level times over the posts needing an answer (see the module docstring)."""
    replied = run.v_reply
    post, turn, end = run.v_post[replied], run.v_turn[replied], run.v_end[replied]
    n_posts = run.index.size
    first = np.full(n_posts, np.inf)
    np.minimum.at(first, post[turn == 0], end[turn == 0])
    last = np.full(n_posts, -np.inf)
    np.maximum.at(last, post, end)
    # the customer's turn time: the first visit of (post, turn); its reply: the replied visit
    turns = run.v_turn > 0
    keys = run.v_post[turns] * (int(run.v_turn.max(initial=0)) + 1) + run.v_turn[turns]
    uniq, first_visit = np.unique(keys, return_index=True)
    asked = run.v_enqueue[turns][first_visit]
    reply_keys = post[turn > 0] * (int(run.v_turn.max(initial=0)) + 1) + turn[turn > 0]
    pos = np.searchsorted(uniq, reply_keys)
    turn_gap = end[turn > 0] - asked[pos] if uniq.size else np.zeros(0)
    answered_turns = np.zeros(n_posts, dtype=np.int64)
    np.add.at(answered_turns, post[turn > 0], 1)
    all_turns = np.zeros(n_posts, dtype=np.int64)
    np.add.at(all_turns, run.v_post[turns][first_visit], 1)
    needs = np.zeros(n_posts, dtype=bool)
    needs[run.v_post[run.v_answer & (run.v_turn == 0)]] = True
    got_first = needs & np.isfinite(first)
    resolved = got_first & (answered_turns == all_turns)
    return {
        "threads": int(needs.sum()),
        "threads_with_turns": int(np.sum(needs & (all_turns > 0))),
        "turns": int(all_turns[needs].sum()),
        "unanswered": int(np.sum(needs & ~np.isfinite(first))),
        "first_response_s": _summary(first[got_first] - run.arrival[got_first]),
        "turn_response_s": _summary(turn_gap),
        "resolution_s": _summary(last[resolved] - run.arrival[resolved]),
    }
