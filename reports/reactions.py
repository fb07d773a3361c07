"""What the team's answers did to the storm (closed-loop drills and simulate; DESIGN.md 14).

From ``reactions.json`` (the engine's counts) and the run's prevented posts (dropped from the
events by ``reports.reached``): posts prevented, posts the
reactions added, the headline ("your answers prevented N posts (x% of the scripted storm);
silence and wrong answers added M"), the amplification factor (posts that reached the
platform / the scripted storm, which is the storm of a team that answers nothing) and the
storm per bin split into scripted posts that happened, prevented posts and reaction posts.
"""

from __future__ import annotations

import math

import numpy as np

from reports.run_data import RunData
from reports.sections import Reactions
from reports.stats import ratio

__all__ = ["reaction_metrics", "reaction_rows"]


def reaction_rows(run: RunData) -> np.ndarray:
    """Which of the run's (reached) events are reaction posts."""
    info = run.extra.get("reactions") or {}
    reached = run.extra.get("reached")
    rows = reached.rows if reached is not None else np.arange(len(run.events))
    scripted = int(info.get("scripted") or len(rows))
    added = int(info.get("reactions") or 0)
    return (rows >= scripted) & (rows < scripted + added)


def reaction_metrics(run: RunData, bin_s: float, duration_s: float) -> Reactions:
    """The ``reactions`` section of results.json (``enabled`` False for an open-loop run)."""
    info = run.extra.get("reactions")
    if not info or not info.get("enabled"):
        return Reactions(enabled=False)
    reaction = reaction_rows(run)
    reached = run.extra.get("reached")
    prevented_t = reached.prevented_t if reached is not None else np.zeros(0)
    scripted = int(info.get("scripted") or 0)
    n_prevented = len(prevented_t)
    prevented_scripted = int(info.get("prevented_scripted") or 0)
    added = int(info.get("reactions") or 0)
    silence = int(info.get("silence_follow_ups") or 0)
    backlash = int(info.get("backlash") or 0) + int(info.get("backlash_cascade") or 0)
    # scripted and reaction posts that were not prevented (live-injected ones are neither)
    reached_posts = scripted + added - n_prevented
    share = ratio(prevented_scripted, scripted)
    n_bins = max(1, math.ceil(duration_s / bin_s)) if bin_s > 0 else 1
    t = run.events.t

    def per_bin(values: np.ndarray) -> list[int]:
        bins = np.clip((values // bin_s).astype(np.int64), 0, n_bins - 1)
        return np.bincount(bins, minlength=n_bins).tolist()

    headline = (f"your answers prevented {n_prevented:,} posts "
                f"({(share or 0.0) * 100:.1f}% of the scripted storm); silence and wrong "
                f"answers added {silence + backlash:,}")
    return Reactions.model_validate({
        "enabled": True,
        "scripted": scripted,
        "reactions": added,
        "prevented": n_prevented,
        "prevented_share": share,
        "added_by_silence_and_wrong": silence + backlash,
        "silence_follow_ups": silence,
        "backlash_posts": backlash,
        "answer_backs": int(info.get("answer_backs") or 0),
        "answered_in_time": int(info.get("answered_in_time") or 0),
        "answered_late": int(info.get("answered_late") or 0),
        "wrong_handling": int(info.get("wrong") or 0),
        "cancel_too_late": int(info.get("cancel_too_late") or 0),
        "amplification": round(reached_posts / scripted, 4) if scripted else None,
        "headline": headline,
        "per_bin": {"bin_s": bin_s,
                    "scripted": per_bin(t[~reaction]),
                    "prevented": per_bin(prevented_t),
                    "reactions": per_bin(t[reaction])},
    })
