"""Gate parsing, every bad-input branch, baseline comparison, JUnit XML, the CLI exit codes."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest

import run_drill
from reports.gates import Gate, compare_baseline, evaluate, parse_gates, parse_regression, slo_gates
from simulator.errors import InputError


def _results(
    p90: float = 100.0, accuracy: float = 0.97, recall: float = 1.0, failed: int = 0
) -> dict[str, Any]:
    """A minimal results.json with the paths the gates read."""
    return {
        "schema": "crisis-drill/results/1",
        "mode": "drill",
        "counts": {"generated": 1000, "failed": failed, "unanswered": 0, "needed_response": 800},
        "latency": {
            "first_response_s": {"p50": p90 / 2, "p90": p90, "p99": p90 * 1.5},
            "ingest_ms": {"p50": 3.0, "p99": 40.0},
            "sla_attainment": 0.99,
        },
        "escalation": {"accuracy": accuracy, "critical_recall": recall, "macro_f1": 0.9},
        "replay": {"schedule_lag_ms": {"p99": 2.0}},
        "gates": [
            {
                "name": "first_response_p90",
                "metric": "latency.first_response_s.p90",
                "op": "<=",
                "threshold": 1800.0,
                "value": p90,
                "passed": p90 <= 1800,
                "source": "slo",
            },
        ],
        "passed": True,
    }


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_bytes(orjson.dumps(data))
    return path


def test_parse_gates_file_with_comments_ratios_and_percentages() -> None:
    text = """
    # first response and escalation
    latency.first_response_s.p90 <= 1800
    escalation.critical_recall >= 1.0   # every p1 post
    counts.failed / counts.generated <= 0.1%
    escalation.accuracy>95%
    """
    gates = parse_gates(text, "ci.gates")
    assert [(g.metric, g.op, g.threshold, g.line) for g in gates] == [
        ("latency.first_response_s.p90", "<=", 1800.0, 3),
        ("escalation.critical_recall", ">=", 1.0, 4),
        ("counts.failed / counts.generated", "<=", pytest.approx(0.001), 5),
        ("escalation.accuracy", ">", pytest.approx(0.95), 6),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency.first_response_s.p90 1800", r"ci.gates: line 1 must be `metric op threshold`"),
        ("latency.first_response_s.p90 => 1800", r"ci.gates: line 1 metric must be a results.json"),
        (
            "# ok\nlatency.first response <= 3",
            r"ci.gates: line 2 metric must be a results.json path",
        ),
        ("a / b / c <= 1", r"ci.gates: line 1 metric must be a results.json path"),
        (
            "latency.first_response_s.p90 <= 30m",
            r"ci.gates: line 1 threshold must be a number or a percentage, got '30m'",
        ),
        (
            "latency.first_response_s.p90 <= nan",
            r"threshold must be a number or a percentage, got 'nan'",
        ),
        ("# nothing here\n\n", r"ci.gates: must hold at least one gate line"),
    ],
)
def test_every_bad_gates_line_is_named(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_gates(text, "ci.gates")


def test_slo_gates_convert_units_and_skip_drill_only_ones_in_simulate() -> None:
    slo = {
        "first_response_p90": 1800.0,
        "ingest_p99": 0.5,
        "escalation_accuracy": 0.95,
        "critical_recall": 1.0,
        "error_rate": 0.001,
    }
    drill = {g.name: g for g in slo_gates(slo, "drill")}
    assert (
        drill["ingest_p99"].threshold == 500.0
        and drill["ingest_p99"].metric == "latency.ingest_ms.p99"
    )
    assert drill["error_rate"].metric == "counts.failed / counts.generated"
    assert set(g.name for g in slo_gates(slo, "simulate")) == {
        "first_response_p90",
        "escalation_accuracy",
        "critical_recall",
    }
    assert slo_gates({**slo, "critical_recall": None}, "drill")[-1].name == "error_rate"


def test_evaluate_ratios_nulls_and_zero_denominators() -> None:
    results = _results(failed=3)
    results["counts"]["zero"] = 0
    results["latency"]["ingest_ms"]["p99"] = None
    rows = evaluate(
        [
            Gate("e", "counts.failed / counts.generated", "<=", 0.001, "f"),
            Gate("n", "latency.ingest_ms.p99", "<=", 500.0, "f"),
            Gate("z", "counts.failed / counts.zero", "<=", 1.0, "f"),
            Gate("zz", "counts.zero / counts.zero", "==", 0.0, "f"),
        ],
        results,
    )
    assert rows[0]["value"] == pytest.approx(0.003) and rows[0]["passed"] is False
    assert rows[1]["value"] is None and rows[1]["passed"] is False  # nothing measured fails
    assert rows[2]["passed"] is False  # 3 / 0 is infinite
    assert rows[3]["passed"] is True


def test_baseline_catches_a_30_percent_first_response_regression_no_absolute_gate_catches() -> None:
    old, new = _results(p90=1000.0), _results(p90=1300.0)
    absolute = evaluate(parse_gates("latency.first_response_s.p90 <= 1800\n", "ci.gates"), new)
    assert all(r["passed"] for r in absolute)
    rows = {r["metric"]: r for r in compare_baseline(new, old, 0.10)}
    p90 = rows["latency.first_response_s.p90"]
    assert (
        p90["passed"] is False
        and p90["baseline"] == 1000.0
        and p90["change"] == pytest.approx(0.30)
    )
    assert p90["threshold"] == pytest.approx(1100.0)
    assert rows["escalation.accuracy"]["passed"] is True
    assert all(r["passed"] for r in compare_baseline(new, old, 0.35))


def test_baseline_direction_and_noise_floor() -> None:
    old = _results(accuracy=0.97)
    worse = _results(accuracy=0.85)  # 12% down
    better = _results(p90=10.0, accuracy=0.99)
    assert not {r["metric"]: r for r in compare_baseline(worse, old, 0.1)}["escalation.accuracy"][
        "passed"
    ]
    assert all(r["passed"] for r in compare_baseline(better, old, 0.1))
    tiny_old, tiny_new = (
        _results(p90=1.0),
        _results(p90=1.4),
    )  # +40% but only 0.4 s: under the 0.5 s floor
    assert {r["metric"]: r for r in compare_baseline(tiny_new, tiny_old, 0.1)}[
        "latency.first_response_s.p90"
    ]["passed"]


@pytest.mark.parametrize(("text", "value"), [("10%", 0.1), ("0.25", 0.25), ("0%", 0.0)])
def test_parse_regression(text: str, value: float) -> None:
    assert parse_regression(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["ten", "-5%", "inf"])
def test_bad_max_regression(text: str) -> None:
    with pytest.raises(InputError, match=r"--max-regression: must be a share like 10% or 0.1"):
        parse_regression(text)


def test_cli_passes_fails_and_writes_junit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = _write(tmp_path / "results.json", _results(p90=1300.0))
    baseline = _write(tmp_path / "old.json", _results(p90=1000.0))
    gates = tmp_path / "ci.gates"
    gates.write_text("latency.first_response_s.p90 <= 1800\nescalation.critical_recall >= 1.0\n")
    assert run_drill.main(["gate", str(results), "--gates", str(gates)]) == 0
    out = capsys.readouterr().out
    assert (
        "first_response_p90 (latency.first_response_s.p90)  1300" in out
        and "3 passed, 0 failed" in out
    )

    junit = tmp_path / "junit.xml"
    code = run_drill.main(
        [
            "gate",
            str(results),
            "--gates",
            str(gates),
            "--baseline",
            str(baseline),
            "--max-regression",
            "10%",
            "--junit",
            str(junit),
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "baseline latency.first_response_s.p90" in out
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "0")) == len(cases) >= 3 + 10
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "0")) == len(failed) >= 1
    p90 = next(c for c in failed if "first_response_s.p90" in c.get("name", ""))
    assert p90.get("classname") == "gates.baseline"
    message = p90.find("failure").get("message")  # type: ignore[union-attr]
    assert (
        "= 1300" in message
        and "<= 1100" in message
        and "baseline 1000" in message
        and "+30.0%" in message
    )
    assert {c.get("classname") for c in cases} == {"gates.slo", "gates.file", "gates.baseline"}


def test_cli_bad_inputs_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path / "results.json", _results())
    not_json = tmp_path / "broken.json"
    not_json.write_text("{oops")
    not_results = _write(tmp_path / "other.json", {"hello": 1})
    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    unknown = tmp_path / "unknown.gates"
    unknown.write_text("latency.first_response_s.p95 <= 10\n")
    no_gates = copy.deepcopy(_results())
    no_gates["gates"] = []
    bare = _write(tmp_path / "bare.json", no_gates)
    bad_recorded = copy.deepcopy(_results())
    bad_recorded["gates"] = [{"name": "x"}]
    recorded = _write(tmp_path / "recorded.json", bad_recorded)
    cases = [
        (["gate", str(tmp_path / "missing.json")], "missing.json: must be a readable results.json"),
        (["gate", str(not_json)], "broken.json: must be JSON"),
        (["gate", str(array)], "array.json: must be a JSON object, got list"),
        (["gate", str(not_results)], "other.json: schema must be present"),
        (
            ["gate", str(good), "--gates", str(tmp_path / "nope.gates")],
            "nope.gates: must be a readable gates file",
        ),
        (
            ["gate", str(good), "--gates", str(unknown)],
            "unknown.gates: line 1 metric latency.first_response_s.p95 must be a number",
        ),
        (["gate", str(good), "--baseline", str(not_json)], "broken.json: must be JSON"),
        (
            ["gate", str(good), "--baseline", str(good), "--max-regression", "lots"],
            "--max-regression: must be a share",
        ),
        (["gate", str(bare)], "bare.json: gates must be given"),
        (
            ["gate", str(recorded)],
            "recorded.json: gates[0] must have name, metric, op and threshold",
        ),
    ]
    for argv, message in cases:
        assert run_drill.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, (argv, err)
