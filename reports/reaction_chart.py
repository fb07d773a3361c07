"""The storm split by origin: scripted posts that happened, reaction posts, prevented posts.

Plain data in (results.json ``reactions.per_bin``), inline SVG out; "" for an open-loop run.
"""

from __future__ import annotations

from typing import Any

from reports.charts import INK, PALETTE, WIDE, _plt, _svg

__all__ = ["reaction_chart"]

PREVENTED_COLOUR = "#d5dbe1"


def reaction_chart(reactions: dict[str, Any] | None) -> str:
    """Posts per minute stacked: scripted and reaction posts, prevented ones hatched on top."""
    per_bin = (reactions or {}).get("per_bin") or {}
    scripted = per_bin.get("scripted") or []
    if not (reactions or {}).get("enabled") or not scripted:
        return ""
    plt = _plt()
    width = float(per_bin["bin_s"])
    scale = 60.0 / width
    x = [i * width / 60.0 for i in range(len(scripted) + 1)]

    def series(name: str) -> list[float]:
        values = [v * scale for v in per_bin.get(name) or [0] * len(scripted)]
        return values + values[-1:]

    fig, ax = plt.subplots(figsize=WIDE)
    stacks = ax.stackplot(
        x, series("scripted"), series("reactions"), series("prevented"),
        labels=["scripted posts that happened", "reaction posts (answer-backs, backlash)",
                "prevented by the team's answers"],
        colors=[PALETTE[0], PALETTE[3], PREVENTED_COLOUR], step="post", linewidth=0)
    stacks[2].set_hatch("///")
    stacks[2].set_edgecolor(INK)
    ax.set_ylabel("posts per minute")
    ax.set_xlabel("scenario time (minutes)")
    ax.set_xlim(left=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return _svg(fig)
