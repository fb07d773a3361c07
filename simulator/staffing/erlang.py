"""Erlang B, C and A: closed-form queue metrics and required-agent searches.

Units: ``rate_per_s`` is arrivals per second, ``aht_s`` the average handle time in seconds,
``within_s`` the service-level threshold in seconds, ``patience_mean_s`` the mean of an
exponential patience. ``load = rate_per_s * aht_s`` is the offered load in Erlangs.

Definitions (the same ones the care-team simulation measures, so the two can be compared):

- ``p_wait``: share of arrivals that find every agent busy (they wait a positive time).
- ``asa_s``: mean time in queue over ALL arrivals; an abandoner counts with the time it
  waited before leaving (Little's law: mean queue length / arrival rate).
- ``service_level``: share of ALL arrivals that an agent starts on within ``within_s``.
  Abandoners never start, so every abandoner counts as a miss, even one that left before
  ``within_s``. With infinite patience this is Erlang C's ``1 - Pw*exp(-(N-A)*T/AHT)``.
- ``p_abandon``: share of arrivals that abandon (0 for Erlang C).
- ``occupancy``: carried load per agent (Erlang C: ``A/N``; Erlang A: ``A*(1-p_abandon)/N``).

Erlang C follows DESIGN.md section 13 (Erlang B by the stable recursion). Erlang A (Palm's
M/M/N+M) is exact: the stationary birth-death chain summed as a Kummer series in log space,
and the offered-wait distribution in closed form (Mandelbaum and Zeltyn 2005): with
``a = lambda/theta``, ``b = N*mu/theta``, ``x = exp(-theta*t)`` and
``Q(b, y) = sum_j y^j / ((b+1)...(b+j))``:
``P(V > t) = pi_N * exp(a*(1-x)) * x^b * Q(b, a*x)`` and
``P(start within T) = 1 - P(V > 0) + pi_N * b/(b+1) * (Q(b+1, a) - R)`` with
``R = exp(a*(1-x_T)) * x_T^(b+1) * Q(b+1, a*x_T)``. Bad arguments raise ValueError (a
programming error: scenario values are validated before they reach this module).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "QueueMetrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "erlang_a_metrics",
    "erlang_c_required",
    "erlang_a_required",
    "with_shrinkage",
]

SERIES_TAIL_LOG = 40.0  # stop a series when its terms fall e^40 below the largest one
MAX_AGENTS = 1_000_000  # a search that needs more agents than this is a bad input


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state figures of one queue served by ``agents`` agents."""

    agents: int
    load: float
    p_wait: float
    asa_s: float
    service_level: float
    p_abandon: float
    occupancy: float


def _log_erlang_b(n: int, load: float) -> float:
    """log of Erlang B blocking with ``n`` servers, by the stable recursion in log space."""
    if load <= 0.0:
        return 0.0 if n == 0 else -math.inf
    log_a = math.log(load)
    log_b = 0.0  # B_0 = 1
    for k in range(1, n + 1):
        ab = math.exp(log_a + log_b)
        log_b = log_a + log_b - math.log(k + ab)
    return log_b


def erlang_b(n: int, load: float) -> float:
    """Erlang B: probability an arrival is blocked with ``n`` servers and ``load`` Erlangs."""
    return math.exp(_log_erlang_b(n, load))


def erlang_c(n: int, load: float) -> float:
    """Erlang C: probability an arrival waits (``1.0`` when ``n <= load``: the queue grows)."""
    if load <= 0.0:
        return 0.0
    if n <= load:
        return 1.0
    b = erlang_b(n, load)
    return n * b / (n - load * (1.0 - b))


def erlang_c_metrics(rate_per_s: float, aht_s: float, agents: int, within_s: float) -> QueueMetrics:
    """Erlang C (M/M/N, infinite patience) metrics; an unstable queue gets ASA = inf, SL = 0."""
    _check(rate_per_s, aht_s, within_s)
    load = rate_per_s * aht_s
    if load <= 0.0:
        return QueueMetrics(agents, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    if agents <= load:
        occ = 1.0 if agents > 0 else 0.0
        return QueueMetrics(agents, load, 1.0, math.inf, 0.0, 0.0, occ)
    pw = erlang_c(agents, load)
    asa = pw * aht_s / (agents - load)
    sl = 1.0 - pw * math.exp(-(agents - load) * within_s / aht_s)
    return QueueMetrics(agents, load, pw, asa, sl, 0.0, load / agents)


def _log_q_terms(b: float, y: float) -> np.ndarray:
    """log of the terms ``y^j / ((b+1)...(b+j))``, j = 0, 1, ..., until negligible."""
    if y <= 0.0:
        return np.zeros(1)
    # past the peak (j = y - b) terms fall like a Gaussian of variance ~y, or geometrically
    # by y/(b+1) when y < b+1; size the first try for a drop of ~e^40, double if short
    tail = 12.0 * math.sqrt(y + 1.0)
    if y < b + 1.0:
        tail = min(tail, SERIES_TAIL_LOG / -math.log(y / (b + 1.0)))
    length = int(max(0.0, y - b) + tail) + 64
    log_y = math.log(y)
    while True:
        j = np.arange(1, length, dtype=np.float64)
        logs = np.concatenate(([0.0], np.cumsum(log_y - np.log(b + j))))
        if logs[-1] < logs.max() - SERIES_TAIL_LOG and logs[-1] < logs[-2]:
            return logs
        length *= 2


def _logsumexp(v: np.ndarray) -> float:
    m = float(v.max())
    return m + math.log(float(np.exp(v - m).sum()))


def _log_q(b: float, y: float) -> float:
    return _logsumexp(_log_q_terms(b, y))


def erlang_a_metrics(
    rate_per_s: float, aht_s: float, agents: int, within_s: float, patience_mean_s: float
) -> QueueMetrics:
    """Erlang A (M/M/N+M: exponential patience of mean ``patience_mean_s``) metrics, exact.

    ``patience_mean_s = math.inf`` gives Erlang C. Stable for any load (abandonment bounds the
    queue). See the module docstring for how abandoners count in each figure.
    """
    _check(rate_per_s, aht_s, within_s)
    if not patience_mean_s > 0.0:
        raise ValueError(f"patience_mean_s must be > 0, got {patience_mean_s}")
    if math.isinf(patience_mean_s):
        return erlang_c_metrics(rate_per_s, aht_s, agents, within_s)
    load = rate_per_s * aht_s
    if load <= 0.0:
        return QueueMetrics(agents, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    theta = 1.0 / patience_mean_s
    mu = 1.0 / aht_s
    a = rate_per_s / theta
    b = agents * mu / theta
    terms = _log_q_terms(b, a)  # log(pi_{N+j} / pi_N), j >= 0
    log_q = _logsumexp(terms)
    # log(sum_{k<N} pi_k / pi_N) = log((1 - B) / B) with B = Erlang B(N, load)
    if agents == 0:
        log_pi_n = -log_q
    else:
        log_b = _log_erlang_b(agents, load)
        log_lower = math.log(-math.expm1(log_b)) - log_b if log_b < 0.0 else -math.inf
        log_pi_n = -float(np.logaddexp(log_lower, log_q))
    p_wait = math.exp(log_pi_n + log_q)
    mean_queue = 0.0
    if terms.size > 1:
        j = np.arange(1, terms.size, dtype=np.float64)
        mean_queue = math.exp(log_pi_n + _logsumexp(terms[1:] + np.log(j)))
    p_abandon = theta * mean_queue / rate_per_s
    asa = mean_queue / rate_per_s
    # starts within T after waiting: pi_N * b/(b+1) * (Q(b+1, a) - e^{a(1-x)} x^{b+1} Q(b+1, ax))
    log_x = -theta * within_s
    log_all = _log_q(b + 1.0, a)
    log_late = a * -math.expm1(log_x) + (b + 1.0) * log_x + _log_q(b + 1.0, a * math.exp(log_x))
    gain = 0.0
    if b > 0.0 and log_late < log_all:
        log_gain = log_pi_n + math.log(b / (b + 1.0)) + log_all
        gain = math.exp(log_gain + math.log(-math.expm1(log_late - log_all)))
    sl = min(1.0, max(0.0, 1.0 - p_wait + gain))
    occupancy = load * (1.0 - p_abandon) / agents if agents > 0 else 0.0
    return QueueMetrics(agents, load, p_wait, asa, sl, p_abandon, min(1.0, occupancy))


def _check(rate_per_s: float, aht_s: float, within_s: float) -> None:
    if not rate_per_s >= 0.0 or math.isinf(rate_per_s):
        raise ValueError(f"rate_per_s must be a finite number >= 0, got {rate_per_s}")
    if not aht_s > 0.0 or math.isinf(aht_s):
        raise ValueError(f"aht_s must be a finite number > 0, got {aht_s}")
    if not within_s >= 0.0:
        raise ValueError(f"within_s must be >= 0, got {within_s}")


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to roster so that ``agents`` are on the queue after ``shrinkage`` (0 <= s < 1)."""
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage}")
    return math.ceil(agents / (1.0 - shrinkage) - 1e-9)


def _search(check: Callable[[int], bool], start: int) -> int:
    """Smallest n >= start with check(n), assuming check is monotone (gallop, then bisect)."""
    if check(start):
        return start
    lo, step = start, 1
    hi = start + step
    while not check(hi):
        lo = hi
        step *= 2
        hi = start + step
        if hi > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if check(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _check_targets(target: float, max_occupancy: float) -> None:
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target must be in [0, 1), got {target}")
    if not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy}")


def erlang_c_required(
    rate_per_s: float,
    aht_s: float,
    target: float,
    within_s: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> int:
    """Fewest agents whose Erlang C service level is >= ``target`` and occupancy <= the cap.

    Returns 0 when nothing arrives. ``shrinkage`` (breaks, training) inflates the answer to
    the number to roster. ``target`` is a share in [0, 1).
    """
    _check(rate_per_s, aht_s, within_s)
    _check_targets(target, max_occupancy)
    load = rate_per_s * aht_s
    if load <= 0.0:
        return 0
    start = max(math.floor(load) + 1, math.ceil(load / max_occupancy - 1e-9))

    def meets(n: int) -> bool:
        return erlang_c_metrics(rate_per_s, aht_s, n, within_s).service_level >= target

    return with_shrinkage(_search(meets, start), shrinkage)


def erlang_a_required(
    rate_per_s: float,
    aht_s: float,
    target: float,
    within_s: float,
    patience_mean_s: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> int:
    """Fewest agents whose Erlang A service level is >= ``target`` and occupancy <= the cap.

    Abandoners count as misses (module docstring), so short patience can need MORE agents
    than Erlang C at a high target, and fewer at a low one.
    """
    _check(rate_per_s, aht_s, within_s)
    _check_targets(target, max_occupancy)
    if rate_per_s * aht_s <= 0.0:
        return 0

    def meets(n: int) -> bool:
        m = erlang_a_metrics(rate_per_s, aht_s, n, within_s, patience_mean_s)
        return m.service_level >= target and m.occupancy <= max_occupancy + 1e-12

    # agents carry at most their own count of Erlangs, so SL <= n / load: start the search there
    start = max(1, math.floor(target * rate_per_s * aht_s))
    return with_shrinkage(_search(meets, start), shrinkage)
