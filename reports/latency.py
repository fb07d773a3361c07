"""Response latency: first response per event, SLA attainment, ingest latency, escalation time.

First response is in scenario seconds (DESIGN.md section 6: wall time x speed); ingest
latency is real milliseconds from the replay's HdrHistograms (from the intended send
time, coordinated-omission safe), falling back to ``sends.npz`` when the histograms are
absent. SLA attainment is the share of delivered posts that needed an answer and got their
first one within their own ``respond_within_s``, over those whose deadline fell inside the run
(reports/scope.py): a post never answered counts as missed, one still within its deadline when
the run ended is open (``sla_open``), neither met nor missed.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.scope import Scope
from reports.stats import bucket_percentiles, grouped_summaries, ratio, summary

INGEST_POINTS = 120  # buckets over the replay for the ingest-over-time chart
HDR_KEYS = ("ingest_ms", "ingest_service_ms", "schedule_lag_ms")


def hdr_summary(encoded: str) -> dict[str, Any] | None:
    """Percentiles (ms) of one base64 HdrHistogram in microsecond units."""
    from hdrh.histogram import HdrHistogram

    try:
        hist = HdrHistogram.decode(encoded if isinstance(encoded, bytes) else encoded.encode())
    except (ValueError, TypeError, base64.binascii.Error):  # type: ignore[attr-defined]
        return None
    count = int(hist.get_total_count())
    if count == 0:
        return {"p50": None, "p90": None, "p99": None, "max": None, "mean": None, "count": 0}
    pct = {f"p{p}": hist.get_value_at_percentile(p) / 1000.0 for p in (50, 90, 99)}
    return {
        **pct,
        "max": hist.get_max_value() / 1000.0,
        "mean": round(hist.get_mean_value() / 1000.0, 6),
        "count": count,
    }


def ingest_latency(run: RunData) -> dict[str, Any]:
    """Ingest latency summaries, from the histograms or the per-event send arrays."""
    out: dict[str, Any] = {}
    hdr = (run.replay or {}).get("hdr") or {}
    for key in ("ingest_ms", "ingest_service_ms"):
        summary_ = hdr_summary(hdr[key]) if key in hdr else None
        if summary_ is None and run.sends is not None:
            column = "latency_ms" if key == "ingest_ms" else "service_ms"
            if column in run.sends:
                summary_ = summary(np.asarray(run.sends[column], dtype=np.float64))
        out[key] = summary_
    out["over_time"] = None
    if run.sends is not None and "intended_s" in run.sends and "latency_ms" in run.sends:
        intended = np.asarray(run.sends["intended_s"], dtype=np.float64)
        span = float(np.nanmax(intended)) if intended.size and np.isfinite(intended).any() else 0.0
        width = max(1.0, float(np.ceil(span / INGEST_POINTS)))
        out["over_time"] = bucket_percentiles(
            intended, np.asarray(run.sends["latency_ms"], dtype=np.float64), width, (50, 90, 99)
        )
        out["over_time"]["bucket_s"] = width
    return out


def response_latency(run: RunData, out: Outcomes, scope: Scope) -> dict[str, Any]:
    """First-response percentiles overall and by priority, channel, incident; SLA attainment."""
    ev = run.events
    need = ev.respond & scope.delivered
    fr = np.where(need, out.first_response_s, np.nan)
    first = summary(fr)
    first["by_priority"] = grouped_summaries(fr, ev.priority.codes, ev.priority.names)
    first["by_channel"] = grouped_summaries(fr, ev.channel.codes, ev.channel.names)
    first["by_incident"] = grouped_summaries(fr, ev.incident.codes, ev.incident.names)
    deadline = scope.met | scope.missed
    met = scope.met
    by_priority_sla = {}
    for code, name in enumerate(ev.priority.names):
        sel = deadline & (ev.priority.codes == code)
        if name and sel.any():
            by_priority_sla[name] = ratio(int((met & sel).sum()), int(sel.sum()))
    hist = _histogram(fr, ev.priority.codes, ev.priority.names)
    return {
        "first_response_s": first,
        "sla_attainment": ratio(int(met.sum()), int(deadline.sum())),
        "sla_by_priority": dict(sorted(by_priority_sla.items())),
        "sla_met": int(met.sum()),
        "sla_due": int(deadline.sum()),
        "sla_open": int(scope.open_at_end.sum()),
        "first_response_hist": hist,
        "escalation_s": summary(out.escalation_s),
    }


def _histogram(
    fr: np.ndarray, codes: np.ndarray, names: list[str], bins: int = 30
) -> dict[str, Any]:
    """Log-spaced histogram of first-response times per priority (for the report's chart)."""
    finite = fr[np.isfinite(fr)]
    if finite.size == 0:
        return {"edges": [], "counts": {}}
    lo = max(float(finite.min()), 1.0)
    hi = max(float(finite.max()), lo * 10)
    edges = np.geomspace(lo, hi, bins + 1)
    counts = {}
    for code, name in enumerate(names):
        sel = (codes == code) & np.isfinite(fr)
        if sel.any():
            counts[name or "none"] = np.histogram(np.clip(fr[sel], lo, hi), edges)[0].tolist()
    return {"edges": [round(float(e), 3) for e in edges], "counts": dict(sorted(counts.items()))}
