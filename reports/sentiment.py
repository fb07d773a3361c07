"""Sentiment before and after response, from the posts' ground-truth sentiment labels.

A thread is *answered* from the moment the stack first replied to any post in it. Posts
in answered threads are split into those written before that moment and after it; the
section compares their mean sentiment and share of negative posts (sentiment < -0.05,
VADER's usual cut-off). Also the mean sentiment of all posts per storm bin.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.sections import Sentiment
from reports.stats import ratio

NEGATIVE = -0.05


def _side(values: np.ndarray) -> dict[str, Any]:
    values = values[np.isfinite(values)]
    return {
        "posts": int(values.size),
        "mean": round(float(values.mean()), 4) if values.size else None,
        "negative_share": ratio(int((values < NEGATIVE).sum()), int(values.size)),
    }


def sentiment_metrics(run: RunData, out: Outcomes, interval_s: float) -> Sentiment:
    """The ``sentiment`` section of results.json."""
    ev = run.events
    n_threads = len(ev.thread.names)
    answered_at = ev.t + out.first_response_s
    first = np.full(n_threads, np.inf)
    ok = np.isfinite(answered_at)
    np.minimum.at(first, ev.thread.codes[ok], answered_at[ok])
    thread_answer = first[ev.thread.codes] if len(ev) else np.array([])
    in_answered = np.isfinite(thread_answer)
    before = in_answered & (ev.t < thread_answer)
    after = in_answered & (ev.t >= thread_answer)
    unanswered = ~in_answered
    series: dict[str, list[Any]] = {"start_s": [], "mean": [], "posts": []}
    if len(ev):
        bins = (ev.t // interval_s).astype(np.int64)
        finite = np.isfinite(ev.sentiment)
        sums = np.bincount(bins[finite], weights=ev.sentiment[finite])
        counts = np.bincount(bins[finite], minlength=sums.size)
        series = {
            "start_s": (np.arange(sums.size) * interval_s).tolist(),
            "mean": [
                round(float(s / c), 4) if c else None for s, c in zip(sums, counts, strict=True)
            ],
            "posts": counts.tolist(),
        }
    b, a = _side(ev.sentiment[before]), _side(ev.sentiment[after])
    return Sentiment.model_validate({
        "threads_answered": int(np.isfinite(first).sum()),
        "threads": n_threads,
        "before": b,
        "after": a,
        "unanswered_threads": _side(ev.sentiment[unanswered]),
        "change": None
        if b["mean"] is None or a["mean"] is None
        else round(a["mean"] - b["mean"], 4),
        "over_time": series,
    })
