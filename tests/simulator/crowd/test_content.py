"""Post text: channel styles, leetspeak, signatures, the brand, and variety."""

from __future__ import annotations

import re

import numpy as np
import pytest

from simulator.crowd.model import generate
from simulator.runfolder.event_table import EventTable
from simulator.scenario.models import Scenario, parse_scenario

LEET = re.compile(r"pwn3d|hax0r|w@r3z|[a-z]*[0-9@][a-z]+[0-9][a-z0-9]*", re.IGNORECASE)


@pytest.fixture
def table(tiny_scenario: Scenario) -> EventTable:
    return generate(tiny_scenario, seed=21, volume=3.0)


def _where(table: EventTable, **conds: str) -> list[int]:
    mask = np.ones(len(table), dtype=bool)
    for col, name in conds.items():
        mask &= table.names(col) == name
    return np.flatnonzero(mask).tolist()


def test_tweets_are_short(table: EventTable) -> None:
    texts = table.text
    tweets = _where(table, channel="twitter")
    assert len(tweets) > 200
    assert max(len(texts[i]) for i in tweets) <= 280
    assert np.mean([len(texts[i]) for i in tweets]) < 160


def test_tweets_mention_handles_and_use_abbreviations(table: EventTable) -> None:
    texts = [table.text[i] for i in _where(table, channel="twitter", kind="post")]
    assert np.mean(["@NorthwindAir" in t for t in texts]) > 0.5
    joined = " ".join(texts)
    assert re.search(r"\b(pls|u|bc|ur|thx|rly|mins|b4)\b", joined)


def test_emails_are_long_greeted_and_signed(table: EventTable) -> None:
    emails = _where(table, channel="email")
    assert emails
    texts, names = table.text, table.name
    tweets = _where(table, channel="twitter", kind="post")
    assert np.mean([len(texts[i]) for i in emails]) > np.mean([len(texts[i]) for i in tweets])
    for i in emails:
        lines = texts[i].splitlines()
        assert lines[0].endswith(",")
        assert names[i] in texts[i]
        if table.customer[i] >= 0:
            assert lines[-1] == f"Customer number C-{table.customer[i]:06d}"


# a word turned into leetspeak: lowercase letters and digits mixed (reference codes are upper case)
LEET_WORD = re.compile(r"(?<![\w@])[a-z0-9@]*(?:[a-z][0-9@]|[0-9@][a-z])[a-z0-9@]*")


def _security_leet_share(data: dict, industry: str, leetspeak: float | None = None) -> float:
    data = {**data, "brand": {**data["brand"], "industry": industry}}
    if leetspeak is not None:
        data["content"] = {"leetspeak": leetspeak}
    table = generate(parse_scenario(data, "tiny.yaml"), seed=21, volume=3.0)
    sec = _where(table, intent="security", kind="post") + _where(
        table, intent="security", kind="message"
    )
    assert len(sec) > 50
    return float(np.mean([bool(LEET_WORD.search(table.text[i])) for i in sec]))


def test_security_reports_use_leetspeak_as_much_as_the_pack_says(tiny_scenario_data: dict) -> None:
    # (was: every security post in leetspeak, true of the one airline-flavoured text set)
    assert _security_leet_share(tiny_scenario_data, "generic", 1.0) > 0.8
    assert _security_leet_share(tiny_scenario_data, "generic", 0.0) == 0.0
    software = _security_leet_share(tiny_scenario_data, "software")  # pack share 0.7
    restaurant = _security_leet_share(tiny_scenario_data, "restaurant")  # pack share 0.15
    assert software > 0.5 and restaurant < 0.35


def test_incident_posts_name_the_topic_or_product(table: EventTable) -> None:
    posts = _where(table, incident="outage", intent="complaint", kind="post")
    assert posts
    hits = [("login" in table.text[i].lower()) for i in posts]
    assert np.mean(hits) > 0.5


def test_hidden_help_reads_neutral(table: EventTable) -> None:
    for i in _where(table, intent="hidden_help"):
        assert table.names("emotion")[i] == "neutral"
        assert "!" not in table.text[i]


def test_noise_mentions_the_brand_and_needs_no_answer(table: EventTable) -> None:
    noise = _where(table, intent="noise", kind="post")
    assert noise
    assert all("northwind" in table.text[i].lower() for i in noise)
    assert not table.respond[noise].any()


def test_two_posts_rarely_share_text(table: EventTable) -> None:
    own = [table.text[i] for i in range(len(table)) if table.names("kind")[i] != "repost"]
    assert len(own) > 300
    assert len(set(own)) / len(own) > 0.97


def test_replies_address_the_parent(table: EventTable) -> None:
    replies = _where(table, kind="reply", channel="twitter")
    assert replies
    for i in replies:
        assert table.text[i].startswith(table.handle[int(table.parent[i])])
