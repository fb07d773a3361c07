"""Escalation correctness: the stack's final (route, tier, priority) against the ground truth.

Scored over the delivered events whose route the stack expressed (reports/scope.py): a post
the stack never received, or one it answered without stating a route, is counted
(``not_delivered``, ``route_not_expressed``) but not scored. An event is *correct* when the
decided route equals the expected route and, unless the expected route is ``none``,
the tier and priority match too. Over-/under-escalation compare tiers (``none`` is
tier 0). A *critical* post has the expected priority ``p1``; it is *reached* when its
final route is the expected one at the expected tier or above. Every critical miss is
listed with its text (raw here; the report escapes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.scope import Scope
from reports.sections import Escalation
from reports.stats import ratio
from simulator.runfolder import NO_ROUTE

CRITICAL_PRIORITY = "p1"


def _per_route(confusion: np.ndarray, labels: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for i, name in enumerate(labels):
        tp = int(confusion[i, i])
        predicted = int(confusion[:, i].sum())
        support = int(confusion[i, :].sum())
        if predicted == 0 and support == 0:
            continue
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {
            "precision": round(precision, 6),
            "recall": round(recall, 6),
            "f1": round(f1, 6),
            "support": support,
            "predicted": predicted,
        }
    return out


@dataclass(frozen=True)
class Correctness:
    """Per-event verdicts shared by the escalation section and the agent scorecard."""

    route_ok: np.ndarray
    tier_ok: np.ndarray
    prio_ok: np.ndarray
    correct: np.ndarray
    critical: np.ndarray
    reached: np.ndarray
    expected_tier: np.ndarray
    decided_tier: np.ndarray
    none_code: int


def correctness(run: RunData, out: Outcomes) -> Correctness:
    """Compare every event's decision with its expected handling."""
    ev = run.events
    n = len(ev)
    exp_r, dec_r = out.expected_route, out.decided_route
    none_code = out.route_labels.index(NO_ROUTE)
    exp_tier = np.where(exp_r == none_code, 0, ev.tier).astype(np.int16)
    dec_tier = np.where(dec_r == none_code, 0, out.decided_tier).astype(np.int16)
    exp_prio = (
        np.asarray(ev.priority.names, dtype=object)[ev.priority.codes]
        if n
        else np.array([], dtype=object)
    )
    route_ok = exp_r == dec_r
    tier_ok = exp_tier == dec_tier
    prio_ok = exp_prio == out.decided_priority
    correct = route_ok & ((exp_r == none_code) | (tier_ok & prio_ok))
    critical = exp_prio == CRITICAL_PRIORITY
    reached = critical & route_ok & (dec_tier >= exp_tier)
    return Correctness(
        route_ok, tier_ok, prio_ok, correct, critical, reached, exp_tier, dec_tier, none_code
    )


def escalation_metrics(run: RunData, out: Outcomes, verdict: Correctness,
                       scope: Scope) -> Escalation:
    """Accuracy, confusion matrix, per-route scores, over/under-escalation, critical recall."""
    labels = out.route_labels
    k = len(labels)
    sel = scope.routed
    n = int(sel.sum())
    exp_r, dec_r = out.expected_route[sel], out.decided_route[sel]
    confusion = np.bincount(exp_r * k + dec_r, minlength=k * k).reshape(k, k)
    route_ok, tier_ok, prio_ok, correct = (
        verdict.route_ok[sel],
        verdict.tier_ok[sel],
        verdict.prio_ok[sel],
        verdict.correct[sel],
    )
    exp_tier, dec_tier = verdict.expected_tier[sel], verdict.decided_tier[sel]
    none_code = verdict.none_code
    critical, reached = verdict.critical[sel], verdict.reached[sel]
    all_critical = int(verdict.critical.sum())
    per_route = _per_route(confusion, labels)
    scored = [v["f1"] for v in per_route.values() if v["support"] > 0]
    missed = np.flatnonzero(sel)[np.flatnonzero(critical & ~reached)]
    return Escalation.model_validate({
        "accuracy": ratio(int(correct.sum()), n),
        "route_accuracy": ratio(int(route_ok.sum()), n),
        "tier_accuracy": ratio(int(tier_ok.sum()), n),
        "priority_accuracy": ratio(int((prio_ok | (exp_r == none_code) & route_ok).sum()), n),
        "macro_f1": round(float(np.mean(scored)), 6) if scored else None,
        "scored": n,
        "not_delivered": int((~scope.delivered).sum()),
        "route_not_expressed": int((scope.delivered & ~sel).sum()),
        "correct": int(correct.sum()),
        "over_escalated": int((dec_tier > exp_tier).sum()),
        "under_escalated": int((dec_tier < exp_tier).sum()),
        "misrouted": int((~route_ok).sum()),
        "critical_support": int(critical.sum()),
        "critical_recall": ratio(int(reached.sum()), int(critical.sum()))
        if critical.any()
        else (1.0 if all_critical == 0 else None),  # None: critical posts, none scored
        "critical_unscored": all_critical - int(critical.sum()),
        "critical_missed": int(missed.size),
        "critical_misses": [_miss(run, out, int(i), labels) for i in missed],
        "labels": labels,
        "confusion": confusion.tolist(),
        "per_route": per_route,
    })


def _miss(run: RunData, out: Outcomes, i: int, labels: list[str]) -> dict[str, Any]:
    ev = run.events
    fr = out.first_response_s[i]
    decided = labels[out.decided_route[i]]
    return {
        "id": ev.ids[i],
        "t": float(ev.t[i]),
        "channel": ev.channel.names[ev.channel.codes[i]],
        "intent": ev.intent.names[ev.intent.codes[i]],
        "incident": ev.incident.names[ev.incident.codes[i]] or None,
        "text": ev.text[i] or "",
        "expected": {"route": labels[out.expected_route[i]], "tier": int(ev.tier[i])},
        "decided": {
            "route": decided,
            "tier": 0 if decided == NO_ROUTE else int(out.decided_tier[i]),
            "priority": out.decided_priority[i] or None,
        },
        "delivered": bool(out.delivered[i]),
        "first_response_s": None if not np.isfinite(fr) else round(float(fr), 3),
    }
