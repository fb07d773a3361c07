"""Digital care in the team model: concurrency, conversations, per-class service levels."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
import simpy

from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import PrivateLevel, ServiceClasses, ServiceLevel, Shift, Team, Tier
from simulator.staffing.erlang import erlang_c_metrics
from simulator.team.model import TeamModel, TeamRun, feed
from simulator.team.statistics import class_levels, conversation_figures, tier_figures

CONST10 = DistSpec(dist="constant", value=10.0)


def _tier(agents: int, handle: DistSpec = CONST10, concurrency: int = 1, slowdown: float = 0.0,
          shifts: tuple[Shift, ...] | None = None, name: str = "front", number: int = 1) -> Tier:
    return Tier(name=name, tier=number, routes=("care",), handle_time=handle,
                concurrency=concurrency, slowdown=slowdown,
                shifts=shifts or (Shift(start=0.0, end=1e9, agents=agents),))


def _run(team: Team, times: list[float], until: float, private: list[bool] | None = None,
         turns: list[tuple[int, float]] = (), prio: list[int] | None = None) -> TeamRun:
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0))
    n = len(times)
    feed(env, model, times, ["care"] * n, [1] * n, prio or [3] * n, [True] * n, private)
    for index, at in turns:
        env.process(_later(env, model, index, at))
    env.run(until=until)
    return model.result()


def _later(env: simpy.Environment, model: TeamModel, index: int, at: float):  # type: ignore[no-untyped-def]
    yield env.timeout(at)
    model.answer_back(index)


# --- closed forms ----------------------------------------------------------------------

LAM, AHT, WITHIN, BATCHES = 10.0, 1.0, 0.2, 20


@pytest.mark.parametrize(("agents", "concurrency"), [(7, 2), (5, 3)])
def test_concurrency_without_slowdown_is_erlang_c_with_c_times_n_servers(
    agents: int, concurrency: int
) -> None:
    horizon, seed = 6000.0, 21 + concurrency
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.exponential(1 / LAM, int(LAM * horizon * 1.2)))
    times = times[times < horizon]
    tier = _tier(agents, DistSpec(dist="exponential", mean=AHT), concurrency)
    env = simpy.Environment()
    model = TeamModel(env, Team(tiers=(tier,), triage_accuracy=1.0),
                      np.random.default_rng(seed + 1), record_actions=False)
    n = times.size
    feed(env, model, times, ["care"] * n, np.ones(n, int), np.full(n, 3), np.ones(n, bool))
    env.run(until=horizon)
    run = model.result()
    m = erlang_c_metrics(LAM, AHT, agents * concurrency, WITHIN)
    edges = np.linspace(50 * AHT, horizon - 10 * AHT, BATCHES + 1)
    rows = [tier_figures(run, WITHIN, a, b)[0] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    assert rows[0].concurrency == concurrency
    for key in ("p_wait", "asa_s", "service_level", "occupancy"):
        xs = np.array([getattr(r, key) for r in rows])
        se = xs.std(ddof=1) / math.sqrt(BATCHES)  # batch means: the run's own standard error
        want = getattr(m, key)
        assert abs(xs.mean() - want) < 5 * se + 1e-9, (key, xs.mean(), want, se)
        assert se < 0.15 * max(want, 0.01), (key, se)


# the digest of TeamModel's columns and actions on a fixed stream, computed with the model
# as it was before concurrency and conversations existed (commit 7979bd5)
BEFORE_DIGEST = "e07f273bae7c236088f9cf55999ff269568ce1b204f4d92395835d6ccbb74b1f"


def _golden_team(concurrency: int) -> Team:
    def ln(mean: float, sd: float) -> DistSpec:
        return DistSpec(dist="lognormal", mean=mean, sd=sd)

    front = Tier(name="front", tier=1, routes=("care", "sales"), handle_time=ln(60.0, 30.0),
                 escalates=0.1, concurrency=concurrency,
                 shifts=(Shift(start=0, end=1800, agents=4), Shift(start=1800, end=3600, agents=2),
                         Shift(start=3600, end=7200, agents=5)))
    spec = Tier(name="spec", tier=2, routes=("care",), handle_time=ln(240.0, 90.0),
                shifts=(Shift(start=0, end=7200, agents=2),))
    legal = Tier(name="legal", tier=3, routes=("legal",), handle_time=ln(600.0, 200.0),
                 shifts=(Shift(start=0, end=3000, agents=1), Shift(start=3000, end=7200, agents=0)))
    return Team(tiers=(front, spec, legal), triage_accuracy=0.85,
                patience=DistSpec(dist="exponential", mean=600.0))


def _golden_run(concurrency: int) -> TeamRun:
    rng = np.random.default_rng(3)
    n = 2500
    t = np.sort(rng.uniform(0, 7200, n))
    kind = rng.choice(4, n, p=[0.55, 0.2, 0.05, 0.2])
    route = np.array(["care", "care", "legal", "none"])[kind].tolist()
    env = simpy.Environment()
    model = TeamModel(env, _golden_team(concurrency), np.random.default_rng(11))
    feed(env, model, t, route, np.array([1, 2, 3, 0])[kind], np.array([3, 2, 1, 4])[kind],
         kind != 3)
    env.run(until=7200)
    return model.result()


def _digest(run: TeamRun) -> str:
    h = hashlib.sha256()
    for col in ("index", "arrival", "v_post", "v_tier", "v_priority", "v_answer", "v_enqueue",
                "v_start", "v_end", "v_abandon", "v_handle", "v_patience"):
        h.update(np.ascontiguousarray(getattr(run, col)).tobytes())
    h.update(repr(run.actions).encode())
    return h.hexdigest()


def test_concurrency_one_without_turns_is_exactly_the_model_before() -> None:
    run = _golden_run(1)
    assert np.isfinite(run.v_abandon).sum() > 100  # the stream exercises abandonment,
    assert sum(a[1] == "escalate" for a in run.actions) > 50  # escalation and shift cuts
    assert _digest(run) == BEFORE_DIGEST
    assert _digest(_golden_run(2)) != BEFORE_DIGEST  # and the digest can tell


# --- concurrency rules -----------------------------------------------------------------


def test_slowdown_stretches_a_thread_by_the_threads_held_at_its_start() -> None:
    team = Team(tiers=(_tier(1, concurrency=3, slowdown=0.5),), triage_accuracy=1.0)
    run = _run(team, [0.0, 1.0, 2.0, 3.0], 100.0)
    # held 1, 2, 3 -> 10, 15, 20 s of work; the 4th waits for the first slot (t=10), held 3
    assert run.v_start.tolist() == [0.0, 1.0, 2.0, 10.0]
    assert run.v_end.tolist() == [10.0, 16.0, 22.0, 30.0]


def test_new_threads_go_to_the_least_loaded_agent() -> None:
    team = Team(tiers=(_tier(2, concurrency=2),), triage_accuracy=1.0)
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0))
    feed(env, model, [0.0, 1.0, 2.0], ["care"] * 3, [1] * 3, [3] * 3, [True] * 3)
    env.run(until=5.0)
    assert len(set(model.v_agent[:2])) == 2  # one thread each before anyone holds two
    assert model.v_agent[2] in model.v_agent[:2]


def test_leaving_agent_finishes_every_thread_in_hand() -> None:
    shifts = (Shift(start=0.0, end=5.0, agents=1), Shift(start=5.0, end=100.0, agents=0))
    team = Team(tiers=(_tier(0, concurrency=2, shifts=shifts),), triage_accuracy=1.0)
    run = _run(team, [0.0, 1.0, 6.0], 100.0)
    assert run.v_end[:2].tolist() == [10.0, 11.0]
    assert math.isnan(run.v_start[2])  # nobody on duty after 5 s


# --- conversations ----------------------------------------------------------------------


def test_answer_back_returns_to_the_same_agent_when_it_has_a_free_slot() -> None:
    team = Team(tiers=(_tier(3),), triage_accuracy=1.0)
    env = simpy.Environment()
    model = TeamModel(env, team, np.random.default_rng(0))
    feed(env, model, [0.0, 0.0, 0.0], ["care"] * 3, [1] * 3, [3] * 3, [True] * 3)
    env.run(until=20.0)
    first_agent = model.v_agent[1]
    model.answer_back(1)  # every agent is free: the thread's own agent takes it
    model.answer_back(0, at=25.0)
    env.run(until=60.0)
    run = model.result()
    assert run.v_turn.tolist() == [0, 0, 0, 1, 1]
    assert model.v_agent[3] == first_agent and model.v_agent[4] == model.v_agent[0]
    assert run.v_enqueue[3:].tolist() == [20.0, 25.0]
    assert run.v_reply.all()


def test_answer_back_queues_at_the_thread_priority_when_its_agent_is_busy() -> None:
    team = Team(tiers=(_tier(1),), triage_accuracy=1.0)
    # post 0 answered at 10, post 1 in service 10-20; post 0's customer answers at 12,
    # post 2 (p1) arrives at 13: the turn queues at p3, so post 2 goes first
    run = _run(team, [0.0, 5.0, 13.0], 100.0, turns=[(0, 12.0)], prio=[3, 3, 1])
    assert run.v_post.tolist() == [0, 1, 0, 2]  # visits in queueing order
    assert run.v_start.tolist() == [0.0, 10.0, 30.0, 20.0]
    figures = conversation_figures(run)
    assert figures["threads"] == 3 and figures["turns"] == 1
    assert figures["first_response_s"]["mean"] == pytest.approx((10 + 15 + 17) / 3, abs=1e-3)
    assert figures["turn_response_s"]["mean"] == pytest.approx(40.0 - 12.0)
    assert figures["resolution_s"]["n"] == 3
    assert figures["resolution_s"]["p90"] is not None


def test_an_unanswered_turn_leaves_the_thread_unresolved() -> None:
    team = Team(tiers=(_tier(1, DistSpec(dist="constant", value=50.0)),), triage_accuracy=1.0)
    run = _run(team, [0.0, 1.0], 80.0, turns=[(0, 55.0)])
    figures = conversation_figures(run)
    assert figures["resolution_s"]["n"] == 0  # post 0's turn waits, post 1 is in service
    assert figures["unanswered"] == 1


# --- service-level classes --------------------------------------------------------------


def _classes(max_occupancy: float = 1.0) -> ServiceClasses:
    return ServiceClasses(public=ServiceLevel(within=5.0, target=0.9),
                          private=PrivateLevel(within=60.0, target=0.8,
                                               max_occupancy=max_occupancy))


def test_private_work_waits_behind_public_work() -> None:
    team = Team(tiers=(_tier(1),), triage_accuracy=1.0, service_level=_classes())
    run = _run(team, [0.0, 1.0, 2.0], 100.0, private=[False, True, False])
    assert run.v_start.tolist() == [0.0, 20.0, 10.0]
    levels = class_levels(run, 0.0, 0.0)
    assert levels["public"]["arrivals"] == 2 and levels["private"]["arrivals"] == 1
    assert levels["public"]["service_level"] == 0.5  # waited 0 and 8 s (within 5 s)
    assert levels["private"]["service_level"] == 1.0  # waited 19 s (within 60 s)


def test_private_work_fills_capacity_only_up_to_the_maximum_occupancy() -> None:
    team = Team(tiers=(_tier(2, concurrency=2),), triage_accuracy=1.0,
                service_level=_classes(max_occupancy=0.5))
    run = _run(team, [0.0, 0.0, 0.0, 0.0], 100.0, private=[True] * 4)
    # 4 slots, cap 0.5: a private thread starts only while fewer than 2 threads are busy
    assert run.v_start.tolist() == [0.0, 0.0, 10.0, 10.0]
    public = Team(tiers=(_tier(2, concurrency=2),), triage_accuracy=1.0)
    assert _run(public, [0.0] * 4, 100.0, private=[True] * 4).v_start.tolist() == [0.0] * 4


def test_one_level_reports_every_post_as_public() -> None:
    team = Team(tiers=(_tier(1),), triage_accuracy=1.0,
                service_level=ServiceLevel(within=5.0, target=0.8))
    run = _run(team, [0.0, 1.0], 100.0, private=[False, True])
    assert set(class_levels(run, 5.0, 0.8)) == {"public"}
    assert run.v_start.tolist() == [0.0, 10.0]  # no deferral without per-class levels
