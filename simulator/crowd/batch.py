"""Batches: a window of exogenous posts plus all their cascades, labelled, time-sorted.

``BatchMaker`` turns arrival times from one source into ``Batch`` objects: it draws authors,
channels, intents and emotions, grows the cascades, applies the policy, and (with automatic
journeys) makes the follow-up batches of unanswered journey complaints. The crowd emits a
batch row by row; ``Batch.index`` records each row's table index as it is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.crowd.audience import Audience
from simulator.crowd.cascade import CascadeModel, grow
from simulator.scenario.models import Scenario
from simulator.scenario.policy import CompiledPolicy
from simulator.scenario.vocab import (
    CHANNELS,
    EMOTION_ESCALATION,
    EMOTIONS,
    INTENTS,
    KINDS,
    PRIVATE_CHANNELS,
)

__all__ = ["Batch", "BatchMaker", "Source"]

# Emotion mix per intent when the source gives none (rows follow INTENTS, columns EMOTIONS).
DEFAULT_EMOTIONS: dict[str, dict[str, float]] = {
    "complaint": {"angry": 0.3, "frustrated": 0.45, "sad": 0.1, "neutral": 0.15},
    "question": {"frustrated": 0.2, "neutral": 0.75, "happy": 0.05},
    "praise": {"happy": 1.0},
    "noise": {"neutral": 0.8, "happy": 0.2},
    "purchase_intent": {"neutral": 0.5, "happy": 0.5},
    "hidden_help": {"neutral": 1.0},
    "legal_threat": {"angry": 0.8, "frustrated": 0.2},
    "safety": {"angry": 0.3, "frustrated": 0.2, "sad": 0.2, "neutral": 0.3},
    "security": {"neutral": 0.6, "happy": 0.2, "angry": 0.2},
    "media_inquiry": {"neutral": 1.0},
}
# Intents whose emotion never follows the source mix: praise is happy, hidden help reads neutral.
FIXED_EMOTION = {"praise": "happy", "hidden_help": "neutral", "media_inquiry": "neutral"}
# Only these intents take a source's emotions mix; the rest keep DEFAULT_EMOTIONS.
MOOD_INTENTS = frozenset({"complaint", "question", "legal_threat", "safety", "security"})
_POST, _MESSAGE, _REPOST = (KINDS.index(k) for k in ("post", "message", "repost"))
_COMPLAINT = INTENTS.index("complaint")
_PRIVATE = np.array([c in PRIVATE_CHANNELS for c in CHANNELS])
_ESCALATE = np.array([EMOTIONS.index(EMOTION_ESCALATION[e]) for e in EMOTIONS], dtype=np.int8)


def _cdf(mix: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    p = np.array([mix.get(n, 0.0) for n in names], dtype=float)
    c = np.cumsum(p / p.sum())
    c[-1] = 1.0
    return c


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.searchsorted(cdf, u, side="right").astype(np.int8)


@dataclass(frozen=True)
class Source:
    """Where exogenous posts come from: their incident and their mixes."""

    incident: int  # -1 baseline
    intent_cdf: np.ndarray
    emotion_cdf: np.ndarray  # (len(INTENTS), len(EMOTIONS)) cumulative rows
    channel_cdf: np.ndarray
    cascade: CascadeModel | None

    def emotions(self, rng: np.random.Generator, intent: np.ndarray) -> np.ndarray:
        u = rng.random(len(intent))
        return (u[:, None] >= self.emotion_cdf[intent]).sum(axis=1).astype(np.int8)


@dataclass
class Batch:
    """Rows of posts sorted by ``t``; ``parent``/``root`` are rows of this batch (-1 none)."""

    t: np.ndarray
    author: np.ndarray
    channel: np.ndarray
    kind: np.ndarray
    intent: np.ndarray
    emotion: np.ndarray
    incident: np.ndarray
    parent: np.ndarray
    root: np.ndarray
    journey: np.ndarray
    prev_row: np.ndarray  # row in ``prev`` of the journey post this one follows, -1 none
    followers: np.ndarray
    segment: np.ndarray
    customer: np.ndarray
    routes: tuple[str, ...] = ()
    route: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    tier: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    respond: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    respond_within_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    prev: Batch | None = None
    source: Source | None = None

    def __len__(self) -> int:
        return len(self.t)


class BatchMaker:
    """Builds labelled batches for one run (holds the run's sources and journey settings)."""

    def __init__(
        self, scenario: Scenario, audience: Audience, rng: np.random.Generator, auto: bool
    ) -> None:
        self.scenario, self.audience, self.rng, self.auto = scenario, audience, rng, auto
        self.end = scenario.duration
        self.channel_cdf = _cdf(scenario.channels, CHANNELS)
        base = scenario.baseline
        self.baseline_source = self._source(-1, base.intents, base.emotions, None)
        self._incident_sources: dict[tuple[int, int], Source] = {}
        j = scenario.journeys
        self.path = [CHANNELS.index(c) for c in j.path] if j else []
        self.patience = j.patience.distribution if j else None
        self.journey_share = j.share if j else 0.0
        # next channel of the path per channel code, -1 at the end of the path
        self.next_channel = np.full(len(CHANNELS), -1, dtype=np.int64)
        for code in range(len(CHANNELS)):
            if code in self.path:
                pos = self.path.index(code)
                self.next_channel[code] = self.path[pos + 1] if pos + 1 < len(self.path) else -1
            elif self.path:
                self.next_channel[code] = self.path[0]
        self.policy = CompiledPolicy(scenario.policy, scenario.incident_ids)
        self.routes: tuple[str, ...] = self.policy.routes  # type: ignore[attr-defined]

    def _source(
        self,
        incident: int,
        intents: dict[str, float],
        emotions: dict[str, float] | None,
        channels: dict[str, float] | None,
        cascade: CascadeModel | None = None,
    ) -> Source:
        rows = []
        for name in INTENTS:
            if name in FIXED_EMOTION:
                mix = {FIXED_EMOTION[name]: 1.0}
            else:
                use_source = emotions is not None and name in MOOD_INTENTS
                mix = emotions if use_source and emotions else DEFAULT_EMOTIONS[name]
            rows.append(_cdf(mix, EMOTIONS))
        ch = _cdf(channels, CHANNELS) if channels else self.channel_cdf
        return Source(incident, _cdf(intents, INTENTS), np.array(rows), ch, cascade)

    def incident_source(self, i: int, wave: int) -> Source:
        """The source of incident ``i``'s trigger (wave -1) or of one of its waves."""
        key = (i, wave)
        if key not in self._incident_sources:
            inc = self.scenario.incidents[i]
            cascade = None
            if inc.cascade is not None and inc.cascade.branching > 0:
                cs = inc.cascade
                cascade = CascadeModel(
                    cs.branching,
                    cs.kernel.distribution,
                    self.audience.influence_weights(cs.influence),
                    np.array([cs.kinds.get(k, 0.0) for k in KINDS]),
                )
            intents = inc.intents
            if wave >= 0 and inc.waves[wave].intents is not None:
                intents = inc.waves[wave].intents or intents
            self._incident_sources[key] = self._source(
                i, intents, inc.emotions, inc.channels, cascade
            )
        return self._incident_sources[key]

    def from_source(self, source: Source, times: np.ndarray) -> list[Batch]:
        """Fresh exogenous posts at ``times`` (sorted), their cascades and follow-ups."""
        rng, n = self.rng, len(times)
        author = self.audience.sample(rng, n)
        channel = _draw(source.channel_cdf, rng.random(n))
        intent = _draw(source.intent_cdf, rng.random(n))
        emotion = source.emotions(rng, intent)
        journey = np.full(n, -1, dtype=np.int8)
        if self.path:
            on = (intent == _COMPLAINT) & (self.audience.customer[author] >= 0)
            on &= rng.random(n) < self.journey_share
            journey[on] = 0
        return self._build(source, times, author, channel, intent, emotion, journey, None, None)

    def next_channel_of(self, batch: Batch, row: int) -> int | None:
        """The channel a journey post's customer moves to next, or None."""
        if not self.path or batch.journey[row] < 0:
            return None
        nxt = int(self.next_channel[batch.channel[row]])
        return nxt if nxt >= 0 else None

    def follow_ups(
        self,
        batch: Batch,
        rows: np.ndarray,
        delays: np.ndarray,
        now: float | None = None,
    ) -> list[Batch]:
        """Journey follow-ups of ``batch`` rows after ``delays`` (or at ``now``)."""
        nxt = self.next_channel[batch.channel[rows]]
        keep = (nxt >= 0) & (batch.journey[rows] >= 0)
        if not keep.any():
            return []
        rows, delays, channel = rows[keep], delays[keep], nxt[keep].astype(np.int8)
        t = np.full(len(rows), now) if now is not None else batch.t[rows] + delays
        inside = t < self.end
        if not inside.any():
            return []
        order = np.argsort(t[inside], kind="stable")
        rows, t, channel = rows[inside][order], t[inside][order], channel[inside][order]
        assert batch.source is not None
        return self._build(
            batch.source,
            t,
            batch.author[rows],
            channel,
            batch.intent[rows],
            _ESCALATE[batch.emotion[rows]],
            (batch.journey[rows] + 1).astype(np.int8),
            batch,
            rows,
        )

    def _build(
        self,
        source: Source,
        t: np.ndarray,
        author: np.ndarray,
        channel: np.ndarray,
        intent: np.ndarray,
        emotion: np.ndarray,
        journey: np.ndarray,
        prev: Batch | None,
        prev_rows: np.ndarray | None,
    ) -> list[Batch]:
        rng, n = self.rng, len(t)
        private = _PRIVATE[channel]
        kind = np.where(private, _MESSAGE, _POST).astype(np.int8)
        root = np.arange(n)
        parent = np.full(n, -1, dtype=np.int64)
        prev_row = np.full(n, -1, dtype=np.int64) if prev_rows is None else prev_rows.copy()
        cols = {
            "t": t,
            "author": author,
            "channel": channel,
            "kind": kind,
            "intent": intent,
            "emotion": emotion,
            "parent": parent,
            "root": root,
            "journey": journey,
            "prev_row": prev_row,
        }
        if source.cascade is not None:
            kids = grow(source.cascade, rng, t, author, ~private, self.end, self.audience.sample)
            m = len(kids.t)
            if m:
                k_intent = _draw(source.intent_cdf, rng.random(m))
                k_emotion = source.emotions(rng, k_intent)
                par = kids.parent
                # a repost carries its parent's intent and emotion; parents precede children
                full_intent = np.concatenate([intent, k_intent])
                full_emotion = np.concatenate([emotion, k_emotion])
                for _ in range(64):
                    rep = kids.kind == _REPOST
                    src_i, src_e = full_intent[par[rep]], full_emotion[par[rep]]
                    if np.array_equal(full_intent[n:][rep], src_i) and np.array_equal(
                        full_emotion[n:][rep], src_e
                    ):
                        break
                    full_intent[n:][rep], full_emotion[n:][rep] = src_i, src_e
                cols = {
                    "t": np.concatenate([t, kids.t]),
                    "author": np.concatenate([author, kids.author]),
                    "channel": np.concatenate([channel, channel[kids.root]]),
                    "kind": np.concatenate([kind, kids.kind]),
                    "intent": full_intent,
                    "emotion": full_emotion,
                    "parent": np.concatenate([parent, par]),
                    "root": np.concatenate([root, kids.root]),
                    "journey": np.concatenate([journey, np.full(m, -1, dtype=np.int8)]),
                    "prev_row": np.concatenate([prev_row, np.full(m, -1, dtype=np.int64)]),
                }
                order = np.argsort(cols["t"], kind="stable")
                rank = np.empty_like(order)
                rank[order] = np.arange(len(order))
                cols = {k: v[order] for k, v in cols.items()}
                for key in ("parent", "root"):
                    linked = cols[key] >= 0
                    cols[key][linked] = rank[cols[key][linked]]
        batch = self._label(cols, source, prev)
        out = [batch]
        if self.auto and self.patience is not None:
            rows = np.flatnonzero(batch.journey >= 0)
            if rows.size:
                delays = self.patience.sample(rng, rows.size)
                out.extend(self.follow_ups(batch, rows, delays))
        return out

    def _label(self, cols: dict[str, np.ndarray], source: Source, prev: Batch | None) -> Batch:
        aud = self.audience
        author = cols["author"]
        n = len(author)
        incident = np.full(n, source.incident, dtype=np.int16)
        exp = self.policy.apply(
            intent=cols["intent"],
            emotion=cols["emotion"],
            channel=cols["channel"],
            kind=cols["kind"],
            segment=aud.segment[author],
            followers=aud.followers[author],
            incident=incident,
        )
        return Batch(
            **cols,
            incident=incident,
            followers=aud.followers[author],
            segment=aud.segment[author],
            customer=aud.customer[author],
            routes=exp.routes,
            route=exp.route,
            tier=exp.tier,
            priority=exp.priority,
            respond=exp.respond,
            respond_within_s=exp.respond_within_s,
            index=np.full(n, -1, dtype=np.int64),
            prev=prev,
            source=source,
        )
