""" "In session" status and Web Push notifications, at the API level.

Pushes go to the push-service stand-in of tests/browser/push_service.py (plain HTTP on
127.0.0.1), which decrypts each one with the keys the test made for its subscription, so the
test reads exactly what the server sent. This module's ``settings`` allow that stand-in
(``push_endpoint_hosts``) and run the release of held notifications every 0.2 s.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from quietline.app import Services
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from tests.browser.push_service import PushService, Subscription
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import Socket, create_direct, create_group, send_message

TEST_PUSH_HOSTS = "127.0.0.1,push.example.test,*.push.example.test"
DEFAULT_PUSH_HOSTS: str = Settings.model_fields["push_endpoint_hosts"].default
QUIET = 1.0  # seconds without a push that show none is coming (the server gathers 0.3 s)
KEYS = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}  # well-formed; never used to send


# -- settings ---------------------------------------------------------------------------------
@pytest.fixture
def push_hosts() -> str:
    """The push_endpoint_hosts setting; parametrise to change it."""
    return TEST_PUSH_HOSTS


@pytest.fixture
def settings(settings: Settings, push_hosts: str) -> Settings:
    return Settings(
        **{
            **settings.model_dump(),
            "push_endpoint_hosts": push_hosts,
            "notification_release_seconds": 0.2,
        }
    )


# -- helpers ----------------------------------------------------------------------------------
def put(api: Api, path: str, json: Any) -> Any:
    return api.client.put(f"/api/v1{path}", json=json, headers=api.headers)


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def directory(api: Api) -> dict[UUID, dict[str, Any]]:
    response = api.get("/users")
    assert response.status_code == 200, response.text
    return {UUID(u["id"]): u for u in response.json()}


def in_session_until(api: Api, user_id: UUID) -> datetime | None:
    return at(directory(api)[user_id]["in_session_until"])


def is_a_sentence(text: str) -> bool:
    return len(text) > 15 and text[0].isupper() and text.rstrip().endswith((".", "!", "?"))


def marker(label: str) -> str:
    return f"QlMark{label}{uuid.uuid4().hex}"


def subscribed_sessions(services: Services, practice_id: UUID, user_id: UUID) -> list[UUID]:
    found = services.db.read_sync(
        lambda unit: unit.notifications.subscriptions_for(practice_id, [user_id])
    )
    return [s.session_id for s in found]


def subscribe(api: Api, subscription: Subscription | dict[str, Any]) -> None:
    body = subscription.as_json() if isinstance(subscription, Subscription) else subscription
    response = put(api, "/me/push-subscription", body)
    assert response.status_code == 204, response.text


def generic(count: int) -> dict[str, Any]:
    body = "New secure message" if count == 1 else f"{count} new secure messages"
    return {"title": "Quietline", "body": body, "count": count}


def push_problems(service: PushService, vapid_key: str | None) -> list[str]:
    """Every push the stand-in received must be the generic payload, decrypted, with a valid
    VAPID signature by the server's key, and carry none of the forbidden texts anywhere."""
    problems = []
    for request in service.requests():
        if request.payload is None:
            problems.append(f"not decrypted: {request.describe()}")
            continue
        data = json.loads(request.payload)
        count = data.get("count") if isinstance(data, dict) else None
        if not isinstance(count, int) or count < 1 or data != generic(count):
            problems.append(f"not the generic payload: {request.describe()}")
        if request.vapid is None or not request.vapid.signature_valid:
            problems.append(f"no valid VAPID signature: {request.describe()}")
        elif vapid_key is not None and request.vapid.public_key != vapid_key:
            problems.append(f"signed with another key: {request.describe()}")
        seen = request.payload + request.body + request.path.encode()
        seen += "".join(request.headers.values()).encode()
        problems += [f"{text!r} in a push" for text in service.forbidden if text.encode() in seen]
    return problems


# -- "in session" -------------------------------------------------------------------------------
def test_in_session_for_minutes_or_until_a_time(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    assert in_session_until(owner, practice.owner_id) is None

    set_for = put(owner, "/me/status", {"minutes": 50})
    assert set_for.status_code == 200, set_for.text
    expected = clock.now() + timedelta(minutes=50)
    assert at(set_for.json()["in_session_until"]) == expected
    # Colleagues see it in the directory; nobody else is in session.
    assert in_session_until(dana, practice.owner_id) == expected
    assert in_session_until(dana, dana_id) is None

    # "until", given in another time zone, is the same instant.
    until = clock.now() + timedelta(hours=2)
    east = until.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    west = until.astimezone(timezone(timedelta(hours=-7))).isoformat()
    zulu = until.astimezone(UTC).isoformat().replace("+00:00", "Z")
    for given in (until.isoformat(), east, west, zulu):
        response = put(dana, "/me/status", {"until": given})
        assert response.status_code == 200, response.text
        assert at(response.json()["in_session_until"]) == until
        assert in_session_until(owner, dana_id) == until

    # Boundaries: exactly 8 hours is allowed, both ways.
    assert put(dana, "/me/status", {"minutes": 480}).status_code == 200
    eight_hours = (clock.now() + timedelta(hours=8)).isoformat()
    assert put(dana, "/me/status", {"until": eight_hours}).status_code == 200

    ended = owner.delete("/me/status")
    assert ended.status_code == 200, ended.text
    assert ended.json() == {"in_session_until": None}
    assert in_session_until(dana, practice.owner_id) is None
    # A status that ran out is no longer shown.
    assert in_session_until(owner, dana_id) is not None
    assert put(dana, "/me/status", {"minutes": 1}).status_code == 200
    clock.advance(timedelta(seconds=59))
    assert in_session_until(owner, dana_id) == clock.now() + timedelta(seconds=1)
    clock.advance(timedelta(seconds=1))
    assert in_session_until(owner, dana_id) is None


STATUS_REFUSALS: dict[str, Any] = {
    "both": lambda now: {"minutes": 30, "until": (now + timedelta(hours=1)).isoformat()},
    "neither": lambda now: {},
    "nulls": lambda now: {"minutes": None, "until": None},
    "past": lambda now: {"until": (now - timedelta(minutes=1)).isoformat()},
    "now": lambda now: {"until": now.isoformat()},
    "over-8-hours-until": lambda now: {"until": (now + timedelta(hours=8, seconds=1)).isoformat()},
    "over-8-hours-minutes": lambda now: {"minutes": 481},
    "zero-minutes": lambda now: {"minutes": 0},
    "negative-minutes": lambda now: {"minutes": -5},
    "no-time-zone": lambda now: {
        "until": (now + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    },
    "not-a-time": lambda now: {"until": "after lunch"},
    "text-minutes": lambda now: {"minutes": "fifty"},
    "unknown-field": lambda now: {"minutes": 30, "note": "with a client"},
}


@pytest.mark.parametrize("case", list(STATUS_REFUSALS))
def test_invalid_status_is_422_with_a_sentence(
    owner: Api, practice: PracticeHandle, clock: ManualClock, case: str
) -> None:
    response = put(owner, "/me/status", STATUS_REFUSALS[case](clock.now()))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:quietline:problem:invalid-input"
    assert is_a_sentence(body["detail"]), body["detail"]
    assert "with a client" not in response.text
    assert in_session_until(owner, practice.owner_id) is None


# -- live: sockets and pushes ---------------------------------------------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as client:
        yield client


class Team:
    """A practice on the live server: the owner and Dana (name with a marker), signed in
    through the API; Dana also on a phone that takes pushes."""

    def __init__(self, live: LiveServer, http: httpx.Client, practice: PracticeHandle) -> None:
        self.live = live
        self.http = http
        self.practice = practice
        self.owner = sign_in(http, practice.slug, practice.owner_email, device="owner desk")
        self.dana_name = f"Dana {marker('Name')}"
        self.dana_id = add_staff(self.owner, "dana@riverbend.test", "clinician", self.dana_name)
        self.dana = sign_in(http, practice.slug, "dana@riverbend.test", device="dana desk")
        self.phone = sign_in(http, practice.slug, "dana@riverbend.test", device="dana phone")
        key = self.owner.get("/push/vapid-key")
        assert key.status_code == 200, key.text
        self.vapid_key: str = key.json()["public_key"]

    @property
    def clock(self) -> ManualClock:
        clock = self.live.services.clock
        assert isinstance(clock, ManualClock)
        return clock

    def subscriptions(self, user_id: UUID) -> list[UUID]:
        return subscribed_sessions(self.live.services, self.practice.id, user_id)


@pytest.fixture
def team(live_server: LiveServer, http: httpx.Client, practice: PracticeHandle) -> Team:
    return Team(live_server, http, practice)


@pytest.fixture
def push(team: Team) -> Iterator[PushService]:
    """The stand-in. Whatever a test checked itself, every push it received must be generic."""
    with PushService() as service:
        service.forbid(team.dana_name, f"Owner of {team.practice.slug}", "dana@riverbend.test")
        yield service
        problems = push_problems(service, team.vapid_key)
    assert problems == []


def test_status_changes_reach_colleagues_sockets_only_in_the_practice(
    team: Team, http: httpx.Client
) -> None:
    elsewhere = make_practice(team.live.services, "elmwood")
    outsider = sign_in(http, elsewhere.slug, elsewhere.owner_email)
    ws_url = team.live.ws_url
    with Socket(ws_url, team.owner.token) as owner_ws, Socket(ws_url, outsider.token) as out_ws:
        response = put(team.dana, "/me/status", {"minutes": 25})
        assert response.status_code == 200, response.text
        until = at(response.json()["in_session_until"])
        changed = owner_ws.expect("status.changed")
        assert changed["user_id"] == str(team.dana_id)
        assert at(changed["in_session_until"]) == until
        assert set(changed) == {"type", "user_id", "in_session_until"}

        assert team.dana.delete("/me/status").status_code == 200
        ended = owner_ws.expect("status.changed")
        assert ended == {
            "type": "status.changed",
            "user_id": str(team.dana_id),
            "in_session_until": None,
        }

        out_ws.send({"type": "ping"})
        out_ws.expect("pong")
        assert out_ws.of_type("status.changed") == []
        assert [f for f in out_ws.drain(0.5) if f.get("type") == "status.changed"] == []


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc123",  # a real service, but not in this list
        "https://evil.example/push/abc123",
        "http://push.example.test/push/abc123",  # listed, but plain http off loopback
        "https://push.example.test.evil.example/push/abc123",
        "https://evilpush.example.test/push/abc123",
        "https://fcm.googleapis.com@evil.example/push/abc123",
        "https://user:pw@push.example.test/push/abc123",
        "ftp://127.0.0.1/push/abc123",
        "http://127.0.0.2/push/abc123",
        "http://[::1]/push/abc123",
        "not a url at all",
    ],
)
def test_push_endpoints_off_the_list_or_on_plain_http_are_refused(
    services: Services, practice: PracticeHandle, owner: Api, endpoint: str
) -> None:
    response = put(owner, "/me/push-subscription", {"endpoint": endpoint, "keys": KEYS})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:quietline:problem:invalid-input"
    assert is_a_sentence(body["detail"])
    assert "evil" not in response.text
    assert "abc123" not in response.text
    assert subscribed_sessions(services, practice.id, practice.owner_id) == []


def test_listed_push_endpoints_are_accepted(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    for endpoint in (
        "https://push.example.test/push/abc123",
        "https://a.push.example.test/push/abc123",
        "https://PUSH.example.test/push/abc123",
        "http://127.0.0.1:9/push/abc123",
    ):
        response = put(owner, "/me/push-subscription", {"endpoint": endpoint, "keys": KEYS})
        assert response.status_code == 204, (endpoint, response.text)
    # One subscription per device: each replaced the one before.
    assert subscribed_sessions(services, practice.id, practice.owner_id) == [owner.session_id]
    assert owner.delete("/me/push-subscription").status_code == 204
    assert subscribed_sessions(services, practice.id, practice.owner_id) == []


@pytest.mark.parametrize("push_hosts", [DEFAULT_PUSH_HOSTS], ids=["default-hosts"])
def test_by_default_only_the_big_push_services_are_allowed(
    owner: Api, services: Services, practice: PracticeHandle
) -> None:
    refused = put(
        owner, "/me/push-subscription", {"endpoint": "http://127.0.0.1:9/push/x", "keys": KEYS}
    )
    assert refused.status_code == 422, refused.text
    assert "QUIETLINE_PUSH_ENDPOINT_HOSTS" in refused.json()["detail"]
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/abc",
        "https://wns2-db5p.notify.windows.com/w/?token=abc",
    ):
        response = put(owner, "/me/push-subscription", {"endpoint": endpoint, "keys": KEYS})
        assert response.status_code == 204, (endpoint, response.text)
    assert owner.delete("/me/push-subscription").status_code == 204
    assert subscribed_sessions(services, practice.id, practice.owner_id) == []


def test_a_message_is_one_generic_push_to_the_recipient_and_none_to_the_sender(
    team: Team, push: PushService
) -> None:
    phone, owners = push.subscribe(), push.subscribe()
    subscribe(team.phone, phone)
    subscribe(team.owner, owners)
    title, text = marker("Title"), marker("Body")
    push.forbid(title, text)
    cid = create_group(team.owner, f"Case {title}", [team.dana_id])
    send_message(team.owner, cid, f"Patient {text} called back")

    (only,) = push.wait_for(1, phone)
    assert only.json() == {"title": "Quietline", "body": "New secure message", "count": 1}
    assert only.payload is not None
    assert set(json.loads(only.payload)) == {"title", "body", "count"}
    for secret in (title, text, team.dana_name, "Owner of riverbend", "Case"):
        assert secret.encode() not in only.payload
    assert only.method == "POST"
    assert only.vapid is not None
    assert only.vapid.signature_valid
    assert only.vapid.public_key == team.vapid_key
    assert only.vapid.claims["aud"] == push.origin
    assert push.quiet_for(QUIET) == []
    assert push.requests(owners) == [], "the sender was notified of their own message"
    assert len(push.requests()) == 1


def test_in_session_holds_routine_pushes_and_lets_urgent_ones_through(
    team: Team, push: PushService
) -> None:
    phone = push.subscribe()
    subscribe(team.phone, phone)
    cid = create_direct(team.owner, team.dana_id)
    assert put(team.dana, "/me/status", {"minutes": 50}).status_code == 200

    routine = [marker("Routine"), marker("Routine")]
    urgent = marker("Urgent")
    push.forbid(*routine, urgent)
    for text in routine:
        send_message(team.owner, cid, text)
    assert push.quiet_for(QUIET, phone) == [], "a routine push was not held"

    send_message(team.owner, cid, urgent, urgent=True)
    (first,) = push.wait_for(1, phone)
    assert first.json() == generic(1)
    assert push.quiet_for(QUIET, phone) == []

    assert team.dana.delete("/me/status").status_code == 200
    released = push.wait_for(2, phone)[1]
    assert released.json() == {"title": "Quietline", "body": "2 new secure messages", "count": 2}
    assert push.quiet_for(QUIET, phone) == [], "the held count was sent twice"

    # Out of session, a routine message is pushed at once.
    send_message(team.owner, cid, "after the session")
    assert push.wait_for(3, phone)[2].json() == generic(1)


def test_a_status_that_runs_out_releases_what_was_held(team: Team, push: PushService) -> None:
    phone = push.subscribe()
    subscribe(team.phone, phone)
    cid = create_direct(team.owner, team.dana_id)
    assert put(team.dana, "/me/status", {"minutes": 1}).status_code == 200
    with Socket(team.live.ws_url, team.owner.token) as owner_ws:
        for n in range(3):
            send_message(team.owner, cid, f"routine {n}")
        assert push.quiet_for(QUIET, phone) == []
        team.clock.advance(timedelta(seconds=59))
        assert push.quiet_for(QUIET, phone) == [], "released before the status ran out"

        team.clock.advance(timedelta(seconds=2))
        (released,) = push.wait_for(1, phone)
        assert released.json() == generic(3)
        ended = owner_ws.expect("status.changed", match=lambda f: f["in_session_until"] is None)
        assert ended["user_id"] == str(team.dana_id)
        assert push.quiet_for(QUIET, phone) == [], "the held count was sent twice"
    assert in_session_until(team.owner, team.dana_id) is None


def test_revoking_a_device_deletes_its_push_subscription(team: Team, push: PushService) -> None:
    phone = push.subscribe()
    subscribe(team.phone, phone)
    cid = create_direct(team.owner, team.dana_id)
    send_message(team.owner, cid, "first")
    push.wait_for(1, phone)

    assert team.dana.delete(f"/devices/{team.phone.session_id}").status_code == 204
    assert team.subscriptions(team.dana_id) == []
    send_message(team.owner, cid, "after the phone was lost")
    assert push.quiet_for(QUIET, phone) == [], "a revoked device was notified"
    assert len(push.requests(phone)) == 1


def test_a_new_subscription_replaces_the_devices_old_one_and_delete_removes_it(
    team: Team, push: PushService
) -> None:
    old, new = push.subscribe(), push.subscribe()
    subscribe(team.phone, old)
    subscribe(team.phone, new)
    assert team.subscriptions(team.dana_id) == [team.phone.session_id]
    cid = create_direct(team.owner, team.dana_id)
    send_message(team.owner, cid, "one")
    push.wait_for(1, new)
    assert push.quiet_for(QUIET) == []
    assert push.requests(old) == []

    assert team.phone.delete("/me/push-subscription").status_code == 204
    assert team.subscriptions(team.dana_id) == []
    send_message(team.owner, cid, "two")
    assert push.quiet_for(QUIET) == []


class StatusService:
    """A push service that answers every request with one status (410 Gone, 404, 500...)."""

    def __init__(self, status: int) -> None:
        self.hits = 0
        self._condition = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(min(length, 65536))
                with outer._condition:
                    outer.hits += 1
                    outer._condition.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PUT = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for_hits(self, count: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.hits < count and (remaining := deadline - time.monotonic()) > 0:
                self._condition.wait(remaining)
            return self.hits

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.mark.parametrize(("status", "deleted"), [(410, True), (404, True), (500, False)])
def test_a_subscription_the_push_service_calls_gone_is_deleted(
    team: Team, push: PushService, status: int, deleted: bool
) -> None:
    service = StatusService(status)
    try:
        keys = push.subscribe()  # real keys, an endpoint on the other service
        subscribe(team.phone, {**keys.as_json(), "endpoint": f"{service.origin}/push/x"})
        cid = create_direct(team.owner, team.dana_id)
        send_message(team.owner, cid, "one")
        assert service.wait_for_hits(1) == 1

        deadline = time.monotonic() + 5
        while team.subscriptions(team.dana_id) and deleted and time.monotonic() < deadline:
            time.sleep(0.05)
        expected = [] if deleted else [team.phone.session_id]
        assert team.subscriptions(team.dana_id) == expected

        send_message(team.owner, cid, "two")
        assert service.wait_for_hits(2, timeout=QUIET + 0.5) == (1 if deleted else 2)
    finally:
        service.close()
