"""The storm so far, for the facilitator page: posts per minute, backlog, answered, critical.

``StormView`` knows every event's intended time and ground truth, and tails
``actions.jsonl`` (the platform endpoint's record, appended live) from where it last read.
A post counts as delivered once the stack accepted it (the sender's status, 2xx), so the
page's counters match what the report will score; without statuses (before the replay
starts) a post counts once its intended time has passed on the (pause-shifted) storm
clock. The backlog is delivered posts that need an answer and have neither a reply nor a
close; *critical open* is the p1 posts among them. Cheap enough to call every second.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from simulator.runfolder import ActionTail

__all__ = ["StormView"]

MINUTE_S = 60.0
ANSWERS = frozenset({"reply", "message"})
FINISH = frozenset({"reply", "message", "close", "ignore"})
SYSTEM_AGENTS = frozenset({"", "triage"})


class StormView:
    """Incremental counters over the events (plus injections) and the actions file."""

    def __init__(self, events: list[dict[str, Any]], actions_path: Path, speed: float) -> None:
        self.speed = speed
        self.actions = ActionTail(actions_path)
        self.index: dict[str, int] = {}
        self.ids: list[str] = []
        self.t: list[float] = []
        self.respond: list[bool] = []
        self.p1: list[bool] = []
        self.text: list[str] = []
        self.answered: set[int] = set()
        self.finished: set[int] = set()
        self.by_agent: Counter[str] = Counter()
        self.replies_per_min: Counter[int] = Counter()
        self.add(events)

    def add(self, events: list[dict[str, Any]]) -> None:
        for ev in events:
            exp = (ev.get("labels") or {}).get("expected") or {}
            self.index[ev["id"]] = len(self.t)
            self.ids.append(str(ev["id"]))
            self.t.append(float(ev["t"]))
            self.respond.append(bool(exp.get("respond")))
            self.p1.append(exp.get("priority") == "p1" and bool(exp.get("respond")))
            self.text.append(str(ev.get("text", "")))

    def _tail(self) -> None:
        for act in self.actions.new():
            k = self.index.get(str(act.get("event_id")))
            kind = act.get("action")
            agent = act.get("agent") or ""
            if agent not in SYSTEM_AGENTS and kind != "triage":
                self.by_agent[agent] += 1
            if k is None:
                continue
            if kind in ANSWERS:
                self.answered.add(k)
                self.replies_per_min[int(float(act.get("at") or 0.0) // MINUTE_S)] += 1
            if kind in FINISH:
                self.finished.add(k)

    def snapshot(self, elapsed_wall: float,
                 accepted: np.ndarray | None = None) -> dict[str, Any]:
        """Counters at ``elapsed_wall`` seconds of (unpaused) storm; ``accepted`` per event."""
        self._tail()
        now = elapsed_wall * self.speed
        t = np.asarray(self.t)
        if accepted is not None and len(accepted) == len(t):
            delivered = np.flatnonzero(accepted)
        else:
            delivered = np.flatnonzero(t <= now)
        minutes = (np.minimum(t[delivered], now) // MINUTE_S).astype(int)
        n_min = int(now // MINUTE_S) + 1
        posts = np.bincount(minutes, minlength=n_min).tolist() if len(minutes) else [0] * n_min
        open_ = [k for k in delivered.tolist()
                 if self.respond[k] and k not in self.answered and k not in self.finished]
        critical = [k for k in open_ if self.p1[k]]
        replies = [self.replies_per_min.get(m, 0) for m in range(n_min)]
        return {"delivered": int(len(delivered)), "total": len(self.t),
                "posts_per_minute": posts, "replies_per_minute": replies,
                "backlog": len(open_), "answered": len(self.answered),
                "critical_open": len(critical),
                "critical_posts": [{"id": self.ids[k], "text": self.text[k][:200]}
                                   for k in critical[:5]],
                "agents": dict(sorted(self.by_agent.items()))}
