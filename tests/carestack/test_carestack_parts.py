"""Unit tests of the reference stack's parts: config, inbound shapes, the SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carestack.config import (
    ConfigError,
    TierConfig,
    load_config,
    load_team,
    parse_duration,
)
from carestack.ingest import (
    ShapeError,
    canonical_event,
    x_signature,
    x_webhook_events,
    zendesk_events,
)
from carestack.store import Store
from simulator.scenario.units import parse_duration as scenario_duration


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
    ({"tiers": [{"name": "x", "tier": 1, "routes": ["care"], "handle_time": {"mean": "4 weeks"}}]},
     r"tiers\[0\]\.handle_time\.mean must be a duration like 4m or 90s, got '4 weeks'$"),
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


@pytest.mark.parametrize("text", ["4 min", "4min", "2d", "1.5h", "1d2h30m", "1h10m", "90s",
                                  "500ms", " 20 m "])
def test_parse_duration_accepts_the_scenario_units(text: str) -> None:
    """The stack reads a team file in the scenario's duration grammar, to the same seconds."""
    assert parse_duration(text, "x") == scenario_duration(text)


@pytest.mark.parametrize("text", ["4 weeks", "4w", "10m1h", "1h1h", "5", "m", ""])
def test_parse_duration_rejects_what_the_scenario_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        scenario_duration(text)
    with pytest.raises(ConfigError, match=r"^x must be a duration like 4m or 90s, got .*$"):
        parse_duration(text, "x")


def test_load_team_reads_min_and_d(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("team:\n  tiers:\n    - {name: t1, tier: 1, routes: [care], agents: 1,\n"
                    "       handle_time: {mean: 4 min, sd: 1 min},\n"
                    "       shifts: [{from: 0, to: 1d, agents: 1}]}\n")
    (tier,) = load_team(path)
    assert (tier.handle_mean_s, tier.handle_sd_s) == (240.0, 60.0)
    assert tier.shifts == ((0.0, 86400.0, 1),)


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


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "text", "author", "followers", "handle", "verified", "t",
                         "tweet_create_events", "id_str", "user", "screen_name",
                         "external_resources", "external_id", "message", "channel"]),
        inner, max_size=6),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_any_json_is_accepted_or_a_shape_error(payload: object) -> None:
    for parse in (canonical_event, x_webhook_events, zendesk_events):
        try:
            parse(payload)
        except ShapeError as exc:
            assert str(exc).startswith(exc.field + " must be ")


def test_store_skips_a_bad_row_but_keeps_the_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    good = ("ev-1", "case-1", 1.0, "twitter", "@a", 5, "hi", "question", 0.0, "care", 1, "p3",
            "queued", None, None, None, "{}")
    bad = ("ev-2", *good[1:5], 2**70, *good[6:])  # too big for a SQLite integer
    store.put_case(good)
    store.put_case(bad)
    store.put_action(1, "ev-1", "triage", "{}", 1.0)
    asyncio.run(store.flush())
    assert store.counts() == {"cases": 1, "actions_pending": 1}
    assert store.errors == 1
    store.mark_sent(1)
    store.close()
    again = Store(tmp_path / "s.db")
    assert again.load_unsent() == [] and [c["event_id"] for c in again.load_cases()] == ["ev-1"]
    again.close()


SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_team_from_every_shipped_scenario(path: Path) -> None:
    tiers = load_team(path)
    assert tiers and all(t.agents >= 1 and t.handle_mean_s > 0 and t.routes for t in tiers)
    assert {r for t in tiers for r in t.routes} <= {"care", "sales", "pr", "legal", "security"}


def test_shifts_put_the_first_agents_on_duty(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("team:\n  tiers:\n  - {name: f, tier: 1, routes: [care], shifts: "
                    "[{from: 0h, to: 1h, agents: 1}, {from: 1h, to: 2h, agents: 3}], "
                    "handle_time: {dist: exponential, mean: 4m}, escalates: 0.1}\n")
    (tier,) = load_team(path)
    assert isinstance(tier, TierConfig)
    assert (tier.agents, tier.handle_mean_s, tier.handle_sd_s) == (3, 240.0, 240.0)
    assert [tier.on_duty(i, 1800) for i in range(3)] == [True, False, False]
    assert [tier.on_duty(i, 3600) for i in range(3)] == [True, True, True]
    assert not tier.on_duty(0, 7200)
    assert tier.next_change(1800) == 3600 and tier.next_change(7200) is None
    bad = tmp_path / "b.yaml"
    bad.write_text("team:\n  tiers:\n  - {name: f, tier: 1, routes: [care], shifts: "
                   "[{from: 2h, to: 1h, agents: 1}], handle_time: {mean: 4m}}\n")
    with pytest.raises(ConfigError, match=r"b\.yaml: team\.tiers\[0\]\.shifts\[0\]\.to must be "
                       r"after from"):
        load_team(bad)
