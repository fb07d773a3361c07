"""``staff --schedule``: from the simulated requirement to a shift plan verified by simulation.

``schedule(scenario, options)`` does, per round:

1. **Requirement** (first round only): ``simulator.staffing.simulated_runs.plan`` over
   ``replications`` coupled runs gives each tier's ``required_sim`` per interval.
2. **Solve**: ``simulator.staffing.shift_plan.solve_shifts`` per tier: shifts of the allowed lengths
   and starts covering that requirement at the least paid agent-hours (HiGHS).
3. **Verify**: the scenario runs again, crowd and team coupled (whatever ``simulate``
   couples: abandonment reposts, reactions), with the planned team, over the same seeds
   (common random numbers: the storms the requirement came from, now met by the plan's
   team); ``simulator.staffing.plan_verify.interval_service`` pools each tier's service level per
   interval and SLA class.
4. **Raise**: where a tier misses its target in an interval (any class), that interval's
   requirement becomes the larger of one more than the plan has on duty there and the
   simulated requirement of the verification runs themselves (``staffing_plan`` over them:
   a bigger upstream tier passes more escalations on sooner, so a tier's arrivals change
   with the plan); the intervals after it in which its posts may still wait (``within``)
   keep at least that many agents too, and one more than they had: a roster that drops
   right after a busy interval leaves that interval's late posts to fewer agents, and later
   higher-priority posts overtake them. The next round solves again.

It stops when no interval misses (``met``), after ``MAX_ROUNDS`` rounds
(``bound``), or when every missed interval is already at ``max_agents`` (``max-agents``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulator.errors import InputError
from simulator.scenario.models import Scenario
from simulator.scenario.units import format_duration, parse_duration
from simulator.staffing.plan_verify import ClassService, interval_service, planned_team, sla_classes
from simulator.staffing.requirement import DEFAULT_INTERVAL_S, clock, staffing_plan
from simulator.staffing.shift_plan import (
    DEFAULT_STEP_S,
    InfeasiblePlan,
    ShiftPlan,
    default_lengths,
    interval_bounds,
    on_duty,
    solve_shifts,
)
from simulator.staffing.simulated_runs import plan
from simulator.team.simulation import simulate

__all__ = [
    "MAX_ROUNDS",
    "Round",
    "Schedule",
    "ScheduleOptions",
    "TierSchedule",
    "parse_options",
    "schedule",
]

MAX_ROUNDS = 6  # solve + verify rounds; each costs ``replications`` coupled runs


@dataclass(frozen=True)
class ScheduleOptions:
    lengths_s: tuple[float, ...]
    step_s: float
    max_agents: int | None = None
    interval_s: float = DEFAULT_INTERVAL_S
    replications: int = 4
    seed: int | None = None


@dataclass(frozen=True)
class TierSchedule:
    """One tier's final plan, the requirement it covers and how it did in simulation."""

    name: str
    tier: int
    required_sim: tuple[int, ...]  # the simulated requirement (with the scenario's roster)
    planned_for: tuple[int, ...]  # the requirement the final solve covered (after raises)
    on_duty: tuple[int, ...]  # the plan's agents on duty for each whole interval
    rostered: tuple[int, ...]  # the scenario's roster at each interval's midpoint
    rostered_agent_hours: float
    plan: ShiftPlan
    service: tuple[ClassService, ...]  # the final verification, one per SLA class

    def missed(self) -> list[int]:
        """Intervals where the final verification missed some class's target."""
        return sorted({i for s in self.service for i in s.misses()})


@dataclass(frozen=True)
class Round:
    number: int
    agent_hours: float
    missed: int  # (tier, interval) pairs below target in this round's verification


@dataclass(frozen=True)
class Schedule:
    options: ScheduleOptions
    seed: int
    duration_s: float
    start: datetime | None
    tiers: tuple[TierSchedule, ...]
    rounds: tuple[Round, ...]
    status: str  # "met", "bound" (MAX_ROUNDS reached) or "max-agents"

    @property
    def agent_hours(self) -> float:
        return sum(t.plan.agent_hours for t in self.tiers)

    @property
    def rostered_agent_hours(self) -> float:
        return sum(t.rostered_agent_hours for t in self.tiers)

    def clock(self, seconds: float) -> str:
        return clock(seconds, self.start)


def parse_options(
    scenario: Scenario,
    lengths: str | None,
    step: str | None,
    max_agents: int | None,
    interval_s: float,
    replications: int,
    seed: int | None,
) -> ScheduleOptions:
    """Options from the command line's text; InputError (one line) for bad values."""
    if lengths is None:
        lengths_s = default_lengths(scenario.duration)
    else:
        parts = [p.strip() for p in lengths.split(",")]
        try:
            lengths_s = tuple(parse_duration(p) for p in parts)
        except ValueError as err:
            raise InputError(f"--shift-lengths: must be a comma-separated list of {err}") from err
        if not parts or any(x <= 0 for x in lengths_s):
            raise InputError(f"--shift-lengths: must be durations > 0 like 4h,6h,8h, "
                             f"got {lengths!r}")
        longest = max(lengths_s)
        if longest > scenario.duration:
            raise InputError(
                f"--shift-lengths: must be at most the scenario's duration "
                f"({format_duration(scenario.duration)}), got {format_duration(longest)}")
    try:
        step_s = DEFAULT_STEP_S if step is None else parse_duration(step)
    except ValueError as err:
        raise InputError(f"--start-step: must be {err}") from err
    if step_s <= 0:
        raise InputError(f"--start-step: must be a duration > 0 like 30m, got {step!r}")
    if max_agents is not None and max_agents < 1:
        raise InputError(f"--max-agents: must be an integer >= 1, got {max_agents}")
    return ScheduleOptions(tuple(lengths_s), step_s, max_agents, interval_s, replications, seed)


def _solve(name: str, required: list[int], scenario: Scenario, options: ScheduleOptions,
           start: datetime | None) -> ShiftPlan:
    try:
        return solve_shifts(required, options.interval_s, scenario.duration, options.lengths_s,
                            options.step_s, options.max_agents)
    except InfeasiblePlan as err:
        raise InputError(f"--max-agents: tier {name!r} {_clock_text(str(err), start)}") from err
    except ValueError as err:
        raise InputError(f"--shift-lengths/--start-step: {err}") from err


def _clock_text(message: str, start: datetime | None) -> str:
    """Replace the solver's ``from 123s`` with a clock time."""
    import re

    return re.sub(r"from (\d+(?:\.\d+)?)s", lambda m: "from " + clock(float(m.group(1)), start),
                  message)


def _raise(required: list[int], i: int, want: int, cap: int | None) -> bool:
    """Raise ``required[i]`` to ``want`` (at most ``cap``); True when it went up."""
    want = min(want, cap) if cap is not None else want
    if want <= required[i]:
        return False
    required[i] = want
    return True


def schedule(scenario: Scenario, options: ScheduleOptions) -> Schedule:
    """The verified shift plan (module docstring); InputError for impossible requests."""
    seed = scenario.seed if options.seed is None else options.seed
    start = scenario.start_time
    needs = plan(scenario, seed=seed, replications=options.replications,
                 interval_s=options.interval_s)
    names = [t.name for t in needs.tiers]
    n = len(needs.tiers[0].intervals) if needs.tiers else 0
    bounds = interval_bounds(n, options.interval_s, scenario.duration)
    first = {t.name: [r.required_sim for r in t.intervals] for t in needs.tiers}
    rostered = {t.name: [r.rostered for r in t.intervals] for t in needs.tiers}
    required = {name: list(req) for name, req in first.items()}
    classes = sla_classes(scenario.team)
    within = max(c.within_s for c in classes)
    rounds: list[Round] = []
    status = "bound"
    while True:
        plans = {name: _solve(name, required[name], scenario, options, start) for name in names}
        team = planned_team(scenario.team, {k: p.shifts for k, p in plans.items()},
                            scenario.duration)
        trial = scenario.model_copy(update={"team": team})
        runs = [simulate(trial, seed + r, record_actions=False).team
                for r in range(options.replications)]
        service = interval_service(runs, classes, n, options.interval_s)
        duty = {name: on_duty(p.shifts, bounds) for name, p in plans.items()}
        missed = {name: sorted({i for s in service if s.tier == name for i in s.misses()})
                  for name in names}
        rounds.append(Round(len(rounds) + 1, sum(p.agent_hours for p in plans.values()),
                            sum(len(m) for m in missed.values())))
        if not any(missed.values()):
            status = "met"
            break
        if len(rounds) >= MAX_ROUNDS:
            break
        again = staffing_plan(runs, team, scenario.duration, start, options.interval_s)
        sim_again = {t.name: [r.required_sim for r in t.intervals] for t in again.tiers}
        raised = False
        for name, intervals in missed.items():
            for i in intervals:
                want = max(required[name][i], int(duty[name][i])) + 1
                want = max(want, sim_again[name][i])
                raised |= _raise(required[name], i, want, options.max_agents)
                for j in range(i + 1, n):
                    if bounds[j, 0] >= bounds[i, 1] + within:
                        break
                    held = max(want, int(duty[name][j]) + 1)
                    raised |= _raise(required[name], j, held, options.max_agents)
        if not raised:
            status = "max-agents"
            break
    tiers = []
    for tier in sorted(scenario.team.tiers, key=lambda t: t.tier):
        name = tier.name
        hours = sum((min(s.end, scenario.duration) - s.start) * s.agents for s in tier.shifts)
        tiers.append(TierSchedule(
            name=name, tier=tier.tier, required_sim=tuple(first[name]),
            planned_for=tuple(required[name]), on_duty=tuple(int(x) for x in duty[name]),
            rostered=tuple(rostered[name]), rostered_agent_hours=hours / 3600.0,
            plan=plans[name], service=tuple(s for s in service if s.tier == name),
        ))
    return Schedule(options, seed, float(scenario.duration), start, tuple(tiers), tuple(rounds),
                    status)
