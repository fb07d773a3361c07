"""Crowd and care team in one SimPy environment: the ``simulate`` and ``staff`` runs.

``simulate(scenario, seed)`` couples the storm and the team through the reaction engine
(``simulator.team.closed_loop``, the model a drill uses): the team's answers prevent posts, its
silence lets journey follow-ups happen, its wrong answers bring backlash, so demand depends
on staffing. With ``reactions=False`` it runs the older open coupling: the storm generator
(``simulator.crowd.model.Crowd``, with ``auto_journeys=False``) and the team together, every post
reaching the team the moment it is emitted, and a customer who abandons the queue gets a
``follow_up`` post from the crowd (next channel, angrier) when they are on a journey.
The staffing plan over such runs and the ``simulate`` command's run folder are in
``simulator.staffing.simulated_runs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from simulator.crowd.model import Crowd, report_progress
from simulator.runfolder.event_table import EventTable
from simulator.scenario.models import Scenario
from simulator.team.closed_loop import ClosedLoop, run_closed_loop
from simulator.team.model import TeamModel, TeamRun

__all__ = ["SimResult", "simulate"]

ProgressFn = Callable[[int, float, float], None]


@dataclass
class SimResult:
    """One coupled run: the events the crowd emitted and what the team did."""

    scenario: Scenario
    seed: int
    events: EventTable
    team: TeamRun
    abandoned: int
    reposts: int
    sim_events: int = 0  # SimPy events scheduled (for bench/simulate.py's ratio)
    loop: ClosedLoop | None = None  # the reaction engine's run (reactions on)


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    volume: float = 1.0,
    record_actions: bool = True,
    progress: ProgressFn | None = None,
    reactions: bool = True,
) -> SimResult:
    """Run crowd and team for the scenario's duration (the same seed gives the same run)."""
    seed = scenario.seed if seed is None else seed
    rng = np.random.default_rng(seed)
    crowd_rng, team_rng = rng.spawn(2)
    if reactions:
        loop = run_closed_loop(scenario, seed, team_rng, volume, record_actions, progress)
        abandoned = int(np.isfinite(np.asarray(loop.team.v_abandon, dtype=float)).sum())
        silence = loop.engine.summary()["silence_follow_ups"]
        return SimResult(scenario, seed, loop.table, loop.team, abandoned, silence,
                         loop.sim_events, loop)
    env = simpy.Environment()
    counts = {"abandoned": 0, "reposts": 0}
    crowd: Crowd | None = None
    model: TeamModel | None = None

    def on_post(index: int) -> None:
        assert crowd is not None and model is not None
        post = crowd.post(index)
        prio = post.priority
        model.arrive(index, str(post.route), int(post.tier),  # type: ignore[call-overload,unused-ignore]
                     int(prio[1]) if isinstance(prio, str) else 4, bool(post.respond),
                     post.kind == "message")  # email, chat, sms and DMs: the private class

    def on_abandon(index: int) -> None:
        assert crowd is not None
        counts["abandoned"] += 1
        if crowd.follow_up(index) is not None:
            counts["reposts"] += 1

    crowd = Crowd(env, scenario, crowd_rng, on_post=on_post, volume=volume, auto_journeys=False)
    model = TeamModel(env, scenario.team, team_rng, on_abandon=on_abandon,
                      record_actions=record_actions)
    crowd.start()
    if progress is not None:
        env.process(report_progress(env, crowd, scenario.duration, progress))
    env.run(until=scenario.duration)
    if progress is not None:
        progress(len(crowd), scenario.duration, scenario.duration)
    scheduled = next(env._eid) if hasattr(env, "_eid") else 0  # SimPy's event counter
    return SimResult(scenario, seed, crowd.table(), model.result(), counts["abandoned"],
                     counts["reposts"], scheduled)
