"""One drill's options: validated once, from the command line's values, then passed down.

``drill_options(...)`` takes what ``run_drill.py drill`` parsed (durations still as text) and
returns a frozen ``DrillOptions``, or raises ``InputError`` (exit 2) naming the flag, before
anything starts: bad values, flags that do not combine, an unreadable secret, plan, gates or
stack-config file. ``DrillOptions.replay(...)`` is the part the replay needs
(``load.options.ReplayOptions``, what ``drill.replay.replay_events`` takes). No environment
variable is set: the platform secret travels in the options to the endpoint and the stack.
Imports nothing heavy (no gevent, no Locust).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from load.options import DEFAULT_DRAIN_S, ReplayOptions
from simulator.errors import InputError
from simulator.scenario.units import parse_duration

__all__ = ["SECRET_ENV", "DrillOptions", "drill_options", "read_secret"]

SECRET_ENV = "DRILL_PLATFORM_SECRET"
REMOTE_MASTER_PORT = 5557


@dataclass(frozen=True)
class DrillOptions:
    """Everything a drill needs, validated by ``drill_options``."""

    scenario: Path
    output: Path | None = None
    target: Path | None = None
    base_url: str | None = None
    speed: float | None = None  # None: the scenario's drill.speed
    volume: float = 1.0
    workers: int = 0
    seed: int | None = None
    ui: bool = False
    platform_port: int = 8765
    platform_secret: str | None = None
    grace_s: float | None = None  # None: the scenario's drill.grace
    allow_remote: bool = False
    command: tuple[str, ...] = ()
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int = 0
    stack_config: Path | None = None
    live: bool = False  # a training drill: facilitator page, pause/resume/inject/end
    sim_agents: int = 0  # live: simulated agents per tier left in the embedded stack
    facilitator_port: int = 0
    reactions: bool = True  # False: --no-reactions, the open-loop replay of the scripted storm
    plan: Path | None = None  # live: an exercise plan of timed injects (load.live_plan)
    debrief: bool = False  # a training debrief for a drill that is not --live
    drain_s: float = DEFAULT_DRAIN_S  # wall seconds for requests in flight after the last send

    def replay(self, speed: float, grace_s: float | None,
               stack_team: Path | None) -> ReplayOptions:
        """The replay's part, with the scenario's defaults resolved by the caller."""
        return ReplayOptions(
            target=self.target, base_url=self.base_url, speed=speed, volume=self.volume,
            workers=self.workers, remote_workers=self.remote_workers,
            master_bind=self.master_bind, master_port=self.master_port, ui=self.ui,
            platform_port=self.platform_port, platform_secret=self.platform_secret,
            grace_s=grace_s, drain_s=self.drain_s, allow_remote=self.allow_remote,
            stack_team=stack_team, stack_config=self.stack_config, live=self.live)


def _duration(flag: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as err:
        raise InputError(f"{flag}: must be {err}") from err


def _drain(text: str) -> float:
    try:
        value = parse_duration(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InputError(f"--drain: must be a duration > 0 such as 30s or 2m, got {text!r}")
    return value


def read_secret(path: Path | None) -> str | None:
    """The platform secret: ``--platform-secret-file``, else $DRILL_PLATFORM_SECRET, else None."""
    if path is None:
        return os.environ.get(SECRET_ENV) or None
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"--platform-secret-file: must be a readable UTF-8 text file, "
                         f"got {type(err).__name__}") from err
    if not secret:
        raise InputError("--platform-secret-file: must hold a secret, got an empty file")
    return secret


def _check_stack_config(path: Path) -> None:
    """The embedded stack's config, checked with the stack's own parser (bad input: exit 2)."""
    from carestack.config import ConfigError, load_config

    if not path.is_file():
        raise InputError(f"--stack-config: must be a readable YAML file, got {path} "
                         f"(no such file)")
    try:
        load_config(path)
    except ConfigError as err:
        raise InputError(f"--stack-config: {err}") from err


def drill_options(scenario: Path, *, output: Path | None = None, target: Path | None = None,
                  base_url: str | None = None, speed: float | None = None,
                  volume: float = 1.0, workers: int = 0, seed: int | None = None,
                  ui: bool = False, platform_port: int = 8765, grace: str | None = None,
                  allow_remote: bool = False, drain: str = "30s",
                  platform_secret_file: Path | None = None, stack_config: Path | None = None,
                  remote_workers: int = 0, master_bind: str | None = None,
                  master_port: int | None = None, gate: bool = False, gates: Path | None = None,
                  live: bool = False, sim_agents: int | None = None, facilitator_port: int = 0,
                  reactions: bool = True, plan: Path | None = None, debrief: bool = False,
                  command: tuple[str, ...] = ()) -> DrillOptions:
    """Validate the drill's flags (as given on the command line) into ``DrillOptions``."""
    grace_s = _duration("--grace", grace)
    drain_s = _drain(drain)
    if speed is not None and speed <= 0:
        raise InputError(f"--speed: must be > 0, got {speed:g}")
    if volume <= 0:
        raise InputError(f"--volume: must be > 0, got {volume:g}")
    if workers < 0:
        raise InputError(f"--workers: must be >= 0, got {workers}")
    if remote_workers < 0:
        raise InputError(f"--remote-workers: must be >= 0, got {remote_workers}")
    if stack_config is not None and target is not None:
        raise InputError("--stack-config: configures the reference stack, so it cannot be "
                         "combined with --target")
    if live and (workers or remote_workers):
        raise InputError("--live: a live drill sends from one process (pause and inject act "
                         "on it), so it cannot be combined with --workers/--remote-workers")
    if sim_agents is not None and (sim_agents < 0 or not live or target is not None):
        raise InputError(f"--sim-agents: must be an integer >= 0 with --live and the embedded "
                         f"stack, got {sim_agents}")
    if plan is not None and not live:
        raise InputError(f"--plan: an exercise plan runs in a live drill, so it needs --live, "
                         f"got --plan {plan} alone")
    if plan is not None and not plan.is_file():
        raise InputError(f"--plan: must be a readable plan file, got {plan}")
    secret = read_secret(platform_secret_file)
    if gate and gates is not None:  # a bad gates file fails now, not after the load
        from reports.gate_run import read_gates_file

        read_gates_file(gates)
    if stack_config is not None:
        _check_stack_config(stack_config)
    remote = remote_workers > 0
    return DrillOptions(
        scenario=scenario, output=output, target=target, base_url=base_url,
        speed=speed if speed is not None or not live else 1.0, volume=volume,
        workers=workers, seed=seed, ui=ui, platform_port=platform_port,
        platform_secret=secret, grace_s=grace_s, allow_remote=allow_remote, command=command,
        remote_workers=remote_workers,
        master_bind=master_bind or ("0.0.0.0" if remote else "127.0.0.1"),
        master_port=master_port if master_port is not None
        else (REMOTE_MASTER_PORT if remote else 0),
        stack_config=stack_config, live=live, sim_agents=sim_agents or 0,
        facilitator_port=facilitator_port, reactions=reactions, plan=plan, debrief=debrief,
        drain_s=drain_s)

