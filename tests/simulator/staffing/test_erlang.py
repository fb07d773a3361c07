"""Erlang B/C/A against published worked examples and an independent CTMC computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from simulator.staffing.erlang import (
    erlang_a_metrics,
    erlang_a_required,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    erlang_c_required,
    with_shrinkage,
)

RATE = 100 / 1800  # 100 contacts per 30 minutes
AHT = 180.0


def test_erlang_b_table_values() -> None:
    # Standard Erlang B tables: 10 servers at 5 E block 1.84%; 1 server: A/(1+A)
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=2e-6)
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(200, 1.0) == pytest.approx(0.0, abs=1e-300)


def test_erlang_c_worked_example() -> None:
    # 100 contacts / 30 min, AHT 180 s, 80% in 20 s -> 14 agents, Pw 0.174, ASA 7.8 s, SL 0.888
    m = erlang_c_metrics(RATE, AHT, 14, 20.0)
    assert m.load == pytest.approx(10.0)
    assert m.p_wait == pytest.approx(0.174, abs=5e-4)
    assert m.asa_s == pytest.approx(7.8, abs=0.05)
    assert m.service_level == pytest.approx(0.888, abs=5e-4)
    assert m.occupancy == pytest.approx(10 / 14)
    assert erlang_c_required(RATE, AHT, 0.8, 20.0) == 14
    assert erlang_c_metrics(RATE, AHT, 13, 20.0).service_level < 0.8


def test_erlang_c_single_server_is_mm1() -> None:
    # M/M/1: P(wait) = rho, ASA = rho/(mu - lambda)
    m = erlang_c_metrics(0.5, 1.0, 1, 0.0)
    assert m.p_wait == pytest.approx(0.5)
    assert m.asa_s == pytest.approx(1.0)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)


def test_erlang_c_unstable_and_empty() -> None:
    m = erlang_c_metrics(RATE, AHT, 10, 20.0)
    assert m.p_wait == 1.0 and math.isinf(m.asa_s) and m.service_level == 0.0
    assert erlang_c_metrics(0.0, AHT, 3, 20.0).service_level == 1.0
    assert erlang_c_required(0.0, AHT, 0.8, 20.0) == 0
    assert erlang_a_required(0.0, AHT, 0.8, 20.0, 600.0) == 0


def test_occupancy_cap_and_shrinkage() -> None:
    assert erlang_c_required(RATE, AHT, 0.8, 20.0, max_occupancy=0.6) == 17  # 10/17 <= 0.6
    assert erlang_c_required(RATE, AHT, 0.8, 20.0, shrinkage=0.3) == 20  # 14/0.7
    assert with_shrinkage(14, 0.0) == 14
    assert erlang_a_required(RATE, AHT, 0.8, 20.0, 600.0, max_occupancy=0.6) >= 16


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: erlang_c_metrics(-1.0, AHT, 3, 20.0), "rate_per_s"),
        (lambda: erlang_c_metrics(RATE, 0.0, 3, 20.0), "aht_s"),
        (lambda: erlang_c_metrics(RATE, AHT, 3, -1.0), "within_s"),
        (lambda: erlang_a_metrics(RATE, AHT, 3, 20.0, 0.0), "patience_mean_s"),
        (lambda: erlang_c_required(RATE, AHT, 1.0, 20.0), "target"),
        (lambda: erlang_c_required(RATE, AHT, 0.8, 20.0, max_occupancy=0.0), "max_occupancy"),
        (lambda: with_shrinkage(3, 1.0), "shrinkage"),
    ],
)
def test_bad_arguments(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        call()


def _ctmc_erlang_a(lam: float, aht: float, n: int, within: float, patience: float) -> dict:
    """Independent Erlang A: truncated birth-death chain by linear solve, SL by matrix exp."""
    mu, theta = 1.0 / aht, 1.0 / patience
    size = n + 400
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    a = np.vstack([q.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(a, rhs, rcond=None)[0]
    queue = np.maximum(np.arange(size) - n, 0)
    # tagged arrival with j ahead: j -> j-1 at n*mu + j*theta (0 -> served), abandons at theta
    m = size - n
    g = np.zeros((m + 2, m + 2))  # states 0..m-1 = ahead count, m = served, m+1 = abandoned
    for j in range(m):
        g[j, j - 1 if j > 0 else m] = n * mu + j * theta
        g[j, m + 1] = theta
        g[j, j] = -(n * mu + j * theta + theta)
    served = expm(g * within)[:m, m]
    return {
        "p_wait": pi[n:].sum(),
        "asa_s": (pi * queue).sum() / lam,
        "p_abandon": theta * (pi * queue).sum() / lam,
        "service_level": pi[:n].sum() + (pi[n:] * served).sum(),
    }


@pytest.mark.parametrize(
    ("lam", "aht", "n", "within", "patience"),
    [
        (RATE, AHT, 14, 20.0, 300.0),
        (RATE, AHT, 8, 60.0, 600.0),  # overloaded: only abandonment keeps it stable
        (0.02, 240.0, 3, 900.0, 2700.0),
        (0.5, 20.0, 12, 5.0, 30.0),
    ],
)
def test_erlang_a_matches_ctmc(
    lam: float, aht: float, n: int, within: float, patience: float
) -> None:
    got = erlang_a_metrics(lam, aht, n, within, patience)
    want = _ctmc_erlang_a(lam, aht, n, within, patience)
    for key, value in want.items():
        assert getattr(got, key) == pytest.approx(value, rel=1e-6, abs=1e-9), key


def test_erlang_a_tends_to_erlang_c() -> None:
    c = erlang_c_metrics(RATE, AHT, 14, 20.0)
    a = erlang_a_metrics(RATE, AHT, 14, 20.0, 1e9)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-5)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-6)
    assert erlang_a_metrics(RATE, AHT, 14, 20.0, math.inf) == c


def test_erlang_a_required_is_minimal() -> None:
    n = erlang_a_required(RATE, AHT, 0.8, 20.0, 300.0)
    assert erlang_a_metrics(RATE, AHT, n, 20.0, 300.0).service_level >= 0.8
    assert erlang_a_metrics(RATE, AHT, n - 1, 20.0, 300.0).service_level < 0.8
    # very patient customers: Erlang A sizes like Erlang C
    assert erlang_a_required(RATE, AHT, 0.8, 20.0, 1e6) == 14


def test_erlang_a_large_storm_is_finite() -> None:
    # 2,000 posts/h against 5 agents, 45 min patience: heavy abandonment, no overflow
    m = erlang_a_metrics(2000 / 3600, 240.0, 5, 900.0, 2700.0)
    assert 0.9 < m.p_abandon < 1.0
    assert 0.0 <= m.service_level < 0.05
    assert m.occupancy == pytest.approx(1.0, abs=1e-3)
    # a 15-minute threshold with 45-minute patience tolerates a standing queue: Erlang A
    # staffs below the offered load, Erlang C above it
    n = erlang_a_required(2000 / 3600, 240.0, 0.8, 900.0, 2700.0)
    assert erlang_a_metrics(2000 / 3600, 240.0, n, 900.0, 2700.0).service_level >= 0.8
    assert erlang_a_metrics(2000 / 3600, 240.0, n - 1, 900.0, 2700.0).service_level < 0.8
    assert n < 2000 * 240 / 3600 < erlang_c_required(2000 / 3600, 240.0, 0.8, 900.0)
