"""Distributed replay: a Locust master and N workers, each sending its share of the plan.

Locust workers are not told how many workers there are, so the master passes it itself
(``send_message``): it numbers the ready workers 0..N-1, sends each one
``drill_plan`` with its index, the count and its pre-rendered slice (every N-th event from
its index: each event is sent exactly once), then ``drill_go`` with the absolute wall-clock
start. Each worker sends from that schedule (``load.sender``) and answers ``drill_result``
with its per-event outcomes and its encoded HdrHistograms, which the master merges
losslessly (``decode_and_add``). Workers on other machines need clocks in sync (NTP): the
start is a wall-clock time. ``run_worker`` is the worker process (``run_drill.py worker``).

In a closed-loop drill (reactions) the master runs the reaction engine and ``_Forward``
tells the worker that owns an event (event ``k`` belongs to worker ``k % N``, new posts
included) to cancel it or to send a new one (``drill_react``, batched per read of
actions.jsonl); each worker reports the global numbers of the posts it was given.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gevent
import numpy as np
from gevent.event import Event
from locust.env import Environment
from locust.runners import STATE_MISSING

from load.hooks import ReplayHooks
from load.launcher import child_options, free_port
from load.options import ReplayOptions
from load.outcome import ReplayOutcome, Target, start_web_ui
from load.profile import RenderedRequest
from load.schedule import Plan
from load.send_log import SendLog, build_histograms, merge_encoded
from load.sender import Sender

__all__ = ["run_master", "run_worker"]

WORKER_CONNECT_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 120.0
START_LEAD_S = 0.5
RESULT_MARGIN_S = 30.0
PROGRESS_INTERVAL_S = 1.0
LOST_AFTER_S = 10.0  # a worker missing from the heartbeats this long is lost
PLAN_CHUNK = 20_000  # events per drill_plan message


class _MasterState:
    def __init__(self) -> None:
        self.ready: set[str] = set()
        self.results: dict[str, dict[str, Any]] = {}
        self.progress: dict[str, dict[str, float]] = {}
        self.all_ready = Event()
        self.all_done = Event()
        self.expected = 0


class _Forward:
    """The master's reaction sink: cancels and new posts go to the owning worker."""

    def __init__(self, runner: Any, clients: list[str], total: int) -> None:
        self.runner, self.clients, self.next = runner, clients, total
        self.pending: dict[str, dict[str, list[Any]]] = {}

    def _to(self, k: int) -> dict[str, list[Any]]:
        client = self.clients[k % len(self.clients)]
        return self.pending.setdefault(client, {"cancel": [], "add": []})

    def cancel(self, k: int) -> bool:
        self._to(k)["cancel"].append(k)
        return True

    def add(self, offset: float, request: RenderedRequest) -> int:
        k = self.next
        self.next += 1
        self._to(k)["add"].append([k, offset, request.method, request.path, request.headers,
                                   request.body])
        return k

    def flush(self) -> None:
        for client, data in self.pending.items():
            self.runner.send_message("drill_react", data, client)
        self.pending = {}

    def close_additions(self) -> None:
        self.flush()
        for client in self.clients:
            self.runner.send_message("drill_react", {"close": True}, client)


def _spawn_local_workers(count: int, port: int) -> list[subprocess.Popen[bytes]]:
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "load.distributed", "--master-host", "127.0.0.1",
           "--master-port", str(port)]
    return [subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                             **child_options())  # type: ignore[call-overload]
            for _ in range(count)]


def run_master(plan: Plan, target: Target, options: ReplayOptions, *, stop: Event,
               hooks: ReplayHooks) -> ReplayOutcome:
    """Run the master side of a distributed replay; returns the merged outcome.

    Fires ``hooks.sending`` (with the forwarder as the sink), ``start`` and ``progress``.
    """
    workers, remote_workers = options.workers, options.remote_workers
    max_in_flight, drain_timeout = options.max_in_flight, options.drain_s
    bind, port = options.master_bind, options.master_port
    hold_until_s = hooks.hold_until_s
    env = Environment(user_classes=[])
    port = port or free_port(bind if bind not in ("*", "0.0.0.0") else "127.0.0.1")
    runner = env.create_master_runner(master_bind_host=bind, master_bind_port=port)
    web = start_web_ui(env) if options.ui else None
    state = _MasterState()
    state.expected = workers + remote_workers

    def on_ready(environment: Environment, msg: Any) -> None:
        state.ready.add(msg.node_id)
        if len(state.ready) >= state.expected:
            state.all_ready.set()

    def on_result(environment: Environment, msg: Any) -> None:
        state.results[msg.node_id] = msg.data
        if len(state.results) >= state.expected:
            state.all_done.set()

    def on_progress(environment: Environment, msg: Any) -> None:
        state.progress[msg.node_id] = msg.data

    runner.register_message("drill_ready", on_ready)
    runner.register_message("drill_result", on_result)
    runner.register_message("drill_progress", on_progress)
    procs = _spawn_local_workers(workers, port)
    if remote_workers:
        print(f"master listening on {bind}:{port}; waiting for {remote_workers} remote worker(s): "
              f"run_drill.py worker --master-host <this host> --master-port {port}",
              file=sys.stderr, flush=True)
    log = SendLog(len(plan))
    start_wall = time.time()
    try:
        deadline = time.monotonic() + WORKER_CONNECT_TIMEOUT_S
        while len(runner.clients.ready) < state.expected:
            if time.monotonic() > deadline or stop.is_set():
                from simulator.errors import TargetError

                raise TargetError(f"only {len(runner.clients.ready)} of {state.expected} Locust "
                                  f"workers connected to the master on port {port}")
            gevent.sleep(0.1)
        clients = sorted(c.id for c in runner.clients.ready)[: state.expected]
        slices: dict[str, np.ndarray] = {}
        for index, client_id in enumerate(clients):
            positions = plan.partition(index, len(clients))
            slices[client_id] = positions
            chunks = [positions[i:i + PLAN_CHUNK] for i in range(0, len(positions), PLAN_CHUNK)]
            for part, chunk in enumerate(chunks or [positions]):
                # In parts: one huge message would stall the worker's event loop (and its
                # heartbeats) while it decodes.
                runner.send_message("drill_plan", {
                    "index": index, "count": len(clients), "part": part,
                    "parts": max(len(chunks), 1), "base_url": target.base_url,
                    "accept": sorted(target.accept), "max_in_flight": max_in_flight,
                    "drain_timeout": drain_timeout, "plan": plan.to_wire(chunk),
                    "hold_until_s": hold_until_s},
                    client_id)
                gevent.sleep(0)
        if not state.all_ready.wait(READY_TIMEOUT_S):
            from simulator.errors import TargetError

            raise TargetError("Locust workers did not load their share of the plan in time")
        start_wall = time.time() + START_LEAD_S
        hooks.start.fire(start_wall=start_wall)
        runner.send_message("drill_go", {"start_wall": start_wall})
        forward = _Forward(runner, clients, len(plan)) if hooks.sending else None
        sending = Event()
        if forward is not None:
            hooks.sending.fire(sink=forward, finished=sending)
        last = max(last_offset(plan), hold_until_s or 0.0)
        end_by = start_wall + last + drain_timeout + RESULT_MARGIN_S
        stopped_sent = False
        missing_since: dict[str, float] = {}
        while not state.all_done.wait(PROGRESS_INTERVAL_S):
            if time.time() > start_wall + last:
                sending.set()  # the storm has played: no more reactions
            hooks.progress.fire(progress=_sum_progress(state.progress))
            if _workers_lost(runner, clients, state, procs, missing_since):
                print(f"\nworker lost: {len(clients) - len(state.results)} of {len(clients)} "
                      f"Locust workers stopped answering; their events count as unsent",
                      file=sys.stderr, flush=True)
                break
            if stop.is_set() and not stopped_sent:
                runner.send_message("drill_stop", {})
                stopped_sent = True
                end_by = min(end_by, time.time() + 15.0)
            if time.time() > end_by:
                break
        sending.set()
        hooks.progress.fire(progress=_sum_progress(state.progress))
        encoded = []
        if forward is not None:
            log.extend(forward.next - log.n)
        for client_id, data in state.results.items():
            added = np.asarray(data.get("added", []), dtype=np.int64)
            log.absorb(np.concatenate([slices[client_id], added]), data["log"])
            encoded.append(data["hdr"])
        histograms = merge_encoded(encoded)
        lost = len(state.results) < len(clients)
        partial = stop.is_set() or lost
        reason = "interrupted" if stop.is_set() else ("worker-lost" if lost else None)
        return ReplayOutcome(log=log, histograms=histograms, start_wall=start_wall,
                             workers=len(clients), partial=partial, stopped_reason=reason,
                             locust_stats={"num_requests": env.stats.total.num_requests,
                                           "num_failures": env.stats.total.num_failures},
                             max_in_flight=max_in_flight)
    finally:
        try:
            runner.quit()
        finally:
            if web is not None:
                web.stop()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def last_offset(plan: Plan) -> float:
    return float(plan.offsets.max()) if len(plan) else 0.0


def _workers_lost(runner: Any, clients: list[str], state: _MasterState,
                  procs: list[subprocess.Popen[bytes]], missing_since: dict[str, float]) -> bool:
    """True when every worker yet to report is gone: missing from Locust's heartbeats and
    either a local worker process has exited for each, or missing for LOST_AFTER_S."""
    pending = [c for c in clients if c not in state.results]
    if not pending:
        return False
    now = time.monotonic()
    nodes = {node.id: node for node in runner.clients.all}
    for client_id in pending:
        node = nodes.get(client_id)
        if node is None or node.state == STATE_MISSING:
            missing_since.setdefault(client_id, now)
        else:
            missing_since.pop(client_id, None)
    if not all(c in missing_since for c in pending):
        return False
    dead_local = sum(1 for proc in procs if proc.poll() is not None)
    oldest = min(missing_since[c] for c in pending)
    return dead_local >= len(pending) or now - oldest >= LOST_AFTER_S


def _sum_progress(items: dict[str, dict[str, float]]) -> dict[str, float]:
    vals = list(items.values())
    return {"sent": sum(v["sent"] for v in vals), "accepted": sum(v["accepted"] for v in vals),
            "failed": sum(v["failed"] for v in vals),
            "lag_p99_ms": max((v["lag_p99_ms"] for v in vals), default=0.0)}


def run_worker(master_host: str, master_port: int) -> int:
    """A worker process: join the master, send its share when told, report, exit on quit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the master handles Ctrl-C and tells us
    env = Environment(user_classes=[])
    runner = env.create_worker_runner(master_host, master_port)
    stop = Event()
    job: dict[str, Any] = {}

    parts: list[dict[str, Any]] = []

    def on_plan(environment: Environment, msg: Any) -> None:
        data = msg.data
        parts.append(data["plan"])
        if len(parts) < data["parts"]:
            return
        wire = {key: (b"".join(p[key] for p in parts) if isinstance(parts[0][key], bytes)
                      else [x for p in parts for x in p[key]])
                for key in parts[0] if key != "name"}
        wire["name"] = parts[0]["name"]
        positions, plan = Plan.from_wire(wire)
        parts.clear()
        sender = Sender(env, data["base_url"], plan, frozenset(data["accept"]),
                        data["max_in_flight"])
        sender.hold_until_s = data.get("hold_until_s")
        job.update(data=data, plan=plan, positions=positions, sender=sender, added=[])
        runner.send_message("drill_ready", {"index": data["index"], "n": len(plan)})

    def on_go(environment: Environment, msg: Any) -> None:
        gevent.spawn(_work, msg.data["start_wall"])

    def _work(start_wall: float) -> None:
        sender: Sender = job["sender"]
        ticker = gevent.spawn(_report, sender)
        log = sender.run(start_wall, stop, job["data"]["drain_timeout"])
        ticker.kill()
        hist = build_histograms(log.derived_ms(np.asarray(sender.offsets)))
        runner.send_message("drill_progress", sender.progress())
        runner.send_message("drill_result", {"log": log.to_wire(), "added": job["added"],
                                             "hdr": {k: h.encode() for k, h in hist.items()}})

    def on_react(environment: Environment, msg: Any) -> None:
        # event k of this worker's share is its (k - index) // count-th; added ones in order
        sender: Sender = job["sender"]
        index, count = job["data"]["index"], job["data"]["count"]
        local = job.setdefault("local", {})
        for k in msg.data.get("cancel", []):
            sender.cancel(local[k] if k in local else (k - index) // count)
        for k, offset, method, path, headers, body in msg.data.get("add", []):
            local[k] = sender.add(offset, RenderedRequest(method, path, headers, body))
            job["added"].append(k)
        if msg.data.get("close"):
            sender.close_additions()

    def _report(sender: Sender) -> None:
        while True:
            gevent.sleep(PROGRESS_INTERVAL_S)
            runner.send_message("drill_progress", sender.progress())

    runner.register_message("drill_plan", on_plan)
    runner.register_message("drill_go", on_go)
    runner.register_message("drill_react", on_react)
    runner.register_message("drill_stop", lambda environment, msg: stop.set())
    runner.greenlet.join()
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="load.distributed")
    parser.add_argument("--master-host", required=True)
    parser.add_argument("--master-port", type=int, default=5557)
    args = parser.parse_args(argv)
    return run_worker(args.master_host, args.master_port)


if __name__ == "__main__":
    sys.exit(main())
