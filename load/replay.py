"""Replay a plan against a target with Locust as a library; local or master + workers.

``run_replay(plan, target, options, ...)`` is the one entry point: with ``options.workers``
0 it sends from this process (a Locust ``LocalRunner`` environment, so ``--ui`` shows
Locust's stats); with workers it runs a ``MasterRunner`` and the worker processes
(``load.distributed``). Either way it returns a ``ReplayOutcome`` holding every event's
outcome (in plan order) and the merged HdrHistograms. ``stop`` (a gevent Event, set on
Ctrl-C) ends the run early: what was not sent is counted as unsent and the outcome is
marked partial. Live mode and the reactions plug in through ``hooks`` (``load.hooks``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import gevent
import numpy as np
from gevent.event import Event
from locust.env import Environment

from load.distributed import run_master
from load.hooks import ReplayHooks
from load.options import ReplayOptions
from load.outcome import UI_PORT, ReplayOutcome, Target, locust_totals, start_web_ui
from load.schedule import Plan
from load.send_log import build_histograms
from load.sender import REQUEST_TIMEOUT_S, Sender

__all__ = ["START_LEAD_S", "UI_PORT", "ReplayOutcome", "Target", "run_replay", "start_web_ui"]

START_LEAD_S = 0.3
PROGRESS_INTERVAL_S = 1.0

ProgressFn = Callable[[dict[str, float]], None]


def _progress_loop(read: Callable[[], dict[str, float]], report: ProgressFn, done: Event) -> None:
    while not done.wait(PROGRESS_INTERVAL_S):
        report(read())
    report(read())


def run_replay(plan: Plan, target: Target, options: ReplayOptions | None = None, *,
               stop: Event | None = None, hooks: ReplayHooks | None = None) -> ReplayOutcome:
    """Send ``plan`` to ``target`` on schedule; block until done (or stopped).

    ``hooks`` (``load.hooks.ReplayHooks``): ``sending``, ``local_sender``, ``start`` and
    ``progress`` are fired here; ``hooks.hold_until_s`` keeps the sender open for added posts.
    """
    options = options if options is not None else ReplayOptions()
    hooks = hooks if hooks is not None else ReplayHooks()
    stop = stop if stop is not None else Event()
    if options.workers > 0 or options.remote_workers > 0:
        return run_master(plan, target, options, stop=stop, hooks=hooks)
    env = Environment(user_classes=[])
    env.create_local_runner()
    web = start_web_ui(env) if options.ui else None
    sender = Sender(env, target.base_url, plan, target.accept, options.max_in_flight,
                    target.capture, request_timeout=max(REQUEST_TIMEOUT_S, options.drain_s))
    sender.on_capture = target.on_capture
    sender.hold_until_s = hooks.hold_until_s
    hooks.local_sender.fire(sender=sender)
    hooks.sending.fire(sink=sender, finished=sender.finished)
    start_wall = time.time() + START_LEAD_S
    hooks.start.fire(start_wall=start_wall)
    ticker = (gevent.spawn(_progress_loop, sender.progress,
                           lambda p: hooks.progress.fire(progress=p), sender.finished)
              if hooks.progress else None)
    try:
        log = sender.run(start_wall, stop, options.drain_s)
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
                         captured=sender.captured, locust_stats=locust_totals(env),
                         max_in_flight=options.max_in_flight)
