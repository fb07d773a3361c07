"""The drill's options object, its team file for the reference stack, the replay's hooks.

Fast, in-process: ``drill_options`` validates every flag (exit-2 errors naming the flag) and
sets no environment variable; ``write_stack_team`` writes the validated scenario team in the
stack's own format, and the stack's parser (``carestack.config.load_team``) reads back the
same shifts, handle-time distribution, concurrency and slowdown; ``ReplayHooks`` fire their
listeners in order and let their errors through.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from carestack.config import load_team
from drill.options import SECRET_ENV, drill_options
from drill.stack_team import write_stack_team
from load.hooks import Recording, ReplayHooks
from simulator.errors import InputError
from simulator.scenario.models import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "ci-smoke.yaml"


@pytest.mark.parametrize(("flags", "match"), [
    ({"speed": 0.0}, r"^--speed: must be > 0, got 0$"),
    ({"grace": "soon"}, r"^--grace: must be a duration"),
    ({"drain": "0s"}, r"^--drain: must be a duration > 0"),
    ({"live": True, "workers": 2}, r"^--live: a live drill sends from one process"),
    ({"sim_agents": 2}, r"^--sim-agents: must be an integer >= 0 with --live"),
    ({"plan": Path("plan.yaml")}, r"^--plan: an exercise plan runs in a live drill"),
    ({"stack_config": Path("x.yaml"), "target": Path("t.yaml")},
     r"^--stack-config: configures the reference stack"),
])
def test_bad_flags_are_named(flags: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        drill_options(SMOKE, **flags)


def test_options_resolve_defaults_and_set_no_environment(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    secret = tmp_path / "secret"
    secret.write_text("  s3cret\n")
    options = drill_options(SMOKE, live=True, platform_secret_file=secret, remote_workers=0,
                            grace="30s", drain="2m")
    assert options.speed == 1.0 and options.sim_agents == 0  # live: speed 1, no agents
    assert options.platform_secret == "s3cret" and SECRET_ENV not in os.environ
    assert (options.grace_s, options.drain_s) == (30.0, 120.0)
    assert (options.master_bind, options.master_port) == ("127.0.0.1", 0)
    remote = drill_options(SMOKE, remote_workers=2)
    assert (remote.master_bind, remote.master_port) == ("0.0.0.0", 5557)
    replay = options.replay(2.0, 5.0, tmp_path / "team.yaml")
    assert (replay.speed, replay.grace_s, replay.platform_secret, replay.live) == (
        2.0, 5.0, "s3cret", True)
    secret.write_text("")
    with pytest.raises(InputError, match="^--platform-secret-file: must hold a secret"):
        drill_options(SMOKE, platform_secret_file=secret)


def test_stack_team_is_the_validated_team(tmp_path: Path) -> None:
    data = yaml.safe_load(SMOKE.read_text())
    data["team"]["tiers"][1]["handle_time"] = {"dist": "exponential", "mean": "90s"}
    data["team"]["tiers"][0]["concurrency"] = 3
    data["team"]["tiers"][2]["handle_time"] = {"dist": "constant", "value": "1min"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    scenario = load_scenario(path)
    tiers = load_team(write_stack_team(scenario.team, tmp_path / "team.yaml"))
    for mine, theirs in zip(scenario.team.tiers, tiers, strict=True):
        assert (theirs.name, theirs.tier, theirs.routes) == (mine.name, mine.tier, mine.routes)
        assert theirs.shifts == tuple((s.start, s.end, s.agents) for s in mine.shifts)
        assert (theirs.escalates, theirs.concurrency, theirs.slowdown) == (
            mine.escalates, mine.concurrency, mine.slowdown)
    assert (tiers[0].handle_dist, tiers[0].handle_mean_s, tiers[0].handle_sd_s) == (
        "lognormal", 20.0, 10.0)
    assert (tiers[1].handle_dist, tiers[1].handle_mean_s, tiers[1].handle_sd_s) == (
        "exponential", 90.0, 90.0)
    assert (tiers[2].handle_dist, tiers[2].handle_mean_s, tiers[2].handle_sd_s) == (
        "constant", 60.0, 0.0)
    assert tiers[0].concurrency == 3
    capped = load_team(write_stack_team(scenario.team, tmp_path / "live.yaml", cap=2))
    assert [t.agents for t in capped] == [2, 2, 2]
    data["team"]["tiers"][0]["handle_time"] = {"dist": "uniform", "low": 1, "high": 2}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=r"s\.yaml: team\.tiers\[0\]\.handle_time\.dist must be "
                                         r"lognormal, exponential or constant"):
        write_stack_team(load_scenario(path).team, tmp_path / "bad.yaml", source=str(path))


def test_stack_agents_draw_the_tiers_distribution(tmp_path: Path) -> None:
    """The stack's exponential handle times have sd = mean (a lognormal here would not)."""
    from carestack.agents import AgentPool, Clock
    from carestack.dispatch import Dispatcher

    data = yaml.safe_load(SMOKE.read_text())
    data["team"]["tiers"][0]["handle_time"] = {"dist": "exponential", "mean": "100s"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    (tier, *_) = load_team(write_stack_team(load_scenario(path).team, tmp_path / "t.yaml"))
    pool = AgentPool((tier,), Dispatcher(), Clock(1.0), np.random.default_rng(1),
                     act=lambda *_: None)
    draws = np.array([pool.handle_time(tier) for _ in range(20_000)])
    # mean 100, sd 100: the sample mean is within 4 standard errors (100 / sqrt(20000))
    assert abs(draws.mean() - 100.0) < 4 * 100.0 / np.sqrt(len(draws))
    assert abs(np.median(draws) - 100.0 * np.log(2)) < 3.0  # exponential median


def test_hooks_fire_in_order_and_let_errors_through() -> None:
    hooks = ReplayHooks()
    seen: list[str] = []
    hooks.start.add_listener(lambda start_wall: seen.append(f"a{start_wall:g}"))
    hooks.start.add_listener(lambda start_wall: seen.append(f"b{start_wall:g}"))
    hooks.start.fire(start_wall=1.0)
    assert seen == ["a1", "b1"] and not hooks.finish and hooks.start
    hooks.added_events.add_listener(lambda: [{"id": "x"}])
    hooks.added_events.add_listener(lambda: [{"id": "y"}])
    assert [e["id"] for e in hooks.events_added()] == ["x", "y"]

    def grow(recording: Recording) -> None:
        recording.plan = recording.plan + 1

    hooks.merge.add_listener(grow)
    hooks.merge.add_listener(grow)
    recording = Recording(plan=0, outcome=None, platform_stats={})
    hooks.merge.fire(recording=recording)
    assert recording.plan == 2

    def bad(context: object) -> None:
        raise InputError("--facilitator-port: must be a free port, got 1")

    hooks.attach.add_listener(bad)
    with pytest.raises(InputError, match="facilitator-port"):
        hooks.attach.fire(context=None)
