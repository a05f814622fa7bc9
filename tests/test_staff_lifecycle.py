"""Staff joining and leaving: invitations by single-use link, one-step offboarding with its
record, and the admin's list of every device (on both backends).

* An invitation link signs the new person in once; used, expired, withdrawn and unknown links
  all get the same answer; a known e-mail address is refused; only admins invite; the token
  is never listed, logged or stored in plain.
* Offboarding, against the real server and real WebSockets: every device of the person is
  dead within a second (HTTP 401 and sockets closed), group conversations are handed to a
  colleague, the person is removed everywhere, and the record and the audit trail say so.
* Offboarding hands the client work to the colleague in the same step: client assignments
  and threads, upcoming appointments (past ones stay), on-call shifts (one under way is split);
  a colleague who cannot take it is refused first; another practice is untouched; records of
  format 1 stay readable.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from quietline.actions.staff_lifecycle import (
    INVITE_LINK_NOT_VALID,
    MAX_INVITE_ADDRESS_FAILURES,
    NOT_APPLICABLE_YET,
    OFFBOARDING_RECORD_FORMAT,
)
from quietline.app import Services
from quietline.cli.main import app as cli_app
from quietline.config import Settings
from quietline.crypto.tokens import token_hash
from quietline.domain.clock import ManualClock
from quietline.domain.models import OnCallShift
from quietline.storage.stores.staff_lifecycle import OffboardingRecord
from quietline.storage.tables import metadata
from quietline.storage.unit import Unit
from tests.client_support import create_client
from tests.conftest import (
    PASSWORD,
    Api,
    Capture,
    LiveServer,
    PracticeHandle,
    add_staff,
    make_practice,
    sign_in,
)
from tests.live_support import Socket, create_direct, create_group

NEW_PASSWORD = "a fresh passphrase for day one"
SESSION_ENDED = 4401
LIMIT = 1.0  # seconds from the offboarding request to every device being dead


# -- helpers ---------------------------------------------------------------------------------


def invite(owner: Api, email: str, role: str = "clinician", **extra: Any) -> dict[str, Any]:
    response = owner.post(
        "/invites",
        {
            "email": email,
            "display_name": email.split("@", maxsplit=1)[0].title(),
            "role": role,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def token_of(created: dict[str, Any]) -> str:
    link: str = created["link"]
    prefix, _, token = link.partition("/app/#/join/")
    assert prefix, link
    assert token.startswith("qli_"), link
    return token


def join(client: Any, token: str, password: str = NEW_PASSWORD, **extra: Any) -> Any:
    return client.post(
        "/api/v1/join",
        json={"token": token, "password": password, "device_name": "new phone", **extra},
    )


def joined(client: Any, token: str) -> Api:
    response = join(client, token)
    assert response.status_code == 200, response.text
    body = response.json()
    return Api(client, body["token"], UUID(body["user"]["id"]), UUID(body["session_id"]))


def invites_by_id(owner: Api) -> dict[str, dict[str, Any]]:
    response = owner.get("/invites")
    assert response.status_code == 200, response.text
    return {i["id"]: i for i in response.json()}


def audit(owner: Api, kind: str) -> list[dict[str, Any]]:
    response = owner.get("/audit", params={"kind": kind, "limit": 1000})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def check_document(api: Api, document: str) -> bool:
    response = api.post("/documents/verify", {"document": document})
    assert response.status_code == 200, response.text
    valid: bool = response.json()["valid"]
    return valid


def alive(api: Api) -> bool:
    status: int = api.get("/me").status_code
    assert status in (200, 401)
    return status == 200


def cli_audit_verify(settings: Settings) -> tuple[int, str]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("QUIETLINE_")}
    env.update(
        {
            "QUIETLINE_DATABASE_URL": settings.database_url,
            "QUIETLINE_DATA_DIR": str(settings.data_dir),
            "COLUMNS": "200",
        }
    )
    result = CliRunner(env=env).invoke(cli_app, ["audit", "verify"])
    return result.exit_code, " ".join(result.output.split())


# -- invitations -----------------------------------------------------------------------------


def test_an_invitation_link_signs_the_new_person_in_once(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    created = invite(owner, "Kai@Riverbend.test", "supervisor")
    token = token_of(created)
    assert created["link"] == f"http://testserver/app/#/join/{token}"
    assert created["email"] == "kai@riverbend.test"  # normalised like every e-mail address
    assert created["state"] == "pending"
    assert created["created_by"] == str(owner.user_id)
    assert created["expires_at"] == (clock.now() + timedelta(hours=72)).isoformat().replace(
        "+00:00", "Z"
    )
    listed = owner.get("/invites")
    assert token not in listed.text
    assert "link" not in listed.json()[0]

    kai = joined(client, token)
    me = kai.get("/me").json()
    assert me["user"]["email"] == "kai@riverbend.test"
    assert me["user"]["display_name"] == "Kai"
    assert me["user"]["role"] == "supervisor"
    assert me["restricted"] is False
    assert [d["device_name"] for d in kai.get("/me/devices").json()] == ["new phone"]
    assert str(kai.user_id) in {u["id"] for u in owner.get("/users").json()}
    used = invites_by_id(owner)[created["id"]]
    assert used["state"] == "used"
    assert used["used_by"] == str(kai.user_id)
    assert used["used_at"] is not None

    # The link works once, whatever password comes with it the second time.
    for password in (NEW_PASSWORD, "another long passphrase"):
        again = join(client, token, password)
        assert again.status_code == 410, again.text
        assert again.json()["detail"] == INVITE_LINK_NOT_VALID
    # The new person signs in like everyone else from now on.
    assert alive(sign_in(client, practice.slug, "kai@riverbend.test", NEW_PASSWORD))

    (created_entry,) = audit(owner, "invite.created")
    assert created_entry["subject_id"] == created["id"]
    assert created_entry["details"] == {"role": "supervisor", "valid_hours": 72}
    (accepted,) = audit(owner, "invite.accepted")
    assert accepted["actor_user_id"] == str(kai.user_id)
    assert accepted["details"] == {"user": str(kai.user_id), "invited_by": str(owner.user_id)}
    assert [e["details"]["reason"] for e in audit(owner, "invite.refused")] == ["used", "used"]
    user_created = [e for e in audit(owner, "user.created") if e["subject_id"] == str(kai.user_id)]
    assert user_created[0]["details"] == {"role": "supervisor", "invite": created["id"]}


def test_every_dead_link_gets_the_same_answer(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    def later(delta: timedelta) -> Api:
        """Move the clock; the owner signs in again (sessions end after 30 idle minutes)."""
        clock.advance(delta)
        return sign_in(client, practice.slug, practice.owner_email)

    used = token_of(invite(owner, "used@riverbend.test"))
    joined(client, used)
    withdrawn = invite(owner, "withdrawn@riverbend.test")
    assert owner.delete(f"/invites/{withdrawn['id']}").status_code == 204
    assert owner.delete(f"/invites/{withdrawn['id']}").status_code == 204  # harmless twice
    short = invite(owner, "short@riverbend.test", valid_hours=1)
    lasting = invite(owner, "lasting@riverbend.test")  # the default: 72 hours

    owner = later(timedelta(hours=1))
    answers = {
        "used": join(client, used),
        "withdrawn": join(client, token_of(withdrawn)),
        "expired": join(client, token_of(short)),
        "unknown": join(client, "qli_" + uuid.uuid4().hex * 2),
        "not a token": join(client, "x"),
    }
    first = answers["used"]
    assert first.status_code == 410
    assert first.headers["content-type"].startswith("application/problem+json")
    for name, response in answers.items():
        assert (response.status_code, response.content) == (first.status_code, first.content), name

    states = {i["email"]: i["state"] for i in invites_by_id(owner).values()}
    assert states == {
        "used@riverbend.test": "used",
        "withdrawn@riverbend.test": "revoked",
        "short@riverbend.test": "expired",
        "lasting@riverbend.test": "pending",
    }
    # The default link works until 72 hours have passed, and not a second longer.
    owner = later(timedelta(hours=71) - timedelta(seconds=1))
    assert invites_by_id(owner)[lasting["id"]]["state"] == "pending"
    owner = later(timedelta(seconds=1))
    assert invites_by_id(owner)[lasting["id"]]["state"] == "expired"
    refused = join(client, token_of(lasting))
    assert refused.content == first.content

    # A used invitation cannot be withdrawn (the account exists); a missing one is a 404.
    used_id = next(i["id"] for i in invites_by_id(owner).values() if i["state"] == "used")
    conflict = owner.delete(f"/invites/{used_id}")
    assert conflict.status_code == 409, conflict.text
    assert owner.delete(f"/invites/{uuid.uuid4()}").status_code == 404
    (revoked,) = audit(owner, "invite.revoked")
    assert revoked["subject_id"] == withdrawn["id"]
    reasons = sorted(e["details"]["reason"] for e in audit(owner, "invite.refused"))
    assert reasons == ["expired", "expired", "revoked", "used"]


def test_an_address_already_in_the_practice_is_refused(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    for email in (practice.owner_email, practice.owner_email.upper()):
        refused = owner.post(
            "/invites", {"email": email, "display_name": "Again", "role": "clinician"}
        )
        assert refused.status_code == 409, refused.text
    pending = invite(owner, "noa@riverbend.test")
    twice = owner.post(
        "/invites", {"email": "NOA@riverbend.test", "display_name": "Noa", "role": "admin"}
    )
    assert twice.status_code == 409, twice.text
    assert "Withdraw it" in twice.json()["detail"]

    # Meanwhile an admin adds the same person directly: the link is refused at acceptance.
    add_staff(owner, "noa@riverbend.test")
    taken = join(client, token_of(pending))
    assert taken.status_code == 409, taken.text
    assert "already signs in" in taken.json()["detail"]
    assert invites_by_id(owner)[pending["id"]]["state"] == "pending"
    assert [u["email"] for u in owner.get("/users").json()].count("noa@riverbend.test") == 1


def test_a_weak_password_keeps_the_link_usable(client: TestClient, owner: Api) -> None:
    created = invite(owner, "ivy@riverbend.test")
    for weak in ("short", "aaaaaaaaaaaaaaaa"):
        refused = join(client, token_of(created), weak)
        assert refused.status_code == 422, refused.text
    assert invites_by_id(owner)[created["id"]]["state"] == "pending"
    assert alive(joined(client, token_of(created)))


def test_only_owners_and_admins_manage_invitations(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "cleo@riverbend.test", "clinician")
    add_staff(owner, "ada@riverbend.test", "admin")
    cleo = sign_in(client, practice.slug, "cleo@riverbend.test")
    ada = sign_in(client, practice.slug, "ada@riverbend.test")
    created = invite(owner, "new@riverbend.test")
    body = {"email": "x@riverbend.test", "display_name": "X", "role": "clinician"}
    for response in (
        cleo.post("/invites", body),
        cleo.get("/invites"),
        cleo.delete(f"/invites/{created['id']}"),
        cleo.get("/devices"),
        cleo.get("/offboarding-records"),
        cleo.post(f"/users/{ada.user_id}/offboard", {"hand_to": str(owner.user_id)}),
    ):
        assert response.status_code == 403, response.text
    # Admins invite anyone but an owner; owners may invite owners.
    assert ada.post("/invites", {**body, "role": "owner"}).status_code == 403
    assert ada.post("/invites", body).status_code == 201
    assert (
        owner.post("/invites", {**body, "email": "o@riverbend.test", "role": "owner"}).status_code
        == 201
    )
    assert invites_by_id(owner)[created["id"]]["state"] == "pending"
    assert client.get("/api/v1/invites").status_code == 401


def test_failed_links_are_throttled_per_address(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    good = token_of(invite(owner, "eli@riverbend.test"))
    for _ in range(MAX_INVITE_ADDRESS_FAILURES):
        assert join(client, "qli_" + uuid.uuid4().hex).status_code == 410
    throttled = join(client, good)
    assert throttled.status_code == 429, throttled.text
    assert throttled.headers["retry-after"] == "900"
    # Its own counter: signing in from the same address still works.
    assert alive(sign_in(client, practice.slug, practice.owner_email))
    clock.advance(timedelta(minutes=15))
    assert alive(joined(client, good))


def test_joining_from_the_web_app_sets_the_session_cookie(client: TestClient, owner: Api) -> None:
    created = invite(owner, "web@riverbend.test")
    body = {"token": token_of(created), "password": NEW_PASSWORD}
    foreign = client.post("/api/v1/web/join", json=body, headers={"origin": "https://evil.test"})
    assert foreign.status_code == 403, foreign.text
    assert invites_by_id(owner)[created["id"]]["state"] == "pending"

    response = client.post("/api/v1/web/join", json=body, headers={"origin": "http://testserver"})
    client.cookies.clear()  # every request below states its cookie itself
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "token" not in answer
    assert answer["user"]["email"] == "web@riverbend.test"
    (set_cookie,) = response.headers.get_list("set-cookie")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    name, _, rest = set_cookie.partition("=")
    cookie = f"{name}={rest.split(';')[0]}"
    session = client.get("/api/v1/web/session", headers={"cookie": cookie})
    assert session.status_code == 200, session.text
    assert session.json()["csrf_token"] == answer["csrf_token"]
    assert session.json()["me"]["session_id"] == answer["session_id"]


# -- the token is never listed, logged or stored in plain ---------------------------------


def _fragments(token: str, size: int = 12) -> set[str]:
    secret = token.split("_", 1)[1]
    assert len(secret) >= 40
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def _every_stored_value(services: Services) -> bytes:
    """Every value of every table, read back with SQL (both backends)."""

    def read(unit: Unit) -> bytes:
        chunks: list[bytes] = []
        for table in metadata.sorted_tables:
            for row in unit.conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
        return b"\n".join(chunks)

    return services.db.read_sync(read)


def _sqlite_file_bytes(settings: Settings) -> bytes | None:
    url = make_url(str(settings.database_url))
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    path = Path(url.database)
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_the_token_is_never_listed_logged_or_stored_in_plain(
    debug_logs: Capture,
    settings: Settings,
    services: Services,
    client: TestClient,
    owner: Api,
) -> None:
    created = invite(owner, "marker.canary@riverbend.test")
    token = token_of(created)
    assert join(client, token, "short").status_code == 422  # a refused try, with the token
    new = joined(client, token)
    assert join(client, token).status_code == 410
    second = invite(owner, "second@riverbend.test")
    assert owner.delete(f"/invites/{second['id']}").status_code == 204

    fragments = _fragments(token) | _fragments(token_of(second))
    listed = owner.get("/invites").text + owner.get("/audit", params={"limit": 1000}).text
    assert [f for f in fragments if f in listed] == []

    logged = "\n".join(debug_logs.lines)
    assert "POST /join 200" in logged  # canary: the access log was captured
    assert any("sqlalchemy.engine" in line for line in debug_logs.lines)
    assert sorted(f for f in fragments if f in logged) == [], "part of a link token was logged"

    stored = _every_stored_value(services)
    assert b"marker.canary@riverbend.test" in stored  # canary: the invitations were read
    assert token_hash(token) in stored  # the hash is what is kept
    assert sorted(f for f in fragments if f.encode() in stored) == []
    raw = _sqlite_file_bytes(settings)
    if raw is not None:
        assert b"marker.canary@riverbend.test" in raw
        assert sorted(f for f in fragments if f.encode() in raw) == []
    assert alive(new)


# -- offboarding -----------------------------------------------------------------------------


def web_socket(live: LiveServer, cookie: str) -> ClientConnection:
    """The web app's socket: the session comes from its cookie, vouched for by Origin."""
    ws = connect(
        live.ws_url,
        origin=Origin(live.url),
        additional_headers={"cookie": cookie},
        open_timeout=5,
        close_timeout=2,
        legacy=True,  # returned open; the caller closes it with ``with``
    )
    ws.send(json.dumps({"type": "auth"}))
    ready = json.loads(ws.recv(timeout=5))
    assert ready["type"] == "ready", ready
    return ws


def closed_by(conn: ClientConnection, deadline: float) -> tuple[list[dict[str, Any]], int]:
    """The frames received until the server closed the socket, and the close code; fails
    when the socket is still open at ``deadline`` (a ``time.monotonic`` value)."""
    frames: list[dict[str, Any]] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"socket still open at the deadline; frames: {frames}")
        try:
            frames.append(json.loads(conn.recv(timeout=remaining)))
        except TimeoutError:
            continue
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                pytest.fail(f"closed without a close frame; frames: {frames}")
            return frames, closed.rcvd.code


def test_offboarding_ends_everything_at_once_and_hands_over_group_threads(
    live_server: LiveServer, settings: Settings, services: Services, practice: PracticeHandle
) -> None:
    live = live_server
    with (
        httpx.Client(base_url=live.url, trust_env=False, timeout=10) as http,
        httpx.Client(base_url=live.url, trust_env=False, timeout=10) as browser,
    ):
        owner = sign_in(http, practice.slug, practice.owner_email, device="office")
        lee_id = add_staff(owner, "lee@riverbend.test", "clinician", "Lee Leaving")
        cam_id = add_staff(owner, "cam@riverbend.test", "clinician", "Cam Colleague")
        ori_id = add_staff(owner, "ori@riverbend.test", "clinician", "Ori Other")
        phone = sign_in(http, practice.slug, "lee@riverbend.test", device="phone")
        laptop = sign_in(http, practice.slug, "lee@riverbend.test", device="laptop")
        cam = sign_in(http, practice.slug, "cam@riverbend.test", device="cam phone")
        ori = sign_in(http, practice.slug, "ori@riverbend.test", device="ori phone")
        signed = browser.post(
            "/api/v1/web/sign-in",
            json={"practice": practice.slug, "email": "lee@riverbend.test", "password": PASSWORD},
            headers={"origin": live.url},
        )
        assert signed.status_code == 200, signed.text
        cookie = signed.headers["set-cookie"].split(";")[0]
        browser.cookies.clear()
        web_session = UUID(signed.json()["session_id"])

        # Lee's conversations: a channel Lee made (Cam in it), a channel the owner made
        # (Cam not in it), a direct one with Ori; and one Lee is not in.
        lees_channel = create_group(phone, "Intake rota", [cam_id, ori_id])
        owners_channel = create_group(owner, "Supervision", [lee_id, ori_id])
        direct = create_direct(phone, ori_id)
        untouched = create_direct(owner, cam_id)
        status = http.put("/api/v1/me/status", json={"minutes": 30}, headers=phone.headers)
        assert status.status_code == 200, status.text

        def seed(unit: Unit) -> None:
            unit.notifications.replace_subscription(
                practice.id, lee_id, phone.session_id, b"sealed subscription", unit.now
            )
            unit.notifications.hold(practice.id, lee_id, 3, unit.now)

        services.db.write_sync(seed)

        with (
            Socket(live.ws_url, phone.token) as phone_ws,
            Socket(live.ws_url, laptop.token) as laptop_ws,
            web_socket(live, cookie) as web_ws,
            Socket(live.ws_url, cam.token) as cam_ws,
            Socket(live.ws_url, ori.token) as ori_ws,
        ):
            started = time.monotonic()
            response = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)})
            assert response.status_code == 201, response.text
            # Every token is dead as soon as the answer came (it died at commit) ...
            for api in (phone, laptop):
                assert api.get("/me").status_code == 401
            web_me = browser.get("/api/v1/me", headers={"cookie": cookie})
            assert web_me.status_code == 401
            # ... and every socket of the person is told and closed within the limit.
            deadline = started + LIMIT
            for conn in (phone_ws.conn, laptop_ws.conn, web_ws):
                frames, code = closed_by(conn, deadline)
                assert code == SESSION_ENDED
                assert {"type": "session.revoked", "reason": "offboarded"} in frames
            elapsed = time.monotonic() - started
            assert elapsed < LIMIT, f"devices still alive {elapsed:.3f}s after offboarding"
            web_ws.close()
            # The colleague's socket follows the hand-over; the others see Lee leave.
            added = cam_ws.expect("membership.added")
            assert added["conversation_id"] == owners_channel
            removed = ori_ws.expect(
                "membership.removed", match=lambda f: f["conversation_id"] == lees_channel
            )
            assert removed["user_id"] == str(lee_id)
            cam_ws.send({"type": "ping"})
            cam_ws.expect("pong")

        record = response.json()
        summary = record["summary"]
        assert record["user_id"] == str(lee_id)
        assert record["performed_by"] == str(owner.user_id)
        assert record["handed_to"] == str(cam_id)
        assert summary["devices_revoked"] == 3
        assert set(summary["device_ids"]) == {
            str(phone.session_id),
            str(laptop.session_id),
            str(web_session),
        }
        assert summary["push_subscriptions_removed"] == 1
        assert summary["conversations_left"] == 3
        assert set(summary["conversation_ids_left"]) == {lees_channel, owners_channel, direct}
        assert summary["conversations_handed_over"] == 2
        assert set(summary["conversation_ids_handed_over"]) == {lees_channel, owners_channel}
        assert summary["colleague_added_to"] == 1
        assert summary["ownership_transferred"] == 1
        assert summary["status_cleared"] is True
        assert summary["held_notifications_cleared"] == 3
        assert summary["format"] == OFFBOARDING_RECORD_FORMAT
        client_work = ("client_threads", "assignments", "appointments", "on_call_duties")
        assert [summary[k] for k in client_work] == [0, 0, 0, 0]
        assert summary["note"] is None  # format 1 records only
        assert summary["account_deactivated"] is True

        # Lee is gone everywhere; the threads live on with Cam.
        lee = owner.get(f"/users/{lee_id}").json()
        assert lee["is_active"] is False
        assert lee["in_session_until"] is None
        refused = http.post(
            "/api/v1/auth/sign-in",
            json={"practice": practice.slug, "email": "lee@riverbend.test", "password": PASSWORD},
        )
        assert refused.status_code == 401
        assert owner.get(f"/users/{lee_id}/devices").json() == []
        assert str(lee_id) not in {d["user_id"] for d in owner.get("/devices").json()}
        for channel in (lees_channel, owners_channel):
            members = set(cam.get(f"/conversations/{channel}").json()["member_ids"])
            assert str(cam_id) in members
            assert str(lee_id) not in members
        assert ori.get(f"/conversations/{direct}").json()["member_ids"] == [str(ori_id)]
        assert str(cam_id) not in ori.get(f"/conversations/{direct}").json()["member_ids"]
        assert set(owner.get(f"/conversations/{untouched}").json()["member_ids"]) == {
            str(owner.user_id),
            str(cam_id),
        }
        # Cam now holds the rights of the channel's creator (how long its messages last).
        ttl = cam.patch(f"/conversations/{lees_channel}", {"default_ttl_seconds": 3600})
        assert ttl.status_code == 200, ttl.text
        held = services.db.read_sync(
            lambda unit: unit.notifications.subscriptions_for(practice.id, [lee_id])
        )
        assert held == []

        # The record: listed, readable, and downloadable as a document.
        assert owner.get("/offboarding-records").json() == [record]
        assert owner.get(f"/offboarding-records/{record['id']}").json() == record
        document = owner.get(f"/offboarding-records/{record['id']}/download")
        assert document.status_code == 200, document.text
        assert document.headers["content-type"].startswith("text/plain")
        assert document.headers["content-disposition"] == (
            f'attachment; filename="offboarding-record-{record["id"]}.txt"'
        )
        text = document.text
        for expected in (
            "Quietline offboarding record",
            f"Person:        Lee Leaving <lee@riverbend.test> (user {lee_id})",
            f"By:            Owner of riverbend <{practice.owner_email}> (user {owner.user_id})",
            f"Handed to:     Cam Colleague <cam@riverbend.test> (user {cam_id})",
            "Devices signed out and wiped: 3",
            "Conversations left: 3",
            "Group conversations handed over: 2",
            "Held notifications cleared: 3",
            "Client threads handed over: 0 (the colleague is a member of each)",
            "On-call shifts handed over: 0",
            f"    - {direct}",
        ):
            assert expected in text, (expected, text)
        # Signed: the copy verifies as it is, and not once changed, cut short or unsigned.
        assert text.splitlines()[-1].startswith("Signature (HMAC-SHA256, Quietline audit key): ")
        assert check_document(owner, text) is True
        # Bound to the practice: another practice on this server cannot vouch for it.
        hillside = make_practice(services, "hillside")
        other = sign_in(http, hillside.slug, hillside.owner_email)
        assert check_document(other, text) is False
        assert check_document(owner, text.replace("\n", "\r\n")) is True  # saved on Windows
        assert check_document(owner, text.replace("wiped: 3", "wiped: 2")) is False
        assert check_document(owner, text.rsplit("\n", 2)[0]) is False
        assert check_document(owner, "\n".join(text.splitlines()[:-1])) is False
        when = record["performed_at"].replace("T", " ").replace("Z", " UTC")
        assert f"When:          {when}" in text

        # All of it is in the audit trail, and the trail is intact.
        (offboarded,) = audit(owner, "user.offboarded")
        assert offboarded["subject_id"] == str(lee_id)
        assert offboarded["actor_user_id"] == str(owner.user_id)
        assert offboarded["details"]["record"] == record["id"]
        (deactivated,) = audit(owner, "user.deactivated")
        assert deactivated["details"] == {"reason": "offboarded"}
        revoked = [
            e for e in audit(owner, "device.revoked") if e["details"]["reason"] == "offboarded"
        ]
        assert {e["subject_id"] for e in revoked} == set(summary["device_ids"])
        left = [
            e
            for e in audit(owner, "conversation.member_removed")
            if e["details"]["user"] == str(lee_id)
        ]
        assert {e["subject_id"] for e in left} == {lees_channel, owners_channel, direct}
        joined_by_cam = [
            e for e in audit(owner, "conversation.member_added") if e["details"].get("reason")
        ]
        assert [(e["subject_id"], e["details"]["user"]) for e in joined_by_cam] == [
            (owners_channel, str(cam_id))
        ]
        verify = owner.get("/audit/verify").json()
        assert verify["ok"] is True, verify
    code, output = cli_audit_verify(settings)
    assert code == 0, output
    assert f"OK practice {practice.id}" in output


def test_offboarding_refuses_what_it_cannot_do_and_then_changes_nothing(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    lee_id = add_staff(owner, "lee@riverbend.test")
    cam_id = add_staff(owner, "cam@riverbend.test")
    gone_id = add_staff(owner, "gone@riverbend.test")
    add_staff(owner, "ada@riverbend.test", "admin")
    lee = sign_in(client, practice.slug, "lee@riverbend.test")
    ada = sign_in(client, practice.slug, "ada@riverbend.test")
    group = create_group(lee, "Rota", [cam_id])
    assert owner.post(f"/users/{gone_id}/deactivate").status_code == 200
    other = make_practice(services, "hillside")

    cases = [
        (owner, owner.user_id, cam_id, 409),  # yourself
        (ada, owner.user_id, cam_id, 403),  # an admin cannot offboard an owner
        (owner, lee_id, lee_id, 422),  # handing over to the person leaving
        (owner, lee_id, gone_id, 409),  # to a deactivated colleague
        (owner, lee_id, uuid.uuid4(), 404),  # to nobody
        (owner, lee_id, other.owner_id, 404),  # to someone of another practice
        (owner, uuid.uuid4(), cam_id, 404),  # nobody leaving
    ]
    for actor, leaving, hand_to, status in cases:
        response = actor.post(f"/users/{leaving}/offboard", {"hand_to": str(hand_to)})
        assert response.status_code == status, (leaving, hand_to, response.text)
    nobody = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(uuid.uuid4())})
    foreign = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(other.owner_id)})
    assert foreign.content == nobody.content

    # Nothing changed: Lee is still in, signed in, and in the channel.
    assert alive(lee)
    assert str(lee_id) in lee.get(f"/conversations/{group}").json()["member_ids"]
    assert owner.get("/offboarding-records").json() == []
    assert audit(owner, "user.offboarded") == []

    # An admin offboards someone already deactivated (nothing left to sign out) ...
    assert owner.post(f"/users/{lee_id}/deactivate").status_code == 200
    done = ada.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)})
    assert done.status_code == 201, done.text
    summary = done.json()["summary"]
    assert (summary["was_active"], summary["devices_revoked"], summary["conversations_left"]) == (
        False,
        0,
        1,
    )
    # ... once: doing it again is refused, until the person comes back.
    again = ada.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)})
    assert again.status_code == 409, again.text
    assert owner.post(f"/users/{lee_id}/reactivate").status_code == 200
    assert ada.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)}).status_code == 201
    assert len(owner.get("/offboarding-records").json()) == 2
    assert owner.get(f"/offboarding-records/{uuid.uuid4()}").status_code == 404
    assert owner.get(f"/offboarding-records/{uuid.uuid4()}/download").status_code == 404


def test_a_colleague_who_comes_back_is_back_in_the_old_direct_conversation(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    lee_id = add_staff(owner, "lee@riverbend.test")
    cam_id = add_staff(owner, "cam@riverbend.test")
    lee = sign_in(client, practice.slug, "lee@riverbend.test")
    direct = create_direct(lee, cam_id)
    done = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)})
    assert done.status_code == 201, done.text
    assert owner.post(f"/users/{lee_id}/reactivate").status_code == 200

    lee = sign_in(client, practice.slug, "lee@riverbend.test")
    reopened = lee.post("/conversations", {"kind": "direct", "user_id": str(cam_id)})
    assert reopened.status_code == 201, reopened.text
    assert reopened.json()["id"] == direct
    assert sorted(reopened.json()["member_ids"]) == sorted([str(lee_id), str(cam_id)])
    assert lee.get(f"/conversations/{direct}/messages").status_code == 200
    assert [e["details"] for e in audit(owner, "conversation.member_added")][-1] == {
        "user": str(lee_id),
        "rejoined": True,
    }


# -- offboarding hands over client work ----------------------------------------------------


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def book(api: Api, client_id: str, clinician: UUID, starts_at: datetime) -> str:
    response = api.post(
        "/appointments",
        {
            "client_id": client_id,
            "clinician_id": str(clinician),
            "starts_at": _iso(starts_at),
            "length_minutes": 50,
        },
    )
    assert response.status_code == 201, response.text
    appointment_id: str = response.json()["id"]
    return appointment_id


def put_on_call(api: Api, user_id: UUID, starts_at: datetime, ends_at: datetime) -> str:
    response = api.post(
        "/on-call",
        {"user_id": str(user_id), "starts_at": _iso(starts_at), "ends_at": _iso(ends_at)},
    )
    assert response.status_code == 201, response.text
    shift_id: str = response.json()["id"]
    return shift_id


def past_shift(services: Services, practice_id: UUID, user_id: UUID, hours_ago: int) -> str:
    """A shift that is over (planning refuses those: seeded through the store)."""
    now = services.clock.now()
    shift = OnCallShift(
        id=uuid.uuid4(),
        practice_id=practice_id,
        user_id=user_id,
        starts_at=now - timedelta(hours=hours_ago),
        ends_at=now - timedelta(hours=hours_ago - 1),
        created_by=None,
        created_at=now - timedelta(days=2),
    )
    services.db.write_sync(lambda unit: unit.appointments.insert_shift(shift))
    return str(shift.id)


def members(services: Services, practice_id: UUID, conversation: str) -> set[str]:
    """The members of a conversation, as stored (client threads have no admin reader)."""
    found = services.db.read_sync(
        lambda unit: unit.conversations.member_ids(practice_id, UUID(conversation))
    )
    return {str(u) for u in found}


def shifts_by_id(api: Api, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    response = api.get("/on-call", params={"from": _iso(start), "to": _iso(end)})
    assert response.status_code == 200, response.text
    return {s["id"]: s for s in response.json()}


@dataclass
class Caseload:
    """What a clinician holds in one practice (see :func:`caseload`)."""

    solo: dict[str, Any]  # a client of the clinician alone
    shared: dict[str, Any]  # a client of the clinician and the colleague
    archived: dict[str, Any]  # an archived client of the clinician
    others: dict[str, Any]  # a client of someone else
    past: str  # an appointment of the clinician that has started
    upcoming: list[str]  # two of the clinician's appointments to come
    cancelled: str  # one to come, cancelled
    others_appointment: str  # someone else's, to come
    shift_past: str
    shift_now: str  # under way: started an hour ago
    shift_next: str  # tomorrow
    others_shift: str


def caseload(
    services: Services, owner: Api, practice_id: UUID, who: UUID, colleague: UUID, other: UUID
) -> Caseload:
    now = services.clock.now()
    solo = create_client(owner, name="Solo Client", clinician_ids=[str(who)])
    shared = create_client(owner, name="Shared Client", clinician_ids=[str(who), str(colleague)])
    archived = create_client(owner, name="Archived Client", clinician_ids=[str(who)])
    assert owner.post(f"/clients/{archived['id']}/archive").status_code == 200
    others = create_client(owner, name="Other Client", clinician_ids=[str(other)])
    past = book(owner, solo["id"], who, now - timedelta(minutes=10))
    upcoming = [
        book(owner, solo["id"], who, now + timedelta(days=2)),
        book(owner, shared["id"], who, now + timedelta(days=3)),
    ]
    cancelled = book(owner, solo["id"], who, now + timedelta(days=4))
    assert owner.post(f"/appointments/{cancelled}/cancel").status_code == 200
    return Caseload(
        solo=solo,
        shared=shared,
        archived=archived,
        others=others,
        past=past,
        upcoming=upcoming,
        cancelled=cancelled,
        others_appointment=book(owner, others["id"], other, now + timedelta(days=2)),
        shift_past=past_shift(services, practice_id, who, hours_ago=30),
        shift_now=put_on_call(owner, who, now - timedelta(hours=1), now + timedelta(hours=5)),
        shift_next=put_on_call(owner, who, now + timedelta(days=1), now + timedelta(days=1.5)),
        others_shift=put_on_call(owner, other, now, now + timedelta(hours=8)),
    )


def test_offboarding_hands_the_client_work_to_the_colleague(
    live_server: LiveServer, services: Services, practice: PracticeHandle
) -> None:
    """Scenario 3: her clients, client threads, upcoming appointments and on-call shifts go
    to a colleague in the same step; the record, its document and the audit trail say so,
    and nothing of another practice is touched."""
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as http:
        owner = sign_in(http, practice.slug, practice.owner_email)
        lee_id = add_staff(owner, "lee@riverbend.test", "clinician", "Lee Leaving")
        cam_id = add_staff(owner, "cam@riverbend.test", "clinician", "Cam Colleague")
        ori_id = add_staff(owner, "ori@riverbend.test", "clinician", "Ori Other")
        flo_id = add_staff(owner, "flo@riverbend.test", "front_desk", "Flo Desk")
        load = caseload(services, owner, practice.id, lee_id, cam_id, ori_id)
        threads = {
            name: c["conversation_id"]
            for name, c in (
                ("solo", load.solo),
                ("shared", load.shared),
                ("archived", load.archived),
                ("others", load.others),
            )
        }
        assert members(services, practice.id, threads["solo"]) == {str(lee_id), str(flo_id)}
        # Another practice on the same server, with a caseload of its own.
        hillside = make_practice(services, "hillside")
        h_owner = sign_in(http, hillside.slug, hillside.owner_email)
        h_ids = [add_staff(h_owner, f"{n}@hillside.test", "clinician") for n in ("a", "b", "c")]
        h_load = caseload(services, h_owner, hillside.id, *h_ids)

        def hillside_state() -> tuple[object, ...]:
            now = services.clock.now()
            shifts = shifts_by_id(h_owner, now - timedelta(days=2), now + timedelta(days=3))
            return (
                sorted(
                    (c["id"], tuple(sorted(c["clinician_ids"])))
                    for c in h_owner.get("/clients", params={"include_archived": "true"}).json()
                ),
                sorted(
                    (a, h_owner.get(f"/appointments/{a}").json()["clinician_id"])
                    for a in [h_load.past, *h_load.upcoming, h_load.cancelled]
                ),
                sorted((i, s["user_id"], s["starts_at"], s["ends_at"]) for i, s in shifts.items()),
                sorted(members(services, hillside.id, h_load.solo["conversation_id"])),
            )

        hillside_before = hillside_state()
        preview = owner.get(f"/users/{lee_id}/offboarding-preview")
        assert preview.status_code == 200, preview.text
        assert preview.json() == {
            "user_id": str(lee_id),
            "conversations": 3,
            "group_conversations": 0,
            "client_threads": 3,
            "clients": 3,
            "appointments": 2,
            "on_call_shifts": 2,
            "already_offboarded": False,
        }
        cam = sign_in(http, practice.slug, "cam@riverbend.test", device="cam phone")
        now = services.clock.now()
        with Socket(live_server.ws_url, cam.token) as cam_ws:
            response = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(cam_id)})
            assert response.status_code == 201, response.text
            # Cam's devices follow at once: the new threads, the moved appointments.
            joined = cam_ws.collect("membership.added", 2)
            assert {f["conversation_id"] for f in joined} == {threads["solo"], threads["archived"]}
            assert {f["user_id"] for f in joined} == {str(cam_id)}
            moved = cam_ws.collect("appointment.updated", 2)
            assert {f["appointment_id"] for f in moved} == set(load.upcoming)
            assert {f["clinician_id"] for f in moved} == {str(cam_id)}

        record = response.json()
        summary = record["summary"]
        assert summary["format"] == OFFBOARDING_RECORD_FORMAT == 2
        assert summary["note"] is None
        assert summary["client_threads"] == 3
        assert set(summary["client_thread_ids"]) == {
            threads["solo"],
            threads["shared"],
            threads["archived"],
        }
        assert summary["assignments"] == 3
        assert set(summary["client_ids"]) == {
            load.solo["id"],
            load.shared["id"],
            load.archived["id"],
        }
        assert summary["appointments"] == 2
        assert summary["appointment_ids"] == load.upcoming  # soonest first
        assert summary["on_call_duties"] == 2
        assert summary["on_call_shifts_split"] == 1
        assert summary["conversations_left"] == 3  # the three client threads
        assert summary["conversations_handed_over"] == 0  # group conversations only

        # Assignments: Cam instead of Lee (once on the shared client); others untouched.
        def clinicians(client: dict[str, Any]) -> set[str]:
            return set(owner.get(f"/clients/{client['id']}").json()["clinician_ids"])

        for client in (load.solo, load.shared, load.archived):
            assert clinicians(client) == {str(cam_id)}, client["name"]
        assert clinicians(load.others) == {str(ori_id)}
        # Threads: Cam is in each of Lee's clients' threads, Lee in none; the front desk stays.
        for name in ("solo", "shared", "archived"):
            assert members(services, practice.id, threads[name]) == {str(cam_id), str(flo_id)}, name
        assert members(services, practice.id, threads["others"]) == {str(ori_id), str(flo_id)}
        history = cam.get(f"/conversations/{threads['solo']}/messages")
        assert history.status_code == 200, history.text

        # Appointments: those to come move; the one under way and the cancelled one stay.
        def clinician_of(appointment: str) -> str:
            found: str = owner.get(f"/appointments/{appointment}").json()["clinician_id"]
            return found

        assert [clinician_of(a) for a in load.upcoming] == [str(cam_id)] * 2
        assert clinician_of(load.past) == str(lee_id)
        assert clinician_of(load.cancelled) == str(lee_id)
        assert clinician_of(load.others_appointment) == str(ori_id)
        # On call: the past stays Lee's; the shift under way is split at the offboarding:
        # it goes on under Cam, and the part Lee served is kept as a shift of hers.
        shifts = shifts_by_id(owner, now - timedelta(days=2), now + timedelta(days=3))
        assert shifts[load.shift_past]["user_id"] == str(lee_id)
        assert summary["on_call_shift_ids"] == [load.shift_now, load.shift_next]
        going_on = shifts[load.shift_now]
        assert (going_on["user_id"], _at(going_on["starts_at"]), _at(going_on["ends_at"])) == (
            str(cam_id),
            now,
            now + timedelta(hours=5),
        )
        (served,) = summary["on_call_served_shift_ids"]
        assert (shifts[served]["user_id"], _at(shifts[served]["starts_at"])) == (
            str(lee_id),
            now - timedelta(hours=1),
        )
        assert _at(shifts[served]["ends_at"]) == now
        assert shifts[load.shift_next]["user_id"] == str(cam_id)
        assert shifts[load.others_shift]["user_id"] == str(ori_id)
        on_call = {p["user_id"] for p in owner.get("/on-call/now").json()}
        assert on_call == {str(cam_id), str(ori_id)}
        assert owner.get(f"/users/{lee_id}/offboarding-preview").json()["already_offboarded"]

        # The audit trail: each change with its reason, and the counts on the offboarding.
        (offboarded,) = audit(owner, "user.offboarded")
        assert {k: offboarded["details"][k] for k in client_work_keys()} == {
            "client_threads": 3,
            "assignments": 3,
            "appointments": 2,
            "on_call_duties": 2,
        }
        assigned = audit(owner, "client.clinician_assigned")
        assert sorted(
            e["subject_id"] for e in assigned if e["details"].get("reason") == "offboarded"
        ) == sorted([load.solo["id"], load.archived["id"]])  # already on the shared one
        unassigned = audit(owner, "client.clinician_unassigned")
        assert sorted(e["subject_id"] for e in unassigned) == sorted(summary["client_ids"])
        assert {e["details"]["user"] for e in unassigned} == {str(lee_id)}
        added = [
            (e["subject_id"], e["details"]["user"])
            for e in audit(owner, "conversation.member_added")
            if e["details"].get("reason") == "offboarded"
        ]
        assert sorted(added) == sorted(
            [(threads["solo"], str(cam_id)), (threads["archived"], str(cam_id))]
        )
        moved_entries = [
            e
            for e in audit(owner, "appointment.updated")
            if e["details"].get("reason") == "offboarded"
        ]
        assert sorted(e["subject_id"] for e in moved_entries) == sorted(load.upcoming)
        shift_entries = [
            (e["subject_id"], e["details"]["action"], e["details"]["user"])
            for e in audit(owner, "practice.on_call_changed")
            if e["details"].get("reason") == "offboarded"
        ]
        assert sorted(shift_entries) == sorted(
            [
                (served, "created", str(lee_id)),
                (load.shift_now, "updated", str(cam_id)),
                (load.shift_next, "updated", str(cam_id)),
            ]
        )

        # The signed document lists all of it.
        document = owner.get(f"/offboarding-records/{record['id']}/download")
        assert document.status_code == 200, document.text
        text = document.text
        for expected in (
            "Client threads handed over: 3 (the colleague is a member of each)",
            f"    - {threads['archived']}",
            "Client assignments handed over: 3 (the colleague is assigned to each client instead)",
            f"    - {load.shared['id']}",
            "Upcoming appointments moved to the colleague: 2 (past appointments stay as they were)",
            f"    - {load.upcoming[1]}",
            "On-call shifts handed over: 2 (1 under way, split at the time of offboarding: "
            "the part already served stays with the person leaving, the rest goes to the "
            "colleague)",
            f"    - {load.shift_next}",
            f"Parts already served, kept with the person leaving:\n    - {served}",
        ):
            assert expected in text, (expected, text)
        assert NOT_APPLICABLE_YET not in text
        assert "Solo Client" not in text  # ids, never client names
        assert check_document(owner, text) is True
        assert hillside_state() == hillside_before


def client_work_keys() -> tuple[str, ...]:
    return ("client_threads", "assignments", "appointments", "on_call_duties")


def test_a_colleague_who_cannot_take_client_work_is_refused_before_anything_changes(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    lee_id = add_staff(owner, "lee@riverbend.test", "clinician", "Lee Leaving")
    flo_id = add_staff(owner, "flo@riverbend.test", "front_desk", "Flo Desk")
    sam_id = add_staff(owner, "sam@riverbend.test", "supervisor", "Sam Supervisor")
    lee = sign_in(client, practice.slug, "lee@riverbend.test")
    now = services.clock.now()
    solo = create_client(owner, name="Solo Client", clinician_ids=[str(lee_id)])
    upcoming = book(owner, solo["id"], lee_id, now + timedelta(days=1))

    refused = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(flo_id)})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "The person leaving has 1 client and 1 upcoming appointment, and a front-desk account "
        "cannot be a client's clinician. Hand over to a clinician, supervisor, owner or admin "
        "instead; nothing was changed."
    )
    # Nothing changed: Lee is signed in, assigned, in the thread, and keeps the appointment.
    assert alive(lee)
    assert owner.get(f"/clients/{solo['id']}").json()["clinician_ids"] == [str(lee_id)]
    assert str(lee_id) in members(services, practice.id, solo["conversation_id"])
    assert owner.get(f"/appointments/{upcoming}").json()["clinician_id"] == str(lee_id)
    assert owner.get("/offboarding-records").json() == []
    assert audit(owner, "user.offboarded") == []

    # On-call shifts alone are refused the same way.
    ada_id = add_staff(owner, "ada@riverbend.test", "clinician", "Ada Oncall")
    shift = put_on_call(owner, ada_id, now + timedelta(hours=1), now + timedelta(hours=9))
    refused = owner.post(f"/users/{ada_id}/offboard", {"hand_to": str(flo_id)})
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "The person leaving has 1 on-call shift still to serve, and a front-desk account cannot "
        "be on call. Hand over to a clinician, supervisor, owner or admin instead; nothing was "
        "changed."
    )
    listed = shifts_by_id(owner, now, now + timedelta(days=1))
    assert listed[shift]["user_id"] == str(ada_id)

    # Without client work, the front desk may take the conversations; a supervisor may
    # take clients.
    gus_id = add_staff(owner, "gus@riverbend.test", "clinician", "Gus Nocases")
    assert owner.post(f"/users/{gus_id}/offboard", {"hand_to": str(flo_id)}).status_code == 201
    done = owner.post(f"/users/{lee_id}/offboard", {"hand_to": str(sam_id)})
    assert done.status_code == 201, done.text
    assert owner.get(f"/clients/{solo['id']}").json()["clinician_ids"] == [str(sam_id)]
    # The preview is for owners and admins, in their own practice.
    assert lee_id != sam_id
    clinician = sign_in(client, practice.slug, "sam@riverbend.test")
    assert clinician.get(f"/users/{ada_id}/offboarding-preview").status_code == 403
    missing = owner.get(f"/users/{uuid.uuid4()}/offboarding-preview")
    assert missing.status_code == 404, missing.text


def test_a_thread_the_leaver_alone_kept_staffed_falls_back_to_the_owners(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    """A client with no clinician, whose thread only the front desk was in: when that front
    desk leaves, what the client writes must still reach someone."""
    flo_id = add_staff(owner, "flo@riverbend.test", "front_desk", "Flo Desk")
    cam_id = add_staff(owner, "cam@riverbend.test", "clinician", "Cam Colleague")
    flo = sign_in(client, practice.slug, "flo@riverbend.test")
    walk_in = create_client(flo, name="Walk In")
    assert walk_in["clinician_ids"] == []
    assert members(services, practice.id, walk_in["conversation_id"]) == {str(flo_id)}

    done = owner.post(f"/users/{flo_id}/offboard", {"hand_to": str(cam_id)})
    assert done.status_code == 201, done.text
    summary = done.json()["summary"]
    assert [summary[k] for k in client_work_keys()] == [0, 0, 0, 0]
    assert summary["conversation_ids_left"] == [walk_in["conversation_id"]]
    assert members(services, practice.id, walk_in["conversation_id"]) == {str(owner.user_id)}


def test_records_of_format_1_stay_readable(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    """Records written before client messaging existed keep their note and their zeros."""
    lee_id = add_staff(owner, "lee@riverbend.test", "clinician", "Lee Leaving")
    old = OffboardingRecord(
        id=uuid.uuid4(),
        practice_id=practice.id,
        user_id=lee_id,
        performed_by=owner.user_id,
        performed_at=services.clock.now() - timedelta(days=400),
        handed_to=owner.user_id,
        summary={
            "format": 1,
            "role": "clinician",
            "account_deactivated": True,
            "was_active": True,
            "devices_revoked": 1,
            "device_ids": [str(uuid.uuid4())],
            "push_subscriptions_removed": 0,
            "conversations_left": 0,
            "conversation_ids_left": [],
            "conversations_handed_over": 0,
            "conversation_ids_handed_over": [],
            "colleague_added_to": 0,
            "ownership_transferred": 0,
            "status_cleared": False,
            "held_notifications_cleared": 0,
            "client_threads": 0,
            "assignments": 0,
            "on_call_duties": 0,
            "note": NOT_APPLICABLE_YET,
        },
    )
    services.db.write_sync(lambda unit: unit.staff_lifecycle.insert_record(old))
    listed = owner.get(f"/offboarding-records/{old.id}")
    assert listed.status_code == 200, listed.text
    summary = listed.json()["summary"]
    assert (summary["format"], summary["note"], summary["appointments"]) == (
        1,
        NOT_APPLICABLE_YET,
        0,
    )
    assert summary["client_ids"] == []
    text = owner.get(f"/offboarding-records/{old.id}/download").text
    assert f"Client threads handed over: 0 ({NOT_APPLICABLE_YET})" in text
    assert f"On-call duties handed over: 0 ({NOT_APPLICABLE_YET})" in text
    assert "Upcoming appointments" not in text
    assert check_document(owner, text) is True


# -- the admin's device list -------------------------------------------------------------------


def test_admins_see_every_live_device_and_revoke_a_lost_one(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    add_staff(owner, "noa@riverbend.test", name="Noa")
    add_staff(owner, "eli@riverbend.test", name="Eli")
    noa_desk = sign_in(client, practice.slug, "noa@riverbend.test", device="desk")
    clock.advance(timedelta(minutes=3))
    noa_phone = sign_in(client, practice.slug, "noa@riverbend.test", device="lost phone")
    eli = sign_in(client, practice.slug, "eli@riverbend.test", device="eli laptop")

    listed = owner.get("/devices")
    assert listed.status_code == 200, listed.text
    by_id = {d["id"]: d for d in listed.json()}
    assert set(by_id) == {
        str(owner.session_id),
        str(noa_desk.session_id),
        str(noa_phone.session_id),
        str(eli.session_id),
    }
    lost = by_id[str(noa_phone.session_id)]
    assert (lost["display_name"], lost["device_name"], lost["user_id"]) == (
        "Noa",
        "lost phone",
        str(noa_phone.user_id),
    )
    assert lost["current"] is False
    assert lost["client"] == "api"
    assert by_id[str(owner.session_id)]["current"] is True
    assert lost["last_seen_at"] > by_id[str(noa_desk.session_id)]["last_seen_at"]
    # By person, the most recently used device first.
    noas = [d["id"] for d in listed.json() if d["display_name"] == "Noa"]
    assert noas == [str(noa_phone.session_id), str(noa_desk.session_id)]

    assert owner.delete(f"/devices/{noa_phone.session_id}").status_code == 204
    assert not alive(noa_phone)
    assert alive(noa_desk)
    assert owner.post(f"/users/{eli.user_id}/deactivate").status_code == 200
    remaining = {d["id"] for d in owner.get("/devices").json()}
    assert remaining == {str(owner.session_id), str(noa_desk.session_id)}
    # Devices idle past the practice's limit are not listed either.
    clock.advance(timedelta(minutes=29))
    assert alive(owner)
    clock.advance(timedelta(minutes=2))
    assert {d["id"] for d in owner.get("/devices").json()} == {str(owner.session_id)}
