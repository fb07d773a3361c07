"""Benchmark: the shift-plan optimiser against pyworkforce's MinRequiredResources.

A 24-hour requirement at 15-minute intervals for three tiers (Erlang C's agents for a
daily arrival curve with a two-hour storm on top: 80% started within 15 minutes), shifts of
4h, 6h and 8h starting every 30 minutes. Both solvers get exactly the same problem: the
same candidate shifts and coverage matrix (``simulator.staffing.shift_plan.candidate_shifts`` /
``covers``), the same costs (paid hours per shift) and no cap on agents on duty (pyworkforce
needs one: set far above the peak). Ours: HiGHS through ``highspy`` (one thread). Theirs:
OR-Tools CP-SAT inside ``pyworkforce.scheduling.MinRequiredResources`` (two search workers,
its default), with a time limit of ``THEIR_LIMIT_S``.

Prints per tier the wall seconds to solve, the paid agent-hours and the solver's status,
then the totals side by side with ratios. Ours must not be worse in agent-hours.
Run: ``.venv/bin/python bench/schedule.py`` (needs the ``bench`` extra: pyworkforce).
"""

from __future__ import annotations

import math
import time

import numpy as np

from simulator.staffing.erlang import erlang_c_required
from simulator.staffing.shift_plan import candidate_shifts, covers, interval_bounds, solve_shifts

H = 3600.0
INTERVAL_S = 900.0
DAY_S = 24 * H
LENGTHS_S = (4 * H, 6 * H, 8 * H)
STEP_S = 1800.0
THEIR_LIMIT_S = 120.0
WITHIN_S, TARGET = 900.0, 0.8
# (name, posts per hour at the daily peak, mean handle time s, storm posts per hour)
TIERS = (("frontline", 900.0, 240.0, 1800.0), ("specialists", 150.0, 720.0, 300.0),
         ("legal-security", 30.0, 1200.0, 90.0))


def requirement(peak_per_h: float, aht_s: float, storm_per_h: float) -> list[int]:
    """Erlang C agents per quarter hour: a day curve (low at 04:00, high at 16:00) + a storm."""
    t = (np.arange(int(DAY_S / INTERVAL_S)) + 0.5) * INTERVAL_S / H
    day = 0.15 + 0.85 * (0.5 - 0.5 * np.cos((t - 4.0) / 24.0 * 2 * math.pi))
    storm = np.where((t >= 11.0) & (t < 13.0), storm_per_h * np.exp(-(t - 11.0)), 0.0)
    rate = (peak_per_h * day + storm) / H
    return [erlang_c_required(float(r), aht_s, TARGET, WITHIN_S) for r in rate]


def theirs(req: list[int]) -> tuple[float, float, str]:
    """(seconds, paid agent-hours, status) from pyworkforce on the same candidate shifts."""
    from pyworkforce.scheduling import MinRequiredResources

    cands = candidate_shifts(DAY_S, LENGTHS_S, STEP_S)
    cov = covers(cands, interval_bounds(len(req), INTERVAL_S, DAY_S))
    names = [f"s{j}" for j in range(len(cands))]
    coverage = {name: cov[:, j].astype(int).tolist() for j, name in enumerate(names)}
    cost = {name: int(round(n / H)) for name, (_, n) in zip(names, cands, strict=True)}
    solver = MinRequiredResources(
        num_days=1, periods=len(req), shifts_coverage=coverage, required_resources=[req],
        max_period_concurrency=10 * max(req), max_shift_concurrency=max(req), cost_dict=cost,
        max_search_time=THEIR_LIMIT_S, num_search_workers=2)
    t0 = time.perf_counter()
    solution = solver.solve()
    seconds = time.perf_counter() - t0
    paid = sum(row["resources"] * cost[row["shift"]] for row in solution["resources_shifts"])
    covered = cov.astype(int) @ np.array([next(r["resources"] for r in solution[
        "resources_shifts"] if r["shift"] == name) for name in names])
    assert (covered >= np.array(req)).all(), "pyworkforce's plan leaves an interval short"
    return seconds, float(paid), str(solution["status"])


def ours(req: list[int]) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    plan = solve_shifts(req, INTERVAL_S, DAY_S, LENGTHS_S, STEP_S)
    seconds = time.perf_counter() - t0
    bounds = interval_bounds(len(req), INTERVAL_S, DAY_S)
    cands = [(s.start_s, s.length_s) for s in plan.shifts]
    covered = covers(cands, bounds).astype(int) @ np.array([s.agents for s in plan.shifts])
    assert (covered >= np.array(req)).all(), "our plan leaves an interval short"
    return seconds, plan.agent_hours, "OPTIMAL" if plan.optimal else f"gap {plan.mip_gap:.2%}"


def main() -> None:
    n_cands = len(candidate_shifts(DAY_S, LENGTHS_S, STEP_S))
    lengths = ", ".join(f"{x / H:g}h" for x in LENGTHS_S)
    print(f"24 h at {INTERVAL_S / 60:g}-minute intervals, shifts {lengths} every "
          f"{STEP_S / 60:g} min: {n_cands} candidate shifts per tier")
    head = f"{'tier':<16} {'peak':>5} {'req. agent-h':>12} | {'ours s':>8} {'ours agent-h':>12} " \
           f"{'status':>8} | {'pyworkforce s':>13} {'theirs agent-h':>14} {'status':>8}"
    print(head)
    tot = np.zeros(4)
    for name, peak, aht, storm in TIERS:
        req = requirement(peak, aht, storm)
        o_s, o_h, o_st = ours(req)
        t_s, t_h, t_st = theirs(req)
        tot += (o_s, o_h, t_s, t_h)
        print(f"{name:<16} {max(req):>5} {sum(req) / 4:>12g} | {o_s:>8.3f} {o_h:>12g} "
              f"{o_st:>8} | {t_s:>13.3f} {t_h:>14g} {t_st:>8}")
    print(f"{'total':<16} {'':>5} {'':>12} | {tot[0]:>8.3f} {tot[1]:>12g} {'':>8} | "
          f"{tot[2]:>13.3f} {tot[3]:>14g}")
    print(f"ours / pyworkforce: time {tot[0] / tot[2]:.3f}x, paid agent-hours "
          f"{tot[1] / tot[3]:.4f}x ({'not worse' if tot[1] <= tot[3] + 1e-9 else 'WORSE'})")


if __name__ == "__main__":
    main()
