"""The command line: parses arguments, calls the packages, sets exit codes.

Thin by design (DESIGN.md section 2): each ``cmd_*`` function parses nothing itself
and holds no logic beyond wiring; the work lives in simulator/, load/, reports/ and drill/
(``drill`` builds a validated ``drill.options.DrillOptions`` and calls ``drill.run.run_drill``).
Exit codes (DESIGN.md section 3): 0 success, 1 a gate failed, 2 bad input or usage,
3 the target could not be reached or the drill could not run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.errors import DrillError, InputError

if TYPE_CHECKING:
    from simulator.scenario.models import Scenario

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
STOP_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}  # 128 + the signal's number


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{self.prog}: {message}")


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario and print its expected volume, peak and mix."""
    from simulator.scenario.models import load_scenario
    from simulator.scenario.summary import format_summary, summarize

    scenario = load_scenario(args.scenario)
    print(format_summary(scenario, summarize(scenario)))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    """Run the crowd model and write the event stream."""
    from simulator.crowd.model import generate
    from simulator.progress import StderrProgress
    from simulator.runfolder import write_jsonl
    from simulator.scenario.models import load_scenario

    volume = float(args.volume)
    if not volume > 0:
        raise InputError(f"--volume: must be > 0, got {volume:g}")
    scenario = load_scenario(args.scenario)
    progress = StderrProgress("generating")
    table = generate(scenario, seed=args.seed, volume=volume, progress=progress)
    progress.close()
    if args.output.parent and not args.output.parent.exists():
        args.output.parent.mkdir(parents=True, exist_ok=True)
    count = write_jsonl(table, args.output)
    seed = scenario.seed if args.seed is None else args.seed
    print(f"wrote {count:,} events to {args.output} (seed {seed})")
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run crowd and care-team models together, no stack."""
    from datetime import UTC, datetime

    import reports
    from simulator.progress import StderrProgress
    from simulator.scenario.models import load_scenario
    from simulator.staffing.simulated_runs import plan, write_run
    from simulator.team.simulation import simulate

    scenario = load_scenario(args.scenario)
    progress = StderrProgress("simulating")
    result = simulate(scenario, seed=args.seed, progress=progress,
                      reactions=not args.no_reactions)
    progress.close()
    staffing = plan(scenario, seed=result.seed, replications=1, first=result)
    write_run(args.output, result, staffing)
    stamp = datetime.now(UTC)
    reports.write_outputs(args.output, scenario, mode="simulate", command=sys.argv,
                          generated_at=stamp)
    print(f"simulated {len(result.events):,} posts (seed {result.seed}), "
          f"{result.abandoned:,} abandoned, {result.reposts:,} posted again; wrote {args.output}")
    for w in staffing.shortfalls:
        print(f"  shortfall: {w.text}")
    return EXIT_OK


def cmd_staff(args: argparse.Namespace) -> int:
    """Print the staffing plan per tier and interval."""
    import orjson

    from simulator.scenario.models import load_scenario
    from simulator.scenario.units import DURATION_EXPECTED, parse_duration
    from simulator.staffing.requirement_print import plan_json, plan_table, write_csv
    from simulator.staffing.simulated_runs import plan

    try:
        interval = parse_duration(args.interval)
    except ValueError:
        interval = 0.0
    if interval <= 0:
        raise InputError(f"staff: --interval must be {DURATION_EXPECTED}, got {args.interval!r}")
    reps = args.replications
    if reps < 1:
        raise InputError(f"staff: --replications must be an integer >= 1, got {reps}")
    scenario = load_scenario(args.scenario)
    if args.schedule:
        return _staff_schedule(args, scenario, interval, reps)
    for flag in ("shift_lengths", "start_step", "max_agents", "yaml"):
        if getattr(args, flag) is not None:
            raise InputError(f"staff: --{flag.replace('_', '-')} needs --schedule")
    staffing = plan(scenario, seed=args.seed, replications=reps, interval_s=interval)
    if args.csv is not None:
        write_csv(staffing, args.csv, scenario.start_time)
    if args.json:
        print(orjson.dumps(plan_json(staffing), option=orjson.OPT_INDENT_2).decode())
    else:
        print(plan_table(staffing, scenario.start_time))
    return EXIT_OK


def _staff_schedule(args: argparse.Namespace, scenario: Scenario, interval: float,
                    reps: int) -> int:
    """``staff --schedule``: the shift plan, verified by simulation."""
    import orjson

    from simulator.staffing.shift_print import schedule_json, schedule_table, shifts_yaml
    from simulator.staffing.shift_schedule import parse_options, schedule

    if args.csv is not None:
        raise InputError("staff: --csv writes the interval table, not a --schedule plan "
                         "(use --json or --yaml)")
    if args.yaml is not None and not args.yaml.parent.is_dir():
        raise InputError(f"--yaml: must be a file in an existing folder, got {args.yaml}")
    options = parse_options(scenario, args.shift_lengths, args.start_step, args.max_agents,
                            interval, reps, args.seed)
    result = schedule(scenario, options)
    if args.yaml is not None:
        try:
            args.yaml.write_text(shifts_yaml(result, scenario.name), encoding="utf-8")
        except OSError as err:
            raise InputError(f"--yaml: must be a writable file, got {args.yaml} "
                             f"({err.strerror})") from err
    if args.json:
        print(orjson.dumps(schedule_json(result), option=orjson.OPT_INDENT_2).decode())
    else:
        print(schedule_table(result))
        if args.yaml is not None:
            print(f"\nwrote the team.tiers[].shifts block to {args.yaml}")
    return EXIT_OK


def cmd_drill(args: argparse.Namespace) -> int:
    """Replay a storm against a stack and measure it."""
    from drill.options import drill_options

    options = drill_options(
        args.scenario, output=args.output, target=args.target, base_url=args.base_url,
        speed=args.speed, volume=args.volume, workers=args.workers, seed=args.seed, ui=args.ui,
        platform_port=args.platform_port, grace=args.grace, allow_remote=args.allow_remote,
        drain=args.drain, platform_secret_file=args.platform_secret_file,
        stack_config=args.stack_config, remote_workers=args.remote_workers,
        master_bind=args.master_bind, master_port=args.master_port, gate=args.gate,
        gates=args.gates, live=args.live, sim_agents=args.sim_agents,
        facilitator_port=args.facilitator_port, reactions=not args.no_reactions,
        plan=args.plan, debrief=args.debrief, command=tuple(sys.argv))
    from drill.run import run_drill  # imports gevent/Locust: only here

    run = run_drill(options)
    print(f"report: {run.report}")
    stopped = STOP_EXIT_CODES.get(run.stop_signal or "")
    if args.gate:
        gated = cmd_gate(argparse.Namespace(results=run.run_dir / "results.json",
                                            gates=args.gates, baseline=None,
                                            max_regression="10%",
                                            junit=run.run_dir / "junit.xml",
                                            allow_partial=False))
        return stopped if stopped is not None else gated
    return stopped if stopped is not None else EXIT_OK


def cmd_probe(args: argparse.Namespace) -> int:
    """Send one event to a stack and print how everything that came back was mapped."""
    from simulator.scenario.units import parse_duration

    try:
        wait_s = parse_duration(args.wait)
    except ValueError as err:
        raise InputError(f"--wait: must be {err}") from err
    from load.probe import run_probe  # imports httpx and the platform: only here

    return run_probe(args.target, args.base_url, wait_s=wait_s,
                     platform_port=args.platform_port, allow_remote=args.allow_remote)


def cmd_gate(args: argparse.Namespace) -> int:
    """Check a results.json against gates; exit 1 when one fails."""
    from reports.gate_run import run_gate, table

    rows, passed = run_gate(
        args.results, args.gates, args.baseline, args.max_regression, args.junit,
        allow_partial=args.allow_partial,
    )
    print(table(rows))
    if args.junit is not None:
        print(f"junit: {args.junit}")
    return EXIT_OK if passed else EXIT_GATE_FAILED


def cmd_worker(args: argparse.Namespace) -> int:
    """Join a drill's Locust master as a worker."""
    from load.distributed import run_worker  # imports gevent/Locust: only here

    return run_worker(args.master_host, args.master_port)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="drill", description="Crisis-drill harness for social-media care.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check a scenario and print a summary")
    p.add_argument("scenario", type=Path)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("generate", help="run the crowd model, write events.jsonl")
    p.add_argument("scenario", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="events.jsonl to write")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--volume", type=float, default=1.0, metavar="V",
                   help="multiply every arrival rate by V (default 1)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("simulate", help="crowd + care-team model, no stack")
    p.add_argument("scenario", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="run folder to write")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--no-reactions", action="store_true",
                   help="the open coupling: the storm does not react to the team's answers "
                        "(only abandoned journey complaints post again)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("staff", help="staffing plan per tier and interval")
    p.add_argument("scenario", type=Path)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--interval", default="15m", help="interval length (default 15m)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--csv", type=Path, default=None, help="also write the plan as CSV")
    p.add_argument("--replications", type=int, default=4, metavar="N",
                   help="coupled runs (seeds seed..seed+N-1) the plan pools (default 4)")
    p.add_argument("--schedule", action="store_true",
                   help="turn the requirement into shifts (least paid agent-hours), verified "
                        "by simulation")
    p.add_argument("--shift-lengths", default=None, metavar="LIST",
                   help="with --schedule: allowed shift lengths (default 4h,6h,8h where they "
                        "fit the scenario)")
    p.add_argument("--start-step", default=None, metavar="DURATION",
                   help="with --schedule: shifts start every DURATION (default 30m)")
    p.add_argument("--max-agents", type=int, default=None, metavar="N",
                   help="with --schedule: at most N agents of a tier on duty at once")
    p.add_argument("--yaml", type=Path, default=None, metavar="FILE",
                   help="with --schedule: write the plan as a team.tiers[].shifts block")
    p.set_defaults(func=cmd_staff)

    p = sub.add_parser("drill", help="replay against a stack and measure")
    p.add_argument("scenario", type=Path)
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="run folder (default runs/<name>-<timestamp>)")
    p.add_argument("--target", type=Path, default=None,
                   help="target profile YAML (default: start the reference stack)")
    p.add_argument("--base-url", default=None, help="override the profile's base URL")
    p.add_argument("--speed", type=float, default=None,
                   help="scenario seconds per wall second (default: the scenario's drill.speed, "
                        "else 60)")
    p.add_argument("--volume", type=float, default=1.0, help="multiply arrival rates")
    p.add_argument("--workers", type=int, default=0, help="local Locust worker processes")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--ui", action="store_true", help="serve Locust's web UI during the drill")
    p.add_argument("--platform-port", type=int, default=8765)
    p.add_argument("--grace", default=None,
                   help="wait at most this long (scenario time) after the last send for "
                        "answers (default: the scenario's drill.grace, else until the last "
                        "delivered post's deadline or every post is answered)")
    p.add_argument("--allow-remote", action="store_true", help="allow a target outside loopback")
    p.add_argument("--drain", default="30s",
                   help="after the last send, wait this long (wall time) for requests still in "
                        "flight before counting them failed (default 30s)")
    p.add_argument("--platform-secret-file", type=Path, default=None,
                   help="file holding the platform endpoint's shared secret (else the "
                        "DRILL_PLATFORM_SECRET environment variable)")
    p.add_argument("--stack-config", type=Path, default=None,
                   help="config for the embedded reference stack (agents, fault knobs)")
    p.add_argument("--remote-workers", type=int, default=0,
                   help="also wait for N workers from other machines (run_drill.py worker)")
    p.add_argument("--master-bind", default=None,
                   help="address the Locust master listens on (default loopback; "
                        "0.0.0.0 with --remote-workers)")
    p.add_argument("--master-port", type=int, default=None,
                   help="the Locust master's port (default 5557 with --remote-workers)")
    p.add_argument("--gate", action="store_true", help="run the gate at the end")
    p.add_argument("--gates", type=Path, default=None, help="gates file for --gate")
    p.add_argument("--live", action="store_true",
                   help="a training drill: speed 1 unless given, the embedded stack's simulated "
                        "agents off (see --sim-agents), a facilitator page (docs/training.md)")
    p.add_argument("--sim-agents", type=int, default=None,
                   help="with --live: keep at most N simulated agents per tier (default 0)")
    p.add_argument("--facilitator-port", type=int, default=0,
                   help="with --live: the facilitator page's port on 127.0.0.1 (default: any)")
    p.add_argument("--no-reactions", action="store_true",
                   help="replay the scripted storm as written: the public does not react to "
                        "the stack's answers (open loop, a fixed stream for CI baselines)")
    p.add_argument("--plan", type=Path, default=None,
                   help="with --live: run this exercise plan's timed injects (docs/training.md)")
    p.add_argument("--debrief", action="store_true",
                   help="write the training debrief for a drill that is not --live")
    p.set_defaults(func=cmd_drill)

    p = sub.add_parser("probe", help="send one event, print how what comes back is mapped")
    p.add_argument("--target", type=Path, required=True, help="target profile YAML")
    p.add_argument("--base-url", default=None, help="override the profile's base URL")
    p.add_argument("--wait", default="15s", help="how long to wait for callbacks and polls")
    p.add_argument("--platform-port", type=int, default=8765)
    p.add_argument("--allow-remote", action="store_true", help="allow a target outside loopback")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("gate", help="CI gate over a results.json")
    p.add_argument("results", type=Path)
    p.add_argument("--gates", type=Path, default=None)
    p.add_argument("--baseline", type=Path, default=None)
    p.add_argument("--max-regression", default="10%")
    p.add_argument("--junit", type=Path, default=None)
    p.add_argument("--allow-partial", action="store_true",
                   help="gate a partial run (Ctrl-C, SIGTERM, ended early) instead of failing it")
    p.set_defaults(func=cmd_gate)

    p = sub.add_parser("worker", help="a Locust worker for a multi-machine drill")
    p.add_argument("--master-host", required=True)
    p.add_argument("--master-port", type=int, default=5557)
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; turn DrillError into one line and its exit code."""
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except DrillError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
