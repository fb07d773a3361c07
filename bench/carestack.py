"""Benchmark: reference-stack ingest throughput and latency on loopback while its agents work.

Starts a fast platform sink and ``python -m carestack`` (agents on, speed 60) as
subprocesses, then drives ``POST /events`` over persistent HTTP/1.1 connections:
  1. closed loop: ``--connections`` clients as fast as possible for ``--seconds``;
  2. open loop: ``--rate`` events/s for ``--seconds``, latency measured from each event's
     intended send time (coordinated-omission safe).
Prints accepted events/s, p50/p99/max latency, and the stack's outbox/agent state.
Target (issue 4): >= 2,000 events/s accepted, p99 < 50 ms.

Usage: .venv/bin/python bench/carestack.py [--seconds 10] [--rate 2000] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [
    "@NorthwindAir card declined 3 times, fare went up while I waited. Fix it!",
    "@NorthwindAir is the app down? can't check in",
    "lol drove past the airport today, planes everywhere",
    "@NorthwindAir my account got pwn3d, some hax0r changed my email",
    "@NorthwindAir I'm calling my lawyer, this is the third cancelled flight",
    "stuck at the gate with two kids and no way home @NorthwindAir",
    "@NorthwindAir thanks for the upgrade, crew was amazing!",
    "Reporter at the Daily Post here, @NorthwindAir can you comment for our story?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sink_main(port: int) -> None:
    """A minimal keep-alive HTTP sink answering 200 to everything (the platform stand-in)."""

    class Sink(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while True:
                head_end = self.buf.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buf[:head_end].lower()
                i = head.find(b"content-length:")
                n = int(head[i + 15:head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0
                             else None]) if i >= 0 else 0
                if len(self.buf) < head_end + 4 + n:
                    return
                self.buf = self.buf[head_end + 4 + n:]
                self.t.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")  # type: ignore[attr-defined]

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(serve())


class Client:
    """One persistent connection posting events."""

    def __init__(self, port: int):
        self.port = port

    async def open(self) -> None:
        self.r, self.w = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, body: bytes) -> int:
        self.w.write(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        status = int((await self.r.readline()).split()[1])
        length = 0
        while (line := await self.r.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line[15:])
        await self.r.readexactly(length)
        return status


def event(i: int, rng: np.random.Generator) -> bytes:
    return json.dumps({
        "id": f"ev-{i:08d}", "t": i * 0.01, "channel": "twitter", "kind": "post", "parent": None,
        "thread": None,
        # A unique booking reference per post defeats the stack's sentiment cache (worst case).
        "text": f"{TEXTS[i % len(TEXTS)]} ref {i:08d}", "lang": "en", "incident": None,
        "author": {"handle": f"@user{i}", "name": "A User", "verified": False,
                   "followers": int(rng.pareto(1.3) * 20 + 20), "customer_id": None,
                   "segment": "regular"},
    }).encode()


async def closed_loop(port: int, bodies: list[bytes], seconds: float, conns: int) -> dict:
    it = iter(bodies)
    lat: list[float] = []
    ok = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal ok
        c = Client(port)
        await c.open()
        for body in it:
            if time.perf_counter() > deadline:
                break
            t0 = time.perf_counter()
            status = await c.post(body)
            ok += status == 202
            lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    took = time.perf_counter() - t0
    return {"accepted_per_s": ok / took, "sent": len(lat), "accepted": ok, **pcts(lat)}


async def open_loop(port: int, bodies: list[bytes], seconds: float, rate: float,
                    conns: int) -> dict:
    n = int(seconds * rate)
    nxt = 0
    lat: list[float] = []
    ok = 0
    start = time.perf_counter() + 0.2

    async def worker() -> None:
        nonlocal nxt, ok
        c = Client(port)
        await c.open()
        while nxt < n:
            i = nxt
            nxt += 1
            intended = start + i / rate
            delay = intended - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await c.post(bodies[i])
            ok += status == 202
            lat.append(time.perf_counter() - intended)

    await asyncio.gather(*(worker() for _ in range(conns)))
    took = time.perf_counter() - start
    return {"rate": rate, "accepted_per_s": ok / took, "sent": n, "accepted": ok, **pcts(lat)}


def pcts(lat: list[float]) -> dict:
    a = np.array(lat) * 1000.0
    return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
            "max_ms": float(a.max())}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=2000.0)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--sink", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.sink is not None:
        sink_main(args.sink)
        return
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    sink_port, port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, __file__, "--sink", str(sink_port)]),
             subprocess.Popen([sys.executable, "-m", "carestack", "--port", str(port),
                               "--platform-url", f"http://127.0.0.1:{sink_port}",
                               "--speed", str(args.speed)], cwd=ROOT, env=env)]
    try:
        for _ in range(100):
            try:
                get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                time.sleep(0.1)
        rng = np.random.default_rng(1)
        n = int(args.seconds * max(args.rate, 8000)) + 1
        bodies = [event(i, rng) for i in range(n)]
        stack_pid = procs[1].pid
        cpu0 = cpu_s(stack_pid)
        closed = asyncio.run(closed_loop(port, bodies, args.seconds, args.connections))
        # Let the outbox deliver the closed loop's backlog before the paced phase.
        for _ in range(300):
            if get(f"http://127.0.0.1:{port}/stats")["outbox"]["pending"] == 0:
                break
            time.sleep(0.1)
        cpu1 = cpu_s(stack_pid)  # includes delivering the closed loop's actions
        fresh = [event(i + n, rng) for i in range(int(args.seconds * args.rate) + 1)]
        opened = asyncio.run(open_loop(port, fresh, args.seconds, args.rate, args.connections))
        time.sleep(1.0)
        cpu2 = cpu_s(stack_pid)
        stats = get(f"http://127.0.0.1:{port}/stats")
        print(f"closed loop ({args.connections} connections, {args.seconds:g}s): "
              f"{closed['accepted_per_s']:.0f} events/s accepted, p50 {closed['p50_ms']:.2f} ms, "
              f"p99 {closed['p99_ms']:.2f} ms, max {closed['max_ms']:.1f} ms")
        print(f"open loop at {args.rate:g}/s ({args.seconds:g}s, latency from intended send): "
              f"{opened['accepted_per_s']:.0f} events/s accepted ({opened['accepted']}/"
              f"{opened['sent']}), p50 {opened['p50_ms']:.2f} ms, p99 {opened['p99_ms']:.2f} ms, "
              f"max {opened['max_ms']:.1f} ms")
        per_event = (cpu2 - cpu0) / (closed["accepted"] + opened["accepted"]) * 1e6
        print(f"stack CPU per accepted event (ingest + triage + SQLite + delivering its "
              f"actions): {per_event:.0f} us, i.e. about {1e6 / per_event:.0f} events/s "
              f"per core (closed loop alone: "
              f"{(cpu1 - cpu0) / max(closed['accepted'], 1) * 1e6:.0f} us)")
        print(f"machine load average during the run: {os.getloadavg()[0]:.2f} "
              f"(other processes compete for the 2 cores)")
        target = opened["accepted_per_s"] >= 0.98 * args.rate and opened["p99_ms"] < 50
        print(f"target (>= {args.rate:g}/s with p99 < 50 ms): {'met' if target else 'NOT met'}")
        print(f"stack: outbox {stats['outbox']}, agents busy {stats['agents']['busy']} "
              f"idle {stats['agents']['idle']}, cases {stats['cases']['total']}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
