"""``callbacks:`` and ``poll:`` in a target profile: the stack's own requests and API, back.

A callback is one inbound path the platform endpoint serves beside its own shapes::

    callbacks:
      - path: /hooks/helpdesk/followup
        event: {from: ticket.id, capture: ticket_id}   # the ticket number captured on create
        route: {from: queue_slug, map: {inbox: null, care: care, legal: legal}}
        status: {from: ticket.status, map: {"3": close, "4": close}}
        items: {from: ticket.followup_set, when: "{{ item.public }}", agent: user, text: comment}
        verify: {header: X-Signature, secret_env: HOOK_SECRET, algorithm: sha256}

``poll:`` reads each open case from the stack during the drill, with the same mapping
(``load.casemap``), on an interval, with the profile's headers and its own on top
(templates over ``event``, ``capture``, ``vars`` and ``env``). The legacy
``fields: {route: route, ...}`` form is kept: route, tier and priority become the mapping,
other names are copied into each action.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from load.casemap import CaseMap, EventRule, ValueSpec

__all__ = ["CallbackSpec", "PollSpec", "VerifySpec", "verify_signature"]

ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
MIN_POLL_EVERY_S = 0.2


class VerifySpec(BaseModel):
    """How a signed webhook is checked: HMAC of the raw body with a secret from the environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    header: str
    secret_env: str
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""


def verify_signature(spec: VerifySpec, secret: bytes, headers: dict[bytes, bytes],
                     body: bytes) -> str | None:
    """None when the signature header matches, else the reason it does not."""
    given = headers.get(spec.header.lower().encode(), b"").decode("latin-1").strip()
    if not given:
        return f"signature header {spec.header} missing"
    digest = hmac.new(secret, body, ALGORITHMS[spec.algorithm]).digest()
    text = base64.b64encode(digest).decode() if spec.encoding == "base64" else digest.hex()
    if not hmac.compare_digest(given, spec.prefix + text):
        return f"signature in {spec.header} does not match ({spec.algorithm}, {spec.encoding})"
    return None


def secret_of(spec: VerifySpec) -> bytes | None:
    value = os.environ.get(spec.secret_env)
    return value.encode() if value else None


class CallbackSpec(CaseMap):
    """One inbound path: how to find the event, then the mapping to actions."""

    path: str
    method: str = "POST"
    event: EventRule
    verify: VerifySpec | None = None
    answer: int = 200  # the status the endpoint answers a mapped request with

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith(("/_drill/", "/platform/actions",
                                                          "/2/tweets", "/health")):
            raise ValueError(f"a path starting with / other than the endpoint's own, got {value!r}")
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        return value.upper()

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: int) -> int:
        if not 200 <= value <= 299:
            raise ValueError(f"a 2xx status code, got {value}")
        return value


class PollSpec(CaseMap):
    """Read each open case during the drill: ``GET path`` every ``every`` seconds (wall)."""

    path: str
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    accept: list[int] = Field(default_factory=lambda: [200])
    every: float = 5.0
    timeout: float = 10.0
    concurrency: int = 20

    @model_validator(mode="before")
    @classmethod
    def _legacy_fields(cls, data: Any) -> Any:
        """``fields: {route: route, tier: tier, case: case_id}`` -> route/tier + extra fields."""
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            data = dict(data)
            fields = dict(data.pop("fields"))
            for name in ("route", "tier", "priority", "status"):
                if name in fields and name not in data:
                    data[name] = fields.pop(name)
            data["fields"] = fields
        if isinstance(data, dict) and isinstance(data.get("every"), str):
            from simulator.scenario.units import parse_duration

            try:
                data = {**data, "every": parse_duration(data["every"])}
            except ValueError as err:
                raise ValueError(f"a duration such as 2s, got {data['every']!r}") from err
        return data

    @field_validator("every")
    @classmethod
    def _every(cls, value: float) -> float:
        if value < MIN_POLL_EVERY_S:
            raise ValueError(f"at least {MIN_POLL_EVERY_S}s, got {value:g}s")
        return value

    @field_validator("concurrency")
    @classmethod
    def _concurrency(cls, value: int) -> int:
        if not 1 <= value <= 200:
            raise ValueError(f"between 1 and 200, got {value}")
        return value


def value_templates(spec: CaseMap) -> dict[str, str]:
    """Every template in a mapping, by its field name (for load-time checks)."""
    out: dict[str, str] = {}

    def add(name: str, value: ValueSpec | None) -> None:
        if value is not None and value.template is not None:
            out[name] = value.template

    for name in ("action", "route", "tier", "priority", "status", "agent", "text"):
        add(name, getattr(spec, name))
    for name, value in spec.fields.items():
        add(f"fields.{name}", value)
    if spec.items is not None:
        add("items.agent", spec.items.agent)
        add("items.text", spec.items.text)
        if spec.items.when is not None:
            out["items.when"] = spec.items.when
    if isinstance(spec, CallbackSpec) and spec.event.template is not None:
        out["event.template"] = spec.event.template
    return out
