"""Measurement: metrics from a run folder, results.json, report.html, CI gates.

Imports are lazy so ``import reports`` costs nothing; numpy, jinja2 and matplotlib
load only when a function runs.

- ``build_results(run_dir, scenario, mode, command) -> dict``: read the run folder
  (events.jsonl, actions.jsonl, replay.json + sends.npz in a drill, team.json in
  simulate) and compute results.json's content. Raises ``InputError`` on bad files.
- ``render_report(results, run_dir, generated_at) -> Path``: write report.html.
- ``write_outputs(run_dir, scenario, mode, command, generated_at) -> dict``: both,
  plus results.json; returns the results.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["build_results", "render_report", "write_outputs", "write_results"]


def build_results(run_dir: Path, scenario: Any, mode: str, command: list[str]) -> dict[str, Any]:
    """Compute results.json's content from a run folder and its scenario."""
    from reports.results import build_results as build

    return build(run_dir, scenario, mode, command)


def render_report(results: dict[str, Any], run_dir: Path, generated_at: datetime) -> Path:
    """Render report.html into ``run_dir`` from computed results; returns its path."""
    from reports.report import render_report as render

    return render(results, Path(run_dir), generated_at)


def write_results(results: dict[str, Any], run_dir: Path, generated_at: datetime) -> Path:
    """Write results.json (with ``generated_at``) into ``run_dir``; returns its path."""
    import orjson

    path = Path(run_dir) / "results.json"
    data = {**results, "generated_at": generated_at.isoformat(timespec="seconds")}
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    return path


def write_outputs(
    run_dir: Path, scenario: Any, mode: str, command: list[str], generated_at: datetime
) -> dict[str, Any]:
    """Compute the results, write results.json and report.html, return the results."""
    results = build_results(run_dir, scenario, mode, command)
    write_results(results, run_dir, generated_at)
    render_report(results, run_dir, generated_at)
    return results
