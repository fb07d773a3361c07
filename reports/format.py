"""Number formatting for the report (jinja2 filters): durations, shares, counts, ms."""

from __future__ import annotations

import math
from typing import Any

DASH = "–"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def duration(seconds: Any) -> str:
    """``2.0 s``, ``4 min 10 s``, ``1 h 05 min``."""
    if _missing(seconds):
        return DASH
    s = float(seconds)
    if s < 60:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    if s < 3600:
        m, rest = divmod(round(s), 60)
        return f"{m} min {rest:02d} s" if rest else f"{m} min"
    h, rest = divmod(round(s / 60), 60)
    return f"{h} h {rest:02d} min"


def percent(share: Any, digits: int = 1) -> str:
    """0.9512 -> ``95.1%``."""
    if _missing(share):
        return DASH
    return f"{100 * float(share):.{digits}f}%"


def count(value: Any) -> str:
    """Thousands separators."""
    if _missing(value):
        return DASH
    return f"{int(value):,}" if float(value).is_integer() else f"{float(value):,.2f}"


def ms(value: Any) -> str:
    """Milliseconds, three significant figures."""
    if _missing(value):
        return DASH
    v = float(value)
    return f"{v:.3g} ms" if v < 1000 else f"{v / 1000:.3g} s"


def number(value: Any, digits: int = 3) -> str:
    """A plain number, a few significant figures."""
    if _missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):.{digits}g}"


FILTERS = {"duration": duration, "percent": percent, "count": count, "ms": ms, "number": number}
