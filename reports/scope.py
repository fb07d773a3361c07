"""What the team is scored on: delivered posts, deadlines inside the run, routes it expressed.

A run cut short (Ctrl-C, SIGTERM, the facilitator's End, a load generator that fell behind)
must not blame the team for posts it never saw, nor for deadlines that had not come yet:
- *delivered*: the stack accepted the post (``sends.npz`` status 2xx; in simulate, all).
- *observed until*: the scenario second up to which the harness listened for the stack's
  actions (``replay.json`` ``observed_until_s``; simulate and older run folders: no limit).
- a delivered post that needed an answer within ``respond_within_s`` is *met* when its first
  answer came by its deadline, *missed* when it did not and its deadline fell inside the run,
  and *open at the end* when it is unanswered and its deadline came after the run ended:
  neither met nor missed.
- routing is scored on delivered posts whose route the stack expressed (a triage, escalate or
  ignore action naming one); a stack that only replies is not scored as routing to ``none``.
- unsent posts are counted by reason: those whose send time came after the run was stopped
  carry the stop's reason (``interrupted``, ``terminated``, ``ended-by-facilitator``,
  ``worker-lost``); those due before it were not sent because the load generator fell behind.
  A future ``prevented`` count (posts the storm's reactions cancelled) sits beside these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData

FELL_BEHIND = "load-generator-behind"


@dataclass(frozen=True)
class Scope:
    """Per-event masks of what is scored (arrays aligned with the events)."""

    delivered: np.ndarray
    observed_until_s: float  # math.inf when the run was observed to the end of every deadline
    deadline: np.ndarray  # delivered, needed an answer, has a deadline
    met: np.ndarray
    missed: np.ndarray
    open_at_end: np.ndarray
    routed: np.ndarray  # delivered and the stack expressed a route


def observed_until_s(run: RunData) -> float:
    """Scenario seconds the harness listened for actions; inf when not recorded."""
    value = (run.replay or {}).get("observed_until_s")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.inf


def scope_of(run: RunData, out: Outcomes) -> Scope:
    """Which delivered posts count as met, missed, open at the end, and routed."""
    ev = run.events
    delivered = np.asarray(out.delivered, dtype=bool)
    until = observed_until_s(run)
    deadline = delivered & ev.respond & np.isfinite(ev.respond_within_s)
    due_at = ev.t + np.where(np.isfinite(ev.respond_within_s), ev.respond_within_s, 0.0)
    met = deadline & (out.first_response_s <= ev.respond_within_s)
    open_at_end = deadline & ~met & (due_at > until)
    missed = deadline & ~met & ~open_at_end
    routed = delivered & np.asarray(out.route_stated, dtype=bool)
    return Scope(delivered, until, deadline, met, missed, open_at_end, routed)


def unsent_by_reason(run: RunData) -> dict[str, int]:
    """Unsent posts counted by why they were not sent (empty when every post was sent)."""
    sends = run.sends
    replay = run.replay or {}
    if sends is None or "status" not in sends:
        return {}
    unsent = np.asarray(sends["status"]) == 0
    if not unsent.any():
        return {}
    reason = replay.get("stopped_reason")
    stopped_at = replay.get("stopped_at_s")
    if reason is None:
        return {FELL_BEHIND: int(unsent.sum())}
    if not isinstance(stopped_at, int | float) or "intended_s" not in sends:
        return {str(reason): int(unsent.sum())}
    intended = np.asarray(sends["intended_s"], dtype=np.float64)
    behind = int((unsent & (intended < stopped_at)).sum())
    out = {str(reason): int(unsent.sum()) - behind}
    if behind:
        out[FELL_BEHIND] = behind
    return {k: v for k, v in out.items() if v}


def scope_counts(scope: Scope, run: RunData) -> dict[str, Any]:
    """The ``counts.scored`` block: what the team was and was not scored on."""
    ev = run.events
    critical = np.asarray(ev.priority.values() == "p1", dtype=bool) if len(ev) else \
        np.zeros(0, dtype=bool)
    return {
        "delivered": int(scope.delivered.sum()),
        "not_delivered": int((~scope.delivered).sum()),
        "routing_expressed": int(scope.routed.sum()),
        "routing_not_expressed": int((scope.delivered & ~scope.routed).sum()),
        "critical_not_delivered": int((critical & ~scope.delivered).sum()),
        "critical_routing_not_expressed": int((critical & scope.delivered & ~scope.routed)
                                              .sum()),
        "deadline_met": int(scope.met.sum()),
        "deadline_missed": int(scope.missed.sum()),
        "open_at_end": int(scope.open_at_end.sum()),
        "observed_until_s": None if math.isinf(scope.observed_until_s)
        else round(scope.observed_until_s, 3),
    }
