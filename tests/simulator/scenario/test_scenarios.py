"""Every shipped scenario loads, summarises and generates a sane, labelled storm."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from run_drill import main
from simulator.crowd.model import generate
from simulator.scenario.content_packs import INDUSTRIES, marker_pattern
from simulator.scenario.models import load_scenario
from simulator.scenario.summary import summarize

SCENARIOS = sorted((Path(__file__).resolve().parents[3] / "scenarios").glob("*.yaml"))
CRISES = {
    "payment-outage",
    "hashtag-hijack",
    "viral-video",
    "it-outage",
    "data-breach-rumour",
    "product-launch",
    "ci-smoke",
    "food-poisoning-rumour",
}


def test_the_six_crises_and_the_smoke_storm_are_shipped() -> None:
    assert {p.stem for p in SCENARIOS} >= CRISES


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads_and_generates(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.name == path.stem
    summary = summarize(sc)
    table = generate(sc)
    n = len(table)
    assert n > 100
    assert np.all(np.diff(table.t) >= 0) and table.t.max() < sc.duration
    # the expected volume (journeys excluded) is close to what was generated
    without_follow_ups = int((table.journey < 1).sum())
    assert abs(without_follow_ups - summary.total) < 0.25 * summary.total + 5 * math.sqrt(n)
    # every post is labelled, and something needs an answer on a route some tier works
    routes = set(table.names("route"))
    tier_routes = {r for t in sc.team.tiers for r in t.routes}
    assert routes - {"none"} <= tier_routes
    assert table.respond.any()
    assert np.all(np.isnan(table.respond_within_s) == ~table.respond)
    # each incident shows up
    for i, inc in enumerate(sc.incidents):
        assert (table.incident == i).sum() > 0, inc.id
    # the text is about this business: no other industry's marker words
    for other in INDUSTRIES:
        pattern = marker_pattern(other)
        if other != sc.brand.industry and pattern is not None:
            leaks = [t for t in table.text if pattern.search(t)]
            assert not leaks, f"{other} words in {sc.brand.industry} text: {leaks[:2]}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_cites_its_source(path: Path) -> None:
    head = path.read_text().split("\nname:", 1)[0]
    assert head.startswith("#") and len(head.splitlines()) >= 2


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_names_its_industry(path: Path) -> None:
    import yaml

    assert yaml.safe_load(path.read_text())["brand"].get("industry") in INDUSTRIES
    assert load_scenario(path).brand.industry != "generic"


def test_payment_outage_drills_in_about_two_minutes_at_speed_60() -> None:
    sc = load_scenario(SCENARIOS[0].parent / "payment-outage.yaml")
    assert sc.duration / 60 <= 180  # wall seconds at --speed 60
    assert 1000 < summarize(sc).total < 6000


def test_validate_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SCENARIOS[0].parent / "ci-smoke.yaml")]) == 0
    out = capsys.readouterr().out
    assert "expected posts:" in out and "by intent:" in out and "by channel:" in out
    assert "brand Northwind Air (@NorthwindAir), industry airline\n" in out
    assert re.search(r"expected peak: [\d,]+/h at \+", out)


def test_generate_writes_events_and_seed_overrides(tmp_path: Path) -> None:
    smoke = str(SCENARIOS[0].parent / "ci-smoke.yaml")
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert main(["generate", smoke, "-o", str(a)]) == 0
    assert main(["generate", smoke, "-o", str(b)]) == 0
    assert main(["generate", smoke, "-o", str(c), "--seed", "42"]) == 0
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_bad_scenario_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SCENARIOS[0].parent / "ci-smoke.yaml")
        .read_text()
        .replace("branching: 0.5", "branching: 1.3")
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: bad.yaml: incidents[0].cascade.branching must be < 1 for a finite storm, got 1.3"
    )
