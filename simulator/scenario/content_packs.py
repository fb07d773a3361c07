"""Industry vocabulary packs and the scenario's ``content:`` section, merged into a Vocabulary.

A pack (``simulator/scenario/packs/<industry>.yaml``, package data) holds what belongs to
one kind of business: its marker words, suggested products, the share of security posts written in
leetspeak, the words the common templates need (``content_templates.SLOTS``), baseline topics,
its own templates and extra sentences per intent, and community slang for short posts. Packs
are validated when first loaded, with the same one-line messages as scenario files.

``vocabulary(industry, content)`` merges, in order: the common templates, the pack, then the
scenario's ``content.replace`` (a list replaces the whole list of that name) and
``content.add`` (appended; new word names allowed). The result is what the renderer uses.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.errors import InputError
from simulator.scenario.content_templates import (
    COMMON_CORES,
    COMMON_EXTRAS,
    COMMON_TAILS,
    COMMON_WORDS,
    FIELDS,
    SLOTS,
)
from simulator.scenario.validation import format_validation_error, read_yaml_mapping
from simulator.scenario.vocab import INTENTS

__all__ = [
    "DEFAULT_INDUSTRY",
    "INDUSTRIES",
    "ContentChanges",
    "ContentSection",
    "Pack",
    "Vocabulary",
    "check_placeholders",
    "content_problem",
    "load_pack",
    "read_pack",
    "marker_pattern",
    "vocabulary",
]

PACK_DIR = Path(__file__).resolve().parent / "packs"
INDUSTRIES: tuple[str, ...] = tuple(sorted(p.stem for p in PACK_DIR.glob("*.yaml")))
DEFAULT_INDUSTRY = "generic"
_WORD_NAME = r"^[a-z][a-z0-9_]{0,30}$"


def _clean(text: str) -> str:
    """A fragment: one line, no outer or doubled spaces (joins never double a space)."""
    if not text or text != text.strip() or "  " in text or "\n" in text:
        raise ValueError(
            f"one line of text without leading, trailing or double spaces, got {text!r}"
        )
    return text


def _plain(text: str) -> str:
    """A word list entry: clean text without placeholders."""
    _clean(text)
    if "{" in text or "}" in text:
        raise ValueError(f"text without placeholders or braces, got {text!r}")
    return text


Fragment = Annotated[str, AfterValidator(_clean)]
Word = Annotated[str, AfterValidator(_plain)]
Fragments = Annotated[tuple[Fragment, ...], Field(min_length=1)]
Words = Annotated[tuple[Word, ...], Field(min_length=1)]


def _intent_keys(value: dict[str, object]) -> dict[str, object]:
    for name in value:
        if name not in INTENTS:
            known = ", ".join(INTENTS)
            raise ValueError(f"@{name}: must be a known intent ({known}), got {name!r}")
    return value


def _word_keys(value: dict[str, object]) -> dict[str, object]:
    for name in value:
        if name in FIELDS:
            raise ValueError(
                f"@{name}: must not be a built-in field ({', '.join(FIELDS)}), got {name!r}"
            )
        if not re.match(_WORD_NAME, name):
            raise ValueError(f"@{name}: must be a lowercase word name like site, got {name!r}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContentChanges(_Model):
    """Word lists, baseline topics, templates and extras per intent, and short-post tails."""

    words: dict[str, Words] = {}
    topics: dict[str, Words] = {}
    templates: dict[str, Fragments] = {}
    extras: dict[str, Fragments] = {}
    tails: tuple[Fragment, ...] = ()

    _words = field_validator("words")(_word_keys)
    _topics = field_validator("topics")(_intent_keys)
    _templates = field_validator("templates")(_intent_keys)
    _extras = field_validator("extras")(_intent_keys)


class ContentSection(_Model):
    """The scenario's ``content:``: changes to its industry pack (docs/scenarios.md)."""

    replace: ContentChanges = ContentChanges()
    add: ContentChanges = ContentChanges()
    leetspeak: float | None = Field(default=None, ge=0.0, le=1.0)


class Pack(ContentChanges):
    """One industry pack file."""

    industry: str = Field(pattern=_WORD_NAME)
    markers: tuple[Word, ...] = ()
    products: Words
    leetspeak: float = Field(ge=0.0, le=1.0)

    @field_validator("words")
    @classmethod
    def _has_slots(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        missing = [s for s in SLOTS if s not in value]
        if missing:
            raise ValueError(f"the words {', '.join(SLOTS)}, got none for {', '.join(missing)}")
        return value

    @field_validator("topics")
    @classmethod
    def _has_topics(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        if "complaint" not in value or "question" not in value:
            raise ValueError(f"topics for complaint and question, got {sorted(value) or 'none'}")
        return value


@dataclass(frozen=True)
class Vocabulary:
    """Everything the renderer draws from: merged common templates, pack and scenario."""

    industry: str
    cores: Mapping[str, tuple[str, ...]]  # every intent, non-empty
    extras: Mapping[str, tuple[str, ...]]  # every intent (may be empty)
    topics: Mapping[str, tuple[str, ...]]  # baseline topics; question's for intents without
    words: Mapping[str, tuple[str, ...]]
    tails: tuple[str, ...]
    leetspeak: float
    markers: tuple[str, ...]

    def baseline_topics(self, intent: str) -> tuple[str, ...]:
        return self.topics.get(intent) or self.topics["question"]


@cache
def load_pack(industry: str) -> Pack:
    """The validated pack of ``industry``; ``InputError`` (one line) if it is unknown or bad."""
    if industry not in INDUSTRIES:
        raise InputError(f"brand.industry must be one of {', '.join(INDUSTRIES)}, got {industry!r}")
    return read_pack(PACK_DIR / f"{industry}.yaml", f"simulator/scenario/packs/{industry}.yaml")


def read_pack(path: Path, source: str) -> Pack:
    """Read and validate one pack file ``<industry>.yaml``; ``source`` names it in errors."""
    try:
        pack = Pack.model_validate(read_yaml_mapping(path))
    except ValidationError as err:
        raise InputError(format_validation_error(err, source)) from err
    if pack.industry != path.stem:
        raise InputError(f"{source}: industry must be {path.stem!r}, got {pack.industry!r}")
    # the pack's own lists (the common templates only use SLOTS, which every pack has)
    words = COMMON_WORDS | dict(pack.words)
    problem = check_placeholders(pack.templates, pack.extras, pack.tails, words)
    if problem:
        raise InputError(f"{source}: {problem}")
    return pack


@cache
def marker_pattern(industry: str) -> re.Pattern[str] | None:
    """A regex finding any of the pack's marker words (whole words, any case; None if none).

    Words inside handles (``@gatekeeper``) do not count: they name people, not the business.
    """
    words = load_pack(industry).markers
    if not words:
        return None
    return re.compile(r"(?<![\w@])(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)


def _with_common(
    pack: Pack,
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], tuple[str, ...]]:
    cores = {i: COMMON_CORES[i] + pack.templates.get(i, ()) for i in INTENTS}
    extras = {i: COMMON_EXTRAS.get(i, ()) + pack.extras.get(i, ()) for i in INTENTS}
    return cores, extras, COMMON_TAILS + pack.tails


def vocabulary(industry: str, content: ContentSection | None = None) -> Vocabulary:
    """Common templates + the pack of ``industry`` + the scenario's ``content`` changes."""
    pack = load_pack(industry)
    cores, extras, tails = _with_common(pack)
    topics, words = dict(pack.topics), COMMON_WORDS | dict(pack.words)
    leetspeak = pack.leetspeak
    if content is not None:
        for changes, replace in ((content.replace, True), (content.add, False)):
            _apply(cores, changes.templates, replace)
            _apply(extras, changes.extras, replace)
            _apply(topics, changes.topics, replace)
            _apply(words, changes.words, replace)
            if changes.tails:
                tails = changes.tails if replace else tails + changes.tails
        if content.leetspeak is not None:
            leetspeak = content.leetspeak
    return Vocabulary(industry, cores, extras, topics, words, tails, leetspeak, pack.markers)


def content_problem(industry: str, content: ContentSection) -> str | None:
    """Why the scenario's ``content`` does not fit its pack, as ``@path: must ...`` (or None)."""
    words = vocabulary(industry, content).words
    for kind in ("replace", "add"):
        changes: ContentChanges = getattr(content, kind)
        problem = check_placeholders(
            changes.templates, changes.extras, changes.tails, words, f"content.{kind}."
        )
        if problem:
            path, _, rest = problem.partition(" must ")
            return f"@{path}: must {rest}"
    return None


def _apply(
    into: dict[str, tuple[str, ...]], changes: Mapping[str, tuple[str, ...]], replace: bool
) -> None:
    for name, values in changes.items():
        into[name] = values if replace else into.get(name, ()) + values


def check_placeholders(
    cores: Mapping[str, Iterable[str]],
    extras: Mapping[str, Iterable[str]],
    tails: Iterable[str],
    words: Mapping[str, object],
    where: str = "",
) -> str | None:
    """The first template using an unknown or malformed placeholder, as a message (or None).

    ``where`` prefixes the field path (``content.add.``); the path names the first list the
    bad fragment appears in.
    """
    known = set(FIELDS) | set(words)
    groups = [(f"templates.{i}", v) for i, v in cores.items()]
    groups += [(f"extras.{i}", v) for i, v in extras.items()] + [("tails", tails)]
    for path, fragments in groups:
        for k, text in enumerate(fragments):
            bad = _bad_placeholder(text, known)
            if bad:
                names = ", ".join("{" + n + "}" for n in sorted(known))
                return f"{where}{path}[{k}] must use known placeholders ({names}), got {bad}"
    return None


def _bad_placeholder(text: str, known: set[str]) -> str | None:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return f"unbalanced braces in {text!r}"
    for _, name, spec, conv in parsed:
        if name is None:
            continue
        if name not in known or spec or conv:
            return "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
    return None
