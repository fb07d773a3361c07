"""What a care-team run did, as numpy columns (``simulator.team.model.TeamModel.result``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simulator.scenario.roster import ServiceClasses, Tier

__all__ = ["TeamRun"]


@dataclass
class TeamRun:
    """What the team did, as numpy columns.

    Visits (one per post per tier that queued it): ``v_post`` (local post number), ``v_tier``
    (index into ``tiers``), ``v_priority``, ``v_answer`` (the customer needs an answer),
    ``v_enqueue``, ``v_start``, ``v_end``, ``v_abandon`` (NaN when it did not happen),
    ``v_handle`` (the handle time drawn; the work took ``v_end - v_start`` after the
    concurrency stretch), ``v_patience`` (inf when the visit cannot abandon), ``v_turn``
    (0 for the post itself, n for the customer's n-th answer-back), ``v_private`` (the
    post is on a private channel), ``v_reply`` (the visit ended with a reply to the
    customer). Posts: ``index`` (the caller's index), ``arrival``, ``private``.
    ``actions``: tuples ``(post, action, route, tier, priority, agent, at)``.
    """

    tiers: tuple[Tier, ...]
    horizon: float
    index: np.ndarray
    arrival: np.ndarray
    v_post: np.ndarray
    v_tier: np.ndarray
    v_priority: np.ndarray
    v_answer: np.ndarray
    v_enqueue: np.ndarray
    v_start: np.ndarray
    v_end: np.ndarray
    v_abandon: np.ndarray
    v_handle: np.ndarray
    v_patience: np.ndarray
    agents: Mapping[str, int] | None
    actions: list[tuple[int, str, str, int, int, str, float]]
    v_turn: np.ndarray
    v_private: np.ndarray
    v_reply: np.ndarray
    private: np.ndarray
    classes: ServiceClasses | None
