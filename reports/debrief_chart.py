"""The debrief's chart: the storm (posts per bin) with the team's actions and the facilitator's
pauses and injections overlaid. Plain data in (results.json ``debrief``), inline SVG out.
"""

from __future__ import annotations

from typing import Any

from reports.charts import INK, PALETTE, WIDE, _plt, _svg

__all__ = ["debrief_chart"]

MARK_STYLE = {"pause": ":", "resume": ":", "inject": "--", "end": "-"}


def debrief_chart(debrief: dict[str, Any] | None) -> str:
    """Bars of posts per bin, lines of trainee and other actions, vertical marks; "" if empty."""
    timeline = (debrief or {}).get("timeline") or {}
    posts = timeline.get("posts") or []
    if not posts:
        return ""
    plt = _plt()
    width = float(timeline["bin_s"])
    x = [i * width for i in range(len(posts))]
    fig, ax = plt.subplots(figsize=WIDE)
    ax.bar(x, posts, width=width, align="edge", color="#c9d6e8", label="posts delivered")
    mid = [v + width / 2 for v in x]
    ax.plot(mid, timeline.get("trainee_actions") or [0] * len(posts), color=PALETTE[3],
            marker="o", markersize=3, linewidth=1.4, label="trainee actions")
    if any(timeline.get("other_actions") or []):
        ax.plot(mid, timeline["other_actions"], color=PALETTE[0], linewidth=1.0,
                label="simulated agents' actions")
    top = max([*posts, *(timeline.get("trainee_actions") or [0]), 1])
    for mark in timeline.get("facilitator") or []:
        ax.axvline(mark["t"], color=INK, linestyle=MARK_STYLE.get(mark["kind"], "-"),
                   linewidth=0.9)
        ax.text(mark["t"], top * 1.02, f" {mark.get('title') or mark['kind']}", fontsize=7,
                color=INK, va="bottom", rotation=30, clip_on=False)
    ax.set_xlabel("scenario time (seconds)")
    ax.set_ylabel(f"per {int(width)} s")
    ax.set_xlim(left=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return _svg(fig)
