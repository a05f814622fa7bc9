"""The send route's fast lane (api/send_lane.py, decision 0023) answers exactly as the FastAPI
route does, takes only the plain API form of a send, and leaves everything else to FastAPI.

Each case sends once through the lane (``Authorization: Bearer``) and once through FastAPI
(``authorization: bearer``: the same credentials, which FastAPI's bearer scheme reads
case-insensitively and the lane does not take), and compares the answers."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from quietline.api import access
from quietline.api.routes import conversations
from quietline.app import create_app
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in

# Security headers every API answer carries, whichever way it went.
EDGE_HEADERS = ("cache-control", "content-security-policy", "x-content-type-options")


@pytest.fixture
def token_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per request whose token FastAPI's access rule read (the lane never does)."""
    reads: list[bool] = []
    real = access._token

    def spy(*args: Any, **kwargs: Any) -> tuple[str, bool]:
        reads.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(access, "_token", spy)
    return reads


@pytest.fixture
def channel(owner: Api) -> UUID:
    add_staff(owner, "sam@riverbend.test")
    response = owner.post("/conversations", {"kind": "group", "title": "Front desk"})
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


def _send(
    client: TestClient,
    token: str,
    conversation: UUID | str,
    body: Any,
    *,
    lane: bool,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    scheme = "Bearer" if lane else "bearer"
    sent = {"authorization": f"{scheme} {token}", **(headers or {})}
    path = f"/api/v1/conversations/{conversation}/messages"
    if raw is not None:
        sent.setdefault("content-type", "application/json")
        return client.post(path, content=raw, headers=sent)
    return client.post(path, json=body, headers=sent)


def _same(lane: Any, fastapi: Any) -> None:
    assert lane.status_code == fastapi.status_code, (lane.text, fastapi.text)
    for name in EDGE_HEADERS:
        assert lane.headers[name]
    # Every header alike (a refusal's own, such as WWW-Authenticate, included), in any
    # order, but the date.
    assert sorted((k, v) for k, v in lane.headers.multi_items() if k != "date") == sorted(
        (k, v) for k, v in fastapi.headers.multi_items() if k != "date"
    )
    assert lane.json() == fastapi.json()


def _key() -> str:
    return str(uuid.uuid4())


def test_a_plain_send_takes_the_lane_and_answers_as_the_route_does(
    client: TestClient, owner: Api, channel: UUID, token_reads: list[bool]
) -> None:
    key = _key()
    sent = _send(
        client, owner.token, channel, {"body": "Room 3 is free", "idempotency_key": key}, lane=True
    )
    assert sent.status_code == 201, sent.text
    assert token_reads == []  # FastAPI's access rule never ran
    message = sent.json()
    assert message["body"] == "Room 3 is free"
    assert message["conversation_id"] == str(channel)

    # A retry through either path returns the same message, unchanged.
    again = {"body": "Room 3 is free", "idempotency_key": key}
    _same(
        _send(client, owner.token, channel, again, lane=True),
        _send(client, owner.token, channel, again, lane=False),
    )
    assert len(token_reads) == 1
    replay = _send(client, owner.token, channel, again, lane=True).json()
    assert replay == message

    # The same key with another body: the same refusal.
    changed = {"body": "Room 4 instead", "idempotency_key": key}
    _same(
        _send(client, owner.token, channel, changed, lane=True),
        _send(client, owner.token, channel, changed, lane=False),
    )
    history = owner.get(f"/conversations/{channel}/messages").json()
    assert [m["body"] for m in history["messages"]] == ["Room 3 is free"]


def test_new_messages_answer_alike_both_ways(client: TestClient, owner: Api, channel: UUID) -> None:
    body = {"body": "Running 10 minutes late", "urgent": True, "ttl_seconds": 3600}
    lane = _send(client, owner.token, channel, {**body, "idempotency_key": _key()}, lane=True)
    route = _send(client, owner.token, channel, {**body, "idempotency_key": _key()}, lane=False)
    assert lane.status_code == route.status_code == 201
    a, b = lane.json(), route.json()
    assert a.keys() == b.keys()
    varying = {"id", "seq", "idempotency_key", "created_at", "expires_at"}
    assert {k: v for k, v in a.items() if k not in varying} == {
        k: v for k, v in b.items() if k not in varying
    }
    assert b["seq"] == a["seq"] + 1


@pytest.mark.parametrize(
    ("case", "body", "raw", "headers"),
    [
        ("missing body", {"idempotency_key": "key-00000001"}, None, None),
        ("empty body", {"body": "", "idempotency_key": "key-00000002"}, None, None),
        ("short key", {"body": "x", "idempotency_key": "k"}, None, None),
        ("bad key", {"body": "x", "idempotency_key": "key with spaces"}, None, None),
        ("extra field", {"body": "x", "idempotency_key": "key-00000003", "to": "all"}, None, None),
        (
            "ttl too short",
            {"body": "x", "idempotency_key": "key-00000004", "ttl_seconds": 1},
            None,
            None,
        ),
        (
            "urgent not a flag",
            {"body": "x", "idempotency_key": "key-00000005", "urgent": [1]},
            None,
            None,
        ),
        ("not an object", ["body", "x"], None, None),
        ("NUL in body", {"body": "a\x00b", "idempotency_key": "key-00000006"}, None, None),
        ("not JSON", None, b'{"body": "x", ', None),
        ("not UTF-8", None, b'{"body": "\xff\xfe", "idempotency_key": "key-00000007"}', None),
        ("empty request", None, b"", None),
        ("too large", None, b'{"body": "' + b"x" * 70_000 + b'"}', None),
        (
            "not JSON content",
            None,
            b'{"body": "x", "idempotency_key": "key-00000008"}',
            {"content-type": "text/plain"},
        ),
    ],
)
def test_refused_input_is_refused_alike(
    client: TestClient,
    owner: Api,
    channel: UUID,
    case: str,
    body: Any,
    raw: bytes | None,
    headers: dict[str, str] | None,
) -> None:
    lane = _send(client, owner.token, channel, body, lane=True, raw=raw, headers=headers)
    route = _send(client, owner.token, channel, body, lane=False, raw=raw, headers=headers)
    assert 400 <= lane.status_code < 500, (case, lane.text)
    _same(lane, route)
    assert owner.get(f"/conversations/{channel}/messages").json()["messages"] == []


def test_refusals_of_access_are_alike(
    client: TestClient, services: Any, owner: Api, channel: UUID, practice: PracticeHandle
) -> None:
    body = {"body": "x", "idempotency_key": _key()}
    # No such conversation, and another practice's: the same 404.
    other = make_practice(services, "elsewhere")
    stranger = sign_in(client, other.slug, other.owner_email)
    for token, conversation in (
        (owner.token, uuid.uuid4()),
        (stranger.token, channel),
        ("not-a-real-token", channel),
    ):
        lane = _send(client, token, conversation, body, lane=True)
        _same(lane, _send(client, token, conversation, body, lane=False))
        assert lane.status_code in (401, 404)
    # A signed-out device: 401 both ways, at once.
    sam = sign_in(client, practice.slug, "sam@riverbend.test")
    assert sam.post("/auth/sign-out").status_code == 204
    lane = _send(client, sam.token, channel, body, lane=True)
    assert lane.status_code == 401
    _same(lane, _send(client, sam.token, channel, body, lane=False))


def test_what_the_lane_does_not_take_goes_to_fastapi(
    client: TestClient, owner: Api, channel: UUID, token_reads: list[bool]
) -> None:
    body = {"body": "x", "idempotency_key": _key()}
    path = f"/api/v1/conversations/{channel}/messages"
    # A web app's cookie without its CSRF proof: FastAPI's access rule refuses it.
    refused = client.post(path, json=body, headers={"cookie": f"ql_session={owner.token}"})
    assert refused.status_code in (401, 403), refused.text
    # A token with a space in it: FastAPI's access rule reads it (and refuses it).
    odd = client.post(path, json=body, headers={"authorization": f"Bearer {owner.token} x"})
    assert odd.status_code == 401
    assert len(token_reads) == 2
    # The id in capitals is still the id: the lane takes it.
    upper = client.post(
        f"/api/v1/conversations/{str(channel).upper()}/messages",
        json={"body": "caps", "idempotency_key": _key()},
        headers=owner.headers,
    )
    assert upper.status_code == 201, upper.text
    assert upper.json()["conversation_id"] == str(channel)
    assert len(token_reads) == 2


def test_the_access_log_names_the_route_not_the_path(
    client: TestClient, owner: Api, channel: UUID, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="quietline.access"):
        sent = _send(
            client, owner.token, channel, {"body": "x", "idempotency_key": _key()}, lane=True
        )
    assert sent.status_code == 201
    lines = [r.getMessage() for r in caplog.records if r.name == "quietline.access"]
    assert lines == [lines[0]]
    assert lines[0].startswith("POST /conversations/{conversation_id}/messages 201 ")
    assert str(channel) not in caplog.text
    assert owner.token not in caplog.text


def test_a_streamed_body_over_the_limit_is_refused_alike(
    client: TestClient, owner: Api, channel: UUID
) -> None:
    """Without a declared length the edge counts the body as the lane reads it."""

    def chunks() -> Any:
        yield b'{"body": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'", "idempotency_key": "key-00000009"}'

    answers = []
    for scheme in ("Bearer", "bearer"):
        answers.append(
            client.post(
                f"/api/v1/conversations/{channel}/messages",
                content=chunks(),
                headers={"authorization": f"{scheme} {owner.token}"},
            )
        )
    lane, route = answers
    assert lane.status_code == 413, lane.text
    _same(lane, route)
    assert owner.get(f"/conversations/{channel}/messages").json()["messages"] == []


def test_an_unexpected_error_gets_the_apps_500_problem_both_ways(
    services: Any, owner: Api, channel: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane and the edge stand in front of FastAPI's own error handler
    (``EdgeFirstFastAPI``): the lane answers an unexpected error itself, with the app's 500
    problem, and FastAPI's handler's answer now passes through the edge (security headers
    included) too."""

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a fault nobody expected, quoting room 7")

    monkeypatch.setattr(conversations, "do_send_message", broken)
    body = {"body": "Is room 3 free?", "idempotency_key": _key()}
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        lane = _send(client, owner.token, channel, body, lane=True)
        fastapi = _send(client, owner.token, channel, body, lane=False)
    assert lane.status_code == 500, lane.text
    assert lane.headers["content-type"] == "application/problem+json"
    assert "room 7" not in lane.text
    _same(lane, fastapi)
