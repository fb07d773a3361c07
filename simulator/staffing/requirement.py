"""The staffing plan: agents needed per tier and interval by Erlang C, Erlang A and simulation.

For each tier and interval (default 15 min): ``arrivals`` (posts queued at the tier that need
an answer, mean over replications), ``aht_s`` (the tier's planned mean handle time),
``required_erlang_c`` / ``required_erlang_a`` (steady-state answers for the interval's
average rate, per second of the interval inside the scenario, and the team's
``service_level``; Erlang A uses the mean of the team's patience), ``required_sim``
(simulation), ``rostered`` (agents on duty at the midpoint of the interval's part inside the
scenario) and ``backlog`` (posts waiting at the interval's end in the first replication's
rostered run, noise included).

``required_sim`` is found interval by interval, in order: every replication's queue state at
the interval's start (the backlog left by the agents chosen for earlier intervals) is copied
and the interval is replayed with candidate agent counts (common random numbers), counting
the posts arriving in it that need an answer and are started within ``within``; the smallest
count whose pooled share meets the target wins, and the states advance with it. Posts that
need no answer queue behind p4 (they cost agents ``NOISE_HANDLE_S`` each but are not scored).
The replay of a candidate continues after the interval's end with the same agents and no new
arrivals, so later higher-priority posts never overtake (slightly optimistic). Arrivals are
the tier's real, bursty arrivals from the crowd + team run: that is why it can disagree with
Erlang, which assumes Poisson arrivals at the interval's average rate.

Digital care: a tier with ``concurrency: N`` is searched with ``N`` slots per agent and its
``slowdown`` (``simulator.team.queuesim``); customers' answer-backs are visits of the run like any
other, at their own times. Erlang stays the smooth-traffic baseline with the effective-server
approximation: ``ceil(S / N)`` agents, ``S`` the servers Erlang needs at the handle time
stretched to ``N`` threads held (``tier.stretch(N)``). With per-class service levels, private
posts are deferred work in the search and both classes must meet their targets; Erlang
(which has one FIFO) takes the larger of the two classes' requirements on all arrivals.
``erlang_vs_sim`` per tier says where and by how much Erlang C and the simulation disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from simulator.scenario.roster import ServiceLevel, Team, Tier
from simulator.staffing.erlang import erlang_a_required, erlang_c_required
from simulator.team.model import NOISE_PRIORITY, TeamRun
from simulator.team.queuesim import Arrivals, Classes, Post, QueueState, run_interval_by_class
from simulator.team.statistics import class_levels, rostered_agents, tier_figures

__all__ = [
    "DEFAULT_INTERVAL_S",
    "IntervalRow",
    "Shortfall",
    "shortfall_windows",
    "StaffingPlan",
    "TierPlan",
    "simulated_required",
    "staffing_plan",
    "tier_arrivals",
]

DEFAULT_INTERVAL_S = 900.0
SEARCH_LIMIT = 10_000  # agents; a tier needing more is reported at this cap


@dataclass(frozen=True)
class IntervalRow:
    """One tier's figures for one interval."""

    start_s: float
    arrivals: float
    aht_s: float
    required_erlang_c: int
    required_erlang_a: int
    required_sim: int
    rostered: int
    backlog: int


@dataclass(frozen=True)
class TierPlan:
    """One tier's rows, with its concurrency and what the first replication achieved.

    ``service_levels``: per class (public, private) the share started within the class's
    ``within`` in the first replication's rostered run; ``occupancy``: per agent slot.
    ``erlang_vs_sim``: how Erlang C and the simulated requirement disagree (``disagreement``).
    """

    name: str
    tier: int
    intervals: tuple[IntervalRow, ...]
    concurrency: int = 1
    slowdown: float = 0.0
    occupancy: float | None = None
    service_levels: dict[str, Any] = field(default_factory=dict)
    erlang_vs_sim: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Shortfall:
    """Consecutive intervals where simulation needs more agents than rostered."""

    tier: str
    start_s: float
    end_s: float
    needed: int
    had: int
    text: str


@dataclass(frozen=True)
class StaffingPlan:
    interval_s: float
    within_s: float
    target: float
    replications: int
    tiers: tuple[TierPlan, ...]
    shortfalls: tuple[Shortfall, ...]
    classes: dict[str, dict[str, float]] | None = None  # per-class within_s/target, or None

    def to_dict(self) -> dict[str, object]:
        """Plain data: ``{"interval_s", ..., "tiers": [{"name", "intervals": [...]}], ...}``."""
        return asdict(self)


def tier_arrivals(run: TeamRun, k: int) -> Arrivals:
    """The visits that queued at tier ``k`` in a team run (answer-backs included), as
    staffing-search input; private ones are marked when the team has per-class levels."""
    sel = run.v_tier == k
    order = np.argsort(run.v_enqueue[sel], kind="stable")
    private = None
    if run.classes is not None:
        private = (run.v_private & (run.v_priority != NOISE_PRIORITY))[sel][order]
    return Arrivals(
        t=run.v_enqueue[sel][order],
        priority=run.v_priority[sel][order],
        answer=run.v_answer[sel][order],
        handle=run.v_handle[sel][order],
        patience=run.v_patience[sel][order],
        private=private,
    )


def simulated_required(
    reps: Sequence[Arrivals],
    starts: np.ndarray,
    interval_s: float,
    within_s: float,
    target: float,
    guesses: Sequence[int],
    concurrency: int = 1,
    slowdown: float = 0.0,
    classes: Classes | None = None,
) -> list[int]:
    """Smallest agent count per interval meeting ``target`` (module docstring); pooled reps.

    ``guesses`` (e.g. Erlang C's counts) start the search of an interval that follows one
    needing nobody; otherwise the previous interval's answer does (it is usually within a
    few agents, which saves candidate runs). ``concurrency`` and ``slowdown`` are the
    tier's; with ``classes`` the private posts must meet their own target too.
    """
    states = [QueueState() for _ in reps]
    out: list[int] = []
    for start, guess in zip(starts.tolist(), guesses, strict=True):
        if out and out[-1] > 0:
            guess = out[-1]
        end = start + interval_s
        windows = [a.window(start, end) for a in reps]
        if not any(p[2] for w in windows for p in w):
            need = 0
        else:

            def meets(n: int, windows: list[list[Post]] = windows, end: float = end) -> bool:
                hits = counted = hits_p = counted_p = 0
                for state, posts in zip(states, windows, strict=True):
                    h, c, hp, cp = run_interval_by_class(
                        state.copy(), posts, n, end, within_s, True, concurrency, slowdown,
                        classes)
                    hits += h
                    counted += c
                    hits_p += hp
                    counted_p += cp
                private_ok = classes is None or hits_p >= classes.private_target * counted_p
                return hits >= target * counted and private_ok

            need = _bracket(meets, max(1, guess))
        out.append(need)
        for state, posts in zip(states, windows, strict=True):
            run_interval_by_class(state, posts, need, end, within_s, False, concurrency,
                                  slowdown, classes)
    return out


def _backlog_at(run: TeamRun, k: int, t: float) -> int:
    sel = (run.v_tier == k) & (run.v_enqueue <= t)
    started = run.v_start[sel] <= t  # NaN compares False
    gone = run.v_abandon[sel] <= t
    return int((~started & ~gone).sum())


def _bracket(meets: Callable[[int], bool], guess: int) -> int:
    """Smallest n >= 1 with meets(n), galloping from ``guess`` then bisecting (monotone)."""
    if meets(guess):
        hi, step = guess, 1
        while hi - step >= 1 and meets(hi - step):
            hi -= step
            step *= 2
        lo = max(0, hi - step)  # lo fails (or is 0)
    else:
        lo, step = guess, 1
        while not meets(lo + step) and lo + step < SEARCH_LIMIT:
            lo += step
            step *= 2
        hi = min(lo + step, SEARCH_LIMIT)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi


def staffing_plan(
    runs: Sequence[TeamRun],
    team: Team,
    duration_s: float,
    clock_start: datetime | None = None,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> StaffingPlan:
    """Build the plan from one or more team runs of the same scenario (replications)."""
    if not runs:
        raise ValueError("staffing_plan needs at least one team run")
    within, target = team.service_level.within, team.service_level.target
    classes = team.classes
    levels: list[ServiceLevel] = [ServiceLevel(within=within, target=target)]
    if classes is not None:
        levels.append(classes.private)
    kernel_classes = None
    if classes is not None:
        private = classes.private
        kernel_classes = Classes(private.within, private.target, private.max_occupancy)
    patience = team.patience.build().mean if team.patience is not None else math.inf
    n_int = max(1, math.ceil(duration_s / interval_s - 1e-9))
    starts = np.arange(n_int) * interval_s
    widths = np.minimum(interval_s, duration_s - starts)  # the last one may be cut short
    base = runs[0]
    figures = tier_figures(base, within)
    plans = []
    for k, tier in enumerate(base.tiers):
        reps = [tier_arrivals(r, k) for r in runs]
        tier_mean = tier.handle_time.build().mean
        rows_c, rows_a, arrivals, ahts = [], [], [], []
        for s, width in zip(starts.tolist(), widths.tolist(), strict=True):
            counts = 0
            for arr in reps:
                lo, hi = np.searchsorted(arr.t, [s, s + interval_s])
                counts += int(arr.answer[lo:hi].sum())
            mean_arrivals = counts / len(reps)
            aht = tier_mean
            rate = mean_arrivals / width
            arrivals.append(round(mean_arrivals, 2))
            ahts.append(round(aht, 3))
            c, a = erlang_agents(rate, aht, tier, levels, patience)
            rows_c.append(c)
            rows_a.append(a)
        sim = simulated_required(reps, starts, interval_s, within, target, rows_c,
                                 tier.concurrency, tier.slowdown, kernel_classes)
        rostered = rostered_agents(base, k, starts + widths / 2).tolist()
        rows = tuple(
            IntervalRow(
                start_s=float(starts[i]),
                arrivals=arrivals[i],
                aht_s=ahts[i],
                required_erlang_c=rows_c[i],
                required_erlang_a=rows_a[i],
                required_sim=sim[i],
                rostered=int(rostered[i]),
                backlog=_backlog_at(base, k, float(starts[i] + widths[i])),
            )
            for i in range(n_int)
        )
        plans.append(TierPlan(
            name=tier.name, tier=tier.tier, intervals=rows, concurrency=tier.concurrency,
            slowdown=tier.slowdown if tier.concurrency > 1 else 0.0,
            occupancy=round(figures[k].occupancy, 4),
            service_levels=class_levels(base, within, target, k),
            erlang_vs_sim=disagreement(rows, clock_start),
        ))
    windows = tuple(w for p in plans for w in shortfalls(p, interval_s, clock_start))
    return StaffingPlan(
        interval_s=interval_s,
        within_s=within,
        target=target,
        replications=len(runs),
        tiers=tuple(plans),
        shortfalls=tuple(sorted(windows, key=lambda w: (w.start_s, w.tier))),
        classes=_class_targets(team),
    )


def _class_targets(team: Team) -> dict[str, dict[str, float]] | None:
    classes = team.classes
    if classes is None:
        return None
    pub, priv = classes.public, classes.private
    return {"public": {"within_s": pub.within, "target": pub.target},
            "private": {"within_s": priv.within, "target": priv.target,
                        "max_occupancy": priv.max_occupancy}}


def erlang_agents(
    rate: float, aht: float, tier: Tier, levels: Sequence[ServiceLevel], patience: float
) -> tuple[int, int]:
    """Agents by Erlang C and Erlang A with the effective-server approximation.

    ``S`` servers at the handle time stretched to ``tier.concurrency`` threads held, the
    largest over ``levels``, make ``ceil(S / concurrency)`` agents (today's Erlang at 1).
    """
    n = tier.concurrency
    work = aht * tier.stretch(n)
    c = max(erlang_c_required(rate, work, lv.target, lv.within) for lv in levels)
    a = max(erlang_a_required(rate, work, lv.target, lv.within, patience) for lv in levels)
    return math.ceil(c / n), math.ceil(a / n)


def disagreement(rows: Sequence[IntervalRow], start: datetime | None) -> dict[str, Any]:
    """Where and by how much Erlang C and the simulated requirement disagree.

    Over intervals with arrivals: how many agree, how many need more (``sim_above``) or fewer
    (``sim_below``) agents by simulation, the mean gap (sim - Erlang C) and the largest one
    with its interval's clock.
    """
    busy = [r for r in rows if r.arrivals > 0]
    gaps = [r.required_sim - r.required_erlang_c for r in busy]
    if not gaps:
        return {"intervals": 0, "agree": 0, "sim_above": 0, "sim_below": 0, "mean_gap": None,
                "max_gap": None, "max_gap_at": None}
    worst = max(range(len(gaps)), key=lambda i: abs(gaps[i]))
    return {
        "intervals": len(gaps),
        "agree": sum(g == 0 for g in gaps),
        "sim_above": sum(g > 0 for g in gaps),
        "sim_below": sum(g < 0 for g in gaps),
        "mean_gap": round(sum(gaps) / len(gaps), 3),
        "max_gap": gaps[worst],
        "max_gap_at": clock(busy[worst].start_s, start),
    }


def clock(seconds: float, start: datetime | None) -> str:
    """``HH:MM`` from the scenario's start, or ``+H:MM`` without one."""
    if start is not None:
        return (start + timedelta(seconds=seconds)).strftime("%H:%M")
    minutes = int(seconds // 60)
    return f"+{minutes // 60}:{minutes % 60:02d}"


def shortfall_windows(
    tier: str,
    starts: Sequence[float],
    ends: Sequence[float],
    needed: Sequence[int | None],
    rostered: Sequence[int],
    start: datetime | None,
) -> list[Shortfall]:
    """Runs of consecutive intervals where ``needed > rostered``, in words.

    A window reports its peak need and the roster in that same interval ("10:15-11:00
    frontline needed 14, had 6"). ``needed`` may hold None where nothing was computed.
    """
    out: list[Shortfall] = []
    short = [n is not None and n > r for n, r in zip(needed, rostered, strict=True)]
    i = 0
    while i < len(short):
        if not short[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(short) and short[j + 1]:
            j += 1
        peak = max(range(i, j + 1), key=lambda k: needed[k] or 0)
        lo, hi = float(starts[i]), float(ends[j])
        need, had = int(needed[peak] or 0), int(rostered[peak])
        text = f"{clock(lo, start)}-{clock(hi, start)} {tier} needed {need}, had {had}"
        out.append(Shortfall(tier, lo, hi, need, had, text))
        i = j + 1
    return out


def shortfalls(plan: TierPlan, interval_s: float, start: datetime | None) -> list[Shortfall]:
    """Runs of intervals where ``required_sim > rostered``, in words."""
    rows = plan.intervals
    return shortfall_windows(
        plan.name,
        [r.start_s for r in rows],
        [r.start_s + interval_s for r in rows],
        [r.required_sim for r in rows],
        [r.rostered for r in rows],
        start,
    )
