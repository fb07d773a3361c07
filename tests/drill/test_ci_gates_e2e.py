"""CI gates end to end: the ci-smoke drill against the embedded reference stack, healthy and
degraded, as a CI job runs it (`drill ... --gate --gates scenarios/ci-smoke.gates`).

Each drill is a real run in its own process (the drill imports gevent): the reference stack,
the platform endpoint and the Locust replay on loopback, about 20 s each.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import orjson
import pytest
import yaml

import run_drill
from tests.drill.drill_process import cli

pytestmark = pytest.mark.slow  # drills in subprocesses

ROOT = Path(__file__).parents[2]
SMOKE = ROOT / "scenarios" / "ci-smoke.yaml"
SMOKE_GATES = ROOT / "scenarios" / "ci-smoke.gates"
DRILL_TIMEOUT_S = 240


def _drill(run_dir: Path, scenario: Path = SMOKE, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("drill", str(scenario), "-o", str(run_dir), "--platform-port", "0", "--gate",
               "--gates", str(SMOKE_GATES), *extra, timeout=DRILL_TIMEOUT_S)


def _verdicts(run_dir: Path) -> dict[str, bool]:
    results = json.loads((run_dir / "results.json").read_text())
    assert results["counts"]["generated"] == (
        results["counts"]["accepted"] + results["counts"]["failed"] + results["counts"]["unsent"]
        + results["counts"]["prevented"])
    junit = (run_dir / "junit.xml").read_text()
    assert "<testsuite" in junit
    from reports.gate_run import run_gate

    rows, _ = run_gate(run_dir / "results.json", SMOKE_GATES, None, "10%", None)
    return {row["name"]: bool(row["passed"]) for row in rows}


def _scenario_variant(tmp_path: Path, name: str, change: dict[str, float]) -> Path:
    """ci-smoke with its roster or handle times changed (the roster under test)."""
    data = yaml.safe_load(SMOKE.read_text())
    for tier in data["team"]["tiers"]:
        for shift in tier["shifts"]:
            shift["agents"] = max(1, int(shift["agents"] * change.get("agents", 1.0)))
        ht = tier["handle_time"]
        for key in ("mean", "sd"):
            seconds = float(str(ht[key]).removesuffix("s"))
            ht[key] = f"{seconds * change.get('handle_time', 1.0):g}s"
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("healthy") / "run"
    proc = _drill(run_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return run_dir


def test_healthy_reference_stack_passes_every_gate(healthy: Path) -> None:
    verdicts = _verdicts(healthy)
    assert verdicts and all(verdicts.values()), verdicts
    assert "0 failed" in (healthy / "junit.xml").read_text() or 'failures="0"' in (
        healthy / "junit.xml").read_text()


def test_a_drill_results_json_round_trips_through_the_typed_sections(healthy: Path) -> None:
    from reports.sections import Results

    raw = json.loads((healthy / "results.json").read_text())
    typed = Results.parse(raw, "results.json")
    assert typed.replay is not None and typed.replay.speed is not None
    sort = orjson.OPT_SORT_KEYS
    assert orjson.dumps(typed.dump(), option=sort) == orjson.dumps(raw, option=sort)


@pytest.mark.parametrize(("stack_config", "expected"), [
    pytest.param("misroute: {legal: care}\n",
                 {"escalation.per_route.legal.recall": False, "critical_recall": False,
                  "ingest_p99": True, "error_rate": True},
                 id="legal-threats-routed-to-care-fail-the-escalation-gates"),
    pytest.param("ingest_delay_ms: 700\n",
                 {"ingest_p99": False, "latency.ingest_ms.p99": False,
                  "escalation_accuracy": True},
                 id="slow-ingest-fails-the-ingest-gate-only"),
])
def test_a_degraded_stack_fails_its_gates(tmp_path: Path, stack_config: str,
                                          expected: dict[str, bool]) -> None:
    config = tmp_path / "stack.yaml"
    config.write_text(stack_config)
    run_dir = tmp_path / "run"
    proc = _drill(run_dir, SMOKE, "--stack-config", str(config))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdicts = _verdicts(run_dir)
    assert {name: verdicts[name] for name in expected} == expected


def test_a_short_staffed_roster_fails_the_response_gates(tmp_path: Path) -> None:
    scenario = _scenario_variant(tmp_path, "short-staffed", {"agents": 0.1})
    run_dir = tmp_path / "run"
    proc = _drill(run_dir, scenario)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdicts = _verdicts(run_dir)
    # Issue 19: posts still within their deadline when the drill's wait ends are open, not
    # unanswered; the backlog a short-staffed team leaves fails the open-at-end gate instead.
    assert verdicts["counts.open_at_end / counts.needed_response"] is False
    assert verdicts["first_response_p90"] is False
    assert verdicts["ingest_p99"] is True


def test_baseline_catches_a_first_response_regression_no_absolute_gate_catches(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Agents 40% slower: first response p90 grows by over 30% yet stays under 2 min."""
    scenario = _scenario_variant(tmp_path, "slower-agents", {"handle_time": 1.4})
    run_dir = tmp_path / "run"
    proc = _drill(run_dir, scenario)
    base = json.loads((healthy / "results.json").read_text())["latency"]["first_response_s"]
    new = json.loads((run_dir / "results.json").read_text())["latency"]["first_response_s"]
    assert new["p90"] >= 1.3 * base["p90"], (base["p90"], new["p90"])
    assert proc.returncode == 0, proc.stdout + proc.stderr  # every absolute gate still passes

    junit = tmp_path / "junit.xml"
    rc = run_drill.main(["gate", str(run_dir / "results.json"), "--gates", str(SMOKE_GATES),
                         "--baseline", str(healthy / "results.json"), "--max-regression", "10%",
                         "--junit", str(junit)])
    out = capsys.readouterr().out
    assert rc == 1, out
    failing = [line for line in out.splitlines() if "FAIL" in line]
    assert any("first_response_s.p90" in line and "baseline" in line for line in failing), out
    assert "first_response_s.p90" in junit.read_text()
