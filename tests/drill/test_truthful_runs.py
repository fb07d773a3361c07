"""Truthful numbers when a run is cut short, and early checks a CI user relies on (issue 19).

Every drill runs as the real command line in its own process against real servers on
loopback (the reference stack, or a small reply-only stack in a thread here); the gate runs as
the real ``gate`` command over the results those drills wrote.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.drill.drill_process import ROOT, SCENARIO, Drill, check_run, cli
from tests.loopback import InThreadServer, QuietHandler, post

pytestmark = pytest.mark.slow


def results_of(run: Path) -> dict[str, Any]:
    return dict(orjson.loads((run / "results.json").read_bytes()))


def scenario_copy(tmp: Path, name: str, change: Any) -> Path:
    data = yaml.safe_load(SCENARIO.read_text())
    change(data)
    path = tmp / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ci-smoke drill cut short by Ctrl-C a moment after its first sends."""
    run = tmp_path_factory.mktemp("interrupted") / "run"
    drill = Drill(run, "--speed", "20", "--grace", "0s")
    drill.wait_for("sent ")
    time.sleep(1.0)
    drill.signal_group(signal.SIGINT)
    rc, _, err = drill.finish()
    assert rc == 130, err
    assert "Traceback" not in err
    check_run(drill, partial=True, reason="interrupted")
    return run


def test_cut_short_run_scores_only_delivered_posts(interrupted: Path) -> None:
    r = results_of(interrupted)
    c, esc, lat = r["counts"], r["escalation"], r["latency"]
    assert c["unsent"] > 0 and c["unsent_by_reason"].get("interrupted", 0) > 0
    assert sum(c["unsent_by_reason"].values()) == c["unsent"]
    assert c["scored"]["delivered"] == c["accepted"]
    # prevented posts (reactions) never existed on the platform: neither scored nor undelivered
    assert esc["not_delivered"] == c["generated"] - c["prevented"] - c["accepted"]
    assert esc["scored"] <= c["accepted"]
    assert lat["sla_due"] + lat["sla_open"] <= c["accepted"]
    texts = " ".join(f["text"] for f in r["findings"])
    assert "never sent (the run was interrupted (Ctrl-C))" in texts
    assert "fell behind" not in texts  # the posts were unsent because the run was stopped
    report = (interrupted / "report.html").read_text()
    assert "Drill of" in report and "Live drill" not in report  # only --live runs are live


def test_header_says_live_drill_only_for_live_runs(interrupted: Path) -> None:
    from datetime import UTC, datetime

    from reports.report import render_html

    r = results_of(interrupted)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    assert r["replay"]["live"] is False
    assert "Live drill" not in render_html(r, stamp)
    r["replay"]["live"] = True  # what a --live run records in replay.json
    assert "Live drill of" in render_html(r, stamp)


def test_gate_on_a_partial_run_fails_unless_allowed(interrupted: Path, tmp_path: Path) -> None:
    gates = tmp_path / "ok.gates"
    gates.write_text("counts.generated >= 1\n")
    results = str(interrupted / "results.json")
    strict = cli("gate", results, "--gates", str(gates))
    assert strict.returncode == 1 and "complete run" in strict.stdout, strict.stdout
    lenient = cli("gate", results, "--gates", str(gates), "--allow-partial")
    assert "complete run" not in lenient.stdout
    # The recorded SLO gates still decide; the partial-run gate is gone.
    assert lenient.returncode == (0 if results_of(interrupted)["passed"] else 1)


def test_every_number_in_results_json_is_a_known_gate_path(interrupted: Path) -> None:
    """The typed sections (reports/sections.py) know every number of results.json (a drill's
    gates are checked against them before any load)."""
    from reports.gate_paths import walk

    def numbers(node: Any, path: str) -> list[str]:
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in numbers(v, f"{path}.{k}" if path else k)]
        ok = isinstance(node, int | float) and not isinstance(node, bool)
        return [path] if ok else []

    paths = numbers(results_of(interrupted), "")
    assert len(paths) > 50
    assert [p for p in paths if walk(p).startswith("unknown")] == []


def test_gate_on_a_route_absent_from_the_storm_is_not_applicable(interrupted: Path,
                                                                  tmp_path: Path) -> None:
    gates = tmp_path / "route.gates"
    gates.write_text("escalation.per_route.no-such-route.recall >= 0.9\n")
    done = cli("gate", str(interrupted / "results.json"), "--gates", str(gates),
               "--allow-partial")
    row = next(x for x in done.stdout.splitlines() if "no-such-route" in x)
    assert "n/a" in row and "FAIL" not in row, done.stdout


def test_few_sample_percentile_is_flagged_and_min_samples_fails_it(interrupted: Path,
                                                                   tmp_path: Path) -> None:
    r = results_of(interrupted)
    count = r["latency"]["first_response_s"]["count"]
    assert 0 < count < 100  # a few seconds of ci-smoke: p99 is the maximum
    gates = tmp_path / "p99.gates"
    gates.write_text("latency.first_response_s.p99 <= 1e9\n")
    flagged = cli("gate", str(interrupted / "results.json"), "--gates", str(gates),
                  "--allow-partial")
    row = next(x for x in flagged.stdout.splitlines() if x.startswith("latency.first_resp"))
    assert f"only {count} samples" in row and "pass" in row, flagged.stdout
    gates.write_text(f"min_samples {count + 1}\nlatency.first_response_s.p99 <= 1e9\n")
    strict = cli("gate", str(interrupted / "results.json"), "--gates", str(gates),
                 "--allow-partial")
    row = next(x for x in strict.stdout.splitlines() if x.startswith("latency.first_resp"))
    assert "FAIL" in row and "min_samples" in row and strict.returncode == 1, strict.stdout


def test_bad_inputs_fail_before_any_load_and_leave_no_folder(tmp_path: Path) -> None:
    from load.launcher import free_port

    run = tmp_path / "run"
    gates = tmp_path / "typo.gates"
    gates.write_text("latency.first_respons_s.p90 <= 60\n")
    cases = [
        (("--gate", "--gates", str(gates)), 2, "metric latency.first_respons_s.p90 must be a "
                                               "number in results.json"),
        (("--stack-config", str(tmp_path / "missing.yaml")), 2, "--stack-config: must be a "
                                                                  "readable YAML file"),
        (("--target", str(tmp_path / "missing-profile.yaml")), 2, "missing-profile.yaml"),
        (("--target", str(ROOT / "targets" / "reference.yaml"), "--base-url",
          f"http://127.0.0.1:{free_port()}"), 3, "is not reachable"),
    ]
    for args, code, message in cases:
        t0 = time.monotonic()
        done = cli("drill", str(SCENARIO), "-o", str(run), "--platform-port", "0", *args)
        errors = [x for x in done.stderr.splitlines() if x.startswith("error:")]
        assert done.returncode == code and len(errors) == 1 and message in errors[0], \
            (args, done.stderr)
        assert "Traceback" not in done.stderr and "generating" not in done.stderr
        assert not run.exists(), args  # nothing generated, no empty run folder
        assert time.monotonic() - t0 < 30
    assert "did you mean 'first_response_s'?" in cli(
        "drill", str(SCENARIO), "--gate", "--gates", str(gates)).stderr


def test_stack_outbox_failures_show_and_open_posts_are_not_missed(tmp_path: Path) -> None:
    config = tmp_path / "stack.yaml"
    config.write_text("outbox: {crash_after: 5, retry_initial: 20ms}\n")
    run = tmp_path / "run"
    drill = Drill(run, "--speed", "120", "--grace", "0s", "--stack-config", str(config))
    rc, _, err = drill.finish()
    assert rc == 0, err
    replay = check_run(drill, partial=False)
    outbox = replay["stack_outbox"]
    assert outbox["sender_restarts"] > 0 and "SenderFault" in outbox["sender_error"]
    assert "warning: the reference stack's outbox restarted" in err
    assert "outbox sender" in (run / "stack.log").read_text()
    # The drill let the outbox deliver its last actions before stopping the stack.
    assert outbox["pending"] == 0 and 0 < outbox["sent"] <= replay["platform"]["actions"]
    r = results_of(run)
    scored = r["counts"]["scored"]
    # --grace 0s: the storm's last posts were still within their deadline at the end.
    assert scored["open_at_end"] > 0 and r["latency"]["sla_open"] == scored["open_at_end"]
    assert r["latency"]["sla_due"] == scored["deadline_met"] + scored["deadline_missed"]
    assert any("open, neither met nor missed" in f["text"] for f in r["findings"])


def test_default_wait_until_deadlines_and_slo_defaults_in_the_source_column(
        tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["drill"] = {"speed": 600}  # no grace: wait for the posts' own deadlines
        del data["slo"]

    scenario = scenario_copy(tmp_path, "no-grace.yaml", change)
    done = cli("drill", str(scenario), "-o", str(tmp_path / "run"), "--platform-port", "0",
               "--gate", timeout=120)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    r = results_of(tmp_path / "run")
    c = r["counts"]
    # The drill waited until every deadline passed or every post was answered: none open.
    assert c["open_at_end"] == 0 and c["scored"]["observed_until_s"] > 0
    assert r["slo_defaults"] == sorted(r["slo"])
    assert {g["source"] for g in r["gates"]} == {"slo default"}
    assert "slo default" in done.stdout


class ReplyOnlyStack(InThreadServer):
    """A stack that answers every post in-media and never states a route (no triage)."""

    def __init__(self, platform_port: int) -> None:
        actions = f"http://127.0.0.1:{platform_port}/platform/actions"
        self.replied = 0

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.answer(200)

            def do_POST(self) -> None:  # noqa: N802
                event = json.loads(self.rfile.read(int(self.headers["content-length"])))
                self.answer(202)
                post(actions, json.dumps({"event_id": event["id"], "action": "reply",
                                          "agent": "bot", "text": "sorry to hear that"}).encode())

        super().__init__(Handler)


def test_reply_only_stack_is_not_scored_as_routing_to_none(tmp_path: Path) -> None:
    from load.launcher import free_port

    platform_port = free_port()
    stack = ReplyOnlyStack(platform_port)
    profile = tmp_path / "reply-only.yaml"
    profile.write_text(yaml.safe_dump({
        "name": "reply-only", "base_url": stack.url, "method": "POST", "path": "/events",
        "headers": {"Content-Type": "application/json"}, "body": "{{ event | json }}",
        "accept": [202], "health": "/health"}))
    try:
        drill = Drill(tmp_path / "run", "--target", str(profile), "--speed", "120",
                      "--grace", "30s", "--platform-port", str(platform_port))
        rc, _, err = drill.finish()
    finally:
        stack.stop()
    assert rc == 0, err
    r = results_of(tmp_path / "run")
    esc, scored = r["escalation"], r["counts"]["scored"]
    assert esc["scored"] == 0 and esc["route_not_expressed"] == r["counts"]["accepted"] > 0
    assert esc["critical_recall"] is None and esc["critical_missed"] == 0
    assert scored["routing_expressed"] == 0
    texts = [f["text"] for f in r["findings"]]
    assert any("expressed no route" in t for t in texts), texts
    assert not any("never reached their escalation path" in t for t in texts), texts
    assert r["latency"]["sla_attainment"] is not None  # the replies are still scored
