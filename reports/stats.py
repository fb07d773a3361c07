"""Small numeric helpers shared by the metric modules: percentile summaries, safe ratios."""

from __future__ import annotations

from typing import Any

import numpy as np

PERCENTILES = (50, 90, 99)


def _clean(value: float) -> float:
    return round(float(value), 6)


def summary(values: np.ndarray) -> dict[str, Any]:
    """``{p50, p90, p99, max, mean, count}`` of the finite values (None when there are none).

    Percentiles use numpy's default linear interpolation.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {**{f"p{p}": None for p in PERCENTILES}, "max": None, "mean": None, "count": 0}
    qs = np.percentile(finite, PERCENTILES)
    out: dict[str, Any] = {f"p{p}": _clean(q) for p, q in zip(PERCENTILES, qs, strict=True)}
    out["max"] = _clean(finite.max())
    out["mean"] = _clean(finite.mean())
    out["count"] = int(finite.size)
    return out


def ratio(num: float, den: float) -> float | None:
    """num/den rounded, None when den is 0."""
    return None if den == 0 else _clean(num / den)


def grouped_summaries(
    values: np.ndarray, codes: np.ndarray, names: list[str], skip: tuple[str, ...] = ("",)
) -> dict[str, Any]:
    """``summary`` per category, keyed by name (categories in ``skip`` left out)."""
    out: dict[str, Any] = {}
    for code, name in enumerate(names):
        if name in skip:
            continue
        sel = codes == code
        if sel.any():
            out[name] = summary(values[sel])
    return dict(sorted(out.items()))


def bucket_percentiles(
    times: np.ndarray, values: np.ndarray, width: float, qs: tuple[int, ...] = (50, 99)
) -> dict[str, list[Any]]:
    """Percentiles of ``values`` in consecutive ``width``-second buckets of ``times``."""
    ok = np.isfinite(times) & np.isfinite(values)
    times, values = times[ok], values[ok]
    if times.size == 0:
        return {"start_s": [], **{f"p{q}": [] for q in qs}, "count": []}
    bucket = np.floor(times / width).astype(np.int64)
    order = np.lexsort((values, bucket))
    bucket, values = bucket[order], values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(bucket)) + 1]
    ends = np.r_[starts[1:], bucket.size]
    out: dict[str, list[Any]] = {
        "start_s": (bucket[starts] * width).tolist(),
        "count": (ends - starts).tolist(),
    }
    for q in qs:
        # values are sorted inside each bucket: index directly instead of a percentile per group
        pos = starts + (ends - starts - 1) * (q / 100.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, ends - 1)
        frac = pos - lo
        out[f"p{q}"] = [_clean(v) for v in values[lo] * (1 - frac) + values[hi] * frac]
    return out
