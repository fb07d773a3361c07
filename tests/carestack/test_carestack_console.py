"""The agent console driven in headless Chromium: sign in, open a case, reply, escalate, route
to any department, take a case private, see the customer's journey, hold several cases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import launch, route_case, sign_in

pytestmark = pytest.mark.browser


SHOTS = Path(os.environ.get("DRILL_SHOTS", "")) if os.environ.get("DRILL_SHOTS") else None


def post(url: str, event_id: str, text: str, channel: str = "twitter", handle: str = "@pat",
         customer: str | None = None, thread: str | None = None) -> None:
    r = httpx.post(url + "/events", json={
        "id": event_id, "text": text, "channel": channel, "thread": thread,
        "author": {"handle": handle, "followers": 40, "customer_id": customer}}, timeout=10)
    assert r.status_code == 202


def test_trainee_replies_and_escalates_in_the_console(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    url = reference_stack(sink.url, "--no-agents")
    post(url, "ev-q", "how do I add a bag to my booking?")
    post(url, "ev-l", "my solicitor will take you to court over this <b>bold</b>")
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = sign_in(browser, url + "/console", "Trainee Tess")
            rows = page.locator("#queue tr.case")
            expect(rows).to_have_count(2)
            # p1 (the legal threat) is listed first; synthetic text is shown as text, not HTML.
            expect(rows.nth(0)).to_contain_text("p1")
            expect(rows.nth(0)).to_contain_text("<b>bold</b>")
            expect(page.locator("#agents")).to_contain_text("simulated agents off")

            page.locator("#queue tr.case", has_text="add a bag").click()
            expect(page.locator("#case-text")).to_have_text("how do I add a bag to my booking?")
            expect(page.locator("#case-meta")).to_contain_text("Trainee Tess")
            expect(page.locator("#mine tr.case")).to_have_count(1)  # claimed: listed as mine
            page.fill("#reply-text", "Hi Pat, you can add a bag under Manage booking.")
            page.click("#reply")
            expect(page.locator("#status")).to_contain_text("reply sent")
            page.click("#escalate")
            expect(page.locator("#status")).to_contain_text("escalate sent")
            expect(page.locator("#case-meta")).to_contain_text("tier 2")
        finally:
            browser.close()

    acts = sink.wait_for(lambda a: [x["action"] for x in a if x["event_id"] == "ev-q"]
                         == ["triage", "reply", "escalate"])
    reply, escalate = sink.of("ev-q", "reply")[0], sink.of("ev-q", "escalate")[0]
    assert reply["agent"] == "Trainee Tess"
    assert reply["text"] == "Hi Pat, you can add a bag under Manage booking."
    assert (escalate["agent"], escalate["route"], escalate["tier"]) == ("Trainee Tess", "care", 2)
    assert len(acts) == 4  # two triage actions plus the trainee's two


def test_trainees_route_take_private_and_see_the_journey(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    tiers = [{"name": "frontline", "tier": 1, "routes": ["care", "sales"], "agents": 1,
              "handle_time": {"mean": "4m"}},
             {"name": "legal-security", "tier": 3, "routes": ["legal", "security"],
              "agents": 1, "handle_time": {"mean": "20m"}}]
    url = reference_stack(sink.url, "--no-agents", config={"tiers": tiers})
    post(url, "ev-mail", "I was charged twice for my booking, please refund", channel="email",
         handle="kim@example.com", customer="C-7", thread="th-mail")
    post(url, "ev-faint", "a passenger fainted at gate 4 and nobody came", handle="@lee")
    post(url, "ev-tw", "still no refund for the double charge, this is ridiculous",
         handle="@kim", customer="C-7", thread="th-tw")
    post(url, "ev-q2", "can I change my seat online?", handle="@sam")
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            ana = sign_in(browser, url + "/console", "Trainee Ana", "1")
            # Triage put the fainting in care tier 1; Ana sends it to legal tier 3.
            ana.locator("#queue tr.case", has_text="fainted").click()
            expect(ana.locator("#case-meta")).to_contain_text("care tier 1")
            route_case(ana, "legal", 3, "p1")
            expect(ana.locator("#queue tr.case", has_text="fainted")).to_contain_text("legal / 3")
            expect(ana.locator("#queue tr.case").first).to_contain_text("fainted")  # p1 first
            # The journey: Kim's tweet shows her earlier email, then Ana takes it private.
            ana.locator("#queue tr.case", has_text="double charge").click()
            expect(ana.locator("#case-customer")).to_contain_text("C-7")
            expect(ana.locator("#journey li")).to_have_count(1)
            expect(ana.locator("#journey")).to_contain_text("charged twice")
            expect(ana.locator("#journey")).to_contain_text("email")
            ana.fill("#reply-text", "Hi Kim, sorry about this: we have sent you a DM to sort it.")
            ana.click("#reply")
            expect(ana.locator("#status")).to_contain_text("reply sent")
            expect(ana.locator("#reply-text")).to_have_value("")
            ana.fill("#reply-text", "Kim, please send your booking reference here.")
            ana.click("#private")
            expect(ana.locator("#status")).to_contain_text("private sent")
            expect(ana.locator("#reply-text")).to_have_value("")
            expect(ana.locator("#turns li")).to_have_count(3)
            expect(ana.locator("#turns li.brand.private")).to_contain_text("booking reference")
            expect(ana.locator("#case-meta")).to_contain_text("taken private")
            if SHOTS:
                ana.screenshot(path=str(SHOTS / "console.png"), full_page=True)
            # One case at a time (no concurrency in this config): a second claim is refused
            # until she closes the first.
            ana.locator("#queue tr.case", has_text="change my seat").click()
            expect(ana.locator("#status")).to_contain_text("fewer than 1 open case")
            expect(ana.locator("#load")).to_have_text("holding 1 of 1")
            ana.click("#close")
            expect(ana.locator("#mine tr.case")).to_have_count(0)
            ana.locator("#queue tr.case", has_text="change my seat").click()
            expect(ana.locator("#close")).to_have_text("Close (no action)")
            ana.click("#close")
            expect(ana.locator("#status")).to_contain_text("close sent")
            # Ben (tier 3) takes the rerouted post from the legal queue.
            ben = sign_in(browser, url + "/console", "Trainee Ben", "3")
            ben.locator("#queue tr.case", has_text="fainted").click()
            expect(ben.locator("#case-meta")).to_contain_text("legal tier 3")
        finally:
            browser.close()

    sink.wait_for(lambda a: len([x for x in a if x["action"] != "triage"]) >= 5)
    route = sink.of("ev-faint", "escalate")[0]
    assert (route["agent"], route["route"], route["tier"], route["priority"]) == (
        "Trainee Ana", "legal", 3, "p1")
    dm = sink.of("ev-tw", "message")[0]
    assert (dm["agent"], dm["text"]) == ("Trainee Ana",
                                         "Kim, please send your booking reference here.")
    assert [a["action"] for a in sink.of("ev-q2")] == ["triage", "close"]
    case = httpx.get(url + "/api/cases/ev-faint", timeout=10).json()
    assert (case["route"], case["tier"], case["agent"]) == ("legal", 3, "Trainee Ben")


def test_a_trainee_holds_up_to_the_tiers_concurrency() -> None:
    from types import SimpleNamespace

    from carestack.console_api import _limit

    tiers = (SimpleNamespace(tier=1, concurrency=3), SimpleNamespace(tier=2, concurrency=1))
    stack: Any = SimpleNamespace(cfg=SimpleNamespace(tiers=tiers))
    assert _limit(stack, 1) == 3 and _limit(stack, None) == 3  # lowest tier by default
    assert _limit(stack, 2) == 1
