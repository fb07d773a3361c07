"""results.json's typed sections: round trips, paths gates may name, old or foreign files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

import run_drill
from reports.gate_paths import walk
from reports.gates import evaluate, parse_gates
from reports.sections import Results

SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "ci-smoke.yaml"


def round_trips(path: Path) -> None:
    """A results.json validates into ``Results`` and dumps back to the same keys and values
    (numbers keep their type: an int stays an int)."""
    raw = orjson.loads(path.read_bytes())
    typed = Results.parse(raw, str(path))
    sort = orjson.OPT_SORT_KEYS
    assert orjson.dumps(typed.dump(), option=sort) == orjson.dumps(raw, option=sort)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "run"
    assert run_drill.main(["simulate", str(SMOKE), "-o", str(out)]) == 0
    return out / "results.json"


def test_a_simulation_results_json_round_trips(simulated: Path) -> None:
    round_trips(simulated)
    data = orjson.loads(simulated.read_bytes())
    assert isinstance(data["counts"]["generated"], int) and data["team"] is not None


def test_known_paths_come_from_the_model() -> None:
    assert walk("latency.first_response_s.p90") == "known"
    assert walk("counts.scored.deadline_missed") == "known"
    assert walk("reactions.prevented_share") == "known"  # a typed section, not a free sub-tree
    assert walk("escalation.per_route.legal.recall") == "each"
    assert walk("latency.first_response_s.by_priority.p1.p99") == "each"
    assert walk("staffing.simulation.seed") == "known"  # an untyped sub-tree
    assert walk("reactions.prevented_shar") == (
        "unknown: 'prevented_shar' (did you mean 'prevented_share'?)")
    assert walk("latency.first_response_s").startswith("unknown: a section")
    assert walk("replay.partial").startswith("unknown: not a number")
    assert walk("counts.sent.today").startswith("unknown: nothing below")


def test_gates_resolve_against_the_typed_model(simulated: Path) -> None:
    typed = Results.parse(orjson.loads(simulated.read_bytes()), "results.json")
    gates = parse_gates("latency.first_response_s.p90 <= 1e9\n"
                        "counts.responded / counts.needed_response >= 0\n", "ci.gates")
    rows = evaluate(gates, typed)
    assert [r["passed"] for r in rows] == [True, True]
    assert rows[0]["value"] == typed.latency.first_response_s.p90  # type: ignore[union-attr]
    assert rows[0]["samples"] == typed.latency.first_response_s.count  # type: ignore[union-attr]


def _bad(data: dict[str, Any], change: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    if change == "old schema":
        out["schema"] = "crisis-drill/results/0"
    elif change == "unknown key":
        out["latency"]["first_response_p90"] = 12.0
    elif change == "text for a number":
        out["escalation"]["accuracy"] = "97%"
    elif change == "no counts":
        del out["counts"]
    return out


@pytest.mark.parametrize(("change", "message"), [
    ("old schema", "schema must be 'crisis-drill/results/1', got 'crisis-drill/results/0'"),
    ("unknown key", "latency.first_response_p90 must not be there"),
    ("text for a number", "escalation.accuracy must be a number or null, got '97%'"),
    ("no counts", "counts must be present"),
])
def test_gate_on_an_old_or_foreign_results_json_is_one_line_exit_2(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str,
    message: str,
) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(orjson.dumps(_bad(orjson.loads(simulated.read_bytes()), change)))
    assert run_drill.main(["gate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}: {message}" in err, err
