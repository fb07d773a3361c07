"""The fixed vocabulary shared by scenarios, content and events: intents, emotions, channels.

Codes are the index into each tuple; the event table stores codes, JSONL stores names.
"""

from __future__ import annotations

__all__ = [
    "CHANNELS",
    "EMOTIONS",
    "EMOTION_ESCALATION",
    "INTENTS",
    "KINDS",
    "LONG_CHANNELS",
    "PRIORITIES",
    "PRIVATE_CHANNELS",
    "SEGMENTS",
]

INTENTS: tuple[str, ...] = (
    "complaint",
    "question",
    "praise",
    "noise",
    "purchase_intent",
    "hidden_help",
    "legal_threat",
    "safety",
    "security",
    "media_inquiry",
)
EMOTIONS: tuple[str, ...] = ("angry", "frustrated", "sad", "neutral", "happy")
CHANNELS: tuple[str, ...] = (
    "twitter",
    "facebook",
    "instagram",
    "tiktok",
    "forum",
    "review",
    "email",
    "chat",
    "sms",
)
KINDS: tuple[str, ...] = ("post", "reply", "repost", "quote", "message")
SEGMENTS: tuple[str, ...] = ("regular", "vip", "influencer", "anonymous")
PRIORITIES: tuple[str, ...] = ("p1", "p2", "p3", "p4")

# Channels whose posts are long-form (signed emails, forum threads, reviews).
LONG_CHANNELS = frozenset({"email", "forum", "review"})
# Channels where a post is a private message to the brand (kind "message").
PRIVATE_CHANNELS = frozenset({"email", "chat", "sms"})

# A journey follow-up is angrier than the post before it.
EMOTION_ESCALATION = {
    "happy": "neutral",
    "neutral": "frustrated",
    "sad": "frustrated",
    "frustrated": "angry",
    "angry": "angry",
}
