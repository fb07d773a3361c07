"""Closed-loop drills against real stacks on loopback (the storm reacts to the stack).

Small scripted stacks (an HTTP server in a thread that posts its actions to the drill's
platform endpoint) answer every post within a second, never answer, or answer everything
with a frontline canned reply (wrong for legal and security posts); the reference stack is
drilled too. ``--no-reactions`` gives the generator's stream byte for byte. Drills run as
the real command line at ci-smoke scale and high speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from load.launcher import free_port
from simulator.crowd.reactions import ReactionEngine
from simulator.runfolder import read_jsonl
from simulator.scenario.models import load_scenario
from tests.drill.drill_process import cli
from tests.loopback import InThreadServer, QuietHandler, post

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "ci-smoke.yaml"
PROFILE = ROOT / "targets" / "reference.yaml"
SPEED = "60"
ANSWER_WALL_S = 0.01  # 0.6 scenario seconds at speed 60: "within a second"

pytestmark = pytest.mark.slow


class ScriptedStack(InThreadServer):
    """Accepts every event; answers per ``mode``: "all", "none" or "canned" (care tier 1)."""

    def __init__(self, mode: str, platform_port: int) -> None:
        self.mode, self.platform = mode, f"http://127.0.0.1:{platform_port}"
        stack = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the health check
                self.answer(200)

            def do_POST(self) -> None:  # noqa: N802
                event = json.loads(self.rfile.read(int(self.headers["content-length"])))
                self.answer(202)
                if stack.mode != "none":
                    threading.Timer(ANSWER_WALL_S, stack.reply, (event["id"],)).start()

        super().__init__(Handler)

    def reply(self, event_id: str) -> None:
        if self.mode == "canned":  # the drill contract's action, stating route and tier
            path, body = "/platform/actions", json.dumps({
                "event_id": event_id, "action": "reply", "route": "care", "tier": 1,
                "priority": None, "agent": "bot", "text": "Thanks, we're on it!"})
        else:  # an X API v2 reply
            path, body = "/2/tweets", json.dumps({"text": "Thanks, we're on it!",
                                                  "reply": {"in_reply_to_tweet_id": event_id}})
        post(self.platform + path, body.encode())  # fails quietly once the drill has ended


@pytest.fixture
def scripted() -> Iterator[Any]:
    stacks: list[ScriptedStack] = []

    def start(mode: str, platform_port: int) -> ScriptedStack:
        stacks.append(ScriptedStack(mode, platform_port))
        return stacks[-1]

    yield start
    for s in stacks:
        s.stop()


def drill(out: Path, *args: str) -> dict[str, Any]:
    done = cli("drill", str(SMOKE), "-o", str(out), "--speed", SPEED, *args, timeout=180)
    assert done.returncode == 0, done.stderr
    return orjson.loads((out / "results.json").read_bytes())


def scripted_drill(tmp_path: Path, scripted: Any, mode: str, *args: str) -> dict[str, Any]:
    port = free_port()
    stack = scripted(mode, port)
    return drill(tmp_path / mode, "--target", str(PROFILE), "--base-url", stack.url,
                 "--platform-port", str(port), "--grace", "0s", *args)


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines() if x.strip()]


def check_accounting(out: Path, results: dict[str, Any]) -> list[dict[str, Any]]:
    c = results["counts"]
    assert c["generated"] == c["scripted"] + c["reactions"]
    assert c["generated"] == c["accepted"] + c["failed"] + c["unsent"] + c["prevented"]
    events = lines(out / "events.jsonl")
    assert len(events) == c["generated"]
    with np.load(out / "sends.npz") as sends:
        status = sends["status"]
    assert [bool(s == -3) for s in status] == ["prevented_by" in e for e in events]
    assert all("cause" in e for e in events[c["scripted"]:])
    return events


def test_a_stack_that_answers_everything_at_once_thins_the_storm(tmp_path: Path,
                                                                scripted: Any) -> None:
    results = scripted_drill(tmp_path, scripted, "all")
    out = tmp_path / "all"
    events = check_accounting(out, results)
    rx = results["reactions"]
    assert rx["prevented"] > 0 and rx["answer_backs"] > 0 and rx["silence_follow_ups"] == 0
    assert rx["wrong_handling"] == 0 and rx["answered_late"] == 0
    assert all("prevented_by" in e for e in events if e["labels"]["follows"])
    backs = [e for e in events if e.get("cause", {}).get("reaction", "").startswith("answer_back")]
    assert backs and all(e["in_reply_to"].startswith("pt-") for e in backs)  # the X reply's id
    # Damping, from the parent links: a cascade post whose parent was posted survives each
    # answer of an ancestor made before it was due with probability `damp` (independent
    # draws), so its survival chance is damp^m; kept ~ sum of those chances.
    keep = load_scenario(SMOKE).reactions.in_time.damp  # type: ignore[union-attr]
    answered: dict[str, float] = {}
    for action in lines(out / "actions.jsonl"):
        answered.setdefault(action["event_id"], action["at"])
    by_id = {e["id"]: e for e in events[:results["counts"]["scripted"]]}
    expected = variance = 0.0
    kept = candidates = 0
    for e in by_id.values():
        parent: dict[str, Any] | None = by_id.get(e["parent"] or "")
        if parent is None or "prevented_by" in parent:
            continue
        m, up = 0, parent  # type: int, dict[str, Any] | None
        while up is not None:
            if up["id"] in answered and answered[up["id"]] < e["t"]:
                m += 1
            up = by_id.get(up["parent"] or "")
        p = keep**m
        expected, variance = expected + p, variance + p * (1 - p)
        kept += "prevented_by" not in e
        candidates += 1
    assert candidates > 30
    slack = rx["cancel_too_late"]  # cancels that came after the post was sent (poll latency)
    assert abs(kept - expected) <= 4 * variance**0.5 + 1 + slack


def test_a_stack_that_never_answers_gets_the_scripted_storm(tmp_path: Path,
                                                           scripted: Any) -> None:
    results = scripted_drill(tmp_path, scripted, "none")
    events = check_accounting(tmp_path / "none", results)
    rx = results["reactions"]
    assert rx["prevented"] == 0 and rx["reactions"] == 0
    follow_ups = [e for e in events if e["labels"]["follows"]]
    assert follow_ups and rx["silence_follow_ups"] == len(follow_ups)
    assert all(e["cause"] == {"event_id": e["labels"]["follows"], "action": "silence",
                              "at": e["cause"]["at"]} for e in follow_ups)
    assert rx["amplification"] == 1.0


def test_a_canned_frontline_reply_to_legal_threats_brings_backlash(tmp_path: Path,
                                                                   scripted: Any) -> None:
    results = scripted_drill(tmp_path, scripted, "canned")
    events = check_accounting(tmp_path / "canned", results)
    rx = results["reactions"]
    assert rx["wrong_handling"] > 0 and rx["backlash_posts"] > rx["wrong_handling"] * 0.5
    by_id = {e["id"]: e for e in events}
    backlash = [e for e in events if (e.get("cause") or {}).get("reaction") == "backlash"]
    assert backlash
    for e in backlash:
        origin = by_id[e["cause"]["event_id"]]
        assert origin["labels"]["expected"]["priority"] in ("p1", "p2")
        assert e["parent"] == origin["id"] and e["author"]["handle"] == origin["author"]["handle"]
    cascades = [e for e in events if (e.get("cause") or {}).get("reaction") == "backlash-cascade"]
    assert cascades  # branching 0.5 x 1.6: most backlash posts are shared
    # determinism: the same actions at the same times, replayed offline, give the same posts
    engine = ReactionEngine(load_scenario(SMOKE), read_jsonl_scripted(tmp_path / "canned",
                                                                      results))
    for a in lines(tmp_path / "canned" / "actions.jsonl"):
        engine.on_action(a["event_id"], a["action"], a["at"], a["route"], a["tier"])
    engine.render_texts()  # one batch here; the drill rendered a batch per read of actions
    drilled = events[results["counts"]["scripted"]:]
    assert [p.event for p in engine.added] == [
        {k: v for k, v in e.items() if k != "prevented_by"} for e in drilled]
    prevented = {e["id"] for e in events if "prevented_by" in e}
    assert prevented <= {f"ev-{k:07d}" for k in engine.prevented_by}


def read_jsonl_scripted(out: Path, results: dict[str, Any]) -> Any:
    """The scripted storm again: the run's first ``scripted`` lines, marks removed."""
    n = results["counts"]["scripted"]
    path = out / "scripted.jsonl"
    raw = [orjson.loads(x) for x in (out / "events.jsonl").read_bytes().splitlines()[:n]]
    path.write_bytes(b"".join(orjson.dumps({k: v for k, v in e.items()
                                            if k not in ("cause", "prevented_by")}) + b"\n"
                              for e in raw))
    return read_jsonl(path)


def test_no_reactions_sends_the_generated_stream_byte_for_byte(tmp_path: Path) -> None:
    gen = tmp_path / "generated.jsonl"
    subprocess.run([sys.executable, "run_drill.py", "generate", str(SMOKE), "-o", str(gen)],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    results = drill(tmp_path / "open", "--no-reactions", "--platform-port", "0", "--grace", "0s")
    assert (tmp_path / "open" / "events.jsonl").read_bytes() == gen.read_bytes()
    assert not (tmp_path / "open" / "reactions.json").exists()
    c = results["counts"]
    assert c["prevented"] == 0 and c["reactions"] == 0 and c["accepted"] == c["generated"]
    assert results["reactions"] == {"enabled": False}


def test_the_reference_stack_drill_reacts(tmp_path: Path) -> None:
    started = time.monotonic()
    results = drill(tmp_path / "ref", "--platform-port", "0", "--grace", "30s", "--workers", "2")
    check_accounting(tmp_path / "ref", results)
    rx = results["reactions"]
    assert rx["prevented"] > 0 and rx["reactions"] > 0
    assert "Your answers prevented" in (tmp_path / "ref" / "report.html").read_text()
    assert time.monotonic() - started < 120
