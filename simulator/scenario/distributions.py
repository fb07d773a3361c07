"""Distributions and reaction-time kernels: a spec from YAML, a plain sampler to use.

A scenario writes ``{dist: lognormal, mean: 4m, sd: 2m}``; ``DistSpec`` validates it (values
are numbers or durations, stored as seconds / plain floats) and ``DistSpec.build()`` returns a
``Distribution``: ``sample(rng, n) -> np.ndarray``, ``mean`` (``math.inf`` when infinite) and
``cdf(x)``. Kinds and their parameters:

- ``constant``: ``value``
- ``uniform``: ``low``, ``high``
- ``exponential``: ``mean`` (also an exponential kernel)
- ``lognormal``: ``mean``, ``sd`` (of the distribution itself, not of its log)
- ``pareto``: ``alpha``, ``min``, optional ``max`` (values above are clipped)
- ``powerlaw``: the SEISMIC kernel, ``s0`` and ``theta``: density ``c`` up to ``s0``, then
  ``c * (t/s0)^-(1+theta)``, with ``c = theta / (s0 * (1+theta))`` so it integrates to 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from simulator.scenario.units import parse_duration

__all__ = ["DistSpec", "Distribution", "Quantity"]

Quantity = Annotated[float, BeforeValidator(parse_duration)]
"""A non-negative number, or a duration string converted to seconds."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "pareto": ("alpha", "min"),
    "powerlaw": ("s0", "theta"),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {"pareto": ("max",)}
_PARAMS = ("value", "low", "high", "mean", "sd", "alpha", "min", "max", "s0", "theta")


@dataclass(frozen=True)
class Distribution:
    """A ready-to-use distribution: ``sample(rng, n)``, ``mean``, ``cdf``."""

    kind: str
    sampler: Callable[[np.random.Generator, int], np.ndarray]
    mean: float
    cdf: Callable[[np.ndarray], np.ndarray]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` float64 values with the caller's generator."""
        return self.sampler(rng, n)


class DistSpec(BaseModel):
    """One ``{dist: ..., ...}`` mapping from a scenario file, validated per kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["constant", "uniform", "exponential", "lognormal", "pareto", "powerlaw"]
    value: Quantity | None = None
    low: Quantity | None = None
    high: Quantity | None = None
    mean: Quantity | None = None
    sd: Quantity | None = None
    alpha: Quantity | None = None
    min: Quantity | None = None
    max: Quantity | None = None
    s0: Quantity | None = None
    theta: Quantity | None = None

    @model_validator(mode="after")
    def _check_params(self) -> DistSpec:
        need = _REQUIRED[self.dist]
        allowed = set(need) | set(_OPTIONAL.get(self.dist, ()))
        for name in need:
            if getattr(self, name) is None:
                raise ValueError(f"@{name}: must be given for dist {self.dist}, got nothing")
        for name in _PARAMS:
            if name not in allowed and getattr(self, name) is not None:
                raise ValueError(
                    f"@{name}: must not be set for dist {self.dist} "
                    f"(it takes {', '.join(need + _OPTIONAL.get(self.dist, ()))}), "
                    f"got {getattr(self, name)!r}"
                )
        positive = {"mean", "alpha", "s0", "theta", "min"} & allowed
        for name in sorted(positive):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"@{name}: must be > 0, got {value!r}")
        if self.dist == "uniform" and self.high is not None and self.low is not None:
            if self.high < self.low:
                raise ValueError(f"@high: must be >= low ({self.low:g}), got {self.high:g}")
        if self.dist == "pareto" and self.max is not None and self.min is not None:
            if self.max <= self.min:
                raise ValueError(f"@max: must be > min ({self.min:g}), got {self.max:g}")
        return self

    @cached_property
    def distribution(self) -> Distribution:
        """The sampler for this spec (built once, cached on the frozen model)."""
        return _BUILDERS[self.dist](self)

    def build(self) -> Distribution:
        """Alias of ``distribution`` for call sites that prefer a verb."""
        return self.distribution


def _constant(s: DistSpec) -> Distribution:
    v = float(s.value or 0.0)
    return Distribution(
        "constant",
        lambda rng, n: np.full(n, v),
        v,
        lambda x: (np.asarray(x, dtype=float) >= v).astype(float),
    )


def _uniform(s: DistSpec) -> Distribution:
    lo, hi = float(s.low or 0.0), float(s.high or 0.0)
    width = max(hi - lo, 1e-300)
    return Distribution(
        "uniform",
        lambda rng, n: rng.uniform(lo, hi, n),
        (lo + hi) / 2,
        lambda x: np.clip((np.asarray(x, dtype=float) - lo) / width, 0.0, 1.0),
    )


def _exponential(s: DistSpec) -> Distribution:
    m = float(s.mean or 1.0)
    return Distribution(
        "exponential",
        lambda rng, n: rng.exponential(m, n),
        m,
        lambda x: 1.0 - np.exp(-np.maximum(np.asarray(x, dtype=float), 0.0) / m),
    )


def _lognormal(s: DistSpec) -> Distribution:
    m, sd = float(s.mean or 1.0), float(s.sd or 0.0)
    sigma2 = math.log1p((sd / m) ** 2)
    mu, sigma = math.log(m) - sigma2 / 2, math.sqrt(sigma2)

    def cdf(x: np.ndarray) -> np.ndarray:
        arr = np.maximum(np.asarray(x, dtype=float), 1e-300)
        if sigma == 0:
            return (arr >= m).astype(float)
        z = (np.log(arr) - mu) / (sigma * math.sqrt(2))
        return 0.5 * (1.0 + np.vectorize(math.erf)(z))

    return Distribution("lognormal", lambda rng, n: rng.lognormal(mu, sigma, n), m, cdf)


def _pareto(s: DistSpec) -> Distribution:
    a, lo, cap = float(s.alpha or 1.0), float(s.min or 1.0), s.max

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        out = (rng.pareto(a, n) + 1.0) * lo
        return np.minimum(out, cap) if cap is not None else out

    if cap is None:
        mean = a * lo / (a - 1) if a > 1 else math.inf
    elif a == 1:
        mean = lo * (1 + math.log(cap / lo))
    else:  # mean of the clipped variable: integral of the survival function
        mean = lo + lo**a * (cap ** (1 - a) - lo ** (1 - a)) / (1 - a)

    def cdf(x: np.ndarray) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        out = np.where(arr < lo, 0.0, 1.0 - (lo / np.maximum(arr, lo)) ** a)
        return np.where(arr >= cap, 1.0, out) if cap is not None else out

    return Distribution("pareto", sample, mean, cdf)


def _powerlaw(s: DistSpec) -> Distribution:
    s0, theta = float(s.s0 or 1.0), float(s.theta or 1.0)
    c = theta / (s0 * (1.0 + theta))
    p0 = c * s0  # mass of the flat head

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        u = rng.random(n)
        tail = s0 * ((1.0 - u) * (1.0 + theta)) ** (-1.0 / theta)
        return np.where(u < p0, u / c, tail)

    def cdf(x: np.ndarray) -> np.ndarray:
        arr = np.maximum(np.asarray(x, dtype=float), 0.0)
        tail = 1.0 - (np.maximum(arr, s0) / s0) ** (-theta) / (1.0 + theta)
        return np.where(arr <= s0, c * arr, tail)

    mean = (c * s0**2 / 2 + c * s0**2 / (theta - 1)) if theta > 1 else math.inf
    return Distribution("powerlaw", sample, mean, cdf)


_BUILDERS: dict[str, Callable[[DistSpec], Distribution]] = {
    "constant": _constant,
    "uniform": _uniform,
    "exponential": _exponential,
    "lognormal": _lognormal,
    "pareto": _pareto,
    "powerlaw": _powerlaw,
}
