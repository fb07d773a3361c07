"""How to replay one events.jsonl: one frozen options object, passed down the replay.

``ReplayOptions`` is built once (``drill.options.DrillOptions.replay`` for a drill, or the
``python -m drill.replay`` command line) and read by ``drill.replay.replay_events``,
``load.replay.run_replay`` and ``load.distributed.run_master``: no long parameter lists.
Imports nothing heavy (no gevent, no Locust).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DRAIN_S", "DEFAULT_SPEED", "MAX_IN_FLIGHT", "ReplayOptions"]

DEFAULT_SPEED = 60.0
DEFAULT_DRAIN_S = 30.0  # also the request timeout's floor (load.sender.REQUEST_TIMEOUT_S)
MAX_IN_FLIGHT = 2000


@dataclass(frozen=True)
class ReplayOptions:
    """The target, the pace, the sending processes and the platform endpoint of one replay."""

    target: Path | None = None  # a target profile; None = start the reference stack
    base_url: str | None = None
    speed: float = DEFAULT_SPEED  # scenario seconds per wall second
    volume: float = 1.0  # recorded in replay.json (the storm was generated with it)
    workers: int = 0  # local Locust worker processes (0: send from this process)
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int = 0  # 0: any free port
    ui: bool = False  # Locust's web UI
    max_in_flight: int = MAX_IN_FLIGHT  # requests in flight per sending process
    platform_port: int = 0
    platform_secret: str | None = None  # the endpoint checks it, the reference stack signs with it
    grace_s: float | None = 0.0  # scenario s to wait for answers; None: the last post's deadline
    drain_s: float = DEFAULT_DRAIN_S  # wall s for requests in flight after the last send
    allow_remote: bool = False
    stack_team: Path | None = None  # the reference stack's team file (drill.stack_team)
    stack_config: Path | None = None  # the reference stack's own config file
    live: bool = False  # recorded in replay.json: a live (training) drill
