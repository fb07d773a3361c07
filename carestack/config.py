"""Configuration of the reference care stack: YAML in, a frozen, validated ``Config`` out.

``load_config(path)`` merges a user file over the packaged ``default.yaml`` (top-level keys replace
the default's; ``tiers`` is replaced whole). ``load_team(path)`` reads a team file, ``team: {tiers:
[...]}`` in the same tier format (``--team``; a drill writes one from the scenario's validated team,
and a scenario file's own ``team`` section reads as one). Every mistake raises ``ConfigError`` with
one line ``<file>: <field.path> must be <expected>, got <found>``; ``python -m carestack`` prints it
and exits 2. Durations are seconds or strings like ``90s``, ``4m``, ``4 min``, ``1h10m``, ``2d``,
``500ms`` (the scenario's grammar, largest unit first; a drill writes plain seconds); handle times
are scenario seconds (the agents' clock runs at ``--speed``), drawn from ``handle_time: {dist,
mean, sd}`` with ``dist`` lognormal (the default: mean and sd), exponential (mean) or constant
(mean).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["HANDLE_DISTS", "ROUTES", "ConfigError", "Config", "OutboxConfig", "TierConfig",
           "load_config", "load_team", "parse_duration"]

ROUTES = ("care", "sales", "pr", "legal", "security")
# Goes, Ilk, Lin and Zhao (Management Science 64(7), 2018): agents took 18% longer to answer a
# chat message while multitasking; the harness's team model uses the same default.
DEFAULT_SLOWDOWN = 0.18
MAX_CONCURRENCY = 20
# The scenario's duration grammar (simulator/scenario/units.py; this package imports nothing of
# the harness): components largest unit first, ``min`` another name for ``m``.
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|min|d|h|m|s)")
_UNIT_S = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_UNIT_ORDER = tuple(_UNIT_S)
HANDLE_DISTS = ("lognormal", "exponential", "constant")


class ConfigError(ValueError):
    """A configuration file or value is wrong; the message is one line naming the field."""


@dataclass(frozen=True)
class TierConfig:
    """One tier of simulated agents: who they are, what they take, how long they take."""

    name: str
    tier: int
    routes: tuple[str, ...]
    agents: int
    handle_mean_s: float
    handle_sd_s: float
    escalates: float
    shifts: tuple[tuple[float, float, int], ...] = ()  # (from_s, to_s, agents); () = always
    concurrency: int = 1  # threads (cases) one agent works at once
    slowdown: float = DEFAULT_SLOWDOWN  # per-thread stretch for each other thread held
    handle_dist: str = "lognormal"  # one of HANDLE_DISTS

    def stretch(self, threads: int) -> float:
        """Handle-time multiplier of a case started while holding ``threads`` (it included)."""
        return 1.0 + self.slowdown * (threads - 1)

    def on_duty(self, index: int, now_s: float) -> bool:
        """Whether the tier's ``index``-th agent (0-based) is on shift at scenario time."""
        if not self.shifts:
            return index < self.agents
        return any(a <= now_s < b and index < n for a, b, n in self.shifts)

    def next_change(self, now_s: float) -> float | None:
        """The next shift boundary after ``now_s`` (scenario seconds), if any."""
        later = [t for a, b, _ in self.shifts for t in (a, b) if t > now_s]
        return min(later) if later else None


@dataclass(frozen=True)
class OutboxConfig:
    """How actions are delivered to the platform URL.

    ``connections`` sender tasks sharing a pool of as many keep-alive connections, the
    retry backoff bounds and the per-request timeout. ``crash_after`` (0 = off) is a fault
    knob: each sender fails on purpose after every N deliveries, to rehearse its restart.
    """

    connections: int = 8
    crash_after: int = 0
    retry_initial_s: float = 0.2
    retry_max_s: float = 5.0
    timeout_s: float = 5.0


@dataclass(frozen=True)
class Config:
    """The whole stack configuration; CLI flags are folded in by ``with_overrides``."""

    tiers: tuple[TierConfig, ...]
    seed: int = 7
    brand: str = "@Brand"
    agents_enabled: bool = True
    sync_clock: bool = True
    ingest_delay_ms: float = 0.0
    misroute: dict[str, str] = field(default_factory=dict)
    vip_followers: int = 10000
    max_body_bytes: int = 1048576
    x_secret: str | None = None
    platform_secret: str | None = None
    outbox: OutboxConfig = field(default_factory=OutboxConfig)

    def with_overrides(self, **changes: Any) -> Config:
        """Return a copy with the given fields replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_duration(value: Any, where: str) -> float:
    """Seconds from a number or a string like ``4m``, ``4 min``, ``1h10m``, ``2d``, ``500ms``."""
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a duration like 4m or 90s, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ConfigError(f"{where} must be a duration >= 0, got {value!r}")
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        matches = list(_DURATION.finditer(text))
        units = ["m" if m[2] == "min" else m[2] for m in matches]
        ranks = [_UNIT_ORDER.index(u) for u in units]
        if matches and "".join(m[0] for m in matches) == text and ranks == sorted(set(ranks)):
            return sum(float(m[1]) * _UNIT_S[u] for m, u in zip(matches, units, strict=True))
    raise ConfigError(f"{where} must be a duration like 4m or 90s, got {value!r}")


def _default_raw() -> dict[str, Any]:
    text = resources.files("carestack").joinpath("default.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _read_yaml(path: Path) -> Any:
    """A YAML file's content; ``ConfigError`` naming the file when unreadable or not YAML."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: file must be readable, got {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: file must be valid YAML, got {exc}") from exc


def _int(raw: Any, where: str, low: int = 0) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
        raise ConfigError(f"{where} must be an integer >= {low}, got {raw!r}")
    return raw


def _num(raw: Any, where: str, low: float, high: float | None = None) -> float:
    ok = isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= low
    if ok and high is not None:
        ok = raw <= high
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ConfigError(f"{where} must be a number {bound}, got {raw!r}")
    return float(raw)


def _shifts(raw: Any, where: str) -> tuple[tuple[float, float, int], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where} must be a list of {{from, to, agents}}, got {raw!r}")
    out = []
    for i, shift in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(shift, dict) or not {"from", "to", "agents"} <= set(shift):
            raise ConfigError(f"{w} must be a mapping with from, to and agents, got {shift!r}")
        start = parse_duration(shift["from"], f"{w}.from")
        end = parse_duration(shift["to"], f"{w}.to")
        if end <= start:
            raise ConfigError(f"{w}.to must be after from, got {shift['to']!r}")
        out.append((start, end, _int(shift["agents"], f"{w}.agents")))
    return tuple(out)


def load_team(path: Path) -> tuple[TierConfig, ...]:
    """The agent tiers of a team file: ``team: {tiers: [...]}`` (other top-level keys ignored).

    Errors name the file and the field (``<file>: team.tiers[0].shifts[0].to must be ...``).
    """
    name = str(path)
    data = _read_yaml(path)
    team = data.get("team") if isinstance(data, dict) else None
    tiers = team.get("tiers") if isinstance(team, dict) else None
    if not isinstance(tiers, list) or not tiers:
        raise ConfigError(f"{name}: team.tiers must be a non-empty list, got {tiers!r}")
    try:
        return tuple(_tier(t, f"team.tiers[{i}]") for i, t in enumerate(tiers))
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _handle(handle: Any, where: str) -> tuple[str, float, float]:
    """``handle_time`` as (dist, mean s, sd s)."""
    if not isinstance(handle, dict) or "mean" not in handle:
        raise ConfigError(f"{where} must be a mapping with mean (and sd), got {handle!r}")
    dist = handle.get("dist", "lognormal")
    if dist not in HANDLE_DISTS:
        raise ConfigError(f"{where}.dist must be one of {', '.join(HANDLE_DISTS)}, got {dist!r}")
    allowed = {"dist", "mean"} | ({"sd"} if dist == "lognormal" else set())
    extra = sorted(set(handle) - allowed)
    if extra:
        raise ConfigError(f"{where}.{extra[0]} must not be set for dist {dist}, "
                          f"got {handle[extra[0]]!r}")
    mean = parse_duration(handle["mean"], f"{where}.mean")
    if mean <= 0:
        raise ConfigError(f"{where}.mean must be > 0, got {handle['mean']!r}")
    if dist == "exponential":
        return dist, mean, mean
    if dist == "constant":
        return dist, mean, 0.0
    return dist, mean, parse_duration(handle.get("sd", 0), f"{where}.sd")


def _tier(raw: Any, where: str) -> TierConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {raw!r}")
    for key in ("name", "tier", "routes", "handle_time"):
        if key not in raw:
            raise ConfigError(f"{where}.{key} must be given, got nothing")
    routes = raw["routes"]
    if not isinstance(routes, list) or not routes:
        raise ConfigError(f"{where}.routes must be a non-empty list of routes, got {routes!r}")
    for i, route in enumerate(routes):
        if route not in ROUTES:
            raise ConfigError(f"{where}.routes[{i}] must be one of {', '.join(ROUTES)}, "
                              f"got {route!r}")
    dist, mean, sd = _handle(raw["handle_time"], f"{where}.handle_time")
    shifts = _shifts(raw.get("shifts"), f"{where}.shifts")
    default_agents = max((n for _, _, n in shifts), default=1)
    agents = _int(raw.get("agents", default_agents), f"{where}.agents")
    return TierConfig(
        name=str(raw["name"]),
        tier=_int(raw["tier"], f"{where}.tier", 1),
        routes=tuple(routes),
        agents=agents,
        shifts=shifts,
        handle_mean_s=mean,
        handle_sd_s=sd,
        handle_dist=dist,
        escalates=_num(raw.get("escalates", 0.0), f"{where}.escalates", 0.0, 1.0),
        concurrency=_concurrency(raw.get("concurrency", 1), f"{where}.concurrency"),
        slowdown=_num(raw.get("slowdown", DEFAULT_SLOWDOWN), f"{where}.slowdown", 0.0, 5.0),
    )


def _concurrency(raw: Any, where: str) -> int:
    value = _int(raw, where, 1)
    if value > MAX_CONCURRENCY:
        raise ConfigError(f"{where} must be an integer between 1 and {MAX_CONCURRENCY}, "
                          f"got {raw!r}")
    return value


def _build(raw: dict[str, Any], name: str) -> Config:
    def err(exc: ConfigError) -> ConfigError:
        return ConfigError(f"{name}: {exc}")

    try:
        tiers_raw = raw.get("tiers")
        if not isinstance(tiers_raw, list) or not tiers_raw:
            raise ConfigError(f"tiers must be a non-empty list, got {tiers_raw!r}")
        tiers = tuple(_tier(t, f"tiers[{i}]") for i, t in enumerate(tiers_raw))
        misroute = raw.get("misroute") or {}
        if not isinstance(misroute, dict):
            raise ConfigError(f"misroute must be a mapping route: route, got {misroute!r}")
        for src, dst in misroute.items():
            if src not in ROUTES or dst not in ROUTES:
                raise ConfigError(f"misroute.{src} must map a route to a route "
                                  f"({', '.join(ROUTES)}), got {dst!r}")
        ob = raw.get("outbox") or {}
        if not isinstance(ob, dict):
            raise ConfigError(f"outbox must be a mapping, got {ob!r}")
        outbox = OutboxConfig(
            connections=_int(ob.get("connections", 8), "outbox.connections", 1),
            crash_after=_int(ob.get("crash_after", 0), "outbox.crash_after", 0),
            retry_initial_s=parse_duration(ob.get("retry_initial", 0.2), "outbox.retry_initial"),
            retry_max_s=parse_duration(ob.get("retry_max", 5), "outbox.retry_max"),
            timeout_s=parse_duration(ob.get("timeout", 5), "outbox.timeout"),
        )
        secret = raw.get("x_secret")
        if secret is not None and not isinstance(secret, str):
            raise ConfigError(f"x_secret must be a string, got {secret!r}")
        enabled = raw.get("agents_enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"agents_enabled must be true or false, got {enabled!r}")
        sync = raw.get("sync_clock", True)
        if not isinstance(sync, bool):
            raise ConfigError(f"sync_clock must be true or false, got {sync!r}")
        return Config(
            tiers=tiers,
            seed=_int(raw.get("seed", 7), "seed"),
            brand=str(raw.get("brand", "@Brand")),
            agents_enabled=enabled,
            sync_clock=sync,
            ingest_delay_ms=_num(raw.get("ingest_delay_ms", 0), "ingest_delay_ms", 0.0),
            misroute={str(k): str(v) for k, v in misroute.items()},
            vip_followers=_int(raw.get("vip_followers", 10000), "vip_followers"),
            max_body_bytes=_int(raw.get("max_body_bytes", 1048576), "max_body_bytes", 256),
            x_secret=secret,
            outbox=outbox,
        )
    except ConfigError as exc:
        raise err(exc) from exc


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load the packaged defaults, merge ``path`` (YAML) and ``overrides`` over them, validate.

    ``overrides`` is a plain mapping with the file's keys (tests and the CLI use it).
    """
    raw = _default_raw()
    name = "carestack/default.yaml"
    if path is not None:
        name = str(path)
        user = _read_yaml(path)
        if user is not None and not isinstance(user, dict):
            raise ConfigError(f"{name}: top level must be a mapping, got {type(user).__name__}")
        raw.update(user or {})
    if overrides:
        raw.update(overrides)
    return _build(raw, name)
