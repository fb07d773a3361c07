"""The staffing search with concurrency, slowdown and private (deferred) work."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import simpy

from simulator.scenario.distributions import DistSpec
from simulator.scenario.roster import PrivateLevel, ServiceClasses, ServiceLevel, Shift, Team, Tier
from simulator.staffing.erlang import erlang_c_required
from simulator.staffing.requirement import simulated_required, staffing_plan
from simulator.staffing.requirement_print import plan_json, plan_table
from simulator.team.model import TeamModel, feed
from simulator.team.queuesim import (
    Arrivals,
    Classes,
    QueueState,
    run_interval,
    run_interval_by_class,
)

INTERVAL, AHT, WITHIN, TARGET = 900.0, 180.0, 20.0, 0.8
RATE = 100 / 1800  # 10 Erlangs: Erlang C needs 14 servers


def _arrivals(times: np.ndarray, rng: np.random.Generator) -> Arrivals:
    n = times.size
    return Arrivals(t=times, priority=np.full(n, 3), answer=np.ones(n, bool),
                    handle=rng.exponential(AHT, n), patience=np.full(n, math.inf))


def _poisson(rate: float, horizon: float, rng: np.random.Generator) -> np.ndarray:
    t = np.cumsum(rng.exponential(1 / rate, int(rate * horizon * 1.3) + 10))
    return t[t < horizon]


@pytest.mark.parametrize("concurrency", [2, 3])
def test_search_with_concurrency_agrees_with_erlang_c_on_c_times_n_servers(
    concurrency: int,
) -> None:
    rng = np.random.default_rng(40 + concurrency)
    hours = 2
    reps = [_arrivals(_poisson(RATE, hours * 3600.0, rng), rng) for _ in range(60)]
    starts = np.arange(hours * 4) * INTERVAL
    servers = erlang_c_required(RATE, AHT, TARGET, WITHIN)
    assert servers == 14
    want = math.ceil(servers / concurrency)  # 7 agents of 2 slots, 5 of 3
    got = simulated_required(reps, starts, INTERVAL, WITHIN, TARGET, [want] * starts.size,
                             concurrency, 0.0)
    assert all(abs(g - want) <= 1 for g in got[1:]), got  # the first starts empty


def test_kernel_stretches_threads_by_threads_per_agent() -> None:
    arr = Arrivals(t=np.array([0.0, 1.0, 2.0]), priority=np.full(3, 3), answer=np.ones(3, bool),
                   handle=np.full(3, 10.0), patience=np.full(3, 1e9))
    state = QueueState()
    run_interval(state, arr.window(0, 5), 1, 5.0, 8.0, False, concurrency=2, slowdown=0.5)
    assert sorted(state.busy) == [10.0, 16.0] and state.backlog() == 1
    plain = QueueState()
    run_interval(plain, arr.window(0, 5), 2, 5.0, 8.0, False)  # 2 agents x 1 slot: no stretch
    assert sorted(plain.busy) == [10.0, 11.0]


def test_kernel_defers_private_posts_and_scores_each_class_on_its_own_within() -> None:
    private = np.array([False, True, False])
    arr = Arrivals(t=np.array([0.0, 1.0, 2.0]), priority=np.full(3, 3), answer=np.ones(3, bool),
                   handle=np.full(3, 10.0), patience=np.full(3, 1e9), private=private)
    classes = Classes(private_within_s=60.0, private_target=0.9, max_occupancy=1.0)
    tally = run_interval_by_class(QueueState(), arr.window(0, 100), 1, 100.0, 5.0, True,
                                  classes=classes)
    # public: 0 waits 0, the second public waits 8 (> 5 s); private waits 19 (<= 60 s)
    assert tally == (1, 2, 1, 1)


def test_kernel_caps_private_occupancy() -> None:
    arr = Arrivals(t=np.zeros(3), priority=np.full(3, 3), answer=np.ones(3, bool),
                   handle=np.full(3, 10.0), patience=np.full(3, 1e9), private=np.ones(3, bool))
    capped = Classes(private_within_s=5.0, private_target=0.5, max_occupancy=0.5)
    # 2 agents x 1 slot, cap 0.5: one private thread at a time
    tally = run_interval_by_class(QueueState(), arr.window(0, 1), 2, 1.0, 5.0, True,
                                  classes=capped)
    assert tally == (0, 0, 1, 3)
    free = Classes(private_within_s=5.0, private_target=0.5, max_occupancy=1.0)
    assert run_interval_by_class(QueueState(), arr.window(0, 1), 2, 1.0, 5.0, True,
                                 classes=free) == (0, 0, 2, 3)


def test_plan_reports_concurrency_classes_and_erlang_gap() -> None:
    tier = Tier(name="social", tier=1, routes=("care",), concurrency=2, slowdown=0.0,
                shifts=(Shift(start=0.0, end=3600.0, agents=6),),
                handle_time=DistSpec(dist="exponential", mean=AHT))
    levels = ServiceClasses(public=ServiceLevel(within=WITHIN, target=TARGET),
                            private=PrivateLevel(within=1800.0, target=0.9, max_occupancy=0.9))
    team = Team(tiers=(tier,), triage_accuracy=1.0, service_level=levels)
    runs = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        times = _poisson(RATE, 3600.0, rng)
        env = simpy.Environment()
        model = TeamModel(env, team, rng, record_actions=False)
        k = times.size
        feed(env, model, times, ["care"] * k, np.ones(k, int), np.full(k, 3), np.ones(k, bool),
             rng.random(k) < 0.3)
        env.run(until=3600.0)
        runs.append(model.result())
    plan = staffing_plan(runs, team, 3600.0, None, INTERVAL)
    t = plan.tiers[0]
    assert t.concurrency == 2 and set(t.service_levels) == {"public", "private"}
    assert t.service_levels["private"]["within_s"] == 1800.0
    assert 0.5 < (t.occupancy or 0) <= 1.0  # 10 Erlangs on 12 slots
    gap = t.erlang_vs_sim
    assert gap["intervals"] == 4 and gap["agree"] + gap["sim_above"] + gap["sim_below"] == 4
    # ~50 posts per interval at 3 min: Erlang C wants ~14 servers, 7 agents of 2 slots
    assert all(6 <= r.required_erlang_c <= 8 for r in t.intervals), t.intervals
    data = plan_json(plan)
    assert data["tiers"][0]["concurrency"] == 2
    assert data["service_level_classes"]["private"]["max_occupancy"] == 0.9
    text = plan_table(plan, None)
    assert "2 threads per agent" in text and "Erlang C (c*N servers) vs simulation" in text


def test_simulate_writes_digital_figures_to_team_json() -> None:
    import yaml

    from simulator.scenario.models import parse_scenario
    from simulator.staffing.simulated_runs import plan, team_json
    from simulator.team.simulation import simulate

    smoke = Path(__file__).parents[3] / "scenarios" / "ci-smoke.yaml"
    data = yaml.safe_load(smoke.read_text(encoding="utf-8"))
    data["team"]["tiers"][0]["concurrency"] = 2
    data["team"]["service_level"] = {"public": {"within": "1m", "target": 0.8},
                                     "private": {"within": "10m", "target": 0.9}}
    scenario = parse_scenario(data, "ci-smoke")
    result = simulate(scenario, record_actions=False)
    assert result.team.v_private.any() and not result.team.v_private.all()
    data_out = team_json(result, plan(scenario, replications=1, first=result))
    assert data_out["service_level_classes"]["private"]["within_s"] == 600.0
    assert set(data_out["service_levels"]) == {"public", "private"}
    assert data_out["tiers"][0]["concurrency"] == 2 and "erlang_vs_sim" in data_out["tiers"][0]
    conv = data_out["conversations"]
    assert conv["threads"] > 0 and conv["first_response_s"]["n"] > 0
