"""Unit tests of the reference stack's triage (no server)."""

from __future__ import annotations

import pytest

from carestack.triage import Triager, normalise_leet


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager(vip_followers=10000)


@pytest.mark.parametrize("text", [
    "@NorthwindAir my account got pwn3d, thx",
    "some hax0r is selling w@r3z with your logo",
    "@NorthwindAir your site leaks passwords, there is a data breach",
    "@NorthwindAir someone selling N0r7hw1nd accounts 0n 4 w@r3z f0rum",
])
def test_security_including_leetspeak(triager: Triager, text: str) -> None:
    t = triager.classify(text, followers=50)
    assert (t.intent, t.route, t.tier, t.priority) == ("security", "security", 3, "p1")


@pytest.mark.parametrize("text,intent", [
    ("@NorthwindAir I'm calling my lawyer about this refund", "legal_threat"),
    ("see you in small claims court @NorthwindAir", "legal_threat"),
    ("@NorthwindAir this is a breach of consumer law, expect a formal complaint", "legal_threat"),
    ("@NorthwindAir smoke coming out of the engine, passengers hurt", "safety"),
])
def test_legal_and_safety_go_to_legal_p1(triager: Triager, text: str, intent: str) -> None:
    t = triager.classify(text)
    assert (t.intent, t.route, t.tier, t.priority) == (intent, "legal", 3, "p1")


def test_complaint_priority_depends_on_vip_rules(triager: Triager) -> None:
    text = "@NorthwindAir card declined 3 times, this is unacceptable. Fix it!"
    plain = triager.classify(text, followers=120)
    assert (plain.intent, plain.route, plain.tier, plain.priority) == ("complaint", "care", 1, "p3")
    for kwargs in ({"followers": 25000}, {"verified": True}, {"segment": "vip"}):
        vip = triager.classify(text, **kwargs)  # type: ignore[arg-type]
        assert (vip.route, vip.tier, vip.priority) == ("care", 2, "p2"), kwargs


@pytest.mark.parametrize("text,intent,route", [
    ("Reporter at the Daily Post, can you comment for our story?", "media_inquiry", "pr"),
    ("@NorthwindAir I wish you sold onion rings on board", "purchase_intent", "sales"),
    ("stranded at the gate with my kids, no way home tonight", "hidden_help", "care"),
    ("@NorthwindAir does the app support boarding passes?", "question", "care"),
    ("@NorthwindAir thank you, the crew was amazing!", "praise", "none"),
    ("drove past the airport today, lots of planes", "noise", "none"),
])
def test_intents_and_routes(triager: Triager, text: str, intent: str, route: str) -> None:
    t = triager.classify(text)
    assert (t.intent, t.route) == (intent, route)
    assert t.respond == (route != "none")


def test_sentiment_comes_from_vader(triager: Triager) -> None:
    assert triager.classify("I love this, great service, thank you!").sentiment > 0.5
    assert triager.classify("worst airline ever, I hate you, terrible").sentiment < -0.5


def test_misroute_knob_sends_legal_to_care() -> None:
    t = Triager(misroute={"legal": "care"}).classify("my attorney will sue you")
    assert (t.intent, t.route, t.tier, t.priority) == ("legal_threat", "care", 1, "p1")


def test_normalise_leet_drops_handles_and_maps_digits() -> None:
    assert normalise_leet("@Brand pwn3d by a hax0r") == "  pwned by a haxor"
