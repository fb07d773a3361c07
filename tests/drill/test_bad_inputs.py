"""The bad-input corpus: every malformed scenario, profile, gates or results file exits 2 with
one line naming the file (and the field, where the file has one), never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import run_drill

CORPUS = Path(__file__).parents[1] / "bad_inputs"
ROOT = Path(__file__).parents[2]
SMOKE = ROOT / "scenarios" / "ci-smoke.yaml"


def _files(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.is_file())


def _expected(path: Path) -> str | None:
    """The `# expect: <text>` header a corpus file carries, if it is readable text."""
    try:
        first = path.read_text(encoding="utf-8").splitlines()[:1]
    except UnicodeDecodeError:
        return None
    if first and first[0].startswith("# expect:"):
        return first[0].removeprefix("# expect:").strip()
    return None


def _assert_one_line_error(rc: int, err: str, path: Path) -> None:
    assert rc == 2, f"{path.name}: exit {rc}, stderr {err!r}"
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{path.name}: expected one line, got {lines}"
    assert path.name in lines[0]
    expected = _expected(path)
    if expected:
        assert expected in lines[0], f"{path.name}: {expected!r} not in {lines[0]!r}"


def test_corpus_holds_at_least_forty_files() -> None:
    kinds = ["scenarios", "profiles", "gates", "results"]
    assert sum(len(_files(k)) for k in kinds) >= 40


@pytest.mark.parametrize("path", _files("scenarios"), ids=lambda p: p.name)
def test_bad_scenario_exits_2_with_one_line(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = run_drill.main(["validate", str(path)])
    _assert_one_line_error(rc, capsys.readouterr().err, path)


def test_huge_scenario_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("w") as out:
        out.write("name: huge\nnotes: |\n")
        line = "  " + "storm " * 20 + "\n"
        for _ in range(200_000):  # about 24 MB
            out.write(line)
    rc = run_drill.main(["validate", str(huge)])
    _assert_one_line_error(rc, capsys.readouterr().err, huge)


@pytest.mark.parametrize("path", _files("profiles"), ids=lambda p: p.name)
def test_bad_profile_raises_one_line_input_error(path: Path) -> None:
    from load.profile import load_profile
    from simulator.errors import InputError

    with pytest.raises(InputError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert "\n" not in message and path.name in message
    expected = _expected(path)
    if expected:
        assert expected in message


def test_drill_with_bad_profile_exits_2_before_any_load(tmp_path: Path) -> None:
    """Through the real CLI (its own process: the drill imports gevent)."""
    bad = CORPUS / "profiles" / "bad-method.yaml"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(SMOKE), "--target", str(bad),
         "-o", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    _assert_one_line_error(proc.returncode, proc.stderr, bad)
    assert not (tmp_path / "run" / "results.json").exists()


@pytest.fixture
def good_results(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({
        "schema": 1, "mode": "drill", "counts": {"generated": 10, "failed": 0},
        "latency": {"first_response_s": {"p90": 10.0}}, "escalation": {"accuracy": 1.0},
        "gates": [], "passed": True,
    }))
    return path


@pytest.mark.parametrize("path", _files("gates"), ids=lambda p: p.name)
def test_bad_gates_file_exits_2_with_one_line(
    path: Path, good_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = run_drill.main(["gate", str(good_results), "--gates", str(path)])
    _assert_one_line_error(rc, capsys.readouterr().err, path)


@pytest.mark.parametrize("path", _files("results"), ids=lambda p: p.name)
def test_bad_results_file_exits_2_with_one_line(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = run_drill.main(["gate", str(path)])
    _assert_one_line_error(rc, capsys.readouterr().err, path)
