"""Simulated agents: tiers of workers that take cases by priority, reply, close or escalate.

Each agent is an asyncio task on the drill's clock: a handle time of ``h`` scenario seconds
takes ``h / speed`` wall seconds. Handle times follow the tier's ``handle_dist``
(lognormal with its mean and sd, exponential, or constant), drawn from one seeded
``numpy.random.Generator``. After handling, the agent replies (to
every message of the case the customer waits on); then, with the tier's ``escalates``
probability and when a higher tier serves the case's route, it escalates there, else it
closes the case. A reopened case (the customer answered back) is answered and closed again,
never escalated. A tier with ``shifts`` has its first ``n`` agents on duty during each
shift (scenario time); off-duty agents finish their cases first.

Concurrency: each agent works up to its tier's ``concurrency`` cases at once (one task per
slot); a case started while the agent holds ``k`` cases (it included) takes the drawn handle
time times ``tier.stretch(k) = 1 + slowdown * (k - 1)``. A reopened case goes back to the
agent who last worked it when one of its slots is free (``Dispatcher.enqueue(prefer=...)``).
Agents ids are ``a-01``, ``a-02``... in tier order. ``AgentPool.set_enabled(False)`` lets
humans work the queue: busy agents finish their cases, then wait until re-enabled.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .config import TierConfig
from .dispatch import Case, Dispatcher

__all__ = ["Agent", "AgentPool", "Clock", "reply_text"]

_REPLIES = {
    "complaint": ["Hi {h}, we're sorry about this. We're on it; please DM us your booking "
                  "reference so we can sort it out.",
                  "{h} that's not the experience we want for you. Sending you a DM now to fix it."],
    "question": ["Hi {h}, good question. Here's what you need to know; DM us if anything is "
                 "still unclear.", "{h} thanks for asking! We've sent you the details by DM."],
    "hidden_help": ["{h} we're here to help. Please DM us where you are and what you need, and "
                    "we'll make arrangements right away."],
    "purchase_intent": ["{h} love that idea! Here's where you can find it; we've passed it on "
                        "to our product team too."],
    "media_inquiry": ["Hi {h}, thanks for reaching out. Our press office will contact you with "
                      "a statement shortly."],
    "legal_threat": ["Hi {h}, we take this seriously. A member of our customer relations team "
                     "will contact you directly by DM today."],
    "safety": ["{h} your safety comes first. Please DM us your details now; our safety team is "
               "looking into this urgently."],
    "security": ["{h} thank you for flagging this. Our security team is investigating; please "
                 "don't share account details publicly. We'll DM you."],
}


def reply_text(case: Case, rng: np.random.Generator) -> str:
    """A plausible agent reply for ``case`` (chosen with ``rng``)."""
    options = _REPLIES.get(case.intent, _REPLIES["question"])
    return options[int(rng.integers(len(options)))].format(h=case.handle or "there")


class Clock:
    """Scenario time: ``speed`` scenario seconds per wall second since the stack started."""

    def __init__(self, speed: float):
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed
        self._t0 = time.monotonic()

        self.synced = False

    def now(self) -> float:
        """Scenario seconds since start (or since the synced origin)."""
        return (time.monotonic() - self._t0) * self.speed

    def sync(self, scenario_t: float) -> None:
        """Once: set the clock so that now() == ``scenario_t`` (the first event's ``t``)."""
        if not self.synced:
            self._t0 = time.monotonic() - scenario_t / self.speed
            self.synced = True

    async def sleep(self, scenario_s: float) -> None:
        """Sleep ``scenario_s`` scenario seconds."""
        await asyncio.sleep(max(0.0, scenario_s) / self.speed)


@dataclass
class Agent:
    """One simulated agent; ``cases`` are what it is working on (empty when idle)."""

    agent_id: str
    tier: TierConfig
    index: int = 0  # position within its tier (shifts put the first n agents on duty)
    cases: list[Case] = field(default_factory=list)


# (agent_id, case, action, extra) -> None; the stack posts the action and updates the case.
OFF_DUTY_POLL_S = 60.0  # scenario seconds between an off-duty agent's checks

ActFn = Callable[[str, Case, str, dict[str, object]], None]


class AgentPool:
    """All simulated agents; ``run()`` until cancelled."""

    def __init__(self, tiers: tuple[TierConfig, ...], dispatcher: Dispatcher, clock: Clock,
                 rng: np.random.Generator, act: ActFn, enabled: bool = True):
        self._dispatcher = dispatcher
        self._clock = clock
        self._rng = rng
        self._act = act
        self._enabled = asyncio.Event()
        self._disabled = asyncio.Event()
        self.set_enabled(enabled)
        self.agents: list[Agent] = []
        for tier in sorted(tiers, key=lambda t: t.tier):
            for index in range(tier.agents):
                self.agents.append(Agent(f"a-{len(self.agents) + 1:02d}", tier, index))
        self._tiers = tiers

    @property
    def enabled(self) -> bool:
        """Whether simulated agents take new cases."""
        return self._enabled.is_set()

    def set_enabled(self, enabled: bool) -> None:
        """Switch simulated agents on or off (busy agents finish their current case first)."""
        if enabled:
            self._disabled.clear()
            self._enabled.set()
        else:
            self._enabled.clear()
            self._disabled.set()

    def escalation_tier(self, case: Case) -> int | None:
        """The lowest tier above the case's that serves its route, if any."""
        above = [t.tier for t in self._tiers
                 if t.tier > case.tier and case.route in t.routes and t.agents > 0]
        return min(above) if above else None

    def handle_time(self, tier: TierConfig) -> float:
        """One drawn handle time (scenario seconds) of ``tier``, from its ``handle_dist``."""
        mean, sd = tier.handle_mean_s, tier.handle_sd_s
        if tier.handle_dist == "exponential":
            return float(self._rng.exponential(mean))
        if sd <= 0:
            return mean
        sigma2 = math.log1p((sd / mean) ** 2)
        return float(self._rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2)))

    async def _work(self, agent: Agent) -> None:
        routes, tier = agent.tier.routes, agent.tier.tier
        while True:
            if not self._enabled.is_set():
                await self._enabled.wait()
            now = self._clock.now()
            change = agent.tier.next_change(now)
            if not agent.tier.on_duty(agent.index, now):
                until = math.inf if change is None else change - now
                await self._clock.sleep(min(OFF_DUTY_POLL_S, until))
                continue
            case = self._dispatcher.take(routes, tier)
            if case is None:
                fut = self._dispatcher.wait(routes, tier, agent.agent_id)
                paused: asyncio.Future[object] = asyncio.ensure_future(self._disabled.wait())
                waiters: list[asyncio.Future[object]] = [fut, paused]  # type: ignore[list-item]
                # Wake at the next shift boundary too: this agent may be going off duty.
                timeout = None if change is None else max(0.0, change - now) / self._clock.speed
                try:
                    await asyncio.wait(waiters, timeout=timeout,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    paused.cancel()
                    self._dispatcher.forget(fut)
                if not fut.done():
                    fut.cancel()
                    continue
                case = fut.result()
            agent.cases.append(case)
            case.agent = agent.agent_id
            try:
                stretch = agent.tier.stretch(len(agent.cases))
                await self._clock.sleep(self.handle_time(agent.tier) * stretch)
                if case.status != "open" or case.agent != agent.agent_id:
                    continue  # a human took it over meanwhile
                self._answer(agent, case)
            finally:
                agent.cases.remove(case)

    def _answer(self, agent: Agent, case: Case) -> None:
        """Reply to every message the customer waits on, then escalate or close."""
        reopened = case.turns > 0
        self._act(agent.agent_id, case, "reply", {"text": reply_text(case, self._rng)})
        while case.waiting and case.status == "open":
            self._act(agent.agent_id, case, "reply", {"text": reply_text(case, self._rng)})
        up = None if reopened else self.escalation_tier(case)
        if up is not None and self._rng.random() < agent.tier.escalates:
            self._act(agent.agent_id, case, "escalate", {"tier": up})
        else:
            self._act(agent.agent_id, case, "close", {})

    async def run(self) -> None:
        """Run every agent's slots (``concurrency`` tasks per agent) until cancelled."""
        tasks = [asyncio.create_task(self._work(a)) for a in self.agents
                 for _ in range(a.tier.concurrency)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()

    def stats(self) -> dict[str, object]:
        """Busy and idle agents (and how many are on shift), the cases they hold against
        their slots (agents x concurrency), overall and per tier."""
        by_tier: dict[str, dict[str, int]] = {}
        slots: dict[str, dict[str, int]] = {}
        now = self._clock.now()
        for a in self.agents:
            row = by_tier.setdefault(str(a.tier.tier), {"busy": 0, "idle": 0, "on_duty": 0})
            row["busy" if a.cases else "idle"] += 1
            row["on_duty"] += a.tier.on_duty(a.index, now)
            held = slots.setdefault(str(a.tier.tier), {"threads": 0, "slots": 0})
            held["threads"] += len(a.cases)
            held["slots"] += a.tier.concurrency
        busy = sum(r["busy"] for r in by_tier.values())
        return {"enabled": self.enabled, "busy": busy, "idle": len(self.agents) - busy,
                "by_tier": by_tier, "threads": sum(r["threads"] for r in slots.values()),
                "slots": sum(r["slots"] for r in slots.values()), "slots_by_tier": slots}
