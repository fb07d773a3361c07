"""Fair training scores: what the stack's triage decided, apart from what each trainee decided.

The reference stack's automatic triage routes every post before a human sees it; a trainee
then answers, takes it private, routes it elsewhere or closes it. A trainee is scored only
on their own decisions, over the delivered posts they acted on:
- *routed*: the posts they sent to a route and tier (their last ``escalate`` on the post);
  right when both match the policy's route and tier;
- *closed as no action*: the posts they closed with no answer sent by anyone; right when
  the policy says the post needs no answer;
- *answered in time*: the posts they answered first, within ``respond_within``;
- *taken private*: of the posts they answered where the take-private rule applies
  (``PrivateRule``), the share they answered by private message;
- *critical misses*: p1 posts they handled last (their action was the final one naming an
  agent) that did not reach their route at their tier or above; a trainee who answers a
  misrouted critical post without routing it on owns that miss.
Replying to a post triage misrouted, without routing it, is no routing decision: the
misroute is the triage's, counted in ``triage_card``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reports.escalation import Correctness
from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.stats import ratio
from simulator.runfolder import NO_ROUTE
from simulator.scenario.vocab import PRIVATE_CHANNELS

__all__ = ["DEFAULT_PRIVATE", "PrivateRule", "TrainingDecisions", "decisions", "trainee_card",
           "triage_card"]

TRIAGE = "triage"
EXAMPLES = 5
TEXT_CHARS = 280


@dataclass(frozen=True)
class PrivateRule:
    """Public posts that should be taken private: by expected route or by (labelled) intent."""

    routes: tuple[str, ...] = ("legal", "security")
    intents: tuple[str, ...] = ("complaint", "hidden_help")

    @classmethod
    def from_json(cls, data: Any) -> PrivateRule:
        """From live.json's ``take_private`` (``{"routes": [...], "intents": [...]}``)."""
        if not isinstance(data, dict):
            return DEFAULT_PRIVATE
        return cls(tuple(data.get("routes") or ()), tuple(data.get("intents") or ()))

    def applies(self, run: RunData) -> np.ndarray:
        """Per event: the rule asks for a private answer."""
        ev = run.events
        public = ~np.isin(ev.channel.values(), list(PRIVATE_CHANNELS))
        by_route = np.isin(ev.route.values(), list(self.routes))
        by_intent = np.isin(ev.intent.values(), list(self.intents))
        return public & ev.respond & (by_route | by_intent)


DEFAULT_PRIVATE = PrivateRule()


@dataclass(frozen=True)
class TrainingDecisions:
    """Per action: which decisions were whose; per event: triage's own verdict."""

    routed_by: dict[int, np.ndarray]  # agent code -> events whose last route was theirs
    routed_right: dict[int, np.ndarray]
    closed_by: dict[int, np.ndarray]  # agent code -> events they closed with no answer
    private_by: dict[int, np.ndarray]  # agent code -> events they messaged privately
    answered_by: dict[int, np.ndarray]  # agent code -> events they answered at all
    triage_route: np.ndarray  # per event: triage's route code into out.route_labels, or -1
    triage_tier: np.ndarray
    handed_off: np.ndarray  # per event: the last action naming an agent was a route/escalate


def _codes(run: RunData, name: str) -> np.ndarray:
    return run.actions.action.codes == run.actions.action.index(name)


def _first_per_event(events: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(event, action index) of the first of ``idx`` (action indices, ascending) per event."""
    uniq, first = np.unique(events[idx], return_index=True)
    return uniq, idx[first]


def _events_of(run: RunData, sel: np.ndarray, code: int) -> np.ndarray:
    acts = run.actions
    mine = sel & (acts.agent.codes == code) & (acts.event >= 0)
    return np.unique(acts.event[mine])


def decisions(run: RunData, out: Outcomes, agent_codes: list[int]) -> TrainingDecisions:
    """Split the actions into triage's decisions and each listed agent's own decisions."""
    acts, ev = run.actions, run.events
    n = len(ev)
    matched = acts.event >= 0
    escalate, close = _codes(run, "escalate"), _codes(run, "close")
    message = _codes(run, "message")
    answer = _codes(run, "reply") | message
    lut = {name: i for i, name in enumerate(out.route_labels)}
    route_codes = np.array([lut.get(r or NO_ROUTE, -1) for r in acts.route.names] + [-1],
                           dtype=np.int64)
    # Triage: the first triage action per event (its route and tier).
    triage_route, triage_tier = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    k, a = _first_per_event(acts.event, np.flatnonzero(_codes(run, TRIAGE) & matched))
    triage_route[k] = route_codes[acts.route.codes[a]]
    triage_tier[k] = np.maximum(acts.tier[a], 0)
    # The last escalate per event decides its route: whose was it?
    last_route = np.full(n, -1, dtype=np.int64)
    esc = np.flatnonzero(escalate & matched)[::-1]
    k, a = _first_per_event(acts.event, esc)
    last_route[k] = a
    first_answer_at = np.full(n, np.inf)
    k, a = _first_per_event(acts.event, np.flatnonzero(answer & matched))
    first_answer_at[k] = acts.at[a]
    named = np.flatnonzero(matched & (acts.agent.codes != acts.agent.index("")))[::-1]
    k, a = _first_per_event(acts.event, named)
    handed_off = np.zeros(n, dtype=bool)
    handed_off[k] = escalate[a]
    routed_by, routed_right, closed_by, private_by, answered_by = {}, {}, {}, {}, {}
    exp_tier = ev.tier
    for code in agent_codes:
        mine = last_route >= 0
        mine[mine] = acts.agent.codes[last_route[mine]] == code
        k = np.flatnonzero(mine)
        a = last_route[k]
        right = ((route_codes[acts.route.codes[a]] == out.expected_route[k])
                 & (acts.tier[a] == exp_tier[k]))
        routed_by[code], routed_right[code] = k, k[right]
        closes = np.flatnonzero(close & matched & (acts.agent.codes == code))
        no_answer = acts.at[closes] < first_answer_at[acts.event[closes]]
        closed_by[code] = np.unique(acts.event[closes[no_answer]])
        private_by[code] = _events_of(run, message, code)
        answered_by[code] = _events_of(run, answer, code)
    return TrainingDecisions(routed_by, routed_right, closed_by, private_by, answered_by,
                             triage_route, triage_tier, handed_off)


def trainee_card(run: RunData, out: Outcomes, verdict: Correctness, d: TrainingDecisions,
                 code: int, rule: PrivateRule) -> dict[str, Any]:
    """One trainee's own decisions (see the module docstring), delivered posts only."""
    ev = run.events
    delivered = out.delivered
    routed = d.routed_by[code][delivered[d.routed_by[code]]]
    routed_right = d.routed_right[code][delivered[d.routed_right[code]]]
    closed = d.closed_by[code][delivered[d.closed_by[code]]]
    closed_right = closed[~ev.respond[closed]]
    answered = d.answered_by[code][delivered[d.answered_by[code]]]
    private_due = answered[rule.applies(run)[answered]]
    private_met = np.intersect1d(private_due, d.private_by[code])
    first = (out.responder == code) & ev.respond & ~np.isnan(ev.respond_within_s) & delivered
    in_time = first & (out.first_response_s <= ev.respond_within_s)
    misses = np.flatnonzero((out.handler == code) & verdict.critical & ~verdict.reached
                            & delivered)
    wrong_routes = np.setdiff1d(routed, routed_right)
    return {
        "routed": int(routed.size), "routed_right": int(routed_right.size),
        "routing_accuracy": ratio(int(routed_right.size), int(routed.size)) if routed.size
        else None,
        "routed_wrong_posts": [_post(run, out, int(k)) for k in wrong_routes[:EXAMPLES]],
        "closed_no_action": int(closed.size), "closed_no_action_right": int(closed_right.size),
        "sla_due": int(first.sum()), "sla_met": int(in_time.sum()),
        "sla_attainment": ratio(int(in_time.sum()), int(first.sum())) if first.any() else None,
        "private_due": int(private_due.size), "private_met": int(private_met.size),
        "critical_misses": int(misses.size),
        "critical_missed_posts": [{"event_id": ev.ids[k], "text": str(ev.text[k])[:TEXT_CHARS]}
                                  for k in misses.tolist()],
    }


def _post(run: RunData, out: Outcomes, k: int) -> dict[str, Any]:
    ev = run.events
    return {"event_id": ev.ids[k], "text": str(ev.text[k])[:TEXT_CHARS],
            "expected": f"{out.route_labels[out.expected_route[k]]}/{int(ev.tier[k])}"}


def triage_card(run: RunData, out: Outcomes, verdict: Correctness, d: TrainingDecisions,
                trainee_codes: list[int]) -> dict[str, Any]:
    """The stack's automatic triage on its own: its first route and tier per delivered post."""
    ev = run.events
    seen = out.delivered & (d.triage_route >= 0)
    route_ok = seen & (d.triage_route == out.expected_route)
    none = out.route_labels.index(NO_ROUTE)
    exact = route_ok & ((out.expected_route == none) | (d.triage_tier == ev.tier))
    critical = seen & verdict.critical
    reached = critical & route_ok & (d.triage_tier >= ev.tier)
    wrong = np.flatnonzero(seen & ev.respond & ~exact)
    corrected = np.concatenate([d.routed_right[c] for c in trainee_codes] or [np.zeros(0, int)])
    corrected = np.intersect1d(corrected, wrong)
    return {
        "posts": int(seen.sum()), "route_right": int(route_ok.sum()),
        "route_accuracy": ratio(int(route_ok.sum()), int(seen.sum())) if seen.any() else None,
        "exact_right": int(exact.sum()),
        "critical": int(critical.sum()), "critical_reached": int(reached.sum()),
        "misrouted_needing_answer": int(wrong.size),
        "corrected_by_trainees": int(corrected.size),
        "misrouted_posts": [{**_post(run, out, int(k)),
                             "triage": f"{out.route_labels[d.triage_route[k]]}/"
                                       f"{int(d.triage_tier[k])}"}
                            for k in wrong[:EXAMPLES].tolist()],
    }
