"""How a stack's own view of a case (a webhook body, a polled ticket) becomes drill actions.

One mapping language serves both directions back from a stack: ``callbacks:`` (its webhooks,
received by the platform endpoint) and ``poll:`` (its API, read during the drill). A mapping
says how to find the event, then either names one ``action`` per request (from the payload,
with value maps) or lets the actions follow from changes of the case's ``state``:

- ``route`` (with ``tier`` and ``priority``) seen for the first time: ``triage``;
  changed later: ``escalate`` with the new values;
- ``status`` changing to a value that maps to an action name (``close``, ``message`` for a
  thread taken private, ...): that action;
- ``items`` (a list in the payload, e.g. a ticket's follow-ups): each item not seen before
  (by ``id``) that passes ``when`` becomes one action (``reply`` unless told), with ``agent``
  and ``text`` read from the item.

A value is a dotted path into the payload (``ticket.queue``, ``results.0.id``), or
``{from: PATH | template: TEMPLATE, map: {value: mapped}, default: VALUE}``; map keys are
compared as text, so a YAML ``1:`` matches a JSON ``1`` and ``"1"``. A value the map does not
name, a mapped ``null`` and an empty template result all mean "not expressed" (e.g. an
untriaged inbox queue), then ``default`` applies. ``CaseState`` holds what is known per event,
so a change seen by a webhook is not reported again by the next poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["ACTION_NAMES", "CaseMap", "CaseMapper", "CaseState", "EventRule", "ItemsSpec",
           "Unmapped", "ValueSpec", "dig"]

# The drill contract's actions (DESIGN.md section 6); taking a thread private is ``message``.
ACTION_NAMES = ("triage", "reply", "message", "escalate", "close", "ignore")
DECISION_FIELDS = ("route", "tier", "priority")


class Unmapped(Exception):
    """A request (or poll answer) that could not be mapped; the message is the reason."""


def dig(payload: Any, dotted: str) -> Any:
    """``payload`` at a dotted path (list indexes as numbers); None where it is missing."""
    value = payload
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


class ValueSpec(BaseModel):
    """One value read from a payload: a dotted path or a template, then an optional value map."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str | None = Field(default=None, alias="from")
    template: str | None = None
    map: dict[str, Any] | None = None
    default: Any = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": data}
        if isinstance(data, dict) and isinstance(data.get("map"), dict):
            return {**data, "map": {_key(k): v for k, v in data["map"].items()}}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        if (self.from_ is None) == (self.template is None):
            raise ValueError("exactly one of from (a dotted path) or template, got "
                             f"{'both' if self.from_ else 'neither'}")
        return self


class EventRule(BaseModel):
    """How to find the event: a field holding its id, or a captured id (e.g. a ticket number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str | None = Field(default=None, alias="from")
    template: str | None = None
    capture: str | None = None  # the value is this captured field of the event's answer
    pattern: str | None = None  # a regex; its first group (else the whole match) is the value

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"from": data} if isinstance(data, str) else data

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"a valid regular expression, got {value!r} ({err})") from err
        return value

    @model_validator(mode="after")
    def _one_source(self) -> EventRule:
        if (self.from_ is None) == (self.template is None):
            raise ValueError("exactly one of from (a dotted path) or template, got "
                             f"{'both' if self.from_ else 'neither'}")
        return self


class ItemsSpec(BaseModel):
    """A list in the payload whose new items are actions (e.g. a ticket's follow-ups)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str = Field(alias="from")
    id: str = "id"
    when: str | None = None  # a template over item and payload; falsy text skips the item
    action: str = "reply"
    agent: ValueSpec | None = None  # paths relative to the item
    text: ValueSpec | None = None

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if value not in ACTION_NAMES:
            raise ValueError(f"one of {', '.join(ACTION_NAMES)}, got {value!r}")
        return value


class CaseMap(BaseModel):
    """The mapping shared by callbacks and polling (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    action: ValueSpec | None = None  # one action per request, named by the payload
    route: ValueSpec | None = None
    tier: ValueSpec | None = None
    priority: ValueSpec | None = None
    status: ValueSpec | None = None  # mapped to an action name on change (close, message, ...)
    agent: ValueSpec | None = None
    text: ValueSpec | None = None
    items: ItemsSpec | None = None
    fields: dict[str, ValueSpec] = Field(default_factory=dict)  # copied into every action


def _truthy(text: str) -> bool:
    return text.strip().lower() not in ("", "false", "none", "0", "no")


@dataclass
class CaseState:
    """What is known of one case: its decision fields, status and the items already seen."""

    route: Any = None
    tier: Any = None
    priority: Any = None
    status: Any = None
    items: set[str] = field(default_factory=set)
    closed: bool = False


class CaseMapper:
    """A compiled ``CaseMap``: ``actions(payload, state, ctx)`` -> new action dicts."""

    def __init__(self, spec: CaseMap, env: jinja2.Environment) -> None:
        self.spec = spec
        self._templates: dict[str, jinja2.Template] = {}
        for name in ("action", *DECISION_FIELDS, "status", "agent", "text"):
            value = getattr(spec, name)
            if value is not None and value.template is not None:
                self._templates[name] = env.from_string(value.template)
        for name, value in spec.fields.items():
            if value.template is not None:
                self._templates[f"fields.{name}"] = env.from_string(value.template)
        items = spec.items
        if items is not None:
            for name, value in (("items.agent", items.agent), ("items.text", items.text)):
                if value is not None and value.template is not None:
                    self._templates[name] = env.from_string(value.template)
            if items.when is not None:
                self._templates["items.when"] = env.from_string(items.when)

    def _value(self, name: str, spec: ValueSpec | None, data: Any, ctx: dict[str, Any]) -> Any:
        if spec is None:
            return None
        if spec.template is not None:
            raw: Any = self._templates[name].render(ctx).strip() or None
        else:
            raw = dig(data, spec.from_ or "")
        if spec.map is not None:
            raw = spec.map.get(_key(raw))  # a value the map does not name is not expressed
        return spec.default if raw is None else raw

    def actions(self, payload: Any, state: CaseState, ctx: dict[str, Any]) -> list[dict[str, Any]]:
        """The actions this observation adds; updates ``state``. Raises ``Unmapped``."""
        spec = self.spec
        ctx = {**ctx, "payload": payload}
        try:
            values = {name: self._value(name, getattr(spec, name), payload, ctx)
                      for name in (*DECISION_FIELDS, "status", "agent", "text")}
            if spec.action is not None:
                name = self._value("action", spec.action, payload, ctx)
                if name not in ACTION_NAMES:
                    raise Unmapped(f"action {name!r} is not one of {', '.join(ACTION_NAMES)} "
                                   f"(add it to action.map)")
                out = [self._action(str(name), values)]
            else:
                out = self._changes(values, state)
                if spec.items is not None:
                    out += self._items(spec.items, payload, state, ctx)
            if spec.fields:
                extra = {name: self._value(f"fields.{name}", value, payload, ctx)
                         for name, value in spec.fields.items()}
                out = [{**extra, **action} for action in out]
            return out
        except jinja2.TemplateError as err:
            raise Unmapped(f"template error: {err}") from err

    @staticmethod
    def _action(name: str, values: dict[str, Any]) -> dict[str, Any]:
        tier = values.get("tier")
        return {"action": name, "route": values.get("route"),
                "tier": int(tier) if isinstance(tier, int | float | str) and str(tier).isdigit()
                else None,
                "priority": values.get("priority"), "agent": _text(values.get("agent")),
                "text": _text(values.get("text"))}

    def _changes(self, values: dict[str, Any], state: CaseState) -> list[dict[str, Any]]:
        out = []
        route = values["route"]
        decided = {k: values[k] for k in DECISION_FIELDS}
        before = {k: getattr(state, k) for k in DECISION_FIELDS}
        if route is not None and decided != before:
            kind = "triage" if state.route is None else "escalate"
            out.append(self._action(kind, {**decided, "agent": values["agent"]}))
        if route is not None or state.route is None:
            for k in DECISION_FIELDS:
                setattr(state, k, decided[k])
        status = values["status"]
        if status is not None and _key(status) != _key(state.status):
            state.status = status
            if status in ACTION_NAMES:
                out.append(self._action(str(status), {**decided, "agent": values["agent"]}))
                state.closed = status == "close"
            else:
                state.closed = False
        return out

    def _items(self, spec: ItemsSpec, payload: Any, state: CaseState,
               ctx: dict[str, Any]) -> list[dict[str, Any]]:
        items = dig(payload, spec.from_)
        if items is None:
            return []
        if not isinstance(items, list):
            raise Unmapped(f"items.from {spec.from_!r} must be a list, got {type(items).__name__}")
        out = []
        for item in items:
            key = _key(dig(item, spec.id))
            if not key or key in state.items:
                continue
            state.items.add(key)
            item_ctx = {**ctx, "item": item}
            when = self._templates.get("items.when")
            if when is not None and not _truthy(when.render(item_ctx)):
                continue
            out.append(self._action(spec.action, {
                "agent": self._value("items.agent", spec.agent, item, item_ctx),
                "text": self._value("items.text", spec.text, item, item_ctx)}))
        return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
