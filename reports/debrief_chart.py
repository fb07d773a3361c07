"""The debrief's chart: the storm (posts per bin) with the team's actions and the facilitator's
pauses and injections overlaid. Plain data in (results.json ``debrief``), inline SVG out.

A pause is drawn as a shaded band as wide as the time it held the storm (the paused
period's actions carry scenario times inside it); injections and the end are vertical
lines. Labels sit above the plot, each on the first row where it overlaps no other label
(measured with the renderer, not guessed), so close marks never print over each other.
"""

from __future__ import annotations

from typing import Any

from reports.charts import INK, PALETTE, WIDE, _plt, _svg, place_labels

__all__ = ["debrief_chart", "hold_spans"]

MARK_STYLE = {"inject": "--", "end": "-"}
HOLD_COLOUR = "#f2d7a6"


def hold_spans(marks: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """``(start, width)`` of each pause: from its mark to the matching resume's ``held_s``."""
    spans = []
    for i, mark in enumerate(marks):
        if mark["kind"] != "pause":
            continue
        resume = next((m for m in marks[i + 1:] if m["kind"] in ("resume", "end")), None)
        held = float((resume or {}).get("held_s") or 0.0)
        spans.append((float(mark["t"]), held))
    return spans


def _labels(marks: list[dict[str, Any]]) -> list[tuple[float, str]]:
    out = [(t, f"paused {held:.1f} s") for t, held in hold_spans(marks)]
    for mark in marks:
        if mark["kind"] == "inject":
            planned = "planned: " if mark.get("planned") else ""
            out.append((float(mark["t"]), planned + str(mark.get("title") or "inject")))
        elif mark["kind"] == "end":
            out.append((float(mark["t"]), "end"))
    return sorted(out)


def debrief_chart(debrief: dict[str, Any] | None) -> str:
    """Bars of posts per bin, lines of trainee and other actions, marks; "" if empty."""
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
    marks = timeline.get("facilitator") or []
    for i, (start, held) in enumerate(hold_spans(marks)):
        ax.axvspan(start, start + held, color=HOLD_COLOUR, alpha=0.7, linewidth=0,
                   label=None if i else "storm paused")
    for mark in marks:
        if mark["kind"] in MARK_STYLE:
            ax.axvline(mark["t"], color=INK, linestyle=MARK_STYLE[mark["kind"]], linewidth=0.9)
    right = max([x[-1] + width, *[s + h for s, h in hold_spans(marks)],
                 *[float(m["t"]) for m in marks]])
    ax.set_xlim(0, right)
    ax.set_xlabel("scenario time (seconds)")
    ax.set_ylabel(f"per {int(width)} s")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    place_labels(fig, ax, _labels(marks))
    return _svg(fig)
