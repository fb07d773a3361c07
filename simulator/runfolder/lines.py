"""The line parser of ``events.jsonl`` and ``actions.jsonl``: orjson, one line at a time.

``read_rows`` is what the pyarrow reader (``arrow.read_file``) falls back to when pyarrow
cannot read a file as the schema says: every non-blank line parsed, with its line number, so
that a bad line is named (``InputError``: file, line, what was expected).
``read_event_dicts`` gives the events as dicts in file order (the replay renders requests
from them, without loading pyarrow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from simulator.errors import InputError
from simulator.runfolder.event_table import gc_paused

__all__ = ["read_event_dicts", "read_rows"]

CHUNK_LINES = 65_536  # lines parsed per orjson pass (a bad one is then found line by line)


def read_event_dicts(path: Path) -> list[dict[str, Any]]:
    """``events.jsonl`` (DESIGN.md section 5) as dicts, in file order."""
    events: list[dict[str, Any]] = []
    with gc_paused():
        for _, _, rows in _chunks(Path(path)):
            events += rows
    return events


def read_rows(path: Path) -> tuple[list[Any], list[int]]:
    """Every non-blank line of a JSONL file parsed, and its line number."""
    rows: list[Any] = []
    numbers: list[int] = []
    with gc_paused():
        for first, chunk, parsed in _chunks(Path(path)):
            rows += parsed
            numbers += [first + k for k, line in enumerate(chunk) if line and not line.isspace()]
    return rows, numbers


def _chunks(path: Path) -> Iterator[tuple[int, list[bytes], list[Any]]]:
    """``(first line number, lines, parsed rows)`` of a JSONL file, CHUNK_LINES lines at a
    time (blank lines skipped)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: must be a readable file, got {err.strerror}") from err
    lines = raw.splitlines()
    del raw
    loads = orjson.loads
    for offset in range(0, len(lines), CHUNK_LINES):
        chunk = lines[offset : offset + CHUNK_LINES]
        try:
            rows = [loads(line) for line in chunk if line and not line.isspace()]
        except orjson.JSONDecodeError:
            rows = []
            for number, line in enumerate(chunk, start=offset + 1):
                if not line or line.isspace():
                    continue
                try:
                    rows.append(loads(line))
                except orjson.JSONDecodeError as err:
                    raise InputError(
                        f"{path}: line {number} must be one JSON object, got {err}"
                    ) from err
        yield offset + 1, chunk, rows
