"""Write a drill's raw recordings: ``replay.json`` and ``sends.npz`` (docs/architecture.md).
No gevent or Locust here: this module is safe to import anywhere.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulator.runfolder import append_lines, send_counts, write_json, write_sends

__all__ = ["write_recordings"]


def _per_second(values_s: np.ndarray, n_bins: int) -> list[int]:
    vals = values_s[~np.isnan(values_s)]
    secs = np.clip(np.floor(vals).astype(np.int64), 0, max(n_bins - 1, 0))
    return np.bincount(secs, minlength=n_bins).astype(int).tolist() if n_bins else []


def write_recordings(run_dir: Path, plan: Any, outcome: Any, profile: Any, *, speed: float,
                     volume: float, started_at: datetime, platform_stats: dict[str, Any],
                     platform_info: dict[str, Any],
                     stack_outbox: dict[str, Any] | None = None,
                     run_end: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write replay.json and sends.npz (and captures.jsonl when the profile captures and the
    platform endpoint did not already write them live).

    ``stack_outbox``: the embedded reference stack's delivery counters at the end (its
    ``/stats`` outbox), kept as ``replay.json`` ``stack_outbox`` when the drill started it.
    ``run_end``: how the run ended (``stopped_at_s`` wall seconds from the start, ``stop_signal``,
    ``observed_until_s`` scenario seconds, ``live``), merged into replay.json as is.
    """
    log = outcome.log
    intended = plan.offsets
    derived = log.derived_ms(intended)
    accept = list(profile.accept)
    sent_mask = ~np.isnan(log.actual_s)
    accepted_mask = np.isin(log.status, accept)
    n = len(plan)
    sent = int(sent_mask.sum())
    horizon = [intended.max() if n else 0.0, np.nanmax(log.actual_s) if sent else 0.0]
    n_bins = int(math.floor(max(horizon))) + 1 if n else 0
    codes = Counter(str(int(c)) for c in log.status[log.status > 0].tolist())
    codes.update(log.errors)
    failed_mask = sent_mask & ~accepted_mask
    returns = platform_stats.get("callbacks") or {}
    poll = platform_stats.get("poll") or {}
    nan = np.nan
    replay = {
        "speed": speed, "volume": volume,
        "target": {"profile": profile.name, "base_url": profile.redactor.text(profile.base_url)},
        "started_at": datetime.fromtimestamp(outcome.start_wall, started_at.tzinfo).isoformat(),
        "partial": bool(outcome.partial), "stopped_reason": outcome.stopped_reason,
        "counts": {**send_counts(log.status, log.actual_s, accept),
                   "unmatched_actions": int(platform_stats.get("unmatched", 0)),
                   "rejected_callbacks": int(platform_stats.get("rejected", 0)),
                   "unmapped_callbacks": int(returns.get("unmapped", 0)),
                   "poll_failures": int(poll.get("failed", 0)),
                   "throttled": int(log.throttled)},
        "status_codes": dict(sorted(codes.items())),
        "per_second": {"planned": _per_second(intended, n_bins),
                       "sent": _per_second(log.actual_s, n_bins),
                       "accepted": _per_second(np.where(accepted_mask, log.actual_s, nan), n_bins),
                       "failed": _per_second(np.where(failed_mask, log.actual_s, nan), n_bins)},
        "hdr": {name: h.encode().decode() for name, h in outcome.histograms.items()},
        "workers": outcome.workers,
        "in_flight_cap": {"per_process": outcome.max_in_flight, "waits": int(log.cap_waits)},
        "platform": {**platform_info,
                     "rejected_by_reason": platform_stats.get("rejected_by_reason", {}),
                     "actions": int(platform_stats.get("actions", 0)),
                     "duplicates": int(platform_stats.get("duplicates", 0))},
        "locust": outcome.locust_stats,
        "callbacks": returns,
        "poll": poll or None,
    }
    if stack_outbox is not None:
        replay["stack_outbox"] = stack_outbox
    replay.update(run_end or {})
    run_dir = Path(run_dir)
    write_json(run_dir / "replay.json", replay)
    write_sends(run_dir / "sends.npz", intended_s=intended, lag_ms=derived["lag_ms"],
                latency_ms=derived["latency_ms"], service_ms=derived["service_ms"],
                status=log.status)
    if outcome.captured and not platform_info.get("live_captures"):  # else written live
        append_lines(run_dir / "captures.jsonl",
                     ({"event_id": plan.ids[k], **fields} for k, fields in outcome.captured),
                     truncate=True)
    return replay

