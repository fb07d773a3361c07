"""The reaction engine: the scripted storm changed, per thread, by what the team does.

DESIGN.md section 14 and docs/architecture.md ("Reactions"). The scripted storm (an
``EventTable``) is what happens when nobody answers. ``ReactionEngine.on_action`` takes one
action of the stack (or of the simulated team) with its scenario time and returns a
``Change``: scripted or earlier reaction posts that are now *prevented* (never sent) and new
posts to schedule. For a post that needs an answer:

- answered in time (a reply or message before ``respond_within``): each not-yet-sent cascade
  descendant is kept with probability ``in_time.damp`` (a dropped post takes its own
  descendants with it), the customer's not-yet-sent journey follow-ups are cancelled, and
  with probability ``in_time.answer_back`` the customer posts back in the thread;
- answered late: the same with the ``late`` numbers (weaker damping, angrier answer-backs);
- silence: nothing is cancelled, so the scripted journey follow-up happens on its own time
  (``due_until`` reports those, with cause ``silence``);
- wrong handling of a p1/p2 post (answered by a lower tier or another route, escalated to
  another route, closed or ignored without an answer): with probability ``wrong.backlash`` a
  backlash post, one emotion step angrier, with its own cascade
  (``simulator.crowd.reaction_posts``).

Only the first answer or wrong handling of a post counts. Draws come from generators keyed
by (seed, reaction kind, event number[, target]) (``numpy.random.SeedSequence``), never from
arrival order: the same seed and the same actions at the same times give the same result.
New posts are numbered after the scripted ones (``ev-<n>``) in the order they are made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.crowd.audience import customer_id
from simulator.crowd.reaction_posts import Authored, NewRows, PostMaker
from simulator.runfolder.event_table import EventTable, event_id
from simulator.runfolder.records import Author, Event, Expected
from simulator.scenario.models import Scenario
from simulator.scenario.reactions_spec import ANSWER_BACK_KINDS, Reactions
from simulator.scenario.vocab import (
    CHANNELS,
    EMOTION_ESCALATION,
    EMOTIONS,
    INTENTS,
    KINDS,
    PRIORITIES,
    SEGMENTS,
)

__all__ = ["Change", "NewPost", "ReactionEngine", "effective_reactions"]

ANSWERS = frozenset({"reply", "message"})
CLOSING = frozenset({"close", "ignore"})
CRITICAL = (1, 2)  # p1, p2
# reaction kinds: part of every draw's key
DAMP, ANSWER_BACK, BACKLASH = 1, 2, 3
_ESCALATE = [EMOTIONS.index(EMOTION_ESCALATION[e]) for e in EMOTIONS]
_HAPPY, _NEUTRAL = EMOTIONS.index("happy"), EMOTIONS.index("neutral")
_FRUSTRATED = EMOTIONS.index("frustrated")
_BACK_KINDS = tuple(ANSWER_BACK_KINDS)


def effective_reactions(scenario: Scenario) -> Reactions:
    """The scenario's ``reactions:`` section, or the documented defaults when it has none."""
    if scenario.reactions is not None:
        return scenario.reactions
    from simulator.scenario.reactions_spec import AnswerEffect

    return Reactions(in_time=AnswerEffect(damp=0.3, answer_back=0.3))


@dataclass(frozen=True)
class NewPost:
    """A post the reactions added: its number, intended time and section 5 event (+ cause)."""

    index: int
    t: float
    event: dict[str, Any]


@dataclass
class Change:
    """What one action (or silence) changed: posts prevented now and posts added."""

    cancel: list[int] = field(default_factory=list)
    add: list[NewPost] = field(default_factory=list)


class ReactionEngine:
    """One storm's reactions; feed it actions in any order of arrival (see module docstring).

    ``table`` is the scripted storm; ``horizon`` (default: the scenario's duration) is the
    time after which no new post is made.
    """

    def __init__(self, scenario: Scenario, table: EventTable, seed: int | None = None,
                 horizon: float | None = None) -> None:
        self.spec = effective_reactions(scenario)
        self.seed = int(scenario.seed if seed is None else seed)
        self.horizon = float(scenario.duration if horizon is None else horizon)
        self.posts = PostMaker(scenario, self.seed, self.horizon)
        self.n_scripted = n = len(table)
        self.routes = table.routes
        self.t: list[float] = table.t.tolist()
        self.thread: list[int] = table.thread.tolist()
        self.respond: list[bool] = table.respond.tolist()
        self.within: list[float] = table.respond_within_s.tolist()
        self.priority: list[int] = table.priority.tolist()
        self.route: list[str | None] = [table.routes[r] if r >= 0 else None
                                        for r in table.route.tolist()]
        self.tier: list[int] = table.tier.tolist()
        self._table = table
        self._extra: dict[int, dict[str, Any]] = {}  # per reaction post: author and codes
        # children: scripted ones in CSR form, reaction ones in a dict
        parent = table.parent
        has = np.flatnonzero(parent >= 0)
        order = has[np.argsort(parent[has], kind="stable")]
        self._kids = order.tolist()
        self._kid_start = np.searchsorted(parent[order], np.arange(n + 1)).tolist()
        self._dyn_kids: dict[int, list[int]] = {}
        nxt = [-1] * n
        for j in np.flatnonzero(table.follows >= 0).tolist():
            nxt[int(table.follows[j])] = j
        self.next_follow = nxt
        self._followups = np.flatnonzero(table.follows >= 0)  # scripted rows, time order
        self._silence_pos = 0
        self.settled: set[int] = set()  # posts answered or wrongly handled (first counts)
        self.prevented_by: dict[int, dict[str, Any]] = {}
        self.cause: dict[int, dict[str, Any]] = {}
        self.added: list[NewPost] = []
        self._untexted: list[tuple[NewRows, list[dict[str, Any]]]] = []  # (rows, their events)
        self.counts = {"answered_in_time": 0, "answered_late": 0, "wrong": 0,
                       "answer_backs": 0, "backlash": 0, "backlash_cascade": 0}

    # -- lookups ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.t)

    def index_of(self, ev_id: object) -> int | None:
        """The post number of ``ev-<n>``, or None when it names no post of this storm."""
        if not isinstance(ev_id, str) or not ev_id.startswith("ev-"):
            return None
        digits = ev_id[3:]
        if not digits.isdigit():
            return None
        i = int(digits)
        return i if i < len(self.t) else None

    def children(self, i: int) -> list[int]:
        if i < self.n_scripted:
            return self._kids[self._kid_start[i]:self._kid_start[i + 1]]
        return self._dyn_kids.get(i, [])

    def kind_of(self, i: int) -> str:
        """The post's kind (``message`` for email, chat, sms and DMs)."""
        if i < self.n_scripted:
            return KINDS[int(self._table.kind[i])]
        return self._extra[i]["kind"]

    def is_prevented(self, i: int) -> bool:
        return i in self.prevented_by

    # -- actions ---------------------------------------------------------------------------
    def on_action(self, ev_id: object, action: str, at: float, route: str | None = None,
                  tier: int | None = None, reply_id: str | None = None) -> Change:
        """Apply one action at scenario time ``at``; returns what it prevented and added."""
        change = Change()
        i = self.index_of(ev_id)
        if i is None or i in self.settled or i in self.prevented_by or not self.respond[i]:
            return change
        if self._wrong(i, action, route, tier):
            self.settled.add(i)
            self.counts["wrong"] += 1
            self._backlash(i, action, at, change)
            return change
        if action not in ANSWERS:
            return change
        self.settled.add(i)
        within = self.within[i]
        late = within == within and at - self.t[i] > within
        self.counts["answered_late" if late else "answered_in_time"] += 1
        effect = self.spec.late if late else self.spec.in_time
        by = {"event_id": event_id(i), "action": action, "at": round(float(at), 3),
              "late": bool(late)}
        self._damp(i, at, effect.damp, by, change)
        follow = self.next_follow[i] if i < self.n_scripted else -1
        while follow >= 0 and self.t[follow] <= at:  # already posted: the next step may not be
            follow = self.next_follow[follow]
        if follow >= 0:
            self._prevent(follow, by, change)
        self._answer_back(i, action, at, late, reply_id, change)
        return change

    def _wrong(self, i: int, action: str, route: str | None, tier: int | None) -> bool:
        if self.priority[i] not in CRITICAL:
            return False
        expected_route, expected_tier = self.route[i], self.tier[i]
        if action in ANSWERS:
            return ((tier is not None and tier < expected_tier)
                    or (route is not None and route != expected_route))
        if action == "escalate":
            return route is not None and route != expected_route
        return action in CLOSING

    def _rng(self, kind: int, *keys: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, kind, *keys]))

    def _damp(self, i: int, at: float, keep: float, by: dict[str, Any], change: Change) -> None:
        """Thin the not-yet-sent descendants of ``i``: each kept with probability ``keep``."""
        stack = list(reversed(self.children(i)))
        if keep >= 1.0 or not stack:
            return
        rng = self._rng(DAMP, i)  # made only when there is something to draw for (~10 us)
        while stack:
            c = stack.pop()
            if c in self.prevented_by:
                continue
            if self.t[c] > at and rng.random() >= keep:
                self._prevent(c, by, change)
                continue
            stack.extend(reversed(self.children(c)))

    def _prevent(self, i: int, by: dict[str, Any], change: Change) -> None:
        """Prevent ``i``, its descendants and its later journey follow-ups."""
        stack = [i]
        while stack:
            c = stack.pop()
            if c in self.prevented_by:
                continue
            self.prevented_by[c] = by
            change.cancel.append(c)
            stack.extend(self.children(c))
            if c < self.n_scripted and self.next_follow[c] >= 0:
                stack.append(self.next_follow[c])

    def _who(self, i: int) -> Authored:
        if i >= self.n_scripted:
            return Authored(**self._extra[i]["who"])
        tb = self._table
        author = tb.author
        hp, np_ = tb.pool("handle"), tb.pool("name")
        if author is not None and hp is not None and np_ is not None:
            handle, name = str(hp[author[i]]), str(np_[author[i]])
        else:
            handle, name = tb.handle[i], tb.name[i]
        return Authored(handle=handle, name=name, followers=int(tb.followers[i]),
                        verified=bool(tb.verified[i]), customer=int(tb.customer[i]),
                        segment=int(tb.segment[i]), channel=int(tb.channel[i]),
                        incident=int(tb.incident[i]))

    def _codes(self, i: int) -> tuple[int, int]:
        if i >= self.n_scripted:
            return self._extra[i]["intent"], self._extra[i]["emotion"]
        return int(self._table.intent[i]), int(self._table.emotion[i])

    def _answer_back(self, i: int, action: str, at: float, late: bool, reply_id: str | None,
                     change: Change) -> None:
        effect = self.spec.late if late else self.spec.in_time
        rng = self._rng(ANSWER_BACK, i)
        if rng.random() >= effect.answer_back:
            return
        names = [k for k in _BACK_KINDS if k in effect.mix]
        kind = names[int(np.searchsorted(np.cumsum([effect.mix[k] for k in names]),
                                         rng.random(), side="right").clip(0, len(names) - 1))]
        t = at + float(self.spec.answer_back_delay.distribution.sample(rng, 1)[0])
        if t >= self.horizon:
            return
        _, emotion = self._codes(i)
        mood = {"thanks": _HAPPY, "question": _FRUSTRATED if late else _NEUTRAL,
                "still_broken": _ESCALATE[emotion] if late else _FRUSTRATED}[kind]
        rows = self.posts.answer_back(rng, self._who(i), t, INTENTS.index(ANSWER_BACK_KINDS[kind]),
                                      mood)
        cause = {"event_id": event_id(i), "action": action, "at": round(float(at), 3),
                 "reaction": f"answer_back:{kind}"}
        if reply_id:
            cause["in_reply_to"] = reply_id
        self.counts["answer_backs"] += 1
        self._add(rows, i, cause, change)

    def _backlash(self, i: int, action: str, at: float, change: Change) -> None:
        wrong = self.spec.wrong
        rng = self._rng(BACKLASH, i)
        if rng.random() >= wrong.backlash:
            return
        t = at + float(wrong.delay.distribution.sample(rng, 1)[0])
        if t >= self.horizon:
            return
        intent, emotion = self._codes(i)
        rows = self.posts.backlash(rng, self._who(i), t, intent, _ESCALATE[emotion],
                                   wrong.amplify)
        cause = {"event_id": event_id(i), "action": action, "at": round(float(at), 3),
                 "reaction": "backlash"}
        self.counts["backlash"] += 1
        self.counts["backlash_cascade"] += len(rows) - 1
        self._add(rows, i, cause, change)

    def render_texts(self) -> None:
        """Write the texts of the posts added since the last call, rendered in one batch.

        Call it before reading a new post's ``text``: until then it is ``""``.
        """
        batch, self._untexted = self._untexted, []
        self.posts.render_texts([rows for rows, _ in batch])
        for rows, events in batch:
            assert rows.text is not None
            for event, text in zip(events, rows.text, strict=True):
                event["text"] = text

    def _add(self, rows: NewRows, parent: int, cause: dict[str, Any], change: Change) -> None:
        first = len(self.t)
        events: list[dict[str, Any]] = []
        self._untexted.append((rows, events))
        thread = self.thread[parent]
        for r in range(len(rows)):
            idx = first + r
            t = round(float(rows.t[r]), 3)  # as events.jsonl says: the intended send time
            p = parent if rows.parent[r] < 0 else first + int(rows.parent[r])
            self._dyn_kids.setdefault(p, []).append(idx)
            self.t.append(t)
            self.thread.append(thread)
            self.respond.append(bool(rows.respond[r]))
            self.within.append(float(rows.respond_within_s[r]))
            self.priority.append(int(rows.priority[r]))
            self.route.append(rows.route[r])
            self.tier.append(int(rows.tier[r]))
            who = {"handle": rows.handle[r], "name": rows.name[r],
                   "followers": int(rows.followers[r]), "verified": bool(rows.verified[r]),
                   "customer": int(rows.customer[r]), "segment": int(rows.segment[r]),
                   "channel": int(rows.channel[r]), "incident": int(rows.incident[r])}
            self._extra[idx] = {"who": who, "intent": int(rows.intent[r]),
                                "emotion": int(rows.emotion[r]),
                                "kind": KINDS[int(rows.kind[r])]}
            row_cause = cause if r == 0 else {**cause, "reaction": cause["reaction"] + "-cascade"}
            self.cause[idx] = row_cause
            post = NewPost(idx, t, self._event(rows, r, idx, p, thread, row_cause))
            events.append(post.event)
            self.added.append(post)
            change.add.append(post)

    def _event(self, rows: NewRows, r: int, idx: int, parent: int, thread: int,
               cause: dict[str, Any]) -> dict[str, Any]:
        prio = int(rows.priority[r])
        within = float(rows.respond_within_s[r])
        inc = int(rows.incident[r])
        return Event(
            id=event_id(idx), t=float(rows.t[r]), channel=CHANNELS[int(rows.channel[r])],
            kind=KINDS[int(rows.kind[r])], parent=event_id(parent), thread=f"th-{thread:07d}",
            author=Author(handle=rows.handle[r], name=rows.name[r],
                          followers=int(rows.followers[r]), verified=bool(rows.verified[r]),
                          customer_id=customer_id(int(rows.customer[r])),
                          segment=SEGMENTS[int(rows.segment[r])]),
            text="",  # until ``render_texts``
            incident=self.posts.scenario.incidents[inc].id if inc >= 0 else None,
            intent=INTENTS[int(rows.intent[r])], emotion=EMOTIONS[int(rows.emotion[r])],
            sentiment=float(rows.sentiment[r]),
            expected=Expected(route=rows.route[r], tier=int(rows.tier[r]),
                              priority=PRIORITIES[prio - 1] if prio else None,
                              respond=bool(rows.respond[r]),
                              respond_within_s=within if within == within else None),
            cause=cause,
            # an answer-back replies to the stack's own reply when the platform knows its id
            in_reply_to=cause.get("in_reply_to"),
        ).as_dict()

    # -- silence -------------------------------------------------------------------------
    def due_until(self, t: float) -> list[int]:
        """Scripted journey follow-ups due by ``t`` and not prevented: silence let them happen.

        Each is returned once (calls must come with non-decreasing ``t``) and gets
        ``cause = {"event_id": <the post it follows>, "action": "silence"}``.
        """
        out = []
        rows = self._followups
        while self._silence_pos < len(rows) and self.t[int(rows[self._silence_pos])] <= t:
            j = int(rows[self._silence_pos])
            self._silence_pos += 1
            if j in self.prevented_by:
                continue
            prev = int(self._table.follows[j])
            self.cause[j] = {"event_id": event_id(prev), "action": "silence",
                             "at": round(self.t[prev] + 0.0, 3)}
            out.append(j)
        return out

    def summary(self) -> dict[str, Any]:
        """Counts for results: scripted, reactions, prevented and what caused them."""
        prevented_scripted = sum(1 for i in self.prevented_by if i < self.n_scripted)
        return {"scripted": self.n_scripted, "reactions": len(self.added),
                "prevented": len(self.prevented_by),
                "prevented_scripted": prevented_scripted,
                "prevented_reactions": len(self.prevented_by) - prevented_scripted,
                "silence_follow_ups": sum(1 for c in self.cause.values()
                                          if c.get("action") == "silence"),
                **self.counts}

