"""results.json as typed sections: one pydantic model per top-level key (docs/results.md).

The section builders (fidelity, latency, escalation, ...) compute plain values; ``Results``
validates them into these models, gates resolve metric paths against them
(reports/gate_paths.py walks the fields, so a number added here is gateable at once), and
``dump`` serialises them back to exactly the JSON the builders produced: keys a run did not
have stay absent (``exclude_unset``), numbers keep their type (``Number`` validates without
converting), so a results.json round-trips through ``Results.parse`` unchanged.

Field annotations say what a gate may name: ``Number`` is a number (a leaf), a model is a
sub-tree, ``dict[str, X]`` a map whose keys depend on the storm (routes, priorities,
channels; a gate on a key the storm lacks is *not applicable*), and ``Any`` a sub-tree that
is not typed further (staffing intervals, the team model's output, chart series).
"""

from __future__ import annotations

import numbers
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from simulator.errors import InputError

SCHEMA: Final = "crisis-drill/results/1"
Mode = Literal["drill", "simulate"]
MODES: tuple[str, ...] = get_args(Mode)


class NumberMark:
    """Marks an annotation as a results.json number (what a gate can compare)."""


def _number(value: Any) -> Any:
    """A number or null, returned as it came (an int stays an int, numpy stays numpy)."""
    if value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool)):
        return value
    raise ValueError("a number or null")


Number = Annotated[Any, PlainValidator(_number), NumberMark()]


class Section(BaseModel):
    """A results.json object: only documented keys, absent keys stay absent in the JSON."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Summary(Section):
    """``{p50, p90, p99, max, mean, count}`` over a sample (nulls when it is empty)."""

    p50: Number = None
    p90: Number = None
    p99: Number = None
    max: Number = None
    mean: Number = None
    count: Number = None


class GroupedSummary(Summary):
    """A summary with the same summary per priority, channel and incident."""

    by_priority: dict[str, Summary] | None = None
    by_channel: dict[str, Summary] | None = None
    by_incident: dict[str, Summary] | None = None


class Scenario(Section):
    name: str | None = None
    title: str | None = None
    seed: Number = None
    duration_s: Number = None
    start: str | None = None
    brand: str | None = None


class Scored(Section):
    """``counts.scored``: which delivered posts the team is scored on (reports/scope.py)."""

    delivered: Number = None
    not_delivered: Number = None
    routing_expressed: Number = None
    routing_not_expressed: Number = None
    critical_not_delivered: Number = None
    critical_routing_not_expressed: Number = None
    deadline_met: Number = None
    deadline_missed: Number = None
    open_at_end: Number = None
    observed_until_s: Number = None


class Counts(Section):
    generated: Number = None
    scripted: Number = None
    reactions: Number = None
    prevented: Number = None
    sent: Number = None
    accepted: Number = None
    failed: Number = None
    unsent: Number = None
    needed_response: Number = None
    responded: Number = None
    unanswered: Number = None
    open_at_end: Number = None
    unsent_by_reason: dict[str, Number] | None = None
    scored: Scored | None = None
    answered_unneeded: Number = None
    actions: Number = None
    unmatched_actions: Number = None
    rejected_callbacks: Number = None
    throttled: Number = None
    accounting_ok: bool | None = None


class Target(Section):
    profile: str | None = None
    base_url: str | None = None


class Replay(Section):
    """Replay fidelity (drill); in simulate only the first figures, all null."""

    speed: Number = None
    volume: Number = None
    target: Target | None = None
    started_at: str | None = None
    partial: bool | None = None
    stopped_reason: str | None = None
    stop_signal: str | None = None
    live: bool | None = None
    stack_outbox: Any = None
    workers: Number = None
    planned_peak_rate: Number = None
    achieved_peak_rate: Number = None
    schedule_lag_ms: Summary | None = None
    status_codes: dict[str, Number] | None = None
    per_second: dict[str, list[Number]] | None = None
    returns: Any = None


class Storm(Section):
    bin_s: Number = None
    per_bin_by_intent: Any = None
    peak_per_min: Number = None
    peak_at_s: Number = None
    markers: Any = None
    intents: dict[str, Number] | None = None
    channels: dict[str, Number] | None = None
    incidents: dict[str, Number] | None = None
    burstiness: Number = None


class Reactions(Section):
    """Closed-loop reactions; only ``enabled`` (False) for an open-loop run."""

    enabled: bool | None = None
    scripted: Number = None
    reactions: Number = None
    prevented: Number = None
    prevented_share: Number = None
    added_by_silence_and_wrong: Number = None
    silence_follow_ups: Number = None
    backlash_posts: Number = None
    answer_backs: Number = None
    answered_in_time: Number = None
    answered_late: Number = None
    wrong_handling: Number = None
    cancel_too_late: Number = None
    amplification: Number = None
    headline: str | None = None
    per_bin: Any = None


class IngestOverTime(Section):
    """Ingest latency percentiles per ``bucket_s`` of the run (series, not gateable)."""

    start_s: list[Number] | None = None
    count: list[Number] | None = None
    p50: list[Number] | None = None
    p90: list[Number] | None = None
    p99: list[Number] | None = None
    bucket_s: Number = None


class Latency(Section):
    first_response_s: GroupedSummary | None = None
    sla_attainment: Number = None
    sla_by_priority: dict[str, Number] | None = None
    sla_met: Number = None
    sla_due: Number = None
    sla_open: Number = None
    first_response_hist: Any = None
    escalation_s: Summary | None = None
    ingest_ms: Summary | None = None
    ingest_service_ms: Summary | None = None
    ingest_over_time: IngestOverTime | None = None


class RouteScore(Section):
    precision: Number = None
    recall: Number = None
    f1: Number = None
    support: Number = None
    predicted: Number = None


class Escalation(Section):
    accuracy: Number = None
    route_accuracy: Number = None
    tier_accuracy: Number = None
    priority_accuracy: Number = None
    macro_f1: Number = None
    scored: Number = None
    not_delivered: Number = None
    route_not_expressed: Number = None
    correct: Number = None
    over_escalated: Number = None
    under_escalated: Number = None
    misrouted: Number = None
    critical_support: Number = None
    critical_recall: Number = None
    critical_unscored: Number = None
    critical_missed: Number = None
    critical_misses: list[Any] | None = None
    labels: list[str] | None = None
    confusion: list[list[Number]] | None = None
    per_route: dict[str, RouteScore] | None = None


class ServiceLevel(Section):
    within_s: Number = None
    target: Number = None


class Staffing(Section):
    interval_s: Number = None
    service_level: ServiceLevel | None = None
    patience_s: Number = None
    intervals: list[Any] | None = None
    tiers: list[Any] | None = None
    peak_required: Number = None
    peak_required_sim: Number = None
    peak_rostered: Number = None
    required_basis: str | None = None
    simulation: Any = None
    service_levels: Any = None
    shortfall_agent_hours: Number = None
    shortfall_windows: list[Any] | None = None
    adequate: bool | None = None
    unassigned_posts: Number = None
    schedule: Any = None


class SentimentSide(Section):
    posts: Number = None
    mean: Number = None
    negative_share: Number = None


class Sentiment(Section):
    threads_answered: Number = None
    threads: Number = None
    before: SentimentSide | None = None
    after: SentimentSide | None = None
    unanswered_threads: SentimentSide | None = None
    change: Number = None
    over_time: Any = None


class Reproduce(Section):
    command: list[str] | None = None
    seed: Number = None
    versions: dict[str, str] | None = None
    argv0: str | None = None


class Results(Section):
    """A whole results.json; ``schema``, ``mode``, ``counts``, ``latency`` and ``escalation``
    are what every results.json from ``drill`` or ``simulate`` has."""

    schema_: Literal["crisis-drill/results/1"] = Field(alias="schema")
    mode: Mode
    scenario: Scenario | None = None
    counts: Counts
    replay: Replay | None = None
    storm: Storm | None = None
    reactions: Reactions | None = None
    latency: Latency
    escalation: Escalation
    staffing: Staffing | None = None
    sentiment: Sentiment | None = None
    agents: list[Any] | None = None
    debrief: Any = None  # a --live or --debrief drill: docs/training.md
    team: Any = None  # simulate: team.json as the care-team model wrote it
    reproduce: Reproduce | None = None
    slo: Any = None  # the scenario's slo as loaded
    slo_defaults: list[str] | None = None
    gates: list[Any] | None = None
    passed: bool | None = None
    findings: list[Any] | None = None
    generated_at: str | None = None

    def dump(self) -> dict[str, Any]:
        """results.json's content: the keys that were given, in documented order."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    @classmethod
    def parse(cls, data: Any, where: str) -> Results:
        """Validate a results.json's content; one-line InputError naming the first bad key."""
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            raise InputError(f"{where}: {_first_problem(err)}") from None


class _Short:
    """A value whose repr is cut to one short line (a bad section may be large)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(self.value)
        return text if len(text) <= 80 else text[:77] + "..."


def _first_problem(err: ValidationError) -> str:
    """``path must be ..., got ...`` for the first error pydantic found."""
    problem = err.errors(include_url=False)[0]
    path = ".".join(str(p) for p in problem["loc"])
    kind, got = problem["type"], _Short(problem.get("input"))
    if kind == "missing":
        return f"{path} must be present (a results.json from drill or simulate), got none"
    if kind == "extra_forbidden":
        return f"{path} must not be there (no such key in {SCHEMA}: an old or foreign file?)"
    if kind == "literal_error":
        return f"{path} must be {problem['ctx']['expected']}, got {got!r}"
    if kind in ("model_type", "dict_type"):
        return f"{path} must be a JSON object, got {got!r}"
    if kind == "value_error":
        return f"{path} must be {problem['ctx']['error']}, got {got!r}"
    return f"{path} must be {problem['msg'].lower().removeprefix('input should be ')}, got {got!r}"
