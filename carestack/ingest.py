"""Inbound shapes: the canonical event, X Account Activity webhooks, Zendesk Channel pushes.

Each ``*_events(payload)`` turns a parsed JSON body into canonical event dicts (DESIGN.md
section 5 without ``labels``: ``labels`` is dropped if present) or raises ``ShapeError``
naming the first wrong field (the app answers 422). ``x_signature`` computes the X
``sha256=<base64 HMAC-SHA256>`` value used both for body signatures and the CRC answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

__all__ = ["ShapeError", "canonical_event", "x_signature", "x_webhook_events",
           "zendesk_events"]

MAX_ID = 256
MAX_COUNT = 10**12  # follower counts; keeps values inside SQLite's 64-bit integers


class ShapeError(ValueError):
    """The body parsed but has the wrong shape; ``field`` is the path of the wrong value."""

    def __init__(self, field: str, expected: str, got: Any):
        shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
        super().__init__(f"{field} must be {expected}, got {shown[:80]}")
        self.field = field


def _str(obj: dict[str, Any], key: str, where: str, required: bool = True,
         nonempty: bool = False) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            raise ShapeError(f"{where}{key}", "a string", None)
        return None
    value = obj[key]
    if not isinstance(value, str) or (nonempty and not value) or len(value) > 100_000:
        raise ShapeError(f"{where}{key}", "a non-empty string" if nonempty else "a string", value)
    return value


def _count(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ShapeError(f"{where}{key}", f"an integer between 0 and {MAX_COUNT}", value)
    return value


def _id(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise ShapeError(f"{where}{key}", f"a non-empty string id (at most {MAX_ID} chars)", value)
    return value


def canonical_event(payload: Any, where: str = "") -> dict[str, Any]:
    """Validate a canonical event; returns it with defaults filled and ``labels`` removed."""
    if not isinstance(payload, dict):
        raise ShapeError(where.rstrip(".") or "body", "a JSON object (an event)", payload)
    event_id = _id(payload, "id", where)
    text = _str(payload, "text", where)
    author = payload.get("author")
    if not isinstance(author, dict):
        raise ShapeError(f"{where}author", "an object with handle and followers", author)
    a = f"{where}author."
    verified = author.get("verified", False)
    if not isinstance(verified, bool):
        raise ShapeError(f"{a}verified", "true or false", verified)
    t = payload.get("t")
    if t is not None and (isinstance(t, bool) or not isinstance(t, int | float)):
        raise ShapeError(f"{where}t", "a number of seconds", t)
    event = {
        "id": event_id, "t": t, "text": text,
        "channel": _str(payload, "channel", where, required=False) or "unknown",
        "kind": _str(payload, "kind", where, required=False) or "post",
        "parent": _str(payload, "parent", where, required=False),
        "thread": _str(payload, "thread", where, required=False),
        "lang": _str(payload, "lang", where, required=False),
        "incident": _str(payload, "incident", where, required=False),
        "author": {
            "handle": _str(author, "handle", a, required=False) or "",
            "name": _str(author, "name", a, required=False),
            "followers": _count(author, "followers", a),
            "verified": verified,
            "customer_id": _str(author, "customer_id", a, required=False),
            "segment": _str(author, "segment", a, required=False),
        },
    }
    return event


def x_webhook_events(payload: Any) -> list[dict[str, Any]]:
    """Canonical events from an X Account Activity body (``tweet_create_events[]``).

    Tweets written by the subscribed account itself (``for_user_id``) are skipped: they are
    the brand's own replies echoed back. Bodies without tweet events give no events.
    """
    if not isinstance(payload, dict):
        raise ShapeError("body", "a JSON object (X Account Activity event)", payload)
    tweets = payload.get("tweet_create_events", [])
    if not isinstance(tweets, list):
        raise ShapeError("tweet_create_events", "a list of tweets", tweets)
    own = str(payload.get("for_user_id") or "")
    out = []
    for i, tweet in enumerate(tweets):
        w = f"tweet_create_events[{i}]."
        if not isinstance(tweet, dict):
            raise ShapeError(w.rstrip("."), "a tweet object", tweet)
        event_id = _id(tweet, "id_str", w)
        ext = tweet.get("extended_tweet")
        text = ext.get("full_text") if isinstance(ext, dict) else None
        text = text if isinstance(text, str) else _str(tweet, "text", w)
        user = tweet.get("user")
        if not isinstance(user, dict):
            raise ShapeError(f"{w}user", "an object with id_str and screen_name", user)
        u = f"{w}user."
        if own and str(user.get("id_str") or "") == own:
            continue
        screen = _str(user, "screen_name", u, nonempty=True) or ""
        verified = user.get("verified", False)
        parent = _str(tweet, "in_reply_to_status_id_str", w, required=False)
        out.append({
            "id": event_id, "t": None, "text": text, "channel": "twitter",
            "kind": "reply" if parent else "post", "parent": parent, "thread": None,
            "lang": _str(tweet, "lang", w, required=False), "incident": None,
            "author": {"handle": "@" + screen.lstrip("@"),
                       "name": _str(user, "name", u, required=False),
                       "followers": _count(user, "followers_count", u),
                       "verified": verified if isinstance(verified, bool) else False,
                       "customer_id": None, "segment": None},
        })
    return out


def zendesk_events(payload: Any) -> list[dict[str, Any]]:
    """Canonical events from a Zendesk Channel framework push (``external_resources[]``)."""
    if not isinstance(payload, dict):
        raise ShapeError("body", "a JSON object (Zendesk channel push)", payload)
    resources = payload.get("external_resources")
    if not isinstance(resources, list):
        raise ShapeError("external_resources", "a list of resources", resources)
    out = []
    for i, res in enumerate(resources):
        w = f"external_resources[{i}]."
        if not isinstance(res, dict):
            raise ShapeError(w.rstrip("."), "a resource object", res)
        author = res.get("author")
        if not isinstance(author, dict):
            raise ShapeError(f"{w}author", "an object with external_id", author)
        a = f"{w}author."
        handle = _id(author, "external_id", a)
        channel = "zendesk"
        for item in res.get("fields") or []:
            if isinstance(item, dict) and item.get("id") == "channel" and item.get("value"):
                channel = str(item["value"])
        out.append({
            "id": _id(res, "external_id", w), "t": None, "text": _str(res, "message", w),
            "channel": channel, "kind": "message",
            "parent": _str(res, "parent_id", w, required=False), "thread": None,
            "lang": None, "incident": None,
            "author": {"handle": handle,
                       "name": _str(author, "name", a, required=False), "followers": 0,
                       "verified": False, "customer_id": None, "segment": None},
        })
    return out


def x_signature(secret: str, data: bytes) -> str:
    """``sha256=`` + base64(HMAC-SHA256(secret, data)), as X signs webhooks and CRC answers."""
    mac = hmac.new(secret.encode(), data, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()
