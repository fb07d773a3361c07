"""Findings: the run's problems as plain sentences, worst first (the report's verdict line).

Severity order: critical posts missed, failed gates, staffing shortfall, posts left
unanswered, SLA misses, replay problems. Each finding is ``{severity, text}``; an
empty list means nothing worth flagging.
"""

from __future__ import annotations

from typing import Any

from reports.format import duration, percent


def findings(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Sentences about what went wrong, most severe first."""
    out: list[tuple[int, str]] = []
    esc = results.get("escalation") or {}
    counts = results.get("counts") or {}
    latency = results.get("latency") or {}
    staffing = results.get("staffing") or {}
    replay = results.get("replay") or {}
    missed = esc.get("critical_missed") or 0
    if missed:
        first = (esc.get("critical_misses") or [{}])[0]
        where = first.get("decided", {}).get("route", "?")
        out.append(
            (
                100,
                f"{missed} of {esc.get('critical_support')} critical (p1) posts never reached "
                f"their escalation path; the first, a {first.get('intent', '?').replace('_', ' ')} "
                f"post, ended in '{where}'.",
            )
        )
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
    if counts.get("unsent"):
        out.append(
            (45, f"{counts['unsent']:,} posts were never sent (the load generator fell behind).")
        )
    out.sort(key=lambda item: -item[0])
    return [{"severity": s, "text": t} for s, t in out]


def _num(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
