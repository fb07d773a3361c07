"""Queue figures from a care-team run, defined exactly as in ``simulator.erlang``.

Every figure is over the visits that QUEUED at a tier in ``[start, end)`` and whose customer
needs an answer (noise triage only counts toward occupancy):

- ``p_wait``: share that did not start the moment they queued;
- ``asa_s``: mean time in queue, abandoners counted up to their abandonment, and visits still
  waiting at the run's end counted up to the end;
- ``service_level``: share an agent started on within ``within_s`` (abandoners are misses);
- ``abandon_rate``: share that abandoned;
- ``occupancy``: busy agent-seconds over rostered agent-seconds in the window (noise included).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from simulator.team import TeamRun

__all__ = ["TierFigures", "rostered_agents", "rostered_seconds", "tier_figures"]


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
        avail = rostered_seconds(run, k, start, stop)
        out.append(
            TierFigures(
                name=tier.name,
                arrivals=int(sel.sum()),
                p_wait=float(np.mean(wait > 0.0)) if n else 0.0,
                asa_s=float(wait.mean()) if n else 0.0,
                service_level=float(np.mean(started & (wait <= within_s))) if n else 1.0,
                abandon_rate=float(np.mean(~np.isnan(ab))) if n else 0.0,
                occupancy=min(1.0, busy / avail) if avail > 0 else 0.0,
            )
        )
    return out
