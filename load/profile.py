"""Target profiles: how one event becomes one HTTP request to a given stack.

A profile is YAML (``targets/*.yaml``) with jinja2 templates over the event (its
``labels`` are removed before rendering, so ground truth never reaches the stack):
``base_url`` (rendered once, over ``env`` and ``vars``), ``method``, ``path``,
``headers`` and ``body`` (rendered per event, over ``event``, ``vars`` and ``env``).
``accept`` lists the status codes that mean accepted; ``capture`` names response JSON fields
to keep (live: later templates read them as ``capture.NAME``); ``callbacks`` and ``poll``
map what the stack sends or shows back to drill actions (``load.callbacks``); ``sign`` adds
an HMAC-SHA256 signature header over the body with a secret read from an environment
variable. ``load_profile(path)`` validates it all up front, every template included (names,
syntax, and a trial render of the poll templates), and raises ``InputError`` with one line
naming the file, the field, what is expected and what was found.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from load.callbacks import CallbackSpec, PollSpec, value_templates
from load.templating import Redactor, env_names, environment, template_env
from simulator.errors import InputError

__all__ = [
    "RenderedRequest",
    "TargetProfile",
    "load_profile",
    "sign_body",
]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class SignSpec(BaseModel):
    """HMAC-SHA256 over the request body, put in ``header`` as ``prefix`` + digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    header: str
    secret_env: str
    encoding: Literal["base64", "hex"] = "base64"
    prefix: str = "sha256="


class TargetProfile(BaseModel):
    """A validated target profile; templates are compiled by ``compile()``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str = ""
    base_url: str
    method: str = "POST"
    path: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str = "{{ event | json }}"
    accept: list[int] = Field(default_factory=lambda: [200, 201, 202])
    capture: dict[str, str] = Field(default_factory=dict)
    poll: PollSpec | None = None
    callbacks: list[CallbackSpec] = Field(default_factory=list)
    sign: SignSpec | None = None
    health: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if value.upper() not in METHODS:
            raise ValueError(f"one of {', '.join(METHODS)}, got {value!r}")
        return value.upper()

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"a path starting with /, got {value!r}")
        return value

    @field_validator("accept")
    @classmethod
    def _accept(cls, value: list[int]) -> list[int]:
        bad = [code for code in value if not 100 <= code <= 599]
        if not value or bad:
            raise ValueError(f"a non-empty list of HTTP status codes (100-599), got {value!r}")
        return value


@dataclass(frozen=True)
class RenderedRequest:
    """One event's request, rendered before the run starts (never in the hot path)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def sign_body(secret: bytes, body: bytes, encoding: str = "base64", prefix: str = "sha256=") -> str:
    """Return the signature header value: ``prefix`` + HMAC-SHA256(secret, body)."""
    digest = hmac.new(secret, body, hashlib.sha256).digest()
    text = base64.b64encode(digest).decode() if encoding == "base64" else digest.hex()
    return prefix + text


def _one_line(path: Path, err: ValidationError) -> InputError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        return InputError(f"{path.name}: {field} must be set, got nothing")
    if first["type"] == "extra_forbidden":
        return InputError(
            f"{path.name}: {field} must not be there (unknown field), got {first['input']!r}")
    if " got " in msg:
        return InputError(f"{path.name}: {field} must be {msg}")
    return InputError(f"{path.name}: {field} must be valid ({msg}), got {first.get('input')!r}")


class CompiledProfile:
    """A profile with compiled templates; renders events into ``RenderedRequest``s."""

    def __init__(self, profile: TargetProfile, source: Path, base_url: str | None = None) -> None:
        self.profile = profile
        self.source = source
        env = self.env = environment()
        where = source.name
        from load.profile_check import check_templates

        check_templates(profile, env, where)  # names, syntax and trial renders: one line each
        self._method = env.from_string(profile.method)
        self._path = env.from_string(profile.path)
        self._headers = {k: env.from_string(t) for k, t in profile.headers.items()}
        self._body = env.from_string(profile.body)
        self.template_env = template_env()
        self.redactor = Redactor(env_names(env, _sources(profile)))
        try:
            self.base_url = (base_url or env.from_string(profile.base_url).render(
                env=self.template_env, vars=profile.vars)).rstrip("/")
        except jinja2.TemplateError as err:
            detail = " ".join(str(err).split())
            raise InputError(f"{where}: base_url must render, got {detail}") from err
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise InputError(
                f"{where}: base_url must be an http:// or https:// URL, got {self.base_url!r}")
        self._static_headers = all("{" not in v for v in profile.headers.values())
        self._dynamic_path = "{" in profile.path
        self._fast_body = profile.body.strip() in ("{{ event | json }}", "{{event|json}}")
        self._secret: bytes | None = None
        if profile.sign is not None:
            value = self.template_env.get(profile.sign.secret_env)
            if not value:
                raise InputError(
                    f"{where}: sign.secret_env must name a set environment variable, "
                    f"got {profile.sign.secret_env} unset")
            self._secret = value.encode()

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def accept(self) -> frozenset[int]:
        return frozenset(self.profile.accept)

    def render(self, event: dict[str, Any]) -> RenderedRequest:
        """Render one event (its ``labels`` are dropped first) into a request."""
        event = {k: v for k, v in event.items() if k != "labels"}
        ctx = {"event": event, "vars": self.profile.vars, "env": self.template_env}
        where = self.source.name
        try:
            if self._fast_body:
                body = orjson.dumps(event)
            else:
                body = self._body.render(ctx).encode()
            path = self._path.render(ctx) if self._dynamic_path else self.profile.path
            headers = ({k: v for k, v in self.profile.headers.items()} if self._static_headers
                       else {k: t.render(ctx) for k, t in self._headers.items()})
            method = self.profile.method
            if "{" in method:
                method = self._method.render(ctx).upper()
        except jinja2.TemplateError as err:
            raise InputError(
                f"{where}: templates must render for event {event.get('id')!r}, got {err}") from err
        sign = self.profile.sign
        if sign is not None and self._secret is not None:
            headers[sign.header] = sign_body(self._secret, body, sign.encoding, sign.prefix)
        return RenderedRequest(method=method, path=path, headers=headers, body=body)

    def render_all(self, events: list[dict[str, Any]]) -> list[RenderedRequest]:
        """Pre-render every event, in order; shares one headers dict when headers are static."""
        static = self._static_headers and self.profile.sign is None
        shared = dict(self.profile.headers) if static else None
        out = []
        for event in events:
            req = self.render(event)
            if shared is not None:
                req = RenderedRequest(req.method, req.path, shared, req.body)
            out.append(req)
        return out

    def capture(self, payload: Any) -> dict[str, Any]:
        """Pick the profile's ``capture`` fields (dotted paths) out of a decoded response."""
        out: dict[str, Any] = {}
        for name, dotted in self.profile.capture.items():
            value = payload
            for part in dotted.split("."):
                if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    value = value.get(part) if isinstance(value, dict) else None
            out[name] = value
        return out


def _sources(profile: TargetProfile) -> list[str]:
    """Every template of a profile but ``base_url`` (to find the secrets it reads from the
    environment: a URL read from it is shown in the output as it always was)."""
    out = [profile.method, profile.path, profile.body, *profile.headers.values()]
    if profile.poll is not None:
        out += [profile.poll.path, *profile.poll.headers.values(),
                *value_templates(profile.poll).values()]
    for callback in profile.callbacks:
        out += value_templates(callback).values()
    return out


def load_profile(path: Path, base_url: str | None = None) -> CompiledProfile:
    """Read, validate and compile a target profile; ``base_url`` overrides the profile's."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path.name}: file must be readable, got {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path.name}: contents must be UTF-8 text (YAML), got a binary byte at offset "
            f"{err.start}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or " ".join(str(err).split())
        raise InputError(f"{path.name}: contents must be valid YAML, got {problem}{where}") from err
    if not isinstance(raw, dict):
        raise InputError(f"{path.name}: top level must be a mapping, got {type(raw).__name__}")
    raw = {k: v for k, v in raw.items() if not str(k).startswith("x-")}  # YAML anchor holders
    try:
        profile = TargetProfile.model_validate(raw)
    except ValidationError as err:
        raise _one_line(path, err) from err
    return CompiledProfile(profile, path, base_url)
