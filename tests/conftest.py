"""Shared pytest fixtures. Append-only: each area adds its own block under a heading comment."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# carestack (issue 4): the reference care stack, started for real, and a platform sink that
# records the actions it posts. `reference_stack(platform_url, ...)` -> base URL;
# `carestack_sink(port=None)` -> a started ActionSink (`.url`, `.actions`, `.wait_for`).
# ---------------------------------------------------------------------------------------------
import http.server as _cs_http  # noqa: E402
import json as _cs_json  # noqa: E402
import os as _cs_os  # noqa: E402
import socket as _cs_socket  # noqa: E402
import subprocess as _cs_subprocess  # noqa: E402
import sys as _cs_sys  # noqa: E402
import threading as _cs_threading  # noqa: E402
import time as _cs_time  # noqa: E402
import urllib.request as _cs_request  # noqa: E402
from collections.abc import Callable as _CsCallable  # noqa: E402
from collections.abc import Iterator as _CsIterator  # noqa: E402
from pathlib import Path as _CsPath  # noqa: E402
from typing import Any as _CsAny  # noqa: E402

import pytest  # noqa: E402
import yaml as _cs_yaml  # noqa: E402

CARESTACK_ROOT = _CsPath(__file__).resolve().parent.parent
CARESTACK_START_TIMEOUT_S = 30.0


def carestack_free_port() -> int:
    """A loopback port that was free a moment ago."""
    with _cs_socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ActionSink:
    """A small platform endpoint in a thread: records every POSTed JSON body in `actions`."""

    def __init__(self, port: int | None = None, status: int = 200):
        self.actions: list[dict[str, _CsAny]] = []
        self.headers: list[dict[str, str]] = []
        self.status = status
        self._cond = _cs_threading.Condition()
        sink = self

        class Handler(_cs_http.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink._cond:
                    sink.actions.append(_cs_json.loads(body))
                    sink.headers.append({k.lower(): v for k, v in self.headers.items()})
                    sink._cond.notify_all()
                self.send_response(sink.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: _CsAny) -> None:
                pass

        self.server = _cs_http.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = _cs_threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, pred: _CsCallable[[list[dict[str, _CsAny]]], bool],
                 timeout: float = 20.0) -> list[dict[str, _CsAny]]:
        """Wait until `pred(actions)` holds; return a copy of the actions, or fail the test."""
        deadline = _cs_time.monotonic() + timeout
        with self._cond:
            while not pred(self.actions):
                left = deadline - _cs_time.monotonic()
                if left <= 0:
                    pytest.fail(f"platform sink: condition not met in {timeout}s; "
                                f"got {len(self.actions)} actions: {self.actions[-5:]}")
                self._cond.wait(min(left, 0.2))
            return list(self.actions)

    def of(self, event_id: str, action: str | None = None) -> list[dict[str, _CsAny]]:
        """Actions recorded for one event (optionally of one kind), in arrival order."""
        with self._cond:
            return [a for a in self.actions if a.get("event_id") == event_id
                    and (action is None or a.get("action") == action)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def carestack_sink() -> _CsIterator[_CsCallable[..., ActionSink]]:
    """Factory: `carestack_sink(port=None, status=200)` starts an ActionSink; all stop after."""
    sinks: list[ActionSink] = []

    def start(port: int | None = None, status: int = 200) -> ActionSink:
        sink = ActionSink(port, status)
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        sink.stop()


@pytest.fixture
def reference_stack(tmp_path: _CsPath) -> _CsIterator[_CsCallable[..., str]]:
    """Factory starting `python -m carestack` on a free loopback port; yields its base URL.

    `reference_stack(platform_url, *extra_args, config=None, speed=60.0, env=None, db=None)`:
    `config` is a dict written as the stack's YAML config (merged over its defaults),
    `extra_args` are more CLI flags (e.g. "--no-agents"). `reference_stack.stop(url)` stops
    one stack early (SIGTERM: it flushes to SQLite); every stack is stopped at teardown.
    """
    procs: list[_cs_subprocess.Popen[bytes]] = []
    by_url: dict[str, _cs_subprocess.Popen[bytes]] = {}

    def stop(proc: _cs_subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except _cs_subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def start(platform_url: str, *extra_args: str, config: dict[str, _CsAny] | None = None,
              speed: float = 60.0, env: dict[str, str] | None = None,
              db: _CsPath | None = None) -> str:
        port = carestack_free_port()
        n = len(procs)
        cmd = [_cs_sys.executable, "-m", "carestack", "--host", "127.0.0.1", "--port", str(port),
               "--platform-url", platform_url, "--speed", str(speed),
               "--db", str(db or tmp_path / f"carestack-{n}.db"), *extra_args]
        if config is not None:
            cfg_path = tmp_path / f"carestack-{n}.yaml"
            cfg_path.write_text(_cs_yaml.safe_dump(config))
            cmd += ["--config", str(cfg_path)]
        full_env = {**_cs_os.environ, **(env or {})}
        full_env["PYTHONPATH"] = str(CARESTACK_ROOT) + _cs_os.pathsep + full_env.get(
            "PYTHONPATH", "")
        log = (tmp_path / f"carestack-{n}.log").open("wb")
        proc = _cs_subprocess.Popen(cmd, cwd=CARESTACK_ROOT, env=full_env, stdout=log,
                                    stderr=_cs_subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = _cs_time.monotonic() + CARESTACK_START_TIMEOUT_S
        while _cs_time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"carestack exited with {proc.returncode}: "
                            f"{(tmp_path / f'carestack-{n}.log').read_text()[-2000:]}")
            try:
                with _cs_request.urlopen(url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        by_url[url] = proc
                        return url
            except OSError:
                _cs_time.sleep(0.1)
        pytest.fail(f"carestack did not answer /health in {CARESTACK_START_TIMEOUT_S}s")

    start.stop = lambda url: stop(by_url[url])  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        stop(proc)


# ---------------------------------------------------------------------------------------------
# scenario + crowd (issue 2): a seeded generator and a tiny valid scenario.
# `rng` -> numpy Generator (seed 12345); `tiny_scenario_data` -> a fresh dict to mutate;
# `tiny_scenario` -> the same, validated (10 minutes, one cascading incident, journeys).
# ---------------------------------------------------------------------------------------------
import copy as _sc_copy  # noqa: E402

import numpy as _sc_np  # noqa: E402

TINY_SCENARIO_DATA: dict[str, _CsAny] = {
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
def rng() -> _sc_np.random.Generator:
    """A seeded numpy Generator; tests never use global random state."""
    return _sc_np.random.default_rng(12345)


@pytest.fixture
def tiny_scenario_data() -> dict[str, _CsAny]:
    """A fresh, mutable copy of the tiny scenario's YAML data."""
    return _sc_copy.deepcopy(TINY_SCENARIO_DATA)


@pytest.fixture
def tiny_scenario(tiny_scenario_data: dict[str, _CsAny]):  # type: ignore[no-untyped-def]
    """The tiny scenario, validated (a ``simulator.scenario.models.Scenario``)."""
    from simulator.scenario.models import parse_scenario

    return parse_scenario(tiny_scenario_data, "tiny.yaml")


# ---------------------------------------------------------------------------------------------
# tiers: `make test-fast` runs `-m 'not slow'`. Whole modules of subprocess drills are slow;
# other long tests carry `@pytest.mark.slow` themselves.
# ---------------------------------------------------------------------------------------------
SLOW_MODULES = frozenset({
    "test_ci_gates_e2e", "test_reliability", "test_load_drill", "test_training",
    "test_load_replay", "test_security",
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
