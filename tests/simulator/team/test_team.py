"""The SimPy care-team model: closed forms on Poisson input, and its routing rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import Shift, Team, Tier
from simulator.staffing.erlang import erlang_a_metrics, erlang_c_metrics
from simulator.team.model import NOISE_HANDLE_S, TeamModel, TeamRun, feed
from simulator.team.statistics import tier_figures

LAM, AHT, AGENTS, WITHIN = 10.0, 1.0, 14, 0.2  # the 100-per-30-min example, time in AHT units
BATCHES = 20


def _tier(name: str, number: int, agents: int, handle: DistSpec, escalates: float = 0.0,
          shifts: tuple[Shift, ...] | None = None, routes: tuple[str, ...] = ("care",)) -> Tier:
    return Tier(name=name, tier=number, routes=routes, escalates=escalates, handle_time=handle,
                shifts=shifts or (Shift(start=0.0, end=1e9, agents=agents),))


def _poisson_run(patience: float | None, horizon: float, seed: int) -> TeamRun:
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(1 / LAM, int(LAM * horizon * 1.2)))
    times = times[times < horizon]
    tier = _tier("front", 1, AGENTS, DistSpec(dist="exponential", mean=AHT))
    pat = None if patience is None else DistSpec(dist="exponential", mean=patience)
    team = Team(tiers=(tier,), triage_accuracy=1.0, patience=pat)
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(seed + 1), record_actions=False)
    n = times.size
    feed(env, model, times, ["care"] * n, np.ones(n, int), np.full(n, 3), np.ones(n, bool))
    env.run(until=horizon)
    return model.result()


def _batch_check(run: TeamRun, horizon: float, want: dict[str, float]) -> None:
    """Compare batch means with the closed form; tolerance 5 standard errors of the run."""
    warm = 50 * AHT
    edges = np.linspace(warm, horizon - 10 * AHT, BATCHES + 1)
    rows = [tier_figures(run, WITHIN, a, b)[0] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    for key, value in want.items():
        xs = np.array([getattr(r, key) for r in rows])
        se = xs.std(ddof=1) / math.sqrt(BATCHES)
        assert abs(xs.mean() - value) < 5 * se + 1e-9, (key, xs.mean(), value, se)
        assert se < 0.15 * max(value, 0.01), (key, se)  # the run is long enough to mean something


def test_one_tier_reproduces_erlang_c() -> None:
    horizon = 6000.0
    run = _poisson_run(None, horizon, seed=11)
    m = erlang_c_metrics(LAM, AHT, AGENTS, WITHIN)
    _batch_check(run, horizon, {"p_wait": m.p_wait, "asa_s": m.asa_s,
                                "service_level": m.service_level, "occupancy": m.occupancy})


def test_one_tier_with_patience_reproduces_erlang_a() -> None:
    horizon = 6000.0
    run = _poisson_run(1.5, horizon, seed=12)
    m = erlang_a_metrics(LAM, AHT, AGENTS, WITHIN, 1.5)
    _batch_check(run, horizon, {"p_wait": m.p_wait, "asa_s": m.asa_s,
                                "service_level": m.service_level, "abandon_rate": m.p_abandon})


def _small(team: Team, posts: list[tuple[float, str, int, int, bool]], until: float,
           on_abandon=None) -> TeamRun:  # type: ignore[no-untyped-def]
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0), on_abandon=on_abandon)
    times, routes, tiers, prios, resp = zip(*posts, strict=True)
    feed(env, model, times, routes, tiers, prios, resp)
    env.run(until=until)
    return model.result()


CONST10 = DistSpec(dist="constant", value=10.0)


def test_priority_then_fifo() -> None:
    team = Team(tiers=(_tier("front", 1, 1, CONST10),), triage_accuracy=1.0)
    run = _small(team, [(0.0, "care", 1, 3, True), (1.0, "care", 1, 3, True),
                        (2.0, "care", 1, 1, True), (3.0, "care", 1, 3, True)], 100.0)
    assert run.v_start.tolist() == [0.0, 20.0, 10.0, 30.0]


def test_shift_end_finishes_case_in_hand() -> None:
    shifts = (Shift(start=0.0, end=10.0, agents=1), Shift(start=10.0, end=50.0, agents=0),
              Shift(start=50.0, end=100.0, agents=2))
    handle = DistSpec(dist="constant", value=15.0)
    team = Team(tiers=(_tier("front", 1, 0, handle, shifts=shifts),), triage_accuracy=1.0)
    run = _small(team, [(5.0, "care", 1, 3, True), (6.0, "care", 1, 3, True),
                        (7.0, "care", 1, 3, True)], 100.0)
    assert run.v_start.tolist() == [5.0, 50.0, 50.0]
    assert run.v_end.tolist() == [20.0, 65.0, 65.0]
    agents = {a[5] for a in run.actions if a[1] == "reply"}
    assert len(agents) == 2


def test_escalation_by_policy_tier_and_by_share() -> None:
    front = _tier("front", 1, 1, CONST10, escalates=0.0)
    spec = _tier("spec", 2, 1, CONST10, escalates=1.0)
    legal = _tier("legal", 3, 1, CONST10, routes=("legal",))
    team = Team(tiers=(front, spec, legal), triage_accuracy=1.0)
    run = _small(team, [(0.0, "care", 1, 3, True), (0.0, "care", 2, 2, True),
                        (0.0, "legal", 3, 1, True)], 100.0)
    kinds = [(a[0], a[1], a[2], a[3]) for a in run.actions if a[1] != "triage"]
    # the tier-2 post escalates from spec (share 1.0) to legal, switching route
    assert (1, "escalate", "legal", 3) in kinds
    assert (0, "reply", "care", 1) in kinds
    assert (2, "reply", "legal", 3) in kinds


def test_misrouted_posts_climb_back_to_their_tier() -> None:
    front = _tier("front", 1, 1, CONST10)
    spec = _tier("spec", 2, 1, CONST10)
    team = Team(tiers=(front, spec), triage_accuracy=0.0)  # every triage is wrong
    run = _small(team, [(0.0, "care", 2, 2, True), (0.0, "care", 1, 3, True)], 100.0)
    triage = {a[0]: a[3] for a in run.actions if a[1] == "triage"}
    assert triage == {0: 1, 1: 2}
    final = {a[0]: (a[1], a[3]) for a in run.actions if a[1] != "triage"}
    assert final[0] == ("reply", 2)  # climbed back up
    assert final[1] == ("reply", 2)  # over-escalated stays high


def test_noise_is_closed_quickly_after_real_work() -> None:
    team = Team(tiers=(_tier("front", 1, 1, CONST10),), triage_accuracy=1.0)
    run = _small(team, [(0.0, "care", 1, 3, True), (0.5, "none", 0, 0, False),
                        (1.0, "care", 1, 4, True)], 100.0)
    assert run.v_start.tolist() == [0.0, 20.0, 10.0]
    assert run.v_end[1] == pytest.approx(20.0 + NOISE_HANDLE_S)
    assert [a[1] for a in run.actions if a[0] == 1] == ["triage", "close"]
    assert not run.v_answer[1]


def test_abandonment_calls_back_with_the_post_index() -> None:
    pat = DistSpec(dist="constant", value=5.0)
    team = Team(tiers=(_tier("front", 1, 1, CONST10),), triage_accuracy=1.0, patience=pat)
    gone: list[tuple[int, float]] = []
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0),
                      on_abandon=lambda i: gone.append((i, env.now)))
    feed(env, model, [0.0, 1.0, 2.0], ["care"] * 3, [1, 1, 1], [3, 3, 3], [True] * 3)
    env.run(until=100.0)
    assert gone == [(1, 6.0), (2, 7.0)]
    run = model.result()
    assert np.isnan(run.v_start[1]) and run.v_abandon[1] == 6.0
    fig = tier_figures(run, 1.0)[0]
    assert fig.abandon_rate == pytest.approx(2 / 3)
    assert fig.service_level == pytest.approx(1 / 3)
