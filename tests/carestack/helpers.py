"""Helpers the reference-stack tests share: an event, the fast outbox, action kinds."""

from __future__ import annotations

from typing import Any

FAST_OUTBOX = {"retry_initial": "50ms", "retry_max": "300ms", "timeout": "2s"}


def event(event_id: str, text: str, followers: int = 100, **extra: Any) -> dict[str, Any]:
    return {"id": event_id, "t": 1.0, "channel": "twitter", "kind": "post", "parent": None,
            "thread": None, "text": text, "lang": "en", "incident": None,
            "author": {"handle": "@jdoe", "name": "Jane Doe", "followers": followers,
                       "verified": False, "customer_id": "C-1", "segment": "regular"},
            "labels": {"intent": "praise"}, **extra}


def kinds(actions: list[dict[str, Any]], event_id: str) -> list[str]:
    return [a["action"] for a in actions if a["event_id"] == event_id]
