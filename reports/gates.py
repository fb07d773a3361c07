"""CI gates over results.json: the scenario's SLO, gates files, and baseline comparison.

A gate is ``metric op threshold``: ``metric`` is a dotted path into results.json, or
``path / path`` (a ratio; 0/0 is 0, x/0 is infinite); ``op`` is one of ``<= < >= > == !=``;
``threshold`` a number, or a percentage (``95%`` is 0.95). A gates file holds one gate a
line, ``#`` comments and blank lines allowed. A metric whose value is null fails its gate
(nothing was measured). Problems with a gates or results file raise ``InputError``
naming the file, the line and what was expected (exit 2).

Baseline comparison checks the tracked metrics (``TRACKED``: path, which direction is
worse, and the smallest absolute change that counts, so jitter in tiny numbers does
not fail a build) and fails any that got worse by more than the allowed share.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from reports.gate_paths import MissingMetric, resolve, sample_count, samples_needed
from reports.sections import Results
from simulator.errors import InputError

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_GATE_LINE = re.compile(r"^(?P<metric>.+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<threshold>\S+)$")
_PATH = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")

# scenario slo key -> (metric, op, scale from the slo's unit to the metric's, drill only)
SLO_GATES: dict[str, tuple[str, str, float, bool]] = {
    "first_response_p90": ("latency.first_response_s.p90", "<=", 1.0, False),
    "ingest_p99": ("latency.ingest_ms.p99", "<=", 1000.0, True),
    "escalation_accuracy": ("escalation.accuracy", ">=", 1.0, False),
    "critical_recall": ("escalation.critical_recall", ">=", 1.0, False),
    "error_rate": ("counts.failed / counts.generated", "<=", 1.0, True),
}

# (metric, True when higher is worse, smallest absolute change that counts)
TRACKED: tuple[tuple[str, bool, float], ...] = (
    ("latency.first_response_s.p50", True, 0.5),
    ("latency.first_response_s.p90", True, 0.5),
    ("latency.first_response_s.p99", True, 0.5),
    ("latency.ingest_ms.p50", True, 1.0),
    ("latency.ingest_ms.p99", True, 1.0),
    ("latency.ingest_service_ms.p99", True, 1.0),
    ("replay.schedule_lag_ms.p99", True, 1.0),
    ("latency.sla_attainment", False, 0.001),
    ("escalation.accuracy", False, 0.001),
    ("escalation.critical_recall", False, 0.001),
    ("escalation.macro_f1", False, 0.001),
    ("counts.unanswered / counts.needed_response", True, 0.001),
    ("counts.failed / counts.generated", True, 0.0001),
)


@dataclass(frozen=True)
class Gate:
    """One check: ``metric op threshold``, with where it came from."""

    name: str
    metric: str
    op: str
    threshold: float
    source: str  # "slo", "slo default", a gates file name, or "baseline"
    line: int = 0  # line in the gates file, 0 otherwise
    min_samples: int = 0  # a percentile over fewer samples fails (gates file `min_samples N`)


def parse_threshold(text: str) -> float:
    """A number or a percentage; ValueError otherwise."""
    text = text.strip()
    value = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    if math.isnan(value):
        raise ValueError(text)
    return value


def parse_regression(text: str) -> float:
    """``10%`` or ``0.1`` -> 0.1; InputError when not a share >= 0."""
    try:
        value = parse_threshold(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < math.inf:
        raise InputError(f"--max-regression: must be a share like 10% or 0.1, got {text!r}")
    return value


def _check_metric(metric: str) -> bool:
    parts = [p.strip() for p in metric.split("/")]
    return 1 <= len(parts) <= 2 and all(_PATH.match(p) for p in parts)


def parse_gates(text: str, source: str) -> list[Gate]:
    """Parse a gates file's text; InputError names the line that is wrong."""
    gates = []
    min_samples = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.split()[0] == "min_samples":
            value = line.split()[1] if len(line.split()) == 2 else ""
            if not value.isdigit():
                raise InputError(f"{source}: line {number} must be `min_samples N` with N an "
                                 f"integer >= 0, got {line!r}")
            min_samples = int(value)
            continue
        match = _GATE_LINE.match(line)
        if match is None:
            raise InputError(
                f"{source}: line {number} must be `metric op threshold` with op one of "
                f"{' '.join(OPS)}, got {line!r}"
            )
        metric = match["metric"].strip()
        if not _check_metric(metric):
            raise InputError(
                f"{source}: line {number} metric must be a results.json path like "
                f"latency.first_response_s.p90 or a ratio a.b / c.d, got {metric!r}"
            )
        try:
            threshold = parse_threshold(match["threshold"])
        except ValueError:
            raise InputError(
                f"{source}: line {number} threshold must be a number or a percentage, "
                f"got {match['threshold']!r}"
            ) from None
        gates.append(Gate(metric, metric, match["op"], threshold, source, number))
    gates = [replace(g, min_samples=min_samples) for g in gates]
    if not gates:
        raise InputError(
            f"{source}: must hold at least one gate line `metric op threshold`, got none"
        )
    return gates


def slo_gates(slo: dict[str, Any], mode: str, defaulted: frozenset[str] = frozenset()
              ) -> list[Gate]:
    """Gates from a scenario's ``slo`` (seconds and shares); drill-only ones skipped in simulate.

    Keys in ``defaulted`` were left out of the scenario and hold the documented defaults
    (docs/ci.md); their gates say so in the source column (``slo default``).
    """
    gates = []
    for key, value in slo.items():
        if value is None or key not in SLO_GATES:
            continue
        metric, op, scale, drill_only = SLO_GATES[key]
        if drill_only and mode != "drill":
            continue
        source = "slo default" if key in defaulted else "slo"
        gates.append(Gate(key, metric, op, round(float(value) * scale, 9), source))
    return gates


Metrics = Results | dict[str, Any]  # a typed results.json, or one as plain JSON


def metric_value(results: Metrics, metric: str) -> float | None:
    """Value of a gate metric (None when the path holds null); MissingMetric when absent."""
    parts = [p.strip() for p in metric.split("/")]
    values = []
    for part in parts:
        value = resolve(results, part)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MissingMetric(f"{part} (not a number: {value!r})")
        values.append(float(value))
    if len(values) == 1:
        return values[0]
    num, den = values
    if den == 0:
        return 0.0 if num == 0 else math.inf
    return num / den


def evaluate(gates: list[Gate], results: Metrics) -> list[dict[str, Any]]:
    """Rows ``{name, metric, op, threshold, value, passed, source}``; MissingMetric propagates."""
    rows = []
    for gate in gates:
        value = metric_value(results, gate.metric)
        passed = value is not None and OPS[gate.op](value, gate.threshold)
        row = {
            "name": gate.name,
            "metric": gate.metric,
            "op": gate.op,
            "threshold": gate.threshold,
            "value": value,
            "passed": bool(passed),
            "source": gate.source,
        }
        count, needed = sample_count(results, gate.metric), samples_needed(gate.metric)
        if count is not None and needed:
            row["samples"] = count
            row["few_samples"] = count < needed
            if count < gate.min_samples:
                row["passed"] = False
                row["note"] = f"{count} samples, fewer than min_samples {gate.min_samples}"
            elif count < needed:
                row["note"] = (f"only {count} samples: a {gate.metric.rsplit('.', 1)[1]} of "
                               f"fewer than {needed} is close to the maximum")
        rows.append(row)
    return rows


def compare_baseline(
    results: Metrics, baseline: Metrics, max_regression: float
) -> list[dict[str, Any]]:
    """One row per tracked metric present (numeric) in both files; failed rows regressed."""
    rows = []
    for metric, higher_worse, floor in TRACKED:
        try:
            new, old = metric_value(results, metric), metric_value(baseline, metric)
        except MissingMetric:
            continue
        if new is None or old is None or not math.isfinite(old):
            continue
        allowed = max(abs(old) * max_regression, floor)
        threshold = old + allowed if higher_worse else old - allowed
        worse = new - old if higher_worse else old - new
        passed = math.isfinite(new) and worse <= allowed
        change = None if old == 0 else (new - old) / abs(old)
        rows.append(
            {
                "name": f"baseline {metric}",
                "metric": metric,
                "op": "<=" if higher_worse else ">=",
                "threshold": round(threshold, 9),
                "value": new,
                "passed": bool(passed),
                "source": "baseline",
                "baseline": old,
                "change": None if change is None else round(change, 6),
            }
        )
    return rows
