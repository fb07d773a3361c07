"""The scenario's handling policy: rules, and the ground truth they give each post.

A policy is a list of rules; the first rule whose ``when`` matches a post gives its
``labels.expected`` (route, tier, priority, respond, respond_within_s). A final
``otherwise`` catches the rest; without one, unmatched posts need no answer
(``route: none, respond: false``). ``when`` fields, all optional and ANDed:
``intent``, ``emotion``, ``channel``, ``kind``, ``segment`` (one name or a list),
``vip`` (true/false), ``incident`` (true: part of any incident; false: baseline; or a list
of incident ids) and ``followers`` (``">=10000"``, ``"<500"``, ``"==0"`` or a bare number
meaning ``>=``). ``apply_policy`` evaluates the rules over whole columns at once.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simulator.scenario.units import parse_duration
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, SEGMENTS

__all__ = ["Action", "CompiledPolicy", "Condition", "Expected", "PolicyRule", "apply_policy"]

_CMP = re.compile(r"^\s*(>=|<=|==|>|<)?\s*(\d+(?:\.\d+)?)\s*$")
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}


def _names(known: Sequence[str], what: str) -> Callable[[object], tuple[str, ...]]:
    def check(value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"{what} name or a list of them, got {value!r}")
        for item in items:
            if item not in known:
                raise ValueError(f"one of {', '.join(known)}, got {item!r}")
        return tuple(items)

    return check


def _comparison(value: object) -> tuple[str, float]:
    if isinstance(value, bool):
        raise ValueError(f'a comparison like ">=10000", got {value!r}')
    if isinstance(value, int | float):
        return (">=", float(value))
    match = _CMP.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f'a comparison like ">=10000" or "<500", got {value!r}')
    return (match.group(1) or ">=", float(match.group(2)))


def _incident(value: object) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"true, false or incident ids, got {value!r}")


class Condition(BaseModel):
    """The ``when`` of a rule; every field given must match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intent: Annotated[tuple[str, ...] | None, BeforeValidator(_names(INTENTS, "an intent"))] = None
    emotion: Annotated[tuple[str, ...] | None, BeforeValidator(_names(EMOTIONS, "an emotion"))] = (
        None
    )
    channel: Annotated[tuple[str, ...] | None, BeforeValidator(_names(CHANNELS, "a channel"))] = (
        None
    )
    kind: Annotated[tuple[str, ...] | None, BeforeValidator(_names(KINDS, "a kind"))] = None
    segment: Annotated[tuple[str, ...] | None, BeforeValidator(_names(SEGMENTS, "a segment"))] = (
        None
    )
    vip: bool | None = None
    incident: Annotated[bool | tuple[str, ...] | None, BeforeValidator(_incident)] = None
    followers: Annotated[tuple[str, float] | None, BeforeValidator(_comparison)] = None


class Action(BaseModel):
    """The ``then`` (or ``otherwise``) of a rule: how a matching post must be handled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: str = Field(min_length=1)
    tier: int = Field(default=1, ge=0, le=9)
    priority: Literal["p1", "p2", "p3", "p4"] | None = None
    respond: bool | None = None
    respond_within: Annotated[float | None, BeforeValidator(parse_duration)] = None

    @model_validator(mode="after")
    def _defaults(self) -> Action:
        respond = self.respond if self.respond is not None else self.route != "none"
        object.__setattr__(self, "respond", respond)
        if respond and self.respond_within is None:
            raise ValueError(
                "@respond_within: must be given when the post needs an answer "
                "(or set respond: false), got nothing"
            )
        if respond and self.priority is None:
            object.__setattr__(self, "priority", "p3")
        if self.route == "none" or not respond:
            object.__setattr__(self, "tier", 0 if self.route == "none" else self.tier)
        return self


class PolicyRule(BaseModel):
    """One rule: ``{when, then}``, or the final ``{otherwise}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: Condition | None = None
    then: Action | None = None
    otherwise: Action | None = None

    @model_validator(mode="after")
    def _shape(self) -> PolicyRule:
        if self.otherwise is not None:
            if self.when is not None or self.then is not None:
                raise ValueError("must be either {when, then} or {otherwise} alone, got both")
        elif self.then is None:
            raise ValueError("@then: must be given with when (or use otherwise), got nothing")
        elif self.when is None:
            raise ValueError("@when: must be given with then (or use otherwise), got nothing")
        return self

    @property
    def action(self) -> Action:
        """The action this rule applies (``then`` or ``otherwise``)."""
        action = self.then if self.then is not None else self.otherwise
        assert action is not None
        return action


NO_ANSWER = Action(route="none", respond=False)


@dataclass(frozen=True)
class Expected:
    """Ground-truth handling per event, as columns aligned with an event table."""

    routes: tuple[str, ...]  # route pool; ``route`` holds indices into it
    route: np.ndarray  # int16
    tier: np.ndarray  # int8
    priority: np.ndarray  # int8: 0 none, 1..4 = p1..p4
    respond: np.ndarray  # bool
    respond_within_s: np.ndarray  # float64, NaN when no answer needed


def _lookup(names: tuple[str, ...] | None, vocab: Sequence[str]) -> np.ndarray | None:
    if names is None:
        return None
    table = np.zeros(len(vocab) + 1, dtype=bool)  # the extra slot keeps code -1 False
    table[[vocab.index(n) for n in names]] = True
    return table


@dataclass(frozen=True)
class CompiledPolicy:
    """Rules turned into lookup tables once; call ``apply`` per batch of posts."""

    rules: tuple[PolicyRule, ...]
    incident_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        matchers = [r for r in self.rules if r.otherwise is None]
        actions = [r.action for r in matchers] + [
            next((r.otherwise for r in self.rules if r.otherwise is not None), NO_ANSWER)
        ]
        routes = tuple(dict.fromkeys(a.route for a in actions))
        compiled = []
        for rule in matchers:
            c = rule.when
            assert c is not None
            inc: np.ndarray | None = None
            if isinstance(c.incident, tuple):
                inc = np.zeros(len(self.incident_ids) + 1, dtype=bool)
                for x in c.incident:
                    if x in self.incident_ids:
                        inc[self.incident_ids.index(x)] = True
            compiled.append(
                (
                    _lookup(c.intent, INTENTS),
                    _lookup(c.emotion, EMOTIONS),
                    _lookup(c.channel, CHANNELS),
                    _lookup(c.kind, KINDS),
                    _lookup(c.segment, SEGMENTS),
                    c.vip,
                    c.incident if isinstance(c.incident, bool) else inc,
                    c.followers,
                )
            )
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "routes", routes)
        object.__setattr__(
            self,
            "_table",
            (
                np.array([routes.index(a.route) for a in actions], dtype=np.int16),
                np.array([a.tier for a in actions], dtype=np.int8),
                np.array(
                    [int(a.priority[1]) if a.priority and a.respond else 0 for a in actions],
                    dtype=np.int8,
                ),
                np.array([bool(a.respond) for a in actions], dtype=bool),
                np.array(
                    [
                        a.respond_within if a.respond and a.respond_within else np.nan
                        for a in actions
                    ]
                ),
            ),
        )

    def apply(
        self,
        *,
        intent: np.ndarray,
        emotion: np.ndarray,
        channel: np.ndarray,
        kind: np.ndarray,
        segment: np.ndarray,
        followers: np.ndarray,
        incident: np.ndarray,
    ) -> Expected:
        """First matching rule per post, over code columns (``incident`` -1 = baseline)."""
        compiled = self._compiled  # type: ignore[attr-defined]
        n = len(intent)
        chosen = np.full(n, len(compiled), dtype=np.int16)
        free = np.ones(n, dtype=bool)
        vip_code = SEGMENTS.index("vip")
        for i, (it, em, ch, kd, sg, vip, inc, fol) in enumerate(compiled):
            mask = free.copy()
            for table, col in (
                (it, intent),
                (em, emotion),
                (ch, channel),
                (kd, kind),
                (sg, segment),
            ):
                if table is not None:
                    mask &= table[col]
            if vip is not None:
                mask &= (segment == vip_code) == vip
            if isinstance(inc, bool):
                mask &= (incident >= 0) == inc
            elif inc is not None:
                mask &= inc[incident]
            if fol is not None:
                mask &= _OPS[fol[0]](followers, fol[1])
            chosen[mask] = i
            free &= ~mask
            if not free.any():
                break
        route, tier, priority, respond, within = self._table  # type: ignore[attr-defined]
        return Expected(
            routes=self.routes,  # type: ignore[attr-defined]
            route=route[chosen],
            tier=tier[chosen],
            priority=priority[chosen],
            respond=respond[chosen],
            respond_within_s=within[chosen],
        )


def apply_policy(
    rules: Sequence[PolicyRule],
    *,
    intent: np.ndarray,
    emotion: np.ndarray,
    channel: np.ndarray,
    kind: np.ndarray,
    segment: np.ndarray,
    followers: np.ndarray,
    incident: np.ndarray,
    incident_ids: Sequence[str],
) -> Expected:
    """Evaluate the rules, first match wins, over code columns (vocab indices).

    ``incident`` holds an index into ``incident_ids`` or -1 for baseline posts. For many
    calls with the same rules, build a ``CompiledPolicy`` once and call its ``apply``.
    """
    return CompiledPolicy(tuple(rules), tuple(incident_ids)).apply(
        intent=intent,
        emotion=emotion,
        channel=channel,
        kind=kind,
        segment=segment,
        followers=followers,
        incident=incident,
    )
