"""Durations and rates as written in scenario files, converted to seconds.

Durations: ``90s``, ``20m``, ``1h10m``, ``500ms``, ``2d``, ``1.5h`` (components largest first),
or a bare number meaning seconds. Rates: ``240/h``, ``4/s``, ``10/m`` (also ``/min``, ``/d``),
or a bare number meaning per second. Both parsers raise ``ValueError`` whose text completes
the sentence "<field> must be ..." so the scenario loader can name the field.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration", "parse_rate"]

_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = ["d", "h", "m", "s", "ms"]
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|min|d|h|m|s)")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(ms|min|d|h|m|s)\s*$")

DURATION_EXPECTED = "a duration like 90s, 20m, 1h10m or 500ms"
RATE_EXPECTED = "a rate like 240/h, 10/m or 4/s"


def parse_duration(value: object) -> float:
    """Return a duration in seconds; numbers are taken as seconds already.

    Raises ``ValueError("a duration like ..., got '...'")`` on anything else, including
    negative numbers and components out of order (``10m1h``).
    """
    if isinstance(value, bool):
        raise ValueError(f"{DURATION_EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{DURATION_EXPECTED} (not negative), got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{DURATION_EXPECTED}, got {value!r}")
    text = value.strip().replace(" ", "")
    if not text:
        raise ValueError(f"{DURATION_EXPECTED}, got {value!r}")
    pos = 0
    total = 0.0
    last_rank = -1
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        unit = "m" if match.group(2) == "min" else match.group(2)
        rank = _ORDER.index(unit)
        if rank <= last_rank:
            raise ValueError(f"{DURATION_EXPECTED} (largest unit first), got {value!r}")
        last_rank = rank
        total += float(match.group(1)) * _UNIT_SECONDS[unit]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"{DURATION_EXPECTED}, got {value!r}")
    return total


def parse_rate(value: object) -> float:
    """Return a rate in events per second; numbers are taken as per second already."""
    if isinstance(value, bool):
        raise ValueError(f"{RATE_EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{RATE_EXPECTED} (not negative), got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{RATE_EXPECTED}, got {value!r}")
    match = _RATE.match(value)
    if not match:
        raise ValueError(f"{RATE_EXPECTED}, got {value!r}")
    return float(match.group(1)) / _UNIT_SECONDS[match.group(2)]


def format_duration(seconds: float) -> str:
    """Render seconds compactly (``4500`` -> ``1h15m``) for summaries and messages."""
    if seconds < 1 and seconds > 0:
        return f"{seconds * 1000:g}ms"
    rest = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"
