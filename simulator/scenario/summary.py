"""What a scenario should produce, in expectation: volume by intent and channel, peak rate.

Closed-form-ish and fast (no sampling): the exogenous rates (``simulator.scenario.rates``) on a time
grid, plus each incident's cascade as the discretised Hawkes renewal equation
``c = n * (g * s)`` (children ``c`` of spreading posts ``s``; private-channel posts do not
spread). Replies and quotes draw the source's intent mix and reposts copy their parent, so
every post of a source follows its intent mix in expectation. Journey follow-ups are not
included (they depend on who answers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from simulator.scenario.models import Scenario
from simulator.scenario.rates import baseline_factor, incident_windows, start_hour
from simulator.scenario.units import format_duration
from simulator.scenario.vocab import CHANNELS, PRIVATE_CHANNELS

__all__ = ["Summary", "format_summary", "summarize"]

GRID_POINTS = 2000


@dataclass(frozen=True)
class Summary:
    """Expected figures; ``rate`` is posts per second on ``grid`` (bin starts)."""

    total: float
    by_intent: dict[str, float]
    by_channel: dict[str, float]
    by_source: dict[str, float]
    grid: np.ndarray
    rate: np.ndarray
    peak_rate: float  # per second
    peak_at: float  # seconds from start (bin start)


def _cascade(
    mu_spread: np.ndarray, n: float, cdf: Callable[[np.ndarray], np.ndarray], dt: float
) -> np.ndarray:
    """Expected children per bin, given spreading exogenous posts per bin."""
    k = len(mu_spread)
    edges = np.arange(k + 1) * dt
    pmf = np.diff(cdf(edges))  # probability a delay falls in bin offset 0, 1, ...
    s = np.zeros(k)
    c = np.zeros(k)
    rev = pmf[::-1]
    for j in range(k):
        # children landing in bin j from spreading posts of bins 0..j (offset 0 included)
        past = float(np.dot(rev[k - 1 - j : k - 1], s[:j])) if j else 0.0
        c[j] = (n * past + n * pmf[0] * mu_spread[j]) / (1.0 - n * pmf[0])
        s[j] = mu_spread[j] + c[j]
    return c


def summarize(scenario: Scenario, volume: float = 1.0) -> Summary:
    """Expected posts (exogenous plus cascades) by intent, channel and source; the peak."""
    dur = scenario.duration
    dt = dur / GRID_POINTS
    grid = np.arange(GRID_POINTS) * dt
    mid = grid + dt / 2
    base = scenario.baseline
    counts = base.rate * volume * baseline_factor(base, start_hour(scenario), mid) * dt
    total_bins = counts.copy()
    by_intent = {k: v * counts.sum() for k, v in base.intents.items()}
    by_channel = {k: v * counts.sum() for k, v in scenario.channels.items()}
    by_source = {"baseline": float(counts.sum())}
    for w in incident_windows(scenario, volume):
        inc = scenario.incidents[w.incident]
        mu = w.rate * np.clip(np.minimum(grid + dt, w.stop) - np.maximum(grid, w.start), 0, None)
        chans = inc.channels or scenario.channels
        public = {c: p for c, p in chans.items() if c not in PRIVATE_CHANNELS}
        q = sum(public.values())
        kids = np.zeros_like(mu)
        if inc.cascade is not None and inc.cascade.branching > 0 and q > 0:
            dist = inc.cascade.kernel.distribution
            kids = _cascade(mu * q, inc.cascade.branching, dist.cdf, dt)
        roots, children = float(mu.sum()), float(kids.sum())
        total_bins += mu + kids
        intents = inc.intents
        if w.wave >= 0 and inc.waves[w.wave].intents:
            intents = inc.waves[w.wave].intents or intents
        for k, v in intents.items():
            by_intent[k] = by_intent.get(k, 0.0) + v * (roots + children)
        for k, v in chans.items():
            share_kids = public.get(k, 0.0) / q if q else 0.0
            by_channel[k] = by_channel.get(k, 0.0) + v * roots + share_kids * children
        label = inc.id if w.wave < 0 else f"{inc.id} wave {w.wave + 1} ({w.source})"
        by_source[label] = by_source.get(label, 0.0) + roots + children
    rate = total_bins / dt
    peak = int(np.argmax(rate))
    return Summary(
        total=float(total_bins.sum()),
        by_intent=dict(sorted(by_intent.items(), key=lambda kv: -kv[1])),
        by_channel={c: by_channel[c] for c in CHANNELS if by_channel.get(c, 0) > 0},
        by_source=by_source,
        grid=grid,
        rate=rate,
        peak_rate=float(rate[peak]),
        peak_at=float(grid[peak]),
    )


def format_summary(scenario: Scenario, summary: Summary) -> str:
    """The ``validate`` report: a few aligned lines of plain text."""
    clock = scenario.start_time
    peak_clock = clock.timestamp() + summary.peak_at
    peak_label = datetime.fromtimestamp(peak_clock, UTC).strftime("%H:%M")
    own_words = " + the scenario's content: changes" if scenario.content else ""
    lines = [
        f"{scenario.name}: {scenario.title}".rstrip(": "),
        f"  brand {scenario.brand.name} ({scenario.brand.handle}), industry "
        f"{scenario.brand.industry}{own_words}",
        f"  duration {format_duration(scenario.duration)}, seed {scenario.seed}, "
        f"{len(scenario.incidents)} incident(s), {len(scenario.team.tiers)} tier(s), "
        f"{sum(max(s.agents for s in t.shifts) for t in scenario.team.tiers)} agents at most",
        f"  expected posts: {summary.total:,.0f} (journey follow-ups not included)",
        f"  expected peak: {summary.peak_rate * 3600:,.0f}/h at "
        f"+{format_duration(summary.peak_at)} ({peak_label} UTC)",
        "  by source:   " + _row(summary.by_source, summary.total),
        "  by intent:   " + _row(summary.by_intent, summary.total),
        "  by channel:  " + _row(summary.by_channel, summary.total),
    ]
    return "\n".join(lines)


def _row(values: dict[str, float], total: float) -> str:
    return ", ".join(f"{k} {v:,.0f} ({100 * v / total:.0f}%)" for k, v in values.items() if v > 0)
