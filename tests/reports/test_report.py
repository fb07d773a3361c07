"""The HTML drill report: opened in headless Chromium, every section present, text inert."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic_run import RunFolders, make_event, tiny_scenario, two_second_stack
from reports import build_results, render_report

AT = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
SECTIONS = (
    "verdict",
    "storm",
    "latency",
    "escalation",
    "staffing",
    "replay",
    "sentiment",
    "agents",
    "reproduce",
)
SCRIPT = "<script>window.__pwned = 1</script>"
ATTRIBUTE = '"><img src=x onerror="window.__pwned = 2">'
HANDLE = '<b onmouseover="window.__pwned=3">agent</b>'


def _hostile_run(run_folder: RunFolders) -> Path:
    """The two-second stack plus posts and names carrying HTML and script."""
    events, actions = two_second_stack(60)
    events.append(
        make_event(
            60,
            1800.0,
            "legal_threat",
            text=f"I will sue {SCRIPT} {ATTRIBUTE}",
            incident="<i>payments</i>",
        )
    )
    actions.append(
        {
            "event_id": "ev-000060",
            "action": "triage",
            "route": "care",
            "tier": 1,
            "priority": "p3",
            "agent": HANDLE,
            "text": None,
            "at": 1801.0,
        }
    )
    return run_folder(events, actions, name="hostile")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


def _open(browser: Any, report: Path, shot: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "request",
        lambda req: (
            errors.append(f"request {req.url}")
            if not req.url.startswith(("file:", "data:"))
            else None
        ),
    )
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    return page, errors


@pytest.mark.browser
def test_drill_report_in_chromium_has_every_section_and_no_errors(
    run_folder: RunFolders, browser: Any
) -> None:
    run = run_folder.drill()
    results = build_results(
        run, tiny_scenario(), "drill", ["drill", "scenarios/tiny.yaml", "--speed", "60"]
    )
    report = render_report(results, run, AT)
    page, errors = _open(browser, report, "report-drill.png")
    assert errors == []
    for section in SECTIONS:
        assert page.locator(f"section#{section}").is_visible(), section
        assert page.locator(f"section#{section} h2").inner_text().strip()
    assert page.locator("#verdict .badge").first.inner_text() == "FAILED"
    assert "critical (p1) posts never reached" in page.locator("#verdict .worst").inner_text()
    assert (
        page.locator("section svg").count() >= 6
    )  # storm, ingest, first response, confusion, staffing, replay, sentiment
    assert "drill scenarios/tiny.yaml --speed 60" in page.locator("#reproduce pre").inner_text()
    assert (
        page.locator("#escalation table").nth(1).locator("tr").count()
        == 1 + results["escalation"]["critical_missed"]
    )
    page.emulate_media(media="print")
    assert not page.locator("nav").is_visible()  # print CSS: no navigation on paper
    assert page.locator("section#reproduce").is_visible()
    page.close()


@pytest.mark.browser
def test_synthetic_html_and_script_stay_inert(run_folder: RunFolders, browser: Any) -> None:
    run = _hostile_run(run_folder)
    results = build_results(
        run, tiny_scenario(), "simulate", ["drill", "simulate", "<script>x</script>"]
    )
    report = render_report(results, run, AT)
    html = report.read_text()
    assert SCRIPT not in html and "<img src=x" not in html and "<b onmouseover" not in html
    page, errors = _open(browser, report, "report-hostile.png")
    assert errors == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    misses = page.locator("#escalation blockquote").all_inner_texts()
    assert any(SCRIPT in text and ATTRIBUTE in text for text in misses)  # shown literally
    assert HANDLE in page.locator("#agents").inner_text()
    page.close()


def test_report_is_self_contained_and_reproducible(run_folder: RunFolders) -> None:
    run = run_folder.drill()
    results = build_results(run, tiny_scenario(), "drill", ["drill"])
    first = render_report(results, run, AT).read_bytes()
    second = render_report(results, run, AT).read_bytes()
    assert first == second  # generated_at is passed in, charts are deterministic
    html = first.decode()
    assert not re.search(r"<(script|link|iframe|img)\b", html)
    assert (
        not re.search(r"(src|href)=\"https?:", html)
        and "@import" not in html
        and not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    )
    assert "2026-03-14T12:00:00+00:00" in html
    assert "@media print" in html


def test_simulate_report_shows_the_team_model(run_folder: RunFolders) -> None:
    events, actions = two_second_stack(40)
    run = run_folder(events, actions, name="sim")
    (run / "team.json").write_text(
        '{"tiers": [{"name": "frontline", "p_wait": 0.25, "asa_s": 42.0, "service_level": 0.93,'
        ' "abandon_rate": 0.01, "occupancy": 0.71}], "intervals": [], "abandoned": 1,'
        ' "reposts_from_abandonment": 0}'
    )
    results = build_results(run, tiny_scenario(), "simulate", ["drill", "simulate"])
    assert results["team"]["tiers"][0]["name"] == "frontline"
    html = render_report(results, run, AT).read_text()
    assert "The care-team model" in html and "93.0%" in html and "71.0%" in html
    assert "Simulation: no replay" in html
