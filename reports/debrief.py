"""The training debrief: what the trainees did in a live drill, and where it mattered most.

``debrief(run, out, verdict, agents)`` returns results.json's ``debrief``: None unless the
run folder has ``live.json`` (written by a ``--live`` drill, or by ``--debrief`` on another
drill); a stack that names its agents (a bot) gets no debrief of its own. It holds:
- ``timeline``: posts delivered and the team's actions per bin of scenario time, plus the
  facilitator's pauses (with the time held), injections and end (from ``live.json``);
- ``trainees``: one scorecard per human agent: cases, first responses and median first
  response (``reports.agent_scorecard``), and their own decisions (``reports.training_score``);
- ``triage``: the stack's automatic triage, scored on its own;
- ``simulated``: the simulated agents' line (never a trainee's moment);
- ``moments``: the posts a trainee could have acted on that most needed a faster or
  better answer, ranked by ``_moment_score``.

Human agents are every named agent other than the stack's ``triage`` and the reference
stack's simulated agents (``a-01``, ``a-02``, ...).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from reports.escalation import Correctness
from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.training_score import (
    PrivateRule,
    TrainingDecisions,
    decisions,
    trainee_card,
    triage_card,
)
from simulator.runfolder import read_json

__all__ = ["debrief", "is_human"]

SIMULATED = re.compile(r"^a-\d+$")
SYSTEM = frozenset({"", "triage"})
BIN_CHOICES_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_BINS = 60
MOMENTS = 3
TEXT_CHARS = 280
PRIORITY_WEIGHT = {"p1": 4.0, "p2": 3.0, "p3": 2.0, "p4": 1.0}
CRITICAL_MISS_WEIGHT = 5.0
WRONG_DECISION_WEIGHT = 2.0
# A post nobody took counts as a moment only if it was delivered this long before the end.
ACTIONABLE_S = 30.0
TEAM_ACTIONS = ("reply", "message", "escalate", "close")


def is_human(name: str) -> bool:
    """True for a trainee's name (not triage, not a simulated ``a-NN`` agent)."""
    return name not in SYSTEM and not SIMULATED.match(name)


def _live(run: RunData) -> dict[str, Any] | None:
    return read_json(run.run_dir / "live.json")


def _bin_s(span_s: float) -> int:
    return next((b for b in BIN_CHOICES_S if span_s / b <= MAX_BINS), BIN_CHOICES_S[-1])


def _timeline(run: RunData, out: Outcomes, human: np.ndarray, end_t: float,
              live: dict[str, Any] | None) -> dict[str, Any]:
    ev, acts = run.events, run.actions
    bin_s = _bin_s(max(end_t, 1.0))
    n_bins = int(end_t // bin_s) + 1
    delivered_t = ev.t[out.delivered]
    posts = np.bincount((delivered_t // bin_s).astype(np.int64), minlength=n_bins)[:n_bins]
    team = np.isin(acts.action.codes, [acts.action.index(a) for a in TEAM_ACTIONS])
    is_h = human[acts.agent.codes] if len(acts) else np.zeros(0, dtype=bool)
    at = np.clip(np.nan_to_num(acts.at, nan=0.0), 0, None)
    bins = (at // bin_s).astype(np.int64).clip(0, n_bins - 1)
    trainee = np.bincount(bins[team & is_h], minlength=n_bins)[:n_bins]
    simulated = np.bincount(bins[team & ~is_h], minlength=n_bins)[:n_bins]
    marks = [{k: e[k] for k in ("kind", "t", "title", "held_s", "ids", "planned") if k in e}
             for e in (live or {}).get("timeline", []) if e.get("kind") != "start"]
    return {"bin_s": bin_s, "posts": posts.tolist(), "trainee_actions": trainee.tolist(),
            "other_actions": simulated.tolist(), "facilitator": marks}


def _trainees(run: RunData, out: Outcomes, verdict: Correctness,
              agents: list[dict[str, Any]], human_codes: dict[str, int],
              live: dict[str, Any], d: TrainingDecisions
              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    codes = sorted(human_codes.values())
    rule = PrivateRule.from_json(live.get("take_private"))
    rows = []
    for row in agents:
        code = human_codes.get(row["agent"])
        if code is not None:
            rows.append({"agent": row["agent"], "cases": row["cases"],
                         "responses": row["responses"],
                         "median_first_response_s": row["median_first_response_s"],
                         **trainee_card(run, out, verdict, d, code, rule)})
    return rows, triage_card(run, out, verdict, d, codes)


def _simulated(agents: list[dict[str, Any]]) -> dict[str, Any] | None:
    sim = [a for a in agents if SIMULATED.match(a["agent"])]
    if not sim:
        return None
    return {"agents": len(sim), "cases": sum(a["cases"] for a in sim),
            "responses": sum(a["responses"] for a in sim),
            "critical_misses": sum(a["critical_misses"] for a in sim)}


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _moment_score(priority: str, over_s: float, deadline: float | None, critical_miss: bool,
                  wrong: bool) -> float:
    """priority weight x (1 + overdue / deadline) + 5 for a critical miss + 2 for a wrong call."""
    return (PRIORITY_WEIGHT.get(priority, 1.0) * (1.0 + (over_s / deadline if deadline else 0.0))
            + (CRITICAL_MISS_WEIGHT if critical_miss else 0.0)
            + (WRONG_DECISION_WEIGHT if wrong else 0.0))


def _moments(run: RunData, out: Outcomes, verdict: Correctness, end_t: float,
             names: list[str], human: np.ndarray, trainees: list[dict[str, Any]],
             handed_off: np.ndarray) -> list[dict[str, Any]]:
    """Posts a trainee could have acted on whose handling fell shortest, worst first.

    A candidate needs an answer, was delivered, and was either held by a trainee (their
    action was the last naming an agent, and not a route handing it on) or sat in a queue
    (only triage acted, or it was routed on) from at least ``ACTIONABLE_S`` before the end.
    Posts a simulated agent held are the simulated agents' line, not a moment. A post
    not answered yet counts only once it waited ``ACTIONABLE_S`` or past its deadline.
    """
    ev = run.events
    prio = np.asarray(ev.priority.names, dtype=object)[ev.priority.codes] if len(ev) else []
    handler = out.handler
    trainee_last = (handler >= 0) & human[np.maximum(handler, 0)]
    by_trainee = trainee_last & ~handed_off
    queued = ((handler < 0) | np.isin(handler, [i for i, n in enumerate(names) if n == "triage"])
              | (trainee_last & handed_off))
    actionable = by_trainee | (queued & (ev.t <= end_t - ACTIONABLE_S))
    wrong_ids = {p["event_id"] for t in trainees for p in t["routed_wrong_posts"]}
    scored = []
    for k in np.flatnonzero(out.delivered & ev.respond & actionable).tolist():
        deadline, fr = _num(ev.respond_within_s[k]), _num(out.first_response_s[k])
        waited = fr if fr is not None else max(0.0, end_t - float(ev.t[k]))
        over = max(0.0, waited - deadline) if deadline else 0.0
        critical_miss = bool(verdict.critical[k] and not verdict.reached[k])
        wrong = ev.ids[k] in wrong_ids
        unanswered = fr is None and (waited >= ACTIONABLE_S or over > 0)
        if not (unanswered or over > 0 or wrong or critical_miss):
            continue
        why = []
        if critical_miss:
            why.append("critical post not sent to its route at its tier")
        elif wrong:
            why.append("routed differently from the policy")
        if fr is None:
            why.append(f"never answered (waited {waited:.0f} s"
                       + (", nobody took it)" if not by_trainee[k] else ")"))
        elif over > 0:
            why.append(f"answered {over:.0f} s after its deadline")
        score = _moment_score(str(prio[k]), over, deadline, critical_miss, wrong)
        scored.append((score, k, {
            "event_id": ev.ids[k], "t": round(float(ev.t[k]), 3), "priority": str(prio[k]) or None,
            "intent": ev.intent.names[ev.intent.codes[k]] if ev.intent.names else None,
            "text": str(ev.text[k])[:TEXT_CHARS], "first_response_s": fr,
            "deadline_s": deadline,
            "agent": names[handler[k]] if by_trainee[k] else None,
            "why": "; ".join(why), "score": round(score, 3)}))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [m for _, _, m in scored[:MOMENTS]]


def _end_t(run: RunData, out: Outcomes, live: dict[str, Any]) -> float:
    """The end of the drill in scenario time: the facilitator's End, else the last thing seen."""
    ended = [e["t"] for e in live.get("timeline", []) if e.get("kind") == "end"]
    if ended:
        return float(ended[-1])
    at_max = float(np.nanmax(run.actions.at)) if len(run.actions) else 0.0
    t_max = float(run.events.t[out.delivered].max()) if out.delivered.any() else 0.0
    return max(at_max, t_max)


def debrief(run: RunData, out: Outcomes, verdict: Correctness,
            agents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """results.json's ``debrief`` section, or None when the run was not a training drill."""
    live = _live(run)
    if live is None:
        return None
    names = run.actions.agent.names
    human = np.array([is_human(n) for n in names] or [False], dtype=bool)
    human_codes = {n: i for i, n in enumerate(names) if is_human(n)}
    end_t = _end_t(run, out, live)
    d = decisions(run, out, sorted(human_codes.values()))
    trainees, triage = _trainees(run, out, verdict, agents, human_codes, live, d)
    return {
        "live": bool(live.get("live", False)),
        "paused_total_s": live.get("paused_total_s", 0.0),
        "ended_by_facilitator": bool(live.get("ended", False)),
        "injected": len(live.get("injected", [])),
        "plan": live.get("plan"),
        "end_s": round(end_t, 3),
        "actionable_s": ACTIONABLE_S,
        "timeline": _timeline(run, out, human, end_t, live),
        "trainees": trainees,
        "triage": triage,
        "simulated": _simulated(agents),
        "moments": _moments(run, out, verdict, end_t, list(names), human, trainees,
                            d.handed_off),
    }
