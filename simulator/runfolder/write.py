"""Writing a run folder's files other than the event table (docs/architecture.md).

``write_json`` writes ``replay.json``, ``team.json``, ``reactions.json`` and ``live.json``
(indented); ``write_sends`` writes ``sends.npz`` (the per-event send arrays);
``write_actions`` writes ``Action`` records to ``actions.jsonl`` (simulate),
``append_lines`` appends objects to a JSONL file (injected posts to ``events.jsonl``,
``captures.jsonl``) and ``ActionLog`` is the platform
endpoint's live ``actions.jsonl``: every action appended and flushed at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from simulator.runfolder.records import Action

__all__ = ["ActionLog", "append_lines", "write_actions", "write_json", "write_sends"]

LINES_PER_WRITE = 20_000


def write_json(path: Path, data: dict[str, Any]) -> None:
    """One JSON object, indented."""
    Path(path).write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def append_lines(path: Path, rows: Iterable[dict[str, Any]], *, truncate: bool = False) -> int:
    """Append one JSON object per line (``truncate``: start the file afresh); the count."""
    count = 0
    chunk: list[bytes] = []
    with open(path, "wb" if truncate else "ab") as fh:
        for row in rows:
            chunk.append(orjson.dumps(row))
            if len(chunk) >= LINES_PER_WRITE:
                fh.write(b"\n".join(chunk) + b"\n")
                count, chunk = count + len(chunk), []
        if chunk:
            fh.write(b"\n".join(chunk) + b"\n")
    return count + len(chunk)


def write_actions(path: Path, actions: Iterable[Action], *, truncate: bool = False) -> int:
    """Append ``actions`` to ``actions.jsonl`` (``truncate``: start it afresh); the count."""
    return append_lines(path, (a.as_dict() for a in actions), truncate=truncate)


class ActionLog:
    """``actions.jsonl`` as the platform endpoint receives actions: appended, flushed each."""

    def __init__(self, path: Path) -> None:
        self.fh = Path(path).open("ab")

    def append(self, action: dict[str, Any]) -> None:
        self.fh.write(orjson.dumps(action) + b"\n")
        self.fh.flush()


def write_sends(path: Path, *, intended_s: np.ndarray, lag_ms: np.ndarray,
                latency_ms: np.ndarray, service_ms: np.ndarray, status: np.ndarray) -> None:
    """``sends.npz``: equal-length arrays, one entry per event in events.jsonl order."""
    np.savez(path, intended_s=intended_s.astype(np.float64), lag_ms=lag_ms,
             latency_ms=latency_ms, service_ms=service_ms, status=status.astype(np.int32))
