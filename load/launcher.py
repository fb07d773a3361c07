"""Start and stop the reference stack; check a target before any load is sent.

``ReferenceStack`` runs ``python -m carestack --host 127.0.0.1 --port P --platform-url URL
--speed S [--team SCENARIO] [--config FILE] [--db PATH]`` on a free loopback port and waits
for ``GET /health``: with ``--team`` its agents are the scenario's roster under test.
``check_target`` refuses a host outside loopback unless allowed (``InputError``, exit 2:
production-volume load must never hit the wrong host by accident) and raises
``TargetError`` (exit 3) when the target does not answer.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from simulator.errors import InputError, TargetError

__all__ = ["ReferenceStack", "check_target", "child_options", "free_port", "is_loopback"]

HEALTH_TIMEOUT_S = 30.0
CHECK_TIMEOUT_S = 5.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the drill process dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
    except (OSError, AttributeError):
        pass


def child_options() -> dict[str, object]:
    """``Popen`` options for the drill's helper processes (stack, platform, workers).

    Each gets its own session, so a terminal Ctrl-C (SIGINT to the foreground process group)
    reaches only the drill, which then stops its children itself after writing the run;
    on Linux a child also ends when the drill dies abruptly (no orphans).
    """
    opts: dict[str, object] = {"start_new_session": True}
    if sys.platform.startswith("linux"):
        opts["preexec_fn"] = _die_with_parent
    return opts


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_target(base_url: str, health_path: str | None, allow_remote: bool) -> None:
    """Refuse a non-loopback target (unless allowed); fail with exit 3 if it does not answer."""
    parsed = urlparse(base_url)
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https") or not host:
        raise InputError(
            f"--base-url: the target base URL must be http(s)://host[:port], got {base_url!r}")
    if not allow_remote and not is_loopback(host):
        raise InputError(
            f"--base-url: the target host must be loopback (127.0.0.1, ::1, localhost) "
            f"unless --allow-remote is given, got {host}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=CHECK_TIMEOUT_S):
            pass
    except OSError as err:
        raise TargetError(f"target {base_url} is not reachable: {err.strerror or err}") from err
    if health_path:
        url = base_url.rstrip("/") + health_path
        try:
            with urllib.request.urlopen(url, timeout=CHECK_TIMEOUT_S) as resp:
                code = resp.status
        except urllib.error.HTTPError as err:
            code = err.code
        except (OSError, urllib.error.URLError) as err:
            raise TargetError(f"target {url} is not answering: {err}") from err
        if code >= 500:
            raise TargetError(f"target {url} answered {code}: the stack is not healthy")


class ReferenceStack:
    """The reference care stack in its own process, for the length of one drill."""

    def __init__(self, platform_url: str, speed: float, log_path: Path,
                 host: str = "127.0.0.1", platform_secret: str | None = None,
                 team: Path | None = None, config: Path | None = None,
                 db: Path | None = None) -> None:
        self.host = host
        self.port = free_port(host)
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        if platform_secret:  # via the environment, not argv: argv is visible to every user
            env["CARESTACK_PLATFORM_SECRET"] = platform_secret
        cmd = [sys.executable, "-m", "carestack", "--host", host, "--port", str(self.port),
               "--platform-url", platform_url, "--speed", str(speed)]
        for flag, path in (("--team", team), ("--config", config), ("--db", db)):
            if path is not None:
                cmd += [flag, str(path)]
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     **child_options())  # type: ignore[call-overload]
        self._wait_healthy(log_path)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _wait_healthy(self, log_path: Path) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise TargetError(f"reference stack exited with code {self.proc.returncode} "
                                  f"before it was healthy (see {log_path})")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        self.stop()
        raise TargetError(f"reference stack did not become healthy in {HEALTH_TIMEOUT_S:.0f}s "
                          f"(see {log_path})")

    def outbox_stats(self) -> dict[str, Any] | None:
        """The stack's delivery counters (``/stats`` outbox); None when it does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/stats", timeout=5) as resp:
                return dict(json.loads(resp.read())["outbox"])
        except (OSError, ValueError, KeyError):
            return None

    def can_still_answer(self) -> bool:
        """False once the stack's simulated agents are all off shift and hold no case (nobody
        left to answer); True while they work, when agents are off (humans answer), or when
        ``/stats`` does not answer."""
        try:
            with urllib.request.urlopen(self.url + "/stats", timeout=5) as resp:
                agents = dict(json.loads(resp.read())["agents"])
        except (OSError, ValueError, KeyError):
            return True
        if not agents.get("enabled"):
            return True
        on_duty = sum(int(row.get("on_duty", 0)) for row in agents.get("by_tier", {}).values())
        return on_duty > 0 or int(agents.get("busy", 0)) > 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
