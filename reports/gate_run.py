"""The ``gate`` command's work: load results, gather gates, print a table, write JUnit XML.

``run_gate`` returns ``(rows, passed)``; the CLI maps that to exit 0/1. Every file
problem raises ``InputError`` (exit 2) naming the file and what was expected.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from reports.gate_paths import MissingMetric, check_metric_path, storm_dependent
from reports.gates import Gate, compare_baseline, evaluate, parse_gates, parse_regression
from reports.sections import Results
from simulator.errors import InputError


def load_results(path: Path) -> Results:
    """Read a results.json into its typed sections; InputError when it is missing, not JSON,
    or not a results.json of this schema (an old or foreign file: the first bad key)."""
    import orjson

    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as err:
        raise InputError(f"{path}: must be a readable results.json, got {err.strerror}") from err
    except orjson.JSONDecodeError as err:
        raise InputError(f"{path}: must be JSON (a results.json), got {err}") from err
    if not isinstance(data, dict):
        raise InputError(f"{path}: must be a JSON object, got {type(data).__name__}")
    return Results.parse(data, str(path))


def read_gates_file(path: Path) -> list[Gate]:
    """Parse and check a gates file (``drill --gate`` calls this before any load)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: must be a readable gates file, got {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: must be a UTF-8 text gates file, got a binary byte at offset {err.start}"
        ) from err
    gates = parse_gates(text, str(path))
    for gate in gates:
        check_metric_path(gate)
    return gates


def partial_row(reason: Any) -> dict[str, Any]:
    """The failing ``complete run`` gate of a partial results.json."""
    return {"name": "complete run", "metric": "replay.partial", "op": "==", "threshold": 0.0,
            "value": 1.0, "passed": False, "source": "run",
            "note": f"the run stopped early ({reason or 'partial'}); gate it with "
                    f"--allow-partial"}


def recorded_gates(results: Results, path: Path) -> list[Gate]:
    """The SLO gates a drill recorded in results.json (re-evaluated, not trusted)."""
    gates = []
    for i, row in enumerate(results.gates or []):
        try:
            gates.append(
                Gate(
                    str(row["name"]),
                    str(row["metric"]),
                    str(row["op"]),
                    float(row["threshold"]),
                    str(row.get("source") or "slo"),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(
                f"{path}: gates[{i}] must have name, metric, op and threshold, got {row!r}"
            ) from err
    return gates


def _evaluate(gates: list[Gate], results: Results, where: Path) -> list[dict[str, Any]]:
    rows = []
    for gate in gates:
        try:
            rows += evaluate([gate], results)
        except MissingMetric as err:
            if storm_dependent(gate.metric):  # e.g. a route no post of this storm needed
                rows.append({"name": gate.name, "metric": gate.metric, "op": gate.op,
                             "threshold": gate.threshold, "value": None, "passed": True,
                             "source": gate.source, "not_applicable": True,
                             "note": "not applicable: this storm has no such key"})
                continue
            origin = (
                f"{gate.source}: line {gate.line}" if gate.line else f"{where}: gate {gate.name}"
            )
            raise InputError(
                f"{origin} metric {err.args[0]} must be a number in {where}, got no such value"
            ) from err
    return rows


def run_gate(
    results_path: Path,
    gates_path: Path | None = None,
    baseline_path: Path | None = None,
    max_regression: str = "10%",
    junit_path: Path | None = None,
    allow_partial: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """Evaluate every gate; write JUnit when asked; returns (rows, all passed).

    A partial run (stopped early) fails a ``complete run`` gate unless ``allow_partial``.
    """
    extra = read_gates_file(gates_path) if gates_path is not None else []  # as drill --gate
    results = load_results(results_path)
    gates = recorded_gates(results, results_path) + extra
    rows = _evaluate(gates, results, results_path)
    replay = results.replay
    if replay is not None and replay.partial and not allow_partial:
        rows.insert(0, partial_row(replay.stopped_reason))
    if baseline_path is not None:
        allowed = parse_regression(max_regression)
        rows += compare_baseline(results, load_results(baseline_path), allowed)
    if not rows:
        raise InputError(
            f"{results_path}: gates must be given (scenario slo, --gates or --baseline), got none"
        )
    if junit_path is not None:
        write_junit(rows, Path(junit_path))
    return rows, all(r["passed"] for r in rows)


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:.6g}"
    return str(value)


def _label(row: dict[str, Any]) -> str:
    if row["name"] == row["metric"] or row["source"] == "baseline":
        return str(row["name"])
    return f"{row['name']} ({row['metric']})"


def _classname(source: str) -> str:
    return f"gates.{source}" if source in ("slo", "baseline") else "gates.file"


def table(rows: list[dict[str, Any]]) -> str:
    """Plain-text table: gate, value, threshold, verdict."""
    header = ("gate", "value", "threshold", "verdict", "source")
    lines = [
        (
            r["name"]
            if r["name"] == r["metric"] or r["source"] == "baseline"
            else f"{r['name']} ({r['metric']})",
            _fmt(r["value"]) + (f" (baseline {_fmt(r['baseline'])})" if "baseline" in r else ""),
            f"{r['op']} {_fmt(r['threshold'])}",
            ("n/a" if r.get("not_applicable") else "pass" if r["passed"] else "FAIL")
            + (f" ({r['note']})" if r.get("note") and not r.get("not_applicable") else ""),
            str(r.get("source", "")),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    failed = sum(not r["passed"] for r in rows)
    out.append(f"{len(rows) - failed} passed, {failed} failed")
    return "\n".join(out)


def write_junit(rows: list[dict[str, Any]], path: Path) -> None:
    """JUnit XML: one testsuite, one testcase per gate, failures carry the numbers."""
    failures = sum(not r["passed"] for r in rows)
    suites = ET.Element(
        "testsuites", name="crisis-drill", tests=str(len(rows)), failures=str(failures)
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="drill-gates",
        tests=str(len(rows)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for r in rows:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_classname(r["source"]),
            name=f"{_label(r)} {r['op']} {_fmt(r['threshold'])}",
            time="0",
        )
        detail = f"{r['metric']} = {_fmt(r['value'])}, required {r['op']} {_fmt(r['threshold'])}"
        if "baseline" in r:
            change = r.get("change")
            detail += f" (baseline {_fmt(r['baseline'])}" + (
                f", change {change * 100:+.1f}%)" if change is not None else ")"
            )
        if r["passed"]:
            ET.SubElement(case, "system-out").text = detail
        else:
            failure = ET.SubElement(case, "failure", message=detail, type="GateFailed")
            failure.text = detail
    ET.indent(suites)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
