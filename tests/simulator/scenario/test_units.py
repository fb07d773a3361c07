"""Durations and rates: every accepted form and every rejection."""

from __future__ import annotations

import pytest

from simulator.scenario.units import format_duration, parse_duration, parse_rate


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("20m", 1200.0),
        ("1h10m", 4200.0),
        ("500ms", 0.5),
        ("2d", 172800.0),
        ("1.5h", 5400.0),
        ("1h0m30s", 3630.0),
        ("1m30s500ms", 90.5),
        (" 3m ", 180.0),
        (45, 45.0),
        (2.5, 2.5),
        ("0s", 0.0),
        ("10min", 600.0),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "a duration like"),
        ("3x", "a duration like"),
        ("10m1h", "largest unit first"),
        ("1h1h", "largest unit first"),
        ("h", "a duration like"),
        ("-5s", "a duration like"),
        (-5, "not negative"),
        (True, "a duration like"),
        (None, "a duration like"),
        ([1], "a duration like"),
    ],
)
def test_parse_duration_rejects(value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("240/h", 240 / 3600),
        ("4/s", 4.0),
        ("10/m", 10 / 60),
        ("10/min", 10 / 60),
        ("2400/d", 2400 / 86400),
        ("0.5/s", 0.5),
        (" 6 / h ", 6 / 3600),
        (3, 3.0),
        (0, 0.0),
    ],
)
def test_parse_rate(text: object, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("240", "a rate like"),
        ("240/y", "a rate like"),
        ("fast", "a rate like"),
        ("/h", "a rate like"),
        (-1, "not negative"),
        (False, "a rate like"),
        (None, "a rate like"),
    ],
)
def test_parse_rate_rejects(value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_rate(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.5, "500ms"), (90, "1m30s"), (4500, "1h15m"), (90000, "1d1h")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_and_parse_round_trip() -> None:
    for seconds in (1, 59, 61, 3599, 3661, 86399, 200000):
        assert parse_duration(format_duration(seconds)) == seconds
