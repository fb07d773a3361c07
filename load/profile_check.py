"""Load-time checks of every template in a target profile: one line, before any load.

Each template must parse, may name only what it is given (inject templates: ``event``,
``vars``, ``env``; poll templates also ``capture``; mapping templates also ``payload`` and
``item``), and the poll templates must render for a sample event with a sample capture
(so ``capture.tiket_id`` is found now, not as a failure per poll). Every ``env.NAME`` a
template reads without ``| default(...)`` must be set. A callback finding its event by a
captured id must name a field of ``capture``.
"""

from __future__ import annotations

from typing import Any

import jinja2

from load.callbacks import value_templates
from load.templating import TEMPLATE_NAMES, check_names, required_env, template_env
from simulator.errors import InputError

__all__ = ["SAMPLE_EVENT", "check_templates"]

INJECT_NAMES = frozenset({"event", "vars", "env"})
POLL_NAMES = INJECT_NAMES | {"capture"}
SAMPLE_EVENT: dict[str, Any] = {
    "id": "ev-000001", "t": 12.5, "channel": "twitter", "kind": "post", "parent": None,
    "thread": "th-000001",
    "author": {"handle": "@jdoe", "name": "Jane Doe", "followers": 1340, "verified": False,
               "customer_id": "C-004211", "segment": "regular"},
    "text": "@NorthwindAir my card was declined 3 times, fix it!", "lang": "en",
    "incident": "payments-down",
}


def _fail(where: str, field: str, err: jinja2.TemplateError | str) -> InputError:
    detail = " ".join(str(err).split())
    if isinstance(err, jinja2.UndefinedError) and "'dict object' has no attribute" in detail:
        name = detail.split("attribute", 1)[1].strip().strip("'")
        detail = f"{name!r} is not defined (an unset environment variable, an unknown " \
                 f"capture or event field)"
    return InputError(f"{where}: templates must be valid jinja2, got {field}: {detail}")


def _check(env: jinja2.Environment, where: str, field: str, source: str,
           allowed: frozenset[str]) -> None:
    try:
        unknown = check_names(env, source, allowed)
    except jinja2.TemplateSyntaxError as err:
        raise _fail(where, field, err) from err
    if unknown is not None:
        raise _fail(where, field, f"unknown name {unknown!r} (templates here may use "
                                  f"{', '.join(sorted(allowed))})")
    environ = template_env()
    for name in required_env(env, source):
        if not environ.get(name):
            raise InputError(f"{where}: {field} reads env.{name}, which must be set in the "
                             f"environment, got it unset (or add | default(...))")


def check_templates(profile: Any, env: jinja2.Environment, where: str) -> None:
    """Raise ``InputError`` (one line) for the first bad template of ``profile``."""
    inject = {"method": profile.method, "path": profile.path, "body": profile.body,
              **{f"headers.{k}": v for k, v in profile.headers.items()}}
    for field, source in inject.items():
        _check(env, where, field, source, INJECT_NAMES)
    for index, callback in enumerate(profile.callbacks):
        prefix = f"callbacks.{index}"
        for field, source in value_templates(callback).items():
            _check(env, where, f"{prefix}.{field}", source, TEMPLATE_NAMES)
        capture = callback.event.capture
        if capture is not None and capture not in profile.capture:
            known = ", ".join(sorted(profile.capture)) or "none"
            raise InputError(f"{where}: {prefix}.event.capture must name a field of capture "
                             f"({known}), got {capture!r}")
    poll = profile.poll
    if poll is None:
        return
    for field, source in value_templates(poll).items():
        _check(env, where, f"poll.{field}", source, TEMPLATE_NAMES)
    ctx = {"event": SAMPLE_EVENT, "vars": profile.vars, "env": template_env(),
           "capture": {name: "1" for name in profile.capture}}
    for field, source in {"path": poll.path,
                          **{f"headers.{k}": v for k, v in poll.headers.items()}}.items():
        _check(env, where, f"poll.{field}", source, POLL_NAMES)
        try:
            env.from_string(source).render(ctx)
        except jinja2.TemplateError as err:
            raise _fail(where, f"poll.{field}", err) from err
