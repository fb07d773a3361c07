"""Hand-built run folders for the metrics, report and gate tests (reports/ area).

A tiny scenario (three tiers, one incident) and a run folder whose events and actions
are written line by line, so every expected figure can be computed by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.scenario.models import Scenario, parse_scenario

TINY_SCENARIO: dict[str, Any] = {
    "name": "tiny-storm",
    "title": "Card payments fail at checkout",
    "seed": 7,
    "duration": "1h",
    "start": "2026-03-14T08:00:00Z",
    "brand": {"name": "Northwind Air", "handle": "@NorthwindAir", "products": ["app"]},
    "audience": {"customers": 100, "followers": {"dist": "pareto", "alpha": 1.3, "min": 20}},
    "channels": {"twitter": 0.7, "email": 0.3},
    "baseline": {"rate": "60/h", "intents": {"complaint": 0.5, "noise": 0.5}},
    "incidents": [
        {
            "id": "payments-down",
            "at": "10m",
            "topic": "card payment declined",
            "trigger": {"rate": "600/h", "for": "20m"},
            "intents": {"complaint": 0.9, "legal_threat": 0.1},
            "waves": [{"at": "20m", "source": "media", "rate": "300/h", "for": "10m"}],
        }
    ],
    "policy": [
        {
            "when": {"intent": ["legal_threat"]},
            "then": {"route": "legal", "tier": 3, "priority": "p1", "respond_within": "30m"},
        },
        {
            "when": {"intent": ["complaint"]},
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
                "shifts": [{"from": "0h", "to": "1h", "agents": 2}],
                "handle_time": {"dist": "lognormal", "mean": "4m", "sd": "2m"},
            },
            {
                "name": "legal-security",
                "tier": 3,
                "routes": ["legal"],
                "shifts": [{"from": "0h", "to": "1h", "agents": 1}],
                "handle_time": {"dist": "constant", "value": "10m"},
            },
        ],
        "service_level": {"within": "15m", "target": 0.8},
        "patience": {"dist": "exponential", "mean": "45m"},
    },
    "slo": {
        "first_response_p90": "30m",
        "ingest_p99": "500ms",
        "escalation_accuracy": 0.9,
        "critical_recall": 1.0,
        "error_rate": 0.001,
    },
}

EXPECTED = {
    "complaint": {
        "route": "care",
        "tier": 1,
        "priority": "p3",
        "respond": True,
        "respond_within_s": 3600,
    },
    "legal_threat": {
        "route": "legal",
        "tier": 3,
        "priority": "p1",
        "respond": True,
        "respond_within_s": 1800,
    },
    "noise": {"route": "none", "respond": False},
}


def tiny_scenario(**overrides: Any) -> Scenario:
    """The tiny scenario, with top-level fields replaced by ``overrides``."""
    return parse_scenario({**TINY_SCENARIO, **overrides}, "tiny.yaml")


def make_event(
    i: int,
    t: float,
    intent: str,
    text: str | None = None,
    channel: str = "twitter",
    incident: str | None = None,
    sentiment: float = -0.5,
    thread: str | None = None,
) -> dict[str, Any]:
    """One event as DESIGN.md section 5 writes it."""
    return {
        "id": f"ev-{i:06d}",
        "t": t,
        "channel": channel,
        "kind": "post",
        "parent": None,
        "thread": thread or f"th-{i:04d}",
        "author": {
            "handle": f"@user{i}",
            "name": f"User {i}",
            "followers": 100,
            "verified": False,
            "customer_id": None,
            "segment": "regular",
        },
        "text": text if text is not None else f"post {i} about {intent}",
        "lang": "en",
        "incident": incident,
        "labels": {
            "intent": intent,
            "emotion": "angry",
            "sentiment": sentiment,
            "expected": dict(EXPECTED[intent]),
        },
    }


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def write_run(
    run_dir: Path,
    events: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    replay: dict[str, Any] | None = None,
    sends: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write a run folder from rows; returns the folder."""
    run_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(run_dir / "events.jsonl", events)
    write_jsonl(run_dir / "actions.jsonl", actions)
    if replay is not None:
        (run_dir / "replay.json").write_bytes(orjson.dumps(replay))
    if sends is not None:
        np.savez(run_dir / "sends.npz", **sends)
    return run_dir


def two_second_stack(
    n: int = 100, legal_every: int = 10, noise_every: int = 7
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Events every 30 s; a stack that answers every post needing it after exactly 2 s,
    triages complaints correctly, and misroutes every legal threat to care tier 1 p3.
    """
    events, actions = [], []
    for i in range(n):
        t = 30.0 * i
        intent = (
            "legal_threat"
            if i % legal_every == 3
            else "noise"
            if i % noise_every == 0
            else "complaint"
        )
        events.append(
            make_event(i, t, intent, incident="payments-down" if intent != "noise" else None)
        )
        if intent == "noise":
            continue
        eid = f"ev-{i:06d}"
        agent = f"a-{i % 3:02d}"
        actions.append(
            {
                "event_id": eid,
                "action": "triage",
                "route": "care",
                "tier": 1,
                "priority": "p3",
                "agent": None,
                "text": None,
                "at": t + 1.0,
            }
        )
        actions.append(
            {
                "event_id": eid,
                "action": "reply",
                "route": None,
                "tier": None,
                "priority": None,
                "agent": agent,
                "text": "Sorry, we are on it",
                "at": t + 2.0,
            }
        )
    return events, actions


# Drill-staffing run folders (reports/staffing): a frontline tier on Poisson or clustered posts.
AHT, WITHIN, TARGET = 180.0, 20.0, 0.8
INTERVAL = 900.0


def _scenario(hours: int, agents: int = 14, seed: int = 3) -> Scenario:
    """Frontline (and an idle legal tier): exponential handle times (AHT 3 min), 80% within
    20 s, no patience."""
    team: dict[str, Any] = {
        "tiers": [
            {
                "name": "frontline",
                "tier": 1,
                "routes": ["care"],
                "shifts": [{"from": "0h", "to": f"{hours}h", "agents": agents}],
                "handle_time": {"dist": "exponential", "mean": f"{AHT:g}s"},
            },
            {
                "name": "legal-security",
                "tier": 3,
                "routes": ["legal"],
                "shifts": [{"from": "0h", "to": f"{hours}h", "agents": 1}],
                "handle_time": {"dist": "constant", "value": "10m"},
            },
        ],
        "service_level": {"within": f"{WITHIN:g}s", "target": TARGET},
    }
    return tiny_scenario(duration=f"{hours}h", team=team, seed=seed)


def _poisson(rate: float, horizon: float, rng: np.random.Generator) -> np.ndarray:
    t = np.cumsum(rng.exponential(1 / rate, int(rate * horizon * 1.3) + 10))
    return t[t < horizon]


def _clusters(rng: np.random.Generator, horizon: float, mu: float, n: float) -> np.ndarray:
    """Hawkes-like cluster process: Poisson immigrants, each post has Poisson(n) children
    exponentially (mean 60 s) later; mean rate mu / (1 - n)."""
    gen = _poisson(mu, horizon, rng)
    out = [gen]
    while gen.size:
        kids = rng.poisson(n, gen.size)
        gen = np.repeat(gen, kids) + rng.exponential(60.0, int(kids.sum()))
        gen = gen[gen < horizon]
        out.append(gen)
    return np.sort(np.concatenate(out))


def _drill(run_dir: Path, times: np.ndarray, intents: list[str] | None = None,
           status: np.ndarray | None = None) -> Path:
    intents = intents or ["complaint"] * times.size
    events = [make_event(i, float(t), k) for i, (t, k) in enumerate(zip(times, intents,
                                                                          strict=True))]
    sends = None if status is None else {"status": status}
    return write_run(run_dir, events, [], sends=sends)


# A drill's run folder with every file (the report and security tests).
def _drill_run(tmp_path: Path) -> Path:
    from hdrh.histogram import HdrHistogram

    events, actions = two_second_stack(120)
    hist = HdrHistogram(1, 60_000_000, 3)
    for us in range(1000, 40_000, 300):
        hist.record_value(us)
    n = len(events)
    rng = np.random.default_rng(5)
    planned = [2] * 60
    replay = {
        "speed": 60.0,
        "volume": 1.0,
        "target": {"profile": "reference", "base_url": "http://127.0.0.1:9"},
        "started_at": "2026-03-14T12:00:00Z",
        "partial": False,
        "stopped_reason": None,
        "counts": {
            "generated": n,
            "sent": n,
            "accepted": n,
            "failed": 0,
            "unsent": 0,
            "unmatched_actions": 0,
            "rejected_callbacks": 0,
            "throttled": 0,
        },
        "status_codes": {"202": n},
        "per_second": {
            "planned": planned,
            "sent": planned,
            "accepted": planned,
            "failed": [0] * 60,
        },
        "hdr": {
            "ingest_ms": hist.encode().decode(),
            "ingest_service_ms": hist.encode().decode(),
            "schedule_lag_ms": hist.encode().decode(),
        },
        "workers": 1,
        "platform": {"host": "127.0.0.1", "port": 9, "secret": False},
    }
    sends = {
        "intended_s": np.arange(n) * 0.5,
        "lag_ms": rng.uniform(0, 2, n),
        "latency_ms": rng.lognormal(1.5, 0.5, n),
        "service_ms": rng.lognormal(1.4, 0.5, n),
        "status": np.full(n, 202),
    }
    return write_run(tmp_path / "drill", events, actions, replay, sends)
