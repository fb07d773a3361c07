"""Short end-to-end drills of the ci-smoke scenario against the real reference stack.

The drill runs as the real command line in a subprocess (Locust monkey-patches on import;
the test process stays unpatched). High speed keeps each drill to seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.drill.drill_process import ROOT, SCENARIO, cli, lines

pytestmark = pytest.mark.slow  # drills in subprocesses

def drill(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return cli("drill", str(SCENARIO), *args, timeout=timeout)


def test_drill_starts_the_reference_stack_and_records_everything(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = drill("-o", str(out), "--speed", "120", "--platform-port", "0", "--grace", "3m")
    assert done.returncode == 0, done.stderr
    assert f"report: {out / 'report.html'}" in done.stdout
    events = lines(out / "events.jsonl")
    replay = orjson.loads((out / "replay.json").read_bytes())
    c = replay["counts"]
    assert c["generated"] == len(events) > 0
    # the storm reacted (reactions on by default): the answers prevented some posts
    assert c["accepted"] + c["prevented"] == len(events) and c["prevented"] > 0
    assert c["failed"] == 0 and c["unsent"] == 0
    assert replay["speed"] == 120.0 and replay["target"]["profile"] == "reference"
    with np.load(out / "sends.npz") as sends:
        intended = sends["intended_s"]
        assert np.allclose(intended, np.array([e["t"] for e in events]) / 120.0)
        assert np.all((sends["status"] == 202) | (sends["status"] == -3))
        assert [bool(s == -3) for s in sends["status"]] == ["prevented_by" in e for e in events]
    # the stack's agents answered through the platform endpoint, stamped in scenario time
    actions = lines(out / "actions.jsonl")
    ids = {e["id"] for e in events}
    assert any(a["action"] in ("reply", "message") and a["event_id"] in ids for a in actions)
    assert all(0 <= a["at"] for a in actions)
    results = orjson.loads((out / "results.json").read_bytes())
    assert results["mode"] == "drill"
    assert results["counts"]["generated"] == len(events)
    assert results["latency"]["ingest_ms"]["count"] == c["accepted"]
    assert (out / "report.html").exists()


def test_drill_against_a_running_stack_with_a_profile(tmp_path: Path, reference_stack) -> None:
    from load.launcher import free_port

    port = free_port()
    base = reference_stack(f"http://127.0.0.1:{port}", speed=120.0)
    out = tmp_path / "run"
    done = drill("-o", str(out), "--speed", "120", "--target", str(ROOT / "targets/reference.yaml"),
                 "--base-url", base, "--platform-port", str(port), "--grace", "2m",
                 "--workers", "2")
    assert done.returncode == 0, done.stderr
    replay = orjson.loads((out / "replay.json").read_bytes())
    assert replay["workers"] == 2 and replay["target"]["base_url"] == base
    c = replay["counts"]
    assert c["generated"] == c["accepted"] + c["failed"] + c["unsent"] + c["prevented"]
    assert c["accepted"] + c["prevented"] == c["generated"]
    assert replay["platform"]["port"] == port
    assert len(lines(out / "actions.jsonl")) > 0


def test_bad_flags_are_one_line_exit_2(tmp_path: Path) -> None:
    done = drill("-o", str(tmp_path / "r"), "--grace", "soon")
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --grace: must be a duration like 90s, 20m, 1h10m "
                                   "or 500ms, got 'soon'")


def _events_file(path: Path, n: int) -> None:
    lines = [orjson.dumps({"id": f"ev-{i:06d}", "t": i * 0.5, "channel": "twitter", "kind": "post",
                           "parent": None, "thread": f"th-{i}", "text": f"@NorthwindAir help {i}",
                           "lang": "en", "incident": None,
                           "author": {"handle": "@jdoe", "name": "Jane", "followers": 10,
                                      "verified": False, "customer_id": None,
                                      "segment": "regular"},
                           "labels": {"intent": "question"}}) for i in range(n)]
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_x_webhook_signatures_verify_at_the_reference_stack(tmp_path: Path,
                                                            reference_stack) -> None:
    import os

    from load.launcher import free_port

    port = free_port()
    base = reference_stack(f"http://127.0.0.1:{port}", "--x-secret", "consumer-secret")
    _events_file(tmp_path / "events.jsonl", 40)
    results = {}
    for secret in ("consumer-secret", "wrong-secret"):
        out = tmp_path / secret
        done = subprocess.run(
            [sys.executable, "-m", "drill.replay", str(tmp_path / "events.jsonl"), "-o",
             str(out), "--target", str(ROOT / "targets/x-webhook.yaml"), "--base-url", base,
             "--speed", "40", "--platform-port", "0"], cwd=ROOT, capture_output=True, text=True,
            timeout=60, env={**os.environ, "X_WEBHOOK_SECRET": secret})
        assert done.returncode == 0, done.stderr
        results[secret] = orjson.loads((out / "replay.json").read_bytes())
    good, bad = results["consumer-secret"], results["wrong-secret"]
    assert good["counts"]["accepted"] == 40 and good["counts"]["failed"] == 0
    assert bad["counts"]["failed"] == 40 and bad["status_codes"] == {"401": 40}


def test_profile_polls_case_state_back_from_the_stack(tmp_path: Path, reference_stack) -> None:
    from load.launcher import free_port

    port = free_port()
    base = reference_stack(f"http://127.0.0.1:{port}", "--no-agents")
    _events_file(tmp_path / "events.jsonl", 20)
    profile = tmp_path / "polling.yaml"
    profile.write_text((ROOT / "targets/reference.yaml").read_text() + (
        "poll:\n  path: /cases/{{ event.id }}\n"
        "  fields: {route: route, tier: tier, priority: priority, case: case_id}\n"))
    done = subprocess.run(
        [sys.executable, "-m", "drill.replay", str(tmp_path / "events.jsonl"), "-o",
         str(tmp_path / "run"), "--target", str(profile), "--base-url", base, "--speed", "40",
         "--platform-port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    polled = [a for a in lines(tmp_path / "run" / "actions.jsonl") if a.get("source") == "poll"]
    assert sorted(a["event_id"] for a in polled) == [f"ev-{i:06d}" for i in range(20)]
    assert all(a["action"] == "triage" and a["route"] and a["case"] for a in polled)
    captured = lines(tmp_path / "run" / "captures.jsonl")
    assert {c["case_id"] for c in captured} == {a["case"] for a in polled}
