"""Per-event outcomes of a run: first response, final triage decision, escalation time.

Everything downstream (latency, escalation, staffing, agents, sentiment) works on the
``Outcomes`` arrays computed here once, aligned with the events. The stack's decision
for an event is the last route, the last tier and the last priority it stated in a
triage, escalate or ignore action (each field independently, so an escalate that names
only a tier keeps the earlier route). An event the stack never triaged is routed
``none`` at tier 0 and has ``route_stated`` False: escalation is scored only where the stack
expressed a route (reports/scope.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reports.run_data import RunData
from simulator.runfolder import NO_ROUTE, Actions, Events

RESPONSE_ACTIONS = ("reply", "message")
DECISION_ACTIONS = ("triage", "escalate", "ignore")


@dataclass(frozen=True)
class Outcomes:
    """Arrays aligned with the events (length = number of events)."""

    first_response_s: np.ndarray  # scenario seconds from post to first reply/message; NaN if none
    responder: np.ndarray  # agent code (Actions.agent) of the first response, -1 if none
    handler: np.ndarray  # agent code of the last action naming an agent, -1 if none
    escalation_s: np.ndarray  # seconds from post to first escalate action; NaN if none
    route_labels: list[str]  # expected and decided routes together, "none" last
    expected_route: np.ndarray  # codes into route_labels
    decided_route: np.ndarray
    decided_tier: np.ndarray  # 0 when never triaged
    decided_priority: list[str]  # per event, "" when never stated (object array)
    delivered: np.ndarray  # bool: the stack received the event (always true in simulate)
    route_stated: np.ndarray  # bool: a triage/escalate/ignore action named a route for it


def _first_per_event(ev: np.ndarray, at: np.ndarray, n: int, last: bool = False) -> np.ndarray:
    """Index (into ev/at) of the earliest (or latest) entry per event; -1 when none."""
    out = np.full(n, -1, dtype=np.int64)
    if len(ev) == 0:
        return out
    order = np.lexsort((at, ev))
    ev_sorted = ev[order]
    bounds = np.flatnonzero(np.diff(ev_sorted)) + 1
    pick = np.r_[bounds - 1, len(order) - 1] if last else np.r_[0, bounds]
    out[ev_sorted[pick]] = order[pick]
    return out


def _pick(actions: Actions, sel: np.ndarray, n: int, last: bool = False) -> np.ndarray:
    """Action index of the earliest (latest) selected action per event; -1 when none."""
    idx = np.flatnonzero(sel)
    found = _first_per_event(actions.event[idx], actions.at[idx], n, last)
    return np.where(found >= 0, idx[np.maximum(found, 0)] if idx.size else -1, -1)


def _take(values: np.ndarray, idx: np.ndarray, fill: float | int) -> np.ndarray:
    """values[idx] where idx >= 0, else ``fill`` (safe on empty ``values``)."""
    if values.size == 0:
        return np.full(idx.shape, fill, dtype=np.result_type(values.dtype, type(fill)))
    return np.where(idx >= 0, values[np.maximum(idx, 0)], fill)


def _action_mask(actions: Actions, kinds: tuple[str, ...]) -> np.ndarray:
    codes = [actions.action.index(k) for k in kinds]
    return np.isin(actions.action.codes, [c for c in codes if c >= 0]) & (actions.event >= 0)


def _delivered(run: RunData) -> np.ndarray:
    n = len(run.events)
    if run.sends is None or "status" not in run.sends or len(run.sends["status"]) != n:
        return np.ones(n, dtype=bool)
    status = run.sends["status"]
    return (status >= 200) & (status < 300)


def compute_outcomes(run: RunData) -> Outcomes:
    """Derive every per-event outcome from the actions, with numpy group-bys."""
    events: Events = run.events
    actions = run.actions
    n = len(events)
    t_of_action = np.where(actions.event >= 0, events.t[np.maximum(actions.event, 0)], np.nan)
    after_post = actions.at >= t_of_action

    first = _pick(actions, _action_mask(actions, RESPONSE_ACTIONS) & after_post, n)
    first_response = _take(actions.at, first, np.nan) - events.t
    no_agent = actions.agent.index("")
    responder = _take(actions.agent.codes, first, -1)
    responder = np.where(responder == no_agent, -1, responder) if no_agent >= 0 else responder

    named = (actions.event >= 0) & (actions.agent.codes != no_agent)
    handler = _take(actions.agent.codes, _pick(actions, named, n, last=True), -1)

    first_esc = _pick(actions, _action_mask(actions, ("escalate",)) & after_post, n)
    escalation = _take(actions.at, first_esc, np.nan) - events.t

    decision = _action_mask(actions, DECISION_ACTIONS)
    is_ignore = actions.action.codes == actions.action.index("ignore")
    has_route = actions.route.codes != actions.route.index("")
    has_prio = actions.priority.codes != actions.priority.index("")
    route_idx = _pick(actions, decision & (has_route | is_ignore), n, last=True)
    tier_idx = _pick(actions, decision & ((actions.tier >= 0) | is_ignore), n, last=True)
    prio_idx = _pick(actions, decision & (has_prio | is_ignore), n, last=True)

    none_code = len(actions.route.names)
    route_code = _take(actions.route.codes, route_idx, none_code)
    route_code = np.where(_take(is_ignore, route_idx, False), none_code, route_code)
    seen = {name for name in events.route.names + actions.route.names if name}
    labels = sorted(seen - {NO_ROUTE}) + [NO_ROUTE]
    lut = {name: i for i, name in enumerate(labels)}
    expected_route = np.array([lut[r] for r in events.route.names], dtype=np.int32)[
        events.route.codes
    ]
    decided_lut = np.array(
        [lut[r or NO_ROUTE] for r in actions.route.names] + [lut[NO_ROUTE]], dtype=np.int32
    )
    decided_route = decided_lut[route_code]

    tier = _take(actions.tier, tier_idx, 0).astype(np.int16)
    tier = np.where(_take(is_ignore, tier_idx, False), 0, tier).astype(np.int16)
    no_prio = len(actions.priority.names)
    prio_code = _take(actions.priority.codes, prio_idx, no_prio)
    prio_code = np.where(_take(is_ignore, prio_idx, False), no_prio, prio_code)
    prio_names = np.asarray(actions.priority.names + [""], dtype=object)
    return Outcomes(
        first_response_s=first_response,
        responder=responder,
        handler=handler,
        escalation_s=escalation,
        route_labels=labels,
        expected_route=expected_route,
        decided_route=decided_route,
        decided_tier=tier,
        decided_priority=prio_names[prio_code],
        delivered=_delivered(run),
        route_stated=route_idx >= 0,
    )
