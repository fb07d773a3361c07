"""Reading YAML input files and turning validation failures into one-line messages.

Every user mistake becomes ``<file>: <field.path> must be <expected>, got <found>``.
Validators in our models raise ``ValueError`` with text that completes that sentence; a text
starting with ``@sub.path:`` names a field below the validator's own location (used by
cross-field checks, e.g. ``@team.tiers[1].shifts[0].from: must ...``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.errors import InputError

__all__ = ["MAX_INPUT_BYTES", "MIX_TOLERANCE", "format_validation_error", "mix_validator",
           "read_yaml_mapping"]

_MAX_GOT = 60
_CONTROL = {i: f"\\x{i:02x}" for i in range(32)}
# Scenario files are a few kB; refusing anything bigger before parsing keeps a stray data file
# (or a YAML bomb) from hanging the loader.
MAX_INPUT_BYTES = 5_000_000
MIX_TOLERANCE = 0.01
# Fields that are plain numbers even though their model type also accepts durations.
_PLAIN_NUMBERS = {"theta": "a number > 0 (the power-law tail exponent, e.g. 0.23)"}
_WRONG_TYPE = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "literal_error": "",
}
_PATTERNS = {
    r"^[a-z0-9][a-z0-9_.-]*$": "a lowercase name (letters, digits, '-', '_', '.')",
    r"^@\w{1,30}$": "a handle like @NorthwindAir",
}


def read_yaml_mapping(path: Path, max_bytes: int = MAX_INPUT_BYTES) -> object:
    """Read a YAML file; raise ``InputError`` for unreadable, oversized files and syntax errors.

    A file over ``max_bytes`` is refused from its size alone, before it is read or parsed.
    Returns whatever the YAML holds (``None`` for an empty file): the caller checks its shape.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: must be an existing file, got no such file") from None
    except OSError as err:
        raise InputError(f"{path}: must be a readable UTF-8 file, got {err}") from err
    if size > max_bytes:
        raise InputError(
            f"{path.name}: file must be at most {max_bytes / 1e6:g} MB, got {size / 1e6:.1f} MB"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: must be an existing file, got no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: must be a readable UTF-8 file, got {err}") from err
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(f"{path.name}: must be valid YAML{where}, got {problem}") from err


def _is_tag(part: object) -> bool:
    """True for pydantic's union-branch and function markers inside an error location."""
    return isinstance(part, str) and any(ch in part for ch in "[(-")


def _join(parts: list[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("["):
            out += str(part)
        elif not str(part).isprintable() or any(c.isspace() for c in str(part)):
            out += f"[{str(part)!r}]"  # a key with a newline must not break the one line
        else:
            out += ("." if out else "") + str(part)
    return out


def _got(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        text = "a mapping {" + ", ".join(map(str, list(value)[:6])) + "}"
    elif isinstance(value, list):
        text = f"a list of {len(value)}"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = repr(value)
    text = text.translate(_CONTROL)  # a key like "\n" must not break the one-line message
    return text if len(text) <= _MAX_GOT else text[: _MAX_GOT - 3] + "..."


def _pick(errors: list[Any]) -> Any:
    """The most useful error: skip union branches that merely had the wrong type."""
    useful = [
        e for e in errors if not (e["loc"] and _is_tag(e["loc"][-1]) and e["type"] in _WRONG_TYPE)
    ]
    return (useful or errors)[0]


def _describe(error: Any) -> tuple[str, str]:
    """Return (extra path, 'must be ..., got ...') for one pydantic error."""
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", error["msg"]))
        extra = ""
        if text.startswith("@"):
            extra, _, text = text[1:].partition(": ")
        if not text.startswith("must"):
            text = "must be " + text
        if ", got " not in text:
            text += f", got {_got(given)}"
        return extra, text
    if kind == "missing":
        return "", "must be given, got nothing"
    if kind == "literal_error":
        return "", f"must be {ctx.get('expected', 'one of the allowed values')}, got {_got(given)}"
    if kind in _WRONG_TYPE:
        return "", f"must be {_WRONG_TYPE[kind]}, got {_got(given)}"
    bounds = {
        "greater_than": ("> ", "gt"),
        "greater_than_equal": (">= ", "ge"),
        "less_than": ("< ", "lt"),
        "less_than_equal": ("<= ", "le"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        limit = ctx.get(key)
        shown = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return "", f"must be {op}{shown}, got {_got(given)}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        expected = _PATTERNS.get(pattern, "text matching " + pattern)
        return "", f"must be {expected}, got {_got(given)}"
    if kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length", 1)
        what = "not be empty" if least == 1 else f"have at least {least} items"
        return "", f"must {what}, got {_got(given)}"
    if kind == "too_long":
        return "", f"must have at most {ctx.get('max_length')} items, got {_got(given)}"
    return "", f"must be valid ({error['msg']}), got {_got(given)}"


def _unknown_key(errors: list[Any], known_fields: Iterable[str]) -> tuple[Any, str] | None:
    """An unknown key, and the field it most likely meant (``brnching`` -> ``branching``).

    Reported before a "missing" error: a typo in a required key makes both, and the typo is
    what the user must fix. A missing key beside it is the best guess, else any known field.
    """
    extra = next((e for e in errors if e["type"] == "extra_forbidden"), None)
    if extra is None:
        return None
    parent = [p for p in extra["loc"] if not _is_tag(p)][:-1]
    key = str(extra["loc"][-1])
    siblings = [str(e["loc"][-1]) for e in errors if e["type"] == "missing"
                and [p for p in e["loc"] if not _is_tag(p)][:-1] == parent]
    close = (difflib.get_close_matches(key, siblings, n=1)
             or difflib.get_close_matches(key, sorted(set(known_fields)), n=1))
    return extra, (f" (did you mean {close[0]!r}?)" if close else "")


def format_validation_error(err: ValidationError, source: str,
                            known_fields: Iterable[str] = ()) -> str:
    """Turn a pydantic ``ValidationError`` into ``source: path must be X, got Y``.

    An unknown key is named first, with the close match among ``known_fields`` (difflib).
    """
    errors = err.errors()
    unknown = _unknown_key(errors, known_fields)
    error = unknown[0] if unknown else _pick(errors)
    parts = [p for p in error["loc"] if not _is_tag(p)]
    if error["type"] == "extra_forbidden":
        key = parts.pop() if parts else "?"
        where = _join(parts)
        hint = unknown[1] if unknown else ""
        return f"{source}: {where + ': ' if where else ''}unknown field {str(key)!r}{hint}"
    extra, text = _describe(error)
    field = extra or (str(parts[-1]) if parts else "")
    if field in _PLAIN_NUMBERS and "duration" in text.partition(", got ")[0]:
        text = f"must be {_PLAIN_NUMBERS[field]}, got {_got(error.get('input'))}"
    path = _join(parts + ([extra] if extra else []))
    return f"{source}: {path or '(top level)'} {text}"


def mix_validator(known: tuple[str, ...],
                  what: str) -> Callable[[dict[str, float]], dict[str, float]]:
    """Validator for ``{name: share}`` mixes: known names (``what``, e.g. "a known intent"),
    shares >= 0, summing to 1 within ``MIX_TOLERANCE``; returns the mix normalised."""

    def check(value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if name not in known:
                raise ValueError(f"@{name}: must be {what} ({', '.join(known)}), got {name!r}")
            if share < 0:
                raise ValueError(f"@{name}: must be >= 0, got {share:g}")
        total = sum(value.values())
        if not value or abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"must sum to 1 (within {MIX_TOLERANCE:g}), got {total:g}")
        return {k: v / total for k, v in value.items()}

    return check
