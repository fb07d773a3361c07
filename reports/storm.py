"""The storm itself: posts over time by intent, incident and wave markers, the mix.

Bins are the narrowest of ``BIN_WIDTHS`` that keeps at most ``TARGET_BINS`` bins
(5 s for a three-minute smoke storm, 2 min for a three-hour crisis). Burstiness is
``(sigma - mean) / (sigma + mean)`` of the gaps between consecutive events (0 for a
Poisson stream, towards 1 for bursts).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reports.run_data import RunData
from reports.sections import Storm
from simulator.runfolder import Categorical

TARGET_BINS = 120  # at most this many bins over the scenario
BIN_WIDTHS = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)


def _mix(cat: Categorical) -> dict[str, int]:
    counts = (
        np.bincount(cat.codes, minlength=len(cat.names))
        if len(cat.codes)
        else np.zeros(len(cat.names), dtype=int)
    )
    return dict(
        sorted(((n or "none"), int(c)) for n, c in zip(cat.names, counts, strict=True) if c)
    )


def _markers(scenario: Any) -> list[dict[str, Any]]:
    out = []
    for inc in getattr(scenario, "incidents", ()) or ():
        trigger = getattr(inc, "trigger", None)
        out.append(
            {
                "kind": "incident",
                "id": inc.id,
                "at_s": float(inc.at),
                "topic": getattr(inc, "topic", ""),
                "for_s": float(getattr(trigger, "for_", 0.0) or 0.0),
            }
        )
        for wave in getattr(inc, "waves", ()) or ():
            out.append(
                {
                    "kind": "wave",
                    "id": inc.id,
                    "at_s": float(wave.at),
                    "topic": getattr(wave, "source", "wave"),
                    "for_s": float(getattr(wave, "for_", 0.0) or 0.0),
                }
            )
    return sorted(out, key=lambda m: m["at_s"])


def storm_metrics(run: RunData, scenario: Any, interval_s: float) -> Storm:
    """The ``storm`` section: per-bin counts by intent, markers, mix and burstiness."""
    ev = run.events
    duration = float(getattr(scenario, "duration", 0.0) or (ev.t.max() if len(ev) else 60.0))
    width = next((w for w in BIN_WIDTHS if duration / w <= TARGET_BINS), BIN_WIDTHS[-1])
    n_bins = max(1, math.ceil(duration / width))
    bins = np.clip((ev.t // width).astype(np.int64), 0, n_bins - 1)
    by_intent = {}
    for code, name in enumerate(ev.intent.names):
        sel = ev.intent.codes == code
        if sel.any():
            by_intent[name or "unlabelled"] = np.bincount(bins[sel], minlength=n_bins).tolist()
    times = np.sort(ev.t)  # reaction posts follow the scripted ones in events.jsonl
    gaps = np.diff(times) if len(times) > 2 else np.array([])
    burst = None
    if gaps.size and (gaps.std() + gaps.mean()) > 0:
        burst = round(float((gaps.std() - gaps.mean()) / (gaps.std() + gaps.mean())), 4)
    totals = np.bincount(bins, minlength=n_bins)
    return Storm.model_validate({
        "bin_s": width,
        "per_bin_by_intent": dict(sorted(by_intent.items())),
        "peak_per_min": round(float(totals.max()) * 60.0 / width, 3) if len(ev) else 0.0,
        "peak_at_s": float(np.argmax(totals) * width) if len(ev) else None,
        "markers": _markers(scenario),
        "intents": _mix(ev.intent),
        "channels": _mix(ev.channel),
        "incidents": _mix(ev.incident),
        "burstiness": burst,
    })
