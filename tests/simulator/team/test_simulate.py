"""`simulate` and `staff` end to end on the shipped smoke scenario."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
import yaml

from run_drill import main
from simulator.scenario.models import load_scenario
from simulator.team.simulation import simulate

SMOKE = Path(__file__).resolve().parents[3] / "scenarios" / "ci-smoke.yaml"
SHORT_ROSTER = (3, 1, 1)  # agents per tier: far below what the smoke storm needs


@pytest.fixture
def short_staffed(tmp_path: Path) -> Path:
    """ci-smoke with a roster too small for its storm, so customers abandon and shortfalls show."""
    data = yaml.safe_load(SMOKE.read_text())
    for tier, agents in zip(data["team"]["tiers"], SHORT_ROSTER, strict=True):
        for shift in tier["shifts"]:
            shift["agents"] = agents
    path = tmp_path / "short-staffed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_simulate_writes_the_run_folder(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert main(["simulate", str(SMOKE), "-o", str(out)]) == 0
    for name in ("events.jsonl", "actions.jsonl", "team.json", "results.json", "report.html"):
        assert (out / name).exists(), name
    events = [orjson.loads(x) for x in (out / "events.jsonl").read_bytes().splitlines()]
    actions = [orjson.loads(x) for x in (out / "actions.jsonl").read_bytes().splitlines()]
    ids = {e["id"] for e in events}
    assert {a["event_id"] for a in actions} <= ids
    assert set(actions[0]) == {"event_id", "action", "route", "tier", "priority", "agent",
                               "text", "at"}
    triaged = {a["event_id"] for a in actions if a["action"] == "triage"}
    prevented = {e["id"] for e in events if "prevented_by" in e}
    turns = {e["id"] for e in events
             if (e.get("cause") or {}).get("reaction", "").startswith("answer_back")}
    # the team sees every post that happened: new ones triaged, answer-backs as turns
    assert prevented and triaged | turns == ids - prevented and not triaged & turns
    # the team's replies to those turns are kept beside its other actions
    replied = {a["event_id"] for a in actions if a["action"] == "reply"}
    assert turns & replied
    team = json.loads((out / "team.json").read_text())
    assert {t["name"] for t in team["tiers"]} == {"frontline", "specialists", "legal-security"}
    for tier in team["tiers"]:
        assert 0.0 <= tier["service_level"] <= 1.0 and 0.0 <= tier["occupancy"] <= 1.0
        assert tier["intervals"][0]["required_sim"] >= 1
    assert team["posts"] == len(events) - len(prevented)
    results = json.loads((out / "results.json").read_text())
    assert results["mode"] == "simulate"
    assert "shortfall" in capsys.readouterr().out  # 3 frontline agents cannot cope


def test_abandoned_journeys_post_again(short_staffed: Path) -> None:
    scenario = load_scenario(short_staffed)
    result = simulate(scenario, record_actions=False)
    assert result.abandoned > 0
    follows = result.events.follows
    assert result.reposts == int((follows >= 0).sum()) > 0
    # same seed, same run
    again = simulate(scenario, record_actions=False)
    assert len(again.events) == len(result.events) and again.abandoned == result.abandoned


def test_staff_json_and_csv(
    tmp_path: Path, short_staffed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_path = tmp_path / "plan.csv"
    args = ["--json", "--interval", "1m", "--csv", str(csv_path)]
    assert main(["staff", str(short_staffed), *args]) == 0
    data = json.loads(capsys.readouterr().out)
    tiers = data["tiers"]
    assert [t["name"] for t in tiers] == ["frontline", "specialists", "legal-security"]
    row = tiers[0]["intervals"][1]
    assert set(row) >= {"start_s", "arrivals", "aht_s", "required_erlang_c",
                        "required_erlang_a", "required_sim", "rostered"}
    assert row["start_s"] == 60.0 and row["rostered"] == SHORT_ROSTER[0]
    assert len(csv_path.read_text().splitlines()) == 1 + 3 * 3
    assert main(["staff", str(short_staffed)]) == 0
    text = capsys.readouterr().out
    assert "frontline needed" in text and "erlang_c" in text


def test_staff_rejects_a_bad_interval(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["staff", str(SMOKE), "--interval", "soon"]) == 2
    assert "--interval must be a duration" in capsys.readouterr().err
