"""The HTTP surface of the reference stack (Starlette): ingest, polling, console API.

``create_app(cfg, platform_url, speed, db_path)`` returns the ASGI app. Routes:
``GET /health``; ``POST /events`` (canonical event, 202 ``{"case_id"}``);
``GET|POST /webhooks/x`` (also ``/webhooks/twitter``: CRC and Account Activity);
``POST /api/v2/any_channel/push`` (Zendesk); ``GET /cases/{event_id}``; ``GET /stats``;
``GET|POST /agents``; ``GET /console`` and its
JSON API under ``/api/``. Bad input answers 400 (malformed JSON), 422 (wrong shape, the
field named in ``field``), 413 (body over ``max_body_bytes``) or 401 (bad X signature).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .config import Config
from .console_api import console_routes
from .ingest import ShapeError, canonical_event, x_signature, x_webhook_events, zendesk_events
from .stack import Stack
from .web import HTTPProblem, handler, json_response, parse_json, read_body, read_json

__all__ = ["X_PATHS", "create_app"]

# The X webhook answers on both names (the harness's x-webhook profile uses the second).
X_PATHS = ("/webhooks/x", "/webhooks/twitter")


async def _delay(stack: Stack) -> None:
    if stack.cfg.ingest_delay_ms > 0:
        await asyncio.sleep(stack.cfg.ingest_delay_ms / 1000.0)


@handler
async def health(request: Request, stack: Stack) -> Response:
    return json_response({"status": "ok", "cases": len(stack.cases)})


@handler
async def post_event(request: Request, stack: Stack) -> Response:
    event = canonical_event(parse_json(await read_body(request, stack.cfg.max_body_bytes)))
    case = stack.ingest(event)
    await _delay(stack)
    return json_response({"case_id": case.case_id}, 202)


def _x_secret(request: Request, stack: Stack) -> str:
    secret = stack.cfg.x_secret
    if not secret:
        raise HTTPProblem(400, "x_secret must be configured (config file or CARESTACK_X_SECRET) "
                          "for the CRC check, got none")
    return secret


@handler
async def x_crc(request: Request, stack: Stack) -> Response:
    token = request.query_params.get("crc_token")
    if not token:
        raise HTTPProblem(400, "crc_token must be given as a query parameter, got none",
                          "crc_token")
    return json_response({"response_token": x_signature(_x_secret(request, stack),
                                                        token.encode())})


@handler
async def x_webhook(request: Request, stack: Stack) -> Response:
    body = await read_body(request, stack.cfg.max_body_bytes)
    if stack.cfg.x_secret:
        given = request.headers.get("x-twitter-webhooks-signature", "")
        if not hmac.compare_digest(given.encode(), x_signature(stack.cfg.x_secret, body).encode()):
            raise HTTPProblem(401, "x-twitter-webhooks-signature must be the HMAC-SHA256 of the "
                              "body, got " + ("a wrong one" if given else "none"),
                              "x-twitter-webhooks-signature")
    events = x_webhook_events(parse_json(body))
    cases = [stack.ingest(e).case_id for e in events]
    await _delay(stack)
    return json_response({"case_ids": cases}, 200)


@handler
async def zendesk_push(request: Request, stack: Stack) -> Response:
    events = zendesk_events(parse_json(await read_body(request, stack.cfg.max_body_bytes)))
    results = [{"external_resource_id": e["id"], "case_id": stack.ingest(e).case_id,
                "status": {"code": "success"}} for e in events]
    await _delay(stack)
    return json_response({"results": results}, 200)


@handler
async def get_case(request: Request, stack: Stack) -> Response:
    event_id = request.path_params["event_id"]
    case = stack.find(event_id)  # a turn's event id gives its conversation's case
    if case is None:
        raise HTTPProblem(404, f"event_id must be a known event, got {event_id!r}", "event_id")
    return json_response(case.public())


@handler
async def stats(request: Request, stack: Stack) -> Response:
    return json_response(stack.stats())


@handler
async def agents(request: Request, stack: Stack) -> Response:
    if request.method == "POST":
        payload = await read_json(request)
        enabled = payload.get("enabled") if isinstance(payload, dict) else None
        if not isinstance(enabled, bool):
            raise ShapeError("enabled", "true or false", enabled)
        stack.agents.set_enabled(enabled)
    return json_response(stack.agents.stats())


async def console(request: Request) -> Response:
    page = resources.files("carestack").joinpath("console.html").read_text(encoding="utf-8")
    return HTMLResponse(page)


_JSON_HEADERS = [(b"content-type", b"application/json")]


class FastIngest:
    """ASGI front: ``POST /events`` handled without Starlette's per-request objects.

    It is the hot path of a drill (thousands of posts a second); everything else goes to
    the Starlette app. Answers are the same as ``post_event``'s.
    """

    def __init__(self, app: Starlette):
        self.app = app
        self.state = app.state

    async def _reply(self, send: Any, status: int, data: Any) -> None:
        body = orjson.dumps(data)
        await send({"type": "http.response.start", "status": status,
                    "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        stack: Stack = self.state.stack
        limit = stack.cfg.max_body_bytes
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._reply(send, 413, {"error": f"body must be at most {limit} bytes, "
                                                       "got more"})
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        try:
            event = canonical_event(parse_json(b"".join(chunks)))
        except HTTPProblem as exc:
            await self._reply(send, exc.status, {"error": exc.message})
            return
        except ShapeError as exc:
            await self._reply(send, 422, {"error": str(exc), "field": exc.field})
            return
        case = stack.ingest(event)
        await _delay(stack)
        await self._reply(send, 202, {"case_id": case.case_id})


def create_app(cfg: Config, platform_url: str, speed: float, db_path: str) -> FastIngest:
    """Build the ASGI app; the ``Stack`` is created and started in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stack = Stack(cfg, platform_url, speed, db_path)
        app.state.stack = stack
        await stack.start()
        try:
            yield
        finally:
            await stack.stop()

    routes = [
        Route("/health", health),
        Route("/events", post_event, methods=["POST"]),
        *[Route(path, x_crc, methods=["GET"]) for path in X_PATHS],
        *[Route(path, x_webhook, methods=["POST"]) for path in X_PATHS],
        Route("/api/v2/any_channel/push", zendesk_push, methods=["POST"]),
        Route("/cases/{event_id:path}", get_case),
        Route("/stats", stats),
        Route("/agents", agents, methods=["GET", "POST"]),
        Route("/console", console),
        *[Route(path, handler(fn), methods=methods) for path, fn, methods in console_routes()],
    ]
    return FastIngest(Starlette(routes=routes, lifespan=lifespan))
