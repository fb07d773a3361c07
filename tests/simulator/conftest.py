"""The model's tests: a tiny valid scenario (10 minutes, one cascading incident, journeys).

`tiny_scenario_data` is a fresh dict to mutate; `tiny_scenario` the same, validated.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.scenario.models import Scenario, parse_scenario

TINY_SCENARIO_DATA: dict[str, Any] = {
    "name": "tiny",
    "title": "Tiny test storm",
    "seed": 3,
    "duration": "10m",
    "start": "2026-03-14T08:00:00Z",
    "brand": {"name": "Northwind Air", "handle": "@NorthwindAir", "products": ["app", "website"]},
    "audience": {
        "customers": 500,
        "followers": {"dist": "pareto", "alpha": 1.3, "min": 20, "max": 1000000},
        "influencers": {"share": 0.01, "followers": {"dist": "pareto", "alpha": 1.1, "min": 50000}},
        "vip_share": 0.05,
        "anonymous_share": 0.2,
    },
    "channels": {"twitter": 0.7, "facebook": 0.1, "email": 0.1, "chat": 0.1},
    "baseline": {
        "rate": "30/m",
        "profile": "flat",
        "intents": {"question": 0.4, "complaint": 0.3, "praise": 0.1, "noise": 0.2},
    },
    "incidents": [
        {
            "id": "outage",
            "at": "2m",
            "topic": "app login fails",
            "trigger": {"rate": "60/m", "for": "5m"},
            "cascade": {
                "branching": 0.5,
                "kernel": {"dist": "exponential", "mean": "30s"},
                "influence": 0.0,
            },
            "intents": {"complaint": 0.6, "question": 0.2, "security": 0.1, "legal_threat": 0.1},
            "waves": [{"at": "5m", "source": "media", "rate": "30/m", "for": "1m"}],
        }
    ],
    "journeys": {
        "share": 0.5,
        "patience": {"dist": "exponential", "mean": "1m"},
        "path": ["email", "twitter", "facebook"],
    },
    "policy": [
        {"when": {"kind": "repost"}, "then": {"route": "none", "respond": False}},
        {
            "when": {"intent": ["legal_threat", "security"]},
            "then": {"route": "legal", "tier": 2, "priority": "p1", "respond_within": "30m"},
        },
        {
            "when": {"intent": "complaint", "followers": ">=10000"},
            "then": {"route": "care", "tier": 2, "priority": "p2", "respond_within": "30m"},
        },
        {
            "when": {"intent": ["complaint", "question"]},
            "then": {"route": "care", "tier": 1, "priority": "p3", "respond_within": "1h"},
        },
        {"otherwise": {"route": "none", "respond": False}},
    ],
    "team": {
        "tiers": [
            {
                "name": "frontline",
                "tier": 1,
                "routes": ["care"],
                "shifts": [{"from": "0s", "to": "10m", "agents": 2}],
                "handle_time": {"dist": "lognormal", "mean": "1m", "sd": "30s"},
                "escalates": 0.1,
            },
            {
                "name": "specialists",
                "tier": 2,
                "routes": ["care", "legal"],
                "shifts": [
                    {"from": "0s", "to": "5m", "agents": 1},
                    {"from": "5m", "to": "10m", "agents": 2},
                ],
                "handle_time": {"dist": "exponential", "mean": "2m"},
            },
        ],
        "service_level": {"within": "5m", "target": 0.8},
        "triage_accuracy": 0.9,
        "patience": {"dist": "exponential", "mean": "5m"},
    },
    "slo": {"first_response_p90": "5m", "ingest_p99": "500ms"},
}


@pytest.fixture
def tiny_scenario_data() -> dict[str, Any]:
    """A fresh, mutable copy of the tiny scenario's YAML data."""
    return copy.deepcopy(TINY_SCENARIO_DATA)


@pytest.fixture
def tiny_scenario(tiny_scenario_data: dict[str, Any]) -> Scenario:
    """The tiny scenario, validated."""
    return parse_scenario(tiny_scenario_data, "tiny.yaml")
