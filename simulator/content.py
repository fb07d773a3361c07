"""Post text: varied templates per intent, emotion and channel, rendered in one pass.

A tweet-like post is short, starts with or mentions the brand handle, may carry hashtags,
abbreviations ("pls", "u", "bc") and a typo; an email is longer, greets and is signed with
the author's name and customer id; forum posts and reviews sit in between. Security reports
use leetspeak ("pwn3d", "hax0r", "w@r3z"); noise mentions the brand but needs no answer;
hidden calls for help read neutral. Fragments are picked with pre-drawn random integers and
filled with numbers, booking references, products and the incident topic, so two posts
rarely share text. Reposts quote their parent (``RT @x: ...``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulator.content_templates import (
    ABBREVIATIONS,
    CLOSERS,
    CORES,
    EMAIL_CLOSINGS,
    EMAIL_GREETINGS,
    EXTRAS,
    OPENERS,
    QUOTE_COMMENTS,
    TAILS,
    TOPICS,
)
from simulator.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, LONG_CHANNELS, PRIVATE_CHANNELS

__all__ = ["render_texts"]

RANDOM_COLUMNS = 12
TWEET_LIMIT = 280
_LEET = str.maketrans({"a": "4", "e": "3", "o": "0", "i": "1", "s": "5", "t": "7"})
_CITIES = ("Lisbon", "Denver", "Oslo", "Austin", "Dublin", "Osaka", "Nairobi", "Quito", "Perth")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SHORT = frozenset({"twitter", "instagram", "tiktok", "sms", "chat"})
_KIND_REPOST, _KIND_QUOTE, _KIND_REPLY = (KINDS.index(k) for k in ("repost", "quote", "reply"))


def _typo(text: str, r: int) -> str:
    words = text.split(" ")
    j = r % len(words)
    w = words[j]
    if len(w) > 4 and w.isalpha() and w.islower():  # never misspell names
        k = 1 + (r >> 4) % (len(w) - 2)
        words[j] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    return " ".join(words)


def _leet(text: str, r: int) -> str:
    words = text.split(" ")
    return " ".join(w.translate(_LEET) if (r >> (i % 16)) & 1 else w for i, w in enumerate(words))


def _abbreviate(text: str, r: int) -> str:
    # three of the abbreviations, chosen by r, applied where they occur
    m = len(ABBREVIATIONS)
    for shift in (0, 5, 10):
        long, short = ABBREVIATIONS[(r >> shift) % m]
        if long in text:
            text = text.replace(long, short)
    return text


def _ref(r: int) -> str:
    return f"{r & 0xFFFFFF:06X}"


def render_texts(
    *,
    intent: np.ndarray,
    emotion: np.ndarray,
    channel: np.ndarray,
    kind: np.ndarray,
    incident: np.ndarray,
    parent: np.ndarray,
    handles: Sequence[str],
    names: Sequence[str],
    customer: np.ndarray,
    brand_name: str,
    brand_handle: str,
    products: Sequence[str],
    brand_tags: Sequence[str],
    topics: Sequence[str],
    incident_tags: Sequence[Sequence[str]],
    rng: np.random.Generator,
) -> list[str]:
    """Render one text per row; rows are in time order so a repost's parent comes first."""
    n = len(intent)
    rand = rng.integers(0, 2**31, size=(n, RANDOM_COLUMNS), dtype=np.int64).tolist()
    out: list[str] = []
    intents = [INTENTS[c] for c in intent.tolist()]
    emotions = [EMOTIONS[c] for c in emotion.tolist()]
    channels = [CHANNELS[c] for c in channel.tolist()]
    kinds, incs, parents = kind.tolist(), incident.tolist(), parent.tolist()
    custs = customer.tolist()
    for i in range(n):
        r = rand[i]
        k, par = kinds[i], parents[i]
        if k == _KIND_REPOST and par >= 0:
            out.append(f"RT {handles[par]}: {out[par]}"[:TWEET_LIMIT])
            continue
        it, em, ch, inc = intents[i], emotions[i], channels[i], incs[i]
        if inc >= 0:
            topic = topics[inc]
            tags = incident_tags[inc] or brand_tags
        else:
            pool = TOPICS.get(it, TOPICS["question"])
            topic = pool[r[0] % len(pool)]
            tags = brand_tags
        cores = CORES[it]
        fill = {
            "b": brand_name,
            "h": brand_handle,
            "p": products[r[1] % len(products)],
            "topic": topic,
            "n": 2 + r[2] % 9,
            "mins": 5 * (1 + r[3] % 48),
            "ref": _ref(r[4]),
            "city": _CITIES[r[5] % len(_CITIES)],
            "day": _DAYS[r[5] % 7],
            "amt": 20 + r[6] % 980,
        }
        core = cores[r[7] % len(cores)].format(**fill)
        extras = EXTRAS[it]
        extra = extras[r[8] % len(extras)].format(**fill) if r[8] % 3 else ""
        if it == "security":
            core, extra = _leet(core, r[2]), _leet(extra, r[2] >> 8)
        opener = OPENERS[em][r[9] % len(OPENERS[em])]
        closer = CLOSERS[em][r[10] % len(CLOSERS[em])]
        if ch in LONG_CHANNELS or ch not in _SHORT:
            core = core[:1].upper() + core[1:]
        if ch in LONG_CHANNELS:
            if ch == "email" and em == "neutral":
                opener = ""
            body = " ".join(s for s in (opener, core, extra, closer) if s)
            if ch == "email":
                greet = EMAIL_GREETINGS[r[11] % len(EMAIL_GREETINGS)].format(**fill)
                close = EMAIL_CLOSINGS[(r[11] >> 8) % len(EMAIL_CLOSINGS)]
                sig = names[i] or "A customer"
                cid = f"\nCustomer number C-{custs[i]:06d}" if custs[i] >= 0 else ""
                body = f"{greet}\n\n{body}\n\n{close},\n{sig}{cid}"
            elif ch == "review":
                stars = {"angry": 1, "frustrated": 1, "sad": 2, "neutral": 3, "happy": 5}[em]
                body = f"{stars}/5 - {body}"
        else:
            parts = [s for s in (opener, core, extra if ch not in _SHORT else "", closer) if s]
            body = " ".join(parts)
            if ch in _SHORT:
                if (r[4] >> 24) % 3 == 0:
                    body = f"{body} {TAILS[(r[4] >> 26) % len(TAILS)].format(**fill)}"
                body = _abbreviate(body, r[10] >> 6)
                if r[9] % 4 == 0:
                    body = _typo(body, r[9] >> 3)
                if em == "angry" and r[8] % 5 == 0:
                    body = body.upper()
                if k == _KIND_REPLY and par >= 0:
                    body = f"{handles[par]} {body}"
                elif r[11] % 4 and ch not in PRIVATE_CHANNELS:
                    body = f"{brand_handle} {body}"
                if r[11] % 5 == 0 and tags and ch not in PRIVATE_CHANNELS:
                    body = f"{body} {tags[(r[11] >> 3) % len(tags)]}"
            if k == _KIND_QUOTE and par >= 0:
                quip = QUOTE_COMMENTS[r[6] % len(QUOTE_COMMENTS)].format(**fill)
                body = f"{quip} {body}"
        if ch in _SHORT and len(body) > TWEET_LIMIT:
            body = body[: TWEET_LIMIT - 3] + "..."
        out.append(body)
    return out
