"""The reference stack as a digital care team: agents holding several cases, customers
answering back (the case reopens, same case id, same agent when it has a free slot)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.carestack.helpers import FAST_OUTBOX, event, kinds


def _tiers(agents: int, concurrency: int, mean: str) -> list[dict[str, Any]]:
    return [{"name": "frontline", "tier": 1, "routes": ["care", "sales"], "agents": agents,
             "concurrency": concurrency, "slowdown": 0, "handle_time": {"mean": mean},
             "escalates": 0.0}]


def test_an_agent_works_up_to_its_concurrency(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    # one agent, three slots, an hour per case at 600x: six wall seconds, all three at once
    url = reference_stack(sink.url, speed=600,
                          config={"tiers": _tiers(1, 3, "1h"), "outbox": FAST_OUTBOX})
    with httpx.Client(base_url=url, timeout=10) as http:
        for i in range(4):
            http.post("/events", json=event(f"ev-{i}", "@Brand card declined twice, fix it!"))
        stats: dict[str, Any] = {}
        for _ in range(50):
            stats = http.get("/stats").json()
            if stats["agents"]["threads"] == 3:
                break
            time.sleep(0.05)
        assert stats["agents"]["threads"] == 3 and stats["agents"]["slots"] == 3
        assert stats["agents"]["slots_by_tier"]["1"] == {"threads": 3, "slots": 3}
        assert stats["queues"] == {"care": {"1": 1}}  # the fourth waits for a free slot
        open_cases = [http.get(f"/cases/ev-{i}").json() for i in range(4)]
        assert sorted(c["status"] for c in open_cases) == ["open", "open", "open", "queued"]
        assert {c["agent"] for c in open_cases if c["status"] == "open"} == {"a-01"}


def test_answer_back_reopens_the_case_for_the_same_agent(reference_stack, carestack_sink) -> None:
    sink = carestack_sink()
    url = reference_stack(sink.url, speed=600,
                          config={"tiers": _tiers(3, 1, "30s"), "outbox": FAST_OUTBOX})
    with httpx.Client(base_url=url, timeout=10) as http:
        case_id = http.post("/events", json=event("ev-1", "@Brand card declined twice")).json()
        sink.wait_for(lambda acts: kinds(acts, "ev-1")[-1:] == ["close"])
        first_agent = sink.of("ev-1")[1]["agent"]
        # the customer answers back; a stranger replies in the thread. Without the preference
        # the turn would go to the agent idle longest (a-02 or a-03), not back to a-01
        turn = event("ev-1b", "still declined, now what?", parent="ev-1")
        assert http.post("/events", json=turn).json() == case_id
        stranger = event("ev-9", "same here @Brand", parent="ev-1")
        stranger["author"] = {**stranger["author"], "handle": "@other"}
        assert http.post("/events", json=stranger).json() != case_id
        done = sink.wait_for(lambda acts: kinds(acts, "ev-1b") == ["reply"]
                             and kinds(acts, "ev-1")[-1:] == ["close"]
                             and len(kinds(acts, "ev-1")) == 4)
        assert kinds(done, "ev-1") == ["triage", "reply", "close", "close"]
        assert sink.of("ev-1b")[0]["agent"] == first_agent  # back to the agent it had
        case = http.get("/cases/ev-1b").json()  # a turn's id finds its conversation
        assert case["case_id"] == case_id["case_id"] and case["event_id"] == "ev-1"
        assert case["turns"] == 1 and case["waiting"] == [] and case["status"] == "closed"
        assert [(h["action"], h["event_id"]) for h in case["history"]] == [
            ("triage", "ev-1"), ("reply", "ev-1"), ("close", "ev-1"), ("turn", "ev-1b"),
            ("reply", "ev-1b"), ("close", "ev-1")]
        assert case["history"][3]["text"] == "still declined, now what?"
        assert http.get("/stats").json()["cases"]["total"] == 2  # ev-1's case and ev-9's
