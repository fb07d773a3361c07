"""Synthetic run folders: the one builder bench/report.py and the reports tests share.

Events are labelled by the scenario's own policy (``simulator.scenario.policy``), never by a
hand-copied table, and every file is written through ``simulator.runfolder``. The scenario is
``bench/tiny-storm.yaml`` (two tiers, three policy rules, one incident). bench/report.py
synthesises a million events with it; the tests reach it through the ``run_folder`` fixture
(tests/conftest.py). It lives in bench/ because bench must import no tests, while tests may
import bench.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simulator.runfolder import append_lines, write_json, write_sends
from simulator.runfolder.records import Author, Event, Expected
from simulator.scenario.models import Scenario, parse_scenario
from simulator.scenario.policy import apply_policy
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, SEGMENTS

TINY_STORM = Path(__file__).with_name("tiny-storm.yaml")
FOLLOWERS = 100  # every synthetic author's


@cache
def _tiny_storm_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TINY_STORM.read_text())
    return data


def tiny_scenario(**overrides: Any) -> Scenario:
    """The tiny storm, with top-level fields replaced by ``overrides``."""
    return parse_scenario({**_tiny_storm_data(), **overrides}, "tiny.yaml")


@cache
def expected_labels(intent: str, channel: str = "twitter") -> Expected:
    """How the tiny storm's policy says a plain post (angry, regular author) must be handled:
    its first matching rule."""
    def code(vocab: tuple[str, ...], name: str) -> np.ndarray:
        return np.array([vocab.index(name)])

    scenario = tiny_scenario()
    exp = apply_policy(scenario.policy, intent=code(INTENTS, intent),
                       emotion=code(EMOTIONS, "angry"), channel=code(CHANNELS, channel),
                       kind=code(KINDS, "post"), segment=code(SEGMENTS, "regular"),
                       followers=np.array([FOLLOWERS]), incident=np.array([-1]),
                       incident_ids=scenario.incident_ids)
    prio, within = int(exp.priority[0]), float(exp.respond_within_s[0])
    return Expected(route=exp.routes[int(exp.route[0])], tier=int(exp.tier[0]),
                    priority=f"p{prio}" if prio else None, respond=bool(exp.respond[0]),
                    respond_within_s=None if within != within else within)


def make_event(i: int, t: float, intent: str, text: str | None = None,
               channel: str = "twitter", incident: str | None = None, sentiment: float = -0.5,
               thread: str | None = None) -> dict[str, Any]:
    """One event as events.jsonl holds it (id ``ev-{i:06d}``, ``t`` to the millisecond)."""
    return Event(
        id=f"ev-{i:06d}", t=t, channel=channel, kind="post", thread=thread or f"th-{i:04d}",
        author=Author(handle=f"@user{i}", name=f"User {i}", followers=FOLLOWERS, verified=False,
                      customer_id=None, segment="regular"),
        text=text if text is not None else f"post {i} about {intent}", intent=intent,
        emotion="angry", sentiment=sentiment, expected=expected_labels(intent, channel),
        incident=incident).as_dict()


def answered(event_id: str, t: float, route: str, tier: int, priority: str | None,
             agent: str, text: str, reply_at: float) -> list[dict[str, Any]]:
    """A stack's triage of a post one second after it (``route``, ``tier``, ``priority``) and
    its agent's reply at ``reply_at``, as actions.jsonl lines."""
    return [
        {"event_id": event_id, "action": "triage", "route": route, "tier": tier,
         "priority": priority, "agent": None, "text": None, "at": t + 1.0},
        {"event_id": event_id, "action": "reply", "route": None, "tier": None, "priority": None,
         "agent": agent, "text": text, "at": reply_at},
    ]


def two_second_stack(n: int = 100, legal_every: int = 10, noise_every: int = 7
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Events every 30 s; a stack that answers every post needing it after exactly 2 s,
    triages complaints correctly, and misroutes every legal threat to care tier 1 p3.
    """
    events, actions = [], []
    for i in range(n):
        t = 30.0 * i
        intent = ("legal_threat" if i % legal_every == 3
                  else "noise" if i % noise_every == 0 else "complaint")
        events.append(
            make_event(i, t, intent, incident="payments-down" if intent != "noise" else None))
        if intent != "noise":
            actions += answered(f"ev-{i:06d}", t, "care", 1, "p3", f"a-{i % 3:02d}",
                                "Sorry, we are on it", t + 2.0)
    return events, actions


def drill_replay(n: int, per_second: list[int],
                 hdr: dict[str, str] | None = None) -> dict[str, Any]:
    """``replay.json`` of a finished drill at speed 60 that sent and had accepted all ``n``
    events (``per_second``: planned = sent = accepted, none failed)."""
    return {
        "speed": 60.0, "volume": 1.0,
        "target": {"profile": "reference", "base_url": "http://127.0.0.1:9"},
        "started_at": "2026-03-14T12:00:00Z", "partial": False, "stopped_reason": None,
        "counts": {"generated": n, "sent": n, "accepted": n, "failed": 0, "unsent": 0,
                   "unmatched_actions": 0, "rejected_callbacks": 0, "throttled": 0},
        "status_codes": {"202": n},
        "per_second": {"planned": per_second, "sent": per_second, "accepted": per_second,
                       "failed": [0] * len(per_second)},
        "hdr": hdr or {},
        "workers": 1,
        "platform": {"host": "127.0.0.1", "port": 9, "secret": False},
    }


def write_run(run_dir: Path, events: Iterable[dict[str, Any]],
              actions: Iterable[dict[str, Any]], replay: dict[str, Any] | None = None,
              sends: dict[str, np.ndarray] | None = None) -> Path:
    """Write a run folder from rows; the folder. Arrays ``sends`` leaves out are NaN."""
    run_dir.mkdir(parents=True, exist_ok=True)
    append_lines(run_dir / "events.jsonl", events, truncate=True)
    append_lines(run_dir / "actions.jsonl", actions, truncate=True)
    if replay is not None:
        write_json(run_dir / "replay.json", replay)
    if sends is not None:
        missing = np.full(len(sends["status"]), np.nan)
        write_sends(run_dir / "sends.npz", **{"intended_s": missing, "lag_ms": missing,
                                              "latency_ms": missing, "service_ms": missing,
                                              **sends})
    return run_dir


def drill_run(run_dir: Path) -> Path:
    """A drill's run folder with every file: ``two_second_stack(120)``, replay.json with
    HdrHistograms, sends.npz (the report and security tests)."""
    from hdrh.histogram import HdrHistogram

    events, actions = two_second_stack(120)
    hist = HdrHistogram(1, 60_000_000, 3)
    for us in range(1000, 40_000, 300):
        hist.record_value(us)
    encoded = hist.encode().decode()
    n = len(events)
    rng = np.random.default_rng(5)
    replay = drill_replay(n, [2] * 60, {key: encoded for key in
                                         ("ingest_ms", "ingest_service_ms", "schedule_lag_ms")})
    sends = {"intended_s": np.arange(n) * 0.5, "lag_ms": rng.uniform(0, 2, n),
             "latency_ms": rng.lognormal(1.5, 0.5, n), "service_ms": rng.lognormal(1.4, 0.5, n),
             "status": np.full(n, 202)}
    return write_run(run_dir, events, actions, replay, sends)


class RunFolders:
    """Run folders under one directory: the tests' ``run_folder`` fixture."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, events: list[dict[str, Any]], actions: list[dict[str, Any]],
                 replay: dict[str, Any] | None = None,
                 sends: dict[str, np.ndarray] | None = None, name: str = "run") -> Path:
        """``write_run`` into ``root / name``."""
        return write_run(self.root / name, events, actions, replay, sends)

    def drill(self, name: str = "drill") -> Path:
        """``drill_run`` into ``root / name``."""
        return drill_run(self.root / name)
