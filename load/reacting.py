"""Closed-loop drills: the reaction engine between the platform endpoint and the sender.

``DrillReactions`` runs in the drill's gevent loop. It follows ``actions.jsonl`` as the
platform endpoint appends it (every action is flushed on arrival; read every ``POLL_S``),
hands each action with its scenario time ``at`` to ``simulator.crowd.reactions.ReactionEngine``
and applies the answer: prevented posts are cancelled in the sender (never sent, status -3)
and new posts are rendered with the target profile and scheduled on the drill clock at
``t / speed``, sent by the same open-model sender (latency from their intended time). With
``--workers N`` a ``sink`` in ``load.distributed`` forwards both to the worker that owns the
event (a Locust message). Reactions happen while the storm plays: actions that arrive after
the sender finished (in the grace period) change nothing.

``merge`` folds the outcome back into the run folder's contract: ``events.jsonl`` gets
``prevented_by`` on prevented posts, ``cause`` on silence follow-ups, and the new posts
(``cause``) appended after the scripted ones (before any live-injected ones); the plan and the
send log grow to match; ``reactions.json`` holds the counts (docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import gevent
import numpy as np

from load.hooks import Recording, ReplayHooks
from load.profile import CompiledProfile, RenderedRequest
from load.schedule import Plan
from load.send_log import STATUS_PREVENTED, SendLog, build_histograms
from simulator.crowd.reactions import Change, ReactionEngine
from simulator.runfolder import (
    ActionTail,
    annotate_events,
    count_actions_on,
    read_jsonl,
    write_reactions_json,
)

__all__ = ["POLL_S", "DrillReactions", "ReactionSink"]

POLL_S = 0.02  # how often actions.jsonl is read: a cancel can come this late (wall time)
HIDDEN = ("labels", "cause")  # never sent to the stack


class ReactionSink(Protocol):
    """Where the drill's reactions go: the local sender, or the master's forwarder."""

    def cancel(self, k: int) -> bool: ...

    def add(self, offset: float, request: RenderedRequest) -> int: ...

    def close_additions(self) -> None: ...


class DrillReactions:
    """The reaction engine wired into one drill (see the module docstring)."""

    def __init__(self, scenario: Any, events_path: Path, actions_path: Path, speed: float,
                 seed: int | None = None) -> None:
        self.scenario, self.speed = scenario, speed
        self.events_path, self.actions_path = Path(events_path), Path(actions_path)
        self.engine = ReactionEngine(scenario, read_jsonl(events_path), seed)
        self.profile: CompiledProfile | None = None
        self.sink: ReactionSink | None = None
        self.actions = ActionTail(actions_path)
        self._tail: Any = None

    @property
    def hold_until_s(self) -> float:
        """Wall offset of the scenario's end: new posts can be due until then."""
        return float(self.scenario.duration) / self.speed

    def subscribe(self, hooks: ReplayHooks) -> None:
        """Plug into a replay: follow actions into its sender, fold the new posts in at the end.

        The sender stays open until the scenario's end (``hold_until_s``) for posts to come.
        """
        hooks.hold_until_s = self.hold_until_s
        hooks.attach.add_listener(lambda context: self.attach(context.profile))
        hooks.sending.add_listener(self.start)
        hooks.added_events.add_listener(self.added_events)
        hooks.merge.add_listener(self._merge)

    def attach(self, profile: CompiledProfile) -> None:
        """The target profile new posts are rendered with."""
        self.profile = profile

    def start(self, sink: ReactionSink, finished: Any) -> None:  # the replay's ``sending``
        """Follow actions.jsonl into ``sink`` until ``finished`` (a gevent Event) is set."""
        self.sink = sink
        self._tail = gevent.spawn(self._follow, finished)

    def _follow(self, finished: Any) -> None:
        while not finished.wait(POLL_S):
            self.poll()
        assert self.sink is not None
        self.sink.close_additions()

    def poll(self) -> int:
        """Read the actions appended since the last call and apply them; returns how many.

        The new posts' texts are rendered in one batch before any is sent.
        """
        actions = self.actions.new()
        changes = [c for c in map(self._react, actions) if c is not None]
        self.engine.render_texts()
        for change in changes:
            self.apply(change)
        return len(actions)

    def _react(self, action: dict[str, Any]) -> Change | None:
        at, tier = action.get("at"), action.get("tier")
        if not isinstance(at, int | float):
            return None
        return self.engine.on_action(
            action.get("event_id"), str(action.get("action")), float(at),
            action.get("route") if isinstance(action.get("route"), str) else None,
            tier if isinstance(tier, int) and not isinstance(tier, bool) else None,
            action.get("reply_id") if isinstance(action.get("reply_id"), str) else None)

    def apply(self, change: Change) -> None:
        """Cancel and add in the sink; new posts are numbered as the engine numbers them.

        The engine's ``render_texts`` must have run since ``change`` was made.
        """
        sink, profile = self.sink, self.profile
        assert sink is not None and profile is not None
        for k in change.cancel:
            sink.cancel(k)
        if change.add:
            requests = profile.render_all([{k: v for k, v in p.event.items() if k not in HIDDEN}
                                           for p in change.add])
            for post, request in zip(change.add, requests, strict=True):
                k = sink.add(post.t / self.speed, request)
                if k != post.index:
                    raise RuntimeError(f"reaction post numbered {k}, engine says {post.index}")
        flush = getattr(sink, "flush", None)  # the distributed forwarder batches its messages
        if flush is not None and (change.cancel or change.add):
            flush()

    def added_events(self) -> list[dict[str, Any]]:
        """The reaction posts made so far (section 5 events with ``cause``), in number order."""
        self.engine.render_texts()
        return [p.event for p in self.engine.added]

    # -- the end of the run ---------------------------------------------------------------------
    def _merge(self, recording: Recording) -> None:
        recording.plan = self.merge(recording.plan, recording.outcome, recording.platform_stats)

    def merge(self, plan: Plan, outcome: Any, platform_stats: dict[str, Any]) -> Plan:
        """Grow the plan and send log by the new posts; rewrite events.jsonl; write the counts."""
        engine = self.engine
        n = engine.n_scripted
        engine.render_texts()
        added = engine.added
        total = n + len(added)
        old: SendLog = outcome.log
        if old.n < total:
            old.extend(total - old.n)
        prevented = np.flatnonzero(old.status[:total] == STATUS_PREVENTED)
        late = [k for k in engine.prevented_by if old.status[k] != STATUS_PREVENTED]
        silence = engine.due_until(float(self.scenario.duration))
        reqs = (self.profile.render_all([{k: v for k, v in p.event.items() if k not in HIDDEN}
                                         for p in added]) if added and self.profile else [])
        offsets = np.concatenate([plan.offsets, [p.t / self.speed for p in added]])
        new_plan = Plan(offsets, plan.ids + [p.event["id"] for p in added],
                        list(plan.requests) + reqs, plan.request_name)
        outcome.histograms = build_histograms(old.derived_ms(offsets))
        ids = {p.event["id"] for p in added}
        matched = count_actions_on(self.actions_path, ids)
        platform_stats["unmatched"] = max(0, int(platform_stats.get("unmatched", 0)) - matched)
        annotate_events(self.events_path, engine, prevented.tolist(), silence)
        summary = engine.summary()
        in_time = int((prevented < n).sum())  # cancels made before the post went out
        summary.update(prevented=len(prevented), prevented_scripted=in_time,
                       prevented_reactions=len(prevented) - in_time, cancel_too_late=len(late),
                       silence_follow_ups=len([j for j in silence
                                               if old.status[j] != STATUS_PREVENTED]))
        write_reactions_json(self.events_path.parent, summary, enabled=True)
        return new_plan
