"""The team under test as a scenario describes it: tiers, shifts, service level, patience.

These are the validated, frozen inputs of the care-team model (``simulator/team/model.py``) and the
staffing maths. Times are seconds (floats) from the scenario start. A tier's shifts must
cover the scenario from 0 to its duration with no gap and no overlap (checked by
``Scenario``, which knows the duration); a shift with ``agents: 0`` states a closed period.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from simulator.scenario.distributions import DistSpec
from simulator.scenario.units import parse_duration

__all__ = [
    "DEFAULT_MAX_OCCUPANCY",
    "DEFAULT_SLOWDOWN",
    "Duration",
    "PrivateLevel",
    "ServiceClasses",
    "ServiceLevel",
    "Share",
    "Shift",
    "Team",
    "Tier",
]

Duration = Annotated[float, BeforeValidator(parse_duration)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
# Per-thread work stretch for each OTHER thread an agent holds when it starts one: Goes, Ilk,
# Lin and Zhao (Management Science 64(7), 2018) measured agents taking 18% longer to answer a
# chat message while multitasking (docs/staffing.md).
DEFAULT_SLOWDOWN = 0.18
DEFAULT_MAX_OCCUPANCY = 0.85  # deferred (private) work fills capacity up to this share


class Shift(BaseModel):
    """``{from: 0h, to: 3h, agents: 6}``: agents on duty in ``[from, to)``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: Duration = Field(alias="from")
    end: Duration = Field(alias="to")
    agents: int = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end <= self.start:
            raise ValueError(f"@to: must be after from ({self.start:g}s), got {self.end:g}s")
        return self


class Tier(BaseModel):
    """One escalation tier: which routes it works, when, how fast, how often it escalates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    tier: int = Field(ge=1, le=9)
    routes: tuple[str, ...] = Field(min_length=1)
    shifts: tuple[Shift, ...] = Field(min_length=1)
    handle_time: DistSpec
    escalates: Share = 0.0
    concurrency: int = Field(1, ge=1, le=20)
    slowdown: float = Field(DEFAULT_SLOWDOWN, ge=0.0, le=5.0)

    def stretch(self, threads: int) -> float:
        """Work multiplier of a thread started while the agent holds ``threads`` (it included)."""
        return 1.0 + self.slowdown * (threads - 1)

    def agents_at(self, t: float | np.ndarray) -> np.ndarray:
        """Agents on duty at scenario time(s) ``t`` (0 outside every shift)."""
        times = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.zeros(len(times), dtype=np.int64)
        for s in self.shifts:
            out[(times >= s.start) & (times < s.end)] = s.agents
        return out


class ServiceLevel(BaseModel):
    """``{within: 15m, target: 0.8}``: share of posts an agent starts on within ``within``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    within: Duration
    target: Share


class PrivateLevel(ServiceLevel):
    """The private class (email, chat, sms, DMs): deferred work with a maximum occupancy.

    A private post starts only while the tier's busy threads are below ``max_occupancy`` of
    its on-duty slots, after every public post waiting.
    """

    max_occupancy: float = Field(DEFAULT_MAX_OCCUPANCY, gt=0.0, le=1.0)


class ServiceClasses(BaseModel):
    """``{public: {within, target}, private: {within, target, max_occupancy}}``.

    ``within`` and ``target`` read the public class, so code written for one service level
    keeps working (public channels carry the stricter, visible deadline).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    public: ServiceLevel
    private: PrivateLevel

    @property
    def within(self) -> float:
        return self.public.within

    @property
    def target(self) -> float:
        return self.public.target

    def of(self, cls: Literal["public", "private"]) -> ServiceLevel:
        return self.public if cls == "public" else self.private


def _level_form(raw: object) -> str:
    """``per-class`` when a service level names a class, else ``one-level`` (the tags are
    dropped from error paths)."""
    if isinstance(raw, dict):
        return "per-class" if {"public", "private"} & set(raw) else "one-level"
    return "per-class" if isinstance(raw, ServiceClasses) else "one-level"


AnyServiceLevel = Annotated[
    Annotated[ServiceLevel, Tag("one-level")] | Annotated[ServiceClasses, Tag("per-class")],
    Discriminator(_level_form),
]


class Team(BaseModel):
    """The roster: tiers plus service-level target, triage accuracy and customer patience."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: tuple[Tier, ...] = Field(min_length=1)
    service_level: AnyServiceLevel = ServiceLevel(within=900.0, target=0.8)
    triage_accuracy: Share = 0.9
    patience: DistSpec | None = None

    @model_validator(mode="after")
    def _unique(self) -> Team:
        seen: set[str] = set()
        for i, tier in enumerate(self.tiers):
            if tier.name in seen:
                raise ValueError(f"@tiers[{i}].name: must be unique, got {tier.name!r} twice")
            seen.add(tier.name)
        return self

    @property
    def classes(self) -> ServiceClasses | None:
        """The per-class service levels, or None for the single form."""
        sl = self.service_level
        return sl if isinstance(sl, ServiceClasses) else None

    @property
    def routes(self) -> frozenset[str]:
        """Every route some tier works."""
        return frozenset(r for t in self.tiers for r in t.routes)


def check_shifts(team: Team, duration: float) -> None:
    """Raise ValueError (with an ``@path:`` prefix) when shifts overlap or leave gaps."""
    for i, tier in enumerate(team.tiers):
        shifts = sorted(enumerate(tier.shifts), key=lambda p: p[1].start)
        cursor = 0.0
        for j, shift in shifts:
            where = f"@team.tiers[{i}].shifts[{j}].from"
            if shift.start > cursor + 1e-9:
                raise ValueError(
                    f"{where}: must be {cursor:g}s to leave no gap in tier {tier.name!r} "
                    f"(use agents: 0 for a closed period), got {shift.start:g}s"
                )
            if shift.start < cursor - 1e-9:
                raise ValueError(
                    f"{where}: must not overlap the previous shift of tier {tier.name!r} "
                    f"(which ends at {cursor:g}s), got {shift.start:g}s"
                )
            cursor = shift.end
        if cursor < duration - 1e-9:
            j = shifts[-1][0]
            raise ValueError(
                f"@team.tiers[{i}].shifts[{j}].to: must reach the scenario end "
                f"({duration:g}s) to leave no gap in tier {tier.name!r}, got {cursor:g}s"
            )
