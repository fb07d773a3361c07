"""What the team's answers did to the storm (closed-loop drills and simulate; DESIGN.md 14).

From ``reactions.json`` (the engine's counts) and the run's prevented posts (status -3 in
``sends.npz``, or the ``prevented_rows`` a simulation lists): posts prevented, posts the
reactions added, the headline ("your answers prevented N posts (x% of the scripted storm);
silence and wrong answers added M"), the amplification factor (posts that reached the
platform / the scripted storm, which is the storm of a team that answers nothing) and the
storm per bin split into scripted posts that happened, prevented posts and reaction posts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reports.runfolder import RunData
from reports.stats import ratio

__all__ = ["origin_masks", "reaction_metrics"]


def origin_masks(run: RunData) -> tuple[np.ndarray, np.ndarray]:
    """(prevented, reaction) masks over the run's events, both all-False without reactions."""
    n = len(run.events)
    prevented = run.extra.get("prevented")
    if prevented is None or len(prevented) != n:
        prevented = np.zeros(n, dtype=bool)
    reaction = np.zeros(n, dtype=bool)
    info = run.extra.get("reactions") or {}
    scripted, added = int(info.get("scripted") or n), int(info.get("reactions") or 0)
    reaction[scripted:scripted + added] = True
    return prevented, reaction


def reaction_metrics(run: RunData, bin_s: float, duration_s: float) -> dict[str, Any]:
    """The ``reactions`` section of results.json (``enabled`` False for an open-loop run)."""
    info = run.extra.get("reactions")
    if not info or not info.get("enabled"):
        return {"enabled": False}
    prevented, reaction = origin_masks(run)
    scripted = int(info.get("scripted") or 0)
    n_prevented = int(prevented.sum())
    prevented_scripted = int(prevented[:scripted].sum())
    added = int(reaction.sum())
    silence = int(info.get("silence_follow_ups") or 0)
    backlash = int(info.get("backlash") or 0) + int(info.get("backlash_cascade") or 0)
    # scripted and reaction posts that were not prevented (live-injected ones are neither)
    reached = int((~prevented[:scripted + added]).sum())
    share = ratio(prevented_scripted, scripted)
    n_bins = max(1, math.ceil(duration_s / bin_s)) if bin_s > 0 else 1
    t = run.events.t
    bins = np.clip((t // bin_s).astype(np.int64), 0, n_bins - 1) if len(t) else t.astype(int)
    origin = np.zeros(len(t), dtype=bool)
    origin[:scripted] = True

    def per_bin(mask: np.ndarray) -> list[int]:
        return np.bincount(bins[mask], minlength=n_bins).tolist() if len(t) else []

    headline = (f"your answers prevented {n_prevented:,} posts "
                f"({(share or 0.0) * 100:.1f}% of the scripted storm); silence and wrong "
                f"answers added {silence + backlash:,}")
    return {
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
        "amplification": round(reached / scripted, 4) if scripted else None,
        "headline": headline,
        "per_bin": {"bin_s": bin_s,
                    "scripted": per_bin(origin & ~prevented),
                    "prevented": per_bin(prevented),
                    "reactions": per_bin(reaction & ~prevented)},
    }
