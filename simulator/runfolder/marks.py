"""The reactions' part of the run folder: annotated ``events.jsonl`` and ``reactions.json``.

One home for both producers (a drill's ``load.reacting`` and ``simulate``): the scripted
events keep their bytes except for ``prevented_by`` on prevented posts and ``cause`` on
journey follow-ups that silence let happen; the reaction posts (with ``cause``) follow the
scripted ones in the engine's numbering, then any lines already after them (live-injected
posts). ``reactions.json`` holds the engine's counts (docs/results.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from simulator.runfolder.write import write_json

if TYPE_CHECKING:
    from simulator.crowd.reactions import ReactionEngine

__all__ = ["annotate_events", "write_reactions_json"]


def annotate_events(path: Path, engine: ReactionEngine, prevented: Iterable[int],
                    silence: Iterable[int]) -> None:
    """Rewrite ``path`` (written with the scripted storm first) with the reactions' marks."""
    n = engine.n_scripted
    prevented = set(prevented)
    lines = Path(path).read_bytes().split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    scripted, after = lines[:n], lines[n:]
    edits: dict[int, dict[str, Any]] = {}
    for k in prevented:
        if k < n:
            edits[k] = {"prevented_by": engine.prevented_by.get(k)}
    for j in silence:
        if j not in prevented:
            edits.setdefault(j, {})["cause"] = engine.cause[j]
    for k, extra in edits.items():
        scripted[k] = orjson.dumps({**orjson.loads(scripted[k]), **extra})
    engine.render_texts()
    for post in engine.added:
        event = post.event
        if post.index in prevented:
            event = {**event, "prevented_by": engine.prevented_by.get(post.index)}
        scripted.append(orjson.dumps(event))
    Path(path).write_bytes(b"\n".join(scripted + after) + b"\n")


def write_reactions_json(run_dir: Path, summary: dict[str, Any], enabled: bool) -> None:
    """``reactions.json``: whether reactions ran and the engine's counts (docs/results.md)."""
    write_json(Path(run_dir) / "reactions.json", {"enabled": enabled, **summary})
