"""Training mode (issue 8): a real-time drill worked by two trainees and run by a facilitator.

The drill runs for real (``run_drill.py drill --live``: the reference stack with its
simulated agents off, the platform endpoint, the facilitator page) on loopback; two
trainees work the queue in the agent console and the facilitator pauses, resumes, injects
and ends it, all in headless Chromium. The results and the report must say what they did.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import yaml
from playwright.sync_api import expect, sync_playwright

from load.live_clock import StormClock
from load.live_inject import PRESETS, build_events, injection_from_json
from load.live_plan import load_plan
from simulator.errors import InputError
from simulator.scenario.models import load_scenario
from tests.browser import launch, route_case, sign_in

pytestmark = pytest.mark.slow  # drills in subprocesses

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
RUN_TIMEOUT_S = 90
HOLD_MS = 2500  # how long the facilitator holds the storm
SAFETY_TEXT = "a passenger fainted at gate 4 and nobody came"


def tiny_live_scenario(path: Path) -> Path:
    """ci-smoke's brand, audience and policy; 30 s of storm, a small roster, real time."""
    data = yaml.safe_load((ROOT / "scenarios" / "ci-smoke.yaml").read_text(encoding="utf-8"))
    data.update(name="training-tiny", duration="30s", drill={"speed": 1, "grace": "3s"})
    data["baseline"]["rate"] = "12/m"
    inc = data["incidents"][0]
    inc.update(at="2s", trigger={"rate": "20/m", "for": "20s"})
    inc.pop("waves", None)
    for tier in data["team"]["tiers"]:
        tier["shifts"] = [{"from": "0s", "to": "30s", "agents": 2}]
    data.pop("slo", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _wait_line(path: Path, prefix: str, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(prefix):
                return line[len(prefix):].split()[0]
        assert proc.poll() is None, path.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.2)
    raise AssertionError(f"no {prefix!r} line in {path.read_text(encoding='utf-8')}")


def _open_case(page: Any, text: str) -> None:
    page.locator("#queue tr.case", has_text=text).click(timeout=20_000)
    expect(page.locator("#case-text")).to_contain_text(text)


PLAN = {
    "plan": "misroutes-and-a-journey",
    "injects": [
        {"at": "2s", "preset": "journalist"},
        {"at": "3s", "post": {"intent": "safety", "emotion": "sad", "text": SAFETY_TEXT,
                              "handle": "@lee_at_gate4"}},
        {"at": "4s", "post": {"intent": "complaint", "emotion": "angry", "channel": "email",
                              "text": "I was charged twice for my booking, please refund",
                              "handle": "kim@example.com", "customer_id": "C-J1"}},
        {"at": "6s", "post": {"intent": "complaint", "emotion": "angry",
                              "text": "still no refund for the double charge, ridiculous",
                              "handle": "@kim_flies", "customer_id": "C-J1"}},
    ],
}


def _shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=True)


@pytest.mark.browser
@pytest.mark.slow
def test_two_trainees_are_scored_on_their_own_decisions(tmp_path: Path) -> None:
    scenario = tiny_live_scenario(tmp_path / "tiny.yaml")
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN, sort_keys=False), encoding="utf-8")
    shots = Path(os.environ.get("DRILL_SHOTS") or tmp_path)
    run_dir, err_path = tmp_path / "run", tmp_path / "drill.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run_drill.py"), "drill", str(scenario), "--live",
             "--plan", str(plan), "-o", str(run_dir), "--platform-port", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    try:
        facilitator = _wait_line(err_path, "facilitator: ", proc)
        console = _wait_line(err_path, "console: ", proc)
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                lead = browser.new_context().new_page()
                lead.on("dialog", lambda dialog: dialog.accept())
                lead.goto(facilitator)
                expect(lead.locator("#plan")).to_contain_text("misroutes-and-a-journey")
                # The plan's four injects fire on the storm clock.
                expect(lead.locator("#injected")).to_have_text("4", timeout=20_000)
                lead.click("#pause")
                expect(lead.locator("#state")).to_have_text("paused")
                lead.wait_for_timeout(HOLD_MS)
                lead.click("#resume")
                expect(lead.locator("#state")).to_have_text("running")

                ana = sign_in(browser, console, "Trainee Ana")
                ben = sign_in(browser, console, "Trainee Ben")
                # Triage put the journalist in care tier 2 (policy: pr). Ana answers it without
                # rerouting: no routing decision of hers, so she is not charged for it.
                _open_case(ana, "Daily Ledger")
                ana.fill("#reply-text", "Hi Dana, our press office will call you within the hour.")
                ana.click("#reply")
                expect(ana.locator("#status")).to_contain_text("reply sent")
                ana.click("#close")
                expect(ana.locator("#status")).to_contain_text("close sent")
                # Triage put the fainting in care tier 1; Ben routes it to legal tier 3, p1.
                _open_case(ben, "fainted")
                expect(ben.locator("#case-meta")).to_contain_text("care tier 1")
                route_case(ben, "legal", 3, "p1")
                # Kim wrote by email, then on twitter: Ana sees the journey and takes it private.
                _open_case(ana, "double charge")
                expect(ana.locator("#journey")).to_contain_text("charged twice")
                expect(ana.locator("#journey")).to_contain_text("email")
                ana.fill("#reply-text", "Kim, sorry: please DM us your booking reference.")
                ana.click("#private")
                expect(ana.locator("#status")).to_contain_text("private sent")
                expect(ana.locator("#turns li.brand.private")).to_have_count(1)
                _shot(ana, shots, "console.png")
                ana.click("#close")
                expect(ana.locator("#status")).to_contain_text("close sent")
                # A typed post: the box is cleared once it is injected.
                lead.fill("#inj-text", "is the app down again?")
                lead.select_option("#inj-intent", "question")
                lead.click("#inject")
                expect(lead.locator("#message")).to_contain_text("ev-live-0005")
                expect(lead.locator("#inj-text")).to_have_value("")
                expect(lead.locator("#agents")).to_contain_text("Trainee Ben", timeout=10_000)
                saved = lead.request.get(facilitator + "api/plan").text()  # "Save as plan"
                assert "misroutes-and-a-journey" in saved and "is the app down again?" in saved
                _shot(lead, shots, "facilitator.png")

                lead.click("#end")
                expect(lead.locator("#state")).to_have_text("ended")
                lead.wait_for_timeout(1500)  # one more refresh after the last sends settled
                shown_delivered = int(lead.locator("#delivered").inner_text())
                assert proc.wait(timeout=RUN_TIMEOUT_S) == 0, err_path.read_text()

                report = browser.new_context().new_page()
                report.goto((run_dir / "report.html").as_uri())
                section = report.locator("#debrief")
                expect(section).to_contain_text("Training debrief")
                expect(section).to_contain_text("misroutes-and-a-journey")
                ana_row = section.locator('tr.trainee[data-agent="Trainee Ana"]')
                ben_row = section.locator('tr.trainee[data-agent="Trainee Ben"]')
                expect(ana_row.locator("td.routed")).to_have_text("0 of 0")
                expect(ana_row.locator("td.private")).to_have_text("1 of 1")
                expect(ben_row.locator("td.routed")).to_have_text("1 of 1")
                expect(ben_row.locator("td.misses")).to_have_text("0")
                expect(section.locator("p.triage-line")).to_contain_text("rerouted right")
                section.scroll_into_view_if_needed()
                report.set_viewport_size({"width": 1280, "height": 1000})
                section.screenshot(path=str(shots / "debrief.png"))
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    results = orjson.loads((run_dir / "results.json").read_bytes())
    d = results["debrief"]
    rows = {r["agent"]: r for r in d["trainees"]}
    assert set(rows) == {"Trainee Ana", "Trainee Ben"}
    ana_r, ben_r = rows["Trainee Ana"], rows["Trainee Ben"]
    assert (ana_r["routed"], ana_r["private_due"], ana_r["private_met"]) == (0, 1, 1)
    assert (ana_r["sla_met"], ana_r["sla_due"], ana_r["critical_misses"]) == (2, 2, 0)
    assert (ben_r["routed"], ben_r["routed_right"], ben_r["critical_misses"]) == (1, 1, 0)
    triage = d["triage"]
    misrouted = {p["event_id"]: p for p in triage["misrouted_posts"]}
    assert misrouted["ev-live-0001"]["triage"] == "care/2"  # the journalist: triage's miss
    assert misrouted["ev-live-0002"]["triage"] == "care/1"  # the fainting, rerouted by Ben
    assert triage["corrected_by_trainees"] >= 1
    # Moments: only posts a trainee held, or that waited in the queue long enough.
    for m in d["moments"]:
        assert m["agent"] in (None, "Trainee Ana", "Trainee Ben")
        assert m["agent"] is not None or m["t"] <= d["end_s"] - d["actionable_s"]

    events = [orjson.loads(line) for line in (run_dir / "events.jsonl").read_bytes().splitlines()]
    injected = {e["id"]: e for e in events if e["id"].startswith("ev-live-")}
    assert sorted(injected) == [f"ev-live-{i:04d}" for i in range(1, 6)]
    # Planned injects carry the plan's time: latency is measured from it.
    assert [injected[f"ev-live-{i:04d}"]["t"] for i in range(1, 5)] == [2.0, 3.0, 4.0, 6.0]
    with np.load(run_dir / "sends.npz") as sends:
        status = sends["status"]
        assert len(status) == len(events)
        assert (status[-5:] == 202).all()  # every inject reached the stack
        assert shown_delivered == int(((status >= 200) & (status < 300)).sum())
    live = orjson.loads((run_dir / "live.json").read_bytes())
    planned = [e for e in live["timeline"] if e.get("planned")]
    assert [e["due_t"] for e in planned] == [2.0, 3.0, 4.0, 6.0]
    assert all(e["t"] >= e["due_t"] for e in planned)
    assert live["plan"]["name"] == "misroutes-and-a-journey"
    # The exercise as run is saved as a plan another team can run: same planned injects.
    again = load_plan(run_dir / "plan.yaml", 30.0)
    assert [i.at_s for i in again.injects][:4] == [2.0, 3.0, 4.0, 6.0]
    assert len(again.injects) == 5


def test_pause_moves_the_schedule_by_the_time_held() -> None:
    clock = StormClock()
    starts: list[float] = []
    clock.on_shift.append(starts.append)
    clock.started(time.time())
    assert clock.pause() and not clock.pause()
    assert clock.paused and not clock.running.is_set()
    time.sleep(0.05)
    played = clock.elapsed_wall()
    time.sleep(0.05)
    assert clock.elapsed_wall() == pytest.approx(played, abs=1e-6)  # the storm clock is held
    held = clock.resume()
    assert held > 0 and clock.running.is_set()
    assert starts == [pytest.approx(clock.start_wall + held)]  # the platform's start moves
    assert clock.resume() == 0.0 and clock.paused_total_s == pytest.approx(held)


def test_injections_carry_the_policys_ground_truth(rng: np.random.Generator) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "ci-smoke.yaml")
    legal = build_events(scenario, PRESETS["legal-threat"], 12.0, 1, rng)
    assert legal[0]["labels"]["expected"] == {"route": "legal", "tier": 3, "priority": "p1",
                                              "respond": True, "respond_within_s": 1800.0}
    assert "@NorthwindAir" in legal[0]["text"] and legal[0]["t"] == 12.0
    pile = build_events(scenario, PRESETS["pile-on"], 3.0, 5, rng)
    assert [e["id"] for e in pile] == [f"ev-live-{i:04d}" for i in range(5, 15)]
    assert all(e["text"] and e["labels"]["expected"]["route"] == "care" for e in pile)
    praise = build_events(scenario, injection_from_json({"intent": "praise", "emotion": "happy"}),
                          1.0, 20, rng)
    assert praise[0]["labels"]["expected"]["respond"] is False


@pytest.mark.parametrize(("body", "match"), [
    ([1], "body must be a JSON object"),
    ({"preset": "nope"}, "preset must be one of"),
    ({"intent": "rant"}, "intent must be one of"),
    ({"intent": "complaint", "emotion": "meh"}, "emotion must be one of"),
    ({"intent": "complaint", "channel": "fax"}, "channel must be one of"),
    ({"intent": "complaint", "followers": -1}, "followers must be an integer"),
    ({"intent": "complaint", "text": "x" * 3000}, "text must be a string"),
    ({"intent": "complaint", "handle": 5}, "handle must be a short string"),
])
def test_bad_injections_are_refused(body: Any, match: str) -> None:
    with pytest.raises(InputError, match=match):
        injection_from_json(body)


@pytest.mark.parametrize("flags", [["--sim-agents", "1"], ["--live", "--workers", "2"],
                                   ["--live", "--sim-agents", "-1"]])
def test_live_flags_are_checked(flags: list[str]) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "run_drill.py"), "drill",
                           str(ROOT / "scenarios" / "ci-smoke.yaml"), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --")
