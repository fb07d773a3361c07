"""The replay against real loopback targets with known behaviour.

Every replay runs in a subprocess (``python -m drill.replay`` or a short script): Locust
monkey-patches the standard library on import, and the test process must stay unpatched.
The targets are small threaded HTTP servers, also in their own processes, with a known
latency, an optional periodic stall, an optional failure share, and a log of received ids.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import orjson
import pytest
from hdrh.histogram import HdrHistogram

pytestmark = pytest.mark.slow  # drills in subprocesses

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "targets" / "reference.yaml"

def write_events(path: Path, n: int, rate: float) -> list[str]:
    """``n`` events at a constant ``rate`` per scenario second; returns their ids."""
    ids = [f"ev-{i:06d}" for i in range(n)]
    lines = [orjson.dumps({"id": ids[i], "t": i / rate, "channel": "twitter", "kind": "post",
                           "parent": None, "text": f"post {i}",
                           "author": {"handle": "@u", "followers": 10},
                           "labels": {"intent": "question"}}) for i in range(n)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return ids


def replay(events: Path, out: Path, base_url: str, speed: float, *extra: str,
           timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drill.replay", str(events), "-o", str(out), "--target",
         str(PROFILE), "--base-url", base_url, "--speed", str(speed), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def histogram(replay_json: dict, name: str) -> HdrHistogram:
    return HdrHistogram.decode(replay_json["hdr"][name].encode())


def replayed(tmp_path: Path, url: str, n: int, rate: float) -> dict:
    """``n`` events at ``rate`` per second replayed at speed 1 to ``url``; the balanced
    replay.json."""
    write_events(tmp_path / "events.jsonl", n, rate)
    done = replay(tmp_path / "events.jsonl", tmp_path / "run", url, 1.0)
    assert done.returncode == 0, done.stderr
    return check_accounting(tmp_path / "run", n)


def check_accounting(run: Path, n: int) -> dict:
    data = orjson.loads((run / "replay.json").read_bytes())
    c = data["counts"]
    assert c["generated"] == n
    assert c["generated"] == c["accepted"] + c["failed"] + c["unsent"]
    assert c["sent"] == c["accepted"] + c["failed"]
    with np.load(run / "sends.npz") as sends:
        status = sends["status"]
        assert len(status) == n and len(sends["lag_ms"]) == n
        assert int((status == 0).sum()) == c["unsent"]
    assert sum(data["status_codes"].values()) == c["sent"]
    return data


def test_periodic_stall_shows_in_the_percentiles(tmp_path: Path, loopback_target) -> None:
    # 20 ms latency, a 1 s stall every 5 s, 100 posts/s for 5 s: a fifth wait in a stall.
    target = loopback_target(latency=0.02, period=5.0, stall=1.0)
    n = 500
    data = replayed(tmp_path, target.url, n, 100.0)
    assert data["counts"]["accepted"] == n
    with np.load(tmp_path / "run" / "sends.npz") as sends:
        latency = sends["latency_ms"]
    stalled = float((latency > 120).mean())
    assert 0.12 <= stalled <= 0.28  # about a fifth; binomial-free: it is a share of time
    ingest = histogram(data, "ingest_ms")
    assert ingest.get_value_at_percentile(50) / 1000 < 120  # most posts see only the latency
    assert ingest.get_value_at_percentile(90) / 1000 > 250  # the stall dominates the tail
    assert ingest.get_value_at_percentile(99) / 1000 > 700
    assert ingest.get_total_count() == n
    assert len(target.received()) == n


HELD_UP = textwrap.dedent('''
    import json, sys, time
    import gevent
    from gevent.monkey import get_original
    from load.profile import load_profile
    from load.schedule import build_plan
    from simulator.runfolder import read_event_dicts as read_events
    from load.replay import START_LEAD_S, Target, run_replay
    profile = load_profile(sys.argv[1], sys.argv[2])
    plan = build_plan(read_events(sys.argv[3]), profile, 1.0)
    block = get_original("time", "sleep")
    # Hold the sender up on purpose: one second in, block its event loop for 0.6 s.
    gevent.spawn_later(START_LEAD_S + 1.0, block, 0.6)
    out = run_replay(plan, Target(profile.base_url, profile.accept))
    d = out.log.derived_ms(plan.offsets)
    print(json.dumps({k: [None if v != v else v for v in a.tolist()] for k, a in d.items()}))
''')


def test_held_up_sender_shows_in_intended_latency_and_lag_not_service(
        tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.005)
    n = 300
    write_events(tmp_path / "events.jsonl", n, rate=100.0)
    done = subprocess.run([sys.executable, "-c", HELD_UP, str(PROFILE), target.url,
                           str(tmp_path / "events.jsonl")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    d = {k: np.array(v, dtype=float) for k, v in orjson.loads(done.stdout).items()}
    late = d["lag_ms"] > 200
    # about 60 sends (0.6 s at 100/s) were due while the sender was blocked
    assert 30 <= int(late.sum()) <= 90
    assert np.nanmax(d["lag_ms"]) > 400
    assert np.nanmax(d["latency_ms"]) > 400
    assert np.nanpercentile(d["latency_ms"], 99) > 300
    assert np.nanpercentile(d["service_ms"], 99) < 200
    # the late sends' intended-time latency includes their lag; their service time does not
    assert np.all(d["latency_ms"][late] >= d["lag_ms"][late])
    assert np.nanmedian(d["service_ms"][late]) < 100


def test_failing_target_is_counted_and_balances(tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.001, fail_every=10)
    n = 400
    data = replayed(tmp_path, target.url, n, 200.0)
    assert data["counts"]["failed"] == n // 10 == data["status_codes"]["500"]
    assert data["counts"]["accepted"] == n - n // 10
    assert sum(data["per_second"]["failed"]) == n // 10


def test_throttling_is_detected(tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.001, fail_every=4, fail_code=429)
    n = 200
    data = replayed(tmp_path, target.url, n, 200.0)
    assert data["counts"]["throttled"] == n // 4 == data["status_codes"]["429"]
    assert data["counts"]["failed"] == n // 4


def test_target_dying_mid_run_still_balances(tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.001)
    n = 400
    write_events(tmp_path / "events.jsonl", n, rate=200.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "drill.replay", str(tmp_path / "events.jsonl"), "-o",
         str(tmp_path / "run"), "--target", str(PROFILE), "--base-url", target.url,
         "--speed", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # kill the target once the replay is under way
        if line.startswith("sent "):
            target.kill()
            break
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    data = check_accounting(tmp_path / "run", n)
    received = len(target.received())
    assert 0 < data["counts"]["accepted"] <= received < n
    assert data["counts"]["failed"] >= n - received
    assert any(k.startswith("error:") for k in data["status_codes"])


def test_two_workers_send_every_event_exactly_once(tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.001)
    n = 600
    ids = write_events(tmp_path / "events.jsonl", n, rate=300.0)
    done = replay(tmp_path / "events.jsonl", tmp_path / "run", target.url, 1.0, "--workers", "2")
    assert done.returncode == 0, done.stderr
    data = check_accounting(tmp_path / "run", n)
    assert data["workers"] == 2
    assert data["counts"]["accepted"] == n
    received = target.received()
    assert len(received) == n and sorted(received) == ids
    assert histogram(data, "ingest_ms").get_total_count() == n  # merged from both workers
    assert histogram(data, "schedule_lag_ms").get_total_count() == n


def test_unreachable_target_exits_3_before_load(tmp_path: Path) -> None:
    from load.launcher import free_port

    write_events(tmp_path / "events.jsonl", 10, rate=10.0)
    done = replay(tmp_path / "events.jsonl", tmp_path / "run",
                  f"http://127.0.0.1:{free_port()}", 10.0)
    assert done.returncode == 3
    assert done.stderr.strip().splitlines()[-1].startswith("error: target http://127.0.0.1:")
    assert not (tmp_path / "run" / "replay.json").exists()


def test_remote_target_is_refused_without_allow_remote(tmp_path: Path) -> None:
    write_events(tmp_path / "events.jsonl", 10, rate=10.0)
    done = replay(tmp_path / "events.jsonl", tmp_path / "run", "http://10.11.12.13:80", 10.0)
    assert done.returncode == 2
    assert "must be loopback" in done.stderr and "10.11.12.13" in done.stderr


def test_ctrl_c_stops_cleanly_marks_partial_and_balances(tmp_path: Path, loopback_target) -> None:
    import signal

    target = loopback_target(latency=0.001)
    n = 1000
    write_events(tmp_path / "events.jsonl", n, rate=100.0)  # 10 s of sends
    proc = subprocess.Popen(
        [sys.executable, "-m", "drill.replay", str(tmp_path / "events.jsonl"), "-o",
         str(tmp_path / "run"), "--target", str(PROFILE), "--base-url", target.url,
         "--speed", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("sent "):
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    data = check_accounting(tmp_path / "run", n)
    assert data["partial"] is True and data["stopped_reason"] == "interrupted"
    assert data["counts"]["unsent"] > 0 and data["counts"]["accepted"] > 0
