"""One drill, end to end: generate, start the platform (and the stack), replay, write results.

``run_drill(options)`` is what ``run_drill.py drill`` calls with a validated
``drill.options.DrillOptions``. It writes the run folder (docs/architecture.md):
``events.jsonl`` first, the reference stack's ``team.yaml`` (from the scenario's validated
team, ``drill.stack_team``), then the replay (``drill.replay.replay_events``: ``actions.jsonl``
live, ``replay.json`` and ``sends.npz`` at the end), and the results via
``reports.write_outputs``. By default the storm reacts to the stack (``load.reacting``);
``--live`` adds the facilitator's controls (``load.live``): both plug into the replay's hooks.
SIGINT/SIGTERM from the start of generation to the end stop it cleanly: the run folder is
always written, marked partial. Returns a ``DrillRun``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import orjson
from gevent.event import Event

from drill.options import DrillOptions
from drill.replay import check_local_sending, install_stop_handlers, replay_events
from drill.stack_team import write_stack_team
from load.hooks import ReplayHooks
from load.launcher import check_target
from load.profile import load_profile

__all__ = ["DrillRun", "run_drill"]


@dataclass(frozen=True)
class DrillRun:
    """What a drill leaves: its folder, its report, and the signal that stopped it (if any)."""

    run_dir: Path
    stop_signal: str | None  # "SIGINT" / "SIGTERM" when one cut the run short

    @property
    def report(self) -> Path:
        """report.html, or results.json when the report could not be drawn."""
        report = self.run_dir / "report.html"
        return report if report.exists() else self.run_dir / "results.json"


class _Stopped(Exception):
    """Raised from the generator's progress callback when the drill was told to stop."""


def _generate(scenario: Any, seed: int | None, volume: float, path: Path,
              stop: Event | None = None) -> bool:
    """Generate the storm into ``path``; False (and an empty file) when ``stop`` cut it short.

    The generator's progress callback (about 100 calls a run) yields to gevent so a
    SIGINT/SIGTERM handler can run, and aborts the generation when ``stop`` is set.
    """
    from simulator.crowd.model import generate
    from simulator.runfolder import write_jsonl

    def check(*_: Any) -> None:
        gevent.sleep(0)
        if stop is not None and stop.is_set():
            raise _Stopped

    try:
        table = generate(scenario, seed=seed, volume=volume, progress=check)
    except _Stopped:
        path.write_bytes(b"")
        return False
    write_jsonl(table, path)
    return True


def default_run_dir(name: str, now: datetime) -> Path:
    return Path("runs") / f"{name}-{now.strftime('%Y%m%d-%H%M%S')}"


def _stop_signal(run_dir: Path) -> str | None:
    """The signal replay.json records as having stopped the run."""
    try:
        replay = orjson.loads((run_dir / "replay.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    signal = replay.get("stop_signal")
    return str(signal) if signal is not None else None


def run_drill(options: DrillOptions) -> DrillRun:
    """Run one drill and write its run folder."""
    from simulator.scenario.models import load_scenario

    scenario = load_scenario(options.scenario)
    speed = options.speed or scenario.drill.speed
    grace_s = options.grace_s if options.grace_s is not None else scenario.drill.grace
    run_dir = options.output or default_run_dir(scenario.name, datetime.now(UTC))
    if options.target is not None:  # check the profile and target before a long generation
        profile = load_profile(options.target, options.base_url)
        check_local_sending(profile, options.workers, options.remote_workers)
        check_target(profile.base_url, profile.profile.health, options.allow_remote)
    run_dir.mkdir(parents=True, exist_ok=True)  # only now: a bad input leaves no empty folder
    events_path = run_dir / "events.jsonl"
    team = None
    if options.target is None:
        team = write_stack_team(scenario.team, run_dir / "team.yaml",
                                cap=options.sim_agents if options.live else None,
                                source=str(options.scenario))
    hooks = ReplayHooks()
    live = None
    if options.live:
        from load.live import LiveSession
        from load.live_plan import load_plan

        plan = (load_plan(options.plan, float(scenario.duration))
                if options.plan is not None else None)
        live = LiveSession(scenario, run_dir, speed, options.facilitator_port,
                           options.sim_agents, plan)
    # SIGINT/SIGTERM from here to the end set `stop`: generation is cut short, the replay
    # stops, the grace wait ends; the run folder is always written (results + report).
    stop = Event()
    note: dict[str, Any] = {}
    handles = install_stop_handlers(stop, note)
    try:
        print(f"generating {scenario.name} (volume x{options.volume:g})", file=sys.stderr,
              flush=True)
        if not _generate(scenario, options.seed, options.volume, events_path, stop):
            print("stopped during generation: no load sent", file=sys.stderr, flush=True)
        elif options.reactions:
            from load.reacting import DrillReactions

            DrillReactions(scenario, events_path, run_dir / "actions.jsonl", speed,
                           options.seed).subscribe(hooks)
        if live is not None:
            live.subscribe(hooks)
        replay_events(run_dir, events_path, options.replay(speed, grace_s, team), stop=stop,
                      stop_note=note, hooks=hooks)
        if options.debrief and live is None:
            from load.live import request_debrief

            request_debrief(run_dir)
        print("writing results.json and report.html", file=sys.stderr, flush=True)
        _write_results(run_dir, scenario, options.command)
    finally:
        for handle in handles:
            handle.cancel()
    return DrillRun(run_dir, _stop_signal(run_dir))


def _write_results(run_dir: Path, scenario: Any, command: tuple[str, ...]) -> None:
    from reports import write_outputs

    write_outputs(run_dir, scenario, mode="drill", command=list(command),
                  generated_at=datetime.now(UTC))
