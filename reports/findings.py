"""Findings: the run's problems as plain sentences, worst first (the report's verdict line).

Severity order: critical posts missed, failed gates, staffing shortfall, posts left
unanswered, SLA misses, replay problems. Each finding is ``{severity, text}``; an
empty list means nothing worth flagging.
"""

from __future__ import annotations

from typing import Any

from reports.format import duration, percent

BACKLOG_SHARE = 0.25  # open posts above this share of those with a deadline: a backlog

# Why posts were not sent (counts.unsent_by_reason, reports/scope.py), as the report says it.
UNSENT_REASONS = {
    "interrupted": "the run was interrupted (Ctrl-C)",
    "terminated": "the run was terminated (SIGTERM)",
    "ended-by-facilitator": "the facilitator ended the drill",
    "worker-lost": "a load worker was lost",
    "load-generator-behind": "the load generator fell behind",
}


def findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Sentences about what went wrong, most severe first."""
    out: list[tuple[int, str]] = []
    esc = results.get("escalation") or {}
    counts = results.get("counts") or {}
    latency = results.get("latency") or {}
    staffing = results.get("staffing") or {}
    replay = results.get("replay") or {}
    scored = counts.get("scored") or {}
    missed = esc.get("critical_missed") or 0
    if missed:
        first = (esc.get("critical_misses") or [{}])[0]
        where = first.get("decided", {}).get("route", "?")
        out.append(
            (
                100,
                f"{missed} of {esc.get('critical_support')} critical (p1) posts never reached "
                f"their escalation path (scored: delivered, route expressed); the first, a "
                f"{first.get('intent', '?').replace('_', ' ')} post, ended in '{where}'.",
            )
        )
    out.extend(_scope_findings(scored))
    for gate in results.get("gates") or []:
        if not gate.get("passed"):
            out.append(
                (
                    90,
                    f"Gate {gate['name']} failed: {gate['metric']} was {_num(gate.get('value'))}, "
                    f"needed {gate['op']} {_num(gate['threshold'])}.",
                )
            )
    windows = staffing.get("shortfall_windows") or []
    if windows:
        worst = max(windows, key=lambda w: (w["needed"] - w["had"], w["end_s"] - w["start_s"]))
        out.append(
            (
                80,
                f"Understaffed for {staffing.get('shortfall_agent_hours', 0):g} agent-hours; "
                f"worst: {worst['text']}.",
            )
        )
    unanswered = counts.get("unanswered") or 0
    if unanswered:
        out.append(
            (
                70,
                f"{unanswered:,} of {counts.get('needed_response', 0):,} posts that needed an "
                "answer never got one.",
            )
        )
    sla = latency.get("sla_attainment")
    if sla is not None and sla < 0.95:
        p90 = (latency.get("first_response_s") or {}).get("p90")
        out.append(
            (
                60,
                f"Only {percent(sla)} of posts were answered within their deadline "
                f"(first response p90 {duration(p90)}).",
            )
        )
    if counts.get("failed"):
        out.append(
            (
                50,
                f"{counts['failed']:,} of {counts.get('generated', 0):,} posts "
                "failed to reach the stack.",
            )
        )
    if replay.get("partial"):
        out.append(
            (
                95,
                f"The run stopped early ({replay.get('stopped_reason') or 'partial'}): "
                "results cover "
                "only what was sent.",
            )
        )
    by_reason = counts.get("unsent_by_reason") or {}
    if counts.get("unsent") and not by_reason:
        by_reason = {"load-generator-behind": counts["unsent"]}
    for reason, n in by_reason.items():
        why = UNSENT_REASONS.get(reason, reason)
        out.append((45, f"{n:,} posts were never sent ({why}); the team is not scored on them."))
    out.sort(key=lambda item: -item[0])
    return [{"severity": s, "text": t} for s, t in out]


def _scope_findings(scored: dict[str, Any]) -> list[tuple[int, str]]:
    """Posts delivered but not scored: no route expressed, or still open at the end."""
    out: list[tuple[int, str]] = []
    delivered = scored.get("delivered") or 0
    not_expressed = scored.get("routing_not_expressed") or 0
    if delivered and not scored.get("routing_expressed"):
        out.append((75, f"The stack expressed no route for any of the {delivered:,} delivered "
                        "posts (no triage or escalate actions): escalation is not scored."))
    elif scored.get("critical_routing_not_expressed"):
        out.append((85, f"{scored['critical_routing_not_expressed']:,} delivered critical (p1) "
                        "posts got no routing decision from the stack."))
    elif not_expressed:
        out.append((40, f"{not_expressed:,} of {delivered:,} delivered posts got no routing "
                        "decision from the stack; escalation is scored on the others."))
    open_posts = scored.get("open_at_end") or 0
    due = open_posts + (scored.get("deadline_met") or 0) + (scored.get("deadline_missed") or 0)
    if open_posts:
        backlog = open_posts > BACKLOG_SHARE * due
        out.append((65 if backlog else 30,
                    f"{open_posts:,} of {due:,} delivered posts with a deadline were still "
                    "unanswered but within their deadline when the run ended: open, neither "
                    "met nor missed" + (" (a backlog the team left behind)." if backlog
                                        else ".")))
    return out


def _num(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
