"""Who wrote a case and what came before: the customer's journey and the thread's turns.

``People`` indexes every ingested case twice: by customer (the event's
``author.customer_id``, the same person on email, twitter and facebook; without one, the
channel and handle) and by thread (``thread``, else ``parent``, else the event itself).
``journey(case)`` lists the customer's other cases across channels, oldest first;
``turns(case)`` interleaves the thread's customer posts with the brand's public replies and
private messages, so an agent sees the conversation so far (a customer answering back is
a new case in the same thread).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .dispatch import Case

__all__ = ["People"]

JOURNEY_LIMIT = 20
TURN_LIMIT = 40
ANSWERS = ("reply", "message")


def _customer_key(event: dict[str, Any]) -> str:
    author = event.get("author") or {}
    customer = author.get("customer_id")
    if customer:
        return f"id:{customer}"
    return f"handle:{event.get('channel') or ''}:{author.get('handle') or ''}"


def _thread_key(event: dict[str, Any]) -> str:
    return str(event.get("thread") or event.get("parent") or event["id"])


class People:
    """Case ids by customer and by thread, in arrival order."""

    def __init__(self) -> None:
        self._by_customer: dict[str, list[str]] = defaultdict(list)
        self._by_thread: dict[str, list[str]] = defaultdict(list)
        self._keys: dict[str, tuple[str, str, str | None]] = {}

    def add(self, case: Case, event: dict[str, Any]) -> None:
        """Index one case (its canonical event) once."""
        if case.event_id in self._keys:
            return
        customer, thread = _customer_key(event), _thread_key(event)
        author = event.get("author") or {}
        self._keys[case.event_id] = (customer, thread, author.get("customer_id"))
        self._by_customer[customer].append(case.event_id)
        self._by_thread[thread].append(case.event_id)

    def customer_id(self, case: Case) -> str | None:
        """The author's customer id, when the channel gave one."""
        keys = self._keys.get(case.event_id)
        return keys[2] if keys else None

    def journey(self, case: Case, cases: dict[str, Case]) -> list[dict[str, Any]]:
        """The same customer's other cases (any channel), oldest first, with their outcome."""
        keys = self._keys.get(case.event_id)
        if keys is None:
            return []
        out = []
        for event_id in self._by_customer[keys[0]]:
            other = cases.get(event_id)
            if other is None or event_id == case.event_id:
                continue
            answers = [h for h in other.history if h["action"] in ANSWERS]
            out.append({"event_id": event_id, "channel": other.channel, "text": other.text,
                        "received_at": other.received_at, "status": other.status,
                        "route": other.route, "tier": other.tier, "priority": other.priority,
                        "same_thread": self._keys[event_id][1] == keys[1],
                        "answered_by": answers[0]["agent"] if answers else None,
                        "private": any(h["action"] == "message" for h in answers)})
        return out[-JOURNEY_LIMIT:]

    def turns(self, case: Case, cases: dict[str, Case]) -> list[dict[str, Any]]:
        """The thread's conversation: customer posts and brand answers in time order."""
        keys = self._keys.get(case.event_id)
        ids = self._by_thread[keys[1]] if keys else [case.event_id]
        turns: list[dict[str, Any]] = []
        for event_id in ids:
            post = cases.get(event_id)
            if post is None:
                continue
            turns.append({"who": "customer", "event_id": event_id, "at": post.received_at,
                          "channel": post.channel, "handle": post.handle, "text": post.text})
            for h in post.history:
                if h["action"] in ANSWERS:
                    turns.append({"who": "brand", "event_id": event_id, "at": h["at"],
                                  "agent": h["agent"], "text": h["text"],
                                  "private": h["action"] == "message"})
        turns.sort(key=lambda t: t["at"])
        return turns[-TURN_LIMIT:]
