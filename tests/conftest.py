"""Fixtures every test level shares: a seeded generator, run folders, a loopback target with
known faults, the reference stack.

Each level's own fixtures live in its conftest.py (tests/carestack: the platform sink;
tests/simulator: the tiny scenario). Subprocess drills are marked ``slow`` in their modules.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from bench.synthetic_run import RunFolders
from load.launcher import free_port
from tests.loopback import LoopbackTarget

ROOT = Path(__file__).resolve().parent.parent
STACK_START_TIMEOUT_S = 30.0


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded numpy Generator; tests never use global random state."""
    return np.random.default_rng(12345)


@pytest.fixture
def run_folder(tmp_path: Path) -> RunFolders:
    """Run folders under ``tmp_path``: ``run_folder(events, actions, replay=None, sends=None,
    name="run")`` writes one from rows; ``run_folder.drill(name)`` a complete drill's."""
    return RunFolders(tmp_path)


@pytest.fixture
def loopback_target(tmp_path: Path) -> Iterator[Callable[..., LoopbackTarget]]:
    """Factory: `loopback_target(latency=0.002, period=0, stall=0, fail_every=0,
    fail_code=500, reset_every=0)` starts a LoopbackTarget; all are killed after the test."""
    made: list[LoopbackTarget] = []

    def make(**settings: Any) -> LoopbackTarget:
        target = LoopbackTarget(tmp_path, **settings)
        made.append(target)
        return target

    yield make
    for target in made:
        target.kill()


@pytest.fixture
def reference_stack(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Factory starting `python -m carestack` on a free loopback port; yields its base URL.

    `reference_stack(platform_url, *extra_args, config=None, speed=60.0, env=None, db=None)`:
    `config` is a dict written as the stack's YAML config (merged over its defaults),
    `extra_args` are more CLI flags (e.g. "--no-agents"). `reference_stack.stop(url)` stops
    one stack early (SIGTERM: it flushes to SQLite); every stack is stopped at teardown.
    """
    procs: list[subprocess.Popen[bytes]] = []
    by_url: dict[str, subprocess.Popen[bytes]] = {}

    def stop(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def start(platform_url: str, *extra_args: str, config: dict[str, Any] | None = None,
              speed: float = 60.0, env: dict[str, str] | None = None,
              db: Path | None = None) -> str:
        port = free_port()
        n = len(procs)
        cmd = [sys.executable, "-m", "carestack", "--host", "127.0.0.1", "--port", str(port),
               "--platform-url", platform_url, "--speed", str(speed),
               "--db", str(db or tmp_path / f"carestack-{n}.db"), *extra_args]
        if config is not None:
            cfg_path = tmp_path / f"carestack-{n}.yaml"
            cfg_path.write_text(yaml.safe_dump(config))
            cmd += ["--config", str(cfg_path)]
        full_env = {**os.environ, **(env or {})}
        full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        log = (tmp_path / f"carestack-{n}.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log,
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STACK_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"carestack exited with {proc.returncode}: "
                            f"{(tmp_path / f'carestack-{n}.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        by_url[url] = proc
                        return url
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"carestack did not answer /health in {STACK_START_TIMEOUT_S}s")

    start.stop = lambda url: stop(by_url[url])  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        stop(proc)
