"""The open-model scheduler: sends each event at its intended time, one greenlet per request.

Locust is closed-model (DESIGN.md section 13), so this schedules sends itself: event ``k``
is due at ``start + offsets[k]`` on one monotonic clock anchored to the run's wall-clock
start (never a relative sleep), and each request runs in its own greenlet, so a stalled
target never delays later sends. Requests go through a ``FastHttpUser``'s connection pool
(the geventhttpclient ``HTTPClient`` its ``FastHttpSession`` uses for the target), called
directly with each request's URI and headers resolved before the run: the session's
per-request URL parsing, cookie jar and redirect handling cost about a quarter of the CPU of
a send and a replayed webhook needs none of them. Each request is still reported to
Locust's request event, so Locust's own statistics (and its web UI) see every one.
In-flight requests are capped at ``max_in_flight`` (memory); a send held back by the cap is
late, and the lag says so.

Reactions (closed-loop drills, ``load.reacting``): ``cancel(k)`` prevents a not-yet-sent
event (status -3, never sent) and ``add(offset, request)`` schedules a new one on the same
absolute clock; a wait for the next send wakes up when a post is added or the run stops.
With ``hold_until_s`` set the sender keeps running until that offset, for posts still to
come; ``close_additions()`` ends that wait early.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import gevent
import numpy as np
import orjson
from gevent import GreenletExit, getcurrent, spawn_raw
from gevent.event import Event
from gevent.lock import Semaphore
from geventhttpclient.url import URL, requote_uri
from locust import FastHttpUser
from locust.env import Environment

from load.options import DEFAULT_DRAIN_S, MAX_IN_FLIGHT
from load.profile import RenderedRequest
from load.schedule import Plan
from load.send_log import STATUS_ABORTED, STATUS_ERROR, STATUS_PREVENTED, SendLog

__all__ = ["MAX_IN_FLIGHT", "REQUEST_TIMEOUT_S", "ReplayUser", "Sender", "error_label"]

REQUEST_TIMEOUT_S = DEFAULT_DRAIN_S
CONNECT_TIMEOUT_S = 5.0
YIELD_EVERY = 32  # when behind schedule, let request greenlets run every N spawns
RECENT_LAGS = 2048
FD_HEADROOM = 256
HTTP_TOO_MANY = 429
# A send due within EARLY_S goes now rather than after a sleep: a timer per event costs more
# than it buys (the event loop's timers are not finer than this anyway).
EARLY_S = 0.0002
# At most one timer wake-up per TICK_S: a send due sooner after the last wake-up waits for the
# next tick and goes out with the others due by then (late by under TICK_S, and its lag says
# so). At thousands of events a second this turns one timer per event into one per tick.
TICK_S = 0.001
STOP_CHECK_S = 0.05  # gaps longer than this wait on the stop event (Ctrl-C stays prompt)


def error_label(err: BaseException | None) -> str:
    """``error:<exception name>``, naming the underlying cause when the client wrapped it."""
    cause = getattr(err, "original", None) or err
    return f"error:{type(cause).__name__}"


def raise_open_file_limit(wanted: int) -> None:
    """Each request in flight holds a socket: lift the soft descriptor limit toward ``wanted``."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class StatusNotAccepted(Exception):
    """Reported to Locust's statistics for an answer whose status is not an accepted one."""


def request_uris(base_url: str, paths: list[str]) -> list[str]:
    """Each path as the request URI sent on the wire: the base URL's path prefix + path, quoted."""
    prefix = urlsplit(base_url).path.rstrip("/")
    cache: dict[str, str] = {}
    out = []
    for path in paths:
        uri = cache.get(path)
        if uri is None:
            full = prefix + (path if path.startswith("/") else "/" + path)
            uri = cache[path] = full if full.isascii() and " " not in full else requote_uri(full)
        out.append(uri)
    return out


def _retry_after(resp: Any) -> bool:
    headers = getattr(resp, "headers", None)
    return headers is not None and "retry-after" in headers


class ReplayUser(FastHttpUser):
    """The FastHttpUser whose client sends the replay; never spawned as a closed-loop user."""

    abstract = True
    concurrency = MAX_IN_FLIGHT
    max_retries = 0
    network_timeout = REQUEST_TIMEOUT_S
    connection_timeout = CONNECT_TIMEOUT_S

    def __init__(self, environment: Environment, host: str, concurrency: int,
                 timeout: float = REQUEST_TIMEOUT_S) -> None:
        self.host = host
        self.concurrency = concurrency
        self.network_timeout = timeout
        super().__init__(environment)


class Sender:
    """Sends one plan (or one worker's slice of it) and records every outcome."""

    def __init__(self, env: Environment, base_url: str, plan: Plan, accept: frozenset[int],
                 max_in_flight: int = MAX_IN_FLIGHT, capture: Any = None,
                 request_timeout: float = REQUEST_TIMEOUT_S) -> None:
        self.plan = plan
        self.accept = accept
        raise_open_file_limit(max_in_flight + FD_HEADROOM)
        self.user = ReplayUser(env, base_url, max_in_flight, request_timeout)
        self.max_in_flight = max_in_flight
        self._slots = Semaphore(max_in_flight)
        self._running: set[Any] = set()
        self._outstanding = 0
        self._idle = Event()
        self._idle.set()
        self.log = SendLog(len(plan))
        self.capture = capture
        self.captured: list[tuple[int, dict[str, Any]]] = []
        self.on_capture: Any = None  # live captures (load.captures.CaptureFeed.add)
        self.sent = 0
        self.accepted = 0
        self.failed = 0
        self.recent_lags_ms: deque[float] = deque(maxlen=RECENT_LAGS)
        self._mono0 = 0.0
        self._wall0 = 0.0
        self.finished = Event()
        n = len(plan)
        self._actual: list[float] = [math.nan] * n
        self._done: list[float] = [math.nan] * n
        self._status: list[int] = [0] * n
        self._offs: list[float] = plan.offsets.tolist()
        self._name = plan.request_name
        self._uris = request_uris(base_url, [r.path for r in plan.requests])
        self._http = self.user.client.client.clientpool.get_client(URL(base_url))
        self._fire = env.events.request.fire
        self.clock: Any = None  # load.live_clock.StormClock in a live drill: pause shifts the rest
        self._base_url = base_url
        self._reqs = list(plan.requests)
        self._cancelled: list[bool] = [False] * n
        self._extra: list[tuple[float, int]] = []  # heap of (offset, k) of added posts
        self._wake = Event()  # set on stop, on an added post and on close_additions()
        self.hold_until_s: float | None = None
        self._open = True

    # -- reactions --------------------------------------------------------------------------
    def cancel(self, k: int) -> bool:
        """Prevent event ``k`` unless it was already sent; True when it will never be sent."""
        if k >= len(self._cancelled) or not math.isnan(self._actual[k]):
            return False
        if not self._cancelled[k]:
            self._cancelled[k] = True
            self._status[k] = STATUS_PREVENTED
        return True

    def add(self, offset: float, request: RenderedRequest) -> int:
        """Schedule a new post at ``offset`` (wall seconds from start); returns its number."""
        k = len(self._offs)
        self._offs.append(offset)
        self._reqs.append(request)
        self._uris.extend(request_uris(self._base_url, [request.path]))
        self._actual.append(math.nan)
        self._done.append(math.nan)
        self._status.append(0)
        self._cancelled.append(False)
        if self._open:
            heapq.heappush(self._extra, (offset, k))
            self._wake.set()
        return k

    def close_additions(self) -> None:
        """No more posts will be added: stop holding the run open for them."""
        self._open = False
        self._wake.set()

    # -- the storm clock (load.live_clock) and the facilitator page --------------------------
    @property
    def origin(self) -> float:
        """The monotonic time of offset 0: event ``k`` is due at ``origin + offsets[k]``."""
        return self._mono0

    def shift_origin(self, seconds: float) -> None:
        """Move every send still to come ``seconds`` later (a live drill's resume after a pause).

        Times recorded from now on are measured from the moved origin, so a paused storm's
        latency counts from the shifted intended time.
        """
        self._mono0 += seconds

    def statuses(self) -> list[int]:
        """Every event's status so far (HTTP code, 0 not answered yet, <0 see load.send_log).

        The sender's own list, filled in as answers come back: read it, do not change it.
        """
        return self._status

    @property
    def offsets(self) -> list[float]:
        """Intended offsets of every event, scripted then added."""
        return self._offs

    @property
    def requests(self) -> list[RenderedRequest]:
        return self._reqs

    def _one(self, k: int) -> None:
        # Runs in a raw greenlet (cheaper than a Greenlet in a Pool: no object, no links).
        me = getcurrent()
        self._running.add(me)
        try:
            self._send(k)
        except GreenletExit:
            pass  # aborted at the end of the run: its status stays "aborted"
        except Exception as err:  # a client bug must not take the run down: count it
            self._status[k] = STATUS_ERROR
            self.log.errors[error_label(err)] += 1
            self.failed += 1
        finally:
            self._running.discard(me)
            self._slots.release()
            self._outstanding -= 1
            if not self._outstanding:
                self._idle.set()

    def _spawn(self, k: int) -> None:
        if self._slots.locked():
            self.log.cap_waits += 1
        self._slots.acquire()
        self._outstanding += 1
        self._idle.clear()
        spawn_raw(self._one, k)

    def _send(self, k: int) -> None:
        # Hot path: plain lists (cheaper than numpy item assignment), copied to the log at the
        # end; one HTTPClient call, one Locust request event.
        mono0 = self._mono0
        start = time.monotonic() - mono0
        self._actual[k] = start
        self.sent += 1
        self.recent_lags_ms.append((start - self._offs[k]) * 1000.0)
        req = self._reqs[k]
        try:
            resp = self._http.request(req.method, self._uris[k], body=req.body,
                                      headers=req.headers)
            content = resp.read()
        except Exception as err:  # connection refused or reset, timeout, malformed answer
            done = time.monotonic() - mono0
            self._done[k] = done
            self._status[k] = STATUS_ERROR
            self.log.errors[error_label(err)] += 1
            self.failed += 1
            self._report(k, start, done, 0, err)
            return
        done = time.monotonic() - mono0
        self._done[k] = done
        code = resp.status_code
        self._status[k] = code
        if code in self.accept:
            self.accepted += 1
            self._report(k, start, done, len(content), None)
            if self.capture is not None:
                try:
                    fields = self.capture(orjson.loads(content or b"null"))
                except orjson.JSONDecodeError:
                    fields = {}
                self.captured.append((k, fields))
                if self.on_capture is not None:
                    self.on_capture(k, fields)
            return
        self.failed += 1
        self._report(k, start, done, len(content), StatusNotAccepted(f"HTTP {code}"))
        if code == HTTP_TOO_MANY or _retry_after(resp):
            self.log.throttled += 1

    def _report(self, k: int, start: float, done: float, length: int,
                err: BaseException | None) -> None:
        # Locust's request event: its statistics and web UI (times in ms, start as epoch s).
        self._fire(request_type=self._reqs[k].method, name=self._name,
                   response_time=(done - start) * 1000.0, response_length=length, exception=err,
                   context={}, response=None, start_time=self._wall0 + start, url=self._uris[k])

    def run(self, start_wall: float, stop: Event,
            drain_timeout: float = REQUEST_TIMEOUT_S) -> SendLog:
        """Send every event on schedule from ``start_wall``; return the log when all are done.

        Stops early (leaving the rest unsent) when ``stop`` is set. Requests still in
        flight ``drain_timeout`` seconds after the last send are aborted (status -2).
        """
        self._mono0 = time.monotonic() + (start_wall - time.time())
        self._wall0 = start_wall
        order = np.argsort(self.plan.offsets, kind="stable").tolist()
        offs, extra, cancelled, wake = self._offs, self._extra, self._cancelled, self._wake
        mono0 = self._mono0
        behind = 0
        woke = -math.inf
        monotonic = time.monotonic
        stop.rawlink(lambda _: wake.set())
        i, n_order = 0, len(order)
        try:
            while not stop.is_set():
                if extra and (i >= n_order or extra[0][0] <= offs[order[i]]):
                    k, added = extra[0][1], True
                elif i < n_order:
                    k, added = order[i], False
                else:
                    if not self._hold(stop):
                        break
                    continue
                if self.clock is not None:  # live drill: due times move with each pause
                    if not self.clock.wait_due(self, offs[k], stop):
                        break
                else:
                    due = mono0 + offs[k]
                    now = monotonic()
                    if due - now > EARLY_S:
                        behind = 0
                        woke = max(due, woke + TICK_S)
                        delay = woke - now
                        if delay < STOP_CHECK_S:
                            gevent.sleep(delay)  # cheaper than an Event wait on the hot path
                        else:
                            wake.clear()
                            if wake.wait(delay):  # stopped, or a post added: look again
                                continue
                    else:
                        behind += 1
                        if behind % YIELD_EVERY == 0:
                            gevent.sleep(0)
                if added:
                    heapq.heappop(extra)
                else:
                    i += 1
                if not cancelled[k]:
                    self._spawn(k)
            self._idle.wait(timeout=drain_timeout if not stop.is_set() else 1.0)
        finally:
            for g in list(self._running):
                gevent.kill(g)
            self._idle.wait(timeout=5)
            self._open = False
            self.log.extend(len(self._actual) - self.log.n)
            self.log.actual_s[:] = self._actual
            self.log.done_s[:] = self._done
            self.log.status[:] = self._status
            inflight = (self.log.status == 0) & ~np.isnan(self.log.actual_s)
            self.log.status[inflight] = STATUS_ABORTED
            aborted = int(inflight.sum())
            if aborted:
                self.log.errors["error:Aborted"] += aborted
                self.failed += aborted
            self.finished.set()
        return self.log

    def _hold(self, stop: Event) -> bool:
        """Every planned post is out: wait for added ones until ``hold_until_s``; False = done."""
        if self.hold_until_s is None or not self._open:
            return False
        remaining = self._mono0 + self.hold_until_s - time.monotonic()
        if remaining <= 0:
            return False
        self._wake.clear()
        self._wake.wait(remaining)
        return not stop.is_set()

    def progress(self) -> dict[str, float]:
        """Live counters: sent, accepted, failed, lag p99 (ms) over recent sends."""
        lags = list(self.recent_lags_ms)
        p99 = float(np.percentile(lags, 99)) if lags else 0.0
        return {"sent": self.sent, "accepted": self.accepted, "failed": self.failed,
                "lag_p99_ms": p99}
