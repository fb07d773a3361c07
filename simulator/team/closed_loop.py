"""``simulate`` with reactions: the team model's actions drive the reaction engine.

The same model as a drill (DESIGN.md section 14): the scripted storm (``generate``: the
world in which nobody answers, journeys included) plays into the care-team model
(``simulator.team.model.TeamModel``) post by post, and every reply, escalation or close the team
makes goes to ``simulator.crowd.reactions.ReactionEngine`` with its time. A post the answers
prevented never reaches the team; answer-backs and backlash posts reach it at their time.
Silence needs nothing: an unanswered (or abandoned) journey complaint's scripted follow-up
simply arrives, which is how a queue that makes customers wait makes the storm bigger.
An answer-back is a conversation turn: it goes to the team as ``answer_back`` on the thread
it answers (the agent who handled it takes it when free), and the team's reply to that turn
(``on_reply`` with turn >= 1) is the answer to the answer-back post (``turn_replies``, written
to actions.jsonl with the team's actions). Actions are read from the team's action log just
before each arrival (so a prevention is never late) and every ``DRAIN_S`` of scenario time.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from simulator.crowd.model import generate
from simulator.crowd.reactions import ReactionEngine
from simulator.runfolder.event_table import EventTable, event_id
from simulator.scenario.models import Scenario
from simulator.team.model import TeamModel, TeamRun

__all__ = ["ClosedLoop", "run_closed_loop"]

DRAIN_S = 1.0
PROGRESS_STEPS = 100
NO_PRIORITY = 4  # the team model's priority for posts without one


class ClosedLoop:
    """One coupled run's parts: the scripted table, the engine and the team's result.

    ``turn_replies``: ``(post, at)`` for each answer-back the team answered in its thread;
    ``sim_events``: SimPy events scheduled (for bench/simulate.py's ratio).
    """

    def __init__(self, table: EventTable, engine: ReactionEngine, team: TeamRun,
                 delivered: int, turn_replies: list[tuple[int, float]], sim_events: int) -> None:
        self.table, self.engine, self.team, self.delivered = table, engine, team, delivered
        self.turn_replies, self.sim_events = turn_replies, sim_events


def run_closed_loop(scenario: Scenario, seed: int, team_rng: np.random.Generator,
                    volume: float = 1.0, record_actions: bool = True,
                    progress: Callable[[int, float, float], None] | None = None) -> ClosedLoop:
    """Play the scripted storm of ``seed`` into the team, reacting to its actions."""
    table = generate(scenario, seed=seed, volume=volume)
    engine = ReactionEngine(scenario, table, seed)
    env = simpy.Environment()
    state = {"cursor": 0, "delivered": 0}
    thread_of: dict[int, int] = {}  # answer-back post -> the team post whose thread it joins
    turns: dict[int, list[int]] = {}  # team post -> its answer-backs, in turn order
    turn_replies: list[tuple[int, float]] = []

    def on_reply(index: int, turn: int) -> None:
        backs = turns.get(index, ())
        if 1 <= turn <= len(backs):
            post = backs[turn - 1]
            turn_replies.append((post, env.now))
            schedule(engine.on_action(event_id(post), "reply", env.now).add)

    model = TeamModel(env, scenario.team, team_rng, on_reply=on_reply, record_actions=True)
    in_team = model._local  # noqa: SLF001 - which posts the team knows (answer_back's KeyError)

    def schedule(posts: list[Any]) -> None:
        for post in posts:
            if post.event["cause"]["reaction"].startswith("answer_back"):
                parent = engine.index_of(post.event["parent"])
                if parent is not None:
                    thread_of[post.index] = thread_of.get(parent, parent)
            env.timeout(max(0.0, post.t - env.now), post.index).callbacks.append(
                lambda event: deliver(event.value))

    def drain() -> None:
        actions, index = model.actions, model.index
        while state["cursor"] < len(actions):
            p, kind, route, tier, _prio, _agent, at = actions[state["cursor"]]
            state["cursor"] += 1
            if kind == "triage":
                continue
            schedule(engine.on_action(event_id(index[p]), kind, at, route, tier).add)

    def deliver(i: int) -> None:
        drain()
        if engine.is_prevented(i):
            return
        state["delivered"] += 1
        thread = thread_of.get(i)
        if thread is not None and thread in in_team:
            turns.setdefault(thread, []).append(i)
            model.answer_back(thread)
            return
        prio = engine.priority[i]
        model.arrive(i, engine.route[i] or "none", engine.tier[i], prio or NO_PRIORITY,
                     engine.respond[i], engine.kind_of(i) == "message")  # the private class

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
    engine.render_texts()
    if progress is not None:
        progress(state["delivered"], scenario.duration, scenario.duration)
    team = model.result()
    if not record_actions:
        team.actions.clear()
    sim_events = next(env._eid)  # noqa: SLF001 - SimPy's event counter (read only)
    return ClosedLoop(table, engine, team, state["delivered"], turn_replies, sim_events)
