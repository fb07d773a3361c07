"""Replay fidelity and send accounting, from replay.json and sends.npz (drill only).

Planned vs achieved rate per wall second, schedule lag (actual minus intended send)
from the replay's HdrHistogram (or sends.npz), the status-code tally, and the counts
that make the accounting identity ``generated = accepted + failed + unsent + prevented`` checkable
(``generated = scripted + reactions``; prevented posts were cancelled by the team's answers).
In simulate there is no replay: every event counts as sent and accepted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reports.latency import hdr_summary
from reports.outcomes import Outcomes
from reports.run_data import RunData
from reports.scope import Scope, scope_counts, unsent_by_reason
from reports.sections import Counts, Replay
from reports.stats import summary

REPLAY_COUNT_KEYS = ("sent", "accepted", "failed", "unsent", "rejected_callbacks", "throttled")


def replay_metrics(run: RunData) -> Replay:
    """The ``replay`` section; mostly None in simulate."""
    replay = run.replay or {}
    per_second = replay.get("per_second") or {}
    planned = per_second.get("planned") or []
    sent = per_second.get("sent") or []
    lag = None
    hdr = replay.get("hdr") or {}
    if "schedule_lag_ms" in hdr:
        lag = hdr_summary(hdr["schedule_lag_ms"])
    if lag is None and run.sends is not None and "lag_ms" in run.sends:
        lag = summary(np.asarray(run.sends["lag_ms"], dtype=np.float64))
    target = replay.get("target") or {}
    return Replay.model_validate({
        "speed": replay.get("speed"),
        "volume": replay.get("volume"),
        "target": {"profile": target.get("profile"), "base_url": target.get("base_url")}
        if target
        else None,
        "started_at": replay.get("started_at"),
        "partial": bool(replay.get("partial", False)),
        "stopped_reason": replay.get("stopped_reason"),
        "stop_signal": replay.get("stop_signal"),
        "live": bool(replay.get("live", False)),
        "stack_outbox": replay.get("stack_outbox"),
        "workers": replay.get("workers"),
        "planned_peak_rate": max(planned) if planned else None,
        "achieved_peak_rate": max(sent) if sent else None,
        "schedule_lag_ms": lag,
        "status_codes": replay.get("status_codes") or {},
        "per_second": {
            k: list(per_second.get(k) or []) for k in ("planned", "sent", "accepted", "failed")
        },
        "returns": returns_metrics(replay),
    })


def returns_metrics(replay: dict[str, Any]) -> dict[str, Any] | None:
    """What came back beside the endpoint's own shapes: callbacks mapped or not, and polling.

    None when the run kept no such counters (simulate, or a run folder from before them).
    """
    callbacks = replay.get("callbacks")
    poll = replay.get("poll")
    if callbacks is None and poll is None:
        return None
    callbacks = callbacks or {}
    return {
        "mapped": int(callbacks.get("mapped") or 0),
        "unmapped": int(callbacks.get("unmapped") or 0),
        "unmapped_by_reason": dict(callbacks.get("unmapped_by_reason") or {}),
        "unmapped_kept": int(callbacks.get("unmapped_kept") or 0),
        "poll": {k: poll.get(k) for k in ("every_s", "rounds", "requests", "ok", "failed",
                                          "failed_by_reason", "actions")} if poll else None,
    }


def count_metrics(run: RunData, out: Outcomes, scope: Scope) -> Counts:
    """The ``counts`` section: sends (unsent by reason), answers and actions, what was scored.

    Over the posts that reached the platform; posts prevented by reactions are only counted.

    ``unanswered`` counts delivered posts that needed an answer and had none by the end of
    their deadline inside the run; ``open_at_end`` those still within their deadline.
    """
    ev = run.events
    info = run.extra.get("reached")
    prevented = int(info.prevented) if info is not None else 0
    generated = len(ev) + prevented
    replay_counts = (run.replay or {}).get("counts") or {}
    if run.replay is None and run.sends is None:
        sends = {"sent": generated, "accepted": generated, "failed": 0, "unsent": 0}
    elif replay_counts:
        sends = {
            k: int(replay_counts.get(k) or 0) for k in ("sent", "accepted", "failed", "unsent")
        }
    else:
        status = np.asarray((run.sends or {}).get("status", np.zeros(len(ev))))
        accepted = int(((status >= 200) & (status < 300)).sum())
        unsent = int((status == 0).sum())
        sends = {
            "sent": len(ev) - unsent,
            "accepted": accepted,
            "failed": len(ev) - unsent - accepted,
            "unsent": unsent,
        }
    if run.replay is None and run.sends is None:  # simulate: a prevented post is never posted
        sends["sent"] = sends["accepted"] = generated - prevented
    reactions = run.extra.get("reactions") or {}
    scripted = int(reactions.get("scripted") or generated)
    need = ev.respond & scope.delivered
    responded = need & np.isfinite(out.first_response_s)
    unmatched = int((run.actions.event < 0).sum())
    return Counts.model_validate({
        "generated": generated,
        "scripted": scripted,
        "reactions": int(reactions.get("reactions") or 0),
        "prevented": prevented,
        **sends,
        "needed_response": int(need.sum()),
        "responded": int(responded.sum()),
        "unanswered": int((need & ~responded & ~scope.open_at_end).sum()),
        "open_at_end": int(scope.open_at_end.sum()),
        "unsent_by_reason": unsent_by_reason(run),
        "scored": scope_counts(scope, run),
        "answered_unneeded": int((~need & np.isfinite(out.first_response_s)).sum()),
        "actions": len(run.actions),
        "unmatched_actions": max(unmatched, int(replay_counts.get("unmatched_actions") or 0)),
        "rejected_callbacks": int(replay_counts.get("rejected_callbacks") or 0),
        "throttled": int(replay_counts.get("throttled") or 0),
        "accounting_ok": generated
        == sends["accepted"] + sends["failed"] + sends["unsent"] + prevented,
    })
