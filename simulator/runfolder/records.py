"""Typed records of the run folder's line files.

``Action`` is one line of ``actions.jsonl`` (DESIGN.md section 6 plus ``at``, scenario
seconds at arrival); ``Event`` one line of ``events.jsonl`` built one at a time (a reaction,
a live injection: DESIGN.md section 5), with its ``Author`` and ``Expected`` handling.
``as_dict`` gives each in the file's key order. The generated storm stays columnar
(``EventTable``), and the replay sends the file's own dicts (``read_event_dicts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Action", "Author", "Event", "Expected"]


@dataclass(frozen=True, slots=True)
class Action:
    """What the team did to one event."""

    event_id: str
    action: str  # triage, reply, message, escalate, close, ignore
    at: float
    route: str | None = None
    tier: int | None = None
    priority: str | None = None  # p1..p4
    agent: str | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "action": self.action, "route": self.route,
                "tier": self.tier, "priority": self.priority, "agent": self.agent,
                "text": self.text, "at": round(self.at, 3)}


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote an event."""

    handle: str
    name: str
    followers: int
    verified: bool
    customer_id: str | None  # C-NNNNNN, None when anonymous
    segment: str

    def as_dict(self) -> dict[str, Any]:
        return {"handle": self.handle, "name": self.name, "followers": self.followers,
                "verified": self.verified, "customer_id": self.customer_id,
                "segment": self.segment}


@dataclass(frozen=True, slots=True)
class Expected:
    """How the policy says an event must be handled (its ground truth)."""

    route: str
    tier: int
    priority: str | None  # p1..p4
    respond: bool
    respond_within_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "tier": self.tier, "priority": self.priority,
                "respond": self.respond, "respond_within_s": self.respond_within_s}


@dataclass(frozen=True, slots=True)
class Event:
    """One post, with its ground-truth labels; ``t`` and ``sentiment`` are written to 3
    decimals. ``injected`` (a live post's title, in labels), ``cause`` and ``in_reply_to``
    (what a reaction reacts to) are written only when set."""

    id: str
    t: float
    channel: str
    kind: str
    author: Author
    text: str
    intent: str
    emotion: str
    sentiment: float
    expected: Expected
    parent: str | None = None
    thread: str | None = None
    incident: str | None = None
    journey_step: int | None = None
    follows: str | None = None
    injected: str | None = None
    cause: dict[str, Any] | None = None
    in_reply_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        labels = {"intent": self.intent, "emotion": self.emotion,
                  "sentiment": round(self.sentiment, 3), "journey_step": self.journey_step,
                  "follows": self.follows, "expected": self.expected.as_dict()}
        if self.injected is not None:
            labels["injected"] = self.injected
        event = {"id": self.id, "t": round(self.t, 3), "channel": self.channel,
                 "kind": self.kind, "parent": self.parent, "thread": self.thread,
                 "author": self.author.as_dict(), "text": self.text, "lang": "en",
                 "incident": self.incident, "labels": labels}
        if self.cause is not None:
            event["cause"] = self.cause
        if self.in_reply_to is not None:
            event["in_reply_to"] = self.in_reply_to
        return event
