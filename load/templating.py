"""The jinja2 environment every profile template uses, and keeping secrets out of the run folder.

Templates see ``event`` (without labels), ``vars``, ``env`` (the process environment, for
secrets such as API tokens), ``capture`` (fields captured from the stack's answer to this
event), and in callback and poll mappings ``payload`` and ``item``. Filters: ``json``
(a value as JSON) and ``b64`` (base64 of the text, for HTTP Basic auth).

``check_names`` refuses a template naming anything else (a typo such as ``evnt.id`` is one
line at load time, not a failure per event later). ``Redactor`` replaces the values of the
environment variables a profile reads with ``<env.NAME>`` in everything the drill writes or
prints (unmapped requests, probe output, poll failures): secrets never reach the run folder.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from typing import Any

import jinja2
import orjson
from jinja2 import meta, nodes

__all__ = ["Redactor", "TEMPLATE_NAMES", "check_names", "env_names", "environment",
           "required_env", "template_env"]

TEMPLATE_NAMES = frozenset({"event", "vars", "env", "capture", "payload", "item"})
MIN_SECRET_CHARS = 4  # shorter values (a port, "1") would redact half the output


def _json_filter(value: Any) -> str:
    return orjson.dumps(value).decode()


def _b64_filter(value: Any) -> str:
    return base64.b64encode(str(value).encode()).decode()


def environment() -> jinja2.Environment:
    """The strict jinja2 environment (an undefined name is an error) with json and b64."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["json"] = _json_filter
    env.filters["b64"] = _b64_filter
    return env


def template_env() -> dict[str, str]:
    """The environment as templates see it (``env.NAME``)."""
    return dict(os.environ)


def check_names(env: jinja2.Environment, source: str, allowed: frozenset[str]) -> str | None:
    """The first name ``source`` uses outside ``allowed`` (None when all are known)."""
    unknown = sorted(meta.find_undeclared_variables(env.parse(source)) - allowed)
    return unknown[0] if unknown else None


def env_names(env: jinja2.Environment, sources: Iterable[str]) -> set[str]:
    """Names of the environment variables the templates read (``env.NAME``, ``env['NAME']``)."""
    names: set[str] = set()
    for source in sources:
        tree = env.parse(source)
        for node in tree.find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name == "env":
                names.add(node.attr)
        for item in tree.find_all(nodes.Getitem):
            if (isinstance(item.node, nodes.Name) and item.node.name == "env"
                    and isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str)):
                names.add(item.arg.value)
    return names


def required_env(env: jinja2.Environment, source: str) -> list[str]:
    """Environment variables ``source`` reads without a ``default`` (they must be set)."""
    tree = env.parse(source)
    defaulted = {id(f.node) for f in tree.find_all(nodes.Filter) if f.name == "default"}
    return sorted({node.attr for node in tree.find_all(nodes.Getattr)
                   if isinstance(node.node, nodes.Name) and node.node.name == "env"
                   and id(node) not in defaulted})


class Redactor:
    """Replaces the values of the named environment variables (and their base64) in text."""

    def __init__(self, names: Iterable[str]) -> None:
        pairs: list[tuple[str, str]] = []
        for name in sorted(set(names)):
            value = os.environ.get(name, "")
            if len(value) >= MIN_SECRET_CHARS:
                pairs.append((value, f"<env.{name}>"))
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def text(self, value: str) -> str:
        for secret, mark in self._pairs:
            if secret in value:
                value = value.replace(secret, mark)
        return value

    def value(self, data: Any) -> Any:
        """``data`` (JSON-like) with every secret replaced, recursively."""
        if not self._pairs:
            return data
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.value(k): self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data
