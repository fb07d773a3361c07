"""The crowd model against closed forms, plus determinism, journeys and the event stream.

Tolerances come from the sample size: each check allows ``Z`` standard errors of the
closed-form quantity (or a KS / chi-square p-value floor), with fixed seeds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import simpy
from scipy import stats

from simulator.crowd.cascade import CascadeModel, grow
from simulator.crowd.model import Crowd, generate
from simulator.runfolder import read_jsonl, write_jsonl
from simulator.runfolder.event_table import EventTable
from simulator.scenario.distributions import DistSpec
from simulator.scenario.models import Scenario, parse_scenario
from simulator.scenario.summary import summarize
from simulator.scenario.vocab import EMOTION_ESCALATION, EMOTIONS, INTENTS, KINDS

Z = 4.5  # standard errors allowed; with fixed seeds a failure means a real bias
N_ROOTS = 20_000


def _uniform_authors(size: int):  # type: ignore[no-untyped-def]
    return lambda rng, n: rng.integers(0, size, n)


def _model(n: float, kernel: dict[str, Any], weights: np.ndarray | None = None) -> CascadeModel:
    kinds = np.array([0.0, 0.3, 0.6, 0.1, 0.0])  # post, reply, repost, quote, message
    w = np.ones(100) if weights is None else weights
    return CascadeModel(n, DistSpec(**kernel).distribution, w, kinds)


def _sizes(model: CascadeModel, rng: np.random.Generator, roots: int) -> np.ndarray:
    t = np.zeros(roots)
    authors = rng.integers(0, len(model.weights), roots)
    kids = grow(
        model, rng, t, authors, np.ones(roots, bool), math.inf, _uniform_authors(len(model.weights))
    )
    return 1 + np.bincount(kids.root, minlength=roots)


@pytest.mark.parametrize("n", [0.3, 0.6, 0.8])
def test_mean_cascade_size_is_one_over_one_minus_n(n: float, rng: np.random.Generator) -> None:
    sizes = _sizes(_model(n, {"dist": "exponential", "mean": 60}), rng, N_ROOTS)
    mean = 1 / (1 - n)
    se = math.sqrt(n / (1 - n) ** 3 / N_ROOTS)  # Borel variance n/(1-n)^3
    assert abs(sizes.mean() - mean) < Z * se


@pytest.mark.parametrize("n", [0.3, 0.6, 0.8])
def test_share_of_size_one_cascades_is_e_to_minus_n(n: float, rng: np.random.Generator) -> None:
    sizes = _sizes(_model(n, {"dist": "exponential", "mean": 60}), rng, N_ROOTS)
    p = math.exp(-n)
    assert abs((sizes == 1).mean() - p) < Z * math.sqrt(p * (1 - p) / N_ROOTS)


def test_borel_size_distribution(rng: np.random.Generator) -> None:
    n = 0.5
    sizes = _sizes(_model(n, {"dist": "exponential", "mean": 60}), rng, N_ROOTS)
    for k in (2, 3, 4):
        p = math.exp(-n * k) * (n * k) ** (k - 1) / math.factorial(k)
        assert abs((sizes == k).mean() - p) < Z * math.sqrt(p * (1 - p) / N_ROOTS)


def test_influence_keeps_mean_branching_ratio(rng: np.random.Generator) -> None:
    followers = DistSpec(dist="pareto", alpha=2.0, min=20).distribution.sample(rng, 5000)
    w = (followers / np.median(followers)) ** 0.5
    w /= w.mean()
    n = 0.6
    model = _model(n, {"dist": "exponential", "mean": 60}, w)
    roots = 40_000
    authors = rng.integers(0, len(w), roots)
    kids = grow(
        model,
        rng,
        np.zeros(roots),
        authors,
        np.ones(roots, bool),
        math.inf,
        _uniform_authors(len(w)),
    )
    first_gen = np.bincount(kids.parent[kids.parent < roots], minlength=roots)
    var = n + n**2 * w.var()  # Poisson mixture
    assert abs(first_gen.mean() - n) < Z * math.sqrt(var / roots)
    # influential authors have more children: n * w on average
    top = w[authors] > np.quantile(w, 0.9)
    want = n * w[authors][top].mean()
    se = math.sqrt((want + n**2 * w[authors][top].var()) / top.sum())
    assert abs(first_gen[top].mean() - want) < Z * se
    assert want > 1.5 * n


@pytest.mark.parametrize(
    "kernel",
    [
        {"dist": "exponential", "mean": 120},
        {"dist": "powerlaw", "s0": 300, "theta": 0.2314843},
        {"dist": "lognormal", "mean": 600, "sd": 300},
    ],
    ids=["exponential", "powerlaw", "lognormal"],
)
def test_child_delays_follow_the_kernel_cdf(
    kernel: dict[str, Any], rng: np.random.Generator
) -> None:
    model = _model(0.7, kernel)
    roots = 5000
    t = rng.uniform(0, 1000, roots)
    kids = grow(
        model,
        rng,
        t,
        rng.integers(0, 100, roots),
        np.ones(roots, bool),
        math.inf,
        _uniform_authors(100),
    )
    all_t = np.concatenate([t, kids.t])
    delays = kids.t - all_t[kids.parent]
    assert len(delays) > 5000
    assert stats.kstest(delays, model.kernel.cdf).pvalue > 1e-3


def test_seismic_kernel_constants() -> None:
    dist = DistSpec(dist="powerlaw", s0=300, theta=0.2314843).distribution
    # density c = 6.265725e-4 /s up to s0, so F(s0) = c * s0
    assert dist.cdf(np.array([300.0]))[0] == pytest.approx(6.265725e-4 * 300, rel=1e-5)
    assert math.isinf(dist.mean)
    # median reaction about 40 minutes
    assert 35 * 60 < 300 * (0.5 * 1.2314843) ** (-1 / 0.2314843) < 45 * 60


def test_children_after_the_end_are_dropped(rng: np.random.Generator) -> None:
    model = _model(0.8, {"dist": "exponential", "mean": 100})
    kids = grow(
        model,
        rng,
        np.zeros(2000),
        rng.integers(0, 100, 2000),
        np.ones(2000, bool),
        150.0,
        _uniform_authors(100),
    )
    assert kids.t.max() < 150.0


def _only_incident(data: dict[str, Any], rate: str, n: float, duration: str) -> Scenario:
    data["duration"] = duration
    data["channels"] = {"twitter": 0.8, "facebook": 0.2}  # private channels do not spread
    data["baseline"]["rate"] = "0/s"
    data["journeys"] = None
    inc = data["incidents"][0]
    inc.update(at="0s", trigger={"rate": rate, "for": duration}, waves=[])
    inc["cascade"].update(branching=n, kernel={"dist": "exponential", "mean": "20s"})
    for tier in data["team"]["tiers"]:
        tier["shifts"] = [{"from": "0s", "to": duration, "agents": 1}]
    return parse_scenario(data, "tiny.yaml")


def test_stationary_rate_is_mu_over_one_minus_n(tiny_scenario_data: dict[str, Any]) -> None:
    mu, n, dur = 2.0, 0.5, 4000.0
    sc = _only_incident(tiny_scenario_data, "2/s", n, "4000s")
    table = generate(sc, seed=5)
    warm = 500.0  # kernel mean 20 s: stationary long before this
    count = int(((table.t >= warm) & (table.t < dur - 200)).sum())
    span = dur - 200 - warm
    expected = mu / (1 - n) * span
    sd = math.sqrt(mu * span / (1 - n) ** 3)  # Hawkes count variance over long windows
    assert abs(count - expected) < Z * sd


def test_baseline_count_and_intent_mix(tiny_scenario_data: dict[str, Any]) -> None:
    data = tiny_scenario_data
    data["incidents"] = []
    data["journeys"] = None
    data["policy"][1]["when"] = {"intent": ["legal_threat"]}
    data["duration"] = "2h"
    for tier in data["team"]["tiers"]:
        tier["shifts"] = [{"from": "0s", "to": "2h", "agents": 1}]
    sc = parse_scenario(data, "tiny.yaml")
    table = generate(sc, seed=8)
    expected = 0.5 * 7200
    assert abs(len(table) - expected) < Z * math.sqrt(expected)
    mix = sc.baseline.intents
    observed = np.bincount(table.intent, minlength=len(INTENTS))
    names = [k for k in INTENTS if mix.get(k, 0) > 0]
    assert observed.sum() == sum(observed[INTENTS.index(k)] for k in names)
    exp_counts = [mix[k] * len(table) for k in names]
    assert stats.chisquare([observed[INTENTS.index(k)] for k in names], exp_counts).pvalue > 1e-3
    # channels follow the channel mix too
    chans = sc.channels
    obs_ch = np.bincount(table.channel, minlength=10)
    from simulator.scenario.vocab import CHANNELS

    ch_names = list(chans)
    assert (
        stats.chisquare(
            [obs_ch[CHANNELS.index(c)] for c in ch_names], [chans[c] * len(table) for c in ch_names]
        ).pvalue
        > 1e-3
    )


def test_profile_points_shape_the_baseline(tiny_scenario_data: dict[str, Any]) -> None:
    data = tiny_scenario_data
    data["incidents"], data["journeys"] = [], None
    data["policy"][1]["when"] = {"intent": ["legal_threat"]}
    data["baseline"]["rate"] = "1/s"
    data["baseline"]["profile"] = [
        {"at": "0s", "factor": 0.2},
        {"at": "5m", "factor": 0.2},
        {"at": "5m1s", "factor": 1.8},
    ]
    table = generate(parse_scenario(data, "tiny.yaml"), seed=2)
    first = int((table.t < 300).sum())
    second = int(((table.t >= 301) & (table.t < 600)).sum())
    assert abs(first - 60) < Z * math.sqrt(60)
    assert abs(second - 1.8 * 299) < Z * math.sqrt(1.8 * 299)


def test_volume_scales_arrivals(tiny_scenario: Scenario) -> None:
    full = np.mean([len(generate(tiny_scenario, seed=s)) for s in range(4)])
    half = np.mean([len(generate(tiny_scenario, seed=s, volume=0.5)) for s in range(4)])
    assert 0.35 < half / full < 0.65


def test_summary_matches_generated_volume(tiny_scenario_data: dict[str, Any]) -> None:
    tiny_scenario_data["journeys"] = None
    sc = parse_scenario(tiny_scenario_data, "tiny.yaml")
    expected = summarize(sc).total
    counts = [len(generate(sc, seed=s)) for s in range(8)]
    n = 0.5
    sd_one = math.sqrt(expected / (1 - n) ** 2)  # cascades inflate the Poisson variance
    assert abs(np.mean(counts) - expected) < Z * sd_one / math.sqrt(len(counts))


def _bytes(table: EventTable, path: Path) -> bytes:
    write_jsonl(table, path)
    return path.read_bytes()


def test_same_seed_same_bytes(tiny_scenario: Scenario, tmp_path: Path) -> None:
    a = _bytes(generate(tiny_scenario), tmp_path / "a.jsonl")
    b = _bytes(generate(tiny_scenario), tmp_path / "b.jsonl")
    c = _bytes(generate(tiny_scenario, seed=99), tmp_path / "c.jsonl")
    assert a == b
    assert a != c


def test_stream_is_sorted_and_linked(tiny_scenario: Scenario) -> None:
    table = generate(tiny_scenario, seed=4)
    assert len(table) > 100
    assert np.all(np.diff(table.t) >= 0)
    assert table.t.min() >= 0 and table.t.max() < tiny_scenario.duration
    has_parent = table.parent >= 0
    assert has_parent.any()
    assert np.all(table.parent[has_parent] < np.flatnonzero(has_parent))
    kinds = table.names("kind")
    assert set(kinds[has_parent]) <= {"reply", "repost", "quote"}
    assert set(kinds[~has_parent]) <= {"post", "message"}
    # a thread is named after its root; children share their parent's thread
    assert np.all(table.thread[has_parent] == table.thread[table.parent[has_parent]])
    assert np.all(
        table.thread[~has_parent & (table.journey < 1)]
        <= np.flatnonzero(~has_parent & (table.journey < 1))
    )
    # reposts copy the parent's intent, and quote its text
    rep = np.flatnonzero(kinds == "repost")
    assert np.all(table.intent[rep] == table.intent[table.parent[rep]])
    texts = table.text
    assert all(texts[i].startswith("RT @") for i in rep)
    # only incident posts cascade; baseline posts have no children
    assert np.all(table.incident[has_parent] >= 0)


def test_labels_follow_the_policy(tiny_scenario: Scenario) -> None:
    table = generate(tiny_scenario, seed=6)
    kinds, intents, routes = table.names("kind"), table.names("intent"), table.names("route")
    rep = kinds == "repost"
    assert set(routes[rep]) == {"none"} and not table.respond[rep].any()
    legal = ~rep & np.isin(intents, ["legal_threat", "security"])
    assert legal.any() and set(routes[legal]) == {"legal"}
    assert np.all(table.priority[legal] == 1) and np.all(table.respond_within_s[legal] == 1800)
    big = ~rep & (intents == "complaint") & (table.followers >= 10000)
    assert np.all(table.tier[big] == 2)
    praise = intents == "praise"
    assert not table.respond[praise].any() and np.all(np.isnan(table.respond_within_s[praise]))


def test_journeys_keep_customer_and_escalate(tiny_scenario: Scenario) -> None:
    table = generate(tiny_scenario, seed=1)
    follow = np.flatnonzero(table.follows >= 0)
    assert len(follow) >= 5
    path = list(tiny_scenario.journeys.path)  # type: ignore[union-attr]
    chans = table.names("channel")
    for i in follow.tolist():
        prev = int(table.follows[i])
        assert prev < i and table.t[prev] < table.t[i]
        assert table.customer[i] == table.customer[prev] >= 0
        assert table.journey[i] == table.journey[prev] + 1
        assert EMOTIONS[table.emotion[i]] == EMOTION_ESCALATION[EMOTIONS[table.emotion[prev]]]
        assert INTENTS[table.intent[i]] == "complaint"
        prev_ch = chans[prev]
        want = path[path.index(prev_ch) + 1] if prev_ch in path else path[0]
        assert chans[i] == want


def test_streaming_mode_matches_batch_mode(tiny_scenario: Scenario, tmp_path: Path) -> None:
    env = simpy.Environment()
    seen: list[tuple[int, float]] = []
    crowd = Crowd(
        env,
        tiny_scenario,
        np.random.default_rng(tiny_scenario.seed),
        on_post=lambda i: seen.append((i, env.now)),
    )
    crowd.start()
    env.run(until=tiny_scenario.duration)
    streamed = crowd.table()
    assert [i for i, _ in seen] == list(range(len(streamed)))
    assert np.allclose([t for _, t in seen], streamed.t)
    a = _bytes(streamed, tmp_path / "s.jsonl")
    b = _bytes(generate(tiny_scenario), tmp_path / "b.jsonl")
    assert a == b


def test_follow_up_posts_now_on_the_next_channel(tiny_scenario: Scenario) -> None:
    env = simpy.Environment()
    posted: list[int] = []
    crowd = Crowd(
        env, tiny_scenario, np.random.default_rng(2), on_post=posted.append, auto_journeys=False
    )
    crowd.start()
    env.run(until=300)
    journey = [i for i in posted if crowd.is_journey(i)]
    other = [i for i in posted if crowd.post(i).intent == "praise"]
    assert journey and other
    first = crowd.post(journey[0])
    assert first.intent == "complaint" and first.journey == 0
    new = crowd.follow_up(journey[0])
    assert new is not None and posted[-1] == new
    post = crowd.post(new)
    assert post.t == env.now == 300
    assert post.customer == first.customer and post.journey == 1
    assert post.emotion == EMOTION_ESCALATION[first.emotion]
    assert crowd.follow_up(other[0]) is None
    env.run(until=tiny_scenario.duration)
    table = crowd.table()
    assert table.follows[new] == journey[0]
    assert np.all(np.diff(table.t) >= 0)


def test_no_automatic_follow_ups_when_the_team_decides(tiny_scenario: Scenario) -> None:
    env = simpy.Environment()
    crowd = Crowd(
        env, tiny_scenario, np.random.default_rng(2), on_post=lambda i: None, auto_journeys=False
    )
    crowd.start()
    env.run(until=tiny_scenario.duration)
    assert not (crowd.table().journey > 0).any()


def test_round_trip_through_jsonl(tiny_scenario: Scenario, tmp_path: Path) -> None:
    table = generate(tiny_scenario, seed=3)
    path = tmp_path / "events.jsonl"
    write_jsonl(table, path)
    back = read_jsonl(path)
    assert len(back) == len(table)
    for col in (
        "channel",
        "kind",
        "parent",
        "thread",
        "followers",
        "verified",
        "segment",
        "customer",
        "intent",
        "emotion",
        "tier",
        "priority",
        "respond",
        "journey",
        "follows",
    ):
        assert np.array_equal(getattr(back, col), getattr(table, col)), col
    assert np.allclose(back.t, table.t, atol=1e-3)
    assert np.array_equal(np.isnan(back.respond_within_s), np.isnan(table.respond_within_s))
    assert list(back.names("route")) == list(table.names("route"))
    assert list(back.names("incident")) == list(table.names("incident"))
    assert back.text == table.text and back.handle == table.handle
    assert _bytes(back, tmp_path / "again.jsonl") == path.read_bytes()


def test_event_lines_have_the_design_shape(tiny_scenario: Scenario, tmp_path: Path) -> None:
    import orjson

    path = tmp_path / "events.jsonl"
    write_jsonl(generate(tiny_scenario), path)
    first = orjson.loads(path.read_bytes().splitlines()[0])
    assert first["id"] == "ev-0000000" and first["thread"].startswith("th-")
    assert set(first) == {
        "id",
        "t",
        "channel",
        "kind",
        "parent",
        "thread",
        "author",
        "text",
        "lang",
        "incident",
        "labels",
    }
    assert set(first["author"]) == {
        "handle",
        "name",
        "followers",
        "verified",
        "customer_id",
        "segment",
    }
    assert set(first["labels"]["expected"]) == {
        "route",
        "tier",
        "priority",
        "respond",
        "respond_within_s",
    }
    assert first["kind"] in KINDS


def test_bad_events_file_is_an_input_error(tmp_path: Path) -> None:
    from simulator.errors import InputError

    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "ev-0000000"\n')
    with pytest.raises(InputError, match=r"events\.jsonl: line 1 must be one JSON object"):
        read_jsonl(path)
    path.write_text('{"id": "ev-0000000"}\n')
    with pytest.raises(InputError, match=r"events\.jsonl: line 1 must be an event"):
        read_jsonl(path)
    event = {"t": 1, "channel": "twitter", "kind": "post", "author": {},
             "labels": {"intent": "rant", "expected": {}}}
    path.write_text("\n" + json.dumps(event) + "\n")
    with pytest.raises(InputError, match=r"events\.jsonl: line 2 labels\.intent must be one of "
                       r"complaint, .*got 'rant'"):
        read_jsonl(path)


def _reference_line(table: EventTable, i: int) -> bytes:
    """One event exactly as DESIGN.md section 5 describes it, encoded by orjson."""
    import orjson

    def ref(v: int, prefix: str, width: int) -> str | None:
        return f"{prefix}{v:0{width}d}" if v >= 0 else None

    within = float(table.respond_within_s[i])
    priority = int(table.priority[i])
    return orjson.dumps(
        {
            "id": ref(i, "ev-", 7),
            "t": round(float(table.t[i]), 3),
            "channel": table.names("channel")[i],
            "kind": table.names("kind")[i],
            "parent": ref(int(table.parent[i]), "ev-", 7),
            "thread": ref(int(table.thread[i]), "th-", 7),
            "author": {
                "handle": table.handle[i],
                "name": table.name[i],
                "followers": int(table.followers[i]),
                "verified": bool(table.verified[i]),
                "customer_id": ref(int(table.customer[i]), "C-", 6),
                "segment": table.names("segment")[i],
            },
            "text": table.text[i],
            "lang": "en",
            "incident": table.names("incident")[i],
            "labels": {
                "intent": table.names("intent")[i],
                "emotion": table.names("emotion")[i],
                "sentiment": round(float(table.sentiment[i]), 3) + 0.0,
                "journey_step": int(table.journey[i]) if table.journey[i] >= 0 else None,
                "follows": ref(int(table.follows[i]), "ev-", 7),
                "expected": {
                    "route": table.names("route")[i],
                    "tier": int(table.tier[i]),
                    "priority": f"p{priority}" if priority else None,
                    "respond": bool(table.respond[i]),
                    "respond_within_s": None if math.isnan(within) else within,
                },
            },
        }
    )


def test_writer_bytes_match_a_per_event_encoding(tiny_scenario: Scenario, tmp_path: Path) -> None:
    table = generate(tiny_scenario, seed=8)
    # strings JSON must escape, and non-ASCII, in every string column
    awkward = ['a "quoted", \\ back\\slash', "ends with \\", '","', "tab\there\nnew\x01", "Zoë 🌧"]
    for k, s in enumerate(awkward):
        table.text[k] = s
        table.name[k + 1] = s
        table.handle[k + 2] = "@" + s
    path = tmp_path / "events.jsonl"
    write_jsonl(table, path)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(table) + 1
    for i in range(len(table)):
        assert lines[i] == _reference_line(table, i), i
    back = read_jsonl(path)
    assert back.text[: len(awkward)] == awkward


def test_pooled_writer_bytes_match_a_per_event_encoding(
    tiny_scenario: Scenario, tmp_path: Path
) -> None:
    """Handles and names written once per author give the same bytes as per event."""
    table = generate(tiny_scenario, seed=9)
    handles, names = table.pool("handle"), table.pool("name")
    assert handles is not None and names is not None and table.author is not None
    awkward = ['@a "quoted", \\ x', "Zoë \\", "tab\there\nnew\x01 🌧"]
    for k, s in enumerate(awkward):
        handles[k], names[k + 1] = s, s
    table.sentiment[:4] = [-0.0004, 0.0005, 0.9995, -1.0]
    path = tmp_path / "events.jsonl"
    write_jsonl(table, path)
    lines = path.read_bytes().split(b"\n")
    for i in range(len(table)):
        assert lines[i] == _reference_line(table, i), i
    assert set(awkward) <= set(table.handle) | set(table.name)


def test_reader_crosses_chunk_boundaries(
    tiny_scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.runfolder.arrow as arrow
    import simulator.runfolder.jsonl_write as jsonl_write
    import simulator.runfolder.lines as lines

    table = generate(tiny_scenario, seed=5)
    path = tmp_path / "events.jsonl"
    write_jsonl(table, path)
    monkeypatch.setattr(arrow, "BLOCK_BYTES", 3000)  # a few lines per block
    monkeypatch.setattr(lines, "CHUNK_LINES", 7)
    monkeypatch.setattr(jsonl_write, "WRITE_CHUNK", 11)
    back = read_jsonl(path)
    assert np.array_equal(back.parent, table.parent) and back.text == table.text
    assert list(back.names("incident")) == list(table.names("incident"))
    write_jsonl(back, tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == path.read_bytes()
    lines = path.read_bytes().splitlines()
    lines[9] = lines[9][:-1]
    path.write_bytes(b"\n".join(lines) + b"\n")
    from simulator.errors import InputError

    with pytest.raises(InputError, match=r"events\.jsonl: line 10 must be one JSON object"):
        read_jsonl(path)


def test_reader_fast_path_agrees_with_the_general_parser(
    tiny_scenario: Scenario, tmp_path: Path
) -> None:
    """Our own file is read by pyarrow; a file it cannot read (other key orders, a blank
    line, a tier written as 2.0) by the line parser, to the same table; a value of the wrong
    type is an error naming its line."""
    import re

    import orjson

    from simulator.errors import InputError

    table = generate(tiny_scenario, seed=6)
    ours = tmp_path / "ours.jsonl"
    write_jsonl(table, ours)
    fast = read_jsonl(ours)
    assert fast.author is not None and fast.pool("handle") is not None
    lines = ours.read_bytes().splitlines()
    other = tmp_path / "other.jsonl"
    resorted = [orjson.dumps(orjson.loads(ln), option=orjson.OPT_SORT_KEYS) for ln in lines]
    resorted[2] = re.sub(rb'"tier":(\d+)', rb'"tier":\1.0', resorted[2])
    other.write_bytes(b"\n".join(resorted[:5] + [b""] + resorted[5:]) + b"\n")
    full = read_jsonl(other)
    assert full.author is not None and full.pool("handle") is not None
    resorted[3] = resorted[3].replace(b'"t":', b'"t":"1","_":')
    other.write_bytes(b"\n".join(resorted) + b"\n")
    with pytest.raises(InputError, match=r"other\.jsonl: line 4 must be an event as in DESIGN\.md"):
        read_jsonl(other)
    assert len(full) == len(fast) == len(table)
    for col in (
        "t",
        "channel",
        "kind",
        "parent",
        "thread",
        "followers",
        "verified",
        "segment",
        "customer",
        "intent",
        "emotion",
        "sentiment",
        "tier",
        "priority",
        "respond",
        "journey",
        "follows",
    ):
        assert np.array_equal(getattr(fast, col), getattr(full, col)), col
    assert fast.text == full.text and fast.handle == full.handle and fast.name == full.name
    assert list(fast.names("route")) == list(full.names("route"))
    write_jsonl(full, tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_bytes() == ours.read_bytes()


def test_generate_command_takes_volume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import run_drill

    smoke = Path(__file__).resolve().parents[3] / "scenarios" / "ci-smoke.yaml"
    counts = []
    for volume in ("1", "4"):
        out = tmp_path / f"v{volume}.jsonl"
        assert run_drill.main(["generate", str(smoke), "-o", str(out), "--volume", volume]) == 0
        counts.append(len(out.read_bytes().splitlines()))
    assert 2.5 < counts[1] / counts[0] < 6
    assert run_drill.main(["generate", str(smoke), "-o", str(tmp_path / "x"), "--volume", "0"]) == 2
    assert "--volume: must be > 0, got 0" in capsys.readouterr().err
