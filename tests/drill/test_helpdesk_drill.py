"""A real django-helpdesk (SQLite, loopback) drilled end to end with targets/django-helpdesk.yaml.

The fixture migrates a fresh database, creates the drill's API user, an agent and the seven
queues the profile names, and serves the helpdesk with its webhooks pointed at the drill's
platform endpoint. During the drill a scripted agent works the tickets through the helpdesk's
own REST API, by the post's index (from the ticket title) mod 3:
0: moves the ticket to the right queue, then posts a public follow-up (both come back by webhook);
1: only moves it (no webhook is sent: only polling can see it);
2: posts a closing follow-up (a reply and a close, by webhook).
It works posts of the first 140 s of the 180 s storm only, so its last follow-up is not racing
the end of the drill (django-helpdesk answers 500 to a follow-up whose webhook is refused).
Every reply and queue change must be matched to the right post and scored.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "targets" / "django-helpdesk.yaml"
PASSWORD = "s3cret-drill-pw"
LAST_WORKED_T = 140.0  # of the 180 s storm: work done well before the drill ends (no race)
QUEUES = ("inbox", "care", "care-t2", "sales", "pr", "legal", "security")  # ids 1-7
SETUP = f"""
from django.contrib.auth.models import User
from helpdesk.models import Queue
User.objects.create_superuser("drillbot", "drillbot@example.com", {PASSWORD!r})
User.objects.create_superuser("agent", "agent@example.com", "agent-pw")
for slug in {QUEUES!r}:
    Queue.objects.create(title=slug, slug=slug)
"""


def _free_port() -> int:
    from load.launcher import free_port

    return free_port()


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A django-helpdesk server on a free loopback port -> (base URL, platform port)."""
    tmp_path = tmp_path_factory.mktemp("helpdesk")
    platform_port = _free_port()
    port = _free_port()
    hooks = f"http://127.0.0.1:{platform_port}/hooks/helpdesk"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.helpdesk_site.settings",
           "HELPDESK_DB": str(tmp_path / "helpdesk.sqlite3"), "PYTHONPATH": str(ROOT),
           "HELPDESK_NEW_TICKET_WEBHOOK_URLS": f"{hooks}/new-ticket",
           "HELPDESK_FOLLOWUP_WEBHOOK_URLS": f"{hooks}/followup"}
    for args in (["migrate", "-v0"], ["shell", "-c", SETUP]):
        subprocess.run([sys.executable, "-m", "django", *args], cwd=ROOT, env=env, check=True,
                       timeout=120, capture_output=True)
    log = (tmp_path / "helpdesk.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "django", "runserver", "--noreload",
                             f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/api/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "helpdesk.log").read_text()) from None
                time.sleep(0.2)
        yield base, platform_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


class ScriptedAgent(threading.Thread):
    """Works the helpdesk's open tickets through its API while the drill runs."""

    def __init__(self, base: str, expected: dict[str, dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, auth=("agent", "agent-pw"), timeout=10)
        self.expected = expected
        self.done: dict[str, str] = {}  # event id -> what the agent did
        self.stop = threading.Event()

    def _queue_for(self, event_id: str) -> int | None:
        exp = self.expected[event_id]
        route = exp.get("route")
        if route in (None, "none") or route not in QUEUES:
            return None
        slug = "care-t2" if route == "care" and exp.get("tier") == 2 else route
        return QUEUES.index(slug) + 1

    def run(self) -> None:
        while not self.stop.wait(0.3):
            tickets = self.client.get("/api/tickets/", params={"status": "1",
                                                               "page_size": 500}).json()
            for ticket in tickets["results"]:
                event_id = ticket["title"].split()[0]
                if (event_id in self.expected and event_id not in self.done
                        and self.expected[event_id]["t"] < LAST_WORKED_T):
                    self.done[event_id] = "failed"  # until the API calls all succeed
                    try:
                        self.done[event_id] = self._work(ticket["id"], event_id)
                    except httpx.HTTPError:
                        pass  # e.g. after the drill: its webhook refused, the helpdesk says 500

    def _work(self, ticket: int, event_id: str) -> str:
        group = int(event_id.split("-")[1]) % 3
        queue = self._queue_for(event_id)
        if group in (0, 1) and queue is not None:
            self.client.patch(f"/api/tickets/{ticket}/", json={"queue": queue}).raise_for_status()
        if group == 1:
            return "moved" if queue is not None else "nothing"
        body = {"ticket": ticket, "comment": f"Sorry about that ({event_id})", "public": True}
        if group == 2:
            body["new_status"] = 4
        self.client.post("/api/followups/", json=body).raise_for_status()
        return {0: "moved+replied" if queue is not None else "replied", 2: "closed"}[group]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.mark.slow
def test_django_helpdesk_drilled_end_to_end(tmp_path: Path, helpdesk: Any) -> None:
    base, platform_port = helpdesk
    run = tmp_path / "run"
    events = tmp_path / "events.jsonl"
    subprocess.run([sys.executable, str(ROOT / "run_drill.py"), "generate",
                    str(ROOT / "scenarios/ci-smoke.yaml"), "-o", str(events), "--volume", "0.15"],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    expected = {e["id"]: {**e["labels"]["expected"], "t": e["t"]} for e in _lines(events)}
    agent = ScriptedAgent(base, expected)
    agent.start()
    env = {**os.environ, "HELPDESK_USER": "drillbot", "HELPDESK_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(ROOT / "scenarios/ci-smoke.yaml"),
         "--target", str(PROFILE), "--base-url", base, "--platform-port", str(platform_port),
         "--volume", "0.15", "--speed", "20", "--grace", "60s", "--drain", "20s", "-o", str(run),
         # open loop: the stream is exactly the generated one the scripted agent knows about
         # (the reactions have their own drills in test_reactions_drill.py)
         "--no-reactions"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    agent.stop.set()
    agent.join(timeout=5)
    assert done.returncode == 0, done.stderr
    replay = orjson.loads((run / "replay.json").read_bytes())
    counts = replay["counts"]
    assert counts["accepted"] == counts["generated"] == len(expected) > 20
    assert counts["unmapped_callbacks"] == 0, replay["callbacks"]
    assert counts["poll_failures"] == 0, replay["poll"]
    captures = {c["event_id"]: c["ticket_id"] for c in _lines(run / "captures.jsonl")}
    assert len(captures) == len(expected)

    actions = _lines(run / "actions.jsonl")
    by_event: dict[str, list[dict[str, Any]]] = {}
    for action in actions:
        by_event.setdefault(action["event_id"], []).append(action)
    assert set(by_event) <= set(agent.done), "an action for a ticket nobody touched"
    worked = {e: what for e, what in agent.done.items() if what not in ("nothing", "failed")}
    assert len(worked) >= len(expected) // 2
    for event_id, what in worked.items():
        got = {(a["action"], a["source"].split(":")[0]) for a in by_event.get(event_id, [])}
        exp = expected[event_id]
        if "replied" in what or what == "closed":
            replies = [a for a in by_event[event_id] if a["action"] == "reply"]
            assert len(replies) == 1 and replies[0]["text"] == f"Sorry about that ({event_id})"
            # whichever sees it first: the follow-up webhook, or a poll just before it arrives
            assert replies[0]["source"] in ("callback:/hooks/helpdesk/followup", "poll")
            assert replies[0]["agent"] == "helpdesk-user-2"
        if what == "closed":
            assert {("close", "callback"), ("close", "poll")} & got
        if "moved" in what:
            triage = [a for a in by_event[event_id] if a["action"] == "triage"]
            assert len(triage) == 1 and triage[0]["route"] == exp["route"], by_event[event_id]
            assert triage[0]["tier"] == exp["tier"]
        if what == "moved":  # no webhook for a queue change alone: the poll saw it
            assert got == {("triage", "poll")}, by_event[event_id]

    sources = [a["source"] for a in actions if a["action"] == "reply"]
    assert sources.count("callback:/hooks/helpdesk/followup") > len(sources) // 2, sources

    results = orjson.loads((run / "results.json").read_bytes())
    replied = {e for e, what in worked.items() if ("replied" in what or what == "closed")
               and expected[e]["respond"]}  # first response is scored where one is expected
    assert results["latency"]["first_response_s"]["count"] == len(replied) > 0
    moved = {e for e, what in worked.items() if "moved" in what}
    per_route = results["escalation"]["per_route"]
    for route, row in per_route.items():  # every route the helpdesk expressed was the right one
        if route != "none":
            assert row["precision"] == 1.0, per_route
    assert sum(row["predicted"] for r, row in per_route.items() if r != "none") == len(moved)
    for path in run.iterdir():  # the API password never reaches the run folder
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path.name


def test_bad_callback_mapping_is_one_line_before_load(tmp_path: Path) -> None:
    bad = tmp_path / "bad-helpdesk.yaml"
    bad.write_text(PROFILE.read_text().replace(
        "event: {from: ticket.id, capture: ticket_id}", "event: {from: ticket.id, capture: tiket}",
        1))
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(ROOT / "scenarios/ci-smoke.yaml"),
         "--target", str(bad), "--base-url", "http://127.0.0.1:9", "-o", str(out)], cwd=ROOT,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "HELPDESK_USER": "u", "HELPDESK_PASSWORD": "p"})
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "callbacks.0.event.capture must name a field of capture (ticket_id), got 'tiket'" \
        in done.stderr
    assert not (out / "events.jsonl").exists()


@pytest.mark.slow
def test_probe_prints_how_each_callback_and_poll_was_mapped(helpdesk: Any) -> None:
    base, platform_port = helpdesk
    client = httpx.Client(base_url=base, auth=("agent", "agent-pw"), timeout=10)

    def agent() -> None:  # the probe's ticket: moved to care, then answered
        for _ in range(50):
            tickets = [t for t in client.get("/api/tickets/", params={"status": "1",
                                                                      "page_size": 500}
                                             ).json()["results"]
                       if t["title"].startswith("ev-probe-")]
            if tickets:
                number = tickets[0]["id"]
                client.patch(f"/api/tickets/{number}/", json={"queue": 2}).raise_for_status()
                time.sleep(2.5)  # a poll (every 2 s) sees the move before the follow-up
                client.post("/api/followups/", json={"ticket": number, "comment": "On it",
                                                     "public": True}).raise_for_status()
                return
            time.sleep(0.2)

    thread = threading.Thread(target=agent, daemon=True)
    thread.start()
    env = {**os.environ, "HELPDESK_USER": "drillbot", "HELPDESK_PASSWORD": PASSWORD}
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "probe", "--target", str(PROFILE),
         "--base-url", base, "--platform-port", str(platform_port), "--wait", "6s"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    thread.join(timeout=5)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "> Authorization: <from env.HELPDESK_PASSWORD, env.HELPDESK_USER>" in out
    assert "< 201 in " in out and re.search(r"capture\.ticket_id = \d+\n", out)
    assert "/hooks/helpdesk/new-ticket: held (waiting for capture.ticket_id)" in out
    assert "callback:/hooks/helpdesk/new-ticket: mapped to ev-probe-" in out
    assert "poll: mapped to ev-probe-" in out and "triage " in out and "route='care'" in out
    assert "callback:/hooks/helpdesk/followup: mapped to ev-probe-" in out
    assert "reply " in out and "text='On it'" in out
    assert "summary: 2 actions recorded, 0 requests not mapped; poll: " in out
    assert PASSWORD not in out
