"""The agent console's JSON API: a human trainee works the same queue as the simulated agents.

Routes (all JSON): ``GET /api/queue?agent=NAME&tier=T`` (queued cases, p1 first, FIFO
within; ``mine``: the cases NAME has open; ``tiers`` with their ``concurrency``; ``limit``:
how many cases NAME may hold at tier T); ``GET /api/cases/{event_id}`` (the case with the
customer's ``journey`` across channels and the thread's ``turns``);
``POST /api/cases/{event_id}/claim|reply|private|route|escalate|close`` with
``{"agent": name, "agent_tier"?, "text"?, "route"?, "tier"?}`` (``agent_tier``: the tier
the trainee signed in at):
- ``reply`` answers in public, ``private`` answers by private message (a DM that
  continues the thread: the platform's ``message`` action);
- ``route`` sends the case to any department and tier (``{"route": "legal", "tier": 3,
  "priority"?: "p1"}``), back into that queue; ``escalate`` moves it up one tier on its route;
- ``close`` finishes it (with no answer: closed as no action needed).
Every action is posted to the platform exactly like the simulated agents' actions, with the
trainee's name as ``agent``. Acting on a queued case claims it first. A trainee holds at
most the tier's ``concurrency`` open cases: one more answers
409, as does acting on a closed case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .config import ROUTES
from .dispatch import PRIORITY_RANK, Case
from .ingest import ShapeError
from .stack import Stack
from .web import HTTPProblem, json_response, read_json

__all__ = ["console_routes"]

QUEUE_LIMIT = 200
MAX_AGENT_NAME = 64
MAX_TIER = 9
Handler = Callable[[Request, Stack], Awaitable[Response]]


def _summary(case: Case) -> dict[str, Any]:
    return {"event_id": case.event_id, "priority": case.priority, "route": case.route,
            "tier": case.tier, "intent": case.intent, "handle": case.handle,
            "followers": case.followers, "channel": case.channel, "text": case.text,
            "status": case.status, "agent": case.agent, "received_at": case.received_at}


def _tiers(stack: Stack) -> list[dict[str, Any]]:
    return [{"tier": t.tier, "name": t.name, "routes": list(t.routes),
             "concurrency": t.concurrency} for t in sorted(stack.cfg.tiers, key=lambda t: t.tier)]


def _limit(stack: Stack, tier: int | None) -> int:
    """How many open cases a trainee signed in at ``tier`` may hold (lowest tier by default)."""
    tiers = sorted(stack.cfg.tiers, key=lambda t: t.tier)
    chosen = [t for t in tiers if t.tier == tier] or tiers[:1]
    return chosen[0].concurrency if chosen else 1


def _mine(stack: Stack, agent: str | None) -> list[Case]:
    return [c for c in stack.cases.values() if agent and c.status == "open" and c.agent == agent]


def _tier_param(raw: Any, where: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        tier = int(raw)
    except (TypeError, ValueError):
        tier = -1
    if isinstance(raw, bool) or not 1 <= tier <= MAX_TIER:
        raise ShapeError(where, f"a tier between 1 and {MAX_TIER}", raw)
    return tier


async def queue(request: Request, stack: Stack) -> Response:
    cases = stack.dispatcher.queued(QUEUE_LIMIT)
    agent = request.query_params.get("agent")
    tier = _tier_param(request.query_params.get("tier"), "tier")
    mine = [_summary(c) for c in _mine(stack, agent)][:QUEUE_LIMIT]
    return json_response({"cases": [_summary(c) for c in cases], "mine": mine,
                          "depth": stack.dispatcher.depth(), "agents": stack.agents.stats(),
                          "tiers": _tiers(stack), "routes": list(ROUTES),
                          "limit": _limit(stack, tier)})


def _detail(stack: Stack, case: Case) -> dict[str, Any]:
    return {**case.public(), "customer_id": stack.people.customer_id(case),
            "private": any(h["action"] == "message" for h in case.history),
            "journey": stack.people.journey(case, stack.cases),
            "turns": stack.people.turns(case, stack.cases)}


async def get_case(request: Request, stack: Stack) -> Response:
    event_id = request.path_params["event_id"]
    case = stack.cases.get(event_id)
    if case is None:
        raise HTTPProblem(404, f"event_id must be a known event, got {event_id!r}", "event_id")
    return json_response(_detail(stack, case))


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


def _take(stack: Stack, case: Case, agent: str, payload: dict[str, Any]) -> None:
    """Claim ``case`` for ``agent`` unless they already hold it (within their limit)."""
    if case.status == "open" and case.agent == agent:
        return
    if case.status == "open" and case.agent is not None and not case.agent.startswith("a-"):
        raise HTTPProblem(409, f"case must be unclaimed, got claimed by {case.agent}")
    limit = _limit(stack, _tier_param(payload.get("agent_tier"), "agent_tier"))
    held = len(_mine(stack, agent))
    if held >= limit:
        raise HTTPProblem(409, f"agent must hold fewer than {limit} open case"
                          f"{'' if limit == 1 else 's'} (the tier's concurrency) to take "
                          f"another, got {held}: close or route one first")
    if case.status == "queued":
        stack.dispatcher.claim(case)
    case.agent = agent


def _text(payload: dict[str, Any], required: bool) -> str:
    text = payload.get("text")
    if text is None and not required:
        return ""
    if not isinstance(text, str) or (required and not text.strip()):
        raise ShapeError("text", "a non-empty reply" if required else "a string", text)
    return text.strip()


async def claim(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    _take(stack, case, agent, payload)
    return json_response(_detail(stack, case))


async def reply(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    text = _text(payload, required=True)
    _take(stack, case, agent, payload)
    stack.act(agent, case, "reply", {"text": text})
    return json_response(_detail(stack, case))


async def private(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    text = _text(payload, required=True)
    _take(stack, case, agent, payload)
    stack.act(agent, case, "message", {"text": text})
    return json_response(_detail(stack, case))


async def route(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    to = payload.get("route")
    if to not in ROUTES:
        raise ShapeError("route", f"one of {', '.join(ROUTES)}", to)
    tier = _tier_param(payload.get("tier"), "tier")
    if tier is None:
        raise ShapeError("tier", f"a tier between 1 and {MAX_TIER}", None)
    priority = payload.get("priority") or None
    if priority is not None and priority not in PRIORITY_RANK:
        raise ShapeError("priority", f"one of {', '.join(PRIORITY_RANK)}", priority)
    text = _text(payload, required=False)
    _take(stack, case, agent, payload)
    stack.act(agent, case, "escalate", {"route": to, "tier": tier, "text": text,
                                        "priority": priority})
    return json_response(_detail(stack, case))


async def escalate(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    text = _text(payload, required=False)
    _take(stack, case, agent, payload)
    up = stack.agents.escalation_tier(case) or min(case.tier + 1, 3)
    stack.act(agent, case, "escalate", {"tier": up, "text": text})
    return json_response(_detail(stack, case))


async def close(request: Request, stack: Stack) -> Response:
    case, agent, payload = await _target(request, stack)
    _take(stack, case, agent, payload)
    stack.act(agent, case, "close", {})
    return json_response(_detail(stack, case))


def console_routes() -> list[tuple[str, Handler, list[str]]]:
    """``(path, handler, methods)`` for the console API, for ``carestack.app``."""
    base = "/api/cases/{event_id:path}"
    return [("/api/queue", queue, ["GET"]),
            (base + "/claim", claim, ["POST"]),
            (base + "/reply", reply, ["POST"]),
            (base + "/private", private, ["POST"]),
            (base + "/route", route, ["POST"]),
            (base + "/escalate", escalate, ["POST"]),
            (base + "/close", close, ["POST"]),
            (base, get_case, ["GET"])]
