"""Unit tests of the reference stack's parts that need no server: triage, config, shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from carestack.config import ConfigError, load_config, parse_duration
from carestack.ingest import (
    ShapeError,
    canonical_event,
    x_signature,
    x_webhook_events,
    zendesk_events,
)
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


def test_default_config_loads() -> None:
    cfg = load_config()
    assert [t.tier for t in cfg.tiers] == [1, 2, 3]
    assert cfg.tiers[0].handle_mean_s == 240.0 and cfg.tiers[0].handle_sd_s == 120.0
    assert cfg.agents_enabled and cfg.misroute == {} and cfg.ingest_delay_ms == 0


def test_config_overrides_and_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("misroute: {legal: care}\ningest_delay_ms: 250\nagents_enabled: false\n")
    cfg = load_config(path)
    assert cfg.misroute == {"legal": "care"}
    assert cfg.ingest_delay_ms == 250.0
    assert not cfg.agents_enabled


@pytest.mark.parametrize("overrides,match", [
    ({"tiers": []}, r"tiers must be a non-empty list"),
    ({"tiers": [{"name": "x", "tier": 1, "routes": ["care"], "handle_time": {"mean": "4m"},
                 "agents": -1}]}, r"tiers\[0\]\.agents must be an integer >= 0, got -1"),
    ({"tiers": [{"name": "x", "tier": 1, "routes": ["bogus"], "handle_time": {"mean": 1}}]},
     r"tiers\[0\]\.routes\[0\] must be one of"),
    ({"tiers": [{"name": "x", "tier": 1, "routes": ["care"], "handle_time": {"mean": "4 min"}}]},
     r"tiers\[0\]\.handle_time\.mean must be a duration"),
    ({"tiers": [{"name": "x", "tier": 1, "routes": ["care"], "handle_time": {"mean": 60},
                 "escalates": 2}]}, r"tiers\[0\]\.escalates must be a number between 0"),
    ({"misroute": {"legal": "nowhere"}}, r"misroute\.legal must map a route to a route"),
    ({"agents_enabled": "yes"}, r"agents_enabled must be true or false"),
    ({"ingest_delay_ms": "250ms"}, r"ingest_delay_ms must be a number >= 0"),
    ({"outbox": {"connections": 0}}, r"outbox\.connections must be an integer >= 1"),
])
def test_config_errors_name_the_field(overrides: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=r"^carestack/default\.yaml: " + match):
        load_config(overrides=overrides)


def test_config_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: top level must be a mapping"):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"missing\.yaml: file must be readable"):
        load_config(tmp_path / "missing.yaml")


def test_parse_duration() -> None:
    assert parse_duration("1h10m", "x") == 4200.0
    assert parse_duration("500ms", "x") == 0.5
    assert parse_duration(12, "x") == 12.0
    with pytest.raises(ConfigError, match="x must be a duration"):
        parse_duration("soon", "x")


def test_canonical_event_drops_labels_and_fills_defaults() -> None:
    event = canonical_event({"id": "ev-1", "text": "hi", "author": {"handle": "@a"},
                             "labels": {"intent": "complaint"}})
    assert "labels" not in event
    assert event["author"]["followers"] == 0 and event["channel"] == "unknown"


@pytest.mark.parametrize("payload,field", [
    ([1, 2], "body"),
    ({"text": "x", "author": {}}, "id"),
    ({"id": "ev-1", "author": {}}, "text"),
    ({"id": "ev-1", "text": "x"}, "author"),
    ({"id": "ev-1", "text": "x", "author": {"followers": -3}}, "author.followers"),
    ({"id": "ev-1", "text": "x", "author": {"followers": True}}, "author.followers"),
    ({"id": "ev-1", "text": "x", "author": {"verified": "no"}}, "author.verified"),
    ({"id": "ev-1", "text": "x", "author": {}, "t": "soon"}, "t"),
])
def test_canonical_event_shape_errors(payload: object, field: str) -> None:
    with pytest.raises(ShapeError) as info:
        canonical_event(payload)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field} must be")


def test_x_webhook_events_and_errors() -> None:
    body = {"for_user_id": "1", "tweet_create_events": [
        {"id_str": "ev-9", "text": "help", "in_reply_to_status_id_str": "ev-1",
         "user": {"id_str": "2", "screen_name": "jdoe", "followers_count": 12000}},
        {"id_str": "own", "text": "our reply", "user": {"id_str": "1", "screen_name": "brand"}},
    ]}
    events = x_webhook_events(body)
    assert [e["id"] for e in events] == ["ev-9"]
    assert events[0]["author"] == {"handle": "@jdoe", "name": None, "followers": 12000,
                                   "verified": False, "customer_id": None, "segment": None}
    assert events[0]["kind"] == "reply" and events[0]["parent"] == "ev-1"
    with pytest.raises(ShapeError) as info:
        x_webhook_events({"tweet_create_events": [{"id_str": "a", "text": "b", "user": {}}]})
    assert info.value.field == "tweet_create_events[0].user.screen_name"


def test_zendesk_events_and_errors() -> None:
    events = zendesk_events({"external_resources": [
        {"external_id": "ev-3", "message": "refund please", "author": {"external_id": "C-1"},
         "fields": [{"id": "channel", "value": "email"}]}]})
    assert events[0]["id"] == "ev-3" and events[0]["channel"] == "email"
    with pytest.raises(ShapeError) as info:
        zendesk_events({"external_resources": [{"external_id": "ev-3", "message": "x"}]})
    assert info.value.field == "external_resources[0].author"


def test_x_signature_matches_the_documented_recipe() -> None:
    import base64
    import hashlib
    import hmac

    expected = "sha256=" + base64.b64encode(
        hmac.new(b"s3cret", b"token", hashlib.sha256).digest()).decode()
    assert x_signature("s3cret", b"token") == expected
