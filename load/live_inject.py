"""Posts the facilitator injects into a live drill, with ground truth like generated ones.

``Injection`` is one request from the facilitator page: a single typed post (intent,
emotion, channel chosen) or a preset incident (``PRESETS``: "a journalist asks for
comment", "an influencer with 2M followers joins", ...). ``build_events`` turns it into
events of DESIGN.md section 5 (``simulator.runfolder.Event`` records, as dicts): labels
from the scenario's policy (``simulator.scenario.policy.CompiledPolicy``), text from
``simulator.crowd.content.render_texts`` when none was typed, sentiment drawn around the
emotion's centre like the generator's. Ids are ``ev-live-NNNN`` so they never collide with
generated ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simulator.crowd.content import render_texts, scenario_vocabulary
from simulator.crowd.storm_table import SENTIMENT_CENTRE, SENTIMENT_SD
from simulator.errors import InputError
from simulator.runfolder.records import Author, Event, Expected
from simulator.scenario.policy import CompiledPolicy
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIVATE_CHANNELS, SEGMENTS

__all__ = ["PRESETS", "Injection", "build_events", "injection_from_json"]

MAX_TEXT = 2000
MAX_COUNT = 50
MAX_FOLLOWERS = 500_000_000


@dataclass(frozen=True)
class Injection:
    """What to inject: ``count`` posts of one kind (text None = rendered from templates)."""

    intent: str
    emotion: str = "neutral"
    channel: str = "twitter"
    text: str | None = None
    followers: int = 200
    verified: bool = False
    segment: str = "regular"
    handle: str | None = None
    name: str | None = None
    customer_id: str | None = None  # the same customer on several channels: a journey
    count: int = 1
    title: str = "post"


PRESETS: dict[str, Injection] = {
    "journalist": Injection(
        intent="media_inquiry", emotion="neutral", channel="twitter", followers=48_000,
        verified=True, handle="@dana_ledger", name="Dana Reyes (Daily Ledger)",
        text="{brand} Dana Reyes, Daily Ledger. We are reporting on {topic}. How many customers "
             "are affected and when will it be fixed? On deadline, please DM.",
        title="a journalist asks for comment"),
    "influencer": Injection(
        intent="complaint", emotion="angry", channel="twitter", followers=2_000_000,
        verified=True, segment="influencer", handle="@mayaflies", name="Maya Flies",
        text="Hey {brand}, 2 hours and still nothing: {topic}. My 2M followers deserve to "
             "know how you treat customers. Retweet if this happened to you too.",
        title="an influencer with 2M followers joins"),
    "legal-threat": Injection(
        intent="legal_threat", emotion="angry", channel="email", followers=0,
        text="To {brand}: because of {topic} I missed a connection and lost a paid hotel night. "
             "Unless you refund me within 7 days my lawyer will file a claim.",
        title="a customer threatens legal action"),
    "security-report": Injection(
        intent="security", emotion="neutral", channel="twitter", followers=900,
        title="someone reports a security hole"),
    "pile-on": Injection(
        intent="complaint", emotion="angry", channel="twitter", count=10,
        title="ten angry customers pile on"),
}


def _choice(value: Any, vocab: tuple[str, ...], field: str) -> str:
    if value not in vocab:
        raise InputError(f"inject: {field} must be one of {', '.join(vocab)}, got {value!r}")
    return str(value)


def injection_from_json(data: Any) -> Injection:
    """Validate the facilitator's JSON: ``{"preset"}`` or ``{"intent", "emotion", ...}``."""
    if not isinstance(data, dict):
        raise InputError(f"inject: body must be a JSON object, got {type(data).__name__}")
    if "preset" in data:
        preset = data["preset"]
        if preset not in PRESETS:
            raise InputError(f"inject: preset must be one of {', '.join(PRESETS)}, got {preset!r}")
        return PRESETS[preset]
    text = data.get("text") or None
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise InputError(f"inject: text must be a string of at most {MAX_TEXT} chars, got {text!r}")
    followers = data.get("followers", 200)
    if not isinstance(followers, int) or not 0 <= followers <= MAX_FOLLOWERS:
        raise InputError(f"inject: followers must be an integer >= 0, got {followers!r}")
    handle = data.get("handle") or None
    if handle is not None and (not isinstance(handle, str) or len(handle) > 64):
        raise InputError(f"inject: handle must be a short string, got {handle!r}")
    customer = data.get("customer_id") or None
    if customer is not None and (not isinstance(customer, str) or len(customer) > 64):
        raise InputError(f"inject: customer_id must be a short string, got {customer!r}")
    return Injection(intent=_choice(data.get("intent"), INTENTS, "intent"),
                     emotion=_choice(data.get("emotion", "neutral"), EMOTIONS, "emotion"),
                     channel=_choice(data.get("channel", "twitter"), CHANNELS, "channel"),
                     text=text, followers=followers,
                     segment=_choice(data.get("segment", "regular"), SEGMENTS, "segment"),
                     handle=handle, customer_id=customer,
                     title=f"{str(data.get('intent')).replace('_', ' ')} post")


def _expected(policy: CompiledPolicy, spec: Injection, kind: str, incident: int,
              n: int) -> list[Expected]:
    def col(vocab: tuple[str, ...], value: str) -> np.ndarray:
        return np.full(n, vocab.index(value), dtype=np.int64)

    exp = policy.apply(intent=col(INTENTS, spec.intent), emotion=col(EMOTIONS, spec.emotion),
                       channel=col(CHANNELS, spec.channel), kind=col(KINDS, kind),
                       segment=col(SEGMENTS, spec.segment),
                       followers=np.full(n, spec.followers, dtype=np.int64),
                       incident=np.full(n, incident, dtype=np.int64))
    out = []
    for i in range(n):
        respond = bool(exp.respond[i])
        within = float(exp.respond_within_s[i])
        prio = int(exp.priority[i])
        out.append(Expected(route=exp.routes[int(exp.route[i])], tier=int(exp.tier[i]),
                            priority=f"p{prio}" if prio else None, respond=respond,
                            respond_within_s=within if respond and within == within else None))
    return out


def build_events(scenario: Any, spec: Injection, t: float, first: int,
                 rng: np.random.Generator) -> list[dict[str, Any]]:
    """``spec.count`` events at scenario time ``t``, numbered from ``first`` (ev-live-NNNN)."""
    n = max(1, min(spec.count, MAX_COUNT))
    kind = "message" if spec.channel in PRIVATE_CHANNELS else "post"
    incident = 0 if scenario.incidents else -1
    topic = scenario.incidents[0].topic if scenario.incidents else "today's problems"
    brand = scenario.brand
    handles = [spec.handle or f"@live_guest{first + i}" for i in range(n)]
    names = [spec.name or f"Guest {first + i}" for i in range(n)]
    if spec.text is not None:
        texts = [spec.text.replace("{brand}", brand.handle).replace("{topic}", topic)] * n
    else:
        texts = render_texts(
            intent=np.full(n, INTENTS.index(spec.intent)),
            emotion=np.full(n, EMOTIONS.index(spec.emotion)),
            channel=np.full(n, CHANNELS.index(spec.channel)),
            kind=np.full(n, KINDS.index(kind)), incident=np.full(n, incident),
            parent=np.full(n, -1), author=np.arange(n),
            handles=np.asarray(handles, dtype=object), names=np.asarray(names, dtype=object),
            customer=np.full(n, -1),
            brand_name=brand.name, brand_handle=brand.handle, products=brand.products,
            brand_tags=brand.hashtags, topics=[i.topic for i in scenario.incidents],
            incident_tags=[i.hashtags for i in scenario.incidents], rng=rng,
            vocab=scenario_vocabulary(scenario))
    policy = CompiledPolicy(tuple(scenario.policy), tuple(scenario.incident_ids))
    expected = _expected(policy, spec, kind, incident, n)
    centre = SENTIMENT_CENTRE[spec.emotion]
    sentiments = np.clip(centre + rng.normal(0, SENTIMENT_SD, n), -1, 1)
    return [
        Event(id=f"ev-live-{first + i:04d}", t=t, channel=spec.channel, kind=kind,
              thread=f"th-live-{first + i:04d}",
              author=Author(handle=handles[i], name=names[i], followers=spec.followers,
                            verified=spec.verified, customer_id=spec.customer_id,
                            segment=spec.segment),
              text=texts[i],
              incident=scenario.incident_ids[incident] if incident >= 0 else None,
              intent=spec.intent, emotion=spec.emotion, sentiment=float(sentiments[i]),
              expected=expected[i], injected=spec.title).as_dict()
        for i in range(n)
    ]


def with_count(spec: Injection, count: int) -> Injection:
    """The same injection, ``count`` times (bounded by MAX_COUNT)."""
    return replace(spec, count=max(1, min(count, MAX_COUNT)))
