"""Assemble results.json from a run folder and its scenario (DESIGN.md section 9).

Collect only: every figure is computed here from the run folder's recordings; the
report renders these results and nothing else. Keys are documented in docs/results.md.
"""

from __future__ import annotations

import platform
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from reports.agent_scorecard import agent_scorecard
from reports.debrief import debrief
from reports.escalation import correctness, escalation_metrics
from reports.fidelity import count_metrics, replay_metrics
from reports.findings import findings
from reports.gates import evaluate, slo_gates
from reports.latency import ingest_latency, response_latency
from reports.outcomes import compute_outcomes
from reports.reactions import reaction_metrics
from reports.recommended_plan import recommended_plan
from reports.run_data import RunData, load_run
from reports.scenario_facts import roster_of
from reports.scope import scope_of
from reports.sections import (
    MODES,
    SCHEMA,
    Latency,
    Mode,
    Replay,
    Reproduce,
    Results,
    Scenario,
    Staffing,
)
from reports.sentiment import sentiment_metrics
from reports.staffing_adequacy import DEFAULT_INTERVAL_S, staffing_metrics
from reports.storm import storm_metrics
from simulator.errors import InputError

NO_REPLAY = Replay(  # simulate: nothing was replayed
    speed=None,
    volume=None,
    planned_peak_rate=None,
    achieved_peak_rate=None,
    schedule_lag_ms=None,
    partial=False,
)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("crisis-drill", "numpy", "simpy", "locust", "matplotlib", "jinja2"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _slo_dict(scenario: Any) -> dict[str, Any]:
    slo = getattr(scenario, "slo", None)
    if slo is None:
        return {}
    return dict(slo.model_dump()) if hasattr(slo, "model_dump") else dict(slo)


def compute(
    run: RunData,
    scenario: Any,
    mode: str,
    command: list[str],
    interval_s: float = DEFAULT_INTERVAL_S,
) -> dict[str, Any]:
    """results.json as a dict (the typed ``Results``, dumped), from already-loaded run data."""
    if mode not in MODES:
        raise InputError(f"mode: must be one of {', '.join(MODES)}, got {mode!r}")
    roster = roster_of(scenario)
    out = compute_outcomes(run)
    verdict = correctness(run, out)
    scope = scope_of(run, out)
    latency = response_latency(run, out, scope)
    ingest = ingest_latency(run)
    latency.update(
        {
            "ingest_ms": ingest["ingest_ms"],
            "ingest_service_ms": ingest["ingest_service_ms"],
            "ingest_over_time": ingest["over_time"],
        }
    )
    storm = storm_metrics(run, scenario, interval_s)
    agents = agent_scorecard(run, out, verdict)
    staffing = staffing_metrics(run, out, roster, interval_s, scenario=scenario)
    staffing["schedule"] = recommended_plan(staffing, roster)
    slo = _slo_dict(scenario)
    slo_model = getattr(scenario, "slo", None)
    given = getattr(slo_model, "model_fields_set", None)
    defaulted = frozenset() if given is None else frozenset(slo) - frozenset(given)
    results = Results(
        schema=SCHEMA,
        mode=cast(Mode, mode),
        scenario=Scenario(
            name=scenario.name,
            title=getattr(scenario, "title", "") or "",
            seed=getattr(scenario, "seed", None),
            duration_s=roster.duration_s,
            start=roster.start.isoformat() if roster.start else None,
            brand=getattr(getattr(scenario, "brand", None), "name", None),
        ),
        counts=count_metrics(run, out, scope),
        replay=replay_metrics(run) if mode == "drill" else NO_REPLAY,
        storm=storm,
        reactions=reaction_metrics(run, storm.bin_s, roster.duration_s),
        latency=Latency.model_validate(latency),
        escalation=escalation_metrics(run, out, verdict, scope),
        staffing=Staffing.model_validate(staffing),
        sentiment=sentiment_metrics(run, out, storm.bin_s),
        agents=agents,
        debrief=debrief(run, out, verdict, agents),
        team=run.team if mode == "simulate" else None,
        reproduce=Reproduce(
            command=list(command),
            seed=getattr(scenario, "seed", None),
            versions=_versions(),
            argv0=Path(sys.argv[0]).name,
        ),
        slo=slo,
        slo_defaults=sorted(defaulted),
    )
    results.gates = evaluate(slo_gates(slo, mode, defaulted), results)
    results.passed = all(g["passed"] for g in results.gates)
    data = results.dump()
    data["findings"] = findings(data)
    return data


def build_results(
    run_dir: Path,
    scenario: Any,
    mode: str,
    command: list[str],
    interval_s: float = DEFAULT_INTERVAL_S,
) -> dict[str, Any]:
    """Read the run folder and compute results.json's content (nothing is written)."""
    return compute(load_run(Path(run_dir)), scenario, mode, command, interval_s)


def generated_label(generated_at: datetime) -> str:
    """The timestamp as the report and results show it."""
    return generated_at.isoformat(timespec="seconds")
