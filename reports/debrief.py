"""The training debrief: what the trainees did in a live drill, and where it mattered most.

``debrief(run, out, verdict, agents)`` returns results.json's ``debrief`` (None unless the
run was live, ``live.json`` in the run folder, or an action names a human agent):
- ``timeline``: posts delivered and the team's actions per bin of scenario time, plus the
  facilitator's pauses, injections and end (from ``live.json``);
- ``trainees``: one scorecard per human agent, built on ``reports.agents.agent_scorecard``
  (cases, first responses, median first response, escalation accuracy, critical misses),
  adding SLA attainment over the posts the trainee answered first and the text of each
  critical post they owned and missed;
- ``moments``: the three delivered posts that most needed a faster or better answer.

Human agents are every named agent other than the stack's ``triage`` and the reference
stack's simulated agents (``a-01``, ``a-02``, ...).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

from reports.escalation import Correctness
from reports.outcomes import Outcomes
from reports.runfolder import RunData

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
TEAM_ACTIONS = ("reply", "message", "escalate", "close")


def is_human(name: str) -> bool:
    """True for a trainee's name (not triage, not a simulated ``a-NN`` agent)."""
    return name not in SYSTEM and not SIMULATED.match(name)


def _live(run: RunData) -> dict[str, Any] | None:
    path = run.run_dir / "live.json"
    if not path.exists():
        return None
    data = orjson.loads(path.read_bytes())
    return data if isinstance(data, dict) else None


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
    marks = [{k: e[k] for k in ("kind", "t", "title", "held_s", "ids") if k in e}
             for e in (live or {}).get("timeline", []) if e.get("kind") != "start"]
    return {"bin_s": bin_s, "posts": posts.tolist(), "trainee_actions": trainee.tolist(),
            "other_actions": simulated.tolist(), "facilitator": marks}


def _trainees(run: RunData, out: Outcomes, verdict: Correctness,
              agents: list[dict[str, Any]], human_codes: dict[str, int]) -> list[dict[str, Any]]:
    ev = run.events
    met = out.first_response_s <= ev.respond_within_s  # NaN compares False
    due = ~np.isnan(ev.respond_within_s) & ev.respond
    missed = verdict.critical & ~verdict.reached & out.delivered
    rows = []
    for row in agents:
        code = human_codes.get(row["agent"])
        if code is None:
            continue
        first = (out.responder == code) & due
        sla_due, sla_met = int(first.sum()), int((first & met).sum())
        misses = np.flatnonzero((out.handler == code) & missed)
        rows.append({**row, "sla_due": sla_due, "sla_met": sla_met,
                     "sla_attainment": round(sla_met / sla_due, 4) if sla_due else None,
                     "critical_missed_posts": [
                         {"event_id": ev.ids[k], "text": str(ev.text[k])[:TEXT_CHARS]}
                         for k in misses.tolist()]})
    return rows


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _moments(run: RunData, out: Outcomes, verdict: Correctness, end_t: float,
             agent_names: list[str]) -> list[dict[str, Any]]:
    """The delivered posts needing an answer whose handling fell shortest, worst first."""
    ev = run.events
    prio = np.asarray(ev.priority.names, dtype=object)[ev.priority.codes] if len(ev) else []
    cand = np.flatnonzero(out.delivered & ev.respond)
    scored = []
    for k in cand.tolist():
        deadline, fr = _num(ev.respond_within_s[k]), _num(out.first_response_s[k])
        waited = fr if fr is not None else max(0.0, end_t - float(ev.t[k]))
        over = max(0.0, waited - deadline) if deadline else 0.0
        critical_miss = bool(verdict.critical[k] and not verdict.reached[k])
        wrong = not bool(verdict.correct[k])
        late = fr is None or over > 0
        if not (late or wrong or critical_miss):
            continue
        weight = PRIORITY_WEIGHT.get(str(prio[k]), 1.0)
        score = (weight * (1.0 + (over / deadline if deadline else 0.0))
                 + (CRITICAL_MISS_WEIGHT if critical_miss else 0.0)
                 + (WRONG_DECISION_WEIGHT if wrong else 0.0))
        why = []
        if critical_miss:
            why.append("critical post not sent to its route at its tier")
        elif wrong:
            why.append("routed or prioritised differently from the policy")
        if fr is None:
            why.append(f"never answered (waited {waited:.0f} s)")
        elif over > 0:
            why.append(f"answered {over:.0f} s after its deadline")
        who = out.handler[k]
        scored.append((score, k, {
            "event_id": ev.ids[k], "t": round(float(ev.t[k]), 3), "priority": str(prio[k]) or None,
            "intent": ev.intent.names[ev.intent.codes[k]] if ev.intent.names else None,
            "text": str(ev.text[k])[:TEXT_CHARS], "first_response_s": fr,
            "deadline_s": deadline, "agent": agent_names[who] if who >= 0 else None,
            "why": "; ".join(why), "score": round(score, 3)}))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [m for _, _, m in scored[:MOMENTS]]


def debrief(run: RunData, out: Outcomes, verdict: Correctness,
            agents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """results.json's ``debrief`` section, or None when there is nothing to debrief."""
    live = _live(run)
    names = run.actions.agent.names
    human = np.array([is_human(n) for n in names] or [False], dtype=bool)
    human_codes = {n: i for i, n in enumerate(names) if is_human(n)}
    if live is None and not human_codes:
        return None
    ev = run.events
    at_max = float(np.nanmax(run.actions.at)) if len(run.actions) else 0.0
    t_max = float(ev.t[out.delivered].max()) if out.delivered.any() else 0.0
    end_t = max(at_max, t_max)
    return {
        "live": live is not None,
        "paused_total_s": (live or {}).get("paused_total_s", 0.0),
        "ended_by_facilitator": bool((live or {}).get("ended", False)),
        "injected": len((live or {}).get("injected", [])),
        "end_s": round(end_t, 3),
        "timeline": _timeline(run, out, human, end_t, live),
        "trainees": _trainees(run, out, verdict, agents, human_codes),
        "moments": _moments(run, out, verdict, end_t, list(names)),
    }
