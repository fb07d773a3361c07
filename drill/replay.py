"""Replay an existing events.jsonl: the platform endpoint, the reference stack, the replay.

``replay_events(run_dir, events_path, ReplayOptions, ...)`` is the replay half of a drill
(``drill.run.run_drill`` generates first and writes the results after) and the command
``python -m drill.replay EVENTS -o DIR``. It writes ``actions.jsonl`` live (the platform
endpoint), then ``replay.json`` and ``sends.npz``. Live mode and the reactions plug in as
listeners on ``load.hooks.ReplayHooks``. Accounting never loses an event: generated =
accepted + failed + unsent + prevented, also after Ctrl-C (the run is then marked partial).
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import numpy as np
from gevent.event import Event

from drill.options import read_secret
from load.answer_wait import AnswerWait
from load.captures import CaptureFeed
from load.hooks import Recording, ReplayContext, ReplayHooks
from load.launcher import ReferenceStack, check_target
from load.options import DEFAULT_DRAIN_S, DEFAULT_SPEED, ReplayOptions
from load.outcome import ReplayOutcome, Target
from load.platform import PlatformProcess
from load.profile import CompiledProfile, load_profile
from load.recordings import write_recordings
from load.replay import run_replay
from load.schedule import build_plan
from simulator.errors import InputError
from simulator.runfolder import read_event_dicts

__all__ = ["check_local_sending", "install_stop_handlers", "replay_events"]

REFERENCE_PROFILE = Path(__file__).resolve().parent.parent / "targets" / "reference.yaml"
OUTBOX_DRAIN_S = 3.0  # wall seconds the embedded stack gets to deliver its last actions


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


def _stopped_reason(note: dict[str, Any], hooks: ReplayHooks) -> str:
    if hooks.stop_reason is not None:  # a listener's (the facilitator ended the drill)
        return hooks.stop_reason
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
    from load.send_log import SendLog, build_histograms

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

    def __call__(self, progress: dict[str, float]) -> None:
        p = progress
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

def replay_events(run_dir: Path, events_path: Path, options: ReplayOptions, *,
                  stop: Event | None = None, stop_note: dict[str, Any] | None = None,
                  hooks: ReplayHooks | None = None) -> dict[str, Any]:
    """Replay an existing ``events.jsonl`` into ``run_dir``; returns replay.json's content.

    Runs the platform endpoint (its ``actions.jsonl`` goes in ``run_dir``); without
    ``options.target`` it starts the reference stack (its agents from ``options.stack_team``,
    its faults from ``options.stack_config``) and uses ``targets/reference.yaml``.
    Writes ``replay.json`` and ``sends.npz`` but not results.json (that needs the scenario).
    ``stop`` (set by SIGINT/SIGTERM; installed here when not given) ends it early, partial;
    ``stop_note`` gets the caught signal's name. ``hooks`` (``load.hooks.ReplayHooks``) is
    where live mode and the reactions plug in.
    """
    hooks = hooks if hooks is not None else ReplayHooks()
    speed = options.speed
    run_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    profile = load_profile(options.target or REFERENCE_PROFILE, options.base_url)
    check_local_sending(profile, options.workers, options.remote_workers)
    events = read_event_dicts(events_path)
    actions_path = run_dir / "actions.jsonl"
    actions_path.write_bytes(b"")  # a re-used folder must not mix in an old run's actions
    for stale in ("captures.jsonl", "unmapped.jsonl", "reactions.json", "carestack.db",
                  "carestack.db-wal",
                  "carestack.db-shm"):
        (run_dir / stale).unlink(missing_ok=True)
    secret = options.platform_secret
    stack: ReferenceStack | None = None
    handles: list[Any] = []
    note = stop_note if stop_note is not None else {}
    if stop is None:
        stop = Event()
        handles = install_stop_handlers(stop, note)
    if stop.is_set():  # stopped before any load (during generation): nothing is started
        plan = build_plan(events, profile, speed)
        outcome = _unsent_outcome(plan)
        outcome.stopped_reason = _stopped_reason(note, hooks)
        replay = write_recordings(run_dir, plan, outcome, profile, speed=speed,
                                  volume=options.volume, started_at=started, platform_stats={},
                                  platform_info={"host": "127.0.0.1", "port": None,
                                                 "secret": bool(secret)},
                                  run_end={"stopped_at_s": 0.0, "stop_signal": note.get("signal"),
                                           "observed_until_s": 0.0, "live": options.live})
        return replay
    watcher = _watch_stop(stop, note)
    try:
        platform = PlatformProcess(actions_path, speed, events_path, options.platform_port,
                                   secret=secret, profile=options.target,
                                   base_url=options.base_url)
    except BaseException:
        for handle in handles:
            handle.cancel()
        raise
    try:
        if options.target is None:
            stack = ReferenceStack(platform.url, speed, run_dir / "stack.log",
                                   platform_secret=secret, team=options.stack_team,
                                   config=options.stack_config, db=run_dir / "carestack.db")
            profile = load_profile(REFERENCE_PROFILE, stack.url)
        check_target(profile.base_url, profile.profile.health, options.allow_remote)
        plan = build_plan(events, profile, speed)
        feed = CaptureFeed(platform, plan.ids) if _live_returns(profile) else None
        target = Target(profile.base_url, profile.accept,
                        profile.capture if profile.profile.capture or feed else None,
                        on_capture=feed.add if feed is not None else None)
        hooks.attach.fire(context=ReplayContext(
            platform=platform, profile=profile, events=events, events_path=events_path,
            stop=stop, console_url=stack.url + "/console" if stack is not None else None))
        print(f"replaying {len(plan)} events at speed {speed:g} against {profile.base_url}",
              file=sys.stderr, flush=True)
        hooks.start.add_listener(platform.set_start)
        hooks.progress.add_listener(_Progress(len(plan), platform))
        outcome = run_replay(plan, target, options, stop=stop, hooks=hooks)
        if feed is not None:
            feed.close()
        if outcome.log.cap_waits:
            print(f"\nnote: {outcome.log.cap_waits} sends waited for a free slot "
                  f"({outcome.max_in_flight} requests in flight per process): the target held "
                  f"requests that long; their lag and intended-time latency include the wait",
                  file=sys.stderr, flush=True)
        last = float(plan.offsets.max()) if len(plan) else 0.0
        shift = hooks.held_s()
        sent_events = events + hooks.events_added()
        accepted = np.isin(outcome.log.status[:len(sent_events)], list(profile.accept))
        # a live drill's humans can answer whatever the simulated agents' shifts say
        known_until = AnswerWait(sent_events, accepted, speed, outcome.start_wall, shift, last,
                                 options.grace_s).wait(actions_path, stop,
                                                       stack.can_still_answer
                                                       if stack is not None and not options.live
                                                       else None)
        if stop.is_set():
            outcome.partial = True
            if outcome.stopped_reason in (None, "interrupted"):  # the replay's generic reason
                outcome.stopped_reason = _stopped_reason(note, hooks)
        _finish_returns(platform, stop.is_set())
        hooks.finish.fire()
        stack_outbox = None
        if stack is not None:  # it posts the actions: stop it first, so the counts are final
            stack_outbox = _stack_outbox(stack, run_dir / "stack.log")
            stack.stop()
        observed_until = (max(time.time(), known_until) - outcome.start_wall - shift) * speed
        platform_stats = _platform_stats(platform, actions_path)
        recording = Recording(plan, outcome, platform_stats)
        hooks.merge.fire(recording=recording)
        plan = recording.plan
    finally:
        platform.stop()
        if stack is not None:
            stack.stop()
        hooks.close.fire()
        for handle in handles:
            handle.cancel()
        watcher.kill()
    print(file=sys.stderr)
    return write_recordings(run_dir, plan, outcome, profile, speed=speed, volume=options.volume,
                            started_at=started, platform_stats=platform_stats,
                            platform_info={"host": platform.host, "port": platform.port,
                                           "secret": platform.secret,
                                           "live_captures": _live_returns(profile)},
                            stack_outbox=stack_outbox,
                            run_end={"stopped_at_s": None if "wall" not in note
                                     else round(note["wall"] - outcome.start_wall, 3),
                                     "stop_signal": note.get("signal"),
                                     "observed_until_s": round(observed_until, 3),
                                     "live": options.live})


def main(argv: list[str] | None = None) -> int:
    """``python -m drill.replay EVENTS -o DIR``: replay an existing events file."""
    import argparse

    from simulator.errors import DrillError

    parser = argparse.ArgumentParser(prog="drill.replay")
    parser.add_argument("events", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--target", type=Path, default=None)
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--grace", type=float, default=0.0, help="scenario seconds")
    parser.add_argument("--platform-port", type=int, default=0)
    parser.add_argument("--drain", type=float, default=DEFAULT_DRAIN_S,
                        help="wall seconds for requests in flight after the last send")
    args = parser.parse_args(argv)
    options = ReplayOptions(target=args.target, base_url=args.base_url, speed=args.speed,
                            workers=args.workers, grace_s=args.grace,
                            platform_port=args.platform_port, drain_s=args.drain,
                            platform_secret=read_secret(None))
    try:
        replay_events(args.output, args.events, options)
    except DrillError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
