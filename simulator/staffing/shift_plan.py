"""The shift-plan optimiser: shifts (start, length, agents) covering a requirement at least cost.

Given one tier's required agents per interval, ``solve_shifts`` chooses how many agents start
a shift of each allowed length at each allowed start so that every interval has at least its
requirement on duty, at the least paid agent-hours. It is the classic shift-scheduling
integer program (Dantzig 1954)::

    minimise   sum_j  length_j * x_j            (paid agent-seconds)
    subject to sum_{j covers i} x_j >= r_i      for every interval i
               sum_{j on duty in s} x_j <= N    for every stretch s (only with max_agents)
               x_j >= 0, integer

solved by HiGHS (``highspy``) to proven optimality. Candidate shifts lie inside the
scenario: they start every ``step`` seconds from 0, plus one ending exactly at the end, for
each length. That loses nothing: a shift hanging over either end covers no more of the
scenario than the same shift moved inside it, at the same pay. A shift covers an interval
only when it is on duty for the whole interval (a conservative rule when starts fall inside
intervals).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_STEP_S",
    "ShiftPlan",
    "ShiftSpec",
    "candidate_shifts",
    "InfeasiblePlan",
    "covers",
    "default_lengths",
    "interval_bounds",
    "on_duty",
    "segments",
    "solve_shifts",
]

EPS = 1e-6  # seconds: shift and interval edges closer than this coincide
TIME_LIMIT_S = 30.0  # per solve; a plan stopped by it says so (``optimal`` False, its gap)
DEFAULT_LENGTHS_S = (4 * 3600.0, 6 * 3600.0, 8 * 3600.0)
DEFAULT_STEP_S = 1800.0


class InfeasiblePlan(ValueError):
    """No plan within ``max_agents`` covers the requirement (the message says where)."""


@dataclass(frozen=True)
class ShiftSpec:
    """``agents`` agents on duty from ``start_s`` for ``length_s`` seconds."""

    start_s: float
    length_s: float
    agents: int

    @property
    def end_s(self) -> float:
        return self.start_s + self.length_s


@dataclass(frozen=True)
class ShiftPlan:
    """One tier's optimal shifts and what the solver proved about them."""

    shifts: tuple[ShiftSpec, ...]
    agent_seconds: float
    optimal: bool
    mip_gap: float
    solve_s: float

    @property
    def agent_hours(self) -> float:
        return self.agent_seconds / 3600.0


def default_lengths(duration_s: float) -> tuple[float, ...]:
    """4h, 6h and 8h where they fit the scenario; else half of it and all of it."""
    fit = tuple(x for x in DEFAULT_LENGTHS_S if x <= duration_s)
    return fit or (duration_s / 2, duration_s)


def candidate_shifts(duration_s: float, lengths: Sequence[float], step_s: float) -> list[
    tuple[float, float]
]:
    """``(start, length)`` pairs: starts every ``step_s`` inside the scenario, plus a last one.

    Raises ValueError when a length is longer than the scenario or ``step_s`` is not > 0.
    """
    if step_s <= 0:
        raise ValueError(f"the start step must be > 0, got {step_s:g}s")
    out: list[tuple[float, float]] = []
    for length in sorted(set(lengths)):
        if length <= 0 or length > duration_s + EPS:
            raise ValueError(
                f"shift lengths must be > 0 and at most the scenario's {duration_s:g}s, "
                f"got {length:g}s"
            )
        last = duration_s - length
        starts = np.arange(0.0, last + EPS, step_s).tolist()
        if not starts or starts[-1] < last - EPS:
            starts.append(last)
        out += [(float(s), float(length)) for s in starts]
    return out


def interval_bounds(n_intervals: int, interval_s: float, duration_s: float) -> np.ndarray:
    """``(n, 2)`` array of interval ``[start, end)``, the last one cut at the scenario end."""
    starts = np.arange(n_intervals) * interval_s
    return np.stack([starts, np.minimum(starts + interval_s, duration_s)], axis=1)


def covers(shifts: Sequence[tuple[float, float]], bounds: np.ndarray) -> np.ndarray:
    """Boolean ``(intervals, shifts)``: the shift is on duty for the whole interval."""
    start = np.array([s for s, _ in shifts], dtype=float)
    end = start + np.array([length for _, length in shifts], dtype=float)
    return (start[None, :] <= bounds[:, :1] + EPS) & (end[None, :] >= bounds[:, 1:] - EPS)


def segments(plan: Sequence[ShiftSpec], duration_s: float) -> list[tuple[float, float, int]]:
    """The plan as consecutive ``(from, to, agents on duty)`` stretches covering the scenario.

    Neighbouring stretches with the same count are merged; this is the shape of a scenario's
    ``team.tiers[].shifts`` (no gaps, no overlaps).
    """
    edges = sorted({0.0, duration_s, *(s.start_s for s in plan), *(s.end_s for s in plan)})
    edges = [e for e in edges if -EPS <= e <= duration_s + EPS]
    out: list[tuple[float, float, int]] = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        if hi - lo <= EPS:
            continue
        mid = (lo + hi) / 2
        n = sum(s.agents for s in plan if s.start_s <= mid < s.end_s)
        if out and out[-1][2] == n:
            out[-1] = (out[-1][0], hi, n)
        else:
            out.append((lo, hi, n))
    return out


def on_duty(plan: Sequence[ShiftSpec], bounds: np.ndarray) -> np.ndarray:
    """Agents on duty for the whole of each interval (shifts covering it)."""
    if not plan:
        return np.zeros(len(bounds), dtype=np.int64)
    cov = covers([(s.start_s, s.length_s) for s in plan], bounds)
    return cov.astype(np.int64) @ np.array([s.agents for s in plan], dtype=np.int64)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner on C-level stdout once per process; keep it off ours."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def solve_shifts(
    required: Sequence[int],
    interval_s: float,
    duration_s: float,
    lengths: Sequence[float],
    step_s: float,
    max_agents: int | None = None,
) -> ShiftPlan:
    """The least paid agent-hours of shifts covering ``required`` (module docstring).

    Raises ValueError for lengths longer than the scenario or a bad step, and
    ``InfeasiblePlan`` when ``max_agents`` cannot hold the requirement.
    """
    import highspy

    req = np.asarray(required, dtype=float)
    bounds = interval_bounds(len(req), interval_s, duration_s)
    cands = candidate_shifts(duration_s, lengths, step_s)
    if max_agents is not None and req.size and req.max() > max_agents:
        i = int(req.argmax())
        raise InfeasiblePlan(f"needs {int(req[i])} agents in the interval from "
                             f"{bounds[i, 0]:g}s, more than the maximum of {max_agents}")
    if not req.any():
        return ShiftPlan((), 0.0, True, 0.0, 0.0)
    cov = covers(cands, bounds)
    rows = [cov]
    row_lower = [req]
    row_upper = [np.full(req.size, math.inf)]
    if max_agents is not None:
        edges = sorted({0.0, duration_s, *(s for s, _ in cands), *(s + n for s, n in cands)})
        mids = np.array([(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)])
        start = np.array([s for s, _ in cands])
        end = start + np.array([n for _, n in cands])
        rows.append((start[None, :] <= mids[:, None]) & (end[None, :] > mids[:, None]))
        row_lower.append(np.full(mids.size, -math.inf))
        row_upper.append(np.full(mids.size, float(max_agents)))
    matrix = np.vstack(rows).astype(float)
    with _quiet_stdout():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cands), matrix.shape[0]
    lp.col_cost_ = np.array([n / 3600.0 for _, n in cands])  # agent-hours: well scaled
    lp.col_lower_ = np.zeros(len(cands))
    lp.col_upper_ = np.full(len(cands), highspy.kHighsInf)
    lp.row_lower_ = np.nan_to_num(np.concatenate(row_lower), neginf=-highspy.kHighsInf)
    lp.row_upper_ = np.nan_to_num(np.concatenate(row_upper), posinf=highspy.kHighsInf)
    col_nz = [np.flatnonzero(matrix[:, j]) for j in range(len(cands))]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([c.size for c in col_nz])]).astype(
        np.int32)
    lp.a_matrix_.index_ = np.concatenate(col_nz).astype(np.int32)
    lp.a_matrix_.value_ = np.ones(int(lp.a_matrix_.start_[-1]))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(cands)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasiblePlan(f"no plan keeps at most {max_agents} agents on duty: "
                             "the shift lengths force overlaps")
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    if status != highspy.HighsModelStatus.kOptimal and (
        values.size != len(cands) or info.primal_solution_status != 2
    ):
        raise RuntimeError(f"HiGHS found no plan: {h.modelStatusToString(status)}")
    counts = np.rint(values).astype(np.int64)
    shifts = tuple(sorted(
        (ShiftSpec(s, n, int(c)) for (s, n), c in zip(cands, counts, strict=True) if c > 0),
        key=lambda x: (x.start_s, x.length_s),
    ))
    return ShiftPlan(
        shifts=shifts,
        agent_seconds=float(sum(s.length_s * s.agents for s in shifts)),
        optimal=status == highspy.HighsModelStatus.kOptimal,
        mip_gap=float(info.mip_gap) if math.isfinite(info.mip_gap) else 0.0,
        solve_s=float(h.getRunTime()),
    )
