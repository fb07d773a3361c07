"""Following ``actions.jsonl`` while the platform endpoint appends to it (live runs).

``ActionTail(path).new()`` returns the actions appended since the last call, as dicts in
file order. A half-written last line waits for the next call; a line that is not a JSON
object is skipped (the endpoint writes whole objects, so only a torn write can make one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

__all__ = ["ActionTail"]


class ActionTail:
    """The new complete lines of an appended JSONL file, one call at a time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offset = 0

    def new(self) -> list[dict[str, Any]]:
        """Actions appended since the last call (none while the file does not exist)."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1
        self._offset += end
        out = []
        for line in data[:end].splitlines():
            try:
                action = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(action, dict):
                out.append(action)
        return out
