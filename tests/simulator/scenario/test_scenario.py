"""Scenario loading: the parsed values, and one test per validation branch.

Every rejection must be an ``InputError`` whose message is one line naming the file, the field
path, what was expected and what was found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from simulator.errors import InputError
from simulator.scenario.models import Scenario, load_scenario, parse_scenario

Mutator = Callable[[dict[str, Any]], None]


def _reject(data: dict[str, Any], mutate: Mutator, match: str) -> str:
    mutate(data)
    with pytest.raises(InputError, match=match) as caught:
        parse_scenario(data, "tiny.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("tiny.yaml: ")
    return message


# -- accepted values ---------------------------------------------------------------------------


def test_tiny_scenario_parses_to_seconds_and_per_second(tiny_scenario: Scenario) -> None:
    sc = tiny_scenario
    assert sc.duration == 600.0
    assert sc.baseline.rate == pytest.approx(0.5)
    inc = sc.incidents[0]
    assert inc.at == 120.0 and inc.trigger.for_ == 300.0 and inc.trigger.rate == 1.0
    assert inc.cascade is not None and inc.cascade.kernel.mean == 30.0
    assert inc.waves[0].at == 300.0
    assert sc.team.tiers[1].shifts[1].start == 300.0
    assert sc.team.service_level.within == 300.0
    assert sc.slo.ingest_p99 == 0.5
    assert sc.policy[1].action.respond_within == 1800.0
    assert sc.policy[0].action.respond is False
    assert sc.policy[-1].action.route == "none"
    assert sc.incident_ids == ("outage",)


def test_models_are_frozen(tiny_scenario: Scenario) -> None:
    with pytest.raises(ValidationError):
        tiny_scenario.duration = 5.0  # type: ignore[misc]


def test_mixes_are_normalised_within_tolerance(tiny_scenario_data: dict[str, Any]) -> None:
    tiny_scenario_data["channels"] = {"twitter": 0.705, "facebook": 0.1, "email": 0.1, "chat": 0.1}
    sc = parse_scenario(tiny_scenario_data, "tiny.yaml")
    assert sum(sc.channels.values()) == pytest.approx(1.0)


def test_profile_points_and_diurnal(tiny_scenario_data: dict[str, Any]) -> None:
    tiny_scenario_data["baseline"]["profile"] = [
        {"at": "0s", "factor": 1},
        {"at": "5m", "factor": 3},
    ]
    sc = parse_scenario(tiny_scenario_data, "tiny.yaml")
    assert isinstance(sc.baseline.profile, tuple) and sc.baseline.profile[1].at == 300.0
    tiny_scenario_data["baseline"]["profile"] = "diurnal"
    assert parse_scenario(tiny_scenario_data, "tiny.yaml").baseline.profile == "diurnal"


def test_load_scenario_from_file(tmp_path: Path, tiny_scenario_data: dict[str, Any]) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario_data))
    assert load_scenario(path).name == "tiny"


# -- file-level errors -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be an existing file, got no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nbrand: {name: [\n")
    with pytest.raises(InputError, match=r"^broken\.yaml: must be valid YAML \(line \d+, column"):
        load_scenario(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    with pytest.raises(InputError, match="empty.yaml: must be a mapping .* got an empty file"):
        load_scenario(path)


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="list.yaml: must be a mapping .* got a list"):
        load_scenario(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match="must be a readable UTF-8 file"):
        load_scenario(path)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    # not valid YAML at all: only the size check can produce this message
    path.write_bytes(b"{[" * 3_000_000)
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert str(caught.value) == "huge.yaml: file must be at most 5 MB, got 6.0 MB"


def test_file_at_the_size_limit_is_parsed(
    tmp_path: Path, tiny_scenario_data: dict[str, Any]
) -> None:
    from simulator.scenario.validation import MAX_INPUT_BYTES

    path = tmp_path / "padded.yaml"
    text = yaml.safe_dump(tiny_scenario_data)
    path.write_text(text + "#" * (MAX_INPUT_BYTES - len(text.encode()) - 1) + "\n")
    assert path.stat().st_size == MAX_INPUT_BYTES
    assert load_scenario(path).name == "tiny"


@pytest.mark.parametrize("theta", ["5m", "0.23", True])
def test_kernel_theta_must_be_a_plain_number(
    tiny_scenario_data: dict[str, Any], theta: object
) -> None:
    message = _reject(
        tiny_scenario_data,
        lambda d: d["incidents"][0]["cascade"].update(
            kernel={"dist": "powerlaw", "s0": "5m", "theta": theta}
        ),
        r"incidents\[0\]\.cascade\.kernel\.theta must be a number > 0 \(the power-law tail "
        r"exponent, e\.g\. 0\.23\), got ",
    )
    assert "duration" not in message and message.endswith(repr(theta))


def test_theta_outside_a_cascade_is_not_called_a_duration(
    tiny_scenario_data: dict[str, Any],
) -> None:
    message = _reject(
        tiny_scenario_data,
        lambda d: d["team"].update(patience={"dist": "powerlaw", "s0": "5m", "theta": "steep"}),
        r"team\.patience\.theta must be a number > 0 .*, got 'steep'$",
    )
    assert "duration" not in message


# -- field errors, one per branch ----------------------------------------------------------------

BRANCHES: list[tuple[str, Mutator, str]] = [
    (
        "branching-not-finite",
        lambda d: d["incidents"][0]["cascade"].update(branching=1.3),
        r"incidents\[0\]\.cascade\.branching must be < 1 for a finite storm, got 1\.3$",
    ),
    (
        "branching-negative",
        lambda d: d["incidents"][0]["cascade"].update(branching=-0.1),
        r"incidents\[0\]\.cascade\.branching must be >= 0",
    ),
    (
        "unknown-nested-field",
        lambda d: d["incidents"][0]["cascade"].update(brnching=0.3),
        r"incidents\[0\]\.cascade: unknown field 'brnching' \(did you mean 'branching'\?\)$",
    ),
    (
        # issue 19: a typo in a required key names the typo, not the missing key
        "typo-in-required-key",
        lambda d: d["incidents"][0]["cascade"].update(brnching=d["incidents"][0]["cascade"]
                                                      .pop("branching")),
        r"incidents\[0\]\.cascade: unknown field 'brnching' \(did you mean 'branching'\?\)$",
    ),
    (
        "unknown-top-field",
        lambda d: d.update(durration="1h"),
        r"tiny.yaml: unknown field 'durration'",
    ),
    ("missing-field", lambda d: d.pop("team"), r"team must be given, got nothing"),
    ("bad-duration", lambda d: d.update(duration="3x"), r"duration must be a duration like 90s"),
    ("zero-duration", lambda d: d.update(duration="0s"), r"duration must be > 0, got 0"),
    (
        "bad-rate",
        lambda d: d["baseline"].update(rate="fast"),
        r"baseline\.rate must be a rate like",
    ),
    (
        "mix-not-summing",
        lambda d: d["baseline"].update(intents={"question": 0.5, "complaint": 0.3}),
        r"baseline\.intents must sum to 1 \(within 0\.01\), got 0\.8",
    ),
    (
        "mix-unknown-intent",
        lambda d: d["baseline"].update(intents={"qestion": 1.0}),
        r"baseline\.intents\.qestion must be a known intent .*got 'qestion'",
    ),
    (
        "mix-negative-share",
        lambda d: d["baseline"].update(intents={"question": 1.5, "complaint": -0.5}),
        r"baseline\.intents\.complaint must be >= 0, got -0\.5",
    ),
    (
        "mix-not-a-number",
        lambda d: d["baseline"].update(intents={"question": "lots"}),
        r"baseline\.intents\.question must be a number, got 'lots'",
    ),
    (
        "channel-unknown",
        lambda d: d.update(channels={"myspace": 1.0}),
        r"channels\.myspace must be a known channel",
    ),
    (
        "emotion-mix",
        lambda d: d["incidents"][0].update(emotions={"angry": 0.5, "furious": 0.5}),
        r"incidents\[0\]\.emotions\.furious must be a known emotion",
    ),
    (
        "cascade-kinds-mix",
        lambda d: d["incidents"][0]["cascade"].update(kinds={"repost": 0.5}),
        r"incidents\[0\]\.cascade\.kinds must sum to 1",
    ),
    (
        "profile-unknown",
        lambda d: d["baseline"].update(profile="hourly"),
        r"baseline\.profile must be 'flat' or 'diurnal', got 'hourly'",
    ),
    (
        "profile-points-order",
        lambda d: d["baseline"].update(
            profile=[{"at": "5m", "factor": 1}, {"at": "1m", "factor": 2}]
        ),
        r"baseline\.profile\[1\]\.at must be after the previous point \(300s\), got 60s",
    ),
    (
        "profile-point-bad",
        lambda d: d["baseline"].update(profile=[{"at": "soon", "factor": 1}]),
        r"baseline\.profile\[0\]\.at must be a duration like",
    ),
    (
        "profile-empty",
        lambda d: d["baseline"].update(profile=[]),
        r"baseline\.profile must be flat, diurnal or a non-empty list",
    ),
    (
        "dist-missing-param",
        lambda d: d["team"]["tiers"][0].update(handle_time={"dist": "lognormal", "mean": "4m"}),
        r"team\.tiers\[0\]\.handle_time\.sd must be given for dist lognormal, got nothing",
    ),
    (
        "dist-foreign-param",
        lambda d: d["team"]["tiers"][0].update(
            handle_time={"dist": "exponential", "mean": "4m", "alpha": 2}
        ),
        r"handle_time\.alpha must not be set for dist exponential \(it takes mean\)",
    ),
    (
        "dist-unknown",
        lambda d: d["team"]["tiers"][0].update(handle_time={"dist": "gauss", "mean": "4m"}),
        r"handle_time\.dist must be 'constant', .* or 'powerlaw', got 'gauss'",
    ),
    (
        "dist-not-positive",
        lambda d: d["incidents"][0]["cascade"].update(
            kernel={"dist": "powerlaw", "s0": "5m", "theta": 0}
        ),
        r"cascade\.kernel\.theta must be > 0, got 0",
    ),
    (
        "dist-uniform-order",
        lambda d: d["team"].update(patience={"dist": "uniform", "low": "5m", "high": "1m"}),
        r"team\.patience\.high must be >= low \(300\), got 60",
    ),
    (
        "dist-pareto-cap",
        lambda d: d["audience"].update(
            followers={"dist": "pareto", "alpha": 1.2, "min": 50, "max": 10}
        ),
        r"audience\.followers\.max must be > min \(50\), got 10",
    ),
    (
        "dist-unknown-key",
        lambda d: d["audience"].update(followers={"dist": "pareto", "alpha": 1.2, "mn": 50}),
        r"audience\.followers: unknown field 'mn'",
    ),
    (
        "shift-agents-negative",
        lambda d: d["team"]["tiers"][1]["shifts"][0].update(agents=-2),
        r"team\.tiers\[1\]\.shifts\[0\]\.agents must be >= 0, got -2$",
    ),
    (
        "shift-agents-not-int",
        lambda d: d["team"]["tiers"][1]["shifts"][0].update(agents="many"),
        r"team\.tiers\[1\]\.shifts\[0\]\.agents must be a whole number, got 'many'",
    ),
    (
        "shift-gap",
        lambda d: d["team"]["tiers"][1]["shifts"][1].update({"from": "6m"}),
        r"team\.tiers\[1\]\.shifts\[1\]\.from must be 300s to leave no gap",
    ),
    (
        "shift-overlap",
        lambda d: d["team"]["tiers"][1]["shifts"][1].update({"from": "4m"}),
        r"team\.tiers\[1\]\.shifts\[1\]\.from must not overlap the previous shift",
    ),
    (
        "shift-short-of-end",
        lambda d: d["team"]["tiers"][0]["shifts"][0].update(to="8m"),
        r"team\.tiers\[0\]\.shifts\[0\]\.to must reach the scenario end \(600s\)",
    ),
    (
        "shift-late-start",
        lambda d: d["team"]["tiers"][0]["shifts"][0].update({"from": "1m"}),
        r"team\.tiers\[0\]\.shifts\[0\]\.from must be 0s to leave no gap",
    ),
    (
        "shift-backwards",
        lambda d: d["team"]["tiers"][0]["shifts"][0].update(to="0s"),
        r"team\.tiers\[0\]\.shifts\[0\]\.to must be after from \(0s\), got 0s",
    ),
    (
        "tier-duplicate-name",
        lambda d: d["team"]["tiers"][1].update(name="frontline"),
        r"team\.tiers\[1\]\.name must be unique, got 'frontline' twice",
    ),
    (
        "tier-no-routes",
        lambda d: d["team"]["tiers"][1].update(routes=[]),
        r"team\.tiers\[1\]\.routes must not be empty",
    ),
    (
        "share-out-of-range",
        lambda d: d["team"].update(triage_accuracy=1.5),
        r"team\.triage_accuracy must be <= 1, got 1\.5",
    ),
    (
        "rule-after-otherwise",
        lambda d: d["policy"].append(
            {"when": {"intent": "praise"}, "then": {"route": "care", "respond_within": "1h"}}
        ),
        r"policy\[5\] must not follow the otherwise rule \(policy\[4\]\)",
    ),
    (
        "route-no-tier-works",
        lambda d: d["policy"][3]["then"].update(route="lgal"),
        r"policy\[3\]\.then\.route must be a route some team tier works \(care, legal\), "
        r"got 'lgal'",
    ),
    (
        "tier-not-in-team",
        lambda d: d["policy"][3]["then"].update(tier=3),
        r"policy\[3\]\.then\.tier must be a team tier \(1, 2\), got 3",
    ),
    (
        "respond-within-missing",
        lambda d: d["policy"][3]["then"].pop("respond_within"),
        r"policy\[3\]\.then\.respond_within must be given when the post needs an answer",
    ),
    (
        "when-without-then",
        lambda d: d["policy"].insert(0, {"when": {"intent": "praise"}}),
        r"policy\[0\]\.then must be given with when",
    ),
    (
        "then-without-when",
        lambda d: d["policy"].insert(0, {"then": {"route": "care", "respond_within": "1h"}}),
        r"policy\[0\]\.when must be given with then",
    ),
    (
        "otherwise-with-when",
        lambda d: d["policy"][4].update(when={"intent": "praise"}),
        r"policy\[4\] must be either \{when, then\} or \{otherwise\} alone",
    ),
    (
        "when-unknown-intent",
        lambda d: d["policy"][3]["when"].update(intent=["complaint", "rant"]),
        r"policy\[3\]\.when\.intent must be one of complaint, .*got 'rant'",
    ),
    (
        "when-followers-comparison",
        lambda d: d["policy"][2]["when"].update(followers="lots"),
        r"policy\[2\]\.when\.followers must be a comparison like \">=10000\"",
    ),
    (
        "when-unknown-field",
        lambda d: d["policy"][2]["when"].update(folowers=">=1"),
        r"policy\[2\]\.when: unknown field 'folowers'",
    ),
    (
        "when-unknown-incident",
        lambda d: d["policy"][2]["when"].update(incident=["outtage"]),
        r"policy\[2\]\.when\.incident must name incidents \(outage\), got 'outtage'",
    ),
    (
        "priority-unknown",
        lambda d: d["policy"][2]["then"].update(priority="urgent"),
        r"policy\[2\]\.then\.priority must be 'p1', 'p2', 'p3' or 'p4', got 'urgent'",
    ),
    (
        "incident-duplicate-id",
        lambda d: d["incidents"].append(dict(d["incidents"][0])),
        r"incidents\[1\]\.id must be unique, got 'outage' twice",
    ),
    (
        "incident-after-end",
        lambda d: d["incidents"][0].update(at="11m"),
        r"incidents\[0\]\.at must be before the scenario end \(600s\), got 660s",
    ),
    (
        "wave-after-end",
        lambda d: d["incidents"][0]["waves"][0].update(at="20m"),
        r"incidents\[0\]\.waves\[0\]\.at must be before the scenario end",
    ),
    (
        "trigger-zero-length",
        lambda d: d["incidents"][0]["trigger"].update({"for": "0s"}),
        r"incidents\[0\]\.trigger\.for must be > 0",
    ),
    (
        "journey-unknown-channel",
        lambda d: d["journeys"].update(path=["email", "carrier-pigeon"]),
        r"journeys\.path\[1\] must be a known channel .*got 'carrier-pigeon'",
    ),
    (
        "journey-path-too-short",
        lambda d: d["journeys"].update(path=["email"]),
        r"journeys\.path must have at least 2 items",
    ),
    (
        "brand-handle",
        lambda d: d["brand"].update(handle="NorthwindAir"),
        r"brand\.handle must be a handle like @NorthwindAir, got 'NorthwindAir'",
    ),
    (
        "brand-no-products",
        lambda d: d["brand"].update(products=[]),
        r"brand\.products must not be empty",
    ),
    ("name-slug", lambda d: d.update(name="Bad Name"), r"name must be a lowercase name"),
    (
        "start-not-iso",
        lambda d: d.update(start="yesterday"),
        r"start must be an ISO 8601 time like 2026-03-14T08:00:00Z, got 'yesterday'",
    ),
    (
        "section-not-mapping",
        lambda d: d.update(baseline=["rate", "240/h"]),
        r"baseline must be a mapping, got a list of 2",
    ),
    ("seed-negative", lambda d: d.update(seed=-1), r"seed must be >= 0, got -1"),
]


@pytest.mark.parametrize(
    ("mutate", "match"), [b[1:] for b in BRANCHES], ids=[b[0] for b in BRANCHES]
)
def test_rejects_with_one_line(
    tiny_scenario_data: dict[str, Any], mutate: Mutator, match: str
) -> None:
    _reject(tiny_scenario_data, mutate, match)


def test_error_follows_the_file_field_expected_found_shape(
    tiny_scenario_data: dict[str, Any],
) -> None:
    message = _reject(
        tiny_scenario_data,
        lambda d: d["incidents"][0]["cascade"].update(branching=1.3),
        "branching",
    )
    assert re.fullmatch(r"tiny\.yaml: [\w.\[\]]+ must be .+, got .+", message)


def test_a_control_character_in_a_bad_value_keeps_the_message_on_one_line(
    tiny_scenario_data: dict,
) -> None:
    # found by test_scenario_properties: a mapping key "\n" printed as is broke the line
    tiny_scenario_data["name"] = {"\n": None}
    with pytest.raises(InputError) as err:
        parse_scenario(tiny_scenario_data, "tiny.yaml")
    assert str(err.value) == "tiny.yaml: name must be a string, got a mapping {\\x0a}"
