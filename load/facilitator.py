"""The facilitator page of a live drill: a small WSGI app on gevent's server, loopback only.

Routes: ``GET /`` the page (``facilitator.html``, package data); ``GET /api/state`` the
storm so far (``LiveSession.state``); ``POST /api/pause``, ``/api/resume``, ``/api/end``;
``POST /api/inject`` with ``{"preset": name}`` or ``{"intent", "emotion", "channel",
"text"?, "followers"?, "handle"?, "customer_id"?}`` (``load.live_inject``);
``GET /api/presets``; ``GET /api/plan``: the exercise so far as a plan file (YAML,
``load.live_plan``), to run again with ``--plan``. It runs
in the drill's own gevent loop, so the controls act directly on the replay. Bad input
answers 400 with ``{"error"}``; the page never crashes the drill.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

import orjson
from gevent.pywsgi import WSGIServer

from load.live_inject import PRESETS, injection_from_json, with_count
from simulator.errors import InputError
from simulator.scenario.vocab import CHANNELS, EMOTIONS, INTENTS

__all__ = ["start_server"]

HOST = "127.0.0.1"
MAX_BODY = 16 * 1024
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _page() -> bytes:
    return resources.files("load").joinpath("facilitator.html").read_bytes()


class FacilitatorApp:
    """WSGI callable over one ``LiveSession``."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.page = _page()

    def _json(self, start: StartResponse, status: str, payload: Any) -> list[bytes]:
        body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        start(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                       ("Content-Length", str(len(body)))])
        return [body]

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        try:
            return self._route(method, path, environ, start)
        except InputError as err:
            return self._json(start, "400 Bad Request", {"error": str(err)})
        except Exception as err:  # never take the drill down from the page
            return self._json(start, "500 Internal Server Error",
                              {"error": f"{type(err).__name__}: {err}"})

    def _body(self, environ: dict[str, Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            raise InputError(f"inject: body must be at most {MAX_BODY} bytes, got {length}")
        raw = environ["wsgi.input"].read(length) if length else b"{}"
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            raise InputError(f"inject: body must be JSON, got {err}") from err

    def _route(self, method: str, path: str, environ: dict[str, Any],
               start: StartResponse) -> list[bytes]:
        s = self.session
        if method == "GET" and path in ("/", "/index.html"):
            start("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                             ("Content-Length", str(len(self.page)))])
            return [self.page]
        if method == "GET" and path == "/api/state":
            return self._json(start, "200 OK", s.state())
        if method == "GET" and path == "/api/plan":
            body = s.plan_text().encode()
            start("200 OK", [("Content-Type", "application/yaml; charset=utf-8"),
                             ("Content-Disposition", 'attachment; filename="plan.yaml"'),
                             ("Cache-Control", "no-store"), ("Content-Length", str(len(body)))])
            return [body]
        if method == "GET" and path == "/api/presets":
            return self._json(start, "200 OK", {
                "presets": {k: {"title": p.title, "intent": p.intent, "count": p.count}
                            for k, p in PRESETS.items()},
                "intents": INTENTS, "emotions": EMOTIONS, "channels": CHANNELS})
        if method != "POST":
            return self._json(start, "404 Not Found", {"error": f"no route {method} {path}"})
        if path == "/api/pause":
            return self._json(start, "200 OK", {"paused": s.pause() or s.clock.paused})
        if path == "/api/resume":
            return self._json(start, "200 OK", {"held_s": round(s.resume(), 3)})
        if path == "/api/end":
            s.end()
            return self._json(start, "200 OK", {"ended": True})
        if path == "/api/inject":
            data = self._body(environ)
            spec = injection_from_json(data)
            if isinstance(data, dict) and isinstance(data.get("count"), int):
                spec = with_count(spec, data["count"])
            kept = ({"preset": data["preset"]} if "preset" in data else
                     {"post": {k: v for k, v in data.items() if v not in (None, "")
                               and k != "count"}})
            if isinstance(data.get("count"), int) and data["count"] != 1:
                kept["count"] = data["count"]
            ids = s.inject(spec, kept)
            if not ids:
                return self._json(start, "409 Conflict", {"error": "the drill has ended"})
            return self._json(start, "200 OK", {"ids": ids})
        return self._json(start, "404 Not Found", {"error": f"no route {method} {path}"})


def start_server(session: Any, port: int = 0) -> tuple[WSGIServer, str]:
    """Serve the page on 127.0.0.1:``port`` (0 = any free port); returns (server, URL)."""
    server = WSGIServer((HOST, port), FacilitatorApp(session), log=None, error_log=None)
    try:
        server.start()
    except OSError as err:
        raise InputError(f"--facilitator-port: must be a free port, got {port} ({err})") from err
    return server, f"http://{HOST}:{server.server_port}/"
