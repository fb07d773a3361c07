"""Benchmark: the replay's throughput and schedule fidelity against a fast loopback sink.

Starts nginx (from Debian; ``apt-get install -y nginx`` when missing) with its own config on
a free loopback port, answering every request 202, then measures in ONE run:
  1. a bare Locust FastHttpUser loop (``--users`` closed-loop users, no wait) for
     ``--seconds``: requests/s, the baseline;
  2. our replay overdriven (every event due at once, ``--events`` of them): sustained
     sends/s, and the ratio to (1);
  3. our replay at half of (2)'s rate for ``--seconds``: schedule lag p50/p99/max;
  4. two local workers (master + 2 processes) at 8,868 events/s for ``--seconds``: achieved
     rate, accepted share, lag p99.
  5. closed-loop drills (issue 12): the replay overdriven with the reaction engine wired in
     (following actions.jsonl, cancels and additions in the sender) against the same
     replay with ``--no-reactions``, on a generated storm (payment-outage scaled to
     ``--events``), alternating; and the engine's own rate (timely replies fed offline).
Targets (DESIGN.md section 12): ratio >= 0.9; lag p99 <= 10 ms; two workers hold 8,868/s;
reactions on within 10% of off in events/s and CPU per event.

Usage: .venv/bin/python bench/replay.py [--seconds 5] [--users 50] [--events 30000]
       [--only-reactions]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import gevent  # noqa: F401  (load/ imports Locust, which patches on import; be explicit)
import numpy as np
from locust import FastHttpUser, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load.hooks import ReplayHooks  # noqa: E402
from load.launcher import free_port  # noqa: E402
from load.options import ReplayOptions  # noqa: E402
from load.platform import PlatformProcess  # noqa: E402
from load.profile import load_profile  # noqa: E402
from load.replay import Target, run_replay  # noqa: E402
from load.schedule import build_plan  # noqa: E402
from load.send_log import histogram_summary  # noqa: E402
from load.sender import MAX_IN_FLIGHT  # noqa: E402

RECORD_RATE = 8868.0
ROUNDS = 3
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log crit;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{ return 202 '{{"ok":true}}'; }}
  }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx")
    if found or Path("/usr/sbin/nginx").exists():
        return found or "/usr/sbin/nginx"
    print("nginx missing: apt-get install -y nginx", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "nginx"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_sink(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    proc = subprocess.Popen([nginx_binary(), "-c", str(conf), "-g", "daemon off;"])
    for _ in range(100):
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}"


def events(n: int, rate: float) -> list[dict]:
    return [{"id": f"ev-{i:07d}", "t": i / rate, "channel": "twitter", "kind": "post",
             "parent": None, "text": "@NorthwindAir card declined 3 times, fare went up. Fix it!",
             "author": {"handle": "@jdoe", "followers": 1340}, "labels": {}} for i in range(n)]


def bare_locust(url: str, users: int, seconds: float) -> dict[str, float]:
    """Requests/s of a plain closed-loop FastHttpUser hammering the sink."""

    class Bare(FastHttpUser):
        host = url
        body = events(1, 1.0)[0]

        @task
        def post(self) -> None:
            self.client.post("/events", json=self.body)

    env = Environment(user_classes=[Bare])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users * 10)
    gevent.sleep(1.0)  # warm up: connections open, users spawned
    before = env.stats.total.num_requests
    t0, cpu0 = time.monotonic(), time.process_time()
    gevent.sleep(seconds)
    done = env.stats.total.num_requests - before
    elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    runner.quit()
    return {"rate": done / elapsed, "cpu_us": cpu / max(done, 1) * 1e6}


PLATFORM_PROFILE = """
name: platform-bench
base_url: http://127.0.0.1:1
path: /platform/actions
body: '{"event_id": {{ event.id | json }}, "action": "reply", "route": "care", "tier": 1,
  "priority": "p3", "agent": "a-01", "text": {{ event.text | json }}}'
accept: [202]
"""


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    """User + system CPU seconds of reaped child processes (the local workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies over all cores from /proc/stat: how saturated the machine is."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def platform_rate(tmp: Path, n: int, in_flight: int) -> dict:
    """Actions/s the platform endpoint takes (each stamped and appended to actions.jsonl)."""
    (tmp / "platform.yaml").write_text(PLATFORM_PROFILE)
    actions = tmp / "actions.jsonl"
    platform = PlatformProcess(actions, 1.0, None, port=0)
    try:
        cpu0 = process_cpu_s(platform.proc.pid)
        result = replay_rate(platform.url, n, 1_000_000.0, max_in_flight=in_flight,
                             profile_path=tmp / "platform.yaml")
        result["server_cpu_us"] = (process_cpu_s(platform.proc.pid) - cpu0) / n * 1e6
        result["stored"] = sum(1 for _ in actions.open("rb"))
    finally:
        platform.stop()
    return result


def replay_rate(url: str, n: int, rate: float, workers: int = 0,
                max_in_flight: int = MAX_IN_FLIGHT, profile_path: Path | None = None,
                storm: list[dict] | None = None, reactions: Any = None) -> dict:
    profile = load_profile(profile_path or ROOT / "targets" / "reference.yaml", url)
    plan = build_plan(storm if storm is not None else events(n, rate), profile,
                      1.0 if storm is None else rate)
    n = len(plan)
    hooks = ReplayHooks()
    if reactions is not None:
        reactions.subscribe(hooks)
        reactions.attach(profile)
    cpu0, kids0, busy0 = time.process_time(), children_cpu_s(), machine_busy()
    out = run_replay(plan, Target(profile.base_url, profile.accept),
                     ReplayOptions(workers=workers, max_in_flight=max_in_flight), hooks=hooks)
    cpu = time.process_time() - cpu0
    kids = children_cpu_s() - kids0
    busy1 = machine_busy()
    busy = (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
    log = out.log
    sent = ~np.isnan(log.actual_s)
    first, last = np.nanmin(log.actual_s), np.nanmax(log.done_s)
    lag = histogram_summary(out.histograms["schedule_lag_ms"])
    ok = int(np.isin(log.status, list(profile.accept)).sum())
    return {"sent": int(sent.sum()), "accepted": ok, "cpu_us": cpu / max(n, 1) * 1e6,
            "worker_cpu_us": kids / max(n, 1) * 1e6, "machine_busy": busy,
            "elapsed": float(last - first),
            "rate": float(sent.sum() / max(last - first, 1e-9)),
            "send_span_rate": float(sent.sum() / max(np.nanmax(log.actual_s) - first, 1e-9)),
            "lag": lag, "ingest": histogram_summary(out.histograms["ingest_ms"])}


def reactions_overhead(url: str, tmp: Path, n: int, users: int, rounds: int) -> None:
    """Part 5: the replay overdriven with and without the reaction engine, alternating."""
    from load.reacting import DrillReactions
    from simulator.crowd.model import generate
    from simulator.crowd.reactions import ReactionEngine
    from simulator.runfolder import read_event_dicts as read_events
    from simulator.runfolder import write_jsonl
    from simulator.runfolder.event_table import event_id
    from simulator.scenario.models import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "payment-outage.yaml")
    table = generate(scenario, volume=n / 3200)
    path = tmp / "storm.jsonl"
    write_jsonl(table, path)
    storm = read_events(path)
    speed = 1e9  # every post due at once
    offs, ons = [], []
    for _ in range(rounds):
        offs.append(replay_rate(url, 0, speed, max_in_flight=users, storm=storm))
        actions = tmp / "actions.jsonl"
        actions.write_bytes(b"")
        wired = DrillReactions(scenario, path, actions, speed)
        ons.append(replay_rate(url, 0, speed, max_in_flight=users, storm=storm,
                               reactions=wired))
    off, on = median(o["rate"] for o in offs), median(o["rate"] for o in ons)
    cpu_off, cpu_on = median(o["cpu_us"] for o in offs), median(o["cpu_us"] for o in ons)
    print(f"reactions ({len(storm):,}-post payment-outage storm, all due at once, {users} in "
          f"flight): off {_rates(offs)} events/s, on {_rates(ons)}; median on/off "
          f"{on / off:.2f}; CPU per event off {cpu_off:.0f} us, on {cpu_on:.0f} us, on/off "
          f"{cpu_on / cpu_off:.2f} (target within 10%: "
          f"{'met' if on / off >= 0.9 and cpu_on / cpu_off <= 1.1 else 'NOT met'})",
          flush=True)
    engine = ReactionEngine(scenario, table)
    need = np.flatnonzero(table.respond).tolist()
    t = table.t
    start = time.process_time()
    for i in need:
        engine.on_action(event_id(i), "reply", float(t[i]) + 60.0)
    engine.render_texts()
    cpu = time.process_time() - start
    s = engine.summary()
    print(f"reaction engine: {len(need) / cpu:,.0f} timely replies/s on one core "
          f"({s['prevented']:,} posts prevented, {s['reactions']:,} answer-backs rendered; "
          f"{cpu / len(need) * 1e6:.0f} us per reply)", flush=True)


def _rates(items: list[dict]) -> str:
    return ", ".join(f"{i['rate']:,.0f}" for i in items)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--events", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--only-reactions", action="store_true",
                        help="run only part 5 (reactions on vs off)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        sink, url = start_sink(Path(tmpdir))
        try:
            if args.only_reactions:
                reactions_overhead(url, Path(tmpdir), args.events, args.users, args.rounds)
                return 0
            # Alternate the two, ROUNDS times, and quote medians: the machine is shared.
            bares, overs = [], []
            for _ in range(args.rounds):
                bares.append(bare_locust(url, args.users, args.seconds))
                overs.append(replay_rate(url, args.events, 1_000_000.0, max_in_flight=args.users))
            bare = median(b["rate"] for b in bares)
            over = median(o["rate"] for o in overs)
            print(f"bare FastHttpUser loop ({args.users} users): {_rates(bares)} requests/s, "
                  f"median {bare:,.0f}", flush=True)
            ratio = over / bare
            pairs = ", ".join(f"{o['rate'] / b['rate']:.2f}"
                              for o, b in zip(overs, bares, strict=True))
            print(f"replay overdriven ({args.events:,} events due at once, {args.users} in "
                  f"flight): {_rates(overs)} events/s, median {over:,.0f}; median ratio "
                  f"{ratio:.2f} (round by round {pairs}; target >= 0.9: "
                  f"{'met' if ratio >= 0.9 else 'NOT met'})", flush=True)
            cpu_bare = median(b["cpu_us"] for b in bares)
            cpu_over = median(o["cpu_us"] for o in overs)
            print(f"CPU per request, median (less noisy on a shared machine): bare "
                  f"{cpu_bare:.0f} us, replay {cpu_over:.0f} us, ratio {cpu_bare / cpu_over:.2f}",
                  flush=True)
            half = over / 2
            halves = [replay_rate(url, int(half * args.seconds), half)
                      for _ in range(args.rounds)]
            p99s = [h["lag"]["p99"] for h in halves]
            lag_p99 = median(p99s)
            print(f"replay at half ({half:,.0f}/s for {args.seconds:g}s): schedule lag p99 "
                  f"{', '.join(f'{v:.2f}' for v in p99s)} ms, median {lag_p99:.2f} ms "
                  f"(p50 {median(h['lag']['p50'] for h in halves):.2f}, max "
                  f"{median(h['lag']['max'] for h in halves):.2f}; target p99 <= 10 ms: "
                  f"{'met' if lag_p99 <= 10 else 'NOT met'}); ingest p99 "
                  f"{median(h['ingest']['p99'] for h in halves):.2f} ms; CPU "
                  f"{median(h['cpu_us'] for h in halves):.0f} us per event", flush=True)
            twos = [replay_rate(url, int(RECORD_RATE * args.seconds), RECORD_RATE, workers=2)
                    for _ in range(args.rounds)]
            span = median(t["send_span_rate"] for t in twos)
            two_p99 = median(t["lag"]["p99"] for t in twos)
            held = span >= RECORD_RATE * 0.98 and two_p99 < 100
            spans = ", ".join(f"{t['send_span_rate']:,.0f}" for t in twos)
            print(f"two workers at {RECORD_RATE:,.0f}/s for {args.seconds:g}s: sent at "
                  f"{spans}/s, "
                  f"median {span:,.0f}/s; accepted {median(t['accepted'] for t in twos):,.0f} "
                  f"of {int(RECORD_RATE * args.seconds):,}; lag p99 median {two_p99:.2f} ms  "
                  f"held: {'yes' if held else 'NO'}; worker CPU "
                  f"{median(t['worker_cpu_us'] for t in twos):.0f} us per event, machine "
                  f"{median(t['machine_busy'] for t in twos):.0%} busy (2 cores, nginx included)",
                  flush=True)
            plat = platform_rate(Path(tmpdir), args.events, args.users)
            print(f"platform endpoint: {plat['rate']:,.0f} actions/s taken "
                  f"({plat['accepted']:,} of {args.events:,} accepted, {plat['stored']:,} in "
                  f"actions.jsonl); its own CPU {plat['server_cpu_us']:.0f} us per action, "
                  f"about {1e6 / plat['server_cpu_us']:,.0f} actions/s per core", flush=True)
            reactions_overhead(url, Path(tmpdir), args.events, args.users, args.rounds)
        finally:
            sink.terminate()
            sink.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
