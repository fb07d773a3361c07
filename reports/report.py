"""Render report.html from computed results: jinja2 (autoescape on) plus inline SVG charts.

Collect, then render: this module only formats ``results`` (and never reads the clock;
``generated_at`` comes in). Every string from the run (post texts, agent names, ids) is
escaped by jinja2's autoescape; only the SVG produced by ``charts`` is marked safe,
and matplotlib escapes the text it puts inside it.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from typing import Any

from reports import charts
from reports.debrief_chart import debrief_chart
from reports.format import FILTERS
from reports.reaction_chart import reaction_chart

TEMPLATE = "report.html.j2"
MAX_MISSES_SHOWN = 500  # every miss is in results.json; the page lists this many
UNANSWERED_BAD = 0.1  # the first-response card turns red above this share never answered
SLA_GOOD = 0.9  # the deadline card is green at or above this share


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _charts(results: dict[str, Any]) -> dict[str, Any]:
    from markupsafe import Markup

    latency = results["latency"]
    esc = results["escalation"]
    replay = results.get("replay") or {}
    svgs = {
        "storm": charts.storm_chart(results.get("storm") or {}),
        "ingest": charts.ingest_chart(latency.get("ingest_over_time")),
        "first_response": charts.first_response_chart(latency.get("first_response_hist") or {}),
        "confusion": charts.confusion_chart(esc.get("labels") or [], esc.get("confusion") or []),
        "staffing": charts.staffing_chart((results.get("staffing") or {}).get("tiers") or []),
        "replay": charts.replay_chart(replay.get("per_second") or {}),
        "sentiment": charts.sentiment_chart(
            (results.get("sentiment") or {}).get("over_time") or {}
        ),
        "debrief": debrief_chart(results.get("debrief")),
        "reactions": reaction_chart(results.get("reactions")),
    }
    return {k: Markup(v) for k, v in svgs.items()}  # noqa: S704 - matplotlib output, text escaped


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The verdict's three numbers: first response p90, escalation accuracy, SLA attainment."""
    from reports.format import duration, percent

    gates = {g["name"]: g for g in results.get("gates") or []}
    fr = results["latency"]["first_response_s"]
    esc = results["escalation"]
    counts = results["counts"]
    latency = results["latency"]
    sla = latency.get("sla_attainment")
    need = counts.get("needed_response") or 0
    unanswered = counts.get("unanswered") or 0
    fr_ok = gates.get("first_response_p90", {}).get("passed")
    if need and unanswered / need > UNANSWERED_BAD:
        fr_ok = False  # a fast p90 over the few posts answered is no comfort
    esc_ok = [gates[k]["passed"] for k in ("escalation_accuracy", "critical_recall") if k in gates]
    return [
        {
            "label": "First response, p90 of posts answered",
            "value": duration(fr.get("p90")),
            "note": f"median {duration(fr.get('p50'))}; {unanswered:,} of {need:,} never answered",
            "ok": fr_ok,
        },
        {
            "label": "Escalation accuracy",
            "value": percent(esc.get("accuracy")),
            "note": f"critical recall {percent(esc.get('critical_recall'))}",
            "ok": all(esc_ok) if esc_ok else None,
        },
        {
            "label": "Answered within deadline",
            "value": percent(sla),
            "note": f"{latency.get('sla_met', 0):,} of {latency.get('sla_due', 0):,} posts",
            "ok": None if sla is None else sla >= SLA_GOOD,
        },
    ]


def render_html(results: dict[str, Any], generated_at: datetime) -> str:
    """The report as one self-contained HTML string."""
    env = _environment()
    esc = results["escalation"]
    misses = esc.get("critical_misses") or []
    command = results.get("reproduce", {}).get("command") or []
    speed = (results.get("replay") or {}).get("speed")
    return env.get_template(TEMPLATE).render(
        r=results,
        charts=_charts(results),
        headline=headline(results),
        findings=results.get("findings") or [],
        misses=misses[:MAX_MISSES_SHOWN],
        misses_hidden=max(0, len(misses) - MAX_MISSES_SHOWN),
        command=shlex.join(str(c) for c in command),
        speed=speed,
        generated_at=generated_at.isoformat(timespec="seconds"),
    )


def render_report(results: dict[str, Any], run_dir: Path, generated_at: datetime) -> Path:
    """Write ``run_dir/report.html``; returns its path."""
    path = Path(run_dir) / "report.html"
    path.write_text(render_html(results, generated_at), encoding="utf-8")
    return path
