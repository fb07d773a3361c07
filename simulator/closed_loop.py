"""``simulate`` with reactions: the team model's actions drive the reaction engine.

The same model as a drill (DESIGN.md section 14): the scripted storm (``generate``: the
world in which nobody answers, journeys included) plays into the care-team model
(``simulator.team.TeamModel``) post by post, and every reply, escalation or close the team
makes goes to ``simulator.reactions.ReactionEngine`` with its time. A post the answers
prevented never reaches the team; answer-backs and backlash posts reach it at their time.
Silence needs nothing: an unanswered (or abandoned) journey complaint's scripted follow-up
simply arrives, which is how a queue that makes customers wait makes the storm bigger.
Actions are read from the team's action log just before each arrival (so a prevention is
never late) and every ``DRAIN_S`` of scenario time.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.crowd import generate
from simulator.events import EventTable, event_id
from simulator.reactions import ReactionEngine
from simulator.scenario import Scenario
from simulator.team import TeamModel, TeamRun

__all__ = ["ClosedLoop", "run_closed_loop"]

DRAIN_S = 1.0
PROGRESS_STEPS = 100
NO_PRIORITY = 4  # the team model's priority for posts without one


class ClosedLoop:
    """One coupled run's parts: the scripted table, the engine and the team's result."""

    def __init__(self, table: EventTable, engine: ReactionEngine, team: TeamRun,
                 delivered: int) -> None:
        self.table, self.engine, self.team, self.delivered = table, engine, team, delivered


def run_closed_loop(scenario: Scenario, seed: int, team_rng: np.random.Generator,
                    volume: float = 1.0, record_actions: bool = True,
                    progress: Callable[[int, float, float], None] | None = None) -> ClosedLoop:
    """Play the scripted storm of ``seed`` into the team, reacting to its actions."""
    table = generate(scenario, seed=seed, volume=volume)
    engine = ReactionEngine(scenario, table, seed)
    env = simpy.Environment()
    model = TeamModel(env, scenario.team, team_rng, record_actions=True)
    state = {"cursor": 0, "delivered": 0}

    def drain() -> None:
        actions, index = model.actions, model.index
        while state["cursor"] < len(actions):
            p, kind, route, tier, _prio, _agent, at = actions[state["cursor"]]
            state["cursor"] += 1
            if kind == "triage":
                continue
            change = engine.on_action(event_id(index[p]), kind, at, route, tier)
            for post in change.add:
                env.timeout(max(0.0, post.t - env.now), post.index).callbacks.append(
                    lambda event: deliver(event.value))

    def deliver(i: int) -> None:
        drain()
        if engine.is_prevented(i):
            return
        state["delivered"] += 1
        prio = engine.priority[i]
        model.arrive(i, engine.route[i] or "none", engine.tier[i], prio or NO_PRIORITY,
                     engine.respond[i])

    def scripted() -> Generator[simpy.Event, Any, None]:
        for i, t in enumerate(table.t.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            deliver(i)

    def ticker() -> Generator[simpy.Event, Any, None]:
        step, end = scenario.duration / PROGRESS_STEPS, scenario.duration
        next_report = step
        while env.now + DRAIN_S < end:
            yield env.timeout(DRAIN_S)
            drain()
            if progress is not None and env.now >= next_report:
                progress(state["delivered"], env.now, end)
                next_report += step

    env.process(scripted())
    env.process(ticker())
    env.run(until=scenario.duration)
    drain()
    engine.due_until(scenario.duration)
    if progress is not None:
        progress(state["delivered"], scenario.duration, scenario.duration)
    team = model.result()
    if not record_actions:
        team.actions.clear()
    return ClosedLoop(table, engine, team, state["delivered"])
