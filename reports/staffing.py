"""Staffing adequacy: arrivals per interval and tier against Erlang's requirement and the roster.

Per roster tier and interval (default 15 min): posts that needed an answer (assigned to
the tier the ground truth names), first responses made (throughput), the backlog at the
interval's end (arrived and not yet answered), SLA attainment of the posts that arrived
in it, agents required by Erlang C (and Erlang A with the team's patience) for the
team's service level at the tier's planned handle time, agents rostered at the
interval's midpoint, and in simulate the simulation's own requirement from team.json.
Shortfall windows are runs of intervals where Erlang needs more agents than rostered.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from reports.outcomes import Outcomes
from reports.roster import Roster, TierPlan
from reports.runfolder import RunData
from reports.stats import ratio
from simulator.staffing import clock, shortfall_windows

DEFAULT_INTERVAL_S = 900.0
GAP_ACTIONS = ("reply", "message", "close")  # an agent finishing a case


def _required(
    rate: float, tier: TierPlan, roster: Roster, erlang_a: bool, cache: dict[Any, int | None]
) -> int | None:
    from simulator import erlang

    key = (round(rate, 12), tier.aht_s, erlang_a)
    if key not in cache:
        try:
            if erlang_a:
                if roster.patience_s is None:
                    cache[key] = None
                else:
                    cache[key] = erlang.erlang_a_required(
                        rate, tier.aht_s, roster.target, roster.within_s, roster.patience_s
                    )
            else:
                cache[key] = erlang.erlang_c_required(
                    rate, tier.aht_s, roster.target, roster.within_s
                )
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


def staffing_metrics(
    run: RunData, out: Outcomes, roster: Roster, interval_s: float = DEFAULT_INTERVAL_S
) -> dict[str, Any]:
    """The ``staffing`` section of results.json."""
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
    sim = _sim_required(run)
    cache: dict[Any, int | None] = {}
    tiers_out = []
    windows: list[dict[str, Any]] = []
    totals = {
        k: np.zeros(n_int)
        for k in ("arrivals", "required_erlang", "rostered", "backlog", "met", "due", "throughput")
    }
    req_a_total = np.zeros(n_int)
    sim_total = np.zeros(n_int)
    shortfall_hours = 0.0
    for plan in roster.tiers:
        mine = need & (ev.tier == plan.tier)
        arrivals = np.bincount(arrival_bin[mine], minlength=n_int)
        answered = answer_bin[mine]
        throughput = np.bincount(answered[answered >= 0], minlength=n_int)
        backlog = np.cumsum(arrivals) - np.cumsum(throughput)
        due = np.bincount(arrival_bin[mine], minlength=n_int)
        ok = np.bincount(arrival_bin[mine & met], minlength=n_int)
        rostered = np.array(
            [plan.agents_at(s + w / 2) for s, w in zip(starts, lengths, strict=True)]
        )
        rates = (arrivals / lengths).tolist()
        req_c = [_required(rate, plan, roster, False, cache) for rate in rates]
        req_a = [_required(rate, plan, roster, True, cache) for rate in rates]
        req_sim = [sim.get((plan.name, float(s))) for s in starts]
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
            required = req_c[i]
            if required is not None:
                gap = max(0, required - int(rostered[i]))
                shortfall_hours += gap * float(lengths[i]) / 3600.0
        windows += [
            asdict(w)
            for w in shortfall_windows(
                plan.name, starts.tolist(), (starts + lengths).tolist(), req_c,
                rostered.tolist(), roster.start,
            )
        ]
        tiers_out.append(
            {
                "name": plan.name,
                "tier": plan.tier,
                "routes": list(plan.routes),
                "aht_s": plan.aht_s,
                "observed_case_s": observed_case_time(run, plan.tier),
                "arrivals": int(arrivals.sum()),
                "answered": int(throughput.sum()),
                "peak_required": max((r for r in req_c if r is not None), default=0),
                "peak_rostered": int(rostered.max()) if rostered.size else 0,
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
    has_sim = bool(sim)
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
        "peak_rostered": int(totals["rostered"].max()) if n_int else 0,
        "shortfall_agent_hours": round(shortfall_hours, 3),
        "shortfall_windows": sorted(windows, key=lambda w: (w["start_s"], w["tier"])),
        "adequate": shortfall_hours == 0.0,
        "unassigned_posts": unassigned,
    }
