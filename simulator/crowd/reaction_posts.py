"""New posts made by reactions: answer-backs and backlash cascades, labelled and rendered.

``PostMaker`` builds the columns of posts the reaction engine adds (``simulator.crowd.reactions``):
an answer-back (the answered customer posts again in the thread: a question, a thank-you or
"still broken") and a backlash (a wrongly handled critical post's author, angrier, with a
cascade from the incident's kernel whose branching is multiplied by ``amplify``). Labels come
from the scenario's policy (the same matcher as every other post), authors of cascade
children from the scenario's audience (rebuilt from the seed, as the crowd built it), text
from ``simulator.crowd.content.render_texts`` in the brand's industry pack. Every draw uses the
generator it is handed (keyed by the engine per event and reaction kind), never a shared one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.crowd.audience import Audience, build_audience
from simulator.crowd.batch import BatchMaker, Source
from simulator.crowd.cascade import CascadeModel, grow
from simulator.crowd.content import draw_randoms, render_texts, scenario_vocabulary
from simulator.crowd.storm_table import SENTIMENT_CENTRE, SENTIMENT_SD
from simulator.scenario.models import Scenario
from simulator.scenario.vocab import CHANNELS, EMOTIONS, KINDS, PRIVATE_CHANNELS

__all__ = ["Authored", "NewRows", "PostMaker"]

MAX_BRANCHING = 0.95  # a guard; the scenario check keeps branching x amplify below 1 anyway
_REPOST = KINDS.index("repost")
_CENTRES = np.array([SENTIMENT_CENTRE[e] for e in EMOTIONS])
_PUBLIC_FALLBACK = CHANNELS.index("twitter")  # a private complaint that goes public


@dataclass(frozen=True)
class Authored:
    """Who a new root post is by and where it sits (copied from the post it reacts to)."""

    handle: str
    name: str
    followers: int
    verified: bool
    customer: int
    segment: int
    channel: int
    incident: int


@dataclass
class NewRows:
    """Columns of new posts (the root first, then its cascade in time order)."""

    t: np.ndarray
    parent: np.ndarray  # row within these rows, -1 for the root
    channel: np.ndarray
    kind: np.ndarray
    intent: np.ndarray
    emotion: np.ndarray
    sentiment: np.ndarray
    incident: np.ndarray
    handle: list[str]
    name: list[str]
    followers: np.ndarray
    verified: np.ndarray
    customer: np.ndarray
    segment: np.ndarray
    route: list[str]
    tier: np.ndarray
    priority: np.ndarray  # 0 none, 1..4
    respond: np.ndarray
    respond_within_s: np.ndarray
    randoms: np.ndarray  # what the text is rendered from (``PostMaker.render_texts``)
    text: list[str] | None = None  # None until rendered

    def __len__(self) -> int:
        return len(self.t)


class PostMaker:
    """Builds reaction posts for one scenario and seed (see the module docstring)."""

    def __init__(self, scenario: Scenario, seed: int, horizon: float) -> None:
        self.scenario, self.horizon = scenario, horizon
        self._seed = seed
        self._audience: Audience | None = None
        self._maker: BatchMaker | None = None
        self._sources: dict[int, Source] = {}
        self._vocab = scenario_vocabulary(scenario)  # the brand's industry pack

    @property
    def maker(self) -> BatchMaker:
        if self._maker is None:
            # the crowd draws its audience first from default_rng(seed): the same people
            self._audience = build_audience(self.scenario.audience,
                                            np.random.default_rng(self._seed))
            self._maker = BatchMaker(self.scenario, self._audience, np.random.default_rng(0),
                                     auto=False)
        return self._maker

    def _cascade_source(self, incident: int) -> Source | None:
        """The incident's source, or the first incident with a cascade for baseline posts."""
        incidents = self.scenario.incidents
        candidates = [incident] if incident >= 0 else []
        candidates += [i for i, inc in enumerate(incidents) if inc.cascade is not None]
        for i in candidates:
            if incidents[i].cascade is not None:
                if i not in self._sources:
                    self._sources[i] = self.maker.incident_source(i, -1)
                return self._sources[i]
        return None

    def answer_back(self, rng: np.random.Generator, who: Authored, t: float, intent: int,
                    emotion: int) -> NewRows:
        """One post by ``who`` at ``t`` in the thread (a reply, or a message in private)."""
        kind = KINDS.index("message" if CHANNELS[who.channel] in PRIVATE_CHANNELS else "reply")
        return self._finish(rng, who, np.array([t]), np.array([-1]), np.array([kind]),
                            np.array([intent]), np.array([emotion]), None)

    def backlash(self, rng: np.random.Generator, who: Authored, t: float, intent: int,
                 emotion: int, amplify: float) -> NewRows:
        """A public post by ``who`` at ``t`` and its cascade (branching x ``amplify``)."""
        channel = who.channel
        if CHANNELS[channel] in PRIVATE_CHANNELS:
            channel = _PUBLIC_FALLBACK
        who = Authored(**{**who.__dict__, "channel": channel})
        source = self._cascade_source(who.incident)
        times, parents = np.array([t]), np.array([-1])
        kinds, intents, emotions = (np.array([KINDS.index("post")]), np.array([intent]),
                                    np.array([emotion]))
        child_authors = None
        if source is not None and source.cascade is not None:
            base = source.cascade
            # the root's own weight is 1 (an average author): only its children are sampled
            model = CascadeModel(min(base.branching * amplify, MAX_BRANCHING), base.kernel,
                                 np.append(base.weights, 1.0), base.kind_probs)
            root_author = np.array([len(base.weights)])
            kids = grow(model, rng, times, root_author, np.array([True]), self.horizon,
                        self.maker.audience.sample)
            m = len(kids.t)
            if m:
                k_intent = np.searchsorted(source.intent_cdf, rng.random(m), side="right")
                k_emotion = source.emotions(rng, k_intent.astype(np.int8))
                order = np.argsort(kids.t, kind="stable")
                rank = np.empty(m, dtype=np.int64)
                rank[order] = np.arange(m) + 1
                par = np.where(kids.parent == 0, 0, rank[np.maximum(kids.parent - 1, 0)])
                times = np.concatenate([times, kids.t[order]])
                parents = np.concatenate([parents, par[order]])
                kinds = np.concatenate([kinds, kids.kind[order]])
                intents = np.concatenate([intents, k_intent[order]])
                emotions = np.concatenate([emotions, k_emotion[order]])
                # a repost carries its parent's intent and emotion (parents come first)
                for row in np.flatnonzero(kinds == _REPOST).tolist():
                    intents[row], emotions[row] = intents[parents[row]], emotions[parents[row]]
                child_authors = kids.author[order]
        return self._finish(rng, who, times, parents, kinds, intents, emotions, child_authors)

    def _finish(self, rng: np.random.Generator, who: Authored, t: np.ndarray,
                parent: np.ndarray, kind: np.ndarray, intent: np.ndarray, emotion: np.ndarray,
                child_authors: np.ndarray | None) -> NewRows:
        n = len(t)
        handle, name = [who.handle], [who.name]
        followers = np.full(n, who.followers, dtype=np.int64)
        verified = np.full(n, who.verified, dtype=bool)
        customer = np.full(n, who.customer, dtype=np.int64)
        segment = np.full(n, who.segment, dtype=np.int8)
        if child_authors is not None and len(child_authors):
            aud = self.maker.audience
            handle += aud.handles(child_authors).tolist()
            name += aud.names(child_authors).tolist()
            followers[1:] = aud.followers[child_authors]
            verified[1:] = aud.verified[child_authors]
            customer[1:] = aud.customer[child_authors]
            segment[1:] = aud.segment[child_authors]
        channel = np.full(n, who.channel, dtype=np.int8)
        incident = np.full(n, who.incident, dtype=np.int16)
        intent, emotion = intent.astype(np.int8), emotion.astype(np.int8)
        policy = self.maker.policy
        exp = policy.apply(intent=intent, emotion=emotion, channel=channel,
                           kind=kind.astype(np.int8), segment=segment, followers=followers,
                           incident=incident)
        sentiment = np.clip(_CENTRES[emotion] + rng.normal(0, SENTIMENT_SD, n), -1, 1)
        return NewRows(
            t=t.astype(np.float64), parent=parent.astype(np.int64), channel=channel,
            kind=kind.astype(np.int8), intent=intent, emotion=emotion,
            sentiment=sentiment.astype(np.float32), incident=incident, handle=handle,
            name=name, followers=followers, verified=verified, customer=customer,
            segment=segment, route=[exp.routes[r] for r in exp.route.tolist()],
            tier=exp.tier, priority=exp.priority, respond=exp.respond,
            respond_within_s=exp.respond_within_s, randoms=draw_randoms(rng, n))

    def render_texts(self, batch: list[NewRows]) -> None:
        """Fill the texts of ``batch`` in one rendering (a row at a time costs ~50x more)."""
        if not batch:
            return
        sizes = [len(rows) for rows in batch]
        starts = np.cumsum([0, *sizes[:-1]])
        parent = np.concatenate([np.where(rows.parent >= 0, rows.parent + start, -1)
                                 for rows, start in zip(batch, starts, strict=True)])
        # author i of a post's rows is its row i (``handle``/``name`` per row)
        handles = [h for rows in batch for h in rows.handle]
        names = [nm for rows in batch for nm in rows.name]
        brand = self.scenario.brand
        text = render_texts(
            intent=np.concatenate([rows.intent for rows in batch]),
            emotion=np.concatenate([rows.emotion for rows in batch]),
            channel=np.concatenate([rows.channel for rows in batch]),
            kind=np.concatenate([rows.kind for rows in batch]),
            incident=np.concatenate([rows.incident for rows in batch]),
            parent=parent, author=np.arange(len(parent)),
            handles=np.array(handles, dtype=object), names=np.array(names, dtype=object),
            customer=np.concatenate([rows.customer for rows in batch]),
            brand_name=brand.name, brand_handle=brand.handle,
            products=brand.products, brand_tags=brand.hashtags,
            topics=[i.topic for i in self.scenario.incidents],
            incident_tags=[i.hashtags for i in self.scenario.incidents],
            randoms=np.concatenate([rows.randoms for rows in batch]), vocab=self._vocab)
        for rows, start, size in zip(batch, starts.tolist(), sizes, strict=True):
            rows.text = text[start:start + size]

