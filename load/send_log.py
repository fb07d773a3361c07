"""What happened to each send: per-event arrays, HdrHistograms and the accounting.

The hot path only writes into preallocated numpy arrays (actual send and completion
times, status); histograms are built from the arrays once, at the end. Three
HdrHistograms, all in microseconds: ingest latency from the *intended* send time (the
headline, safe from coordinated omission), from the *actual* send (the stack's own
service time), and the schedule lag (actual minus intended). ``encode()``/``merge_encoded``
combine workers' histograms losslessly.

Status codes: > 0 the HTTP status, 0 never sent, -1 connection or protocol error (its
exception name is counted in ``errors``), -2 aborted at the end of the run while in flight,
-3 prevented: the team's answer cancelled it before it was due (reactions), never sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from simulator.runfolder import ABORTED as STATUS_ABORTED
from simulator.runfolder import CONNECTION_ERROR as STATUS_ERROR
from simulator.runfolder import PREVENTED as STATUS_PREVENTED

__all__ = ["HDR_NAMES", "STATUS_ABORTED", "STATUS_ERROR", "STATUS_PREVENTED", "SendLog",
           "build_histograms", "histogram_summary", "merge_encoded"]

HDR_LOWEST_US = 1
HDR_HIGHEST_US = 24 * 3600 * 1_000_000
HDR_DIGITS = 3
SUB_BUCKET_HALF_MAGNITUDE = 10  # 3 significant digits: 2048 sub-buckets, half is 2**10
HDR_NAMES = ("ingest_ms", "ingest_service_ms", "schedule_lag_ms")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(HDR_LOWEST_US, HDR_HIGHEST_US, HDR_DIGITS)


@dataclass
class SendLog:
    """Per-event outcomes for ``n`` sends, times in seconds from the run's start."""

    n: int
    actual_s: np.ndarray = field(init=False)
    done_s: np.ndarray = field(init=False)
    status: np.ndarray = field(init=False)
    errors: Counter[str] = field(default_factory=Counter)
    cap_waits: int = 0  # sends that had to wait for the in-flight cap
    throttled: int = 0  # answers that were 429, or refused with a Retry-After header

    def __post_init__(self) -> None:
        self.actual_s = np.full(self.n, np.nan)
        self.done_s = np.full(self.n, np.nan)
        self.status = np.zeros(self.n, dtype=np.int32)

    def extend(self, m: int) -> None:
        """Room for ``m`` more events (posts added by reactions), unsent until recorded."""
        if m <= 0:
            return
        self.n += m
        self.actual_s = np.concatenate([self.actual_s, np.full(m, np.nan)])
        self.done_s = np.concatenate([self.done_s, np.full(m, np.nan)])
        self.status = np.concatenate([self.status, np.zeros(m, dtype=np.int32)])

    def derived_ms(self, intended_s: np.ndarray) -> dict[str, np.ndarray]:
        """lag (actual - intended), latency (done - intended), service (done - actual), in ms.

        NaN where it does not apply: lag for unsent, latency and service unless an HTTP
        answer came back.
        """
        answered = self.status > 0
        lag = (self.actual_s - intended_s) * 1000.0
        latency = np.where(answered, (self.done_s - intended_s) * 1000.0, np.nan)
        service = np.where(answered, (self.done_s - self.actual_s) * 1000.0, np.nan)
        return {"lag_ms": lag, "latency_ms": latency, "service_ms": service}

    def to_wire(self) -> dict[str, Any]:
        return {"actual_s": self.actual_s.tobytes(), "done_s": self.done_s.tobytes(),
                "status": self.status.tobytes(), "errors": dict(self.errors),
                "cap_waits": self.cap_waits, "throttled": self.throttled}

    def absorb(self, positions: np.ndarray, wire: dict[str, Any]) -> None:
        """Place a worker's outcomes (for its global ``positions``) into this log."""
        self.actual_s[positions] = np.frombuffer(wire["actual_s"], dtype=np.float64)
        self.done_s[positions] = np.frombuffer(wire["done_s"], dtype=np.float64)
        self.status[positions] = np.frombuffer(wire["status"], dtype=np.int32)
        self.errors.update(wire["errors"])
        self.cap_waits += int(wire.get("cap_waits", 0))
        self.throttled += int(wire.get("throttled", 0))


def _lowest_equivalent(micros: np.ndarray) -> np.ndarray:
    """HdrHistogram's own bucketing, vectorised: values it cannot tell apart map to one.

    With a lowest trackable value of 1 and 3 significant digits, values below 2048 are exact
    and above that a value keeps its top 11 bits. Recording the lowest equivalent value is
    what the histogram stores anyway, so this loses nothing, and leaves far fewer distinct
    values to record one by one.
    """
    magnitude = np.floor(np.log2(np.maximum(micros, 1))).astype(np.int64)
    shift = np.maximum(magnitude - SUB_BUCKET_HALF_MAGNITUDE, 0)
    return (micros >> shift) << shift


def _record_ms(hist: HdrHistogram, values_ms: np.ndarray) -> None:
    vals = values_ms[~np.isnan(values_ms)]
    if vals.size == 0:
        return
    micros = np.clip(np.rint(vals * 1000.0), HDR_LOWEST_US, HDR_HIGHEST_US).astype(np.int64)
    uniq, counts = np.unique(_lowest_equivalent(micros), return_counts=True)
    for value, count in zip(uniq.tolist(), counts.tolist(), strict=True):
        hist.record_value(value, count)


def build_histograms(derived: dict[str, np.ndarray]) -> dict[str, HdrHistogram]:
    """The three histograms (microsecond units) from ``SendLog.derived_ms`` arrays."""
    sources = {"ingest_ms": "latency_ms", "ingest_service_ms": "service_ms",
               "schedule_lag_ms": "lag_ms"}
    out = {}
    for name, key in sources.items():
        hist = new_histogram()
        _record_ms(hist, derived[key])
        out[name] = hist
    return out


def merge_encoded(encoded: list[dict[str, bytes]]) -> dict[str, HdrHistogram]:
    """Decode and add workers' encoded histograms, name by name (lossless)."""
    out = {name: new_histogram() for name in HDR_NAMES}
    for item in encoded:
        for name in HDR_NAMES:
            if item.get(name):
                out[name].decode_and_add(item[name])
    return out


def histogram_summary(hist: HdrHistogram) -> dict[str, float | int]:
    """p50/p90/p99/max/count in milliseconds (values were recorded in microseconds)."""
    count = hist.get_total_count()
    if count == 0:
        return {"p50": None, "p90": None, "p99": None, "max": None, "count": 0}  # type: ignore[dict-item]
    return {"p50": hist.get_value_at_percentile(50) / 1000.0,
            "p90": hist.get_value_at_percentile(90) / 1000.0,
            "p99": hist.get_value_at_percentile(99) / 1000.0,
            "max": hist.get_max_value() / 1000.0, "count": int(count)}
