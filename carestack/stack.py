"""The service core: cases in memory and SQLite, triage, queues, agents and the outbox.

One ``Stack`` per process, built by ``carestack.app.create_app`` and passed explicitly
(no module globals). ``ingest(event)`` is idempotent on the event id (a retried post
gets the same case id). ``act(agent, case, action, extra)`` is the single place where a
decision (triage, reply, escalate, close) changes a case, is persisted and is posted.

Conversations: a post whose ``parent`` is a case's post (or one of its turns) and whose
author is that case's customer is an answer-back: it becomes a turn of the same case (same
case id, in its history), not a new case. A closed case reopens and is queued again at its
priority, for the agent who last worked it when that agent has a free slot. Each reply
answers the oldest message the customer waits on (``Case.waiting``): its ``event_id`` is
that message's, so the platform sees every turn answered.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

import numpy as np
import orjson

from .agents import AgentPool, Clock
from .config import Config
from .dispatch import Case, Dispatcher
from .outbox import Outbox
from .people import People
from .store import Store
from .triage import Triager

__all__ = ["TRIAGE_AGENT", "Stack"]

TRIAGE_AGENT = "triage"
# Cases live for the whole run, so the heap only grows; without care, each of Python's full
# cyclic-GC passes walks all of it and stalls ingest (measured: p99 from 2 ms to 100-250 ms at
# 2,000 events/s once 40,000 cases are held). Every FREEZE_S the objects alive by then move to
# the permanent generation (gc.freeze, O(1)): full passes then only walk what is new.
FREEZE_S = 1.0


async def _freeze_heap() -> None:
    while True:
        await asyncio.sleep(FREEZE_S)
        gc.freeze()


class Stack:
    """Everything one running reference stack holds; start with ``start()``."""

    def __init__(self, cfg: Config, platform_url: str, speed: float, db_path: str):
        self.cfg = cfg
        self.speed = speed
        self.store = Store(db_path)
        self.clock = Clock(speed)
        self.triager = Triager(cfg.vip_followers, cfg.misroute)
        self.dispatcher = Dispatcher()
        self.outbox = Outbox(platform_url, self.store, cfg.outbox, cfg.platform_secret)
        self.agents = AgentPool(cfg.tiers, self.dispatcher, self.clock,
                                np.random.default_rng(cfg.seed), self.act, cfg.agents_enabled)
        self.cases: dict[str, Case] = {}
        self.turns: dict[str, Case] = {}  # a turn's event id -> its case
        self.people = People()  # customers' journeys and threads, for the console
        self.accepted = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._restore()

    def _restore(self) -> None:
        """Reload the cases of a previous run on the same database; requeue the unfinished."""
        for row in self.store.load_cases():
            fields = {k: row[k] for k in row if k != "status"}
            case = Case(**fields)
            self.cases[case.event_id] = case
            if case.first_reply_at is None and row["status"] in ("queued", "open"):
                case.waiting.append(case.event_id)  # the customer still waits on it
            self.people.add(case, orjson.loads(case.event or "{}") | {"id": case.event_id})
            if row["status"] in ("queued", "open"):
                self.dispatcher.enqueue(case)
            else:
                case.status = row["status"]

    async def start(self) -> None:
        """Start the writer, the outbox senders, the agents and the heap freezer as tasks."""
        for coro in (self.store.run(), self.outbox.run(), self.agents.run(), _freeze_heap()):
            self._tasks.append(asyncio.create_task(coro))

    async def stop(self) -> None:
        """Cancel background work and flush everything to SQLite."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.store.close()

    def find(self, event_id: str) -> Case | None:
        """The case of a post or of one of its turns."""
        return self.cases.get(event_id) or self.turns.get(event_id)

    def ingest(self, event: dict[str, Any]) -> Case:
        """Accept one canonical event: triage it, keep it, queue it. Idempotent on ``id``.

        An answer-back (module docstring) becomes a turn of its case instead.
        """
        existing = self.find(event["id"])
        if existing is not None:
            return existing
        if self.cfg.sync_clock and not self.clock.synced and event.get("t") is not None:
            self.clock.sync(float(event["t"]))  # agents' shifts follow the drill's schedule
        author = event["author"]
        parent = self.find(event["parent"]) if event.get("parent") else None
        if (parent is not None and parent.handle == author["handle"]
                and parent.status in ("queued", "open", "closed")):
            self._turn(parent, event)
            return parent
        decision = self.triager.classify(event["text"], author["followers"], author["verified"],
                                         author["segment"])
        self.accepted += 1
        case = Case(
            event_id=event["id"], case_id=f"case-{self.accepted:07d}", received_at=time.time(),
            channel=event["channel"], handle=author["handle"], followers=author["followers"],
            text=event["text"], intent=decision.intent, sentiment=decision.sentiment,
            route=decision.route, tier=decision.tier, priority=decision.priority,
            event=orjson.dumps(event).decode(),
        )
        self.cases[case.event_id] = case
        self.people.add(case, event)
        self.act(TRIAGE_AGENT, case, "triage", {})
        if decision.respond:
            case.waiting.append(case.event_id)
            self.dispatcher.enqueue(case)
        else:
            case.status = "ignored"
            case.closed_at = case.received_at
        self.store.put_case(case.row())
        return case

    def _turn(self, case: Case, event: dict[str, Any]) -> None:
        """The customer answered back on ``case``: record the turn, reopen a closed case."""
        self.accepted += 1
        self.turns[event["id"]] = case
        case.turns += 1
        case.waiting.append(event["id"])
        case.history.append({"action": "turn", "agent": case.handle, "at": time.time(),
                             "text": event["text"], "event_id": event["id"],
                             "route": case.route, "tier": case.tier})
        if case.status == "closed":
            case.closed_at = None
            self.dispatcher.enqueue(case, prefer=case.agent)
        self.store.put_case(case.row())

    def act(self, agent: str, case: Case, action: str, extra: dict[str, Any]) -> None:
        """Apply one decision to ``case``, persist it and post it to the platform."""
        now = time.time()
        text = str(extra.get("text") or "")
        target = case.event_id  # an answer addresses the oldest message the customer waits on
        if action == "escalate":
            case.tier = int(extra.get("tier") or case.tier + 1)
            if extra.get("route"):
                case.route = str(extra["route"])
            if extra.get("priority"):  # a human rerouting a case may re-prioritise it
                case.priority = str(extra["priority"])
        elif action in ("reply", "message"):  # a message is a private answer (DM)
            if case.first_reply_at is None:
                case.first_reply_at = now
            target = case.waiting.pop(0) if case.waiting else case.event_id
        elif action == "close":
            case.status = "closed"
            case.closed_at = now
        body = {"event_id": target, "action": action, "route": case.route,
                "tier": case.tier, "priority": case.priority, "agent": agent, "text": text}
        self.outbox.submit(body)
        case.history.append({"action": action, "agent": agent, "at": now, "text": text,
                             "route": case.route, "tier": case.tier, "event_id": target})
        if action == "escalate":
            case.agent = None
            self.dispatcher.enqueue(case)
        if action != "triage":
            self.store.put_case(case.row())

    def stats(self) -> dict[str, Any]:
        """The ``GET /stats`` body."""
        by_status: dict[str, int] = {}
        for case in self.cases.values():
            by_status[case.status] = by_status.get(case.status, 0) + 1
        return {"queues": self.dispatcher.depth(), "agents": self.agents.stats(),
                "cases": {"total": len(self.cases), **by_status},
                "outbox": self.outbox.stats(), "speed": self.speed,
                "scenario_now_s": round(self.clock.now(), 3)}
