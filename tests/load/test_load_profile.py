"""Target profiles: the shipped ones render, bad ones fail with one line, X signatures verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import orjson
import pytest

from load.profile import load_profile, sign_body
from simulator.errors import InputError

TARGETS = Path(__file__).resolve().parents[2] / "targets"

EVENT = {
    "id": "ev-000123", "t": 1234.5, "channel": "twitter", "kind": "reply", "parent": "ev-000100",
    "thread": "th-0042",
    "author": {"handle": "@jdoe", "name": "Jane \"JD\" Doe", "followers": 1340, "verified": False,
               "customer_id": "C-004211", "segment": "regular"},
    "text": "@NorthwindAir card declined <3 times> & fare went up. Fix it!",
    "lang": "en", "incident": "payments-down",
    "labels": {"intent": "complaint", "expected": {"route": "care", "tier": 1}},
}


@pytest.fixture
def x_secret(monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setenv("X_WEBHOOK_SECRET", "consumer-secret-for-tests")
    return b"consumer-secret-for-tests"


@pytest.mark.parametrize("name", ["reference", "x-webhook", "zendesk-channel"])
def test_shipped_profiles_render_json_without_labels(name: str, x_secret: bytes) -> None:
    profile = load_profile(TARGETS / f"{name}.yaml")
    req = profile.render(EVENT)
    body = orjson.loads(req.body)
    assert req.method == "POST"
    assert b"labels" not in req.body and b"complaint" not in req.body
    assert EVENT["text"] in req.body.decode()
    assert isinstance(body, dict)


def test_reference_body_is_the_canonical_event() -> None:
    req = load_profile(TARGETS / "reference.yaml", "http://127.0.0.1:9").render(EVENT)
    expected = {k: v for k, v in EVENT.items() if k != "labels"}
    assert orjson.loads(req.body) == expected
    assert req.path == "/events"


def test_x_webhook_shape_and_signature_verifies(x_secret: bytes) -> None:
    profile = load_profile(TARGETS / "x-webhook.yaml")
    req = profile.render(EVENT)
    tweet = orjson.loads(req.body)["tweet_create_events"][0]
    assert tweet["id_str"] == "ev-000123"
    assert tweet["in_reply_to_status_id_str"] == "ev-000100"
    assert tweet["user"] == {"id_str": "C-004211", "screen_name": "jdoe",
                             "name": "Jane \"JD\" Doe", "verified": False,
                             "followers_count": 1340}
    # Verify as a receiving stack would: HMAC-SHA256 of the exact body, base64, "sha256=".
    expected = "sha256=" + base64.b64encode(
        hmac.new(x_secret, req.body, hashlib.sha256).digest()).decode()
    assert req.headers["x-twitter-webhooks-signature"] == expected
    tampered = req.body.replace(b"Fix", b"Fax")
    assert sign_body(x_secret, tampered) != expected


def test_x_webhook_needs_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_WEBHOOK_SECRET", raising=False)
    message = r"x-webhook.yaml: sign.secret_env must name a set .*X_WEBHOOK_SECRET"
    with pytest.raises(InputError, match=message):
        load_profile(TARGETS / "x-webhook.yaml")


def test_zendesk_push_shape() -> None:
    req = load_profile(TARGETS / "zendesk-channel.yaml").render(EVENT)
    body = orjson.loads(req.body)
    assert req.path == "/api/v2/any_channel/push"
    resource = body["external_resources"][0]
    assert resource["external_id"] == "ev-000123" and resource["parent_id"] == "ev-000100"
    assert resource["author"] == {"external_id": "C-004211", "name": "Jane \"JD\" Doe"}
    assert req.headers["Authorization"] == "Bearer drill-token"


def test_base_url_override_and_capture() -> None:
    profile = load_profile(TARGETS / "reference.yaml", "http://127.0.0.1:1234/")
    assert profile.base_url == "http://127.0.0.1:1234"
    assert profile.capture({"case_id": "c-1", "x": 2}) == {"case_id": "c-1"}


BAD = [
    ("name: t\nbase_url: http://x\n", r"bad.yaml: path must be set, got nothing"),
    ("name: t\nbase_url: http://x\npath: /e\nmethod: FETCH\n",
     r"bad.yaml: method must be one of GET, POST, PUT, PATCH, DELETE, got 'FETCH'"),
    ("name: t\nbase_url: http://x\npath: /e\naccept: [999]\n",
     r"bad.yaml: accept must be a non-empty list of HTTP status codes \(100-599\), got \[999\]"),
    ("name: t\nbase_url: http://x\npath: /e\nbogus: 1\n",
     r"bad.yaml: bogus must not be there \(unknown field\), got 1"),
    ("name: t\nbase_url: http://x\npath: /e\nbody: '{{ event.id '\n",
     r"bad.yaml: templates must be valid jinja2, got"),
    ("- a\n- b\n", r"bad.yaml: top level must be a mapping, got list"),
    ("name: [\n", r"bad.yaml: contents must be valid YAML, got"),
    ("name: t\nbase_url: http://x\npath: /e\nsign: {header: h}\n",
     r"bad.yaml: sign.secret_env must be set, got nothing"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_profiles_fail_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as info:
        load_profile(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope.yaml: file must be readable, got"):
        load_profile(tmp_path / "nope.yaml")


def test_template_error_at_render_names_the_event(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nbase_url: http://x\npath: /e\nbody: '{{ event.nothing.deeper }}'\n")
    with pytest.raises(InputError, match=r"t.yaml: templates must render for event 'ev-000123'"):
        load_profile(path).render(EVENT)
