"""A live (training) drill: the facilitator's controls over a running replay.

``LiveSession`` is created by ``drill.run.run_drill`` when ``--live`` is given and plugs into the
replay through its hooks (``subscribe(hooks)``, ``load.hooks``). It owns the ``StormClock``
(pause/resume), serves the facilitator page (``load.facilitator``), injects posts
(``load.live_inject``: appended to events.jsonl at once, sent to the target like replayed ones),
ends the drill on request (sets the replay's stop event), fires an exercise plan's timed injects
(``load.live_plan``, ``--plan``) on the storm clock, and at the end folds the injected sends into
the recordings (``merge``) and writes ``live.json`` (the facilitator's timeline, the plan) and
``plan.yaml`` (the exercise as run, to repeat it with another team) for the debrief. Runs in the
drill's gevent loop.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import gevent
import numpy as np
from gevent.event import Event

from load.hooks import Recording, ReplayContext, ReplayHooks
from load.live_clock import StormClock
from load.live_inject import Injection, build_events
from load.live_plan import ExercisePlan, plan_yaml
from load.live_state import StormView
from load.schedule import Plan
from load.send_log import STATUS_ERROR, SendLog, build_histograms
from simulator.runfolder import append_lines, count_actions_on, write_json

__all__ = ["LiveSession", "request_debrief"]

SETTLE_S = 1.5  # after "end", let the stack's outbox deliver the last actions
INJECT_SEED = 8
INJECT_TIMEOUT_S = 10.0  # injected sends still in flight at the end are counted failed
PLAN_POLL_S = 0.05  # how often the plan runner checks the storm clock


def request_debrief(run_dir: Path) -> None:
    """Ask for a training debrief of a drill that was not live (``drill --debrief``)."""
    data = {"live": False, "requested": True, "timeline": [], "injected": []}
    write_json(Path(run_dir) / "live.json", data)


class LiveSession:
    """Pause, resume, inject and end for one live drill; see the module docstring."""

    def __init__(self, scenario: Any, run_dir: Path, speed: float, port: int = 0,
                 sim_agents: int = 0, plan: ExercisePlan | None = None) -> None:
        self.scenario = scenario
        self.plan = plan
        self.done: list[tuple[float, dict[str, Any]]] = []  # (at, body) of every inject
        self._ended_at: float | None = None  # storm seconds played when the drill ended
        self.run_dir = Path(run_dir)
        self.speed = speed
        self.port = port
        self.sim_agents = sim_agents
        self.clock = StormClock()
        self.rng = np.random.default_rng(INJECT_SEED if scenario.seed is None
                                         else int(scenario.seed) + INJECT_SEED)
        self.timeline: list[dict[str, Any]] = []
        self.injected: list[dict[str, Any]] = []  # the events, in injection order
        self.sends: list[dict[str, Any]] = []  # per injected event: intended/actual/done/status
        self.ended = False
        self.console_url: str | None = None
        self.url: str | None = None
        self.view: StormView | None = None
        self._server: Any = None
        self._stop: Event | None = None
        self._profile: Any = None
        self._client: Any = None
        self._events_path: Path | None = None
        self.latest: dict[str, float] = {}
        self._sending: list[Any] = []  # greenlets sending injected posts
        self._hooks: ReplayHooks | None = None

    # -- wiring: the replay's hooks (load.hooks) --------------------------------------------
    def subscribe(self, hooks: ReplayHooks) -> None:
        """Plug into a replay: the page at ``attach``, the clock on the local sender, the
        injects folded in at ``merge``; the replay's end is shifted by the time held."""
        self._hooks = hooks
        hooks.attach.add_listener(self.attach)
        hooks.local_sender.add_listener(self._bind_sender)
        hooks.start.add_listener(self._started)
        hooks.progress.add_listener(self._progress)
        hooks.finish.add_listener(self.finish)
        hooks.merge.add_listener(self._merge)
        hooks.close.add_listener(self.close)
        hooks.held_s = lambda: self.clock.paused_total_s

    def attach(self, context: ReplayContext) -> None:
        """Start the facilitator page; print both URLs (stderr) for the training lead."""
        from load.facilitator import start_server

        self._stop = context.stop
        self._profile = context.profile
        self._events_path = context.events_path
        self.console_url = context.console_url
        console_url = context.console_url
        self.clock.on_shift.append(context.platform.set_start)
        self.view = StormView(context.events, self.run_dir / "actions.jsonl", self.speed)
        self._server, self.url = start_server(self, self.port)
        print(f"facilitator: {self.url}", file=sys.stderr, flush=True)
        if console_url:
            print(f"console: {console_url}  (simulated agents per tier: {self.sim_agents})",
                  file=sys.stderr, flush=True)
        else:
            print("console: the team's own tool (agents act in it)", file=sys.stderr, flush=True)

    def _bind_sender(self, sender: Any) -> None:
        """The local sender waits on the storm clock, which moves its origin on resume."""
        sender.clock = self.clock
        self.clock.bind(sender)

    def _started(self, start_wall: float) -> None:
        """The replay's ``start``: the storm clock starts, the plan's injects are scheduled."""
        self.clock.started(start_wall)
        self._note("start")
        if self.plan is not None:
            self._sending.append(gevent.spawn(self._run_plan, self.plan))

    def _run_plan(self, plan: ExercisePlan) -> None:
        """Fire each planned inject when the storm clock reaches its time (pauses hold it)."""
        for item in plan.injects:
            while not self.ended and self.scenario_now() < item.at_s:
                gevent.sleep(min(PLAN_POLL_S, max(0.0, item.at_s - self.scenario_now())
                                 / self.speed))
            if self.ended:
                return
            self.inject(item.spec, item.source, at=item.at_s)

    def _progress(self, progress: dict[str, float]) -> None:
        """The facilitator page shows the same counters as the progress line."""
        self.latest = dict(progress)

    # -- the facilitator's controls ---------------------------------------------------------
    def elapsed_wall(self) -> float:
        """Wall seconds of storm played so far (pauses excluded), frozen at the end."""
        return self._ended_at if self._ended_at is not None else self.clock.elapsed_wall()

    def scenario_now(self) -> float:
        """Scenario seconds played so far (pauses excluded)."""
        return self.elapsed_wall() * self.speed

    def _note(self, kind: str, **extra: Any) -> dict[str, Any]:
        entry = {"kind": kind, "t": round(self.scenario_now(), 3),
                 "wall": round(time.time(), 3), **extra}
        self.timeline.append(entry)
        return entry

    def pause(self) -> bool:
        if self.ended or not self.clock.pause():
            return False
        self._note("pause")
        return True

    def resume(self) -> float:
        held = self.clock.resume()
        if held:
            self._note("resume", held_s=round(held, 3))
        return held

    def end(self) -> None:
        """End the drill: the replay stops (the rest is unsent), results are written."""
        if self.ended:
            return
        self.resume()
        self._note("end")
        self._ended_at = self.clock.elapsed_wall()
        self.ended = True
        if self._hooks is not None:
            self._hooks.stop_reason = "ended-by-facilitator"
        if self._stop is not None:
            self._stop.set()

    def inject(self, spec: Injection, body: dict[str, Any] | None = None,
               at: float | None = None) -> list[str]:
        """Build, record and send ``spec``; returns the new event ids.

        ``body`` is the request as the facilitator (or the plan) wrote it, kept for "Save as
        plan"; ``at`` (a planned inject) is its intended scenario time, so its latency is
        measured from the plan's time, not from when it happened to fire.
        """
        if self.ended or self._events_path is None:
            return []
        now = self.scenario_now()
        t = now if at is None else at
        events = build_events(self.scenario, spec, t, len(self.injected) + 1, self.rng)
        append_lines(self._events_path, events)
        intended = t / self.speed
        for ev in events:
            self.injected.append(ev)
            rec = {"intended_s": intended, "actual_s": float("nan"), "done_s": float("nan"),
                   "status": 0}
            self.sends.append(rec)
            self._sending.append(gevent.spawn(self._send, ev, rec))
        if self.view is not None:
            self.view.add(events)
        ids = [e["id"] for e in events]
        self.done.append((round(t, 3), body or {"post": {"intent": spec.intent}}))
        extra = {"planned": True, "due_t": round(t, 3)} if at is not None else {}
        self._note("inject", title=spec.title, ids=ids, intent=spec.intent,
                   text=events[0]["text"], **extra)
        return ids

    def plan_text(self) -> str:
        """The exercise so far as a plan file (planned and ad-hoc injects at their times)."""
        name = self.plan.name if self.plan is not None else f"{self.scenario.name} exercise"
        rule = self.plan.take_private if self.plan is not None else None
        return plan_yaml(name, self.done, rule)

    def _send(self, event: dict[str, Any], rec: dict[str, Any]) -> None:
        if self._client is None:
            from locust.env import Environment

            from load.sender import ReplayUser

            self._client = ReplayUser(Environment(user_classes=[]), self._profile.base_url,
                                      10).client
        req = self._profile.render_all([{k: v for k, v in event.items() if k != "labels"}])[0]
        rec["actual_s"] = self.clock.elapsed_wall()
        resp = self._client.request(req.method, req.path, name="inject", data=req.body,
                                    headers=req.headers)
        rec["done_s"] = self.clock.elapsed_wall()
        rec["status"] = int(resp.status_code or STATUS_ERROR)

    def state(self) -> dict[str, Any]:
        """What the facilitator page shows: storm so far, team so far, controls' state."""
        view = (self.view.snapshot(self.elapsed_wall(), self._delivered())
                if self.view else {})
        planned = [] if self.plan is None else [
            {"at_s": i.at_s, "title": i.spec.title} for i in self.plan.injects
            if i.at_s > self.scenario_now()][:3]
        return {"scenario": self.scenario.name, "speed": self.speed,
                "t": round(self.scenario_now(), 1),
                "duration_s": float(self.scenario.duration),
                "paused": self.clock.paused, "ended": self.ended,
                "paused_total_s": round(self.clock.paused_total_s, 1),
                "sent": int(self.latest.get("sent", 0)), "injected": len(self.injected),
                "console_url": self.console_url, "timeline": self.timeline[-20:],
                "plan": self.plan.summary() if self.plan is not None else None,
                "next_planned": planned, **view}

    def _delivered(self) -> np.ndarray | None:
        """Per event (generated, then injected): the stack accepted it (2xx) so far."""
        sender = self.clock.sender
        if sender is None:
            return None
        status = np.concatenate([np.asarray(sender.statuses(), dtype=np.int64),
                                 np.asarray([s["status"] for s in self.sends], dtype=np.int64)])
        return (status >= 200) & (status < 300)

    # -- the end of the run -------------------------------------------------------------------
    def finish(self) -> None:
        """Before the platform's counters are read: let the last actions arrive."""
        gevent.joinall(self._sending, timeout=INJECT_TIMEOUT_S)
        if self.ended:
            gevent.sleep(SETTLE_S)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop(timeout=1)
            self._server = None

    def _merge(self, recording: Recording) -> None:
        recording.plan = self.merge(recording.plan, recording.outcome, recording.platform_stats)

    def merge(self, plan: Plan, outcome: Any, platform_stats: dict[str, Any]) -> Plan:
        """Append the injected events to the plan and the send log; write live.json.

        The platform read the event ids at its start, so actions on injected events were
        counted unmatched there: they are taken off ``platform_stats["unmatched"]``.
        """
        if self.ended:
            outcome.stopped_reason = "ended"
        self._write_json()
        m = len(self.injected)
        if not m:
            return plan
        inj_ids = {e["id"] for e in self.injected}
        matched = count_actions_on(self.run_dir / "actions.jsonl", inj_ids)
        platform_stats["unmatched"] = max(0, int(platform_stats.get("unmatched", 0)) - matched)
        reqs = self._profile.render_all([{k: v for k, v in e.items() if k != "labels"}
                                         for e in self.injected])
        offsets = np.concatenate([plan.offsets, [s["intended_s"] for s in self.sends]])
        new_plan = Plan(offsets, plan.ids + [e["id"] for e in self.injected],
                        plan.requests + reqs, plan.request_name)
        old: SendLog = outcome.log
        log = SendLog(len(new_plan))
        log.actual_s[:] = np.concatenate([old.actual_s, [s["actual_s"] for s in self.sends]])
        log.done_s[:] = np.concatenate([old.done_s, [s["done_s"] for s in self.sends]])
        log.status[:] = np.concatenate([old.status, [s["status"] for s in self.sends]])
        log.errors.update(old.errors)
        log.cap_waits, log.throttled = old.cap_waits, old.throttled
        outcome.log = log
        outcome.histograms = build_histograms(log.derived_ms(offsets))
        return new_plan

    def _write_json(self) -> None:
        data = {"live": True, "speed": self.speed, "sim_agents": self.sim_agents,
                "facilitator_url": self.url, "console_url": self.console_url,
                "paused_total_s": round(self.clock.paused_total_s, 3), "ended": self.ended,
                "timeline": self.timeline, "injected": [e["id"] for e in self.injected],
                "plan": self.plan.summary() if self.plan is not None else None,
                "take_private": self.plan.take_private if self.plan is not None else None}
        write_json(self.run_dir / "live.json", data)
        if self.done:
            (self.run_dir / "plan.yaml").write_text(self.plan_text(), encoding="utf-8")
