"""Revocation reaches open WebSockets at once, and the socket's own sign-in rules.

These run against the real server (uvicorn on a loopback port) with the ``websockets``
package's synchronous client and httpx.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.conftest import PASSWORD, Api, LiveServer, PracticeHandle, add_staff, sign_in

NEW_PASSWORD = "a brand new passphrase 42"
SESSION_ENDED = 4401
LIMIT = 1.0  # seconds from the revoking request to the closed socket


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture
def boss(http: httpx.Client, practice: PracticeHandle) -> Api:
    return sign_in(http, practice.slug, practice.owner_email, device="boss desk")


def raw_socket(
    live: LiveServer, url: str | None = None, origin: Origin | None = None
) -> ClientConnection:
    # legacy=True: the connection is returned open (callers still close it with ``with``).
    return connect(
        url or live.ws_url,
        origin=origin,
        proxy=None,
        open_timeout=5,
        close_timeout=2,
        legacy=True,
    )


def open_socket(live: LiveServer, api: Api) -> ClientConnection:
    """A signed-in socket that has received its ``ready`` frame."""
    ws = raw_socket(live)
    ws.send(json.dumps({"type": "auth", "token": api.token}))
    ready = json.loads(ws.recv(timeout=5))
    assert ready["type"] == "ready", ready
    assert ready["session_id"] == str(api.session_id)
    return ws


def wait_closed(ws: ClientConnection, timeout: float = 3.0) -> tuple[list[dict[str, Any]], int]:
    """Frames received until the server closed the socket, and the close code."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"socket still open after {timeout}s; frames: {frames}")
        try:
            frames.append(json.loads(ws.recv(timeout=remaining)))
        except TimeoutError:
            continue
        except ConnectionClosed as closed:
            close = closed.rcvd
            break
    assert close is not None, "closed without a close frame"
    return frames, close.code


def expect_revoked(ws: ClientConnection, started: float, reason: str) -> None:
    frames, code = wait_closed(ws)
    elapsed = time.monotonic() - started
    assert code == SESSION_ENDED
    assert frames, "no session.revoked frame before the close"
    assert frames[-1] == {"type": "session.revoked", "reason": reason}
    assert elapsed < LIMIT, f"socket closed {elapsed:.3f}s after the revocation"


def still_open(ws: ClientConnection) -> bool:
    ws.send(json.dumps({"type": "ping"}))
    try:
        while True:
            frame = json.loads(ws.recv(timeout=2))
            if frame["type"] == "pong":
                return True
    except ConnectionClosed:
        return False


def first_frame_refused(live: LiveServer, frame: str | bytes, url: str | None = None) -> int:
    with raw_socket(live, url) as ws:
        ws.send(frame)
        _, code = wait_closed(ws)
        return code


# -- revocation closes sockets at once ---------------------------------------------------------
def test_revoking_a_device_closes_its_socket_at_once(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    add_staff(boss, "lia@riverbend.test")
    desk = sign_in(http, practice.slug, "lia@riverbend.test", device="desk")
    phone = sign_in(http, practice.slug, "lia@riverbend.test", device="lost phone")
    with open_socket(live_server, phone) as victim, open_socket(live_server, desk) as keeper:
        started = time.monotonic()
        assert desk.delete(f"/devices/{phone.session_id}").status_code == 204
        expect_revoked(victim, started, "revoked_by_owner")
        assert still_open(keeper)
    # The revoked token cannot open a new socket either.
    with raw_socket(live_server) as ws:
        ws.send(json.dumps({"type": "auth", "token": phone.token}))
        frames, code = wait_closed(ws)
    assert code == SESSION_ENDED
    assert [f["type"] for f in frames] == ["error"]
    assert frames[0]["status"] == 401


def test_admin_revocation_closes_the_socket(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    add_staff(boss, "moe@riverbend.test")
    moe = sign_in(http, practice.slug, "moe@riverbend.test")
    with open_socket(live_server, moe) as victim, open_socket(live_server, boss) as keeper:
        started = time.monotonic()
        assert boss.delete(f"/devices/{moe.session_id}").status_code == 204
        expect_revoked(victim, started, "revoked_by_admin")
        assert still_open(keeper)


def test_sign_out_closes_the_socket(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    laptop = sign_in(http, practice.slug, practice.owner_email, device="laptop")
    with open_socket(live_server, laptop) as own, open_socket(live_server, boss) as keeper:
        started = time.monotonic()
        assert laptop.post("/auth/sign-out").status_code == 204
        expect_revoked(own, started, "signed_out")
        assert still_open(keeper)


def test_password_change_closes_the_other_devices_sockets(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    add_staff(boss, "ned@riverbend.test")
    here = sign_in(http, practice.slug, "ned@riverbend.test", device="here")
    phone = sign_in(http, practice.slug, "ned@riverbend.test", device="phone")
    tablet = sign_in(http, practice.slug, "ned@riverbend.test", device="tablet")
    with (
        open_socket(live_server, here) as current,
        open_socket(live_server, phone) as phone_ws,
        open_socket(live_server, tablet) as tablet_ws,
    ):
        started = time.monotonic()
        changed = here.post(
            "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert changed.status_code == 204, changed.text
        expect_revoked(phone_ws, started, "password_changed")
        expect_revoked(tablet_ws, started, "password_changed")
        assert still_open(current)


def test_deactivation_closes_every_socket_of_that_person(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    staff_id = add_staff(boss, "oz@riverbend.test")
    one = sign_in(http, practice.slug, "oz@riverbend.test", device="one")
    two = sign_in(http, practice.slug, "oz@riverbend.test", device="two")
    with (
        open_socket(live_server, one) as first,
        open_socket(live_server, one) as first_again,
        open_socket(live_server, two) as second,
        open_socket(live_server, boss) as keeper,
    ):
        started = time.monotonic()
        assert boss.post(f"/users/{staff_id}/deactivate").status_code == 200
        for ws in (first, first_again, second):
            expect_revoked(ws, started, "user_deactivated")
        assert still_open(keeper)


def test_admin_password_reset_closes_every_socket_of_that_person(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    staff_id = add_staff(boss, "pat@riverbend.test")
    pat = sign_in(http, practice.slug, "pat@riverbend.test")
    with open_socket(live_server, pat) as victim:
        started = time.monotonic()
        reset = boss.post(f"/users/{staff_id}/password", {"new_password": NEW_PASSWORD})
        assert reset.status_code == 204
        expect_revoked(victim, started, "password_reset")


# -- the socket's own sign-in ------------------------------------------------------------------
def test_socket_with_a_bad_token_is_closed(live_server: LiveServer) -> None:
    with raw_socket(live_server) as ws:
        ws.send(json.dumps({"type": "auth", "token": "not-a-real-token"}))
        frames, code = wait_closed(ws)
    assert code == SESSION_ENDED
    assert frames == [
        {"type": "error", "status": 401, "detail": "Your session has ended. Sign in again."}
    ]


@pytest.mark.parametrize(
    "frame",
    [
        json.dumps({"type": "ping"}),
        json.dumps({"type": "auth"}),
        json.dumps({"type": "auth", "token": ""}),
        json.dumps({"type": "auth", "token": 12345}),
        json.dumps({"type": "auth", "token": "x" * 500}),
        json.dumps(["auth", "token"]),
        "this is not json",
        b"\x00\x01binary",
    ],
    ids=["ping", "no-token", "empty", "number", "too-long", "list", "not-json", "binary"],
)
def test_socket_without_an_auth_frame_is_closed(
    live_server: LiveServer, frame: str | bytes
) -> None:
    assert first_frame_refused(live_server, frame) == SESSION_ENDED


def test_token_in_the_url_is_never_accepted(
    live_server: LiveServer, http: httpx.Client, boss: Api
) -> None:
    for name in ("token", "access_token", "auth"):
        url = f"{live_server.ws_url}?{name}={boss.token}"
        assert first_frame_refused(live_server, json.dumps({"type": "ping"}), url) == SESSION_ENDED
        response = http.get(f"/api/v1/me?{name}={boss.token}")
        assert response.status_code == 401
    # The same token in the auth frame is fine.
    with open_socket(live_server, boss) as ws:
        assert still_open(ws)


def test_socket_from_another_sites_page_is_refused(live_server: LiveServer, boss: Api) -> None:
    for origin in ("https://evil.example", "http://127.0.0.1.evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused:
            raw_socket(live_server, origin=Origin(origin))
        assert refused.value.response.status_code == 403, origin
    # This server's own origin is accepted, as is a client that sends none.
    own = live_server.url
    with raw_socket(live_server, origin=Origin(own)) as ws:
        ws.send(json.dumps({"type": "auth", "token": boss.token}))
        assert json.loads(ws.recv(timeout=5))["type"] == "ready"


def test_restricted_session_cannot_open_a_socket(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle, boss: Api
) -> None:
    add_staff(boss, "quin@riverbend.test")
    assert boss.patch("/practice/policy", {"require_second_factor": True}).status_code == 200
    quin = sign_in(http, practice.slug, "quin@riverbend.test")
    with raw_socket(live_server) as ws:
        ws.send(json.dumps({"type": "auth", "token": quin.token}))
        _, code = wait_closed(ws)
    assert code == 4403
