"""The reference stack started for real: ingest, agents' actions on a platform sink, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx

from load.launcher import free_port
from tests.carestack.helpers import FAST_OUTBOX, event, kinds

FAST_TIERS = [
    {"name": "frontline", "tier": 1, "routes": ["care", "sales"], "agents": 2,
     "handle_time": {"mean": "30s", "sd": "10s"}, "escalates": 1.0},
    {"name": "specialists", "tier": 2, "routes": ["care", "pr"], "agents": 1,
     "handle_time": {"mean": "30s", "sd": "10s"}, "escalates": 0.0},
    {"name": "legal-security", "tier": 3, "routes": ["legal", "security"], "agents": 1,
     "handle_time": {"mean": "30s"}, "escalates": 0.0},
]
def test_ingest_triage_reply_escalate_close(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    url = reference_stack(sink.url, speed=600, config={"tiers": FAST_TIERS,
                                                       "outbox": FAST_OUTBOX})
    with httpx.Client(base_url=url, timeout=10) as http:
        r = http.post("/events", json=event("ev-1", "@Brand card declined twice, fix it!"))
        assert r.status_code == 202
        case_id = r.json()["case_id"]
        assert http.post("/events", json=event("ev-1", "again")).json() == {"case_id": case_id}
        http.post("/events", json=event("ev-2", "drove past your shop today"))
        http.post("/events", json=event("ev-3", "my account was pwn3d by a hax0r"))

        done = sink.wait_for(lambda acts: kinds(acts, "ev-1")[-1:] == ["close"]
                             and kinds(acts, "ev-3")[-1:] == ["close"])
        # Tier 1 always escalates here; tier 2 closes. Actions of one event arrive in order.
        assert kinds(done, "ev-1") == ["triage", "reply", "escalate", "reply", "close"]
        ev1 = sink.of("ev-1")
        assert [(a["route"], a["tier"], a["priority"]) for a in ev1] == [
            ("care", 1, "p3"), ("care", 1, "p3"), ("care", 2, "p3"), ("care", 2, "p3"),
            ("care", 2, "p3")]
        assert ev1[0]["agent"] == "triage"
        assert ev1[1]["agent"] in ("a-01", "a-02") and ev1[3]["agent"] == "a-03"
        assert ev1[1]["text"] and set(ev1[0]) == {"event_id", "action", "route", "tier",
                                                  "priority", "agent", "text"}
        assert [(a["action"], a["route"], a["tier"], a["priority"]) for a in sink.of("ev-3")] == [
            ("triage", "security", 3, "p1"), ("reply", "security", 3, "p1"),
            ("close", "security", 3, "p1")]
        assert sink.of("ev-3")[1]["agent"] == "a-04"
        assert kinds(done, "ev-2") == ["triage"] and sink.of("ev-2")[0]["route"] == "none"

        case = http.get("/cases/ev-1").json()
        assert case["case_id"] == case_id and case["status"] == "closed"
        assert (case["route"], case["tier"], case["priority"]) == ("care", 2, "p3")
        assert case["first_reply_at"] >= case["received_at"]
        assert http.get("/cases/ev-2").json()["status"] == "ignored"
        missing = http.get("/cases/nope")
        assert missing.status_code == 404 and missing.json()["field"] == "event_id"

        stats = http.get("/stats").json()
        assert stats["cases"]["total"] == 3 and stats["queues"] == {}
        assert stats["agents"]["busy"] + stats["agents"]["idle"] == 4
        assert stats["agents"]["by_tier"]["1"] == {"busy": 0, "idle": 2, "on_duty": 2}
        # The sink records an action just before the stack reads the answer: poll briefly.
        for _ in range(50):
            if http.get("/stats").json()["outbox"]["sent"] == len(done):
                break
            time.sleep(0.1)
        assert http.get("/stats").json()["outbox"] == {
            "pending": 0, "sent": len(done), "rejected": 0, "failed_attempts": 0,
            "last_error": None, "sender_restarts": 0, "sender_error": None}


def test_bad_input_never_500_never_lost(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    secret = "x-secret"
    url = reference_stack(sink.url, "--no-agents", config={"max_body_bytes": 4096},
                          env={"CARESTACK_X_SECRET": secret})
    with httpx.Client(base_url=url, timeout=10) as http:
        r = http.post("/events", content=b'{"id": "ev-1", ')
        assert r.status_code == 400 and "valid JSON" in r.json()["error"]
        r = http.post("/events", json={"id": "ev-1", "text": "x", "author": {"followers": "a"}})
        assert r.status_code == 422 and r.json()["field"] == "author.followers"
        r = http.post("/events", json=[1])
        assert r.status_code == 422 and r.json()["field"] == "body"
        r = http.post("/events", json=event("ev-big", "x" * 5000))
        assert r.status_code == 413
        r = http.post("/webhooks/x", json={"tweet_create_events": []})
        assert r.status_code == 401 and r.json()["field"] == "x-twitter-webhooks-signature"

        # X: CRC challenge and a signed delivery.
        crc = http.get("/webhooks/x", params={"crc_token": "abc"}).json()
        want = base64.b64encode(hmac.new(secret.encode(), b"abc", hashlib.sha256).digest())
        assert crc == {"response_token": "sha256=" + want.decode()}
        assert http.get("/webhooks/x").status_code == 400
        body = json.dumps({"for_user_id": "1", "tweet_create_events": [
            {"id_str": "tw-1", "text": "my lawyer will hear about this",
             "user": {"id_str": "7", "screen_name": "angry", "followers_count": 3}}]}).encode()
        sig = "sha256=" + base64.b64encode(
            hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        bad = http.post("/webhooks/twitter", content=body,
                        headers={"x-twitter-webhooks-signature": sig[:-4] + "AAA="})
        assert bad.status_code == 401
        ok = http.post("/webhooks/twitter", content=body,
                       headers={"x-twitter-webhooks-signature": sig})
        assert ok.status_code == 200 and len(ok.json()["case_ids"]) == 1
        bad_shape = json.dumps({"tweet_create_events": [{"id_str": "tw-2"}]}).encode()
        r = http.post("/webhooks/x", content=bad_shape, headers={
            "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(hmac.new(
                secret.encode(), bad_shape, hashlib.sha256).digest()).decode()})
        assert r.status_code == 422 and r.json()["field"] == "tweet_create_events[0].text"

        # Zendesk channel push.
        r = http.post("/api/v2/any_channel/push", json={
            "instance_push_id": "p", "request_id": "r", "external_resources": [
                {"external_id": "zd-1", "message": "where is my refund?", "parent_id": None,
                 "author": {"external_id": "C-9", "name": "Zed"}, "allow_channelback": True}]})
        assert r.status_code == 200
        assert r.json()["results"][0]["external_resource_id"] == "zd-1"
        assert http.post("/api/v2/any_channel/push", json={}).status_code == 422

        acts = sink.wait_for(lambda a: len(a) >= 2)
        assert {(a["event_id"], a["action"], a["route"]) for a in acts} == {
            ("tw-1", "triage", "legal"), ("zd-1", "triage", "care")}
        stats = http.get("/stats").json()
        assert stats["cases"]["total"] == 2
        assert stats["queues"] == {"legal": {"3": 1}, "care": {"1": 1}}
        assert stats["agents"]["enabled"] is False


def test_platform_down_then_up_loses_nothing(reference_stack, carestack_sink) -> None:
    port = free_port()  # nothing listens here yet: the platform is down
    url = reference_stack(f"http://127.0.0.1:{port}", speed=600,
                          config={"tiers": FAST_TIERS, "outbox": FAST_OUTBOX})
    ids = [f"ev-{i}" for i in range(20)]
    with httpx.Client(base_url=url, timeout=10) as http:
        for i, event_id in enumerate(ids):
            text = "is the app down? can't pay" if i % 2 else "worst service, refund me now"
            assert http.post("/events", json=event(event_id, text)).status_code == 202
        stats = http.get("/stats").json()
        assert stats["cases"]["total"] == 20
        assert stats["outbox"]["pending"] >= 1  # kept while the platform is down
        sink = carestack_sink(port=port)
        acts = sink.wait_for(lambda a: all(kinds(a, e)[-1:] == ["close"] for e in ids),
                             timeout=40)
    for event_id in ids:
        assert kinds(acts, event_id) == ["triage", "reply", "escalate", "reply", "close"]
    assert len(acts) == 100


def test_fault_knobs_misroute_and_agent_counts(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    tiers = [dict(t) for t in FAST_TIERS]
    tiers[2]["agents"] = 0  # nobody works legal/security
    url = reference_stack(sink.url, speed=600, config={
        "tiers": tiers, "misroute": {"security": "care"}, "ingest_delay_ms": 300})
    with httpx.Client(base_url=url, timeout=10) as http:
        started = time.monotonic()
        assert http.post("/events", json=event("ev-sec", "we pwn3d your servers lol")
                         ).status_code == 202
        assert time.monotonic() - started >= 0.3  # the added delay is a lower bound
        http.post("/events", json=event("ev-law", "my attorney will sue you"))
        sink.wait_for(lambda a: kinds(a, "ev-sec")[-1:] == ["close"] and len(kinds(a, "ev-law")))
        assert sink.of("ev-sec", "triage")[0]["route"] == "care"
        assert http.get("/stats").json()["queues"] == {"legal": {"3": 1}}
        assert http.get("/cases/ev-law").json()["status"] == "queued"


def test_restart_resends_undelivered_actions(reference_stack, carestack_sink, tmp_path) -> None:
    port = free_port()
    db = tmp_path / "shared.db"
    url = reference_stack(f"http://127.0.0.1:{port}", "--no-agents", db=db,
                          config={"outbox": FAST_OUTBOX})
    with httpx.Client(base_url=url, timeout=10) as http:
        for i in range(5):
            http.post("/events", json=event(f"ev-{i}", "refund please, card declined"))
    # Stop the first stack (SIGTERM flushes to SQLite), start a second on the same file.
    reference_stack.stop(url)
    sink = carestack_sink()
    url2 = reference_stack(sink.url, "--no-agents", db=db, config={"outbox": FAST_OUTBOX})
    acts = sink.wait_for(lambda a: len(a) >= 5)
    assert sorted(a["event_id"] for a in acts) == [f"ev-{i}" for i in range(5)]
    with httpx.Client(base_url=url2, timeout=10) as http:
        assert http.get("/stats").json()["queues"] == {"care": {"1": 5}}
        assert http.get("/cases/ev-3").json()["status"] == "queued"


def test_humans_work_the_queue_through_the_console_api(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    url = reference_stack(sink.url, "--no-agents", speed=600, config={"tiers": FAST_TIERS})
    with httpx.Client(base_url=url, timeout=10) as http:
        http.post("/events", json=event("ev-q", "how do I change my seat?"))
        http.post("/events", json=event("ev-l", "see you in court"))
        queue = http.get("/api/queue").json()["cases"]
        assert [c["event_id"] for c in queue] == ["ev-l", "ev-q"]  # p1 before p3
        claimed = http.post("/api/cases/ev-q/claim", json={"agent": "Dana"}).json()
        assert claimed["status"] == "open" and claimed["agent"] == "Dana"
        assert http.post("/api/cases/ev-q/claim", json={"agent": "Eve"}).status_code == 409
        assert http.post("/api/cases/ev-q/reply", json={"agent": "Dana"}).status_code == 422
        http.post("/api/cases/ev-q/reply", json={"agent": "Dana", "text": "Use the app."})
        up = http.post("/api/cases/ev-q/escalate", json={"agent": "Dana"}).json()
        assert (up["tier"], up["status"]) == (2, "queued")
        acts = sink.wait_for(lambda a: kinds(a, "ev-q") == ["triage", "reply", "escalate"])
        assert [a["agent"] for a in sink.of("ev-q")] == ["triage", "Dana", "Dana"]
        assert sink.of("ev-q", "reply")[0]["text"] == "Use the app."
        assert len(acts) == 4
        # Switch simulated agents on: they drain the queue.
        assert http.post("/agents", json={"enabled": True}).json()["enabled"] is True
        assert http.post("/agents", json={"enabled": "yes"}).status_code == 422
        sink.wait_for(lambda a: kinds(a, "ev-q")[-1:] == ["close"]
                      and kinds(a, "ev-l")[-1:] == ["close"])
        assert http.post("/api/cases/ev-q/close", json={"agent": "Dana"}).status_code == 409


def test_shifts_from_the_scenario_clock(reference_stack, carestack_sink) -> None:
    """Tier 1 comes on shift at 10 scenario minutes; the clock syncs to the first event's t."""
    sink = carestack_sink()
    tiers = [dict(t) for t in FAST_TIERS]
    tiers[0] = {**tiers[0], "escalates": 0.0, "agents": 1,
                "shifts": [{"from": "10m", "to": "2h", "agents": 1}]}
    url = reference_stack(sink.url, speed=600, config={"tiers": tiers})
    with httpx.Client(base_url=url, timeout=10) as http:
        http.post("/events", json={**event("ev-s", "is the app down? can't pay"), "t": 0.0})
        before = http.get("/stats").json()
        assert before["agents"]["by_tier"]["1"]["on_duty"] == 0
        assert before["queues"] == {"care": {"1": 1}}
        sink.wait_for(lambda a: kinds(a, "ev-s") == ["triage", "reply", "close"])
        case = http.get("/cases/ev-s").json()
        # Nobody was on duty before scenario minute 10 (one wall second at speed 600).
        assert case["first_reply_at"] - case["received_at"] >= 600 / 600 * 0.9
        assert http.get("/stats").json()["agents"]["by_tier"]["1"]["on_duty"] == 1
