"""Security of a drill (issue 9, DESIGN.md section 11): loopback by default, signed callbacks,
inert report text, --allow-remote, and secrets that are never printed or written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import orjson
import pytest

from bench.synthetic_run import RunFolders, tiny_scenario
from load.launcher import check_target, is_loopback
from load.platform import SIGNATURE_HEADER, PlatformProcess, platform_signature
from simulator.errors import InputError
from tests.loopback import post

pytestmark = pytest.mark.slow  # drills in subprocesses

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "ci-smoke.yaml"
MARK = "DRILL_SECURITY_MARK"


def _listening_hosts(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket listening on ``port``."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                hosts.add(addr)
    return hosts


def test_platform_endpoint_binds_loopback_by_default(tmp_path: Path) -> None:
    platform = PlatformProcess(tmp_path / "actions.jsonl", 1.0, None, port=0)
    try:
        assert platform.host == "127.0.0.1"
        assert _listening_hosts(platform.port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        platform.stop()


def test_signature_must_match_this_body_and_secret(tmp_path: Path) -> None:
    secret = b"s3cret-" + uuid.uuid4().hex.encode()
    platform = PlatformProcess(tmp_path / "actions.jsonl", 1.0, None, port=0,
                               secret=secret.decode())
    url = platform.url + "/platform/actions"
    body = orjson.dumps({"event_id": "ev-1", "action": "reply", "text": "ok"})
    other = orjson.dumps({"event_id": "ev-2", "action": "reply", "text": "ok"})
    try:
        cases = {
            "unsigned": {},
            "signature of another body": {SIGNATURE_HEADER: platform_signature(secret, other)},
            "wrong secret": {SIGNATURE_HEADER: platform_signature(b"guess", body)},
            "bare hex, no prefix": {
                SIGNATURE_HEADER: platform_signature(secret, body).removeprefix("sha256=")},
        }
        for name, headers in cases.items():
            assert post(url, body, headers)[0] == 401, name
        assert post(url, body, {SIGNATURE_HEADER: platform_signature(secret, body)})[0] == 202
        stats = platform.stats()
    finally:
        platform.stop()
    assert stats["rejected_by_reason"] == {"unauthorized": 4} and stats["actions"] == 1
    assert len((tmp_path / "actions.jsonl").read_bytes().splitlines()) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_hosts_are_allowed(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("url", ["http://10.11.12.13:80", "http://0.0.0.0:8080",
                                 "https://192.0.2.1", "http://name.invalid:80"])
def test_non_loopback_targets_need_allow_remote(url: str) -> None:
    # (never with allow_remote=True here: tests only ever connect to loopback)
    with pytest.raises(InputError, match="must be loopback .* unless --allow-remote"):
        check_target(url, None, allow_remote=False)


def _drill(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "run_drill.py", "drill", str(SCENARIO), *args], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})})


def test_profile_pointing_off_loopback_is_refused_before_load(tmp_path: Path) -> None:
    profile = tmp_path / "remote.yaml"
    profile.write_text("name: remote\nbase_url: http://10.11.12.13:8080\npath: /events\n")
    proc = _drill("-o", str(tmp_path / "run"), "--target", str(profile),
                  "--platform-port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err
    errors = [x for x in err.splitlines() if x.startswith("error:")]
    assert errors == ["error: --base-url: the target host must be loopback (127.0.0.1, ::1, "
                      "localhost) unless --allow-remote is given, got 10.11.12.13"]
    assert not (tmp_path / "run" / "replay.json").exists()


@pytest.mark.parametrize("content", ["", "   \n"])
def test_empty_secret_file_is_a_one_line_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(content)
    proc = _drill("-o", str(tmp_path / "run"), "--platform-secret-file", str(path))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == "error: --platform-secret-file: must hold a secret, got an empty file"


def test_secret_from_a_file_is_used_and_never_printed_or_written(tmp_path: Path) -> None:
    secret = "drill-secret-" + uuid.uuid4().hex
    path = tmp_path / "platform.secret"
    path.write_text(secret + "\n")
    mark = uuid.uuid4().hex
    out_dir = tmp_path / "run"
    proc = _drill("-o", str(out_dir), "--speed", "120", "--grace", "1m", "--platform-port", "0",
                  "--platform-secret-file", str(path), env={MARK: mark})
    assert proc.stderr is not None
    err_lines = []
    argv_seen = []
    for line in proc.stderr:
        err_lines.append(line)
        if line.startswith("sent "):  # the stack and the endpoint are running: read their argv
            for entry in Path("/proc").iterdir():
                try:
                    if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes():
                        argv_seen.append((entry / "cmdline").read_bytes())
                except OSError:
                    continue
            break
    out, rest = proc.communicate(timeout=90)
    err = "".join(err_lines) + rest
    assert proc.returncode == 0, err
    assert len(argv_seen) >= 2  # the platform endpoint and the reference stack
    assert all(secret.encode() not in argv for argv in argv_seen)
    assert secret not in out and secret not in err
    replay = orjson.loads((out_dir / "replay.json").read_bytes())
    assert replay["platform"]["secret"] is True and replay["platform"]["host"] == "127.0.0.1"
    assert replay["platform"]["actions"] > 0  # the stack signed its callbacks with it
    assert replay["counts"]["rejected_callbacks"] == 0
    written = sorted(p.name for p in out_dir.rglob("*") if p.is_file())
    assert {"results.json", "report.html", "replay.json", "actions.jsonl", "stack.log"} <= set(
        written)
    for file in out_dir.rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file.name


class _Tags(HTMLParser):
    """Every start tag and every event-handler attribute in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def test_drill_report_escapes_stack_and_target_text(run_folder: RunFolders) -> None:
    """Stack-provided text (agent names, reply text, status labels, stop reason) and the
    target's name and URL reach the report only as text."""
    from reports import build_results, render_report

    hostile = {
        "profile": "<script>window.__pwned=1</script>",
        "url": 'http://127.0.0.1:9/"><svg onload="window.__pwned=2">',
        "status": "error:<img src=x onerror=window.__pwned=3>",
        "reason": "<iframe src=javascript:alert(4)>",
        "reply": "<script>window.__pwned=5</script>",
        "agent": '"><a href="javascript:alert(6)" onclick="x">agent</a>',
        "title": "<style>body{display:none}</style>",
    }

    def report(name: str, text: dict[str, str]) -> str:
        run = run_folder.drill(name)
        replay = orjson.loads((run / "replay.json").read_bytes())
        replay["target"] = {"profile": text["profile"], "base_url": text["url"]}
        n = replay["counts"]["generated"]
        replay["status_codes"] = {text["status"]: 1, "202": n - 1}
        replay["partial"], replay["stopped_reason"] = True, text["reason"]
        (run / "replay.json").write_bytes(orjson.dumps(replay))
        actions = [orjson.loads(x) for x in (run / "actions.jsonl").read_bytes().splitlines()]
        for action in actions:
            if action["action"] == "reply":
                action["text"], action["agent"] = text["reply"], text["agent"]
        (run / "actions.jsonl").write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in actions))
        results = build_results(run, tiny_scenario(title=text["title"]), "drill", ["drill"])
        return render_report(results, run, datetime(2026, 3, 14, tzinfo=UTC)).read_text()

    html = report("hostile", hostile)
    baseline = _Tags()  # the same run with harmless text: the report's own tags
    baseline.feed(report("clean", {k: f"plain {k}" for k in hostile}))
    for name, text in hostile.items():
        assert text not in html, name
    parser = _Tags()
    parser.feed(html)
    assert parser.handlers == []
    for tag in ("script", "iframe", "svg", "img", "a", "style"):  # only the report's own
        assert parser.tags.count(tag) == baseline.tags.count(tag), tag
    assert parser.tags.count("script") == 0
    shown = {"profile": "&lt;script&gt;window.__pwned=1", "agent": "onclick=&#34;x&#34;&gt;agent",
             "title": "&lt;style&gt;body{display:none}", "status": "&lt;img src=x onerror"}
    for name, escaped in shown.items():
        assert escaped in html, name  # rendered, as text
    assert not re.search(r"<style>body\{display:none\}", html)
