"""The platform endpoint, run for real in its own process on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from load.platform import MAX_BODY_BYTES, PlatformProcess, platform_signature
from tests.loopback import post

SPEED = 60.0


def _events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"id": f"ev-{i:06d}", "t": float(i)}) + b"\n"
                              for i in range(5)))
    return path


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[PlatformProcess]:
    proc = PlatformProcess(tmp_path / "actions.jsonl", SPEED, _events(tmp_path), port=0)
    yield proc
    proc.stop()


def _actions(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_actions_are_stamped_and_written_at_once(platform: PlatformProcess, tmp_path: Path) -> None:
    import time

    platform.set_start(time.time() - 2.0)  # the run started two wall seconds ago
    action = {"event_id": "ev-000001", "action": "escalate", "route": "legal", "tier": 3,
              "priority": "p1", "agent": "a-07", "text": "on it"}
    code, _ = post(platform.url + "/platform/actions", orjson.dumps(action))
    assert code == 202
    written = _actions(tmp_path / "actions.jsonl")  # on disk before the endpoint stops
    assert len(written) == 1
    assert {k: written[0][k] for k in action} == action
    # at = (arrival - start) * speed: two wall seconds at speed 60 is about 120 scenario seconds
    assert 2.0 * SPEED <= written[0]["at"] < 12.0 * SPEED


def test_x_v2_reply_counts_as_a_reply(platform: PlatformProcess, tmp_path: Path) -> None:
    body = orjson.dumps({"text": "Sorry! DM us.", "reply": {"in_reply_to_tweet_id": "ev-000003"}})
    code, resp = post(platform.url + "/2/tweets", body)
    assert code == 201 and orjson.loads(resp)["data"]["text"] == "Sorry! DM us."
    written = _actions(tmp_path / "actions.jsonl")
    assert written[0]["event_id"] == "ev-000003" and written[0]["action"] == "reply"
    # the id the stack got back is recorded: an answer-back is in reply to it (reactions)
    assert written[0]["reply_id"] == orjson.loads(resp)["data"]["id"]
    stats = platform.stats()
    assert stats["answered"] == 1 and stats["unmatched"] == 0


def test_unknown_events_are_kept_and_counted(platform: PlatformProcess, tmp_path: Path) -> None:
    for event_id in ("ev-999999", None):
        body = orjson.dumps({"event_id": event_id, "action": "reply", "text": "hi"})
        assert post(platform.url + "/platform/actions", body)[0] == 202
    assert post(platform.url + "/2/tweets", orjson.dumps({"text": "standalone"}))[0] == 201
    stats = platform.stats()
    assert stats["unmatched"] == 3 and stats["actions"] == 3 and stats["answered"] == 0
    assert len(_actions(tmp_path / "actions.jsonl")) == 3


BAD_INPUT = [
    ("/platform/actions", b"{not json", 400, "malformed"),
    ("/platform/actions", b"[1, 2]", 422, "malformed"),
    ("/platform/actions", b'{"event_id": "ev-000001", "action": "dance"}', 422, "invalid"),
    ("/platform/actions", b'{"event_id": 7, "action": "reply"}', 422, "invalid"),
    ("/platform/actions", b"x" * (MAX_BODY_BYTES + 1), 413, "oversized"),
    ("/2/tweets", b'{"text": 5}', 422, "invalid"),
    ("/2/tweets", b'{"text": "a", "reply": "ev-1"}', 422, "invalid"),
    ("/elsewhere", b"{}", 404, "not_found"),
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformProcess, Path]]:
    tmp = tmp_path_factory.mktemp("platform")
    proc = PlatformProcess(tmp / "actions.jsonl", SPEED, _events(tmp), port=0)
    yield proc, tmp / "actions.jsonl"
    proc.stop()


@pytest.mark.parametrize(("path", "body", "code", "reason"), BAD_INPUT)
def test_bad_input_gets_4xx_and_is_counted(shared: tuple[PlatformProcess, Path], path: str,
                                           body: bytes, code: int, reason: str) -> None:
    platform, actions = shared
    before = platform.stats()
    stored = len(_actions(actions))
    assert post(platform.url + path, body)[0] == code
    after = platform.stats()
    assert after["rejected"] == before["rejected"] + 1
    assert after["rejected_by_reason"][reason] == before["rejected_by_reason"].get(reason, 0) + 1
    assert after["actions"] == before["actions"] and len(_actions(actions)) == stored
    # and it keeps serving
    ok = orjson.dumps({"event_id": "ev-000002", "action": "triage"})
    assert post(platform.url + "/platform/actions", ok)[0] == 202
    assert len(_actions(actions)) == stored + 1


def test_shared_secret_requires_a_valid_signature(tmp_path: Path) -> None:
    proc = PlatformProcess(tmp_path / "actions.jsonl", SPEED, _events(tmp_path), port=0,
                           secret="s3cret")
    try:
        body = orjson.dumps({"event_id": "ev-000001", "action": "reply", "text": "hello"})
        url = proc.url + "/platform/actions"
        assert post(url, body)[0] == 401
        assert post(url, body, {"X-Drill-Signature": "sha256=" + "0" * 64})[0] == 401
        signed = {"X-Drill-Signature": platform_signature(b"s3cret", body)}
        assert post(url, body, signed)[0] == 202
        assert proc.stats()["rejected_by_reason"] == {"unauthorized": 2}
        assert len(_actions(tmp_path / "actions.jsonl")) == 1
    finally:
        proc.stop()


def test_control_endpoints_need_the_token(platform: PlatformProcess) -> None:
    assert post(platform.url + "/_drill/start", b'{"start_wall": 0}')[0] == 403


def test_taken_port_is_a_clear_target_error(platform: PlatformProcess, tmp_path: Path) -> None:
    from simulator.errors import TargetError

    with pytest.raises(TargetError, match=rf"could not listen on 127.0.0.1:{platform.port}"):
        PlatformProcess(tmp_path / "b.jsonl", SPEED, None, port=platform.port)


def test_repeated_idempotency_key_is_recorded_once(platform: PlatformProcess,
                                                   tmp_path: Path) -> None:
    """A stack re-sending an action whose answer it lost (issue 19) is recorded once."""
    body = orjson.dumps({"event_id": "ev-000001", "action": "triage", "route": "care"})
    for key in ("k-1", "k-1", "k-2"):
        status, _ = post(platform.url + "/platform/actions", body, {"Idempotency-Key": key})
        assert status == 202
    lines = (tmp_path / "actions.jsonl").read_bytes().splitlines()
    assert len(lines) == 2
    stats = platform.stats()
    assert stats["actions"] == 2 and stats["duplicates"] == 1
