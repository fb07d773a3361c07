"""The send plan: every event's intended send time and its pre-rendered request.

Open model (DESIGN.md sections 8 and 13): event ``i`` is due at
``start_wall + t_i / speed``, measured from the absolute start of the run, never from the
previous send. Requests are rendered here, before the run starts, so the hot path only
looks them up. ``partition(index, count)`` gives a worker its share (every ``count``-th
event from ``index``), so each event is sent exactly once across workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from load.profile import CompiledProfile, RenderedRequest
from simulator.errors import InputError

__all__ = ["Plan", "build_plan"]


@dataclass(frozen=True)
class Plan:
    """Intended send offsets (wall seconds from start), event ids and rendered requests."""

    offsets: np.ndarray  # float64, wall seconds from start, in events.jsonl order
    ids: list[str]
    requests: list[RenderedRequest]
    request_name: str

    def __len__(self) -> int:
        return len(self.ids)

    def partition(self, index: int, count: int) -> np.ndarray:
        """Positions of the events worker ``index`` of ``count`` sends."""
        return np.arange(index, len(self.ids), count, dtype=np.int64)

    def to_wire(self, positions: np.ndarray) -> dict[str, Any]:
        """A msgpack-friendly slice of the plan for a worker."""
        reqs = [self.requests[int(i)] for i in positions]
        return {"positions": positions.astype(np.int64).tobytes(),
                "offsets": self.offsets[positions].astype(np.float64).tobytes(),
                "methods": [r.method for r in reqs], "paths": [r.path for r in reqs],
                "headers": [r.headers for r in reqs], "bodies": [r.body for r in reqs],
                "name": self.request_name}

    @staticmethod
    def from_wire(data: dict[str, Any]) -> tuple[np.ndarray, Plan]:
        """Rebuild a worker's slice: (global positions, the slice as a Plan)."""
        positions = np.frombuffer(data["positions"], dtype=np.int64)
        offsets = np.frombuffer(data["offsets"], dtype=np.float64)
        reqs = [RenderedRequest(m, p, h, b) for m, p, h, b in
                zip(data["methods"], data["paths"], data["headers"], data["bodies"], strict=True)]
        return positions, Plan(offsets, [str(int(i)) for i in positions], reqs, data["name"])


def build_plan(events: list[dict[str, Any]], profile: CompiledProfile, speed: float) -> Plan:
    """Pre-render every event and compute its intended offset ``t / speed``."""
    if speed <= 0:
        raise InputError(f"--speed: speed must be > 0, got {speed}")
    t = np.array([float(e["t"]) for e in events], dtype=np.float64)
    offsets = t / speed
    requests = profile.render_all(events)
    name = f"{profile.profile.method} {profile.profile.path}"
    return Plan(offsets, [str(e.get("id")) for e in events], requests, name)
