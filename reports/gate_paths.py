"""Which results.json paths a gate may name, checked before a drill sends any load.

``KNOWN`` mirrors docs/results.md: a key maps to its sub-tree, ``LEAF`` to a number, ``ANY``
to a sub-tree that is not checked further (storm, staffing, sentiment details), and ``EACH``
to a map whose keys depend on the storm (routes, priorities, channels, status codes). A gate
through ``EACH`` naming a key this storm does not have (``escalation.per_route.pr.recall``
when no post needed PR) is *not applicable*, not a bad gates file.

Percentile gates (``...p50``/``p90``/``p99`` beside a ``count``) carry their sample count: a
p99 of fewer than 100 samples is just the maximum, so such a gate is flagged ``few_samples``;
a gates file's ``min_samples N`` line makes percentile gates over fewer than N samples fail.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from simulator.errors import InputError

LEAF: dict[str, Any] = {}
ANY = "any"
EACH = "*"
SUMMARY = dict.fromkeys(("p50", "p90", "p99", "max", "mean", "count"), LEAF)
_GROUPED = {**SUMMARY, **{k: {EACH: SUMMARY} for k in ("by_priority", "by_channel",
                                                        "by_incident")}}
_SCORED = dict.fromkeys(("delivered", "not_delivered", "routing_expressed",
                         "routing_not_expressed", "critical_not_delivered",
                         "critical_routing_not_expressed", "deadline_met", "deadline_missed",
                         "open_at_end", "observed_until_s"), LEAF)

KNOWN: dict[str, Any] = {
    "scenario": {"duration_s": LEAF, "seed": LEAF},
    "counts": {**dict.fromkeys(("generated", "sent", "accepted", "failed", "unsent", "prevented",
                                "scripted", "reactions", "needed_response", "responded",
                                "unanswered", "open_at_end", "answered_unneeded", "actions",
                                "unmatched_actions", "rejected_callbacks", "throttled"), LEAF),
               "unsent_by_reason": {EACH: LEAF}, "scored": _SCORED},
    "replay": {**dict.fromkeys(("speed", "volume", "planned_peak_rate", "achieved_peak_rate",
                                "workers"), LEAF),
               "schedule_lag_ms": SUMMARY, "status_codes": {EACH: LEAF}, "stack_outbox": ANY,
               "returns": ANY},
    "latency": {"first_response_s": _GROUPED, "ingest_ms": SUMMARY, "ingest_service_ms": SUMMARY,
                "escalation_s": SUMMARY, "sla_by_priority": {EACH: LEAF},
                "ingest_over_time": {"bucket_s": LEAF}, "first_response_hist": ANY,
                **dict.fromkeys(("sla_attainment", "sla_due", "sla_met", "sla_open"), LEAF)},
    "escalation": {**dict.fromkeys(("accuracy", "route_accuracy", "tier_accuracy",
                                    "priority_accuracy", "macro_f1", "scored", "correct",
                                    "not_delivered", "route_not_expressed", "over_escalated",
                                    "under_escalated", "misrouted", "critical_support",
                                    "critical_recall", "critical_missed", "critical_unscored"),
                                   LEAF),
                   "per_route": {EACH: dict.fromkeys(("precision", "recall", "f1", "support",
                                                      "predicted"), LEAF)}},
    **dict.fromkeys(("storm", "staffing", "sentiment", "team", "debrief", "reactions",
                     "training", "slo", "reproduce"), ANY),
}
_PERCENTILE = re.compile(r"^(?P<base>.+)\.p(?P<q>\d+)$")


def walk(path: str) -> str:
    """``known``, ``each`` (through a storm-dependent key) or ``unknown: <hint>``."""
    node: Any = KNOWN
    through_each = False
    for part in path.split("."):
        if node is ANY:
            return "each" if through_each else "known"
        if not isinstance(node, dict) or not node:
            return "unknown: nothing below the number before it"
        if part in node:
            node = node[part]
        elif EACH in node:
            node, through_each = node[EACH], True
        else:
            close = difflib.get_close_matches(part, list(node), n=1)
            return f"unknown: {part!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    if isinstance(node, dict) and node:
        return "unknown: a section, not a number"
    return "each" if through_each else "known"


def check_metric_path(gate: Any) -> None:
    """InputError naming the gates file line when ``gate.metric`` is no results.json number."""
    for part in (p.strip() for p in gate.metric.split("/")):
        verdict = walk(part)
        if verdict.startswith("unknown"):
            where = f"{gate.source}: line {gate.line}" if gate.line else gate.source
            raise InputError(f"{where} metric {part} must be a number in results.json "
                             f"(docs/results.md), got an unknown path: "
                             f"{verdict.split(': ', 1)[1]}")


def storm_dependent(metric: str) -> bool:
    """True when the metric names a key that depends on the storm (a route, a priority...)."""
    return any(walk(p.strip()) == "each" for p in metric.split("/"))


def samples_needed(metric: str) -> int:
    """Samples a percentile needs to differ from the maximum (p99: 100); 0 for other metrics."""
    match = _PERCENTILE.match(metric.strip())
    if match is None or not 0 < int(match["q"]) < 100:
        return 0
    return -(-100 // (100 - int(match["q"])))


def sample_count(results: dict[str, Any], metric: str) -> int | None:
    """The ``count`` beside a percentile metric, None when there is none."""
    match = _PERCENTILE.match(metric.strip())
    if match is None:
        return None
    node: Any = results
    for part in match["base"].split("."):
        node = node.get(part) if isinstance(node, dict) else None
    count = node.get("count") if isinstance(node, dict) else None
    return int(count) if isinstance(count, int | float) else None
