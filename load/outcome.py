"""What a replay sends to and what it returns: ``Target``, ``ReplayOutcome``, Locust's web UI.

Shared by the local replay (``load.replay``) and the distributed one (``load.distributed``),
so neither imports the other's internals (no import cycle).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram
from locust.env import Environment

from load.options import MAX_IN_FLIGHT
from load.send_log import SendLog

__all__ = ["UI_PORT", "ReplayOutcome", "Target", "locust_totals", "start_web_ui"]

UI_PORT = 8089


@dataclass(frozen=True)
class Target:
    """Where and how to send: base URL, accepted status codes, optional capture function."""

    base_url: str
    accept: frozenset[int]
    capture: Callable[[Any], dict[str, Any]] | None = None
    on_capture: Callable[[int, dict[str, Any]], None] | None = None  # live, per accepted answer


@dataclass
class ReplayOutcome:
    """Every event's outcome (plan order), the histograms and how the run ended."""

    log: SendLog
    histograms: dict[str, HdrHistogram]
    start_wall: float
    workers: int
    partial: bool = False
    stopped_reason: str | None = None
    captured: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    locust_stats: dict[str, Any] = field(default_factory=dict)
    max_in_flight: int = MAX_IN_FLIGHT


def start_web_ui(env: Environment) -> Any:
    """Locust's web UI on 127.0.0.1:UI_PORT.

    Its index page re-parses ``sys.argv`` with Locust's own parser (and exits on our flags),
    so the drill's arguments are cleared first; the drill recorded its command line already.
    """
    del sys.argv[1:]
    web = env.create_web_ui("127.0.0.1", UI_PORT)
    print(f"Locust web UI: http://127.0.0.1:{UI_PORT}", file=sys.stderr, flush=True)
    return web


def locust_totals(env: Environment) -> dict[str, Any]:
    """Locust's own (rounded) statistics of the run, for replay.json."""
    total = env.stats.total
    return {"num_requests": total.num_requests, "num_failures": total.num_failures,
            "median_response_time_ms": total.median_response_time,
            "p99_response_time_ms": total.get_response_time_percentile(0.99)}
