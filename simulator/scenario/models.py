"""Scenario files: frozen, validated models and ``load_scenario(path)``.

DESIGN.md section 4. Everything is checked before anything runs; durations are stored as
seconds and rates as events per second (the YAML strings are only input). Any mistake
raises ``InputError`` with one line: ``<file>: <field.path> must be <expected>, got <found>``.
Unknown keys are errors. See docs/scenarios.md for the field reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.errors import InputError
from simulator.scenario.content_packs import (
    DEFAULT_INDUSTRY,
    INDUSTRIES,
    ContentSection,
    content_problem,
)
from simulator.scenario.distributions import DistSpec
from simulator.scenario.policy import Action, Condition, PolicyRule
from simulator.scenario.reactions_spec import Reactions
from simulator.scenario.roster import Duration, ServiceLevel, Share, Shift, Team, Tier, check_shifts
from simulator.scenario.units import parse_rate
from simulator.scenario.validation import format_validation_error, read_yaml_mapping
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS

__all__ = [
    "Action",
    "Audience",
    "Baseline",
    "Brand",
    "Cascade",
    "Condition",
    "ContentSection",
    "DistSpec",
    "Incident",
    "Influencers",
    "Journeys",
    "PolicyRule",
    "ProfilePoint",
    "Reactions",
    "Scenario",
    "ServiceLevel",
    "Shift",
    "Slo",
    "Team",
    "Tier",
    "Trigger",
    "Wave",
    "load_scenario",
    "parse_scenario",
]

Rate = Annotated[float, BeforeValidator(parse_rate)]
MIX_TOLERANCE = 0.01
_SLUG = r"^[a-z0-9][a-z0-9_.-]*$"


def _mix(known: tuple[str, ...], what: str) -> Callable[[dict[str, float]], dict[str, float]]:
    """Validator for ``{name: share}`` mixes: known names, shares >= 0, summing to 1."""

    def check(value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if name not in known:
                raise ValueError(f"@{name}: must be {what} ({', '.join(known)}), got {name!r}")
            if share < 0:
                raise ValueError(f"@{name}: must be >= 0, got {share:g}")
        total = sum(value.values())
        if not value or abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"must sum to 1 (within {MIX_TOLERANCE:g}), got {total:g}")
        return {k: v / total for k, v in value.items()}

    return check


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Brand(_Model):
    name: str = Field(min_length=1)
    handle: str = Field(pattern=r"^@\w{1,30}$")
    products: tuple[str, ...] = Field(min_length=1)
    hashtags: tuple[str, ...] = ()
    industry: str = DEFAULT_INDUSTRY

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, value: str) -> str:
        if value not in INDUSTRIES:
            raise ValueError(f"an industry with a pack ({', '.join(INDUSTRIES)}), got {value!r}")
        return value


class Influencers(_Model):
    share: Share
    followers: DistSpec


class Audience(_Model):
    customers: int = Field(ge=1, le=50_000_000)
    followers: DistSpec
    influencers: Influencers | None = None
    vip_share: Share = 0.0
    anonymous_share: Share = 0.2


class ProfilePoint(_Model):
    at: Duration
    factor: float = Field(ge=0.0)


class Baseline(_Model):
    rate: Rate
    profile: Literal["flat", "diurnal"] | tuple[ProfilePoint, ...] = "flat"
    intents: dict[str, float]
    emotions: dict[str, float] | None = None

    _intents = field_validator("intents")(_mix(INTENTS, "a known intent"))
    _emotions = field_validator("emotions")(
        lambda v: None if v is None else _mix(EMOTIONS, "a known emotion")(v)
    )

    @field_validator("profile")
    @classmethod
    def _points(cls, value: object) -> object:
        if isinstance(value, tuple):
            if not value:
                raise ValueError("flat, diurnal or a non-empty list of {at, factor}, got []")
            for i in range(1, len(value)):
                if value[i].at <= value[i - 1].at:
                    raise ValueError(
                        f"@[{i}].at: must be after the previous point "
                        f"({value[i - 1].at:g}s), got {value[i].at:g}s"
                    )
        return value


class Trigger(_Model):
    rate: Rate
    for_: Duration = Field(alias="for", gt=0)


class Cascade(_Model):
    branching: float = Field(ge=0.0)
    kernel: DistSpec
    influence: float = Field(default=0.0, ge=0.0, le=3.0)
    kinds: dict[str, float] = {"repost": 0.6, "reply": 0.3, "quote": 0.1}

    @field_validator("kernel", mode="before")
    @classmethod
    def _theta_is_a_number(cls, value: object) -> object:
        # DistSpec parameters also accept durations; the tail exponent never is one ("5m")
        theta = value.get("theta") if isinstance(value, dict) else None
        if theta is not None and (isinstance(theta, bool) or not isinstance(theta, int | float)):
            raise ValueError(
                f"@theta: must be a number > 0 (the power-law tail exponent, e.g. 0.23), "
                f"got {theta!r}"
            )
        return value

    _kinds = field_validator("kinds")(_mix(KINDS, "a kind"))

    @field_validator("branching")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value >= 1.0:
            raise ValueError(f"must be < 1 for a finite storm, got {value:g}")
        return value


class Wave(_Model):
    at: Duration
    source: str = Field(default="media", min_length=1)
    rate: Rate
    for_: Duration = Field(alias="for", gt=0)
    intents: dict[str, float] | None = None

    _intents = field_validator("intents")(
        lambda v: None if v is None else _mix(INTENTS, "a known intent")(v)
    )


class Incident(_Model):
    id: str = Field(pattern=_SLUG)
    at: Duration
    topic: str = Field(min_length=1)
    trigger: Trigger
    cascade: Cascade | None = None
    intents: dict[str, float]
    emotions: dict[str, float] | None = None
    channels: dict[str, float] | None = None
    hashtags: tuple[str, ...] = ()
    waves: tuple[Wave, ...] = ()

    _intents = field_validator("intents")(_mix(INTENTS, "a known intent"))
    _emotions = field_validator("emotions")(
        lambda v: None if v is None else _mix(EMOTIONS, "a known emotion")(v)
    )
    _channels = field_validator("channels")(
        lambda v: None if v is None else _mix(CHANNELS, "a known channel")(v)
    )


class Journeys(_Model):
    share: Share
    patience: DistSpec
    path: tuple[str, ...] = Field(min_length=2)

    @field_validator("path")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, name in enumerate(value):
            if name not in CHANNELS:
                raise ValueError(
                    f"@[{i}]: must be a known channel ({', '.join(CHANNELS)}), got {name!r}"
                )
        return value


class Slo(_Model):
    first_response_p90: Duration | None = 1800.0
    ingest_p99: Duration | None = 0.5
    escalation_accuracy: Share | None = 0.95
    critical_recall: Share | None = 1.0
    error_rate: Share | None = 0.001


class DrillDefaults(_Model):
    """How this scenario is drilled unless the command line says otherwise."""

    speed: float = Field(default=60.0, gt=0)
    # Caps the end-of-run wait for answers (scenario time after the last send); None: wait until
    # the last delivered post's deadline or every post is answered (load/answer_wait.py).
    grace: Annotated[Duration, Field(ge=0)] | None = None


class Scenario(_Model):
    """A whole scenario file, validated; times in seconds, rates per second."""

    name: str = Field(pattern=_SLUG)
    title: str = ""
    seed: int = Field(default=0, ge=0)
    duration: Duration = Field(gt=0)
    start: str = "2026-01-01T00:00:00Z"
    brand: Brand
    audience: Audience
    channels: dict[str, float]
    baseline: Baseline
    incidents: tuple[Incident, ...] = ()
    journeys: Journeys | None = None
    policy: tuple[PolicyRule, ...] = ()
    team: Team
    slo: Slo = Slo()
    drill: DrillDefaults = DrillDefaults()
    reactions: Reactions | None = None
    content: ContentSection | None = None

    _channels = field_validator("channels")(_mix(CHANNELS, "a known channel"))

    @field_validator("start")
    @classmethod
    def _iso(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"an ISO 8601 time like 2026-03-14T08:00:00Z, got {value!r}") from None
        return value

    @property
    def start_time(self) -> datetime:
        """``start`` as an aware datetime (the clock label for reports)."""
        return datetime.fromisoformat(self.start.replace("Z", "+00:00"))

    @property
    def incident_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.incidents)

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        seen: set[str] = set()
        for i, inc in enumerate(self.incidents):
            if inc.id in seen:
                raise ValueError(f"@incidents[{i}].id: must be unique, got {inc.id!r} twice")
            seen.add(inc.id)
            if inc.at >= self.duration:
                raise ValueError(
                    f"@incidents[{i}].at: must be before the scenario end "
                    f"({self.duration:g}s), got {inc.at:g}s"
                )
            for j, wave in enumerate(inc.waves):
                if wave.at >= self.duration:
                    raise ValueError(
                        f"@incidents[{i}].waves[{j}].at: must be before the "
                        f"scenario end ({self.duration:g}s), got {wave.at:g}s"
                    )
        for i, rule in enumerate(self.policy):
            if rule.otherwise is not None and i != len(self.policy) - 1:
                raise ValueError(
                    f"@policy[{i + 1}]: must not follow the otherwise rule "
                    f"(policy[{i}]), got another rule"
                )
            action, key = rule.action, "then" if rule.otherwise is None else "otherwise"
            if action.respond and action.route != "none":
                if action.route not in self.team.routes:
                    raise ValueError(
                        f"@policy[{i}].{key}.route: must be a route some team tier "
                        f"works ({', '.join(sorted(self.team.routes))}), "
                        f"got {action.route!r}"
                    )
                tiers = {t.tier for t in self.team.tiers}
                if action.tier not in tiers:
                    raise ValueError(
                        f"@policy[{i}].{key}.tier: must be a team tier "
                        f"({', '.join(map(str, sorted(tiers)))}), got {action.tier}"
                    )
            when = rule.when
            if when is not None and isinstance(when.incident, tuple):
                for name in when.incident:
                    if name not in seen:
                        raise ValueError(
                            f"@policy[{i}].when.incident: must name incidents "
                            f"({', '.join(sorted(seen)) or 'none defined'}), "
                            f"got {name!r}"
                        )
        check_shifts(self.team, self.duration)
        _check_amplify(self)
        if self.content is not None:
            problem = content_problem(self.brand.industry, self.content)
            if problem:
                raise ValueError(problem)
        return self


def _check_amplify(scenario: Scenario) -> None:
    """A backlash cascade multiplies branching by ``amplify``: it must stay below 1."""
    if scenario.reactions is None:
        return
    amplify = scenario.reactions.wrong.amplify
    for i, inc in enumerate(scenario.incidents):
        if inc.cascade is not None and inc.cascade.branching * amplify >= 1.0:
            raise ValueError(
                f"@reactions.wrong.amplify: must keep every incident's branching x amplify "
                f"below 1 (incidents[{i}] has branching {inc.cascade.branching:g}), "
                f"got {amplify:g}"
            )


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Validate an already-parsed mapping; ``source`` names it in error messages."""
    if not isinstance(data, dict):
        kind = "an empty file" if data is None else f"a {type(data).__name__}"
        raise InputError(f"{source}: must be a mapping of scenario fields, got {kind}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InputError(format_validation_error(err, source, _field_names())) from err


def _field_names() -> set[str]:
    """Every key a scenario file may use (names and aliases), for typo suggestions."""
    names: set[str] = set()
    todo: list[type[BaseModel]] = [_Model]
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        for name, info in model.model_fields.items():
            names.update(n for n in (name, info.alias) if n)
    return names


def load_scenario(path: Path | str) -> Scenario:
    """Read, validate and freeze a scenario file; raise ``InputError`` (one line) if bad."""
    path = Path(path)
    return parse_scenario(read_yaml_mapping(path), path.name)
