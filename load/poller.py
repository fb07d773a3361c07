"""Polling during the drill: read each open case back from the stack on an interval.

Runs in the platform endpoint's process (asyncio, httpx), beside the callbacks, so a change
seen by a webhook is not reported again by a poll (``load.inbound`` holds each case's state).
A case is polled once the sender has streamed its capture (the stack accepted it) and until
it is closed; each round sends ``GET path`` (the profile's ``poll.path``, with the profile's
``headers`` but Content-Type, and ``poll.headers`` on top; templates over ``event``,
``capture``, ``vars`` and ``env``) for every open case, at most
``poll.concurrency`` at a time, then waits for the rest of ``poll.every``. Answers are mapped
with the profile's ``poll`` mapping; an action is stamped with the answer's arrival, so a
change is seen up to one interval late. Every failure is counted by reason (HTTP status,
connection error, not JSON, mapping error) and the first few are kept with their reason.
``finish()`` runs one last round after the grace period, then stops.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import jinja2
import orjson

from load.casemap import CaseMapper, Unmapped
from load.inbound import InboundHub

__all__ = ["Poller"]

KEEP_FAILURES = 20


class Poller:
    """The poll loop for one run; start it once the run's start time is known."""

    def __init__(self, hub: InboundHub) -> None:
        profile = hub.profile
        spec = profile.profile.poll
        assert spec is not None
        self.hub = hub
        self.spec = spec
        self.mapper = CaseMapper(spec, profile.env)
        self.path = profile.env.from_string(spec.path)
        # the profile's own headers (its credentials), then the poll's own on top
        headers = {k: v for k, v in profile.profile.headers.items()
                   if k.lower() != "content-type"}
        self.headers = {k: profile.env.from_string(v) for k, v in {**headers,
                                                                   **spec.headers}.items()}
        self.base_url = profile.base_url
        self.rounds = 0
        self.requests = 0
        self.ok = 0
        self.actions = 0
        self.failed: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def finish(self) -> None:
        """Stop the loop, then one last round over the open cases."""
        self._stop.set()
        if self._task is not None:
            await self._task
        await self._round()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            await self._round()
            wait = self.spec.every - (time.monotonic() - began)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=max(wait, 0.0))
            except TimeoutError:
                pass

    def _open_cases(self) -> list[str]:
        states = self.hub.states
        return [eid for eid in self.hub.captured if not states[eid].closed]

    async def _round(self) -> None:
        cases = self._open_cases()
        if not cases:
            return
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.spec.timeout,
                                             limits=httpx.Limits(
                                                 max_connections=self.spec.concurrency))
        self.rounds += 1
        gate = asyncio.Semaphore(self.spec.concurrency)

        async def one(event_id: str) -> None:
            async with gate:
                try:
                    await self._poll(event_id)
                except Exception as err:  # a surprise must not end the polling: count it
                    self._fail(f"error:{type(err).__name__}", event_id)

        await asyncio.gather(*(one(eid) for eid in cases))

    def _fail(self, reason: str, event_id: str) -> None:
        reason = self.hub.redact.text(reason)
        self.failed[reason] += 1
        if len(self.failures) < KEEP_FAILURES:
            self.failures.append({"event_id": event_id, "reason": reason})

    async def _poll(self, event_id: str) -> None:
        hub = self.hub
        ctx = {**hub.ctx, "event": hub.events.get(event_id, {}),
               "capture": hub.captured.get(event_id, {})}
        try:
            path = self.path.render(ctx)
            headers = {k: t.render(ctx) for k, t in self.headers.items()}
        except jinja2.TemplateError as err:
            self._fail(f"template error: {err}", event_id)
            return
        assert self._client is not None
        self.requests += 1
        try:
            resp = await self._client.request(self.spec.method, path, headers=headers)
        except httpx.HTTPError as err:
            self._fail(f"error:{type(err).__name__}", event_id)
            return
        arrival = time.time()
        if resp.status_code not in self.spec.accept:
            self._fail(f"HTTP {resp.status_code}", event_id)
            return
        try:
            payload = orjson.loads(resp.content or b"null")
        except orjson.JSONDecodeError:
            self._fail("answer is not JSON", event_id)
            return
        try:
            self.actions += hub.apply(event_id, self.mapper, payload, arrival, "poll")
        except Unmapped as err:
            self._fail(f"mapping: {err}", event_id)
            return
        self.ok += 1

    def stats(self) -> dict[str, Any]:
        return {"every_s": self.spec.every, "rounds": self.rounds, "requests": self.requests,
                "ok": self.ok, "failed": sum(self.failed.values()),
                "failed_by_reason": dict(self.failed.most_common(20)),
                "failures": self.failures, "actions": self.actions}
