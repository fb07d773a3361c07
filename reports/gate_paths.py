"""Which results.json paths a gate may name, checked before a drill sends any load.

The paths come from the typed sections (reports/sections.py), not from a list kept by
hand: a model field is a sub-tree, a ``Number`` a number, ``Any`` a sub-tree not checked
further (storm series, staffing intervals, the team model's output), and ``dict[str, X]``
a map whose keys depend on the storm (routes, priorities, channels, status codes). A gate
through such a map naming a key this storm does not have (``escalation.per_route.pr.recall``
when no post needed PR) is *not applicable*, not a bad gates file.

``resolve`` looks a path up in a results.json, typed (``Results``) or as a plain dict.

Percentile gates (``...p50``/``p90``/``p99`` beside a ``count``) carry their sample count: a
p99 of fewer than 100 samples is just the maximum, so such a gate is flagged ``few_samples``;
a gates file's ``min_samples N`` line makes percentile gates over fewer than N samples fail.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel

from reports.sections import NumberMark, Results
from simulator.errors import InputError

_PERCENTILE = re.compile(r"^(?P<base>.+)\.p(?P<q>\d+)$")


class MissingMetric(LookupError):
    """A gate names a path results.json does not have."""


def _strip_optional(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _is_number(annotation: Any) -> bool:
    return any(isinstance(m, NumberMark) for m in getattr(annotation, "__metadata__", ()))


@cache
def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's keys as results.json spells them, each with its annotation."""
    out = {}
    for name, field in model.model_fields.items():
        annotation = field.rebuild_annotation()
        out[field.alias or name] = annotation
    return out


def walk(path: str) -> str:
    """``known``, ``each`` (through a storm-dependent key) or ``unknown: <hint>``."""
    node: Any = Results
    through_each = False
    for part in path.split("."):
        node = _strip_optional(node)
        if node is Any:
            return "each" if through_each else "known"
        if isinstance(node, type) and issubclass(node, BaseModel):
            keys = _fields(node)
            if part not in keys:
                close = difflib.get_close_matches(part, list(keys), n=1)
                return f"unknown: {part!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            node = keys[part]
        elif typing.get_origin(node) is dict:
            node, through_each = typing.get_args(node)[1], True
        elif _is_number(node):
            return "unknown: nothing below the number before it"
        else:
            return "unknown: not a number (text, a flag or a list)"
    node = _strip_optional(node)
    if node is Any or _is_number(node):
        return "each" if through_each else "known"
    if isinstance(node, type) and issubclass(node, BaseModel) or typing.get_origin(node) is dict:
        return "unknown: a section, not a number"
    return "unknown: not a number (text, a flag or a list)"


@cache
def _attribute(model: type[BaseModel]) -> dict[str, str]:
    """results.json key -> attribute name (``schema`` is ``schema_``)."""
    return {field.alias or name: name for name, field in model.model_fields.items()}


def resolve(results: Results | dict[str, Any], path: str) -> Any:
    """The value at a dotted path; MissingMetric when a key on the way is absent."""
    node: Any = results
    for part in path.split("."):
        if isinstance(node, BaseModel):
            name = _attribute(type(node)).get(part)
            if name is None or name not in node.model_fields_set:
                raise MissingMetric(path)
            node = getattr(node, name)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise MissingMetric(path)
    return node


def check_metric_path(gate: Any) -> None:
    """InputError naming the gates file line when ``gate.metric`` is no results.json number."""
    for part in (p.strip() for p in gate.metric.split("/")):
        verdict = walk(part)
        if verdict.startswith("unknown"):
            where = f"{gate.source}: line {gate.line}" if gate.line else gate.source
            raise InputError(f"{where} metric {part} must be a number in results.json "
                             f"(docs/results.md), got an unknown path: "
                             f"{verdict.split(': ', 1)[1]}")


def storm_dependent(metric: str) -> bool:
    """True when the metric names a key that depends on the storm (a route, a priority...)."""
    return any(walk(p.strip()) == "each" for p in metric.split("/"))


def samples_needed(metric: str) -> int:
    """Samples a percentile needs to differ from the maximum (p99: 100); 0 for other metrics."""
    match = _PERCENTILE.match(metric.strip())
    if match is None or not 0 < int(match["q"]) < 100:
        return 0
    return -(-100 // (100 - int(match["q"])))


def sample_count(results: Results | dict[str, Any], metric: str) -> int | None:
    """The ``count`` beside a percentile metric, None when there is none."""
    match = _PERCENTILE.match(metric.strip())
    if match is None:
        return None
    try:
        count = resolve(results, f"{match['base']}.count")
    except MissingMetric:
        return None
    return int(count) if isinstance(count, int | float) else None
