"""One drill, end to end: generate, start the platform (and the stack), replay, record.

``run_drill(options)`` is what ``run_drill.py drill`` calls. It writes the run folder
(docs/architecture.md): ``events.jsonl`` first, then ``actions.jsonl`` live (the platform
endpoint), and at the end ``replay.json``, ``sends.npz`` and the results via
``reports.write_outputs``. By default the storm reacts to the stack (``load.reacting``;
``DrillOptions.reactions`` False is ``--no-reactions``). Accounting never loses an event:
generated = accepted + failed + unsent + prevented, also after Ctrl-C (the run is then marked
partial). Returns the run folder.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import numpy as np
from gevent.event import Event

from load.answer_wait import AnswerWait
from load.captures import CaptureFeed
from load.launcher import ReferenceStack, check_target
from load.platform import PlatformProcess
from load.profile import CompiledProfile, load_profile
from load.record import write_recordings
from load.replay import ReplayOutcome, Target, run_replay
from load.schedule import build_plan
from load.sender import REQUEST_TIMEOUT_S
from simulator.errors import InputError
from simulator.runfolder import read_event_dicts

__all__ = ["DEFAULT_SPEED", "DrillOptions", "replay_events", "run_drill"]

DEFAULT_SPEED = 60.0
REFERENCE_PROFILE = Path(__file__).resolve().parent.parent / "targets" / "reference.yaml"
SECRET_ENV = "DRILL_PLATFORM_SECRET"
OUTBOX_DRAIN_S = 3.0  # wall seconds the embedded stack gets to deliver its last actions


@dataclass(frozen=True)
class DrillOptions:
    """Everything a drill needs, parsed once at the command line."""

    scenario: Path
    output: Path | None = None
    target: Path | None = None
    base_url: str | None = None
    speed: float | None = None
    volume: float = 1.0
    workers: int = 0
    seed: int | None = None
    ui: bool = False
    platform_port: int = 8765
    grace_s: float | None = None
    allow_remote: bool = False
    command: tuple[str, ...] = ()
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int = 5557
    stack_config: Path | None = None
    live: bool = False  # a training drill: facilitator page, pause/resume/inject/end
    sim_agents: int = 0  # live: simulated agents per tier left in the embedded stack
    facilitator_port: int = 0
    reactions: bool = True  # False: --no-reactions, the open-loop replay of the scripted storm
    plan: Path | None = None  # live: an exercise plan of timed injects (load.live_plan)
    debrief: bool = False  # a training debrief for a drill that is not --live
    drain_s: float = REQUEST_TIMEOUT_S  # wall seconds for requests in flight after the last send


class _Stopped(Exception):
    """Raised from the generator's progress callback when the drill was told to stop."""


def _generate(scenario: Any, seed: int | None, volume: float, path: Path,
              stop: Event | None = None) -> bool:
    """Generate the storm into ``path``; False (and an empty file) when ``stop`` cut it short.

    The generator's progress callback (about 100 calls a run) yields to gevent so a
    SIGINT/SIGTERM handler can run, and aborts the generation when ``stop`` is set.
    """
    from simulator.crowd import generate
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


def install_stop_handlers(stop: Event, note: dict[str, Any] | None = None) -> list[Any]:
    """SIGINT and SIGTERM set ``stop`` (the run then ends cleanly); cancel the returned handles.

    ``note`` gets ``signal`` ("SIGINT"/"SIGTERM"), the first one caught: the drill's exit code
    (130/143) and the unsent posts' reason come from it.
    """
    def handler(sig: signal.Signals) -> Any:
        def on_signal() -> None:
            if note is not None:
                note.setdefault("signal", sig.name)
            stop.set()
        return on_signal

    return [gevent.signal_handler(sig, handler(sig)) for sig in (signal.SIGINT, signal.SIGTERM)]


def _stopped_reason(note: dict[str, Any], live: Any) -> str:
    if live is not None and live.ended:
        return "ended-by-facilitator"
    return "terminated" if note.get("signal") == "SIGTERM" else "interrupted"


def _watch_stop(stop: Event, note: dict[str, Any]) -> Any:
    """Note the wall time ``stop`` is set (splits unsent posts: behind schedule vs stopped)."""
    def watch() -> None:
        stop.wait()
        note.setdefault("wall", time.time())
    return gevent.spawn(watch)


def _platform_stats(platform: PlatformProcess, actions: Path) -> dict[str, Any]:
    """The endpoint's counters; when it no longer answers (it died), the actions it wrote."""
    try:
        return platform.stats()
    except OSError as err:
        print(f"\nwarning: the platform endpoint did not answer ({err}); its rejection "
              f"counters are lost, actions.jsonl holds what arrived", file=sys.stderr, flush=True)
        with actions.open("rb") as fh:
            return {"actions": sum(1 for line in fh if line.strip())}


def _stack_outbox(stack: ReferenceStack, log_path: Path) -> dict[str, Any] | None:
    """The reference stack's outbox counters; a warning when its senders failed or it lags.

    Gives the outbox up to OUTBOX_DRAIN_S to deliver what it still holds (actions decided just
    before the end), so the platform records them before the stack is stopped.
    """
    deadline = time.monotonic() + OUTBOX_DRAIN_S
    outbox = stack.outbox_stats()
    while outbox is not None and outbox.get("pending") and time.monotonic() < deadline:
        gevent.sleep(0.1)
        outbox = stack.outbox_stats()
    if outbox is None:
        print(f"\nwarning: the reference stack did not answer /stats (see {log_path})",
              file=sys.stderr, flush=True)
    elif outbox.get("sender_restarts") or outbox.get("pending"):
        parts = []
        if outbox.get("sender_restarts"):
            parts.append(f"restarted {outbox['sender_restarts']} failed sender(s) (last: "
                         f"{outbox.get('sender_error')})")
        if outbox.get("pending"):
            parts.append(f"held {outbox['pending']} undelivered action(s) at the end (last "
                         f"delivery error: {outbox.get('last_error')})")
        print(f"\nwarning: the reference stack's outbox {' and '.join(parts)}; see {log_path}",
              file=sys.stderr, flush=True)
    return outbox


def _unsent_outcome(plan: Any) -> ReplayOutcome:
    """The outcome of a run stopped before any load: every event unsent, marked partial."""
    from load.recorder import SendLog, build_histograms

    log = SendLog(len(plan))
    return ReplayOutcome(log=log, histograms=build_histograms(log.derived_ms(plan.offsets)),
                         start_wall=time.time(), workers=0, partial=True,
                         stopped_reason="interrupted")


class _Progress:
    """The live progress line on stderr: sent, accepted, failed, answered, lag p99."""

    def __init__(self, total: int, platform: PlatformProcess) -> None:
        self.total = total
        self.platform = platform
        self.tty = sys.stderr.isatty()

    def __call__(self, p: dict[str, float]) -> None:
        try:
            answered = self.platform.stats()["answered"]
        except OSError:
            answered = -1
        line = (f"sent {int(p['sent'])}/{self.total}  accepted {int(p['accepted'])}  "
                f"failed {int(p['failed'])}  answered {answered}  lag p99 {p['lag_p99_ms']:.1f} ms")
        print(("\r" + line + "   ") if self.tty else line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)


def _live_returns(profile: CompiledProfile) -> bool:
    """Whether the profile reads what comes back live (callbacks or polling during the drill)."""
    return bool(profile.profile.callbacks or profile.profile.poll)


def check_local_sending(profile: CompiledProfile, workers: int, remote_workers: int) -> None:
    """Callbacks by captured id and polling need the captures live: local sending only."""
    if _live_returns(profile) and (workers or remote_workers):
        raise InputError(f"--workers: {profile.source.name} has callbacks or poll, which read "
                         f"captures live from the sending process, got --workers {workers} "
                         f"--remote-workers {remote_workers} (send from one process)")


def _finish_returns(platform: PlatformProcess, stopped: bool) -> None:
    """The last poll round and the verdict on held callbacks (skipped when stopped)."""
    if stopped:
        return
    try:
        platform.finish()
    except OSError as err:
        print(f"\nwarning: the platform endpoint did not finish polling ({err})",
              file=sys.stderr, flush=True)


def default_run_dir(name: str, now: datetime) -> Path:
    return Path("runs") / f"{name}-{now.strftime('%Y%m%d-%H%M%S')}"


def replay_events(run_dir: Path, events_path: Path, profile_path: Path | None, *,
                  base_url: str | None = None, speed: float = DEFAULT_SPEED,
                  volume: float = 1.0, workers: int = 0, ui: bool = False,
                  platform_port: int = 0, grace_s: float | None = 0.0,
                  allow_remote: bool = False,
                  remote_workers: int = 0, master_bind: str = "127.0.0.1",
                  master_port: int = 0, stack_team: Path | None = None,
                  stack_config: Path | None = None, stop: Event | None = None,
                  live: Any = None, stop_note: dict[str, Any] | None = None,
                  drain_s: float = REQUEST_TIMEOUT_S,
                  reactions: Any = None) -> dict[str, Any]:
    """Replay an existing ``events.jsonl`` into ``run_dir``; returns replay.json's content.

    Runs the platform endpoint (its ``actions.jsonl`` goes in ``run_dir``); without
    ``profile_path`` it starts the reference stack (its agents from ``stack_team``, a scenario
    file, and its faults from ``stack_config``) and uses ``targets/reference.yaml``.
    Writes ``replay.json`` and ``sends.npz`` but not results.json (that needs the scenario).
    ``stop`` (set by SIGINT/SIGTERM; installed here when not given) ends it early, partial.
    ``live`` (a ``load.live.LiveSession``) adds the facilitator's pause, inject and end.
    ``reactions`` (a ``load.reacting.DrillReactions``) makes the storm react to the stack.
    ``grace_s`` caps the end-of-run wait for answers (None: until the last delivered post's
    deadline, load/answer_wait.py); ``stop_note`` gets the caught signal's name.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    profile = load_profile(profile_path or REFERENCE_PROFILE, base_url)
    check_local_sending(profile, workers, remote_workers)
    events = read_event_dicts(events_path)
    actions_path = run_dir / "actions.jsonl"
    actions_path.write_bytes(b"")  # a re-used folder must not mix in an old run's actions
    for stale in ("captures.jsonl", "unmapped.jsonl", "reactions.json", "carestack.db",
                  "carestack.db-wal",
                  "carestack.db-shm"):
        (run_dir / stale).unlink(missing_ok=True)
    secret = os.environ.get(SECRET_ENV) or None
    stack: ReferenceStack | None = None
    handles: list[Any] = []
    note = stop_note if stop_note is not None else {}
    if stop is None:
        stop = Event()
        handles = install_stop_handlers(stop, note)
    if stop.is_set():  # stopped before any load (during generation): nothing is started
        plan = build_plan(events, profile, speed)
        outcome = _unsent_outcome(plan)
        outcome.stopped_reason = _stopped_reason(note, live)
        replay = write_recordings(run_dir, plan, outcome, profile, speed=speed,
                                  volume=volume, started_at=started, platform_stats={},
                                  platform_info={"host": "127.0.0.1", "port": None,
                                                 "secret": bool(secret)},
                                  run_end={"stopped_at_s": 0.0, "stop_signal": note.get("signal"),
                                           "observed_until_s": 0.0, "live": live is not None})
        return replay
    watcher = _watch_stop(stop, note)
    try:
        platform = PlatformProcess(actions_path, speed, events_path, platform_port, secret=secret,
                                   profile=profile_path, base_url=base_url)
    except BaseException:
        for handle in handles:
            handle.cancel()
        raise
    try:
        if profile_path is None:
            stack = ReferenceStack(platform.url, speed, run_dir / "stack.log",
                                   platform_secret=secret, team=stack_team,
                                   config=stack_config, db=run_dir / "carestack.db")
            profile = load_profile(REFERENCE_PROFILE, stack.url)
        check_target(profile.base_url, profile.profile.health, allow_remote)
        plan = build_plan(events, profile, speed)
        feed = CaptureFeed(platform, plan.ids) if _live_returns(profile) else None
        target = Target(profile.base_url, profile.accept,
                        profile.capture if profile.profile.capture or feed else None,
                        on_capture=feed.add if feed is not None else None)
        if reactions is not None:
            reactions.attach(profile)
        if live is not None:
            live.attach(platform, profile, events, events_path, stop,
                        stack.url + "/console" if stack is not None else None)
        print(f"replaying {len(plan)} events at speed {speed:g} against {profile.base_url}",
              file=sys.stderr, flush=True)
        outcome = run_replay(plan, target, workers=workers, stop=stop,
                             progress=_Progress(len(plan), platform) if live is None
                             else live.progress(_Progress(len(plan), platform)), ui=ui,
                             on_start=platform.set_start if live is None
                             else live.on_start(platform), remote_workers=remote_workers,
                             master_bind=master_bind, master_port=master_port,
                             clock=live.clock if live is not None else None,
                             drain_timeout=drain_s, reactions=reactions)
        if feed is not None:
            feed.close()
        if outcome.log.cap_waits:
            print(f"\nnote: {outcome.log.cap_waits} sends waited for a free slot "
                  f"({outcome.max_in_flight} requests in flight per process): the target held "
                  f"requests that long; their lag and intended-time latency include the wait",
                  file=sys.stderr, flush=True)
        last = float(plan.offsets.max()) if len(plan) else 0.0
        shift = live.clock.paused_total_s if live is not None else 0.0
        sent_events = events + (reactions.added_events() if reactions is not None else [])
        accepted = np.isin(outcome.log.status[:len(sent_events)], list(profile.accept))
        known_until = AnswerWait(sent_events, accepted, speed, outcome.start_wall, shift, last,
                                 grace_s).wait(actions_path, stop,
                                               stack.can_still_answer
                                               if stack is not None and live is None else None)
        if stop.is_set():
            outcome.partial = True
            if outcome.stopped_reason in (None, "interrupted"):  # the replay's generic reason
                outcome.stopped_reason = _stopped_reason(note, live)
        _finish_returns(platform, stop.is_set())
        if live is not None:
            live.finish()
        stack_outbox = None
        if stack is not None:  # it posts the actions: stop it first, so the counts are final
            stack_outbox = _stack_outbox(stack, run_dir / "stack.log")
            stack.stop()
        observed_until = (max(time.time(), known_until) - outcome.start_wall - shift) * speed
        platform_stats = _platform_stats(platform, actions_path)
        if reactions is not None:
            plan = reactions.merge(plan, outcome, platform_stats)
        if live is not None:
            plan = live.merge(plan, outcome, platform_stats)
    finally:
        platform.stop()
        if stack is not None:
            stack.stop()
        if live is not None:
            live.close()
        for handle in handles:
            handle.cancel()
        watcher.kill()
    print(file=sys.stderr)
    return write_recordings(run_dir, plan, outcome, profile, speed=speed, volume=volume,
                            started_at=started, platform_stats=platform_stats,
                            platform_info={"host": platform.host, "port": platform.port,
                                           "secret": platform.secret,
                                           "live_captures": _live_returns(profile)},
                            stack_outbox=stack_outbox,
                            run_end={"stopped_at_s": None if "wall" not in note
                                     else round(note["wall"] - outcome.start_wall, 3),
                                     "stop_signal": note.get("signal"),
                                     "observed_until_s": round(observed_until, 3),
                                     "live": live is not None})


def run_drill(options: DrillOptions) -> Path:
    """Run one drill and write its run folder; returns the folder."""
    from simulator.scenario import load_scenario

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
    team, live = options.scenario, None
    if options.live:
        from load.live import LiveSession, reduced_team
        from load.live_plan import load_plan

        plan = (load_plan(options.plan, float(scenario.duration))
                if options.plan is not None else None)
        live = LiveSession(scenario, run_dir, speed, options.facilitator_port,
                           options.sim_agents, plan)
        if options.target is None:
            team = reduced_team(options.scenario, options.sim_agents, run_dir / "live-team.yaml")
    # SIGINT/SIGTERM from here to the end set `stop`: generation is cut short, the replay
    # stops, the grace wait ends; the run folder is always written (results + report).
    stop = Event()
    note: dict[str, Any] = {}
    handles = install_stop_handlers(stop, note)
    try:
        print(f"generating {scenario.name} (volume x{options.volume:g})", file=sys.stderr,
              flush=True)
        reactions = None
        if not _generate(scenario, options.seed, options.volume, events_path, stop):
            print("stopped during generation: no load sent", file=sys.stderr, flush=True)
        elif options.reactions:
            from load.reacting import DrillReactions

            reactions = DrillReactions(scenario, events_path, run_dir / "actions.jsonl", speed,
                                       options.seed)
        replay_events(run_dir, events_path, options.target, base_url=options.base_url,
                      speed=speed, volume=options.volume, workers=options.workers, ui=options.ui,
                      platform_port=options.platform_port, grace_s=grace_s,
                      allow_remote=options.allow_remote, remote_workers=options.remote_workers,
                      master_bind=options.master_bind, master_port=options.master_port,
                      stack_team=team, stack_config=options.stack_config, stop=stop,
                      live=live, stop_note=note, drain_s=options.drain_s,
                      reactions=reactions)
        if options.debrief and live is None:
            from load.live import request_debrief

            request_debrief(run_dir)
        print("writing results.json and report.html", file=sys.stderr, flush=True)
        _write_results(run_dir, scenario, options.command)
    finally:
        for handle in handles:
            handle.cancel()
    return run_dir


def _write_results(run_dir: Path, scenario: Any, command: tuple[str, ...]) -> None:
    from reports import write_outputs

    write_outputs(run_dir, scenario, mode="drill", command=list(command),
                  generated_at=datetime.now(UTC))


def main(argv: list[str] | None = None) -> int:
    """``python -m load.orchestrate EVENTS -o DIR``: replay an existing events file."""
    import argparse

    from simulator.errors import DrillError

    parser = argparse.ArgumentParser(prog="load.orchestrate")
    parser.add_argument("events", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--target", type=Path, default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--grace", type=float, default=0.0, help="scenario seconds")
    parser.add_argument("--platform-port", type=int, default=0)
    parser.add_argument("--drain", type=float, default=REQUEST_TIMEOUT_S,
                        help="wall seconds for requests in flight after the last send")
    args = parser.parse_args(argv)
    try:
        replay_events(args.output, args.events, args.target, base_url=args.base_url,
                      speed=args.speed, workers=args.workers, grace_s=args.grace,
                      platform_port=args.platform_port, drain_s=args.drain)
    except DrillError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
