"""The staff web app's session at the API level (no browser): the HttpOnly cookie and its CSRF
token, cookie sign-out and revocation, the app lock (explicit, by the server's own idle count,
PIN and password unlock, five wrong tries), the browser-style WebSocket, and the passkey
endpoints (with a small software authenticator, so that refusals are shown next to a
credential the server does accept).

See docs/web-app.md. Real browsers are driven in tests/browser/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from webauthn.helpers.encode_cbor import encode_cbor
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from quietline.actions.app_lock import do_unlock
from quietline.actions.auth import authenticate
from quietline.app import Services, create_app
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.domain.models import DeviceSession
from quietline.storage.unit import Unit
from tests.conftest import PASSWORD, Api, LiveServer, PracticeHandle, add_staff, sign_in
from tests.live_support import create_direct, history, send_message

ORIGIN = "http://testserver"  # the TestClient's own origin
EVIL = "https://evil.example"
PIN = "2580"
LOCKED = 4423
SESSION_ENDED = 4401
Headers = dict[str, str]


# -- settings: plain loopback HTTP, or behind a TLS proxy --------------------------------------
@pytest.fixture
def tls_proxy() -> bool:
    """Parametrise with True for a server that says a TLS proxy is in front of it."""
    return False


@pytest.fixture
def settings(settings: Settings, tls_proxy: bool) -> Settings:
    if not tls_proxy:
        return settings
    return Settings(**{**settings.model_dump(), "behind_tls_proxy": True})


# -- the web app's side of a session ------------------------------------------------------------
@dataclass(frozen=True)
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-case names; flags map to ""


def set_cookies(response: Any) -> list[SetCookie]:
    found = []
    for raw in response.headers.get_list("set-cookie"):
        first, *rest = (part.strip() for part in raw.split(";"))
        name, _, value = first.partition("=")
        attributes = {}
        for part in rest:
            key, _, val = part.partition("=")
            attributes[key.strip().lower()] = val.strip()
        found.append(SetCookie(name.strip(), value.strip(), attributes))
    return found


@dataclass
class Web:
    """One browser's session: the cookie (sent by hand, as the browser would) and the CSRF
    token the page reads from the sign-in answer."""

    client: Any  # TestClient or httpx.Client
    origin: str
    cookie_name: str
    token: str
    csrf: str
    session_id: UUID
    user_id: UUID

    @property
    def cookie(self) -> Headers:
        return {"cookie": f"{self.cookie_name}={self.token}"}

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        csrf: bool = True,
        headers: Headers | None = None,
        **kw: Any,
    ) -> Any:
        """A same-origin fetch from the app's page: cookie, Origin and X-CSRF-Token (unless
        ``csrf`` is False); ``headers`` add to or replace those."""
        sent = dict(self.cookie)
        if csrf:
            sent |= {"origin": self.origin, "x-csrf-token": self.csrf}
        sent |= headers or {}
        if json is not None:
            kw["json"] = json
        return self.client.request(method, f"/api/v1{path}", headers=sent, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def locked(self) -> bool:
        response = self.get("/web/session")
        assert response.status_code == 200, response.text
        value: bool = response.json()["locked"]
        return value


def web_sign_in_response(
    client: Any,
    practice: str,
    email: str,
    *,
    origin: str | None = ORIGIN,
    headers: Headers | None = None,
    password: str = PASSWORD,
    device: str = "browser",
    **extra: Any,
) -> Any:
    sent = {"origin": origin} if origin else {}
    sent |= headers or {}
    response = client.post(
        "/api/v1/web/sign-in",
        json={
            "practice": practice,
            "email": email,
            "password": password,
            "device_name": device,
            **extra,
        },
        headers=sent,
    )
    client.cookies.clear()  # every request states its cookie itself
    return response


def web_from(client: Any, response: Any, origin: str) -> Web:
    assert response.status_code == 200, response.text
    (cookie,) = set_cookies(response)
    body = response.json()
    return Web(
        client,
        origin,
        cookie.name,
        cookie.value,
        body["csrf_token"],
        UUID(body["session_id"]),
        UUID(body["user"]["id"]),
    )


def web_sign_in(client: Any, practice: str, email: str, *, origin: str = ORIGIN, **kw: Any) -> Web:
    response = web_sign_in_response(client, practice, email, origin=origin, **kw)
    return web_from(client, response, origin)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:quietline:problem:{code}", body
    assert body["status"] == status
    return body


def is_a_sentence(text: str) -> bool:
    return len(text) > 15 and text[0].isupper() and text.rstrip().endswith((".", "!", "?"))


def clears_site(response: Any, cookie_name: str = "quietline") -> list[str]:
    """What is missing for ``response`` to drop the cookie and the site's stored data."""
    missing = []
    site = response.headers.get("clear-site-data", "")
    if '"storage"' not in site or '"cache"' not in site:
        missing.append(f"Clear-Site-Data is {site!r}")
    dropped = [
        c
        for c in set_cookies(response)
        if c.name == cookie_name and c.value == "" and c.attributes.get("max-age") == "0"
    ]
    if not dropped:
        missing.append(
            f"no Set-Cookie dropping {cookie_name}: {response.headers.get_list('set-cookie')}"
        )
    return missing


def put(api: Api, path: str, json: Any) -> Any:
    return api.client.put(f"/api/v1{path}", json=json, headers=api.headers)


def session_row(services: Services, practice: PracticeHandle, session_id: UUID) -> DeviceSession:
    row = services.db.read_sync(lambda unit: unit.sessions.get(practice.id, session_id))
    assert row is not None
    return row


@pytest.fixture
def web(client: TestClient, practice: PracticeHandle) -> Web:
    """The practice owner in the web app (a session of its own, next to ``owner``)."""
    return web_sign_in(client, practice.slug, practice.owner_email)


@pytest.fixture
def dana_id(owner: Api) -> UUID:
    return add_staff(owner, "dana@riverbend.test", "clinician", "Dana")


# -- sign-in and the cookie ---------------------------------------------------------------------
def test_web_sign_in_sets_an_http_only_strict_cookie_and_never_returns_the_token(
    client: TestClient, practice: PracticeHandle
) -> None:
    response = web_sign_in_response(client, practice.slug, practice.owner_email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "session_id",
        "user",
        "practice_id",
        "practice_name",
        "restricted",
        "policy",
        "csrf_token",
    }
    (cookie,) = set_cookies(response)
    assert cookie.name == "quietline"
    assert len(cookie.value) >= 32
    assert cookie.attributes == {"path": "/", "httponly": "", "samesite": "Strict"}
    # The token is in the cookie only: not in the body, not in any other header.
    assert cookie.value not in response.text
    assert cookie.value[8:40] not in response.text
    others = [v for k, v in response.headers.multi_items() if k.lower() != "set-cookie"]
    assert all(cookie.value not in v for v in others)

    web = web_from(client, response, ORIGIN)
    me = web.get("/me")
    assert me.status_code == 200, me.text
    assert me.json()["session_id"] == body["session_id"]
    session = web.get("/web/session")
    assert session.status_code == 200, session.text
    assert session.json()["csrf_token"] == body["csrf_token"]
    assert session.json()["locked"] is False
    assert session.json()["me"]["session_id"] == body["session_id"]
    assert session.json()["me"]["user"]["email"] == practice.owner_email

    # No cookie, or the TLS name on plain HTTP: no session.
    problem(client.get("/api/v1/web/session"), 401, "unauthenticated")
    tls_named = client.get(
        "/api/v1/web/session", headers={"cookie": f"__Host-quietline={web.token}"}
    )
    problem(tls_named, 401, "unauthenticated")


@pytest.mark.parametrize("tls_proxy", [True], ids=["behind-tls-proxy"])
def test_behind_a_tls_proxy_the_cookie_is_host_prefixed_and_secure(
    services: Services, practice: PracticeHandle
) -> None:
    with TestClient(create_app(services), base_url="https://testserver") as https:
        origin = "https://testserver"
        response = web_sign_in_response(https, practice.slug, practice.owner_email, origin=origin)
        assert response.status_code == 200, response.text
        (cookie,) = set_cookies(response)
        assert cookie.name == "__Host-quietline"
        assert cookie.attributes == {
            "path": "/",
            "httponly": "",
            "samesite": "Strict",
            "secure": "",
        }
        assert cookie.value not in response.text
        web = web_from(https, response, origin)
        assert web.get("/web/session").status_code == 200
        # The plain name is not read on TLS.
        plain = https.get("/api/v1/web/session", headers={"cookie": f"quietline={web.token}"})
        problem(plain, 401, "unauthenticated")

        out = web.post("/auth/sign-out")
        assert out.status_code == 204, out.text
        assert clears_site(out, "__Host-quietline") == []
        (dropped,) = set_cookies(out)
        assert "secure" in dropped.attributes
        problem(web.get("/web/session"), 401, "unauthenticated")


def test_web_sign_in_from_another_site_is_refused(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    before = len(owner.get("/me/devices").json())
    for headers in (
        {"origin": EVIL},
        {"origin": "null"},
        {"origin": "http://testserver.evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"origin": ORIGIN, "sec-fetch-site": "cross-site"},
    ):
        response = web_sign_in_response(
            client, practice.slug, practice.owner_email, origin=None, headers=headers
        )
        problem(response, 403, "csrf")
        assert set_cookies(response) == [], headers
    assert len(owner.get("/me/devices").json()) == before, "a refused sign-in opened a session"
    # The same from the app itself works.
    web_sign_in(client, practice.slug, practice.owner_email)
    assert len(owner.get("/me/devices").json()) == before + 1


# -- CSRF -----------------------------------------------------------------------------------------
CSRF_REFUSALS: dict[str, Callable[[Web, Web], Headers]] = {
    "no-token": lambda w, o: {"origin": w.origin},
    "empty-token": lambda w, o: {"origin": w.origin, "x-csrf-token": ""},
    "wrong-token": lambda w, o: {"origin": w.origin, "x-csrf-token": "A" * len(w.csrf)},
    "other-sessions-token": lambda w, o: {"origin": w.origin, "x-csrf-token": o.csrf},
    "foreign-origin": lambda w, o: {"origin": EVIL, "x-csrf-token": w.csrf},
    "null-origin": lambda w, o: {"origin": "null", "x-csrf-token": w.csrf},
    "lookalike-origin": lambda w, o: {
        "origin": "http://testserver.evil.example",
        "x-csrf-token": w.csrf,
    },
    "cross-site": lambda w, o: {"sec-fetch-site": "cross-site", "x-csrf-token": w.csrf},
    "same-site": lambda w, o: {"sec-fetch-site": "same-site", "x-csrf-token": w.csrf},
    "cross-site-with-own-origin": lambda w, o: {
        "origin": w.origin,
        "sec-fetch-site": "cross-site",
        "x-csrf-token": w.csrf,
    },
}


@pytest.mark.parametrize("case", list(CSRF_REFUSALS))
def test_cookie_writes_without_the_csrf_token_or_from_another_site_are_refused(
    client: TestClient, practice: PracticeHandle, owner: Api, web: Web, dana_id: UUID, case: str
) -> None:
    other = web_sign_in(client, practice.slug, practice.owner_email, device="second browser")
    cid = create_direct(owner, dana_id)
    headers = CSRF_REFUSALS[case](web, other)
    body = {"body": "hello", "idempotency_key": str(uuid.uuid4())}
    refused = web.post(f"/conversations/{cid}/messages", body, csrf=False, headers=headers)
    detail = problem(refused, 403, "csrf")["detail"]
    assert is_a_sentence(detail)
    assert history(owner, cid) == [], "a refused write was carried out"
    # Control: the same request as the app sends it goes through.
    sent = web.post(f"/conversations/{cid}/messages", body)
    assert sent.status_code == 201, sent.text


def test_same_origin_cookie_writes_with_the_token_are_accepted(
    owner: Api, web: Web, dana_id: UUID
) -> None:
    cid = create_direct(owner, dana_id)
    cases: list[Headers] = [
        {"origin": ORIGIN, "x-csrf-token": web.csrf},
        {"origin": ORIGIN, "sec-fetch-site": "same-origin", "x-csrf-token": web.csrf},
        {"sec-fetch-site": "none", "x-csrf-token": web.csrf},
        {"x-csrf-token": web.csrf},  # no Origin, no Fetch Metadata: the token decides
    ]
    for headers in cases:
        response = web.post(
            f"/conversations/{cid}/messages",
            {"body": "hi", "idempotency_key": str(uuid.uuid4())},
            csrf=False,
            headers=headers,
        )
        assert response.status_code == 201, (headers, response.text)
    assert len(history(owner, cid)) == len(cases)


def test_every_kind_of_cookie_write_needs_the_token(
    client: TestClient, practice: PracticeHandle, owner: Api, web: Web, dana_id: UUID
) -> None:
    cid = create_direct(owner, dana_id)
    other = web_sign_in(client, practice.slug, practice.owner_email, device="second browser")
    writes: list[tuple[str, str, Any]] = [
        ("POST", f"/conversations/{cid}/messages", {"body": "x", "idempotency_key": "key-0001"}),
        ("POST", "/conversations", {"kind": "group", "title": "Team"}),
        ("POST", f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 0}),
        ("PUT", "/me/status", {"minutes": 30}),
        ("DELETE", "/me/status", None),
        ("PUT", "/me/pin", {"pin": PIN, "password": PASSWORD}),
        ("PATCH", "/practice/policy", {"app_lock_minutes": 1}),
        ("PUT", "/practice/quick-replies", {"replies": ["changed"]}),
        ("DELETE", f"/devices/{other.session_id}", None),
        ("POST", "/me/passkey-options", None),
        ("POST", "/web/lock", None),
        ("POST", "/web/unlock", {"password": PASSWORD}),
        ("POST", "/auth/sign-out", None),
    ]
    wrong = []
    for method, path, body in writes:
        response = web.request(method, path, body, csrf=False, headers={"origin": ORIGIN})
        if response.status_code != 403 or response.json().get("type") != (
            "urn:quietline:problem:csrf"
        ):
            wrong.append(f"{method} {path}: {response.status_code} {response.text}")
    assert wrong == []
    # Nothing happened: no message or channel, no status, no policy change, both sessions
    # alive and unlocked.
    assert history(owner, cid) == []
    assert [c["kind"] for c in owner.get("/conversations").json()] == ["direct"]
    assert owner.get("/practice/policy").json()["app_lock_minutes"] == 5
    directory = {u["id"]: u for u in owner.get("/users").json()}
    assert directory[str(practice.owner_id)]["in_session_until"] is None
    assert web.locked() is False
    assert other.locked() is False
    # Reads need no token.
    assert web.get("/conversations", csrf=False).status_code == 200


def test_bearer_clients_need_no_csrf_token(owner: Api, dana_id: UUID) -> None:
    cid = create_direct(owner, dana_id)
    sent = send_message(owner, cid, "from an API client")
    assert sent["body"] == "from an API client"
    assert put(owner, "/me/status", {"minutes": 10}).status_code == 200
    assert owner.delete("/me/status").status_code == 200
    # Even with a browser-ish header: a bearer token cannot ride along cross-site.
    response = owner.client.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"body": "again", "idempotency_key": str(uuid.uuid4())},
        headers={**owner.headers, "origin": EVIL, "sec-fetch-site": "cross-site"},
    )
    assert response.status_code == 201, response.text


# -- sign-out and ended sessions ------------------------------------------------------------------
def test_sign_out_clears_the_cookie_and_the_site_data(
    client: TestClient, practice: PracticeHandle, owner: Api, web: Web
) -> None:
    out = web.post("/auth/sign-out")
    assert out.status_code == 204, out.text
    assert clears_site(out) == []
    (dropped,) = set_cookies(out)
    assert dropped.attributes.get("path") == "/"
    assert "httponly" in dropped.attributes
    problem(web.get("/web/session"), 401, "unauthenticated")
    assert web.session_id not in {UUID(d["id"]) for d in owner.get("/me/devices").json()}
    # An API client's sign-out has nothing to clear in a browser.
    api = sign_in(client, practice.slug, practice.owner_email, device="cli")
    api_out = api.post("/auth/sign-out")
    assert api_out.status_code == 204
    assert "clear-site-data" not in api_out.headers
    assert set_cookies(api_out) == []


def test_a_revoked_sessions_cookie_gets_401_and_clear_site_data(
    owner: Api, web: Web, dana_id: UUID
) -> None:
    cid = create_direct(owner, dana_id)
    send_message(owner, cid, "before the revocation")
    assert owner.delete(f"/devices/{web.session_id}").status_code == 204
    probes: list[tuple[str, str, Any]] = [
        ("GET", "/me", None),
        ("GET", "/web/session", None),
        ("GET", "/conversations", None),
        ("GET", f"/conversations/{cid}", None),
        ("GET", f"/conversations/{cid}/messages", None),
        ("GET", f"/conversations/{cid}/receipts", None),
        ("POST", f"/conversations/{cid}/messages", {"body": "x", "idempotency_key": "key-0002"}),
        ("POST", f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 1}),
        ("GET", "/users", None),
        ("PUT", "/me/status", {"minutes": 5}),
        ("POST", "/web/lock", None),
        ("POST", "/web/unlock", {"password": PASSWORD}),
        ("POST", "/auth/sign-out", None),
    ]
    wrong = []
    for method, path, body in probes:
        response = web.request(method, path, body)
        if response.status_code != 401:
            wrong.append(f"{method} {path}: {response.status_code} {response.text}")
        elif missing := clears_site(response):
            wrong.append(f"{method} {path}: {missing}")
    assert wrong == []


# -- the app lock -----------------------------------------------------------------------------
def content_routes(cid: str) -> list[tuple[str, str, Any]]:
    return [
        ("GET", "/me", None),
        ("GET", "/me/devices", None),
        ("GET", "/users", None),
        ("GET", "/conversations", None),
        ("GET", f"/conversations/{cid}", None),
        ("GET", f"/conversations/{cid}/messages", None),
        ("GET", f"/conversations/{cid}/receipts", None),
        ("POST", f"/conversations/{cid}/messages", {"body": "x", "idempotency_key": "key-0003"}),
        ("POST", f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 1}),
        ("POST", "/conversations", {"kind": "group", "title": "While locked"}),
        ("POST", "/search", {"query": "secret"}),
        ("GET", "/practice/quick-replies", None),
        ("GET", "/practice/policy", None),
        ("PUT", "/me/status", {"minutes": 5}),
        ("PUT", "/me/pin", {"pin": PIN, "password": PASSWORD}),
        ("GET", "/me/passkeys", None),
        ("POST", "/me/passkey-options", None),
        ("GET", "/audit", None),
    ]


def locked_out(web: Web, cid: str) -> list[str]:
    """The content routes that did not answer 423 app-locked."""
    wrong = []
    for method, path, body in content_routes(cid):
        response = web.request(method, path, body)
        if response.status_code != 423 or response.json().get("type") != (
            "urn:quietline:problem:app-locked"
        ):
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return wrong


def test_a_locked_app_answers_423_everywhere_but_session_unlock_and_sign_out(
    owner: Api, web: Web, dana_id: UUID
) -> None:
    cid = create_direct(owner, dana_id)
    send_message(owner, cid, "a message")
    assert web.get("/conversations").status_code == 200
    locked = web.post("/web/lock")
    assert locked.status_code == 204, locked.text
    assert locked_out(web, cid) == []
    session = web.get("/web/session")
    assert session.status_code == 200
    assert session.json()["locked"] is True
    assert session.json()["csrf_token"] == web.csrf
    assert "body" not in session.text
    # Locking again is harmless; other devices of the same person are not locked.
    assert web.post("/web/lock").status_code == 204
    assert owner.get("/conversations").status_code == 200
    # Unlocked with the password, everything works again.
    unlocked = web.post("/web/unlock", {"password": PASSWORD})
    assert unlocked.status_code == 204, unlocked.text
    assert web.locked() is False
    assert web.get(f"/conversations/{cid}/messages").status_code == 200


def test_sign_out_works_while_locked(web: Web, owner: Api) -> None:
    assert web.post("/web/lock").status_code == 204
    out = web.post("/auth/sign-out")
    assert out.status_code == 204, out.text
    assert clears_site(out) == []
    problem(web.get("/web/session"), 401, "unauthenticated")
    assert web.session_id not in {UUID(d["id"]) for d in owner.get("/me/devices").json()}


def test_the_server_locks_a_web_session_after_app_lock_minutes_without_use(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock, dana_id: UUID
) -> None:
    assert owner.patch("/practice/policy", {"app_lock_minutes": 3}).status_code == 200
    cid = create_direct(owner, dana_id)
    web = web_sign_in(client, practice.slug, practice.owner_email)
    api = sign_in(client, practice.slug, practice.owner_email, device="api client")
    # Use within the limit keeps it open.
    for _ in range(3):
        clock.advance(timedelta(minutes=2, seconds=59))
        assert web.get("/conversations").status_code == 200
        assert api.get("/me").status_code == 200
    clock.advance(timedelta(minutes=3))
    assert web.locked() is True
    assert locked_out(web, cid) == []
    # An API (bearer) session is never app-locked, only idle-limited (30 minutes here)...
    clock.advance(timedelta(minutes=20))
    assert api.get("/conversations").status_code == 200
    problem(api.post("/web/lock"), 422, "invalid-input")
    assert api.get("/me").status_code == 200
    # ...while the web session stays locked; looking at the lock screen is not use.
    assert web.locked() is True
    unlocked = web.post("/web/unlock", {"password": PASSWORD})
    assert unlocked.status_code == 204, unlocked.text
    assert web.get("/conversations").status_code == 200


def test_a_locked_session_is_not_kept_alive_and_ends_at_the_idle_limit(
    web: Web, clock: ManualClock
) -> None:
    assert web.post("/web/lock").status_code == 204
    for _ in range(5):
        clock.advance(timedelta(minutes=5))
        assert web.locked() is True
    clock.advance(timedelta(minutes=5))  # 30 minutes since the last use
    ended = web.get("/web/session")
    problem(ended, 401, "unauthenticated")
    assert clears_site(ended) == []


def test_the_pin_needs_the_password_and_refuses_weak_pins(web: Web) -> None:
    problem(web.put("/me/pin", {"pin": PIN, "password": "not my password"}), 403, "forbidden")
    for weak in ("1111", "0000", "1234", "4321", "9876", "3456789", "123456789012"):
        refused = web.put("/me/pin", {"pin": weak, "password": PASSWORD})
        body = problem(refused, 422, "invalid-input")
        assert is_a_sentence(body["detail"]), body
    for malformed in ("123", "12a4", "1234567890123", "", "٢٥٨٠"):
        problem(web.put("/me/pin", {"pin": malformed, "password": PASSWORD}), 422, "invalid-input")
    # No PIN was stored by any of these.
    assert web.post("/web/lock").status_code == 204
    problem(web.post("/web/unlock", {"pin": "1111"}), 422, "invalid-input")
    assert web.post("/web/unlock", {"password": PASSWORD}).status_code == 204

    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    assert web.post("/web/lock").status_code == 204
    unlocked = web.post("/web/unlock", {"pin": PIN})
    assert unlocked.status_code == 204, unlocked.text
    assert web.locked() is False
    # Removing it: the PIN no longer unlocks.
    assert web.delete("/me/pin").status_code == 204
    assert web.post("/web/lock").status_code == 204
    problem(web.post("/web/unlock", {"pin": PIN}), 422, "invalid-input")


def test_unlock_takes_exactly_one_method(web: Web) -> None:
    assert web.post("/web/lock").status_code == 204
    for body in ({}, {"pin": PIN, "password": PASSWORD}, {"password": PASSWORD, "passkey": {}}):
        problem(web.post("/web/unlock", body), 422, "invalid-input")
    assert web.locked() is True


def test_wrong_unlock_tries_count_down_and_the_fifth_signs_the_device_out(
    web: Web, owner: Api
) -> None:
    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    assert web.post("/web/lock").status_code == 204
    wrong = [{"pin": "9517"}, {"password": "wrong one"}, {"pin": "0852"}, {"password": "nope"}]
    for left, body in zip((4, 3, 2, 1), wrong, strict=True):
        refused = web.post("/web/unlock", body)
        details = problem(refused, 401, "unauthenticated")
        assert details["tries_left"] == left
        tries = "1 more try" if left == 1 else f"{left} more tries"
        assert tries in details["detail"]
        assert "clear-site-data" not in refused.headers, "a wrong try must not sign out yet"
        assert web.locked() is True
    last = web.post("/web/unlock", {"pin": "7531"})
    details = problem(last, 401, "unauthenticated")
    assert "signed out" in details["detail"]
    assert clears_site(last) == []
    # The device is signed out, as if revoked: the right PIN does nothing now.
    problem(web.get("/web/session"), 401, "unauthenticated")
    problem(web.post("/web/unlock", {"pin": PIN}), 401, "unauthenticated")
    problem(web.get("/me"), 401, "unauthenticated")
    assert web.session_id not in {UUID(d["id"]) for d in owner.get("/me/devices").json()}
    assert owner.get("/me").status_code == 200  # other devices carry on


def test_a_successful_unlock_resets_the_count(web: Web) -> None:
    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    assert web.post("/web/lock").status_code == 204
    for _ in range(3):
        problem(web.post("/web/unlock", {"pin": "9517"}), 401, "unauthenticated")
    assert web.post("/web/unlock", {"pin": PIN}).status_code == 204
    assert web.post("/web/lock").status_code == 204
    for left in (4, 3, 2, 1):
        refused = web.post("/web/unlock", {"pin": "9517"})
        assert problem(refused, 401, "unauthenticated")["tries_left"] == left
    assert web.post("/web/unlock", {"pin": PIN}).status_code == 204
    assert web.locked() is False


def test_unlock_checks_the_pin_off_the_writer_thread(
    web: Web, password_check_threads: list[str]
) -> None:
    """The PIN or password is checked on a worker thread (argon2id in the single writer would
    hold up every queued send); tries are still counted in order, in the write."""
    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    threads = password_check_threads
    threads.clear()  # setting the PIN checks the password in its write (rare; decision 0003)
    assert web.post("/web/lock").status_code == 204
    assert (
        problem(web.post("/web/unlock", {"pin": "9517"}), 401, "unauthenticated")["tries_left"] == 4
    )
    assert web.post("/web/unlock", {"password": PASSWORD}).status_code == 204
    assert len(threads) == 2
    assert not [name for name in threads if name.startswith("quietline-writer")]


def test_an_unlock_verdict_for_another_hash_is_checked_again(web: Web, services: Services) -> None:
    """A PIN changed between the early check and the write: the write checks it again."""
    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    assert web.post("/web/lock").status_code == 204

    def unlock(checked: tuple[str, bool]) -> object:
        def run(unit: Unit) -> object:
            actor = authenticate(unit, web.token, allow_locked=True).actor
            return do_unlock(unit, services.passwords, actor, pin=PIN, checked=checked)

        return services.db.write_sync(run)

    assert unlock(("$argon2id$not-the-stored-hash", False)) is None  # checked again: right
    assert web.locked() is False


# -- live server: concurrency and the WebSocket -----------------------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as client:
        yield client


@dataclass
class LiveTeam:
    live: LiveServer
    http: httpx.Client
    practice: PracticeHandle
    owner: Api  # bearer
    dana: Api  # bearer
    web: Web  # the owner in the web app

    def web_session(self, device: str = "another browser") -> Web:
        return web_sign_in(
            self.http,
            self.practice.slug,
            self.practice.owner_email,
            origin=self.live.url,
            device=device,
        )


@pytest.fixture
def team(live_server: LiveServer, http: httpx.Client, practice: PracticeHandle) -> LiveTeam:
    owner = sign_in(http, practice.slug, practice.owner_email, device="owner api")
    add_staff(owner, "dana@riverbend.test", "clinician", "Dana")
    dana = sign_in(http, practice.slug, "dana@riverbend.test", device="dana api")
    web = web_sign_in(http, practice.slug, practice.owner_email, origin=live_server.url)
    return LiveTeam(live_server, http, practice, owner, dana, web)


def test_concurrent_wrong_tries_cannot_go_past_the_limit(team: LiveTeam) -> None:
    """Five wrong tries in all, however they are timed: a burst of parallel guesses must not
    each be counted against a stale count (that would allow any number of PIN guesses)."""
    web = team.web
    assert web.put("/me/pin", {"pin": PIN, "password": PASSWORD}).status_code == 204
    assert web.post("/web/lock").status_code == 204
    guesses = [f"{n:04d}" for n in range(3000, 3016)]
    barrier = threading.Barrier(len(guesses), timeout=10)

    def guess(pin: str) -> tuple[int, dict[str, Any]]:
        with httpx.Client(base_url=team.live.url, trust_env=False, timeout=20) as own:
            barrier.wait()
            response = own.post(
                "/api/v1/web/unlock",
                json={"pin": pin},
                headers={**web.cookie, "origin": web.origin, "x-csrf-token": web.csrf},
            )
            return response.status_code, response.json()

    with ThreadPoolExecutor(len(guesses)) as pool:
        results = list(pool.map(guess, guesses))
    assert {status for status, _ in results} == {401}, results
    counted = [body for _, body in results if body.get("tries_left", 0) > 0]
    assert len(counted) <= 4, f"{len(counted)} wrong tries were answered as 'tries left'"
    problem(web.get("/web/session"), 401, "unauthenticated")
    problem(web.post("/web/unlock", {"pin": PIN}), 401, "unauthenticated")


def web_socket(live: LiveServer, web: Web | None, origin: str | None = "own") -> ClientConnection:
    """A socket opened as a page of ``origin`` would open it (the cookie of ``web`` sent with
    the handshake)."""
    headers = web.cookie if web is not None else {}
    sent_origin = live.url if origin == "own" else origin
    return connect(
        live.ws_url,
        origin=Origin(sent_origin) if sent_origin else None,
        additional_headers=headers,
        proxy=None,
        open_timeout=5,
        close_timeout=2,
        legacy=True,
    )


def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return frame


def wait_closed(ws: ClientConnection, timeout: float = 5.0) -> tuple[list[dict[str, Any]], int]:
    """Frames received until the server closed the socket, and the close code."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"socket still open after {timeout}s; frames: {frames}")
        try:
            frames.append(receive(ws, remaining))
        except TimeoutError:
            continue
        except ConnectionClosed as closed:
            close = closed.rcvd
            break
    assert close is not None, "closed without a close frame"
    return frames, close.code


def still_open(ws: ClientConnection) -> bool:
    ws.send(json.dumps({"type": "ping"}))
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            if receive(ws, max(deadline - time.monotonic(), 0.01))["type"] == "pong":
                return True
    except (ConnectionClosed, TimeoutError):
        return False
    return False


def open_web_socket(live: LiveServer, web: Web) -> ClientConnection:
    ws = web_socket(live, web)
    ws.send(json.dumps({"type": "auth"}))
    ready = receive(ws)
    assert ready["type"] == "ready", ready
    assert ready["session_id"] == str(web.session_id)
    return ws


def test_a_browser_style_socket_signs_in_with_the_cookie(team: LiveTeam) -> None:
    cid = create_direct(team.dana, team.web.user_id)
    with open_web_socket(team.live, team.web) as ws:
        sent = send_message(team.dana, cid, "for the web app")
        deadline = time.monotonic() + 5
        frame = receive(ws)
        while frame["type"] != "message.created" and time.monotonic() < deadline:
            frame = receive(ws, max(deadline - time.monotonic(), 0.01))
        assert frame["type"] == "message.created"
        assert frame["message"]["id"] == sent["id"]
        assert frame["message"]["body"] == "for the web app"


def test_a_socket_from_another_sites_page_is_refused_even_with_the_cookie(
    team: LiveTeam,
) -> None:
    for origin in (EVIL, "null", team.live.url + ".evil.example"):
        with pytest.raises(InvalidStatus) as refused:
            web_socket(team.live, team.web, origin=origin)
        assert refused.value.response.status_code == 403, origin


def test_the_cookie_alone_does_not_open_a_socket_without_an_origin(team: LiveTeam) -> None:
    """A client that sends no Origin is not a browser page; it must send its token."""
    with web_socket(team.live, team.web, origin=None) as ws:
        ws.send(json.dumps({"type": "auth"}))
        frames, code = wait_closed(ws)
    assert code == SESSION_ENDED
    assert all(f.get("type") != "ready" for f in frames)
    # Own Origin but no cookie: nothing to sign in with either.
    with web_socket(team.live, None) as ws:
        ws.send(json.dumps({"type": "auth"}))
        frames, code = wait_closed(ws)
    assert code == SESSION_ENDED
    assert all(f.get("type") != "ready" for f in frames)


def test_locking_closes_the_web_socket_with_4423(team: LiveTeam) -> None:
    api_ws = web_socket(team.live, None)
    with open_web_socket(team.live, team.web) as ws, api_ws:
        api_ws.send(json.dumps({"type": "auth", "token": team.owner.token}))
        assert receive(api_ws)["type"] == "ready"
        assert team.web.post("/web/lock").status_code == 204
        frames, code = wait_closed(ws)
        assert code == LOCKED
        assert frames[-1] == {"type": "session.locked"}
        assert all(f["type"] != "message.created" for f in frames)
        assert still_open(api_ws), "the lock of one device closed another device's socket"
    # While locked, a new socket is told at once and closed.
    with web_socket(team.live, team.web) as ws:
        ws.send(json.dumps({"type": "auth"}))
        frames, code = wait_closed(ws)
    assert code == LOCKED
    assert [f["type"] for f in frames] == ["session.locked"]
    # Unlocked, the web app connects again.
    assert team.web.post("/web/unlock", {"password": PASSWORD}).status_code == 204
    with open_web_socket(team.live, team.web) as ws:
        assert still_open(ws)


def wait_for_last_seen(services: Services, practice: PracticeHandle, web: Web, when: Any) -> None:
    deadline = time.monotonic() + 5
    while session_row(services, practice, web.session_id).last_seen_at != when:
        if time.monotonic() > deadline:
            pytest.fail("the socket's activity was not recorded within 5 s")
        time.sleep(0.05)


def test_activity_frames_keep_the_web_session_from_locking(team: LiveTeam) -> None:
    clock = team.live.services.clock
    assert isinstance(clock, ManualClock)
    active, idle = team.web, team.web_session("idle browser")
    with (
        open_web_socket(team.live, active) as active_ws,
        open_web_socket(team.live, idle) as idle_ws,
    ):
        clock.advance(timedelta(minutes=4))
        active_ws.send(json.dumps({"type": "activity"}))
        wait_for_last_seen(team.live.services, team.practice, active, clock.now())
        idle_seen = session_row(team.live.services, team.practice, idle.session_id).last_seen_at
        assert idle_seen == clock.now() - timedelta(minutes=4)

        clock.advance(timedelta(minutes=4))  # 8 minutes since sign-in, 4 since the activity
        # The server's own re-check locks the idle one and tells its socket...
        frames, code = wait_closed(idle_ws)
        assert code == LOCKED
        assert frames[-1] == {"type": "session.locked"}
        # ...in the same pass that left the active one open.
        assert still_open(active_ws)
    assert idle.locked() is True
    assert active.locked() is False
    assert active.get("/conversations").status_code == 200


# -- passkeys ---------------------------------------------------------------------------------
def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """A minimal platform authenticator (P-256, "none" attestation, user verified)."""

    def __init__(self, origin: str = ORIGIN, rp_id: str = "testserver") -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _rp_hash(self) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest()

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        cose_key = encode_cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        auth_data = (
            self._rp_hash()
            + bytes([0x45])  # user present, user verified, attested credential data
            + struct.pack(">I", 0)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + cose_key
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        self.sign_count += 1
        auth_data = self._rp_hash() + bytes([0x05]) + struct.pack(">I", self.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(user_id.bytes),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }


def made_up_assertion(
    options: dict[str, Any], credential_id: bytes | None = None
) -> dict[str, Any]:
    """Well formed, answering the real challenge, but signed by nobody."""
    cred = credential_id or secrets.token_bytes(32)
    client_data = json.dumps(
        {"type": "webauthn.get", "challenge": options["challenge"], "origin": ORIGIN}
    ).encode()
    return {
        "id": b64url(cred),
        "rawId": b64url(cred),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(hashlib.sha256(b"testserver").digest() + b"\x05\0\0\0\x09"),
            "signature": b64url(secrets.token_bytes(70)),
            "userHandle": None,
        },
        "clientExtensionResults": {},
    }


def registration_options(web: Web) -> dict[str, Any]:
    response = web.post("/me/passkey-options")
    assert response.status_code == 200, response.text
    options: dict[str, Any] = response.json()
    return options


def register(web: Web, authenticator: SoftAuthenticator, name: str = "Laptop") -> Any:
    credential = authenticator.create(registration_options(web))
    return web.post("/me/passkeys", {"name": name, "credential": credential})


def test_passkey_creation_options_are_webauthn_json(web: Web, practice: PracticeHandle) -> None:
    options = registration_options(web)
    assert len(unb64url(options["challenge"])) >= 16
    assert options["rp"]["id"] == "testserver"
    assert options["rp"]["name"] == "Quietline"
    assert unb64url(options["user"]["id"]) == practice.owner_id.bytes
    assert options["user"]["name"] == practice.owner_email
    assert options["user"]["displayName"] == f"Owner of {practice.slug}"
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["excludeCredentials"] == []
    assert registration_options(web)["challenge"] != options["challenge"]


def test_a_made_up_passkey_is_refused_and_a_real_one_registered(web: Web) -> None:
    options = registration_options(web)
    made_up = [
        {"id": "abc", "rawId": "abc", "type": "public-key", "response": {}},
        {
            "id": "abc",
            "rawId": "abc",
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(
                    json.dumps(
                        {
                            "type": "webauthn.create",
                            "challenge": options["challenge"],
                            "origin": ORIGIN,
                        }
                    ).encode()
                ),
                "attestationObject": b64url(b"not cbor at all"),
            },
        },
        # Properly made, but for another site, or answering a challenge never issued.
        SoftAuthenticator(origin=EVIL).create(options),
        SoftAuthenticator(rp_id="evil.example").create(options),
        SoftAuthenticator().create({"challenge": b64url(secrets.token_bytes(32))}),
    ]
    for credential in made_up:
        refused = web.post("/me/passkeys", {"name": "Fake", "credential": credential})
        body = problem(refused, 422, "invalid-input")
        assert is_a_sentence(body["detail"])
    assert web.get("/me/passkeys").json() == []

    # A real answer to fresh options registers the passkey.
    options = registration_options(web)
    created = web.post(
        "/me/passkeys", {"name": "Laptop", "credential": SoftAuthenticator().create(options)}
    )
    assert created.status_code == 201, created.text
    listed = web.get("/me/passkeys").json()
    assert [p["name"] for p in listed] == ["Laptop"]
    assert listed[0]["id"] == created.json()["id"]
    # Each challenge registers once.
    replay = web.post(
        "/me/passkeys", {"name": "Replay", "credential": SoftAuthenticator().create(options)}
    )
    problem(replay, 422, "invalid-input")
    assert len(web.get("/me/passkeys").json()) == 1
    assert register(web, SoftAuthenticator(), "Phone").status_code == 201
    assert sorted(p["name"] for p in web.get("/me/passkeys").json()) == ["Laptop", "Phone"]


def test_a_refused_registration_uses_up_its_challenge(web: Web) -> None:
    """The refusal commits: the same challenge cannot be answered again, even correctly."""
    options = registration_options(web)
    wrong_site = SoftAuthenticator(origin=EVIL).create(options)
    problem(
        web.post("/me/passkeys", {"name": "Fake", "credential": wrong_site}), 422, "invalid-input"
    )
    right = SoftAuthenticator().create(options)
    again = web.post("/me/passkeys", {"name": "Late", "credential": right})
    body = problem(again, 422, "invalid-input")
    assert "expired" in body["detail"]
    assert web.get("/me/passkeys").json() == []


def test_unlock_passkey_options_and_a_made_up_passkey_counts_as_a_wrong_try(
    web: Web, practice: PracticeHandle
) -> None:
    problem(web.post("/web/unlock/passkey-options"), 422, "invalid-input")  # none yet
    authenticator = SoftAuthenticator()
    assert register(web, authenticator).status_code == 201
    assert web.post("/web/lock").status_code == 204

    response = web.post("/web/unlock/passkey-options")
    assert response.status_code == 200, response.text
    options = response.json()
    assert len(unb64url(options["challenge"])) >= 16
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "required"
    assert [unb64url(c["id"]) for c in options["allowCredentials"]] == [authenticator.credential_id]

    for left, credential in (
        (4, made_up_assertion(options)),
        (3, made_up_assertion(options, authenticator.credential_id)),
        (2, {"id": "x", "rawId": "x", "type": "public-key", "response": {}}),
    ):
        refused = web.post("/web/unlock", {"passkey": credential})
        assert problem(refused, 401, "unauthenticated")["tries_left"] == left
    assert web.locked() is True

    options = web.post("/web/unlock/passkey-options").json()
    assertion = authenticator.get(options, practice.owner_id)
    assert web.post("/web/unlock", {"passkey": assertion}).status_code == 204
    assert web.locked() is False
    # The same answer cannot unlock twice (each challenge is used once).
    assert web.post("/web/lock").status_code == 204
    replay = web.post("/web/unlock", {"passkey": assertion})
    assert problem(replay, 401, "unauthenticated")["tries_left"] == 4
    assert web.locked() is True


def test_web_sign_in_with_only_a_passkey_asks_for_it(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    email = "pia@riverbend.test"
    pia_id = add_staff(owner, email, "clinician", "Pia")
    first = web_sign_in(client, practice.slug, email)
    authenticator = SoftAuthenticator()
    assert register(first, authenticator).status_code == 201
    assert first.post("/auth/sign-out").status_code == 204

    asked = web_sign_in_response(client, practice.slug, email)
    body = problem(asked, 401, "second-factor-required")
    assert body["methods"] == ["passkey"]
    options = body["passkey_options"]
    assert len(unb64url(options["challenge"])) >= 16
    assert options["rpId"] == "testserver"
    assert [unb64url(c["id"]) for c in options["allowCredentials"]] == [authenticator.credential_id]
    assert set_cookies(asked) == []

    # A made-up answer is refused; no session.
    fake = web_sign_in_response(
        client,
        practice.slug,
        email,
        passkey=made_up_assertion(options, authenticator.credential_id),
    )
    problem(fake, 401, "second-factor-required")
    assert set_cookies(fake) == []

    options = problem(
        web_sign_in_response(client, practice.slug, email), 401, "second-factor-required"
    )["passkey_options"]
    signed_in = web_sign_in_response(
        client, practice.slug, email, passkey=authenticator.get(options, pia_id)
    )
    web = web_from(client, signed_in, ORIGIN)
    assert web.get("/me").json()["user"]["id"] == str(pia_id)

    # An API client cannot use a passkey, and is told so.
    api = client.post(
        "/api/v1/auth/sign-in",
        json={"practice": practice.slug, "email": email, "password": PASSWORD},
    )
    api_body = problem(api, 401, "second-factor-required")
    assert api_body["methods"] == []
    assert "token" not in api_body
