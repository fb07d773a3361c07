"""Industry packs and the scenario's ``content:`` section: every pack renders every row kind,
stays inside its own business, and user changes are validated and applied."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from run_drill import main
from simulator.crowd.content import render_rows, render_texts
from simulator.crowd.model import generate
from simulator.errors import InputError
from simulator.scenario.content_packs import (
    INDUSTRIES,
    PACK_DIR,
    load_pack,
    marker_pattern,
    read_pack,
    vocabulary,
)
from simulator.scenario.content_templates import SLOTS
from simulator.scenario.models import Scenario, parse_scenario
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS, KINDS, PRIVATE_CHANNELS

REPEATS = 6  # rows per (intent, emotion, channel, incident or baseline)
REPEATED_REF = re.compile(r"\b([0-9A-F]{6})\b.*\b\1\b", re.S)
SHIPPED = {"airline", "bank", "telecom", "retail", "restaurant", "software", "gaming", "utility"}


def _render_all(industry: str, seed: int) -> tuple[list[str], np.ndarray]:
    """Every intent x emotion x channel, REPEATS times as an incident post and as a baseline one."""
    pack = load_pack(industry)
    grid = np.array(
        [(i, e, c) for i in range(len(INTENTS)) for e in range(len(EMOTIONS))
         for c in range(len(CHANNELS))] * REPEATS * 2
    )
    n = len(grid)
    channel = grid[:, 2]
    private = np.array([CHANNELS[c] in PRIVATE_CHANNELS for c in channel])
    kind = np.where(private, KINDS.index("message"), KINDS.index("post"))
    texts = render_texts(
        intent=grid[:, 0], emotion=grid[:, 1], channel=channel, kind=kind,
        incident=np.where(np.arange(n) % 2 == 0, 0, -1), parent=np.full(n, -1),
        author=np.arange(n), handles=np.array([f"@user{k}" for k in range(n)], dtype=object),
        names=np.array([f"Sam Lee{k}" for k in range(n)], dtype=object),
        customer=np.arange(n) % 3 - 1, brand_name="Acme", brand_handle="@Acme",
        products=pack.products, brand_tags=["#Acme"], topics=[pack.topics["complaint"][0]],
        incident_tags=[["#AcmeDown"]], rng=np.random.default_rng(seed),
        vocab=vocabulary(industry),
    )
    return texts, grid


def test_the_issue_packs_ship_with_markers_and_every_slot() -> None:
    assert set(INDUSTRIES) >= SHIPPED | {"generic"}
    for industry in INDUSTRIES:
        pack = load_pack(industry)
        assert pack.industry == industry
        assert set(SLOTS) <= set(pack.words)
        assert bool(pack.markers) == (industry != "generic")


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_every_row_kind_renders_clean_text_inside_its_industry(industry: str) -> None:
    texts, grid = _render_all(industry, seed=5)
    assert len(texts) == len(grid) and all(texts)
    for text in texts:
        assert "{" not in text and "}" not in text, text
        assert "  " not in text, text
        assert text == text.strip(), text
        assert not REPEATED_REF.search(text), text  # an extra never repeats the reference
    others = [(o, marker_pattern(o)) for o in INDUSTRIES if o != industry]
    for other, pattern in others:
        if pattern is None:
            continue
        leaks = [t for t in texts if pattern.search(t)]
        assert not leaks, f"{industry} text has {other} markers: {leaks[:3]}"
    own = marker_pattern(industry)
    if own is not None:  # the pack's own words do show up
        assert np.mean([bool(own.search(t)) for t in texts]) > 0.1


@pytest.mark.parametrize("industry", ["bank", "restaurant"])
def test_same_seed_same_text(industry: str) -> None:
    assert _render_all(industry, 9)[0] == _render_all(industry, 9)[0]
    assert _render_all(industry, 9)[0] != _render_all(industry, 10)[0]


def _with(data: dict[str, Any], industry: str | None = None, content: Any = None) -> Scenario:
    if industry is not None:
        data["brand"]["industry"] = industry
    if content is not None:
        data["content"] = content
    return parse_scenario(data, "tiny.yaml")


def test_render_rows_gives_scenario_text_for_given_rows(tiny_scenario_data: dict) -> None:
    sc = _with(tiny_scenario_data, "utility")
    n = 200
    rng = np.random.default_rng(1)
    intent = np.full(n, INTENTS.index("complaint"))
    texts = render_rows(sc, intent=intent, emotion=np.full(n, EMOTIONS.index("angry")),
                        channel=np.full(n, CHANNELS.index("email")), incident=np.zeros(n),
                        names=["Ada"] * n, rng=rng)
    assert len(texts) == n
    assert all(t.splitlines()[-1] == "Ada" for t in texts)
    assert np.mean(["app login fails" in t for t in texts]) > 0.5
    assert not any(p.search(t) for t in texts for o in INDUSTRIES if o != "utility"
                   for p in [marker_pattern(o)] if p is not None)


def test_content_replaces_and_adds(tiny_scenario_data: dict) -> None:
    sc = _with(tiny_scenario_data, "restaurant", {
        "replace": {"templates": {"complaint": ["the {dish} at {site} was cold, {topic}."]},
                    "words": {"site": ["the Harbour Street branch"]}},
        "add": {"words": {"dish": ["risotto", "paella"]}, "tails": ["#fishfriday"]},
        "leetspeak": 0.0,
    })
    table = generate(sc, seed=4)
    own = table.names("kind") != "repost"
    rows = np.flatnonzero((table.names("intent") == "complaint") & own)
    assert len(rows) > 50
    texts = [table.text[i] for i in rows]  # short posts may carry a typo in a long word
    assert all("at the harbour street " in t.lower() and " was cold, " in t.lower() for t in texts)
    assert any("risotto" in t for t in texts) and any("paella" in t for t in texts)
    assert any("#fishfriday" in t for t in table.text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"add": {"templates": {"complain": ["x"]}}},
         "tiny.yaml: content.add.templates.complain must be a known intent (complaint, "),
        ({"add": {"templates": {"complaint": ["the {dish} is cold"]}}},
         "tiny.yaml: content.add.templates.complaint[0] must use known placeholders ("),
        ({"replace": {"extras": {"praise": ["bad {brace"]}}},
         "tiny.yaml: content.replace.extras.praise[0] must use known placeholders ("),
        ({"add": {"templates": {"complaint": ["two  spaces"]}}},
         "tiny.yaml: content.add.templates.complaint[0] must be one line of text without"),
        ({"replace": {"words": {"site": []}}},
         "tiny.yaml: content.replace.words.site must not be empty, got a list of 0"),
        ({"replace": {"words": {"site": ["the {city} branch"]}}},
         "tiny.yaml: content.replace.words.site[0] must be text without placeholders"),
        ({"add": {"words": {"topic": ["x"]}}},
         "tiny.yaml: content.add.words.topic must not be a built-in field"),
        ({"leetspeak": 1.5}, "tiny.yaml: content.leetspeak must be <= 1, got 1.5"),
        ({"add": {"temlates": {}}}, "tiny.yaml: content.add: unknown field 'temlates'"),
    ],
)
def test_content_mistakes_are_one_line(
    tiny_scenario_data: dict, content: Any, message: str
) -> None:
    with pytest.raises(InputError) as err:
        _with(tiny_scenario_data, "restaurant", content)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_industry_exits_2_with_one_line(
    tmp_path: Path, tiny_scenario_data: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    tiny_scenario_data["brand"]["industry"] = "bakery"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario_data))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bad.yaml: brand.industry must be an industry with a pack (")
    assert err.endswith("got 'bakery'") and "\n" not in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("  regulator:", "  regulatr:"),
         "bakery.yaml: words must be the words site, ref_kind, staff, hazard, perk, regulator, "
         "rumour, got none for regulator"),
        (lambda t: t + "tails: [\"{crumbs}\"]\n",
         "bakery.yaml: tails[0] must use known placeholders ("),
        (lambda t: t.replace("leetspeak: 0.15", "leetspeak: 2"),
         "bakery.yaml: leetspeak must be <= 1, got 2"),
        (lambda t: t.replace("industry: bakery", "industry: cafe"),
         "bakery.yaml: industry must be 'bakery', got 'cafe'"),
    ],
)
def test_a_broken_pack_is_named_in_one_line(tmp_path: Path, edit: Any, message: str) -> None:
    text = (PACK_DIR / "restaurant.yaml").read_text().replace("industry: restaurant",
                                                            "industry: bakery")
    path = tmp_path / "bakery.yaml"
    path.write_text(edit(text))
    with pytest.raises(InputError) as err:
        read_pack(path, "bakery.yaml")
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)
