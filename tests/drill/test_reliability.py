"""Faults during a drill, against real servers on loopback (issue 9, DESIGN.md section 11).

Every drill runs as the real command line in its own process (Locust monkey-patches on
import). In every case the run must end cleanly, write results.json and report.html (marked
partial when it stopped early), balance its accounting (generated = accepted + failed +
unsent), keep every action that arrived in actions.jsonl, and leave no child process behind
(each drill is started with a marker in its environment that its children inherit; the test
looks for that marker in /proc afterwards).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import orjson
import pytest

from tests.drill.drill_process import ROOT, Drill, check_run, lines
from tests.loopback import post

pytestmark = pytest.mark.slow  # drills in subprocesses

PROFILE = ROOT / "targets" / "reference.yaml"

def test_target_down_at_start_exits_3_with_one_line(tmp_path: Path) -> None:
    from load.launcher import free_port

    drill = Drill(tmp_path / "run", "--target", str(PROFILE), "--base-url",
                  f"http://127.0.0.1:{free_port()}")
    rc, out, err = drill.finish(timeout=60)
    assert rc == 3, err
    assert "Traceback" not in err
    errors = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: target http://127.0.0.1:")
    assert err.strip().splitlines()[-1] == errors[0]
    assert not (tmp_path / "run" / "replay.json").exists()
    assert drill.children() == []  # the platform endpoint it had started is gone


def test_target_dies_mid_run_and_comes_back(tmp_path: Path, loopback_target) -> None:
    target = loopback_target()
    drill = Drill(tmp_path / "run", "--target", str(PROFILE), "--base-url", target.url,
                  "--speed", "30", "--grace", "0s")
    drill.wait_for("sent ")
    target.kill()
    time.sleep(1.5)
    before = len(target.received())
    target.restart()
    rc, _, err = drill.finish()
    assert rc == 0, err
    replay = check_run(drill, partial=False)
    c = replay["counts"]
    errors = sum(v for k, v in replay["status_codes"].items() if k.startswith("error:"))
    assert errors > 0 and c["failed"] >= errors
    assert c["accepted"] > before  # it took posts again once back
    accepted = replay["per_second"]["accepted"]
    failed = replay["per_second"]["failed"]
    first_fail = next(i for i, n in enumerate(failed) if n)
    assert any(accepted[first_fail + 1:])  # accepted again after the outage began
    assert c["unsent"] == 0


def test_slow_failing_and_resetting_target_is_counted(tmp_path: Path, loopback_target) -> None:
    target = loopback_target(latency=0.25, fail_every=5, reset_every=7)
    drill = Drill(tmp_path / "run", "--target", str(PROFILE), "--base-url", target.url,
                  "--speed", "60", "--grace", "0s")
    rc, _, err = drill.finish()
    assert rc == 0, err
    replay = check_run(drill, partial=False)
    codes = replay["status_codes"]
    c = replay["counts"]
    assert codes.get("500", 0) > 0 and codes.get("202", 0) == c["accepted"] > 0
    resets = sum(v for k, v in codes.items() if k.startswith("error:"))
    assert resets > 0
    assert c["failed"] == codes["500"] + resets and c["unsent"] == 0
    results = orjson.loads((tmp_path / "run" / "results.json").read_bytes())
    assert results["latency"]["ingest_ms"]["p50"] >= 250  # the slowness is measured


def test_platform_endpoint_flooded_with_bad_callbacks(tmp_path: Path) -> None:

    from load.launcher import free_port
    from load.platform import MAX_BODY_BYTES, SIGNATURE_HEADER, platform_signature

    secret = "flood-" + uuid.uuid4().hex
    port = free_port()
    drill = Drill(tmp_path / "run", "--speed", "60", "--grace", "3m", "--platform-port",
                  str(port), env={"DRILL_PLATFORM_SECRET": secret})
    drill.wait_for("sent ")
    url = f"http://127.0.0.1:{port}/platform/actions"
    good = orjson.dumps({"event_id": "not-in-the-storm", "action": "reply", "text": "hi"})
    kinds = {
        "unauthorized": (good, {}),                                   # unsigned
        "malformed": (b"\x00\xffnot json{", None),                     # signed garbage
        "oversized": (b"x" * (MAX_BODY_BYTES + 10), {}),               # too large
        "invalid": (orjson.dumps({"action": "launch"}), None),         # signed, wrong shape
    }
    sent_ok = 0
    answers: dict[str, list[int]] = {k: [] for k in kinds}

    def flood() -> None:
        nonlocal sent_ok
        for _ in range(25):
            for kind, (body, headers) in kinds.items():
                if headers is None:
                    headers = {SIGNATURE_HEADER: platform_signature(secret.encode(), body)}
                answers[kind].append(post(url, body, headers)[0])
            signed = {SIGNATURE_HEADER: platform_signature(secret.encode(), good)}
            if post(url, good, signed)[0] == 202:
                sent_ok += 1

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    rc, out, err = drill.finish()
    assert rc == 0, err
    replay = check_run(drill, partial=False)
    assert set(answers["unauthorized"]) == {401}
    assert set(answers["malformed"]) == {400} and set(answers["invalid"]) == {422}
    assert set(answers["oversized"]) <= {413, -1}
    rejected = replay["platform"]["rejected_by_reason"]
    assert rejected["unauthorized"] == rejected["malformed"] == rejected["invalid"] == 100
    assert rejected["oversized"] == 100
    assert replay["counts"]["rejected_callbacks"] == 400
    assert sent_ok == 100 and replay["counts"]["unmatched_actions"] >= 100
    actions = lines(tmp_path / "run" / "actions.jsonl")
    assert sum(a.get("event_id") == "not-in-the-storm" for a in actions) == 100
    ids = {e["id"] for e in lines(tmp_path / "run" / "events.jsonl")}
    assert any(a.get("event_id") in ids for a in actions)  # the signed stack still got through
    c = replay["counts"]
    assert c["accepted"] + c["prevented"] == c["generated"]  # the storm reacted, all went out
    assert secret not in out + err


def _child_pids(drill_pid: int, module: bytes) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == drill_pid and module in cmd:
            pids.append(int(entry.name))
    return sorted(pids)


def test_a_worker_killed_mid_run(tmp_path: Path, loopback_target) -> None:
    target = loopback_target()
    drill = Drill(tmp_path / "run", "--target", str(PROFILE), "--base-url", target.url,
                  "--speed", "40", "--grace", "0s", "--workers", "2")
    drill.wait_for("sent ")
    workers = _child_pids(drill.proc.pid, b"load.distributed")
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    rc, _, err = drill.finish()
    assert rc == 0, err
    replay = check_run(drill, partial=True, reason="worker-lost")
    c = replay["counts"]
    assert c["unsent"] > 0 and c["accepted"] > 0
    assert replay["workers"] == 2
    assert "worker lost" in err


def test_platform_endpoint_killed_mid_run(tmp_path: Path) -> None:
    drill = Drill(tmp_path / "run", "--speed", "60", "--grace", "0s")
    drill.wait_for("sent ")
    time.sleep(0.5)  # let the stack post some actions first
    (endpoint,) = _child_pids(drill.proc.pid, b"load.platform")
    os.kill(endpoint, signal.SIGKILL)
    rc, _, err = drill.finish()
    assert rc == 0, err
    assert "warning: the platform endpoint did not answer" in err
    replay = check_run(drill, partial=False)  # the actions that arrived are all counted
    assert replay["platform"]["actions"] > 0
    c = replay["counts"]
    assert c["accepted"] + c["prevented"] == c["generated"]  # the storm went on


# (signal, where): a terminal Ctrl-C (SIGINT to the whole process group) or a SIGTERM to the
# drill alone, at the line on stderr that marks that point of the run.
SIGNAL_POINTS = [
    ("SIGTERM", "generating", ("--volume", "40", "--speed", "120", "--grace", "0s")),
    ("SIGINT", "sent ", ("--speed", "20", "--grace", "0s")),
    ("SIGTERM", "sent ", ("--speed", "20", "--grace", "0s")),
    ("SIGTERM", "waiting ", ("--speed", "120", "--grace", "20m")),
    ("SIGINT", "writing results", ("--speed", "120", "--grace", "0s")),
]


@pytest.mark.parametrize(("name", "point", "args"), SIGNAL_POINTS,
                         ids=[f"{n}-{p.strip()}" for n, p, _ in SIGNAL_POINTS])
def test_signals_end_the_run_cleanly(tmp_path: Path, name: str, point: str,
                                     args: tuple[str, ...]) -> None:
    sig = getattr(signal, name)
    drill = Drill(tmp_path / "run", *args)
    drill.wait_for(point)
    if sig == signal.SIGINT:
        drill.signal_group(sig)
    else:
        drill.proc.send_signal(sig)
    rc, out, err = drill.finish()
    stopped_early = point != "writing results"
    # Issue 19: a run cut short exits 128 + the signal (130 / 143), its reason names the
    # signal; a signal while the complete results are being written cuts nothing short.
    assert rc == ((128 + sig) if stopped_early else 0), err
    assert "Traceback" not in err
    assert f"report: {tmp_path / 'run' / 'report.html'}" in out
    reason = "interrupted" if sig == signal.SIGINT else "terminated"
    replay = check_run(drill, partial=stopped_early, reason=reason if stopped_early else None)
    assert replay["stop_signal"] == (name if stopped_early else None)
    c = replay["counts"]
    if point == "generating":
        assert "stopped during generation" in err and c["sent"] == 0
    elif point == "sent ":
        assert c["unsent"] > 0
    else:
        assert c["unsent"] == 0
