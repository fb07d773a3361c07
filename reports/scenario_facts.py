"""The scenario's facts reports/ needs, as plain figures: roster, service level, clock, SLO.

``roster_of(scenario)`` is the only place reports/ reads the scenario's team, so the
metric modules work on plain numbers (and tests can build a ``Roster`` by hand).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

DEFAULT_WITHIN_S = 900.0
DEFAULT_TARGET = 0.8


@dataclass(frozen=True)
class TierPlan:
    """One rostered tier: number, routes, planned mean handle time, shifts."""

    name: str
    tier: int
    routes: tuple[str, ...]
    aht_s: float
    shifts: tuple[tuple[float, float, int], ...]  # (from_s, to_s, agents)
    concurrency: int = 1  # threads one agent works at once
    slowdown: float = 0.0  # per-thread stretch for each other thread held (0 at concurrency 1)

    def stretch(self, threads: int) -> float:
        """Work multiplier of a thread started while an agent holds ``threads``."""
        return 1.0 + self.slowdown * (threads - 1)

    def agents_at(self, t: float) -> int:
        """Agents on duty at scenario second ``t``."""
        return sum(agents for lo, hi, agents in self.shifts if lo <= t < hi)


@dataclass(frozen=True)
class Roster:
    """The team under test plus the scenario clock."""

    tiers: tuple[TierPlan, ...]
    within_s: float
    target: float
    patience_s: float | None
    duration_s: float
    start: datetime | None
    private: tuple[float, float, float] | None = None  # within_s, target, max_occupancy


def _mean(spec: Any) -> float | None:
    if spec is None:
        return None
    built = spec.build() if hasattr(spec, "build") else spec
    mean = getattr(built, "mean", None)
    if mean is None or not math.isfinite(float(mean)) or float(mean) <= 0:
        return None
    return float(mean)


def scenario_duration(scenario: Any) -> float:
    """The scenario's duration in seconds."""
    for name in ("duration_s", "duration"):
        value = getattr(scenario, name, None)
        if isinstance(value, int | float):
            return float(value)
    from simulator.scenario.units import parse_duration

    return parse_duration(scenario.duration)


def scenario_start(scenario: Any) -> datetime | None:
    """The scenario's clock label origin, or None."""
    start = getattr(scenario, "start", None)
    if isinstance(start, datetime):
        return start
    if isinstance(start, str) and start:
        try:
            return datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def roster_of(scenario: Any) -> Roster:
    """Plain figures from ``scenario.team`` (a scenario without a team gets no tiers)."""
    team = getattr(scenario, "team", None)
    tiers: list[TierPlan] = []
    within, target, patience = DEFAULT_WITHIN_S, DEFAULT_TARGET, None
    private: tuple[float, float, float] | None = None
    if team is not None:
        for tier in team.tiers:
            shifts = tuple((float(s.start), float(s.end), int(s.agents)) for s in tier.shifts)
            tiers.append(
                TierPlan(
                    tier.name,
                    int(tier.tier),
                    tuple(tier.routes),
                    _mean(tier.handle_time) or 1.0,
                    shifts,
                    int(getattr(tier, "concurrency", 1)),
                    float(getattr(tier, "slowdown", 0.0)) if getattr(tier, "concurrency", 1) > 1
                    else 0.0,
                )
            )
        sl = getattr(team, "service_level", None)
        if sl is not None:
            within, target = float(sl.within), float(sl.target)
        classes = getattr(team, "classes", None)
        if classes is not None:
            p = classes.private
            private = (float(p.within), min(float(p.target), 0.999999), float(p.max_occupancy))
        patience = _mean(getattr(team, "patience", None))
    return Roster(
        tuple(tiers),
        within,
        min(target, 0.999999),
        patience,
        scenario_duration(scenario),
        scenario_start(scenario),
        private,
    )


def tier_of(roster: Roster, tier: np.ndarray) -> np.ndarray:
    """Index into ``roster.tiers`` for each tier number, -1 when none is rostered."""
    out = np.full(tier.shape, -1, dtype=np.int64)
    for i, plan in enumerate(roster.tiers):
        out[tier == plan.tier] = i
    return out
