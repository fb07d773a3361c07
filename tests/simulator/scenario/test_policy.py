"""Policy rules: first match wins, every condition kind, and the default without otherwise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulator.scenario.policy import PolicyRule, apply_policy
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, SEGMENTS


def _rules(raw: list[dict[str, Any]]) -> list[PolicyRule]:
    return [PolicyRule.model_validate(r) for r in raw]


def _posts(*rows: dict[str, Any]) -> dict[str, np.ndarray]:
    def col(name: str, vocab: tuple[str, ...], default: str) -> np.ndarray:
        return np.array([vocab.index(r.get(name, default)) for r in rows], dtype=np.int8)

    return {
        "intent": col("intent", INTENTS, "question"),
        "emotion": col("emotion", EMOTIONS, "neutral"),
        "channel": col("channel", CHANNELS, "twitter"),
        "kind": col("kind", KINDS, "post"),
        "segment": col("segment", SEGMENTS, "regular"),
        "followers": np.array([r.get("followers", 100) for r in rows], dtype=np.int64),
        "incident": np.array([r.get("incident", -1) for r in rows], dtype=np.int16),
    }


RULES = _rules(
    [
        {"when": {"kind": "repost"}, "then": {"route": "none", "respond": False}},
        {
            "when": {"intent": ["legal_threat", "safety"]},
            "then": {"route": "legal", "tier": 3, "priority": "p1", "respond_within": "30m"},
        },
        {
            "when": {"intent": "complaint", "followers": ">=10000"},
            "then": {"route": "care", "tier": 2, "priority": "p2", "respond_within": "30m"},
        },
        {
            "when": {"intent": "complaint", "vip": True},
            "then": {"route": "care", "tier": 2, "priority": "p2", "respond_within": "30m"},
        },
        {
            "when": {"intent": "question", "incident": ["outage"], "channel": ["email", "chat"]},
            "then": {"route": "care", "tier": 1, "priority": "p2", "respond_within": "15m"},
        },
        {
            "when": {"intent": "question", "emotion": "angry", "incident": True},
            "then": {"route": "care", "tier": 2, "respond_within": "1h"},
        },
        {
            "when": {"intent": ["complaint", "question"]},
            "then": {"route": "care", "tier": 1, "priority": "p3", "respond_within": "1h"},
        },
        {"otherwise": {"route": "none", "respond": False}},
    ]
)


def _apply(rules: list[PolicyRule], *rows: dict[str, Any]) -> list[tuple[Any, ...]]:
    exp = apply_policy(rules, **_posts(*rows), incident_ids=("outage", "other"))
    out = []
    for i in range(len(rows)):
        within = exp.respond_within_s[i]
        out.append(
            (
                exp.routes[exp.route[i]],
                int(exp.tier[i]),
                int(exp.priority[i]),
                bool(exp.respond[i]),
                None if np.isnan(within) else float(within),
            )
        )
    return out


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ({"kind": "repost", "intent": "legal_threat"}, ("none", 0, 0, False, None)),
        ({"intent": "safety"}, ("legal", 3, 1, True, 1800.0)),
        ({"intent": "complaint", "followers": 10000}, ("care", 2, 2, True, 1800.0)),
        ({"intent": "complaint", "followers": 9999}, ("care", 1, 3, True, 3600.0)),
        ({"intent": "complaint", "segment": "vip"}, ("care", 2, 2, True, 1800.0)),
        ({"intent": "question", "incident": 0, "channel": "email"}, ("care", 1, 2, True, 900.0)),
        ({"intent": "question", "incident": 1, "channel": "email"}, ("care", 1, 3, True, 3600.0)),
        ({"intent": "question", "incident": 1, "emotion": "angry"}, ("care", 2, 3, True, 3600.0)),
        ({"intent": "question", "emotion": "angry"}, ("care", 1, 3, True, 3600.0)),
        ({"intent": "praise"}, ("none", 0, 0, False, None)),
    ],
)
def test_first_matching_rule_wins(post: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert _apply(RULES, post) == [expected]


@pytest.mark.parametrize(
    ("comparison", "followers", "match"),
    [
        (">=500", [499, 500, 501], [False, True, True]),
        (">500", [499, 500, 501], [False, False, True]),
        ("<500", [499, 500, 501], [True, False, False]),
        ("<=500", [499, 500, 501], [True, True, False]),
        ("==500", [499, 500, 501], [False, True, False]),
        (500, [499, 500, 501], [False, True, True]),
    ],
)
def test_follower_comparisons(comparison: object, followers: list[int], match: list[bool]) -> None:
    rules = _rules(
        [{"when": {"followers": comparison}, "then": {"route": "pr", "respond_within": "1h"}}]
    )
    got = _apply(rules, *({"followers": f} for f in followers))
    assert [g[0] == "pr" for g in got] == match


def test_without_otherwise_unmatched_posts_need_no_answer() -> None:
    rules = _rules(
        [{"when": {"intent": "complaint"}, "then": {"route": "care", "respond_within": "1h"}}]
    )
    assert _apply(rules, {"intent": "praise"}, {"intent": "complaint"}) == [
        ("none", 0, 0, False, None),
        ("care", 1, 3, True, 3600.0),
    ]


def test_vip_false_and_segment_lists() -> None:
    rules = _rules(
        [
            {
                "when": {"vip": False, "segment": ["regular", "anonymous"]},
                "then": {"route": "care", "respond_within": "1h"},
            },
        ]
    )
    got = _apply(rules, {"segment": "vip"}, {"segment": "anonymous"}, {"segment": "influencer"})
    assert [g[0] for g in got] == ["none", "care", "none"]


def test_empty_batch() -> None:
    exp = apply_policy(RULES, **_posts(), incident_ids=())
    assert len(exp.route) == 0
