"""The agent console's JSON API: a human trainee works the same queue as the simulated agents.

Routes (all JSON): ``GET /api/queue?agent=NAME`` (queued cases, p1 first, FIFO within,
and ``mine``: the cases NAME has open);
``POST /api/cases/{event_id}/claim|reply|escalate|close`` with ``{"agent": name, "text"?}``.
Replies, escalations and closes are posted to the platform exactly like the simulated
agents' actions, with the trainee's name as ``agent``. A reply or escalation on a queued
case claims it first; a closed case answers 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .dispatch import Case
from .ingest import ShapeError
from .stack import Stack
from .web import HTTPProblem, json_response, read_json

__all__ = ["console_routes"]

QUEUE_LIMIT = 200
MAX_AGENT_NAME = 64
Handler = Callable[[Request, Stack], Awaitable[Response]]


def _summary(case: Case) -> dict[str, Any]:
    return {"event_id": case.event_id, "priority": case.priority, "route": case.route,
            "tier": case.tier, "intent": case.intent, "handle": case.handle,
            "followers": case.followers, "channel": case.channel, "text": case.text,
            "status": case.status, "agent": case.agent, "received_at": case.received_at}


async def queue(request: Request, stack: Stack) -> Response:
    cases = stack.dispatcher.queued(QUEUE_LIMIT)
    agent = request.query_params.get("agent")
    mine = [_summary(c) for c in stack.cases.values()
            if agent and c.status == "open" and c.agent == agent][:QUEUE_LIMIT]
    return json_response({"cases": [_summary(c) for c in cases], "mine": mine,
                          "depth": stack.dispatcher.depth(), "agents": stack.agents.stats()})


async def _target(request: Request, stack: Stack) -> tuple[Case, str, dict[str, Any]]:
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise ShapeError("body", "a JSON object with agent", payload)
    agent = payload.get("agent")
    if not isinstance(agent, str) or not agent.strip() or len(agent) > MAX_AGENT_NAME:
        raise ShapeError("agent", f"a non-empty name (at most {MAX_AGENT_NAME} chars)", agent)
    event_id = request.path_params["event_id"]
    case = stack.cases.get(event_id)
    if case is None:
        raise HTTPProblem(404, f"event_id must be a known event, got {event_id!r}", "event_id")
    if case.status in ("closed", "ignored"):
        raise HTTPProblem(409, f"case must be open to act on it, got status {case.status}")
    return case, agent.strip(), payload


def _take(stack: Stack, case: Case, agent: str) -> None:
    if case.status == "queued":
        stack.dispatcher.claim(case)
    case.agent = agent


async def claim(request: Request, stack: Stack) -> Response:
    case, agent, _ = await _target(request, stack)
    if case.status == "open" and case.agent not in (None, agent):
        raise HTTPProblem(409, f"case must be unclaimed, got claimed by {case.agent}")
    _take(stack, case, agent)
    return json_response(case.public())


async def reply(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ShapeError("text", "a non-empty reply", text)
    _take(stack, case, agent)
    stack.act(agent, case, "reply", {"text": text.strip()})
    return json_response(case.public())


async def escalate(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    _take(stack, case, agent)
    up = stack.agents.escalation_tier(case) or min(case.tier + 1, 3)
    text = payload.get("text") if isinstance(payload.get("text"), str) else ""
    stack.act(agent, case, "escalate", {"tier": up, "text": text})
    return json_response(case.public())


async def close(request: Request, stack: Stack) -> Response:
    case, agent, _ = await _target(request, stack)
    _take(stack, case, agent)
    stack.act(agent, case, "close", {})
    return json_response(case.public())


def console_routes() -> list[tuple[str, Handler, list[str]]]:
    """``(path, handler, methods)`` for the console API, for ``carestack.app``."""
    base = "/api/cases/{event_id:path}"
    return [("/api/queue", queue, ["GET"]),
            (base + "/claim", claim, ["POST"]),
            (base + "/reply", reply, ["POST"]),
            (base + "/escalate", escalate, ["POST"]),
            (base + "/close", close, ["POST"])]
