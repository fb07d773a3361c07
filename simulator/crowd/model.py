"""The crowd: a SimPy model of who posts what, when (DESIGN.md sections 4-5).

Sources are SimPy processes: the baseline (a non-homogeneous Poisson process, by thinning),
each incident's trigger and waves (constant-rate exogenous bursts). A source draws its
arrivals a window at a time, vectorised, grows their cascades (``simulator.crowd.cascade``),
labels them with the policy, and starts one process that emits the batch in time order.
Every emission gets the next table index and calls ``on_post(index)``.

Journeys: a complaint by a known customer is on a journey with ``journeys.share``. With
``auto_journeys=True`` (``generate``) nobody answers, so each journey post is followed,
after the customer's patience, by a post on the next channel of the path, angrier. The
care-team model runs the crowd in its own environment with ``auto_journeys=False`` and
calls ``follow_up(index)`` when a journey complaint is abandoned.
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import numpy as np
import simpy

from simulator.crowd.audience import build_audience
from simulator.crowd.batch import Batch, BatchMaker, Source
from simulator.crowd.storm_table import assemble
from simulator.runfolder.event_table import EventTable
from simulator.scenario.models import Scenario
from simulator.scenario.rates import (
    baseline_factor,
    baseline_peak_factor,
    incident_windows,
    start_hour,
)
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIORITIES, SEGMENTS

__all__ = ["Crowd", "Post", "generate", "report_progress"]

BATCH_EVENTS = 2048  # expected exogenous arrivals per vectorised window
MIN_WINDOW_S = 1.0
PROGRESS_STEPS = 100

ProgressFn = Callable[[int, float, float], None]


class Post:
    """A read-only view of one emitted post (with its ground-truth labels), for the team model."""

    __slots__ = ("_b", "_r", "index")

    def __init__(self, index: int, batch: Batch, row: int) -> None:
        self.index, self._b, self._r = index, batch, row

    @property
    def t(self) -> float:
        return float(self._b.t[self._r])

    @property
    def channel(self) -> str:
        return CHANNELS[int(self._b.channel[self._r])]

    @property
    def kind(self) -> str:
        return KINDS[int(self._b.kind[self._r])]

    @property
    def intent(self) -> str:
        return INTENTS[int(self._b.intent[self._r])]

    @property
    def emotion(self) -> str:
        return EMOTIONS[int(self._b.emotion[self._r])]

    @property
    def route(self) -> str:
        return self._b.routes[int(self._b.route[self._r])]

    @property
    def tier(self) -> int:
        return int(self._b.tier[self._r])

    @property
    def priority(self) -> str | None:
        """``p1``..``p4``, or None when no answer is needed."""
        p = int(self._b.priority[self._r])
        return PRIORITIES[p - 1] if p else None

    @property
    def respond(self) -> bool:
        return bool(self._b.respond[self._r])

    @property
    def respond_within_s(self) -> float | None:
        v = float(self._b.respond_within_s[self._r])
        return None if v != v else v

    @property
    def followers(self) -> int:
        return int(self._b.followers[self._r])

    @property
    def segment(self) -> str:
        return SEGMENTS[int(self._b.segment[self._r])]

    @property
    def customer(self) -> int:
        """Customer number (``C-%06d``), -1 for anonymous posters."""
        return int(self._b.customer[self._r])

    @property
    def incident(self) -> int:
        """Index into ``scenario.incidents``, -1 for baseline posts."""
        return int(self._b.incident[self._r])

    @property
    def journey(self) -> int:
        """Journey step (0 = first post), -1 when not on a journey."""
        return int(self._b.journey[self._r])


class Crowd:
    """The storm generator inside a caller's SimPy environment.

    Construct, call ``start()``, run the environment (to ``scenario.duration``), then
    ``table()``. ``volume`` scales every exogenous rate (by sampling, not duplicating).
    With ``on_post`` every post is emitted at its own time by a SimPy process (streaming
    mode, for the team model); without it (batch mode, ``generate``) sources still run as
    SimPy processes window by window, but posts are ordered by time once, in ``table()``,
    which gives the same table without one SimPy event per post.
    """

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        rng: np.random.Generator,
        on_post: Callable[[int], None] | None = None,
        volume: float = 1.0,
        auto_journeys: bool = True,
    ) -> None:
        self.env, self.scenario, self.rng = env, scenario, rng
        self.on_post, self.volume = on_post, volume
        self.audience = build_audience(scenario.audience, rng)
        self.maker = BatchMaker(scenario, self.audience, rng, auto_journeys)
        self._text_seed = int(rng.integers(0, 2**63))
        self._batches: list[Batch] = []
        self._emitted_batch: list[int] = []
        self._emitted_row: list[int] = []

    def __len__(self) -> int:
        """Posts emitted so far (in batch mode: posts scheduled up to now)."""
        if self.on_post is None:
            now = self.env.now
            return sum(int(np.searchsorted(b.t, now, side="right")) for b in self._batches)
        return len(self._emitted_batch)

    # -- sources ---------------------------------------------------------------------------
    def start(self) -> None:
        """Register the baseline and every incident window as SimPy processes."""
        sc = self.scenario
        base = sc.baseline
        hour = start_hour(sc)
        self.env.process(
            self._exogenous(
                self.maker.baseline_source,
                0.0,
                sc.duration,
                base.rate * self.volume * baseline_peak_factor(base),
                lambda t: baseline_factor(base, hour, t) / baseline_peak_factor(base),
            )
        )
        for w in incident_windows(sc, self.volume):
            src = self.maker.incident_source(w.incident, w.wave)
            self.env.process(self._exogenous(src, w.start, w.stop, w.rate, None))

    def _exogenous(
        self,
        source: Source,
        start: float,
        stop: float,
        peak: float,
        accept: Callable[[np.ndarray], np.ndarray] | None,
    ) -> Generator[simpy.Event, None, None]:
        env, rng = self.env, self.rng
        if peak <= 0 or stop <= start:
            return
        if start > env.now:
            yield env.timeout(start - env.now)
        window = max(MIN_WINDOW_S, BATCH_EVENTS / peak)
        t0 = start
        while t0 < stop:
            width = min(window, stop - t0)
            n = int(rng.poisson(peak * width))
            times = np.sort(t0 + rng.random(n) * width)
            if accept is not None and n:
                times = times[rng.random(n) < accept(times)]
            if times.size:
                self._launch_all(self.maker.from_source(source, times))
            t0 += width
            yield env.timeout(width)

    # -- emission --------------------------------------------------------------------------
    def _launch_all(self, batches: list[Batch]) -> None:
        for batch in batches:
            self._batches.append(batch)
            if self.on_post is not None:
                self.env.process(self._play(len(self._batches) - 1, 0))

    def _play(self, bid: int, first: int) -> Generator[simpy.Event, None, None]:
        env = self.env
        times = self._batches[bid].t.tolist()
        for row in range(first, len(times)):
            t = times[row]
            if t > env.now:
                yield env.timeout(t - env.now)
            self._emit(bid, row)

    def _emit(self, bid: int, row: int) -> int:
        index = len(self._emitted_batch)
        self._emitted_batch.append(bid)
        self._emitted_row.append(row)
        self._batches[bid].index[row] = index
        if self.on_post is not None:
            self.on_post(index)
        return index

    # -- for the team model ----------------------------------------------------------------
    def post(self, index: int) -> Post:
        """The emitted post ``index`` (its labels included)."""
        return Post(index, self._batches[self._emitted_batch[index]], self._emitted_row[index])

    def is_journey(self, index: int) -> bool:
        """True when ``follow_up(index)`` would post (a journey post with a next channel)."""
        batch = self._batches[self._emitted_batch[index]]
        return self.maker.next_channel_of(batch, self._emitted_row[index]) is not None

    def follow_up(self, index: int) -> int | None:
        """Post the customer's next journey post now (next channel, angrier).

        Returns the new post's index, or None when ``index`` is not on a journey or its
        path has ended. ``on_post`` is called for the new post before this returns.
        """
        if self.on_post is None:
            raise RuntimeError("follow_up needs streaming mode (construct Crowd with on_post)")
        bid, row = self._emitted_batch[index], self._emitted_row[index]
        batches = self.maker.follow_ups(
            self._batches[bid], np.array([row]), np.array([0.0]), now=self.env.now
        )
        if not batches:
            return None
        self._batches.append(batches[0])
        new_bid = len(self._batches) - 1
        new_index = self._emit(new_bid, 0)
        self.env.process(self._play(new_bid, 1))
        return new_index

    # -- result ----------------------------------------------------------------------------
    def _settle(self) -> None:
        """Batch mode: order every row up to now by time, as if emitted one by one."""
        now = self.env.now
        t = np.concatenate([b.t for b in self._batches]) if self._batches else np.zeros(0)
        sizes = [len(b) for b in self._batches]
        bid = np.repeat(np.arange(len(sizes)), sizes)
        row = np.concatenate([np.arange(k) for k in sizes]) if sizes else np.zeros(0, np.int64)
        order = np.argsort(t, kind="stable")
        order = order[t[order] <= now]
        for b in self._batches:
            b.index[:] = -1
        self._emitted_batch = bid[order].tolist()
        self._emitted_row = row[order].tolist()
        starts = np.concatenate([[0], np.cumsum(sizes)])
        flat_index = np.full(len(t), -1, dtype=np.int64)
        flat_index[order] = np.arange(len(order))
        for i, b in enumerate(self._batches):
            b.index[:] = flat_index[starts[i] : starts[i + 1]]

    def table(self) -> EventTable:
        """Everything emitted so far as an ``EventTable`` (rows in emission = time order)."""
        if self.on_post is None:
            self._settle()
        return assemble(
            self.scenario,
            self.audience,
            self._batches,
            np.asarray(self._emitted_batch, dtype=np.int64),
            np.asarray(self._emitted_row, dtype=np.int64),
            self.maker.routes,
            np.random.default_rng(self._text_seed),
        )


def generate(
    scenario: Scenario,
    seed: int | None = None,
    volume: float = 1.0,
    progress: ProgressFn | None = None,
) -> EventTable:
    """Run the crowd alone for the scenario's duration and return its events.

    ``seed`` overrides the scenario's seed; the same scenario and seed give the same table.
    ``progress(events, now_s, duration_s)`` is called about 100 times during the run.
    """
    rng = np.random.default_rng(scenario.seed if seed is None else seed)
    env = simpy.Environment()
    crowd = Crowd(env, scenario, rng, volume=volume)
    crowd.start()
    if progress is not None:
        env.process(report_progress(env, crowd, scenario.duration, progress))
    env.run(until=scenario.duration)
    if progress is not None:
        progress(len(crowd), scenario.duration, scenario.duration)
    return crowd.table()


def report_progress(
    env: simpy.Environment, crowd: Crowd, end: float, report: ProgressFn
) -> Generator[simpy.Event, None, None]:
    """A SimPy process calling ``report(posts, now_s, end_s)`` about PROGRESS_STEPS times."""
    step = end / PROGRESS_STEPS
    while env.now + step < end:
        yield env.timeout(step)
        report(len(crowd), env.now, end)
