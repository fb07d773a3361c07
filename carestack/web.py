"""HTTP helpers shared by the stack's routes: JSON answers, bounded bodies, 4xx problems.

``handler(fn)`` wraps ``async fn(request, stack)`` so ``HTTPProblem`` and ``ShapeError``
become 4xx JSON answers ``{"error", "field"}`` instead of a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .ingest import ShapeError

if TYPE_CHECKING:
    from .stack import Stack

__all__ = ["HTTPProblem", "handler", "json_response", "parse_json", "read_body", "read_json"]


class HTTPProblem(Exception):
    """An error answer: ``status`` with ``{"error": message, "field": field}``."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _problem(exc: HTTPProblem) -> Response:
    body: dict[str, Any] = {"error": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    return json_response(body, exc.status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or HTTPProblem 413 once it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"body must be at most {limit} bytes, got {declared}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"body must be at most {limit} bytes, got more")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """Parsed JSON, or HTTPProblem 400."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HTTPProblem(400, f"body must be valid JSON, got error: {exc}") from exc


async def read_json(request: Request) -> Any:
    """Read and parse a JSON body within the stack's size limit."""
    stack: Stack = request.app.state.stack
    return parse_json(await read_body(request, stack.cfg.max_body_bytes))


def handler(fn: Any) -> Any:
    """Turn HTTPProblem and ShapeError raised by ``fn`` into 4xx answers."""
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request, request.app.state.stack)
        except HTTPProblem as exc:
            return _problem(exc)
        except ShapeError as exc:
            return _problem(HTTPProblem(422, str(exc), exc.field))
    wrapped.__name__ = fn.__name__
    return wrapped
