"""Replay a plan against a target with Locust as a library; local or master + workers.

``run_replay(plan, target, ...)`` is the one entry point: with ``workers=0`` it sends from
this process (a Locust ``LocalRunner`` environment, so ``--ui`` shows Locust's stats);
with ``workers=N`` it runs a ``MasterRunner`` and N local worker processes
(``load.distributed``). Either way it returns a ``ReplayOutcome`` holding every event's
outcome (in plan order) and the merged HdrHistograms. ``stop`` (a gevent Event, set on
Ctrl-C) ends the run early: what was not sent is counted as unsent and the outcome is
marked partial.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import numpy as np
from gevent.event import Event
from hdrh.histogram import HdrHistogram
from locust.env import Environment

from load.recorder import SendLog, build_histograms
from load.schedule import Plan
from load.sender import MAX_IN_FLIGHT, REQUEST_TIMEOUT_S, Sender

__all__ = ["START_LEAD_S", "UI_PORT", "ReplayOutcome", "Target", "run_replay", "start_web_ui"]

START_LEAD_S = 0.3
PROGRESS_INTERVAL_S = 1.0
UI_PORT = 8089

ProgressFn = Callable[[dict[str, float]], None]


@dataclass(frozen=True)
class Target:
    """Where and how to send: base URL, accepted status codes, optional capture function."""

    base_url: str
    accept: frozenset[int]
    capture: Callable[[Any], dict[str, Any]] | None = None
    on_capture: Callable[[int, dict[str, Any]], None] | None = None  # live, per accepted answer


@dataclass
class ReplayOutcome:
    """Every event's outcome (plan order), the histograms and how the run ended."""

    log: SendLog
    histograms: dict[str, HdrHistogram]
    start_wall: float
    workers: int
    partial: bool = False
    stopped_reason: str | None = None
    captured: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    locust_stats: dict[str, Any] = field(default_factory=dict)
    max_in_flight: int = MAX_IN_FLIGHT


def start_web_ui(env: Environment) -> Any:
    """Locust's web UI on 127.0.0.1:UI_PORT.

    Its index page re-parses ``sys.argv`` with Locust's own parser (and exits on our flags),
    so the drill's arguments are cleared first; the drill recorded its command line already.
    """
    del sys.argv[1:]
    web = env.create_web_ui("127.0.0.1", UI_PORT)
    print(f"Locust web UI: http://127.0.0.1:{UI_PORT}", file=sys.stderr, flush=True)
    return web


def _locust_totals(env: Environment) -> dict[str, Any]:
    total = env.stats.total
    return {"num_requests": total.num_requests, "num_failures": total.num_failures,
            "median_response_time_ms": total.median_response_time,
            "p99_response_time_ms": total.get_response_time_percentile(0.99)}


def _progress_loop(read: Callable[[], dict[str, float]], report: ProgressFn, done: Event) -> None:
    while not done.wait(PROGRESS_INTERVAL_S):
        report(read())
    report(read())


def run_replay(plan: Plan, target: Target, *, workers: int = 0, stop: Event | None = None,
               progress: ProgressFn | None = None, ui: bool = False,
               max_in_flight: int = MAX_IN_FLIGHT, drain_timeout: float = REQUEST_TIMEOUT_S,
               master_bind: str = "127.0.0.1", master_port: int = 0,
               remote_workers: int = 0, on_start: Callable[[float], None] | None = None,
               clock: Any = None, reactions: Any = None) -> ReplayOutcome:
    """Send ``plan`` to ``target`` on schedule; block until done (or stopped).

    ``clock`` (a ``load.live_clock.StormClock``, local runs only) lets a live drill pause
    and resume the storm. ``reactions`` (a ``load.reacting.DrillReactions``) makes it a
    closed-loop drill: the team's actions cancel and add posts while it plays.
    """
    stop = stop if stop is not None else Event()
    if workers > 0 or remote_workers > 0:
        from load.distributed import run_master

        return run_master(plan, target, workers=workers, remote_workers=remote_workers,
                          stop=stop, progress=progress, ui=ui, max_in_flight=max_in_flight,
                          drain_timeout=drain_timeout, bind=master_bind, port=master_port,
                          on_start=on_start, reactions=reactions)
    env = Environment(user_classes=[])
    env.create_local_runner()
    web = start_web_ui(env) if ui else None
    sender = Sender(env, target.base_url, plan, target.accept, max_in_flight, target.capture,
                    request_timeout=max(REQUEST_TIMEOUT_S, drain_timeout))
    sender.on_capture = target.on_capture
    if clock is not None:
        sender.clock = clock
        clock.bind(sender)
    if reactions is not None:
        sender.hold_until_s = reactions.hold_until_s
        reactions.start(sender, sender.finished)
    start_wall = time.time() + START_LEAD_S
    if on_start is not None:
        on_start(start_wall)
    ticker = (gevent.spawn(_progress_loop, sender.progress, progress, sender.finished)
              if progress else None)
    try:
        log = sender.run(start_wall, stop, drain_timeout)
    finally:
        sender.finished.set()
        if ticker is not None:
            ticker.join(timeout=2)
        if web is not None:
            web.stop()
    derived = log.derived_ms(np.asarray(sender.offsets))
    stopped = stop.is_set()
    return ReplayOutcome(log=log, histograms=build_histograms(derived), start_wall=start_wall,
                         workers=0, partial=stopped,
                         stopped_reason="interrupted" if stopped else None,
                         captured=sender.captured, locust_stats=_locust_totals(env),
                         max_in_flight=max_in_flight)
