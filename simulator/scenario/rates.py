"""Exogenous arrival rates of a scenario as functions of scenario time.

Shared by the crowd model (which samples them) and the summary (which integrates them),
so the two always agree. Rates are per second and already multiplied by ``volume``.
The diurnal profile follows the clock label ``start``: a daily cosine with its low at
02:00 and its high at 14:00 (0.4x to 1.6x, mean 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.scenario.models import Baseline, Scenario

__all__ = ["Window", "baseline_factor", "baseline_peak_factor", "incident_windows"]

DIURNAL_AMPLITUDE = 0.6
DIURNAL_PEAK_HOUR = 14.0


def baseline_factor(baseline: Baseline, start_hour: float, t: np.ndarray) -> np.ndarray:
    """The profile multiplier of the baseline rate at scenario times ``t``."""
    t = np.asarray(t, dtype=float)
    profile = baseline.profile
    if profile == "flat":
        return np.ones_like(t)
    if profile == "diurnal":
        hours = start_hour + t / 3600.0
        return 1.0 + DIURNAL_AMPLITUDE * np.cos(2 * math.pi * (hours - DIURNAL_PEAK_HOUR) / 24.0)
    assert isinstance(profile, tuple)
    ats = np.array([p.at for p in profile])
    factors = np.array([p.factor for p in profile])
    return np.interp(t, ats, factors)


def baseline_peak_factor(baseline: Baseline) -> float:
    """An upper bound of ``baseline_factor`` (for thinning)."""
    profile = baseline.profile
    if profile == "flat":
        return 1.0
    if profile == "diurnal":
        return 1.0 + DIURNAL_AMPLITUDE
    assert isinstance(profile, tuple)
    return max(p.factor for p in profile) or 1.0


@dataclass(frozen=True)
class Window:
    """A constant-rate exogenous burst of one incident: its trigger or one of its waves."""

    incident: int
    start: float
    stop: float
    rate: float  # per second, volume applied
    wave: int  # -1 for the trigger, else the wave's index
    source: str


def incident_windows(scenario: Scenario, volume: float = 1.0) -> list[Window]:
    """Every trigger and wave of every incident, clipped to the scenario duration."""
    out: list[Window] = []
    end = scenario.duration
    for i, inc in enumerate(scenario.incidents):
        trig = inc.trigger
        out.append(
            Window(i, inc.at, min(end, inc.at + trig.for_), trig.rate * volume, -1, "trigger")
        )
        for j, wave in enumerate(inc.waves):
            stop = min(end, wave.at + wave.for_)
            out.append(Window(i, wave.at, stop, wave.rate * volume, j, wave.source))
    return out


def start_hour(scenario: Scenario) -> float:
    """The clock hour (0-24, UTC) at scenario time 0."""
    st = scenario.start_time
    return st.hour + st.minute / 60.0 + st.second / 3600.0
