"""The command line as a subprocess (``cli``; a drill to watch and interrupt: ``Drill``), and
the checks every drill must pass (the reliability tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "ci-smoke.yaml"
MARK = "DRILL_RELIABILITY_MARK"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``run_drill.py *args`` to the end, its output captured."""
    return subprocess.run([sys.executable, "run_drill.py", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout)


class Drill:
    """``run_drill.py drill`` in its own process group, stderr read line by line."""

    def __init__(self, out: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.out = out
        self.mark = uuid.uuid4().hex
        self.proc = subprocess.Popen(
            [sys.executable, "run_drill.py", "drill", str(SCENARIO), "-o", str(out),
             "--platform-port", "0", *args],  # a later --platform-port in args wins
            cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
            env={**os.environ, **(env or {}), MARK: self.mark})
        self.err: list[str] = []

    def wait_for(self, prefix: str) -> str:
        """Read stderr until a line starts with ``prefix`` (fails if the drill ends first)."""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            if line.lstrip("\r").startswith(prefix):
                return line
        pytest.fail(f"drill ended before {prefix!r}: {''.join(self.err)[-2000:]}")

    def finish(self, timeout: float = 90) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        return self.proc.returncode, out, "".join(self.err) + err

    def signal_group(self, sig: int) -> None:
        """What a terminal does on Ctrl-C: the signal goes to the whole process group."""
        os.killpg(self.proc.pid, sig)

    def children(self) -> list[int]:
        """Processes still alive that carry this drill's marker (its children)."""
        needle = f"{MARK}={self.mark}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if needle in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
        return found


def lines(path: Path) -> list[dict]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]


def check_run(drill: Drill, partial: bool, reason: str | None = None) -> dict:
    """The invariants of every ended drill; returns replay.json."""
    out = drill.out
    deadline = time.monotonic() + 10
    while drill.children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert drill.children() == [], "a child process of the drill is still running"
    replay = orjson.loads((out / "replay.json").read_bytes())
    results = orjson.loads((out / "results.json").read_bytes())
    report = (out / "report.html").read_text()
    c = replay["counts"]
    assert c["generated"] == c["accepted"] + c["failed"] + c["unsent"] + c["prevented"]
    assert c["sent"] == c["accepted"] + c["failed"]
    assert sum(replay["status_codes"].values()) == c["sent"]
    assert c["generated"] == len(lines(out / "events.jsonl"))
    assert results["counts"]["generated"] == c["generated"]
    assert replay["partial"] is partial and results["replay"]["partial"] is partial
    assert replay["stopped_reason"] == reason
    assert ("stopped early" in report) is partial
    if replay["platform"]["port"] is not None:  # every action that arrived is kept
        assert replay["platform"]["actions"] == len(
            [a for a in lines(out / "actions.jsonl") if a.get("source") != "poll"])
    return replay
