"""Hooks on the replay: named events that live mode and the reactions subscribe to.

As Locust's ``env.events`` does, the replay fires named events and knows nothing of who
listens: ``drill.replay.replay_events`` and ``load.replay.run_replay`` take one
``ReplayHooks``; ``load.live.LiveSession.subscribe(hooks)`` (pause/resume, injects, the
facilitator page) and ``load.reacting.DrillReactions.subscribe(hooks)`` (the storm reacting
to the stack) add their listeners. Events, in the order a replay fires them:

- ``attach(context)``: the endpoint, profile and events are ready (``ReplayContext``);
- ``sending(sink, finished)``: the sender (local: ``load.sender.Sender``; distributed: the
  master's forwarder) exists and has not started; ``finished`` is set when sending ends;
- ``local_sender(sender)``: the local ``Sender`` before it starts (not fired with workers);
- ``start(start_wall)``: the replay's wall-clock start is fixed;
- ``progress(progress)``: about once a second, the sender's counters;
- ``finish()``: the storm and the answer wait are over, before the counters are read;
- ``merge(recording)``: fold what the listener added into ``recording`` (plan, send log);
- ``close()``: always, at the very end (also after an error).

Listeners' exceptions propagate (a bad ``--facilitator-port`` is an input error). Besides the
events, listeners set the few values the replay reads: ``hold_until_s`` (keep sending until
this wall offset: posts may still be added), ``stop_reason`` (why a stop happened, e.g.
"ended-by-facilitator") and ``held_s`` (wall seconds the storm was held, shifts the end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EventHook", "Recording", "ReplayContext", "ReplayHooks"]


class EventHook:
    """A list of listeners called in the order added, with keyword arguments."""

    def __init__(self) -> None:
        self._listeners: list[Callable[..., Any]] = []

    def add_listener(self, listener: Callable[..., Any]) -> Callable[..., Any]:
        self._listeners.append(listener)
        return listener

    def fire(self, **kwargs: Any) -> list[Any]:
        """Call every listener; returns their results in order."""
        return [listener(**kwargs) for listener in self._listeners]

    def __bool__(self) -> bool:
        return bool(self._listeners)


@dataclass(frozen=True)
class ReplayContext:
    """What a listener gets at ``attach``."""

    platform: Any  # load.platform.PlatformProcess
    profile: Any  # load.profile.CompiledProfile
    events: list[dict[str, Any]]
    events_path: Path
    stop: Any  # the gevent Event that ends the replay
    console_url: str | None  # the embedded stack's console (None with --target)


@dataclass
class Recording:
    """What ``merge`` listeners grow: the plan and the outcome, and the endpoint's counters."""

    plan: Any  # load.schedule.Plan
    outcome: Any  # load.replay.ReplayOutcome
    platform_stats: dict[str, Any]


@dataclass
class ReplayHooks:
    """The replay's named events and the values listeners set (see the module docstring)."""

    attach: EventHook = field(default_factory=EventHook)
    sending: EventHook = field(default_factory=EventHook)
    local_sender: EventHook = field(default_factory=EventHook)
    start: EventHook = field(default_factory=EventHook)
    progress: EventHook = field(default_factory=EventHook)
    added_events: EventHook = field(default_factory=EventHook)  # -> list of section 5 events
    finish: EventHook = field(default_factory=EventHook)
    merge: EventHook = field(default_factory=EventHook)
    close: EventHook = field(default_factory=EventHook)
    hold_until_s: float | None = None
    stop_reason: str | None = None
    held_s: Callable[[], float] = lambda: 0.0

    def events_added(self) -> list[dict[str, Any]]:
        """Every post the listeners added while the storm played (``added_events``)."""
        return [e for part in self.added_events.fire() for e in part]
