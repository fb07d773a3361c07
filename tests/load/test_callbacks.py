"""Callbacks and polling mappings, signed webhooks, held callbacks, secrets, profile checks."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from load.casemap import CaseMap, CaseMapper, CaseState, Unmapped
from load.platform import PlatformServer
from load.profile import load_profile
from load.templating import environment
from simulator.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
HELPDESK = ROOT / "targets" / "django-helpdesk.yaml"

STATE_MAP = {
    "route": {"from": "queue", "map": {"inbox": None, "care": "care", "legal": "legal"}},
    "tier": {"from": "queue", "map": {"care": 1, "legal": 3}},
    "priority": {"from": "prio", "map": {1: "p1", 3: "p3"}},
    "status": {"from": "status", "map": {1: "open", 4: "close", 9: "message"}},
    "items": {"from": "notes", "when": "{{ item.public }}", "agent": "by", "text": "body"},
}


def _mapper(spec: dict[str, Any]) -> CaseMapper:
    return CaseMapper(CaseMap.model_validate(spec), environment())


def _ticket(queue: str, status: int = 1, prio: int = 3, notes: list[Any] | None = None) -> Any:
    return {"queue": queue, "status": status, "prio": prio, "notes": notes or []}


def test_state_changes_become_triage_escalate_close_and_items_replies() -> None:
    mapper, state, ctx = _mapper(STATE_MAP), CaseState(), {}
    assert mapper.actions(_ticket("inbox"), state, ctx) == []  # the inbox is not a decision
    triage = mapper.actions(_ticket("care"), state, ctx)
    assert [(a["action"], a["route"], a["tier"], a["priority"]) for a in triage] == [
        ("triage", "care", 1, "p3")]
    assert mapper.actions(_ticket("care"), state, ctx) == []  # seen again: nothing new
    esc = mapper.actions(_ticket("legal", prio=1), state, ctx)
    assert [(a["action"], a["route"], a["tier"], a["priority"]) for a in esc] == [
        ("escalate", "legal", 3, "p1")]
    notes = [{"id": 1, "public": False, "by": "a1", "body": "internal"},
             {"id": 2, "public": True, "by": "a1", "body": "Sorry!"}]
    done = mapper.actions(_ticket("legal", status=4, prio=1, notes=notes), state, ctx)
    assert [(a["action"], a.get("agent"), a.get("text")) for a in done] == [
        ("close", None, None), ("reply", "a1", "Sorry!")]
    assert state.closed
    again = mapper.actions(_ticket("legal", status=4, prio=1, notes=notes), state, ctx)
    assert again == []  # the same follow-ups and status: nothing twice
    reopened = mapper.actions(_ticket("legal", status=1, prio=1, notes=notes), state, ctx)
    assert reopened == [] and not state.closed
    private = mapper.actions(_ticket("legal", status=9, prio=1, notes=notes), state, ctx)
    assert [a["action"] for a in private] == ["message"]


def test_explicit_action_from_the_payload_with_a_value_map() -> None:
    mapper = _mapper({"action": {"from": "type", "map": {"comment": "reply", "move": "escalate"}},
                      "route": "route", "agent": {"template": "hd-{{ payload.who }}"},
                      "text": "body", "fields": {"ticket": "id"}})
    got = mapper.actions({"type": "move", "route": "legal", "who": 7, "id": 12}, CaseState(), {})
    assert got == [{"ticket": 12, "action": "escalate", "route": "legal", "tier": None,
                    "priority": None, "agent": "hd-7", "text": None}]
    with pytest.raises(Unmapped, match="action None is not one of"):
        mapper.actions({"type": "deleted", "who": 7}, CaseState(), {})
    with pytest.raises(Unmapped, match="template error: 'dict object' has no attribute 'who'"):
        mapper.actions({"type": "move"}, CaseState(), {})


def _server(tmp_path: Path, profile_text: str, events: list[str],
            monkeypatch: pytest.MonkeyPatch) -> PlatformServer:
    path = tmp_path / "p.yaml"
    path.write_text(profile_text)
    profile = load_profile(path)
    return PlatformServer(tmp_path / "actions.jsonl", 1.0,
                          {e: {"id": e, "text": "hi"} for e in events}, None, "tok", profile)


SIGNED = """
name: signed
base_url: http://127.0.0.1:9
path: /in
headers: {Authorization: "Bearer {{ env.HOOK_TOKEN }}"}
capture: {ticket: id}
callbacks:
  - path: /hooks/ev
    event: {from: ref, pattern: "(ev-[0-9]+)"}
    action: {from: kind, map: {said: reply}}
    text: text
    verify: {header: X-Sig, secret_env: HOOK_SECRET, algorithm: sha256, prefix: "sha256="}
  - path: /hooks/ticket
    event: {from: ticket, capture: ticket}
    route: {from: queue, map: {care: care}}
"""


def _post(server: PlatformServer, path: str, body: Any, headers: dict[bytes, bytes]) -> Any:
    return server.handle("POST", path, headers, orjson.dumps(body), time.time())


def test_signed_webhook_verified_and_unmapped_requests_kept_without_secrets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "hook-secret-value")
    monkeypatch.setenv("HOOK_TOKEN", "token-value-123")
    server = _server(tmp_path, SIGNED, ["ev-000001"], monkeypatch)
    body = {"ref": "post ev-000001", "kind": "said", "text": "Hello"}
    sig = "sha256=" + hmac.new(b"hook-secret-value", orjson.dumps(body), hashlib.sha256).hexdigest()
    assert _post(server, "/hooks/ev", body, {b"x-sig": sig.encode()})[0] == 200
    assert _post(server, "/hooks/ev", body, {b"x-sig": b"sha256=00"})[0] == 401
    assert _post(server, "/hooks/ev", {**body, "kind": "x"}, {b"x-sig": b""})[0] == 401
    leaked = {"ref": "ev-000001", "kind": "said", "text": "my token-value-123"}
    sig2 = "sha256=" + hmac.new(b"hook-secret-value", orjson.dumps(leaked),
                                hashlib.sha256).hexdigest()
    assert _post(server, "/hooks/ev", leaked, {b"x-sig": sig2.encode()})[0] == 200
    assert _post(server, "/platform/actions", {"action": "wave"},
                 {b"authorization": b"Bearer token-value-123"})[0] == 422
    actions = [orjson.loads(x) for x in (tmp_path / "actions.jsonl").read_bytes().splitlines()]
    assert [(a["event_id"], a["action"], a["text"]) for a in actions] == [
        ("ev-000001", "reply", "Hello"), ("ev-000001", "reply", "my <env.HOOK_TOKEN>")]
    kept = [orjson.loads(x) for x in (tmp_path / "unmapped.jsonl").read_bytes().splitlines()]
    assert [k["reason"] for k in kept] == [
        "signature in X-Sig does not match (sha256, hex)", "signature header X-Sig missing",
        "invalid: /platform/actions needs action (one of close, escalate, ignore, message, "
        "reply, triage) and event_id (a string); /2/tweets needs text and "
        "reply.in_reply_to_tweet_id"]
    assert kept[2]["path"] == "/platform/actions" and "authorization" not in kept[2]["headers"]
    assert b"token-value-123" not in (tmp_path / "unmapped.jsonl").read_bytes()
    stats = server.stats()["callbacks"]
    assert stats["unmapped"] == 3 and stats["mapped"] == 2


def test_callback_before_its_capture_is_held_then_mapped_or_given_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s")
    monkeypatch.setenv("HOOK_TOKEN", "t")
    server = _server(tmp_path, SIGNED, ["ev-000001", "ev-000002"], monkeypatch)
    assert server.hub is not None
    status, answer = _post(server, "/hooks/ticket", {"ticket": 41, "queue": "care"}, {})
    assert status == 200 and answer["held"]
    assert _post(server, "/hooks/ticket", {"ticket": 99, "queue": "care"}, {})[1]["held"]
    server.hub.add_captures([{"event_id": "ev-000002", "ticket": 41}], time.time())
    actions = [orjson.loads(x) for x in (tmp_path / "actions.jsonl").read_bytes().splitlines()]
    assert [(a["event_id"], a["action"], a["route"]) for a in actions] == [
        ("ev-000002", "triage", "care")]
    server.hub.finish()
    kept = [orjson.loads(x) for x in (tmp_path / "unmapped.jsonl").read_bytes().splitlines()]
    assert [k["reason"] for k in kept] == [
        "event: capture.ticket '99' was never captured (the create request was not accepted?)"]
    assert (tmp_path / "captures.jsonl").read_bytes().count(b"\n") == 1
    assert _post(server, "/hooks/ticket", {"queue": "care"}, {})[1] == {
        "error": "event: no value at ticket"}


BAD_PROFILES = [
    ("poll:\n  path: /api/tickets/{{ capture.tiket_id }}/\n",
     "templates must be valid jinja2, got poll.path: 'tiket_id' is not defined"),
    ("poll:\n  path: /t/{{ evnt.id }}/\n",
     "poll.path: unknown name 'evnt'"),
    ("poll:\n  path: /t/\n  headers: {X-Key: '{{ env.UNSET_DRILL_KEY_X }}'}\n",
     "poll.headers.X-Key reads env.UNSET_DRILL_KEY_X, which must be set in the environment, "
     "got it unset (or add | default(...))"),
    ("headers: {X-Key: '{{ env.UNSET_DRILL_KEY_X | default(\"k\") }}-{{ env.UNSET_DRILL_Y }}'}\n",
     "headers.X-Key reads env.UNSET_DRILL_Y, which must be set"),
    ("poll:\n  path: /t/\n  items: {from: x, when: '{{ itme.public }}'}\n",
     "poll.items.when: unknown name 'itme'"),
    ("poll:\n  path: /t/\n  every: 0.01s\n", "poll.every must be at least 0.2s"),
    ("callbacks:\n  - {path: /platform/actions, event: id}\n",
     "callbacks.0.path must be a path starting with / other than the endpoint's own"),
    ("callbacks:\n  - {path: /h, event: {from: id, capture: nope}}\n",
     "callbacks.0.event.capture must name a field of capture (ticket), got 'nope'"),
    ("callbacks:\n  - {path: /h, event: id, items: {from: n, action: wave}}\n",
     "callbacks.0.items.action must be one of triage, reply"),
    ("callbacks:\n  - {path: /h, event: {from: id, pattern: '(ev'}}\n",
     "callbacks.0.event.pattern must be a valid regular expression"),
    ("callbacks:\n  - {path: /h, event: id, route: {map: {a: b}}}\n",
     "callbacks.0.route must be exactly one of from (a dotted path) or template, got neither"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_PROFILES)
def test_bad_callbacks_and_poll_fail_with_one_line(tmp_path: Path, extra: str,
                                                   message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: t\nbase_url: http://x\npath: /e\ncapture: {ticket: id}\n" + extra)
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("bad.yaml: ")


def test_env_and_b64_in_templates_and_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_USER", "drillbot")
    monkeypatch.setenv("HELPDESK_PASSWORD", "pw-123456")
    profile = load_profile(HELPDESK, "http://127.0.0.1:9")
    req = profile.render({"id": "ev-000001", "t": 1.0, "channel": "twitter", "text": "hi",
                          "author": {"handle": "@a"}})
    assert req.headers["Authorization"] == "Basic ZHJpbGxib3Q6cHctMTIzNDU2"
    assert orjson.loads(req.body)["queue"] == 1
    assert profile.redactor.text("user drillbot pw pw-123456") == (
        "user <env.HELPDESK_USER> pw <env.HELPDESK_PASSWORD>")


def test_poll_template_typo_is_exit_2_one_line_before_load(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text(HELPDESK.read_text().replace("{{ capture.ticket_id }}/", "{{ capture.tiket }}/"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(ROOT / "scenarios/ci-smoke.yaml"),
         "--target", str(bad), "-o", str(tmp_path / "run")], cwd=ROOT, capture_output=True,
        text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HELPDESK_USER": "u",
                                    "HELPDESK_PASSWORD": "p", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("error: typo.yaml: templates must be valid jinja2, got poll.path: "
                           "'tiket' is not defined (an unset environment variable, an unknown "
                           "capture or event field)\n")
    assert not (tmp_path / "run" / "events.jsonl").exists()


@pytest.mark.parametrize("flags", [["--drain", "0s"], ["--drain", "soon"]])
def test_bad_drain_is_one_line(tmp_path: Path, flags: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(ROOT / "scenarios/ci-smoke.yaml"),
         *flags, "-o", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True,
        timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --drain: must be a duration > 0") and \
        done.stderr.count("\n") == 1


@pytest.mark.slow
def test_poll_failures_are_counted_and_shown_in_the_report(tmp_path: Path,
                                                           reference_stack: Any) -> None:
    from load.launcher import free_port

    port = free_port()
    base = reference_stack(f"http://127.0.0.1:{port}", "--no-agents")
    profile = tmp_path / "polling.yaml"
    profile.write_text((ROOT / "targets/reference.yaml").read_text() + (
        "poll:\n  every: 0.5s\n  path: /no-such-cases/{{ capture.case_id }}\n  route: route\n"))
    run = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_drill.py"), "drill", str(ROOT / "scenarios/ci-smoke.yaml"),
         "--target", str(profile), "--base-url", base, "--platform-port", str(port),
         "--volume", "0.05", "--speed", "30", "--grace", "10s", "-o", str(run)], cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    replay = orjson.loads((run / "replay.json").read_bytes())
    poll = replay["poll"]
    assert poll["requests"] == poll["failed"] == replay["counts"]["poll_failures"] > 0
    assert poll["failed_by_reason"] == {"HTTP 404": poll["failed"]} and poll["ok"] == 0
    assert not any(a.get("source") == "poll" for a in
                   (orjson.loads(x) for x in (run / "actions.jsonl").read_bytes().splitlines()))
    html = (run / "report.html").read_text()
    assert f"{poll['failed']} failed</span> (HTTP 404 × {poll['failed']})" in html
