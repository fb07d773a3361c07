"""Typed records of the run folder's line files.

``Action`` is one line of ``actions.jsonl`` (DESIGN.md section 6 plus ``at``, scenario
seconds at arrival); ``as_dict`` gives it in the file's key order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Action"]


@dataclass(frozen=True, slots=True)
class Action:
    """What the team did to one event."""

    event_id: str
    action: str  # triage, reply, message, escalate, close, ignore
    at: float
    route: str | None = None
    tier: int | None = None
    priority: str | None = None  # p1..p4
    agent: str | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "action": self.action, "route": self.route,
                "tier": self.tier, "priority": self.priority, "agent": self.agent,
                "text": self.text, "at": round(self.at, 3)}
