"""Per-agent scorecard, when the stack's actions name agents.

An agent's *cases* are the events it acted on at least once; its *responses* are the
events whose first reply or message it sent (median first response over those); its
escalation accuracy and critical misses are counted over the events it handled last
(the last action naming an agent), since that agent owned the final decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reports.escalation import Correctness
from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.stats import ratio


def _medians(groups: np.ndarray, values: np.ndarray, k: int) -> list[float | None]:
    """Median of ``values`` per group code 0..k-1 (None for an empty group), one sort."""
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    starts = np.searchsorted(groups, np.arange(k), side="left")
    ends = np.searchsorted(groups, np.arange(k), side="right")
    out: list[float | None] = []
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        if hi == lo:
            out.append(None)
        else:
            mid = (lo + hi - 1) / 2
            out.append(
                round(float((values[int(np.floor(mid))] + values[int(np.ceil(mid))]) / 2), 3)
            )
    return out


def agent_scorecard(run: RunData, out: Outcomes, verdict: Correctness) -> list[dict[str, Any]]:
    """One row per named agent, sorted by name; empty when no action names an agent."""
    acts = run.actions
    names = acts.agent.names
    k = len(names)
    if k == 0 or all(not name for name in names):
        return []
    n = max(len(run.events), 1)
    matched = acts.event >= 0
    pairs = np.unique(acts.agent.codes[matched].astype(np.int64) * n + acts.event[matched])
    cases = np.bincount(pairs // n, minlength=k)
    answered = out.responder >= 0
    responses = np.bincount(out.responder[answered], minlength=k)
    medians = _medians(out.responder[answered], out.first_response_s[answered], k)
    owned_mask = out.handler >= 0
    handler = out.handler[owned_mask]
    owned = np.bincount(handler, minlength=k)
    correct = np.bincount(handler[verdict.correct[owned_mask]], minlength=k)
    critical = np.bincount(handler[verdict.critical[owned_mask]], minlength=k)
    missed = np.bincount(handler[(verdict.critical & ~verdict.reached)[owned_mask]], minlength=k)
    rows = [
        {
            "agent": name,
            "cases": int(cases[code]),
            "responses": int(responses[code]),
            "median_first_response_s": medians[code],
            "owned": int(owned[code]),
            "escalation_accuracy": ratio(int(correct[code]), int(owned[code])),
            "critical_handled": int(critical[code]),
            "critical_misses": int(missed[code]),
        }
        for code, name in enumerate(names)
        if name
    ]
    return sorted(rows, key=lambda r: r["agent"])
