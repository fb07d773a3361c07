"""The reference stack's tests: a platform sink that records the actions the stack posts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.loopback import InThreadServer, QuietHandler


class ActionSink(InThreadServer):
    """A small platform endpoint in a thread: records every POSTed JSON body in `actions`."""

    def __init__(self, port: int | None = None, status: int = 200):
        self.actions: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = status
        self._cond = threading.Condition()
        sink = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink._cond:
                    sink.actions.append(json.loads(body))
                    sink.headers.append({k.lower(): v for k, v in self.headers.items()})
                    sink._cond.notify_all()
                self.answer(sink.status)

        super().__init__(Handler, port or 0)

    def wait_for(self, pred: Callable[[list[dict[str, Any]]], bool],
                 timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until `pred(actions)` holds; return a copy of the actions, or fail the test."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self.actions):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"platform sink: condition not met in {timeout}s; "
                                f"got {len(self.actions)} actions: {self.actions[-5:]}")
                self._cond.wait(min(left, 0.2))
            return list(self.actions)

    def of(self, event_id: str, action: str | None = None) -> list[dict[str, Any]]:
        """Actions recorded for one event (optionally of one kind), in arrival order."""
        with self._cond:
            return [a for a in self.actions if a.get("event_id") == event_id
                    and (action is None or a.get("action") == action)]


@pytest.fixture
def carestack_sink() -> Iterator[Callable[..., ActionSink]]:
    """Factory: `carestack_sink(port=None, status=200)` starts an ActionSink; all stop after."""
    sinks: list[ActionSink] = []

    def start(port: int | None = None, status: int = 200) -> ActionSink:
        sink = ActionSink(port, status)
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        sink.stop()
