"""Checking a shift plan by simulation: the planned team, and service level per interval.

``planned_team(team, shifts)`` is the scenario's team with each tier's shifts replaced by
the plan's on-duty stretches (``simulator.staffing.shift_plan.segments``).
``interval_service`` reads
team runs of that team and returns, per tier, SLA class and interval, the pooled share of
posts an agent started on within the class's ``within``: the same definition as the
staffing search (visits that queued at the tier needing an answer, counted by the interval
they queued in; abandoners are misses). A visit still waiting at the end of the run whose
deadline falls after the end is not counted: nobody can say yet whether it was met.

SLA classes: ``sla_classes(team)`` lists the service levels the team is held to: one class,
``all``, with a single ``team.service_level``; ``public`` and ``private`` (each with its
``within``/``target`` and the visits that belong to it) when the team has per-class levels,
and everything downstream reports per class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.scenario.roster import Shift, Team
from simulator.staffing.shift_plan import ShiftSpec, segments
from simulator.team.model import TeamRun

__all__ = ["ClassService", "SlaClass", "interval_service", "planned_team", "sla_classes"]


@dataclass(frozen=True)
class SlaClass:
    """A service level and the visits held to it (``members(run)``: boolean per visit)."""

    name: str
    within_s: float
    target: float
    members: Callable[[TeamRun], np.ndarray]


@dataclass(frozen=True)
class ClassService:
    """One tier's pooled figures for one SLA class, per interval, over the replications."""

    tier: str
    sla_class: str
    target: float
    hits: tuple[int, ...]
    counted: tuple[int, ...]

    @property
    def service_level(self) -> tuple[float | None, ...]:
        return tuple(h / c if c else None for h, c in zip(self.hits, self.counted, strict=True))

    def misses(self) -> list[int]:
        """Intervals whose pooled share is below the target."""
        return [i for i, (h, c) in enumerate(zip(self.hits, self.counted, strict=True))
                if c and h < self.target * c - 1e-9]


def sla_classes(team: Team) -> list[SlaClass]:
    """The service levels ``team`` is held to (module docstring)."""
    classes = team.classes
    if classes is not None:  # public and private posts, each held to its own level
        pub, priv = classes.public, classes.private
        return [SlaClass("public", float(pub.within), float(pub.target),
                         lambda run: run.v_answer & ~run.v_private),
                SlaClass("private", float(priv.within), float(priv.target),
                         lambda run: run.v_answer & run.v_private)]
    sl = team.service_level
    return [SlaClass("all", float(sl.within), float(sl.target), lambda run: run.v_answer)]


def planned_team(team: Team, shifts: Mapping[str, Sequence[ShiftSpec]], duration_s: float) -> Team:
    """``team`` with the shifts of every tier named in ``shifts`` replaced by the plan's."""
    tiers = []
    for tier in team.tiers:
        if tier.name in shifts:
            stretches = tuple(
                Shift.model_validate({"from": lo, "to": hi, "agents": n})
                for lo, hi, n in segments(shifts[tier.name], duration_s)
            )
            tier = tier.model_copy(update={"shifts": stretches})
        tiers.append(tier)
    return team.model_copy(update={"tiers": tuple(tiers)})


def interval_service(
    runs: Sequence[TeamRun], classes: Sequence[SlaClass], n_intervals: int, interval_s: float
) -> list[ClassService]:
    """Per tier (in the runs' tier order) and class: hits and counted visits per interval."""
    if not runs:
        return []
    out = []
    for k, tier in enumerate(runs[0].tiers):
        for cls in classes:
            hits = np.zeros(n_intervals, dtype=np.int64)
            counted = np.zeros(n_intervals, dtype=np.int64)
            for run in runs:
                sel = (run.v_tier == k) & run.v_answer & cls.members(run)
                enq, start = run.v_enqueue[sel], run.v_start[sel]
                hit = (start - enq) <= cls.within_s  # NaN (never started) compares False
                gone = ~np.isnan(run.v_abandon[sel])
                decided = hit | gone | (enq + cls.within_s <= run.horizon)
                bins = np.clip((enq // interval_s).astype(np.int64), 0, n_intervals - 1)
                hits += np.bincount(bins[hit], minlength=n_intervals)
                counted += np.bincount(bins[decided], minlength=n_intervals)
            out.append(ClassService(tier.name, cls.name, cls.target,
                                    tuple(hits.tolist()), tuple(counted.tolist())))
    return out
