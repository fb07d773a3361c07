"""Headless Chromium (Debian's, installed by tests/setup_browser.sh) and the agent console's
steps the browser tests share."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Playwright, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def launch(pw: Playwright) -> Any:
    """A headless Chromium browser."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(browser: Any, console: str, name: str, tier: str | None = None) -> Any:
    """A page of the agent console at ``console``, signed in as ``name`` (at ``tier``)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(console)
    page.fill("#name", name)
    if tier is not None:
        page.select_option("#signin-tier", tier)
    page.click("#signin-button")
    expect(page.locator("#who")).to_have_text(f"signed in as {name}")
    return page


def route_case(page: Any, route: str, tier: int, priority: str) -> None:
    """Route the open case from the console and wait until the stack confirms it."""
    page.select_option("#route-to", route)
    page.select_option("#route-tier", str(tier))
    page.select_option("#route-priority", priority)
    page.click("#route")
    expect(page.locator("#status")).to_contain_text(f"routed to {route} tier {tier}")
