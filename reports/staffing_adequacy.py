"""Staffing adequacy: arrivals per interval and tier against Erlang's requirement and the roster.

Per roster tier and interval (default 15 min): posts that needed an answer (assigned to
the tier the ground truth names), first responses made (throughput), the backlog at the
interval's end (arrived and not yet answered), SLA attainment of the posts that arrived
in it, agents required by Erlang C (and Erlang A with the team's patience) for the
team's service level at the tier's planned handle time, agents rostered at the
interval's midpoint, and the agents required by simulation: in simulate the team model's
own figure from team.json, in a drill a simulated search over the drill's own arrivals
(``drill_required``, on the kernel and search of ``simulator.staffing.requirement``). Shortfall
windows and agent-hours count against the simulation's requirement where a tier has one
(as ``simulate``/``staff`` do), against Erlang C otherwise; ``required_basis`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.scenario_facts import Roster, TierPlan
from reports.staffing_digital import erlang_vs_sim, first_response_levels, team_tier
from reports.stats import ratio
from simulator.scenario.vocab import PRIVATE_CHANNELS
from simulator.staffing.requirement import clock, shortfall_windows, simulated_required
from simulator.team.model import NOISE_HANDLE_S, NOISE_PRIORITY
from simulator.team.queuesim import MAX_PRIORITY, Arrivals, Classes

DEFAULT_INTERVAL_S = 900.0
GAP_ACTIONS = ("reply", "message", "close")  # an agent finishing a case
SIM_REPLICATIONS = 8  # handle-time/patience draws per tier; the arrivals are the drill's own
SIM_POST_BUDGET = 60_000  # posts x replications; above it fewer replications, then no search
NO_PRIORITY = 4  # a post that needs an answer but names no priority queues as p4
UNREACHED = (0, -1)  # sends.npz status: never sent, connection error (never reached the stack)

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def _required(
    rate: float, tier: TierPlan, roster: Roster, erlang_a: bool, cache: dict[Any, int | None]
) -> int | None:
    from simulator.staffing import erlang

    # effective servers for concurrency: ceil(S / N), S at the handle time stretched to N
    # threads held; with per-class levels the larger of the two classes' needs
    n = tier.concurrency
    work = tier.aht_s * tier.stretch(n)
    key = (round(rate, 12), work, n, erlang_a)
    levels = [(roster.target, roster.within_s)]
    if roster.private is not None:
        levels.append((roster.private[1], roster.private[0]))
    if key not in cache:
        try:
            if erlang_a:
                if roster.patience_s is None:
                    cache[key] = None
                else:
                    patience = roster.patience_s
                    servers = max(erlang.erlang_a_required(rate, work, t, w, patience)
                                  for t, w in levels)
                    cache[key] = math.ceil(servers / n)
            else:
                servers = max(erlang.erlang_c_required(rate, work, t, w) for t, w in levels)
                cache[key] = math.ceil(servers / n)
        except ValueError:
            cache[key] = None
    return cache[key]


def observed_case_time(run: RunData, tier: int) -> float | None:
    """Median gap (s) between an agent's consecutive cases (first finishing action each) of a tier.

    An upper bound on handle time when agents sit idle; close to it under load.
    """
    acts = run.actions
    codes = [acts.action.index(k) for k in GAP_ACTIONS]
    no_agent = acts.agent.index("")
    ev_tier = np.where(acts.event >= 0, run.events.tier[np.maximum(acts.event, 0)], -1)
    act_tier = np.where(acts.tier >= 0, acts.tier, ev_tier)
    sel = np.isin(acts.action.codes, codes) & (acts.agent.codes != no_agent) & (act_tier == tier)
    if sel.sum() < 2:
        return None
    agent, at, event = acts.agent.codes[sel], acts.at[sel], acts.event[sel]
    # One finish per case: a reply and its close are one case, not two.
    order = np.lexsort((at, event, agent))
    agent, at, event = agent[order], at[order], event[order]
    first = np.ones(agent.size, dtype=bool)
    first[1:] = (np.diff(agent) != 0) | (np.diff(event) != 0)
    agent, at = agent[first], at[first]
    order = np.lexsort((at, agent))
    agent, at = agent[order], at[order]
    gaps = np.diff(at)[np.diff(agent) == 0]
    gaps = gaps[gaps > 0]
    return round(float(np.median(gaps)), 3) if gaps.size else None


def _sim_required(run: RunData) -> dict[tuple[str, float], int]:
    """(tier name, start_s) -> required_sim from team.json, when the team model wrote it."""
    team = run.team or {}
    staffing = team.get("staffing")
    source: dict[str, Any] = staffing if isinstance(staffing, dict) else team
    out: dict[tuple[str, float], int] = {}
    for tier in source.get("tiers", []) or []:
        for row in tier.get("intervals", []) or [] if isinstance(tier, dict) else []:
            if isinstance(row, dict) and row.get("required_sim") is not None:
                out[(str(tier.get("name")), float(row.get("start_s", 0.0)))] = int(
                    row["required_sim"]
                )
    for row in source.get("intervals", []) or []:
        if (
            isinstance(row, dict)
            and row.get("required_sim") is not None
            and ("tier" in row or "name" in row)
        ):
            name = str(row.get("name") or row.get("tier_name") or row.get("tier"))
            out[(name, float(row.get("start_s", 0.0)))] = int(row["required_sim"])
    return out


@dataclass(frozen=True)
class SimInputs:
    """What the drill's simulated search takes from the scenario.

    ``handle`` is aligned with ``Roster.tiers``; ``patience`` is None without team patience.
    """

    seed: int
    handle: tuple[Sampler, ...]
    patience: Sampler | None
    distributions: str  # "scenario", or "exponential at the roster's means"


def _exponential(mean: float) -> Sampler:
    return lambda rng, n: rng.exponential(mean, n)


def sim_inputs(roster: Roster, scenario: Any | None = None) -> SimInputs:
    """Handle-time and patience samplers and the seed for ``drill_required``.

    With the scenario: its tiers' handle-time distributions, its team patience and its seed
    (common random numbers across runs of one scenario). Without it: exponential at the
    roster's planned means and seed 0 (what Erlang assumes; documented in docs/staffing.md).
    """
    team = getattr(scenario, "team", None)
    if team is not None and len(team.tiers) == len(roster.tiers):
        return SimInputs(
            int(getattr(scenario, "seed", 0) or 0),
            tuple(t.handle_time.build().sample for t in team.tiers),
            team.patience.build().sample if team.patience is not None else None,
            "scenario",
        )
    return SimInputs(
        0,
        tuple(_exponential(p.aht_s) for p in roster.tiers),
        _exponential(roster.patience_s) if roster.patience_s is not None else None,
        "exponential at the roster's means",
    )


def reached_stack(run: RunData) -> np.ndarray:
    """Per event: it reached the target (sends.npz status not unsent / connection error).

    Without sends.npz (simulate, hand-built folders) every event counts.
    """
    n = len(run.events)
    status = (run.sends or {}).get("status")
    if status is None or len(status) != n:
        return np.ones(n, dtype=bool)
    return ~np.isin(status, UNREACHED)


def _priorities(run: RunData) -> np.ndarray:
    """Queue priority per event: ``pN`` -> N, none -> NO_PRIORITY."""
    names = run.events.priority.names
    lut = np.array(
        [int(n[1:]) if n[:1] == "p" and n[1:].isdigit() else NO_PRIORITY for n in names]
        or [NO_PRIORITY],
        dtype=np.int64,
    )
    return np.clip(lut[run.events.priority.codes], 0, MAX_PRIORITY)


def drill_required(
    run: RunData,
    roster: Roster,
    inputs: SimInputs,
    starts: np.ndarray,
    interval_s: float,
    guesses: list[list[int | None]],
) -> tuple[list[list[int | None]], dict[str, Any]]:
    """Agents required by simulation per roster tier and interval, over the drill's arrivals.

    Each tier's stream is the posts that reached the stack, needing an answer, at the tier
    their ground truth names (``labels.expected``), at their own ``t`` and priority; the
    lowest tier also triages the posts that need no answer (``NOISE_HANDLE_S`` each, after
    p4), as the team model does. Handle times and patience are drawn per replication
    (seeded ``[seed, tier, replication]``) and the search is ``simulated_required`` (common
    random numbers across candidate counts). ``guesses`` (Erlang C) start the search.
    Returns the counts (None everywhere when skipped) and the ``simulation`` block of
    results.json: replications shrink to keep posts x replications within
    ``SIM_POST_BUDGET``, and the search is skipped (with the reason) beyond it.
    """
    ev = run.events
    reached = reached_stack(run)
    noise = reached & ~ev.respond
    first = min(range(len(roster.tiers)), key=lambda i: roster.tiers[i].tier, default=-1)
    picks = []
    for i, plan in enumerate(roster.tiers):
        sel = reached & ev.respond & (ev.tier == plan.tier)
        picks.append(np.flatnonzero(sel | noise if i == first else sel))
    posts = int(sum(p.size for p in picks))
    reps = min(SIM_REPLICATIONS, SIM_POST_BUDGET // max(posts, 1))
    info: dict[str, Any] = {
        "source": "drill",
        "distributions": inputs.distributions,
        "seed": inputs.seed,
        "replications": reps,
        "posts": posts,
        "post_budget": SIM_POST_BUDGET,
        "skipped": None,
    }
    none: list[int | None] = [None] * len(starts)
    if reps < 1:
        info["replications"] = 0
        info["skipped"] = (
            f"{posts} posts exceed the simulation budget of {SIM_POST_BUDGET} "
            "posts x replications; required_sim left null, shortfalls use Erlang C"
        )
        return [list(none) for _ in roster.tiers], info
    prio = _priorities(run)
    classes = None
    if roster.private is not None:
        classes = Classes(roster.private[0], roster.private[1], roster.private[2])
    on_private = np.isin(np.asarray(run.events.channel.names, dtype=object),
                         sorted(PRIVATE_CHANNELS))
    private_event = on_private[run.events.channel.codes] if on_private.size else None
    out: list[list[int | None]] = []
    for i, idx in enumerate(picks):
        idx = idx[np.argsort(ev.t[idx], kind="stable")]
        answer = ev.respond[idx]
        if not answer.any():
            out.append([0] * len(starts))
            continue
        t = ev.t[idx]
        priority = np.where(answer, prio[idx], NOISE_PRIORITY)
        streams = []
        for r in range(reps):
            rng = np.random.default_rng([inputs.seed, i, r])
            handle = np.where(answer, inputs.handle[i](rng, idx.size), NOISE_HANDLE_S)
            patience = np.full(idx.size, math.inf)
            if inputs.patience is not None:
                patience = np.where(answer, inputs.patience(rng, idx.size), math.inf)
            private = None
            if classes is not None and private_event is not None:
                private = private_event[idx] & answer
            streams.append(Arrivals(t, priority, answer, handle, patience, private))
        start_guesses = [max(1, g or 1) for g in guesses[i]]
        plan = roster.tiers[i]
        found = simulated_required(
            streams, starts, interval_s, roster.within_s, roster.target, start_guesses,
            plan.concurrency, plan.slowdown, classes,
        )
        out.append([int(n) for n in found])
    return out, info


def _team_simulation(run: RunData) -> dict[str, Any]:
    """The ``simulation`` block in simulate: where team.json's required_sim came from."""
    team = run.team or {}
    staffing = team.get("staffing")
    source: dict[str, Any] = staffing if isinstance(staffing, dict) else team
    return {
        "source": "team model",
        "distributions": "scenario",
        "seed": team.get("seed"),
        "replications": source.get("replications"),
        "posts": team.get("posts"),
        "post_budget": None,
        "skipped": None,
    }


def staffing_metrics(
    run: RunData,
    out: Outcomes,
    roster: Roster,
    interval_s: float = DEFAULT_INTERVAL_S,
    scenario: Any | None = None,
) -> dict[str, Any]:
    """The ``staffing`` section of results.json.

    ``required_sim`` comes from team.json when the team model wrote one (simulate), else
    from ``drill_required`` over the run's own arrivals, with the scenario's distributions
    and seed when ``scenario`` is given (``sim_inputs``).
    """
    ev = run.events
    n_int = max(1, math.ceil(roster.duration_s / interval_s))
    starts = np.arange(n_int) * interval_s
    # the last interval may be cut short by the scenario's end: rates use its real length
    lengths = np.minimum(interval_s, roster.duration_s - starts).clip(min=1.0)
    need = ev.respond
    arrival_bin = np.clip((ev.t // interval_s).astype(np.int64), 0, n_int - 1)
    answered_at = ev.t + out.first_response_s
    answer_bin = np.where(
        np.isfinite(answered_at), np.clip(answered_at // interval_s, 0, n_int - 1), -1
    ).astype(np.int64)
    met = need & (out.first_response_s <= ev.respond_within_s)
    cache: dict[Any, int | None] = {}
    arrivals_of, req_c_of, req_a_of = [], [], []
    for plan in roster.tiers:
        arrivals = np.bincount(arrival_bin[need & (ev.tier == plan.tier)], minlength=n_int)
        rates = (arrivals / lengths).tolist()
        arrivals_of.append(arrivals)
        req_c_of.append([_required(rate, plan, roster, False, cache) for rate in rates])
        req_a_of.append([_required(rate, plan, roster, True, cache) for rate in rates])
    sim = _sim_required(run)
    simulation: dict[str, Any] | None = None
    if sim:
        req_sim_of = [[sim.get((p.name, float(s))) for s in starts] for p in roster.tiers]
        simulation = _team_simulation(run)
    elif run.team is None and roster.tiers:
        req_sim_of, simulation = drill_required(
            run, roster, sim_inputs(roster, scenario), starts, interval_s, req_c_of
        )
    else:
        req_sim_of = [[None] * n_int for _ in roster.tiers]
    tiers_out = []
    windows: list[dict[str, Any]] = []
    totals = {
        k: np.zeros(n_int)
        for k in ("arrivals", "required_erlang", "rostered", "backlog", "met", "due", "throughput")
    }
    req_a_total = np.zeros(n_int)
    sim_total = np.zeros(n_int)
    shortfall_hours = 0.0
    bases = []
    for plan, arrivals, req_c, req_a, req_sim in zip(
        roster.tiers, arrivals_of, req_c_of, req_a_of, req_sim_of, strict=True
    ):
        mine = need & (ev.tier == plan.tier)
        answered = answer_bin[mine]
        throughput = np.bincount(answered[answered >= 0], minlength=n_int)
        backlog = np.cumsum(arrivals) - np.cumsum(throughput)
        due = arrivals
        ok = np.bincount(arrival_bin[mine & met], minlength=n_int)
        rostered = np.array(
            [plan.agents_at(s + w / 2) for s, w in zip(starts, lengths, strict=True)]
        )
        # like simulate/staff: the simulation's requirement decides, Erlang C without one
        basis = "simulation" if any(r is not None for r in req_sim) else "erlang_c"
        bases.append(basis)
        needed = req_sim if basis == "simulation" else req_c
        rows = []
        for i in range(n_int):
            rows.append(
                {
                    "start_s": float(starts[i]),
                    "end_s": float(starts[i] + lengths[i]),
                    "clock": clock(float(starts[i]), roster.start),
                    "arrivals": int(arrivals[i]),
                    "throughput": int(throughput[i]),
                    "required_erlang": req_c[i],
                    "required_erlang_a": req_a[i],
                    "required_sim": req_sim[i],
                    "rostered": int(rostered[i]),
                    "backlog": int(backlog[i]),
                    "sla": ratio(int(ok[i]), int(due[i])),
                }
            )
            required = needed[i]
            if required is not None:
                gap = max(0, required - int(rostered[i]))
                shortfall_hours += gap * float(lengths[i]) / 3600.0
        windows += [
            asdict(w)
            for w in shortfall_windows(
                plan.name, starts.tolist(), (starts + lengths).tolist(), needed,
                rostered.tolist(), roster.start,
            )
        ]
        sims = [r for r in req_sim if r is not None]
        tiers_out.append(
            {
                "name": plan.name,
                "tier": plan.tier,
                "routes": list(plan.routes),
                "concurrency": plan.concurrency,
                **team_tier(run, plan.name),
                "erlang_vs_sim": erlang_vs_sim(arrivals, req_c, req_sim, starts, roster),
                "aht_s": plan.aht_s,
                "observed_case_s": observed_case_time(run, plan.tier),
                "arrivals": int(arrivals.sum()),
                "answered": int(throughput.sum()),
                "peak_required": max((r for r in req_c if r is not None), default=0),
                "peak_required_sim": max(sims) if sims else None,
                "peak_rostered": int(rostered.max()) if rostered.size else 0,
                "required_basis": basis,
                "intervals": rows,
            }
        )
        for key, arr in (
            ("arrivals", arrivals),
            ("rostered", rostered),
            ("backlog", backlog),
            ("met", ok),
            ("due", due),
            ("throughput", throughput),
        ):
            totals[key] += arr
        totals["required_erlang"] += np.array([r or 0 for r in req_c])
        req_a_total += np.array([r or 0 for r in req_a])
        sim_total += np.array([r or 0 for r in req_sim])
    has_a = roster.patience_s is not None
    has_sim = "simulation" in bases
    intervals = [
        {
            "start_s": float(starts[i]),
            "end_s": float(starts[i] + lengths[i]),
            "clock": clock(float(starts[i]), roster.start),
            "arrivals": int(totals["arrivals"][i]),
            "throughput": int(totals["throughput"][i]),
            "required_erlang": int(totals["required_erlang"][i]),
            "required_erlang_a": int(req_a_total[i]) if has_a else None,
            "required_sim": int(sim_total[i]) if has_sim else None,
            "rostered": int(totals["rostered"][i]),
            "backlog": int(totals["backlog"][i]),
            "sla": ratio(int(totals["met"][i]), int(totals["due"][i])),
        }
        for i in range(n_int)
    ]
    unassigned = int((need & ~np.isin(ev.tier, [p.tier for p in roster.tiers])).sum())
    return {
        "interval_s": interval_s,
        "service_level": {"within_s": roster.within_s, "target": roster.target},
        "patience_s": roster.patience_s,
        "intervals": intervals,
        "tiers": tiers_out,
        "peak_required": int(totals["required_erlang"].max()) if n_int else 0,
        "peak_required_sim": int(sim_total.max()) if has_sim and n_int else None,
        "peak_rostered": int(totals["rostered"].max()) if n_int else 0,
        "required_basis": (
            "erlang_c" if not has_sim else "simulation" if set(bases) == {"simulation"}
            else "mixed"
        ),
        "simulation": simulation,
        "service_levels": first_response_levels(run, out, roster),
        "shortfall_agent_hours": round(shortfall_hours, 3),
        "shortfall_windows": sorted(windows, key=lambda w: (w["start_s"], w["tier"])),
        "adequate": shortfall_hours == 0.0,
        "unassigned_posts": unassigned,
    }

