"""The agent console driven in headless Chromium: sign in, open a case, reply, escalate."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def post(url: str, event_id: str, text: str) -> None:
    r = httpx.post(url + "/events", json={
        "id": event_id, "text": text, "channel": "twitter",
        "author": {"handle": "@pat", "followers": 40}}, timeout=10)
    assert r.status_code == 202


def test_trainee_replies_and_escalates_in_the_console(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    url = reference_stack(sink.url, "--no-agents")
    post(url, "ev-q", "how do I add a bag to my booking?")
    post(url, "ev-l", "my solicitor will take you to court over this <b>bold</b>")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url + "/console")
            page.fill("#name", "Trainee Tess")
            page.click("#signin-button")
            expect(page.locator("#who")).to_have_text("signed in as Trainee Tess")
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
