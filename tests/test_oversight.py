"""Oversight (issue 5): emergency ("break-glass") access (by owners and admins, and by whoever
is on call, on a client's thread, while the shift lasts), the audit viewer's filters, the
access report, the audit export, and the record of chain verifications.

Every test runs on SQLite and PostgreSQL. Time is the ManualClock of the ``clock`` fixture:
grants expire by it, and the access report's month of views is seeded by moving it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from quietline.actions.oversight import (
    EXPORT_COLUMNS,
    NOT_ON_CALL,
    ON_CALL_CLIENT_THREADS_ONLY,
    WITHHELD,
    export_value,
)
from quietline.app import Services
from quietline.cli.main import app as cli_app
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.storage.tables import maintenance_events, metadata
from quietline.storage.unit import Unit
from tests.client_support import create_client
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import Socket, create_direct, create_group, history, send_message
from tests.test_no_plaintext import leaks

PROBLEM_JSON = "application/problem+json"
REASON = "Client at risk; their clinician cannot be reached this evening."


def _reason_marker() -> str:
    return f"QlMarkReason{uuid.uuid4().hex}"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# -- a practice: two clinicians talking, an admin and a clinician who are not in it ---------


@dataclass
class Ward:
    services: Services
    client: Any
    clock: ManualClock
    practice: PracticeHandle
    owner: Api  # an admin, member of the group only
    ada: Api  # an admin, member of nothing
    dana: Api  # clinician, in the direct conversation and the group
    eli: Api  # clinician, in the direct conversation
    fran: Api  # clinician, in nothing
    direct: str  # dana <-> eli
    group: str  # owner, dana
    messages: list[str]  # in the direct conversation

    def grants_path(self, conversation: str | None = None) -> str:
        return f"/conversations/{conversation or self.direct}/emergency-access"

    def open_grant(self, api: Api | None = None, reason: str = REASON, minutes: int = 10) -> str:
        response = (api or self.ada).post(
            self.grants_path(), {"reason": reason, "minutes": minutes}
        )
        assert response.status_code == 201, response.text
        grant_id: str = response.json()["id"]
        return grant_id

    def audit(self, api: Api | None = None, **params: Any) -> list[dict[str, Any]]:
        response = (api or self.owner).get("/audit", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries


def build_ward(services: Services, client: Any, clock: ManualClock) -> Ward:
    practice = make_practice(services, "riverbend")
    owner = sign_in(client, practice.slug, practice.owner_email, device="front desk")
    people = {}
    for name, role in (("ada", "admin"), ("dana", "clinician"), ("eli", "clinician")):
        add_staff(owner, f"{name}@riverbend.test", role, name.capitalize())
        people[name] = sign_in(client, practice.slug, f"{name}@riverbend.test", device=name)
    add_staff(owner, "fran@riverbend.test", "clinician", "Fran")
    fran = sign_in(client, practice.slug, "fran@riverbend.test", device="fran")
    dana, eli = people["dana"], people["eli"]
    direct = create_direct(dana, eli.user_id)
    group = create_group(owner, "Front desk", [dana.user_id])
    sent = [send_message(dana, direct, f"handover note {n}")["id"] for n in range(3)]
    send_message(owner, group, "front desk note")
    return Ward(
        services,
        client,
        clock,
        practice,
        owner,
        people["ada"],
        dana,
        eli,
        fran,
        direct,
        group,
        sent,
    )


@pytest.fixture
def ward(services: Services, client: TestClient, clock: ManualClock) -> Ward:
    return build_ward(services, client, clock)


# -- emergency access ---------------------------------------------------------------------


def test_a_non_member_admin_reads_only_while_a_grant_is_live(ward: Ward) -> None:
    w = ward
    base = f"/conversations/{w.direct}"
    read_paths = (base, f"{base}/messages", f"{base}/receipts")
    before = {p: w.ada.get(p) for p in read_paths}
    for path, response in before.items():
        assert response.status_code == 404, (path, response.text)

    opened_at = w.clock.now()
    response = w.ada.post(w.grants_path(), {"reason": REASON, "minutes": 10})
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["user_id"] == str(w.ada.user_id)
    assert grant["conversation_id"] == w.direct
    assert grant["live"] is True
    assert grant["reason"] == REASON
    assert _at(grant["expires_at"]) == opened_at + timedelta(minutes=10)

    assert [m["id"] for m in history(w.ada, w.direct)] == w.messages
    conversation = w.ada.get(base)
    assert conversation.status_code == 200, conversation.text
    assert sorted(conversation.json()["member_ids"]) == sorted(
        [str(w.dana.user_id), str(w.eli.user_id)]
    )
    receipts = w.ada.get(f"{base}/receipts")
    assert receipts.status_code == 200, receipts.text
    # reading only: not a member, so no sending, marking, recalling or searching
    send_message(w.ada, w.direct, "not allowed", status=404)
    assert w.ada.post(f"{base}/receipts", {"kind": "seen", "up_to_seq": 1}).status_code == 404
    assert w.ada.delete(f"{base}/messages/{w.messages[0]}").status_code == 404
    assert w.ada.post("/search", {"query": "handover"}).json() == []
    members = {m["user_id"] for m in w.ada.get(f"{base}/receipts").json()["members"]}
    assert members == {str(w.dana.user_id), str(w.eli.user_id)}  # she did not join

    # the grant ends by time: at expires_at itself, reading stops
    w.clock.advance(timedelta(minutes=10))
    for path in read_paths:
        after = w.ada.get(path)
        assert (after.status_code, after.content) == (404, before[path].content), path
    assert w.ada.get(w.grants_path()).json()[0]["live"] is False

    # ... or when it is closed early
    second = w.open_grant(minutes=30)
    assert w.ada.get(f"{base}/messages").status_code == 200
    assert w.ada.delete(f"{w.grants_path()}/{second}").status_code == 204
    assert w.ada.get(f"{base}/messages").status_code == 404
    assert w.ada.delete(f"{w.grants_path()}/{second}").status_code == 204  # already ended
    listed = w.dana.get(w.grants_path()).json()
    assert [(g["id"], g["live"], g["closed_at"] is not None) for g in listed] == [
        (second, False, True),
        (grant["id"], False, False),
    ]

    # the reads are in the audit trail, marked with their grant; opening and closing too
    views = w.audit(kind="message.viewed", actor_user_id=str(w.ada.user_id))
    assert [v["details"].get("emergency_access") for v in views] == [second, grant["id"]]
    assert all(v["subject_id"] == w.direct for v in views)
    assert views[1]["details"]["messages"] == w.messages
    opened = w.audit(kind="access.emergency_opened")
    assert [o["details"]["grant"] for o in opened] == [second, grant["id"]]
    assert [o["actor_user_id"] for o in opened] == [str(w.ada.user_id)] * 2
    closed = w.audit(kind="access.emergency_closed")
    assert [c["details"]["grant"] for c in closed] == [second]  # expiry is no event
    # members' own reads are not marked
    history(w.dana, w.direct)
    dana_view = w.audit(kind="message.viewed", actor_user_id=str(w.dana.user_id))[0]
    assert "emergency_access" not in dana_view["details"]


def test_members_and_admins_see_grants_with_reasons_others_get_404(ward: Ward) -> None:
    w = ward
    grant = w.open_grant()
    for api in (w.dana, w.eli, w.owner, w.ada):
        response = api.get(w.grants_path())
        assert response.status_code == 200, response.text
        [listed] = response.json()
        assert listed["id"] == grant
        assert listed["user_id"] == str(w.ada.user_id)
        assert listed["reason"] == REASON
        assert listed["live"] is True
    theirs = w.fran.get(w.grants_path())
    random_id = w.fran.get(w.grants_path(str(uuid.uuid4())))
    assert theirs.status_code == 404
    assert theirs.content == random_id.content
    # a member who is not an admin may see the grant but not close it
    assert w.dana.delete(f"{w.grants_path()}/{grant}").status_code == 403
    assert w.owner.delete(f"{w.grants_path()}/{uuid.uuid4()}").status_code == 404
    # a grant is closed only through its own conversation
    assert w.owner.delete(f"{w.grants_path(w.group)}/{grant}").status_code == 404
    assert w.ada.get(f"/conversations/{w.direct}/messages").status_code == 200
    # any admin may close it, not only its holder
    assert w.owner.delete(f"{w.grants_path()}/{grant}").status_code == 204
    assert w.ada.get(f"/conversations/{w.direct}/messages").status_code == 404


def test_only_owners_and_admins_open_grants_when_nobody_is_on_call(ward: Ward) -> None:
    w = ward
    add_staff(w.owner, "sam@riverbend.test", "supervisor", "Sam")
    add_staff(w.owner, "flo@riverbend.test", "front_desk", "Flo")
    others = [sign_in(w.client, w.practice.slug, f"{n}@riverbend.test") for n in ("sam", "flo")]
    body = {"reason": REASON, "minutes": 10}
    for api in (w.dana, w.fran, *others):  # a member, a non-member, other roles
        for conversation in (w.direct, str(uuid.uuid4())):
            refused = api.post(w.grants_path(conversation), body)
            assert _problem(refused, 403)["detail"] == NOT_ON_CALL
    assert w.owner.get(w.grants_path()).json() == []
    # the owner may, like an admin (owners are admins)
    w.open_grant(api=w.owner)
    assert w.owner.get(f"/conversations/{w.direct}/messages").status_code == 200


def test_bad_grant_requests_are_problems_that_repeat_nothing(ward: Ward) -> None:
    w = ward
    marker = _reason_marker()
    cases: list[dict[str, Any]] = [
        {"reason": "too short"},
        {"reason": f"{marker} " + "x" * 500},
        {"reason": " " * 20},  # blank once trimmed
        {"reason": f"{marker} is fine", "minutes": 0},
        {"reason": f"{marker} is fine", "minutes": 241},
        {"reason": f"{marker} is fine", "minutes": "soon"},
        {"minutes": 10},
        {"reason": f"{marker} is fine", "extra": marker},
        {"reason": f"{marker}\x00 is fine"},
    ]
    for body in cases:
        response = w.ada.post(w.grants_path(), body)
        _problem(response, 422)
        assert marker not in response.text
    missing = w.ada.post(w.grants_path(str(uuid.uuid4())), {"reason": REASON})
    _problem(missing, 404)
    _problem(w.ada.post("/conversations/not-an-id/emergency-access", {"reason": REASON}), 422)
    _problem(w.ada.delete(f"{w.grants_path()}/not-an-id"), 422)
    assert w.ada.get(w.grants_path()).json() == []
    # the default length is an hour
    response = w.ada.post(w.grants_path(), {"reason": REASON})
    assert response.status_code == 201, response.text
    grant = response.json()
    assert _at(grant["expires_at"]) - _at(grant["opened_at"]) == timedelta(minutes=60)


def test_members_sockets_are_told_and_events_never_carry_the_reason(
    live_server: LiveServer,
) -> None:
    marker = _reason_marker()
    reason = f"Crisis call about {marker}; covering for the clinician"
    with httpx.Client(base_url=live_server.url, timeout=20) as http:
        practice = make_practice(live_server.services, "riverbend")
        owner = sign_in(http, practice.slug, practice.owner_email)
        for name, role in (("ada", "admin"), ("dana", "clinician"), ("eli", "clinician")):
            add_staff(owner, f"{name}@riverbend.test", role)
        ada, dana, eli = (
            sign_in(http, practice.slug, f"{n}@riverbend.test") for n in ("ada", "dana", "eli")
        )
        direct = create_direct(dana, eli.user_id)
        url = live_server.ws_url
        with (
            Socket(url, dana.token) as dana_ws,
            Socket(url, eli.token) as eli_ws,
            Socket(url, ada.token) as ada_ws,
        ):
            opened = ada.post(
                f"/conversations/{direct}/emergency-access", {"reason": reason, "minutes": 15}
            )
            assert opened.status_code == 201, opened.text
            grant = opened.json()
            for ws in (dana_ws, eli_ws):
                frame = ws.expect("emergency_access.opened")
                assert set(frame) == {
                    "type",
                    "conversation_id",
                    "grant_id",
                    "opened_by",
                    "expires_at",
                }
                assert frame["conversation_id"] == direct
                assert frame["grant_id"] == grant["id"]
                assert frame["opened_by"] == str(ada.user_id)
                assert _at(frame["expires_at"]) == _at(grant["expires_at"])
            # the reader's reads are not pushed to anyone, and she gets no conversation events
            assert ada.get(f"/conversations/{direct}/messages").status_code == 200
            closed = ada.delete(f"/conversations/{direct}/emergency-access/{grant['id']}")
            assert closed.status_code == 204
            for ws in (dana_ws, eli_ws):
                frame = ws.expect("emergency_access.closed")
                assert frame["grant_id"] == grant["id"]
                assert frame["closed_by"] == str(ada.user_id)
            ada_ws.send({"type": "ping"})
            ada_ws.expect("pong")
            assert not [f for f in ada_ws.frames if f["type"].startswith("emergency_access")]
            for ws in (dana_ws, eli_ws, ada_ws):
                ws.drain(0.3)
                assert not leaks(marker, json.dumps(ws.frames).encode())


# -- emergency access by whoever is on call --------------------------------------------------


def _iso_z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _on_call(owner: Api, user_id: uuid.UUID, start: datetime, end: datetime) -> str:
    body = {"user_id": str(user_id), "starts_at": _iso_z(start), "ends_at": _iso_z(end)}
    response = owner.post("/on-call", body)
    assert response.status_code == 201, response.text
    shift_id: str = response.json()["id"]
    return shift_id


def _client_thread(owner: Api, clinician: Api) -> str:
    """A client of ``clinician`` with a staff note in the thread; the thread's id."""
    created = create_client(owner, name="Robin Client", clinician_ids=[str(clinician.user_id)])
    thread: str = created["conversation_id"]
    note = clinician.post(
        f"/conversations/{thread}/client-messages",
        {"text": "Robin sounded low today", "idempotency_key": uuid.uuid4().hex, "internal": True},
    )
    assert note.status_code == 201, note.text
    return thread


def test_the_clinician_on_call_opens_emergency_access_to_a_client_thread(ward: Ward) -> None:
    w = ward
    thread = _client_thread(w.owner, w.dana)
    now = w.clock.now()
    shift = _on_call(w.owner, w.fran.user_id, now - timedelta(hours=1), now + timedelta(hours=2))
    path = w.grants_path(thread)
    assert w.fran.get(f"/conversations/{thread}/messages").status_code == 404

    # Fran, on call and in nothing, opens a grant; it ends when her shift does at the latest.
    response = w.fran.post(path, {"reason": REASON, "minutes": 240})
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant["user_id"] == str(w.fran.user_id)
    assert _at(grant["expires_at"]) == now + timedelta(hours=2)
    read = history(w.fran, thread)
    assert [m["body"] for m in read] == ["Robin sounded low today"]
    assert w.fran.get(f"/conversations/{thread}").status_code == 200
    # Reading only.
    refused = w.fran.post(
        f"/conversations/{thread}/client-messages",
        {"text": "hello", "idempotency_key": uuid.uuid4().hex, "internal": True},
    )
    assert refused.status_code == 404, refused.text
    # She, the thread's members and the admins see the grant with its reason.
    for api in (w.fran, w.dana, w.owner):
        [listed] = api.get(path).json()
        assert (listed["id"], listed["user_id"], listed["reason"]) == (
            grant["id"],
            str(w.fran.user_id),
            REASON,
        )
    # Audited like an admin's, marked as opened on call; the reads name the grant.
    (opened,) = w.audit(kind="access.emergency_opened")
    assert opened["actor_user_id"] == str(w.fran.user_id)
    assert opened["subject_id"] == thread
    assert opened["details"]["grant"] == grant["id"]
    assert opened["details"]["via"] == "on_call"
    views = w.audit(kind="message.viewed", actor_user_id=str(w.fran.user_id))
    assert [v["details"]["emergency_access"] for v in views] == [grant["id"]]

    # She may end her own grant; another clinician may not.
    assert w.eli.delete(f"{path}/{grant['id']}").status_code == 403
    assert w.fran.delete(f"{path}/{grant['id']}").status_code == 204
    assert w.fran.get(f"/conversations/{thread}/messages").status_code == 404
    closed = w.audit(kind="access.emergency_closed")
    assert [(c["actor_user_id"], c["details"]["grant"]) for c in closed] == [
        (str(w.fran.user_id), grant["id"])
    ]

    # Her grant works only while she is on call: taking her off call ends it at once ...
    again = w.fran.post(path, {"reason": REASON, "minutes": 60})
    assert again.status_code == 201, again.text
    assert w.fran.get(f"/conversations/{thread}/messages").status_code == 200
    assert w.owner.delete(f"/on-call/shifts/{shift}").status_code == 204
    gone = w.fran.get(f"/conversations/{thread}/messages")
    random = w.fran.get(f"/conversations/{uuid.uuid4()}/messages")
    assert (gone.status_code, gone.content) == (404, random.content)
    assert w.fran.get(path).status_code == 404
    # ... and by time, when her shift ends.
    now = w.clock.now()
    _on_call(w.owner, w.fran.user_id, now - timedelta(minutes=5), now + timedelta(minutes=20))
    third = w.fran.post(path, {"reason": REASON, "minutes": 60})
    assert third.status_code == 201, third.text
    assert _at(third.json()["expires_at"]) == now + timedelta(minutes=20)
    assert w.fran.get(f"/conversations/{thread}/messages").status_code == 200
    w.clock.advance(timedelta(minutes=20))
    assert w.fran.get(f"/conversations/{thread}/messages").status_code == 404


def test_emergency_access_is_refused_to_whoever_is_not_on_call(ward: Ward) -> None:
    w = ward
    thread = _client_thread(w.owner, w.dana)
    now = w.clock.now()
    body = {"reason": REASON, "minutes": 10}
    # Eli is not on call: refused, whatever the conversation (nothing is looked up).
    for conversation in (thread, w.direct, str(uuid.uuid4())):
        refused = w.eli.post(w.grants_path(conversation), body)
        assert _problem(refused, 403)["detail"] == NOT_ON_CALL
    # A shift that has not started yet, or is over, does not count.
    _on_call(w.owner, w.eli.user_id, now + timedelta(hours=1), now + timedelta(hours=3))
    assert _problem(w.eli.post(w.grants_path(thread), body), 403)["detail"] == NOT_ON_CALL
    # On call, Fran opens client threads only: a conversation between staff is for admins.
    _on_call(w.owner, w.fran.user_id, now - timedelta(minutes=1), now + timedelta(hours=1))
    staff = w.fran.post(w.grants_path(w.direct), body)
    assert _problem(staff, 403)["detail"] == ON_CALL_CLIENT_THREADS_ONLY
    assert _problem(w.fran.post(w.grants_path(str(uuid.uuid4())), body), 404)
    assert w.fran.get(w.grants_path(w.direct)).status_code == 404
    assert w.audit(kind="access.emergency_opened") == []


def test_members_are_told_when_the_clinician_on_call_opens_emergency_access(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=20) as http:
        practice = make_practice(live_server.services, "riverbend")
        owner = sign_in(http, practice.slug, practice.owner_email)
        for name in ("dana", "fran"):
            add_staff(owner, f"{name}@riverbend.test", "clinician")
        dana, fran = (sign_in(http, practice.slug, f"{n}@riverbend.test") for n in ("dana", "fran"))
        thread = _client_thread(owner, dana)
        now = live_server.services.clock.now()
        _on_call(owner, fran.user_id, now - timedelta(minutes=1), now + timedelta(hours=1))
        with Socket(live_server.ws_url, dana.token) as dana_ws:
            opened = fran.post(
                f"/conversations/{thread}/emergency-access", {"reason": REASON, "minutes": 15}
            )
            assert opened.status_code == 201, opened.text
            frame = dana_ws.expect("emergency_access.opened")
            assert frame["conversation_id"] == thread
            assert frame["opened_by"] == str(fran.user_id)
            assert frame["grant_id"] == opened.json()["id"]
            assert REASON not in json.dumps(dana_ws.frames)


def _database_dump(services: Services) -> bytes:
    """Every value of every row of every table, as bytes (ciphertext stays ciphertext)."""

    def read(unit: Unit) -> bytes:
        chunks: list[bytes] = []
        for table in metadata.sorted_tables:
            for row in unit.conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(repr(value).encode())
        return b"\n".join(chunks)

    return services.db.read_sync(read)


def _sqlite_files(settings: Settings) -> list[Path]:
    database = make_url(str(settings.database_url)).database
    assert database
    path = Path(database)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def test_the_reason_is_stored_sealed_and_never_leaves_in_plain(
    ward: Ward, settings: Settings
) -> None:
    w = ward
    marker = _reason_marker()
    grant = w.open_grant(reason=f"Client {marker} said something alarming; reviewing now")
    history(w.ada, w.direct)
    # canary: the reason was stored and opens for those allowed to read it
    assert marker in w.dana.get(w.grants_path()).text
    # ... and appears nowhere else the API shows
    outputs = {
        "audit": w.owner.get("/audit", params={"limit": 1000}).text,
        "csv": w.owner.get("/audit/export", params={"format": "csv"}).text,
        "json": w.owner.get("/audit/export", params={"format": "json"}).text,
        "report": w.owner.get("/audit/access-report", params={"conversation_id": w.direct}).text,
    }
    for name, text in outputs.items():
        assert grant in text, name  # the grant is named by its id
        assert not leaks(marker, text.encode()), name

    dump = _database_dump(w.services)
    assert leaks("fran@riverbend.test", dump), "the scanner reads plaintext columns"
    assert leaks(grant, dump)
    assert leaks(marker, dump) == [], "the reason is stored in plain"
    if str(settings.database_url).startswith("sqlite"):
        files = b"".join(p.read_bytes() for p in _sqlite_files(settings) if p.exists())
        assert leaks("fran@riverbend.test", files)
        assert leaks(marker, files) == [], "the reason is in the SQLite files in plain"


# -- the access report --------------------------------------------------------------------


@dataclass(frozen=True)
class SeededView:
    at: datetime
    who: str
    device: str
    conversation: str
    limit: int | None = None
    under_grant: bool = False


def test_the_access_report_shows_exactly_the_views_recorded_in_the_range(
    services: Services, client: TestClient, clock: ManualClock
) -> None:
    w = build_ward(services, client, clock)
    start = clock.now()
    since, until = start + timedelta(days=1), start + timedelta(days=31)
    day = timedelta(days=1)
    plan = [
        SeededView(start + day / 2, "dana", "dana old phone", w.direct),  # before the range
        SeededView(start + 2 * day, "dana", "dana phone", w.direct),
        SeededView(start + 5 * day, "eli", "eli laptop", w.direct),
        SeededView(start + 10 * day, "ada", "ada desk", w.direct, under_grant=True),
        SeededView(start + 12 * day, "dana", "dana tablet", w.group),  # another conversation
        SeededView(start + 20 * day, "eli", "eli phone", w.direct, limit=1),
        SeededView(until - timedelta(seconds=1), "dana", "dana phone 2", w.direct),
        SeededView(until, "dana", "dana phone 3", w.direct),  # 'to' itself is outside
        SeededView(start + 40 * day, "eli", "eli phone 2", w.direct),  # after the range
    ]
    emails = {name: f"{name}@riverbend.test" for name in ("dana", "eli", "ada")}
    recorded: list[dict[str, Any]] = []
    for view in plan:
        clock.set(view.at)  # sessions do not last days: each view signs in anew
        api = sign_in(client, w.practice.slug, emails[view.who], device=view.device)
        grant = w.open_grant(api=api) if view.under_grant else None
        params = {"limit": view.limit} if view.limit else {}
        ids = [m["id"] for m in history(api, view.conversation, **params)]
        recorded.append(
            {
                "at": view.at,
                "user_id": str(api.user_id),
                "user_name": view.who.capitalize(),
                "device_session_id": str(api.session_id),
                "device_name": view.device,
                "conversation_id": view.conversation,
                "via": "history",
                "message_ids": ids,
                "up_to_seq": None,
                "emergency_access": view.under_grant,
                "grant_id": grant,
                "client_id": None,
                "supervision": False,
            }
        )
    assert recorded[5]["message_ids"] == w.messages[-1:]
    in_range = [
        r for r in recorded if since <= r["at"] < until and r["conversation_id"] == w.direct
    ]
    assert len(in_range) == 5

    clock.set(start + 41 * day)
    owner = sign_in(client, w.practice.slug, w.practice.owner_email)
    window = {"from": _iso(since), "to": _iso(until)}
    response = owner.get("/audit/access-report", params={"conversation_id": w.direct, **window})
    assert response.status_code == 200, response.text
    report = response.json()
    assert _at(report["since"]) == since
    assert _at(report["until"]) == until
    rows = report["rows"]
    assert [{**r, "at": _at(r["at"])} for r in (_without_seq(r) for r in rows)] == in_range
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert report["summary"] == {"entries": 5, "emergency_entries": 1, "people": 3, "devices": 5}
    assert report["next_after_seq"] is None
    [emergency] = [r for r in rows if r["emergency_access"]]
    assert emergency["user_id"] == str(w.ada.user_id)
    assert emergency["grant_id"] is not None

    # one person: what did Eli view (both conversations, same range)
    eli_rows = owner.get(
        "/audit/access-report", params={"user_id": str(w.eli.user_id), **window}
    ).json()["rows"]
    assert [r["device_name"] for r in eli_rows] == ["eli laptop", "eli phone"]
    # the whole practice: every view in the range, both conversations
    everyone = owner.get("/audit/access-report", params=window).json()
    assert everyone["summary"]["entries"] == 6
    assert {r["conversation_id"] for r in everyone["rows"]} == {w.direct, w.group}

    # pages: the same rows, and the summary always covers the whole range
    pages: list[dict[str, Any]] = []
    after = 0
    for _ in range(5):
        page = owner.get(
            "/audit/access-report",
            params={"conversation_id": w.direct, "limit": 3, "after_seq": after, **window},
        ).json()
        pages.extend(page["rows"])
        assert page["summary"]["entries"] == 5
        if page["next_after_seq"] is None:
            break
        after = page["next_after_seq"]
    assert pages == rows

    # reading the report is itself recorded (ids and counts only)
    queried = owner.get("/audit", params={"kind": "audit.queried", "limit": 20}).json()
    reports = [q for q in queried if q["details"].get("report") == "access"]
    assert reports
    assert reports[-1]["details"] == {"report": "access", "results": 5, "conversation": w.direct}


def _without_seq(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "seq"}


def test_access_report_and_export_refuse_bad_input_and_non_admins(ward: Ward) -> None:
    w = ward
    now = w.clock.now()
    for params in (
        {"from": _iso(now), "to": _iso(now)},
        {"from": _iso(now), "to": _iso(now - timedelta(days=1))},
        {"from": "2026-01-01T00:00:00"},  # no time zone
        {"from": "yesterday"},
        {"conversation_id": "not-an-id"},
        {"limit": 0},
        {"limit": 5001},
        {"after_seq": -1},
    ):
        _problem(w.owner.get("/audit/access-report", params=params), 422)
    for params in ({"format": "xml"}, {"limit": 10_001}, {"kind": "no.such.kind"}):
        _problem(w.owner.get("/audit/export", params=params), 422)
    for path in ("/audit/access-report", "/audit/export", "/audit"):
        _problem(w.dana.get(path), 403)


# -- the audit viewer's filters -----------------------------------------------------------


def _about(entry: dict[str, Any], conversation: str) -> bool:
    subject = entry["subject_type"] == "conversation" and entry["subject_id"] == conversation
    return subject or conversation in json.dumps(entry["details"])


def test_audit_filters_by_person_conversation_kinds_and_time(ward: Ward) -> None:
    w = ward
    t0 = w.clock.now()
    history(w.eli, w.direct)
    w.clock.advance(timedelta(minutes=10))
    later = send_message(w.eli, w.direct, "later note")["id"]
    history(w.dana, w.group)
    w.clock.advance(timedelta(minutes=10))
    everything = w.audit()

    by_eli = w.audit(actor_user_id=str(w.eli.user_id))
    assert by_eli
    assert {e["actor_user_id"] for e in by_eli} == {str(w.eli.user_id)}
    assert [e["seq"] for e in by_eli] == [
        e["seq"] for e in everything if e["actor_user_id"] == str(w.eli.user_id)
    ]

    about_direct = w.audit(conversation_id=w.direct)
    assert [e["seq"] for e in about_direct] == [e["seq"] for e in everything if _about(e, w.direct)]
    kinds = {e["kind"] for e in about_direct}
    assert {"conversation.created", "message.sent", "message.viewed"} <= kinds
    assert later in {e["subject_id"] for e in about_direct}  # named in its details
    assert not any(_about(e, w.group) and not _about(e, w.direct) for e in about_direct)

    two_kinds = w.audit(kind=["message.sent", "message.viewed"], conversation_id=w.direct)
    assert [e["seq"] for e in two_kinds] == [
        e["seq"] for e in about_direct if e["kind"] in ("message.sent", "message.viewed")
    ]

    since, until = t0 + timedelta(minutes=5), t0 + timedelta(minutes=15)
    window = w.audit(since=_iso(since), until=_iso(until))
    assert window
    assert later in {e["subject_id"] for e in window}
    assert [e["seq"] for e in window] == [
        e["seq"] for e in everything if since <= _at(e["at"]) < until
    ]


def test_audit_pages_with_a_cursor(ward: Ward) -> None:
    w = ward
    history(w.dana, w.direct)
    expected = [e["seq"] for e in w.audit(conversation_id=w.direct)]
    assert len(expected) == 5  # created, three sent, one viewed: pages of 2, 2 and 1
    seen: list[int] = []
    params: dict[str, Any] = {"conversation_id": w.direct, "limit": 2}
    for _ in range(len(expected)):
        response = w.owner.get("/audit", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(e["seq"] for e in page)
        cursor = response.headers.get("x-next-before-seq")
        if cursor is None:
            assert len(page) < 2
            break
        assert int(cursor) == page[-1]["seq"]
        params["before_seq"] = cursor
    assert seen == expected


def test_audit_filters_refuse_bad_input(ward: Ward) -> None:
    w = ward
    now = w.clock.now()
    for params in (
        {"kind": "no.such.kind"},
        {"since": _iso(now), "until": _iso(now)},
        {"since": "2026-01-01T00:00:00"},  # no time zone
        {"until": "tomorrow"},
        {"conversation_id": "not-an-id"},
        {"actor_user_id": "42"},
        {"before_seq": 0},
        {"limit": 1001},
    ):
        body = _problem(w.owner.get("/audit", params=params), 422)
        assert "no.such.kind" not in body["detail"]
    # a conversation of nobody, or another practice's, finds nothing
    assert w.audit(conversation_id=str(uuid.uuid4())) == []


# -- the export -----------------------------------------------------------------------------


def _csv_rows(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    for raw in reader:
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        row["seq"] = int(row["seq"])
        row["details"] = json.loads(row["details"])
        rows.append(row)
    return list(reader.fieldnames or []), rows


def test_csv_and_json_exports_carry_the_same_rows_and_are_audited(ward: Ward) -> None:
    w = ward
    grant = w.open_grant()
    history(w.ada, w.direct)
    history(w.dana, w.direct)
    until = w.clock.now() + timedelta(seconds=1)
    w.clock.advance(timedelta(seconds=2))  # the exports' own entries fall after 'until'
    filters: dict[str, Any] = {"conversation_id": w.direct, "until": _iso(until)}

    as_csv = w.owner.get("/audit/export", params={"format": "csv", **filters})
    as_json = w.owner.get("/audit/export", params={"format": "json", **filters})
    default = w.owner.get("/audit/export", params=filters)
    for response, kind, extension in (
        (as_csv, "text/csv", "csv"),
        (as_json, "application/json", "json"),
        (default, "text/csv", "csv"),
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(kind)
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert disposition.endswith(f'.{extension}"')
        assert "x-next-before-seq" not in response.headers
    header, csv_rows = _csv_rows(as_csv.text)
    assert header == list(EXPORT_COLUMNS)
    json_rows = as_json.json()
    assert csv_rows == json_rows
    assert _csv_rows(default.text)[1] == json_rows
    viewer = w.audit(**filters)
    assert [r["seq"] for r in json_rows] == [e["seq"] for e in viewer]
    assert [r["kind"] for r in json_rows] == [e["kind"] for e in viewer]
    assert [r["details"] for r in json_rows] == [e["details"] for e in viewer]  # ids only

    marked = [r for r in json_rows if r["emergency_access"]]
    assert [(r["kind"], r["emergency_access"], r["actor_user_id"]) for r in marked] == [
        ("message.viewed", grant, str(w.ada.user_id))
    ]
    opened = next(r for r in json_rows if r["kind"] == "access.emergency_opened")
    assert opened["details"]["grant"] == grant
    assert REASON not in as_csv.text
    assert REASON not in as_json.text

    exported = w.audit(kind="audit.exported")
    assert [e["details"] for e in exported] == [
        {"format": fmt, "rows": len(json_rows), "conversation": w.direct}
        for fmt in ("csv", "json", "csv")
    ]
    assert {e["actor_user_id"] for e in exported} == {str(w.owner.user_id)}

    # pages of a file: a full one names where the next starts
    first = w.owner.get("/audit/export", params={"format": "json", "limit": 2, **filters})
    cursor = first.headers["x-next-before-seq"]
    assert int(cursor) == first.json()[-1]["seq"]
    rest = w.owner.get(
        "/audit/export", params={"format": "json", "before_seq": cursor, **filters}
    ).json()
    assert first.json() + rest == json_rows


def test_exported_details_keep_ids_and_words_and_withhold_any_text() -> None:
    grant = str(uuid.uuid4())
    details = {
        "via": "history",
        "messages": [grant],
        "count": 3,
        "urgent": True,
        "ratio": 0.5,
        "none": None,
        "expires_at": "2026-03-01T09:00:00.123456+00:00",
        "emergency_access": grant,
        "note": "Client John said he is not safe",
        "single": "Suicidal",
        "Bad Key": "x",
        "policy": {"notification_text": {"from": "New secure message", "to": "hello-there"}},
        "deep": {"a": {"b": {"c": {"d": "x"}}}},
    }
    assert export_value(details) == {
        "via": "history",
        "messages": [grant],
        "count": 3,
        "urgent": True,
        "ratio": 0.5,
        "none": None,
        "expires_at": "2026-03-01T09:00:00.123456+00:00",
        "emergency_access": grant,
        "note": WITHHELD,
        "single": WITHHELD,
        "policy": {"notification_text": {"from": WITHHELD, "to": "hello-there"}},
        "deep": {"a": {"b": {"c": WITHHELD}}},
    }


# -- chain verification leaves a record for the compliance page ---------------------------


def _verifications(services: Services) -> list[dict[str, Any]]:
    def read(unit: Unit) -> list[dict[str, Any]]:
        rows = unit.conn.execute(
            select(maintenance_events)
            .where(maintenance_events.c.kind == "audit_verify")
            .order_by(maintenance_events.c.at)
        )
        return [dict(r._mapping) for r in rows]

    return services.db.read_sync(read)


def _cli_verify(settings: Settings) -> int:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("QUIETLINE_")}
    env.update(
        {
            "QUIETLINE_DATABASE_URL": settings.database_url,
            "QUIETLINE_DATA_DIR": str(settings.data_dir),
            "COLUMNS": "200",
        }
    )
    return CliRunner(env=env).invoke(cli_app, ["audit", "verify"]).exit_code


def test_each_verification_is_recorded_as_a_maintenance_event(
    clock: ManualClock,
    services: Services,
    settings: Settings,
    client: TestClient,
    practice: PracticeHandle,
    owner: Api,
) -> None:
    assert _verifications(services) == []
    assert owner.get("/audit/verify").json()["ok"] is True
    add_staff(owner, "cleo@riverbend.test", "clinician")
    cleo = sign_in(client, practice.slug, "cleo@riverbend.test")
    _problem(cleo.get("/audit/verify"), 403)  # refused: not recorded
    [api] = _verifications(services)
    assert api["ok"] is True
    assert api["at"] == clock.now()
    assert api["details"]["via"] == "api"
    assert api["details"]["practices"] == [str(practice.id)]
    assert api["details"]["broken"] == []
    assert api["details"]["entries"] > 0

    assert _cli_verify(settings) == 0  # the CLI runs on the system clock: later than 'clock'
    cli = _verifications(services)[-1]
    assert (cli["ok"], cli["details"]["via"]) == (True, "cli")
    assert str(practice.id) in cli["details"]["practices"]

    services.audit_anchor.flush()
    settings.audit_anchor_path.write_text("{not json")
    assert owner.get("/audit/verify").json()["ok"] is False
    assert _cli_verify(settings) == 1
    recorded = sorted(
        (v["details"]["via"], v["ok"], v["details"]["anchor_damaged"])
        for v in _verifications(services)
    )
    assert recorded == [
        ("api", False, True),
        ("api", True, False),
        ("cli", False, True),
        ("cli", True, False),
    ]
    last = services.db.read_sync(lambda unit: unit.maintenance.last("audit_verify", ok_only=True))
    assert last is not None
    assert last.details["via"] == "cli"
