"""The shift-plan integer program: covers every interval, and matches brute force when small."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulator.staffing.shift_plan import (
    InfeasiblePlan,
    ShiftSpec,
    candidate_shifts,
    segments,
    solve_shifts,
)

H = 3600.0


def _coverage(shifts: tuple[ShiftSpec, ...], n: int, interval: float, duration: float) -> list[int]:
    """Agents on duty for the whole of each interval, counted shift by shift (independent)."""
    out = []
    for i in range(n):
        lo, hi = i * interval, min((i + 1) * interval, duration)
        out.append(sum(s.agents for s in shifts
                       if s.start_s <= lo and s.start_s + s.length_s >= hi))
    return out


def _brute_force(req: list[int], interval: float, duration: float, lengths: list[float],
                 step: float) -> float:
    """Least agent-seconds over every vector of shift counts up to max(req) each."""
    cands = candidate_shifts(duration, lengths, step)
    best = float("inf")
    top = max(req)
    for counts in itertools.product(range(top + 1), repeat=len(cands)):
        cost = sum(c * n for c, (_, n) in zip(counts, cands, strict=True))
        if cost >= best:
            continue
        plan = tuple(ShiftSpec(s, n, c) for c, (s, n) in zip(counts, cands, strict=True) if c)
        if all(h >= r for h, r in zip(_coverage(plan, len(req), interval, duration), req,
                                     strict=True)):
            best = cost
    return best


@pytest.mark.parametrize("seed", range(6))
def test_small_cases_equal_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    duration, interval, lengths, step = 3 * H, H / 2, [H, 2 * H], H
    req = rng.integers(0, 4, 6).tolist()
    plan = solve_shifts(req, interval, duration, lengths, step)
    assert plan.optimal
    assert plan.agent_seconds == pytest.approx(_brute_force(req, interval, duration, lengths, step))
    assert all(h >= r for h, r in zip(_coverage(plan.shifts, 6, interval, duration), req,
                                     strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_a_day_of_quarter_hours_is_covered(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    t = np.arange(96)
    req = np.maximum(0, 20 + 15 * np.sin(t / 96 * 2 * np.pi) + rng.normal(0, 4, 96)).astype(int)
    req[40:48] += 30  # a storm
    plan = solve_shifts(req.tolist(), 900.0, 24 * H, [4 * H, 6 * H, 8 * H], H / 2)
    got = _coverage(plan.shifts, 96, 900.0, 24 * H)
    assert all(h >= r for h, r in zip(got, req.tolist(), strict=True))
    assert plan.optimal
    # paid hours are at least the requirement's own agent-hours and every shift is allowed
    assert plan.agent_hours >= req.sum() / 4
    assert {s.length_s for s in plan.shifts} <= {4 * H, 6 * H, 8 * H}
    assert all(s.start_s % (H / 2) == 0 or s.end_s == 24 * H for s in plan.shifts)


def test_starts_that_do_not_divide_still_reach_the_end() -> None:
    # 5h scenario, 2h shifts every 2h: starts 0, 2h and the last one at 3h
    assert candidate_shifts(5 * H, [2 * H], 2 * H) == [(0.0, 2 * H), (2 * H, 2 * H),
                                                       (3 * H, 2 * H)]
    plan = solve_shifts([1] * 10, H / 2, 5 * H, [2 * H], 2 * H)
    assert min(_coverage(plan.shifts, 10, H / 2, 5 * H)) >= 1
    assert plan.agent_hours == 6  # three 2h shifts: 0-2h, 2-4h, 3-5h


def test_max_agents_bounds_the_plan() -> None:
    with pytest.raises(InfeasiblePlan, match="needs 5 agents .* more than the maximum of 4"):
        solve_shifts([1, 5, 1, 0], H, 4 * H, [H], H, max_agents=4)
    # 2h shifts starting at 0 and 2h never overlap: 3 on duty all along is feasible
    plan = solve_shifts([3, 3, 3, 3], H, 4 * H, [2 * H], 2 * H, max_agents=3)
    assert plan.agent_hours == 12
    # with 3h shifts the only starts are 0 and 1h: hours 0 and 3 force both, overlapping
    with pytest.raises(InfeasiblePlan, match="force overlaps"):
        solve_shifts([3, 3, 3, 3], H, 4 * H, [3 * H], H, max_agents=5)


def test_bad_lengths_and_steps() -> None:
    with pytest.raises(ValueError, match="at most the scenario's 7200s, got 14400s"):
        solve_shifts([1, 1], H, 2 * H, [4 * H], H)
    with pytest.raises(ValueError, match="start step must be > 0"):
        solve_shifts([1, 1], H, 2 * H, [H], 0.0)


def test_segments_are_the_on_duty_stretches() -> None:
    plan = (ShiftSpec(0.0, 2 * H, 2), ShiftSpec(H, 2 * H, 3), ShiftSpec(3 * H, H, 3))
    assert segments(plan, 4 * H) == [(0.0, H, 2), (H, 2 * H, 5), (2 * H, 4 * H, 3)]
    assert segments((), H) == [(0.0, H, 0)]
