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
from reports.runfolder import RunData
from reports.stats import ratio


def agent_scorecard(run: RunData, out: Outcomes, verdict: Correctness) -> list[dict[str, Any]]:
    """One row per named agent, sorted by name; empty when no action names an agent."""
    acts = run.actions
    names = acts.agent.names
    n_agents = len(names)
    if n_agents == 0:
        return []
    matched = acts.event >= 0
    pairs = np.unique(
        acts.agent.codes[matched].astype(np.int64) * max(len(run.events), 1) + acts.event[matched]
    )
    cases = np.bincount(pairs // max(len(run.events), 1), minlength=n_agents)
    rows = []
    for code, name in enumerate(names):
        if not name:
            continue
        mine_first = out.responder == code
        owned = out.handler == code
        fr = out.first_response_s[mine_first]
        rows.append(
            {
                "agent": name,
                "cases": int(cases[code]),
                "responses": int(mine_first.sum()),
                "median_first_response_s": round(float(np.median(fr)), 3) if fr.size else None,
                "owned": int(owned.sum()),
                "escalation_accuracy": ratio(
                    int((verdict.correct & owned).sum()), int(owned.sum())
                ),
                "critical_handled": int((verdict.critical & owned).sum()),
                "critical_misses": int((verdict.critical & ~verdict.reached & owned).sum()),
            }
        )
    return sorted(rows, key=lambda r: r["agent"])
