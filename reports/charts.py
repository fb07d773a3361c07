"""Charts for the drill report: matplotlib figures returned as inline SVG strings.

Every function takes plain data from results.json and returns ``<svg ...>...</svg>``
(no XML prologue, text kept as text so it inherits the page's font and stays small),
or ``""`` when there is nothing to draw. Rendering is deterministic: a fixed hash salt
and no date metadata, so two reports of the same results are byte-identical.
"""

from __future__ import annotations

import io
import math
from typing import Any

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#999999",
    "#000000",
    "#8C564B",
)
INTENT_COLOURS = {
    "complaint": "#D55E00",
    "question": "#0072B2",
    "praise": "#009E73",
    "noise": "#BBBBBB",
    "purchase_intent": "#56B4E9",
    "hidden_help": "#E69F00",
    "legal_threat": "#7B2D8E",
    "safety": "#C0392B",
    "security": "#000000",
    "media_inquiry": "#CC79A7",
}
INK = "#1f2933"
GRID = "#e4e7eb"
WIDE = (9.0, 3.2)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "crisis-drill",
            "font.size": 9,
            "font.family": "sans-serif",
            "axes.edgecolor": "#9aa5b1",
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": GRID,
            "grid.linewidth": 0.6,
            "legend.frameon": False,
        }
    )
    return plt


def _svg(fig: Any) -> str:
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _minutes_axis(ax: Any) -> None:
    ax.set_xlabel("scenario time (minutes)")
    ax.set_xlim(left=0)


def storm_chart(storm: dict[str, Any]) -> str:
    """Posts per minute stacked by intent, incidents (solid) and waves (dashed) marked."""
    series = storm.get("per_bin_by_intent") or {}
    if not series:
        return ""
    plt = _plt()
    width = float(storm["bin_s"])
    n = len(next(iter(series.values())))
    x = [i * width / 60.0 for i in range(n + 1)]  # one more edge: the last bin is drawn too
    fig, ax = plt.subplots(figsize=WIDE)
    names = sorted(series, key=lambda k: -sum(series[k]))
    per_min = [
        [v * 60.0 / width for v in series[k]] + [series[k][-1] * 60.0 / width] for k in names
    ]
    colours = [INTENT_COLOURS.get(k, PALETTE[i % len(PALETTE)]) for i, k in enumerate(names)]
    ax.stackplot(
        x,
        per_min,
        labels=[k.replace("_", " ") for k in names],
        colors=colours,
        step="post",
        linewidth=0,
    )
    labels = []
    for marker in storm.get("markers") or []:
        at = marker["at_s"] / 60.0
        style = "-" if marker["kind"] == "incident" else "--"
        ax.axvline(at, color=INK, linestyle=style, linewidth=0.9)
        labels.append((at, marker["id"] if marker["kind"] == "incident"
                       else f"{marker['topic']} wave"))
    ax.set_ylabel("posts per minute")
    _minutes_axis(ax)
    place_labels(fig, ax, sorted(labels), fontsize=8)  # after the axis limits are final
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return _svg(fig)


def ingest_chart(over_time: dict[str, Any] | None) -> str:
    """Ingest latency percentiles (ms) per minute of the replay."""
    if not over_time or not over_time.get("start_s"):
        return ""
    plt = _plt()
    starts = over_time["start_s"]
    minutes = (starts[-1] if starts else 0) >= 300
    x = [s / 60.0 if minutes else s for s in starts]
    fig, ax = plt.subplots(figsize=WIDE)
    marker = "o" if len(x) < 40 else None
    for i, key in enumerate(("p50", "p90", "p99")):
        if key in over_time:
            ax.plot(
                x,
                over_time[key],
                label=key,
                color=PALETTE[i],
                linewidth=1.4,
                marker=marker,
                markersize=4,
            )
    ax.set_xlabel(f"wall time of the replay ({'minutes' if minutes else 'seconds'})")
    ax.set_ylabel("ingest latency (ms)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    return _svg(fig)


def first_response_chart(hist: dict[str, Any]) -> str:
    """First-response distribution by priority (log time axis)."""
    edges = hist.get("edges") or []
    counts = hist.get("counts") or {}
    if not edges or not counts:
        return ""
    plt = _plt()
    fig, ax = plt.subplots(figsize=WIDE)
    for i, (name, values) in enumerate(sorted(counts.items())):
        ax.stairs(values, edges, label=name, color=PALETTE[i % len(PALETTE)], linewidth=1.6)
    ax.set_xscale("log")
    ticks = [
        t
        for t in (1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400)
        if edges[0] <= t <= edges[-1]
    ]
    from matplotlib.ticker import NullFormatter

    ax.set_xticks(ticks, [_short(t) for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("first response (scenario time)")
    ax.set_ylabel("posts")
    ax.legend(title="priority", loc="upper right")
    return _svg(fig)


def _short(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g}s"
    if seconds < 3600:
        return f"{seconds / 60:g}m"
    return f"{seconds / 3600:g}h"


def confusion_chart(labels: list[str], confusion: list[list[int]]) -> str:
    """Heatmap of expected route (rows) against the stack's final route (columns)."""
    if not labels:
        return ""
    plt = _plt()
    import numpy as np

    matrix = np.asarray(confusion, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = max(3.2, 0.75 * len(labels) + 1.6)
    fig, ax = plt.subplots(figsize=(size + 0.8, size))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.grid(False)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("stack's final route")
    ax.set_ylabel("expected route (ground truth)")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if share[i, j] > 0.55 else INK
                weight = "bold" if i != j else "normal"
                ax.text(
                    j,
                    i,
                    f"{int(matrix[i, j]):,}",
                    ha="center",
                    va="center",
                    color=colour,
                    fontsize=8,
                    fontweight=weight,
                )
    return _svg(fig)


def staffing_chart(tiers: list[dict[str, Any]]) -> str:
    """Per tier: agents required (Erlang C, A, simulation) against rostered, and the backlog."""
    if not tiers:
        return ""
    plt = _plt()
    n = len(tiers)
    fig, axes = plt.subplots(n, 2, figsize=(9.0, 2.1 * n), squeeze=False, sharex=True)
    for row, tier in enumerate(tiers):
        rows = tier["intervals"]
        x = [r["start_s"] / 60.0 for r in rows] + [
            rows[-1].get("end_s", rows[-1]["start_s"]) / 60.0
        ]
        ax, bx = axes[row]
        for key, colour, label in (
            ("required_erlang", PALETTE[3], "required (Erlang C)"),
            ("required_erlang_a", PALETTE[1], "required (Erlang A)"),
            ("required_sim", PALETTE[4], "required (simulation)"),
        ):
            values = [r.get(key) for r in rows]
            if any(v is not None for v in values):
                ax.stairs(
                    [v if v is not None else math.nan for v in values],
                    x,
                    color=colour,
                    label=label,
                    linewidth=1.5,
                    baseline=None,
                )
        ax.stairs(
            [r["rostered"] for r in rows],
            x,
            color=PALETTE[0],
            label="rostered",
            linewidth=2.2,
            baseline=None,
        )
        ax.set_title(f"{tier['name']} (tier {tier['tier']}): agents", fontsize=9, loc="left")
        ax.set_ylim(bottom=0)
        backlog = [r["backlog"] for r in rows]
        bx.stairs(backlog, x, color=PALETTE[2], fill=True, alpha=0.5)
        bx.set_ylim(0, max(1, max(backlog)) * 1.1)
        bx.set_title(f"{tier['name']}: backlog (unanswered posts)", fontsize=9, loc="left")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 1.0))
    for ax in axes[-1]:
        ax.set_xlabel("scenario time (minutes)")
    fig.tight_layout()
    return _svg(fig)


def replay_chart(per_second: dict[str, list[float]]) -> str:
    """Planned against achieved send rate per wall second, with failures."""
    planned = per_second.get("planned") or []
    if not planned:
        return ""
    plt = _plt()
    fig, ax = plt.subplots(figsize=WIDE)
    x = list(range(len(planned)))
    marker = "o" if len(planned) < 40 else None
    ax.plot(x, planned, color="#9aa5b1", linewidth=2.5, label="planned", marker=marker)
    for key, colour in (("sent", PALETTE[0]), ("accepted", PALETTE[2]), ("failed", PALETTE[3])):
        values = per_second.get(key) or []
        if any(values):
            ax.plot(
                range(len(values)),
                values,
                color=colour,
                linewidth=1.0,
                label=key,
                marker=marker,
                markersize=3,
            )
    ax.set_xlabel("wall time of the replay (s)")
    ax.set_ylabel("requests per second")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    return _svg(fig)


def sentiment_chart(over_time: dict[str, Any]) -> str:
    """Mean sentiment of all posts per interval."""
    starts = over_time.get("start_s") or []
    if not starts:
        return ""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9.0, 2.4))
    means = [m if m is not None else math.nan for m in over_time["mean"]]
    x = [s / 60.0 for s in starts]
    ax.axhline(0, color="#9aa5b1", linewidth=0.8)
    ax.plot(x, means, marker="o", markersize=3, color=PALETTE[4], linewidth=1.4)
    ax.set_ylim(-1, 1)
    ax.set_ylabel("mean sentiment")
    ax.set_xlabel("scenario time (minutes)")
    return _svg(fig)


LABEL_ROW_STEP = 0.09  # axes fraction between label rows
LABEL_GAP_PX = 4.0


def place_labels(fig: Any, ax: Any, labels: list[tuple[float, str]],
                 fontsize: float = 7) -> list[Any]:
    """Draw ``(x, text)`` labels above ``ax``, each on the first row where it overlaps no other
    label (measured with the renderer); returns their boxes."""
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    placed: list[Any] = []
    for x, text in labels:
        row = 0
        while True:
            artist = ax.text(x, 1.02 + row * LABEL_ROW_STEP, " " + text, fontsize=fontsize,
                             color=INK, va="bottom", ha="left",
                             transform=ax.get_xaxis_transform(), clip_on=False)
            box = artist.get_window_extent(renderer=renderer)
            box = Bbox.from_extents(box.x0, box.y0, box.x1 + LABEL_GAP_PX, box.y1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            artist.remove()
            row += 1
    return placed
