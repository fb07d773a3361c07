"""Send outcomes and histograms: bulk recording and worker merges lose nothing."""

from __future__ import annotations

import numpy as np

from load.send_log import (
    HDR_NAMES,
    STATUS_ERROR,
    SendLog,
    build_histograms,
    histogram_summary,
    merge_encoded,
    new_histogram,
)


def test_bulk_recording_equals_recording_each_value() -> None:
    rng = np.random.default_rng(5)
    latency_ms = rng.lognormal(2.0, 1.5, 20_000)
    bulk = build_histograms({"latency_ms": latency_ms, "service_ms": latency_ms,
                             "lag_ms": latency_ms})["ingest_ms"]
    one_by_one = new_histogram()
    for value in np.rint(latency_ms * 1000).astype(int).tolist():
        one_by_one.record_value(max(value, 1))
    assert bulk.get_total_count() == one_by_one.get_total_count() == 20_000
    for p in (0, 10, 50, 90, 99, 99.9, 100):
        assert bulk.get_value_at_percentile(p) == one_by_one.get_value_at_percentile(p)
    assert bulk.get_max_value() == one_by_one.get_max_value()


def test_worker_histograms_merge_losslessly() -> None:
    rng = np.random.default_rng(9)
    arrays = {k: rng.exponential(20.0, 10_000) for k in ("latency_ms", "service_ms", "lag_ms")}
    whole = build_histograms(arrays)
    halves = [build_histograms({k: v[i::2] for k, v in arrays.items()}) for i in (0, 1)]
    merged = merge_encoded([{n: h[n].encode() for n in HDR_NAMES} for h in halves])
    for name in HDR_NAMES:
        assert histogram_summary(merged[name]) == histogram_summary(whole[name])


def test_derived_latencies_follow_the_contract() -> None:
    log = SendLog(4)
    intended = np.array([0.0, 1.0, 2.0, 3.0])
    log.actual_s[:3] = [0.010, 1.500, 2.0]  # event 3 never sent
    log.done_s[:3] = [0.030, 1.520, 2.1]
    log.status[:3] = [202, 202, STATUS_ERROR]
    d = log.derived_ms(intended)
    assert np.allclose(d["lag_ms"][:3], [10, 500, 0]) and np.isnan(d["lag_ms"][3])
    assert np.allclose(d["latency_ms"][:2], [30, 520])  # from the intended send
    assert np.allclose(d["service_ms"][:2], [20, 20])  # from the actual send
    assert np.isnan(d["latency_ms"][2:]).all() and np.isnan(d["service_ms"][2:]).all()
