"""Training mode (issue 8): a real-time drill worked by two trainees and run by a facilitator.

The drill runs for real (``run_drill.py drill --live``: the reference stack with its
simulated agents off, the platform endpoint, the facilitator page) on loopback; two
trainees work the queue in the agent console and the facilitator pauses, resumes, injects
and ends it, all in headless Chromium. The results and the report must say what they did.
"""

from __future__ import annotations

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
from simulator.errors import InputError
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
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


def _sign_in(browser: Any, console: str, name: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(console)
    page.fill("#name", name)
    page.click("#signin-button")
    expect(page.locator("#who")).to_have_text(f"signed in as {name}")
    return page


def _open_case(page: Any, text: str) -> None:
    page.locator("#queue tr.case", has_text=text).click(timeout=20_000)
    expect(page.locator("#case-text")).to_contain_text(text)


@pytest.mark.browser
def test_two_trainees_and_a_facilitator_run_a_live_drill(tmp_path: Path) -> None:
    scenario = tiny_live_scenario(tmp_path / "tiny.yaml")
    run_dir, err_path = tmp_path / "run", tmp_path / "drill.err"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "run_drill.py"), "drill", str(scenario), "--live",
             "-o", str(run_dir), "--platform-port", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    try:
        facilitator = _wait_line(err_path, "facilitator: ", proc)
        console = _wait_line(err_path, "console: ", proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                lead = browser.new_context().new_page()
                lead.on("dialog", lambda dialog: dialog.accept())
                lead.goto(facilitator)
                expect(lead.locator("#state")).to_have_text("running")
                lead.click("#pause")
                expect(lead.locator("#state")).to_have_text("paused")
                lead.wait_for_timeout(HOLD_MS)
                lead.click("#resume")
                expect(lead.locator("#state")).to_have_text("running")
                lead.click("#preset-journalist")
                expect(lead.locator("#message")).to_contain_text("ev-live-0001")
                lead.fill("#inj-text", SAFETY_TEXT)
                lead.select_option("#inj-intent", "safety")
                lead.select_option("#inj-emotion", "sad")
                lead.click("#inject")
                expect(lead.locator("#message")).to_contain_text("ev-live-0002")
                expect(lead.locator("#injected")).to_have_text("2")

                ana = _sign_in(browser, console, "Trainee Ana")
                ben = _sign_in(browser, console, "Trainee Ben")
                # Ana answers the journalist, then closes one ordinary case without a reply.
                _open_case(ana, "Daily Ledger")
                ana.fill("#reply-text", "Hi Dana, our press office will call you within the hour.")
                ana.click("#reply")
                expect(ana.locator("#status")).to_contain_text("reply sent")
                # Ben answers the safety post but keeps it in care: a critical miss.
                _open_case(ben, "fainted")
                ben.fill("#reply-text", "We are so sorry. Staff are on their way to gate 4.")
                ben.click("#reply")
                expect(ben.locator("#status")).to_contain_text("reply sent")
                ben.click("#close")
                expect(ben.locator("#status")).to_contain_text("close sent")
                other = ana.locator("#queue tr.case").filter(has_not_text="fainted").filter(
                    has_not_text="Daily Ledger").first
                other.click(timeout=20_000)
                expect(ana.locator("#case-meta")).to_contain_text("Trainee Ana")
                ana.click("#close")
                expect(ana.locator("#status")).to_contain_text("close sent")
                expect(lead.locator("#agents")).to_contain_text("Trainee Ben", timeout=10_000)

                lead.click("#end")
                assert proc.wait(timeout=RUN_TIMEOUT_S) == 0, err_path.read_text()

                report = browser.new_context().new_page()
                report.goto((run_dir / "report.html").as_uri())
                section = report.locator("#debrief")
                expect(section).to_contain_text("Training debrief")
                ana_row = section.locator('tr.trainee[data-agent="Trainee Ana"]')
                ben_row = section.locator('tr.trainee[data-agent="Trainee Ben"]')
                expect(ana_row.locator("td.cases")).to_have_text("2")
                expect(ana_row.locator("td.responses")).to_have_text("1")
                expect(ben_row.locator("td.misses")).to_have_text("1")
                expect(section.locator("tr.miss")).to_contain_text(SAFETY_TEXT)
                expect(section.locator("ol.moments li")).to_have_count(3)
                expect(section.locator("ol.moments")).to_contain_text(SAFETY_TEXT)
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    results = orjson.loads((run_dir / "results.json").read_bytes())
    rows = {r["agent"]: r for r in results["debrief"]["trainees"]}
    assert set(rows) == {"Trainee Ana", "Trainee Ben"}
    ana_r, ben_r = rows["Trainee Ana"], rows["Trainee Ben"]
    assert (ana_r["cases"], ana_r["responses"], ana_r["critical_misses"]) == (2, 1, 0)
    assert (ana_r["sla_met"], ana_r["sla_due"]) == (1, 1)
    assert (ben_r["cases"], ben_r["responses"], ben_r["critical_misses"]) == (1, 1, 1)
    assert [m["text"] for m in ben_r["critical_missed_posts"]] == [SAFETY_TEXT]
    assert ben_r["median_first_response_s"] is not None

    events = [orjson.loads(line) for line in (run_dir / "events.jsonl").read_bytes().splitlines()]
    injected = {e["id"]: e for e in events if e["id"].startswith("ev-live-")}
    assert sorted(injected) == ["ev-live-0001", "ev-live-0002"]
    assert injected["ev-live-0002"]["labels"]["expected"]["priority"] == "p1"
    assert injected["ev-live-0001"]["labels"]["intent"] == "media_inquiry"
    with np.load(run_dir / "sends.npz") as sends:
        assert len(sends["status"]) == len(events)
        assert (sends["status"][-2:] == 202).all()  # the injected posts reached the stack
    replay = orjson.loads((run_dir / "replay.json").read_bytes())
    assert replay["counts"]["generated"] == len(events) == results["counts"]["generated"]
    assert replay["stopped_reason"] == "ended"
    live = orjson.loads((run_dir / "live.json").read_bytes())
    kinds = [e["kind"] for e in live["timeline"]]
    assert kinds == ["start", "pause", "resume", "inject", "inject", "end"]
    assert live["paused_total_s"] > 0
    marks = [m["kind"] for m in results["debrief"]["timeline"]["facilitator"]]
    assert marks == ["pause", "resume", "inject", "inject", "end"]


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
