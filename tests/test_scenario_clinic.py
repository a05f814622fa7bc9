"""Scenario 3 of SCENARIOS.md ("Clinic"), end to end: Harbor Behavioral Health, a clinic with staff
turnover, from late February to the night of April 2, against the real app (uvicorn on a
loopback port, real WebSockets, the CLI through typer's CliRunner) on SQLite and PostgreSQL.

One story, told in chapters that share the clinic (``Clinic``) and a ledger of every read of
client R.'s thread, so that the auditor's question at the end has one exact answer. Client R.
is a real client record (name and phone sealed) assigned to Tess and Jo, with a client thread
(the front desk in it by the practice's setting) holding the staff's notes and one message to
R.; Tess has an upcoming appointment with R. and an on-call shift that spans the moment she
leaves.

1. a therapist leaves: one-step offboarding after the preview, every device dead within a
   second; her group thread, her client (the assignment), R.'s thread, her appointment and
   her on-call shift (split: the part served stays hers) go to Cam, whose devices are told;
   the signed record names each and is downloadable (and still valid after the restore
   drill);
2. a phone is left in a taxi: security finds it in the device list and revokes it; the audit
   trail shows when it was last used;
3. a night crisis: Nia, the clinician on call that night and in no part of R.'s care, opens
   emergency access to R.'s thread with a reason (a supervisor who is not on call is refused);
   its members are told at once, the grant ends with her shift at the latest, and her read
   names the grant;
4. supervision and a records request: with supervisor visibility on, Sam (Jo's supervisor)
   reads R.'s thread once, recorded with the supervision and shown to Jo; R. asks for their
   records and an admin exports them (right of access), which counts as a read of the
   messages that went out;
5. the auditor asks who read client R.'s messages between March 1 and March 31: the access
   report by client, its CSV export and the audit export name exactly the recorded reads, the
   emergency one and the supervisor's flagged, and ``quietline audit verify`` says nothing was
   altered;
6. a power cut mid-day: the storage is shut under the running server; after the restart
   every message anyone was told was sent is there once, and retries create nothing new;
7. the nightly backup and a restore drill into a new, empty database; every message decrypts
   (R.'s thread too), R.'s record decrypts, and the audit chain is intact.

Along the way, "what must never happen": no message body, client name, client phone number or
emergency-access reason in any log line (every logger at DEBUG), in the backup file or in any
stored value of the database, and another practice on the same server sees nothing of the
clinic (not even whether R. exists).

Not covered: single sign-on and SCIM provisioning, which are not built; staff are created
by the practice owner through the API instead.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quietline.actions.oversight import ACCESS_EXPORT_COLUMNS, NOT_ON_CALL
from quietline.app import Services, build_services, create_app
from quietline.config import Settings
from quietline.crypto.keys import KeyRing
from quietline.domain.clock import ManualClock
from quietline.operations import backup as ops
from tests.client_support import create_client, database_dump
from tests.conftest import (
    PG_URL,
    Api,
    LiveServer,
    PracticeHandle,
    add_staff,
    make_practice,
    sign_in,
)
from tests.live_support import Socket, create_direct, create_group, history, send_message
from tests.test_backup import Target, cli, keys_of, target_settings, words
from tests.test_devices_and_timeouts import parse_time
from tests.test_no_plaintext import leaks
from tests.test_staff_lifecycle import (
    LIMIT,
    SESSION_ENDED,
    alive,
    audit,
    cli_audit_verify,
    closed_by,
)

MARK = f"QlHarbor{uuid.uuid4().hex}"  # in every message body and channel title
CLIENT_SURNAME = f"Quayle{uuid.uuid4().hex[:16]}"  # client R.'s name is sealed in the record
CLIENT_NAME = f"Riley {CLIENT_SURNAME}"
CLIENT_PHONE = "617-555-0142"  # client R.'s phone number: in the record and one message body
CLIENT_E164 = "+16175550142"  # as the record keeps it
CLIENT_DIGITS = "6175550142"  # in any format
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore")  # the test's own clients
CRISIS_REASON = "Client R. called the crisis line; Jo cannot be reached tonight."
NEVER_STORED_OR_LOGGED = (MARK, CLIENT_SURNAME, CLIENT_PHONE, CLIENT_DIGITS, CRISIS_REASON)


def _day(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _same_404(api: Api, path: str, conversation: str) -> None:
    """``path`` answers exactly as it does for a conversation that does not exist."""
    found = api.get(path)
    missing = api.get(path.replace(conversation, str(uuid.uuid4())))
    assert found.status_code == 404, found.text
    assert found.content == missing.content, path


# -- the clinic -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """One read of client R.'s thread, as the access report should show it."""

    at: datetime
    api: Api
    message_ids: list[str]
    grant_id: str | None = None  # read under emergency access
    supervision_id: str | None = None  # read as a supervisee's supervisor
    via: str = "history"


@dataclass
class Clinic:
    live: LiveServer
    http: httpx.Client
    clock: ManualClock
    harbor: PracticeHandle
    lakeside: PracticeHandle  # another practice on the same server
    year: int
    ids: dict[str, UUID]  # staff by first name
    client_id: str  # client R.: Tess and Jo assigned
    client_r: str  # client R.'s thread: Tess, Jo and the front desk (Flo)
    case_review: str  # group: the owner, Tess, Cam, Jo
    direct: str  # Tess <-> Jo
    appointment: str  # Tess's with R., on March 6
    tess_shift: str  # on call on March 3, 8:00 to 20:00: under way when she leaves
    nia_shift: str  # on call the night of March 16 to 17
    to_client: str = ""  # the one message in R.'s thread that went to R.
    sent: dict[str, dict[str, str]] = field(default_factory=dict)  # conversation -> id -> body
    reads: list[Read] = field(default_factory=list)  # of client R.'s thread
    offboarding_record: str = ""  # the signed document, as downloaded

    def at(self, month: int, day: int, hour: int = 9, minute: int = 0) -> None:
        """Move the clinic's clock (sessions do not last days: people sign in anew)."""
        self.clock.set(_day(self.year, month, day, hour, minute))

    def sign_in(self, name: str, device: str) -> Api:
        email = self.harbor.owner_email if name == "owner" else f"{name}@harbor.test"
        return sign_in(self.http, self.harbor.slug, email, device=device)

    def send(self, api: Api, conversation: str, body: str) -> str:
        message_id: str = send_message(api, conversation, f"{MARK} {body}")["id"]
        self.sent.setdefault(conversation, {})[message_id] = f"{MARK} {body}"
        return message_id

    def write_to_r(self, api: Api, body: str, *, internal: bool = True) -> dict[str, Any]:
        """A staff note in R.'s thread (``internal``), or a message to R. by the delivery rule."""
        text = f"{MARK} {body}"
        sent = _ok(
            api.post(
                f"/conversations/{self.client_r}/client-messages",
                {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": internal},
            ),
            201,
        )
        self.sent.setdefault(self.client_r, {})[sent["message"]["id"]] = text
        found: dict[str, Any] = sent
        return found

    def read_client_r(self, api: Api) -> list[str]:
        """Read client R.'s thread, and write the read in the ledger."""
        ids = [m["id"] for m in history(api, self.client_r)]
        assert ids == list(self.sent[self.client_r])  # the whole thread, oldest first
        self.reads.append(Read(self.clock.now(), api, ids))
        return ids


def open_clinic(live: LiveServer, http: httpx.Client, clock: ManualClock) -> Clinic:
    """February 26: the clinic and its staff; client R., their thread and appointment; the
    on-call plan; the other threads and their first messages."""
    year = clock.now().year + 1  # next year's March lies ahead of every clock in this run
    clock.set(_day(year, 2, 26, 9))
    harbor = make_practice(live.services, "harbor")
    lakeside = make_practice(live.services, "lakeside")
    owner = sign_in(http, harbor.slug, harbor.owner_email, device="practice office")
    ids = {"owner": harbor.owner_id}
    for name, role in (
        ("ada", "admin"),  # also the clinic's security contact
        ("tess", "clinician"),  # leaves on March 3
        ("cam", "clinician"),  # takes over Tess's work
        ("jo", "clinician"),  # leaves a phone in a taxi
        ("nia", "clinician"),  # on call the night of the crisis; none of R.'s care
        ("sam", "supervisor"),  # Jo's supervisor
        ("flo", "front_desk"),
    ):
        ids[name] = add_staff(owner, f"{name}@harbor.test", role, name.capitalize())
    tess = sign_in(http, harbor.slug, "tess@harbor.test", device="tess desk")
    jo = sign_in(http, harbor.slug, "jo@harbor.test", device="jo desk")
    flo = sign_in(http, harbor.slug, "flo@harbor.test", device="front desk")

    # Client R.: a record with a sealed name and phone, assigned to Tess and Jo. Their thread
    # is made with it: the assigned clinicians and (the practice's setting) the front desk.
    r = create_client(
        owner,
        name=CLIENT_NAME,
        phone=CLIENT_PHONE,
        clinician_ids=[str(ids["tess"]), str(ids["jo"])],
    )
    assert (r["name"], r["phone"]) == (CLIENT_NAME, CLIENT_E164)
    assert set(r["clinician_ids"]) == {str(ids["tess"]), str(ids["jo"])}
    thread = _ok(tess.get(f"/conversations/{r['conversation_id']}"))
    assert (thread["kind"], thread["client_id"], thread["title"]) == (
        "client",
        r["id"],
        CLIENT_NAME,
    )
    assert set(thread["member_ids"]) == {str(ids[n]) for n in ("tess", "jo", "flo")}

    # The front desk books R. with Tess for March 6; the owner plans the on-call shifts.
    booked = flo.post(
        "/appointments",
        {
            "client_id": r["id"],
            "clinician_id": str(ids["tess"]),
            "starts_at": _z(_day(year, 3, 6, 15)),
            "length_minutes": 50,
        },
    )

    def on_call(name: str, starts_at: datetime, ends_at: datetime) -> str:
        body = {"user_id": str(ids[name]), "starts_at": _z(starts_at), "ends_at": _z(ends_at)}
        shift: str = _ok(owner.post("/on-call", body), 201)["id"]
        return shift

    clinic = Clinic(
        live,
        http,
        clock,
        harbor,
        lakeside,
        year,
        ids,
        client_id=r["id"],
        client_r=r["conversation_id"],
        case_review=create_group(
            owner, f"Case review {MARK}", [ids[n] for n in ("tess", "cam", "jo")]
        ),
        direct=create_direct(tess, ids["jo"]),
        appointment=_ok(booked, 201)["id"],
        tess_shift=on_call("tess", _day(year, 3, 3, 8), _day(year, 3, 3, 20)),
        nia_shift=on_call("nia", _day(year, 3, 16, 18), _day(year, 3, 17, 3)),
    )
    clinic.write_to_r(tess, f"Intake done; R. prefers calls at {CLIENT_PHONE}")
    clinic.write_to_r(flo, "R. moved Thursday's session to 4 pm")
    clinic.write_to_r(jo, "Covering R. next week")
    # To R. (no consent to plain SMS): a notice with a secure link goes out, not the text.
    to_r = clinic.write_to_r(tess, "See you on Friday at 3 pm.", internal=False)
    assert (to_r["delivery"]["channel"], to_r["delivery"]["clear"]) == ("sms", False)
    assert to_r["message"]["internal"] is False
    clinic.to_client = to_r["message"]["id"]
    clinic.send(owner, clinic.case_review, "Case review agenda for March")
    clinic.send(tess, clinic.case_review, "Two of my clients need a new clinician")
    clinic.send(tess, clinic.direct, "Thanks for covering")
    clinic.send(jo, clinic.direct, "Any time")
    clinic.at(2, 27, 11)
    clinic.read_client_r(clinic.sign_in("jo", "jo desk"))  # before the auditor's range
    return clinic


def check_record(admin: Api, document: str) -> bool:
    response = admin.post("/documents/verify", {"document": document})
    assert response.status_code == 200, response.text
    valid: bool = response.json()["valid"]
    return valid


# -- 1. a therapist leaves ----------------------------------------------------------------------


def therapist_leaves(c: Clinic) -> None:
    c.at(3, 3, 10)
    ada = c.sign_in("ada", "ada desk")
    phone = c.sign_in("tess", "tess phone")
    laptop = c.sign_in("tess", "tess laptop")
    cam = c.sign_in("cam", "cam phone")
    c.read_client_r(phone)  # her last read, inside the auditor's range
    tess_id, cam_id = c.ids["tess"], c.ids["cam"]
    assert {p["user_id"] for p in _ok(ada.get("/on-call/now"))} == {str(tess_id)}
    # What will be handed over, before anything changes.
    assert _ok(ada.get(f"/users/{tess_id}/offboarding-preview")) == {
        "user_id": str(tess_id),
        "conversations": 3,  # R.'s thread, the case review, the direct one with Jo
        "group_conversations": 1,
        "client_threads": 1,
        "clients": 1,
        "appointments": 1,
        "on_call_shifts": 1,
        "already_offboarded": False,
    }
    with Socket(c.live.ws_url, phone.token) as phone_ws, Socket(c.live.ws_url, cam.token) as cam_ws:
        started = time.monotonic()
        done = ada.post(f"/users/{tess_id}/offboard", {"hand_to": str(cam_id)})
        assert done.status_code == 201, done.text
        # Both devices are refused at once; the phone's socket is told and closed in time.
        assert phone.get("/me").status_code == 401
        assert laptop.get("/me").status_code == 401
        frames, code = closed_by(phone_ws.conn, started + LIMIT)
        assert code == SESSION_ENDED
        assert {"type": "session.revoked", "reason": "offboarded"} in frames
        assert time.monotonic() - started < LIMIT
        # Cam's devices follow her into client R.'s thread (she was in the case review),
        # to the appointment and to the rest of the shift.
        added = cam_ws.expect("membership.added")
        assert (added["conversation_id"], added["user_id"]) == (c.client_r, str(cam_id))
        moved = cam_ws.expect("appointment.updated")
        assert (moved["appointment_id"], moved["clinician_id"]) == (c.appointment, str(cam_id))
        assert moved["client_id"] == c.client_id
        cam_ws.expect("on_call.changed", match=lambda f: f["shift_id"] == c.tess_shift)
        shifted = cam_ws.of_type("on_call.changed")
        assert [(f["action"], f["user_id"]) for f in shifted] == [
            ("created", str(tess_id)),  # the part she served, kept as hers
            ("updated", str(cam_id)),  # the rest, Cam's
        ]
        assert CLIENT_SURNAME not in json.dumps(cam_ws.frames)

    record = done.json()
    summary = record["summary"]
    assert (record["user_id"], record["handed_to"]) == (str(tess_id), str(cam_id))
    assert summary["format"] == 2
    assert summary["devices_revoked"] == 3  # the desk (February), phone and laptop
    assert set(summary["conversation_ids_left"]) == {c.client_r, c.case_review, c.direct}
    assert summary["conversation_ids_handed_over"] == [c.case_review]  # groups
    assert summary["colleague_added_to"] == 0  # Cam was in the case review already
    assert summary["account_deactivated"] is True
    # Her client work, handed over in the same step.
    assert (summary["client_threads"], summary["client_thread_ids"]) == (1, [c.client_r])
    assert (summary["assignments"], summary["client_ids"]) == (1, [c.client_id])
    assert (summary["appointments"], summary["appointment_ids"]) == (1, [c.appointment])
    assert (summary["on_call_duties"], summary["on_call_shift_ids"]) == (1, [c.tess_shift])
    assert summary["on_call_shifts_split"] == 1  # under way: split at 10:00
    (served,) = summary["on_call_served_shift_ids"]

    for group in (c.client_r, c.case_review):
        members = set(_ok(cam.get(f"/conversations/{group}"))["member_ids"])
        assert str(cam_id) in members
        assert str(tess_id) not in members
    members = set(_ok(cam.get(f"/conversations/{c.client_r}"))["member_ids"])
    assert members == {str(c.ids[n]) for n in ("cam", "jo", "flo")}
    assigned = _ok(ada.get(f"/clients/{c.client_id}"))["clinician_ids"]
    assert set(assigned) == {str(cam_id), str(c.ids["jo"])}
    assert _ok(ada.get(f"/appointments/{c.appointment}"))["clinician_id"] == str(cam_id)
    now = c.clock.now()
    listed = _ok(
        ada.get("/on-call", params={"from": _z(_day(c.year, 3, 3)), "to": _z(_day(c.year, 3, 4))})
    )
    shifts = {s["id"]: s for s in listed}
    assert [
        (s["user_id"], parse_time(s["starts_at"]), parse_time(s["ends_at"]))
        for s in (shifts[served], shifts[c.tess_shift])
    ] == [
        (str(tess_id), _day(c.year, 3, 3, 8), now),  # the part she served stays hers
        (str(cam_id), now, _day(c.year, 3, 3, 20)),  # the rest is Cam's
    ]
    assert {p["user_id"] for p in _ok(ada.get("/on-call/now"))} == {str(cam_id)}
    # Cam reads what came before her: the threads live on.
    assert [m["id"] for m in history(cam, c.case_review)] == list(c.sent[c.case_review])
    c.read_client_r(cam)
    refused = c.http.post(
        "/api/v1/auth/sign-in",
        json={"practice": c.harbor.slug, "email": "tess@harbor.test", "password": "x" * 20},
    )
    assert refused.status_code == 401

    document = ada.get(f"/offboarding-records/{record['id']}/download")
    assert document.status_code == 200, document.text
    assert document.headers["content-disposition"].startswith("attachment;")
    said = document.text
    for line in (
        "Quietline offboarding record",
        f"Handed to:     Cam <cam@harbor.test> (user {cam_id})",
        f"Client threads handed over: 1 (the colleague is a member of each)\n    - {c.client_r}",
        "Client assignments handed over: 1 (the colleague is assigned to each client instead)"
        f"\n    - {c.client_id}",
        "Upcoming appointments moved to the colleague: 1 (past appointments stay as they were)"
        f"\n    - {c.appointment}",
        "On-call shifts handed over: 1 (1 under way, split at the time of offboarding: the part "
        "already served stays with the person leaving, the rest goes to the colleague)"
        f"\n    - {c.tess_shift}",
        f"Parts already served, kept with the person leaving:\n    - {served}",
    ):
        assert line in said, (line, said)
    assert CLIENT_SURNAME not in said  # ids, never a client's name
    c.offboarding_record = said
    assert check_record(ada, said) is True  # signed: shown to be unaltered
    assert check_record(ada, said.replace("Cam <", "Sam <")) is False
    (offboarded,) = audit(ada, "user.offboarded")
    assert offboarded["details"]["record"] == record["id"]
    assert [offboarded["details"][k] for k in ("client_threads", "assignments")] == [1, 1]
    assert [offboarded["details"][k] for k in ("appointments", "on_call_duties")] == [1, 1]
    assert _ok(ada.get(f"/users/{tess_id}/offboarding-preview"))["already_offboarded"] is True

    c.at(3, 10, 14)
    c.read_client_r(c.sign_in("cam", "cam desk"))  # the colleague, at her desk


# -- 2. a phone in a taxi -------------------------------------------------------------------------


def phone_in_a_taxi(c: Clinic) -> None:
    c.at(3, 12, 8)
    phone = c.sign_in("jo", "jo phone")
    desk = c.sign_in("jo", "jo desk")
    c.clock.advance(timedelta(minutes=5))
    last_used = c.clock.now()
    c.read_client_r(phone)  # in the taxi, on the way to work
    c.clock.advance(timedelta(minutes=20))  # Jo calls security from the office

    ada = c.sign_in("ada", "ada desk")
    listed = ada.get("/devices")
    assert listed.status_code == 200, listed.text
    (lost,) = [d for d in listed.json() if d["device_name"] == "jo phone"]
    assert (lost["id"], lost["user_id"]) == (str(phone.session_id), str(c.ids["jo"]))
    assert parse_time(lost["last_seen_at"]) == last_used
    assert ada.delete(f"/devices/{lost['id']}").status_code == 204
    assert not alive(phone)
    assert alive(desk)
    assert str(phone.session_id) not in {d["id"] for d in ada.get("/devices").json()}

    # The audit trail: the revocation, by whom; and the phone's last use.
    about_phone = ada.get("/audit", params={"subject_id": str(phone.session_id)}).json()
    (revoked,) = [e for e in about_phone if e["kind"] == "device.revoked"]
    assert parse_time(revoked["at"]) == c.clock.now()
    assert revoked["actor_user_id"] == str(c.ids["ada"])
    assert revoked["details"]["reason"] == "revoked_by_admin"
    # The entry itself says when the phone was last used.
    assert parse_time(revoked["details"]["last_seen_at"]) == last_used
    by_jo = ada.get("/audit", params={"actor_user_id": str(c.ids["jo"]), "limit": 1000}).json()
    from_phone = [e for e in by_jo if e["actor_session_id"] == str(phone.session_id)]
    assert from_phone
    assert max(parse_time(e["at"]) for e in from_phone) == last_used
    assert from_phone[0]["kind"] == "message.viewed"  # newest first: what it last did


# -- 3. a night crisis ---------------------------------------------------------------------------


def crisis_at_night(c: Clinic) -> None:
    c.at(3, 17, 2)
    nia = c.sign_in("nia", "nia phone")  # on call tonight; in no part of R.'s care
    sam = c.sign_in("sam", "sam phone")  # a supervisor, not on call
    jo = c.sign_in("jo", "jo desk")
    flo = c.sign_in("flo", "front desk")
    cam = c.sign_in("cam", "cam phone")
    assert [p["user_id"] for p in _ok(nia.get("/on-call/now"))] == [str(c.ids["nia"])]
    path = f"/conversations/{c.client_r}"
    members = set(_ok(jo.get(path))["member_ids"])
    assert str(c.ids["nia"]) not in members
    _same_404(nia, f"{path}/messages", c.client_r)  # not hers to read ...
    assert c.client_r not in {t["id"] for t in _ok(nia.get("/conversations"))}
    # ... and emergency access is for whoever is on call (or an admin), not for anyone.
    body = {"reason": CRISIS_REASON, "minutes": 120}
    refused = sam.post(f"{path}/emergency-access", body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == NOT_ON_CALL
    with (
        Socket(c.live.ws_url, jo.token) as jo_ws,
        Socket(c.live.ws_url, flo.token) as flo_ws,
        Socket(c.live.ws_url, cam.token) as cam_ws,
    ):
        opened = _ok(nia.post(f"{path}/emergency-access", body), 201)
        grant = opened["id"]
        assert opened["user_id"] == str(c.ids["nia"])
        assert parse_time(opened["expires_at"]) == _day(c.year, 3, 17, 3)  # her shift's end
        for ws in (jo_ws, flo_ws, cam_ws):
            told = ws.expect("emergency_access.opened")
            assert (told["conversation_id"], told["grant_id"], told["opened_by"]) == (
                c.client_r,
                grant,
                str(c.ids["nia"]),
            )
            assert CRISIS_REASON not in json.dumps(ws.frames)
        ids = [m["id"] for m in history(nia, c.client_r)]
        assert ids == list(c.sent[c.client_r])
        c.reads.append(Read(c.clock.now(), nia, ids, grant_id=grant))
        assert nia.delete(f"{path}/emergency-access/{grant}").status_code == 204  # done
        for ws in (jo_ws, flo_ws, cam_ws):
            closed = ws.expect("emergency_access.closed")
            assert (closed["grant_id"], closed["closed_by"]) == (grant, str(c.ids["nia"]))
    _same_404(nia, f"{path}/messages", c.client_r)
    [listed] = _ok(jo.get(f"{path}/emergency-access"))
    assert (listed["id"], listed["user_id"], listed["reason"]) == (
        grant,
        str(c.ids["nia"]),
        CRISIS_REASON,
    )
    ada = c.sign_in("ada", "ada laptop")
    (entry,) = audit(ada, "access.emergency_opened")
    assert (entry["actor_user_id"], entry["subject_id"]) == (str(c.ids["nia"]), c.client_r)
    assert (entry["details"]["grant"], entry["details"]["via"]) == (grant, "on_call")
    assert CRISIS_REASON not in json.dumps(entry)


# -- 4. supervision and a records request ----------------------------------------------------


def supervision_and_records_request(c: Clinic) -> None:
    c.at(3, 20, 10)
    owner = c.sign_in("owner", "practice office")
    sam = c.sign_in("sam", "sam office")
    jo = c.sign_in("jo", "jo desk")
    path = f"/conversations/{c.client_r}"
    _ok(owner.patch("/practice/policy", {"supervisor_visibility": True}))
    _same_404(sam, f"{path}/messages", c.client_r)  # not Jo's supervisor yet
    supervision = _ok(
        owner.post(
            "/supervisions",
            {"supervisor_id": str(c.ids["sam"]), "supervisee_id": str(c.ids["jo"])},
        ),
        201,
    )["id"]
    [thread] = _ok(sam.get("/supervision/threads"))["threads"]
    assert (thread["conversation_id"], thread["client_id"]) == (c.client_r, c.client_id)
    assert thread["supervisee_ids"] == [str(c.ids["jo"])]
    with Socket(c.live.ws_url, jo.token) as jo_ws:
        ids = [m["id"] for m in history(sam, c.client_r)]
        assert ids == list(c.sent[c.client_r])
        c.reads.append(Read(c.clock.now(), sam, ids, supervision_id=supervision))
        seen = jo_ws.expect("supervision.viewed")
        assert (seen["conversation_id"], seen["viewer_id"]) == (c.client_r, str(c.ids["sam"]))
    [view] = _ok(jo.get(f"{path}/supervision-views"))
    assert (view["viewer_id"], view["reads"]) == (str(c.ids["sam"]), 1)
    assert str(c.ids["sam"]) not in _ok(jo.get(path))["member_ids"]  # read, never joined

    # R. asks for their records (right of access); an admin exports them. What went to R.
    # is what the file holds (staff notes only on request) and counts as a read.
    c.at(3, 25, 11)
    ada = c.sign_in("ada", "ada desk")
    response = ada.get(f"/clients/{c.client_id}/export", params={"format": "json"})
    assert response.status_code == 200, response.text
    assert CLIENT_SURNAME not in response.headers["content-disposition"]
    data = json.loads(response.content)
    assert (data["client"]["name"], data["client"]["phone"]) == (CLIENT_NAME, CLIENT_E164)
    shown = [m["id"] for m in data["messages"] if m["state"] == "included"]
    assert shown == [c.to_client]
    assert data["counts"]["staff_notes_withheld"] == len(c.sent[c.client_r]) - 1
    c.reads.append(Read(c.clock.now(), ada, shown, via="export"))

    c.at(3, 31, 23, 59)
    c.clock.advance(timedelta(seconds=59))
    c.read_client_r(c.sign_in("flo", "front desk"))  # the last second of March
    c.at(4, 1, 0)
    c.read_client_r(c.sign_in("cam", "cam desk"))  # April: outside the range


# -- 5. the auditor's question -----------------------------------------------------------------


def csv_rows(body: str) -> list[dict[str, Any]]:
    rows = []
    for raw in csv.DictReader(io.StringIO(body, newline="")):
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        row["details"] = json.loads(raw["details"])
        rows.append(row)
    return rows


def access_csv_rows(body: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The access report's CSV file, in the report's shape."""
    reader = csv.DictReader(io.StringIO(body, newline=""))
    rows = []
    for raw in reader:
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        row["seq"] = int(raw["seq"])
        row["at"] = parse_time(raw["at"])
        row["message_ids"] = raw["message_ids"].split()
        for flag in ("emergency_access", "supervision"):
            assert raw[flag] in ("true", "false")
            row[flag] = raw[flag] == "true"
        rows.append(row)
    return list(reader.fieldnames or []), rows


def auditor_asks(c: Clinic, settings: Settings) -> None:
    c.at(4, 2, 10)
    owner = c.sign_in("owner", "practice office")
    since, until = _day(c.year, 3, 1), _day(c.year, 4, 1)
    window = {"from": since.isoformat(), "to": until.isoformat()}
    expected = [r for r in c.reads if since <= r.at < until]
    # Tess, Cam (twice), Jo's lost phone, Nia (emergency), Sam (supervision), Ada (export), Flo
    assert len(expected) == 8
    assert len(c.reads) == 10  # and one read before March, one after

    response = owner.get("/audit/access-report", params={"client_id": c.client_id, **window})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["client_id"] == c.client_id
    rows = report["rows"]
    assert [
        (
            parse_time(r["at"]),
            r["user_id"],
            r["device_session_id"],
            r["conversation_id"],
            r["client_id"],
            r["via"],
            r["message_ids"],
            r["emergency_access"],
            r["grant_id"],
            r["supervision"],
        )
        for r in rows
    ] == [
        (
            r.at,
            str(r.api.user_id),
            str(r.api.session_id),
            c.client_r,
            c.client_id,
            r.via,
            r.message_ids,
            r.grant_id is not None,
            r.grant_id,
            r.supervision_id is not None,
        )
        for r in expected
    ]
    assert report["summary"] == {"entries": 8, "emergency_entries": 1, "people": 7, "devices": 8}
    assert report["next_after_seq"] is None
    assert [r["user_name"] for r in rows if r["emergency_access"]] == ["Nia"]
    assert [r["user_name"] for r in rows if r["supervision"]] == ["Sam"]
    assert [r["user_name"] for r in rows if r["via"] == "export"] == ["Ada"]
    # R. has one thread: the report by that conversation says the same.
    by_thread = owner.get("/audit/access-report", params={"conversation_id": c.client_r, **window})
    assert [r["seq"] for r in _ok(by_thread)["rows"]] == [r["seq"] for r in rows]

    # The file the auditor takes away: the same rows, a client by id only.
    exported = owner.get(
        "/audit/access-report/export",
        params={"client_id": c.client_id, "format": "csv", **window},
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment;")
    header, lines = access_csv_rows(exported.text)
    assert header == list(ACCESS_EXPORT_COLUMNS)
    assert lines == [{**r, "at": parse_time(r["at"])} for r in rows]
    for secret in (CLIENT_SURNAME, CLIENT_DIGITS, CRISIS_REASON, MARK):
        assert secret not in exported.text

    # The raw audit export by client says the same of the reads, the grant and supervision.
    raw = owner.get(
        "/audit/export",
        params={
            "format": "csv",
            "kind": "message.viewed",
            "client_id": c.client_id,
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
    )
    assert raw.status_code == 200, raw.text
    entries = csv_rows(raw.text)
    entries.reverse()  # the export is newest first; the report oldest first
    assert [int(e["seq"]) for e in entries] == [r["seq"] for r in rows]
    assert [
        (parse_time(e["at"]), e["actor_user_id"], e["actor_session_id"], e["subject_id"])
        for e in entries
    ] == [(parse_time(r["at"]), r["user_id"], r["device_session_id"], c.client_r) for r in rows]
    assert [e["emergency_access"] for e in entries] == [r.grant_id for r in expected]
    assert [e["details"].get("supervision") for e in entries] == [
        r.supervision_id for r in expected
    ]
    assert [e["details"]["messages"] for e in entries] == [r["message_ids"] for r in rows]
    assert [e["details"]["via"] for e in entries] == [r.via for r in expected]
    assert CRISIS_REASON not in raw.text

    code, output = cli_audit_verify(settings)
    assert code == 0, output
    assert f"OK practice {c.harbor.id}" in output
    assert "BROKEN" not in output

    # What must never happen: the other practice on this server sees nothing of the clinic,
    # not even whether client R. exists.
    other = sign_in(c.http, c.lakeside.slug, c.lakeside.owner_email)
    probe = other.get(f"/conversations/{c.client_r}")
    nothing = other.get(f"/conversations/{uuid.uuid4()}")
    assert probe.status_code == 404
    assert probe.content == nothing.content
    theirs = other.get("/audit/access-report", params={"conversation_id": c.client_r, **window})
    assert theirs.json()["rows"] == []
    for path in ("/clients/{}", "/audit/access-report?client_id={}"):
        found = other.get(path.format(c.client_id))
        missing = other.get(path.format(uuid.uuid4()))
        assert (found.status_code, found.content) == (404, missing.content), path
    assert other.get("/conversations").json() == []
    assert other.get("/clients").json() == []
    assert str(c.ids["tess"]) not in other.get("/users").text


# -- 6. a power cut --------------------------------------------------------------------------------


@dataclass
class Attempt:
    api: Api
    key: str
    body: str
    status: int | None = None  # None: no answer at all
    message_id: str | None = None


def power_cut(c: Clinic, settings: Settings) -> Services:
    """Send from three devices at once, shut the storage under the running server (no
    graceful shutdown), then restart on the same data. The restarted Services are returned."""
    c.at(4, 2, 12)
    senders = [c.sign_in(n, f"{n} day device") for n in ("flo", "cam", "jo")]
    day_list = create_group(senders[0], f"Day list {MARK}", [s.user_id for s in senders[1:]])
    durable = c.live.services.db.write_sync(
        lambda unit: unit.conn.exec_driver_sql(
            "PRAGMA synchronous"
            if unit.conn.dialect.name == "sqlite"
            else "SHOW synchronous_commit"
        ).scalar()
    )
    assert durable in (2, "on")  # a commit is on disk before the sender is told

    acked = threading.Semaphore(0)

    def phone(api: Api) -> list[Attempt]:
        tried: list[Attempt] = []
        with httpx.Client(base_url=c.live.url, trust_env=False, timeout=10) as http:
            me = Api(http, api.token, api.user_id, api.session_id)
            for n in range(60):  # at most 180 in all: one page of history
                attempt = Attempt(
                    me, f"day-{api.user_id}-{n}", f"{MARK} day list {api.user_id} {n}"
                )
                tried.append(attempt)
                try:
                    response = me.post(
                        f"/conversations/{day_list}/messages",
                        {"body": attempt.body, "idempotency_key": attempt.key},
                    )
                except httpx.HTTPError:
                    break
                attempt.status = response.status_code
                if response.status_code != 201:
                    break
                attempt.message_id = response.json()["id"]
                acked.release()
        return tried

    with ThreadPoolExecutor(len(senders)) as pool:
        running = [pool.submit(phone, s) for s in senders]
        for _ in range(30):  # a busy moment: 30 messages told "sent" before the cut
            assert acked.acquire(timeout=10), "the senders stalled"
        c.live.services.close()  # the power goes: the storage under the server is gone
        attempts = [a for future in running for a in future.result(timeout=30)]

    told_sent = {a.key: a for a in attempts if a.status == 201}
    unanswered = [a for a in attempts if a.status != 201]
    assert len(told_sent) >= 30
    assert unanswered, "every sender should have been cut off"

    restarted = build_services(settings, clock=c.clock)
    with TestClient(create_app(restarted)) as client:
        member = Api(client, senders[0].token, senders[0].user_id, senders[0].session_id)
        after = history(member, day_list, limit=200)
        bodies = Counter(m["body"] for m in after)
        for attempt in told_sent.values():
            assert bodies[attempt.body] == 1, attempt.key
        assert {m["id"] for m in after} >= {a.message_id for a in told_sent.values()}
        assert set(bodies) <= {a.body for a in attempts}
        assert max(bodies.values()) == 1

        # The phones retry everything they sent, with the same keys.
        for attempt in attempts:
            again = Api(client, attempt.api.token, attempt.api.user_id, attempt.api.session_id)
            response = again.post(
                f"/conversations/{day_list}/messages",
                {"body": attempt.body, "idempotency_key": attempt.key},
            )
            if attempt.key in told_sent:
                assert response.status_code == 200, response.text  # nothing new
                assert response.json()["id"] == attempt.message_id
            else:
                assert response.status_code in (200, 201), response.text
            c.sent.setdefault(day_list, {})[response.json()["id"]] = attempt.body
        final = history(member, day_list, limit=200)
        assert len(final) == len(attempts)
        assert Counter(m["body"] for m in final) == Counter(a.body for a in attempts)
    return restarted


# -- 7. the nightly backup and the restore drill ------------------------------------------


@contextlib.contextmanager
def new_machine(settings: Settings, folder: Path) -> Iterator[Target]:
    """An empty place to restore into, on the backend the clinic runs on: a new data folder
    (SQLite) or a new PostgreSQL database, dropped afterwards (as tests/test_backup.py does)."""
    folder.mkdir(mode=0o700)
    if make_url(str(settings.database_url)).get_backend_name() == "sqlite":
        yield Target("sqlite", f"sqlite:///{folder / 'quietline.db'}", folder)
        return
    name = f"quietline_drill_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        yield Target("postgresql", url, folder)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def nightly_backup_and_restore_drill(c: Clinic, settings: Settings, tmp_path: Path) -> None:
    """The restarted server keeps running while the backup is taken."""
    c.at(4, 2, 23)
    env = {
        "QUIETLINE_DATA_DIR": str(settings.data_dir),
        "QUIETLINE_DATABASE_URL": str(settings.database_url),
    }
    nightly = tmp_path / "harbor-nightly.qlbackup"
    made = cli("backup", "--to", nightly, env=env)  # the server keeps running
    assert made.exit_code == 0, made.output
    assert "Backup written to" in words(made.output)
    data = nightly.read_bytes()
    for secret in NEVER_STORED_OR_LOGGED:
        assert leaks(secret, data) == [], "plaintext in the backup file"

    tested = cli("restore", "--test", nightly, env=env)
    assert tested.exit_code == 0, tested.output
    said = words(tested.output)
    assert "Restore test passed" in said
    total = sum(len(sent) for sent in c.sent.values())
    assert f"{total} messages" in said

    with new_machine(settings, tmp_path / "new-machine") as target:
        restore_env = {
            "QUIETLINE_DATA_DIR": str(target.folder),
            "QUIETLINE_MASTER_KEY_FILE": str(settings.master_key_path),
            "QUIETLINE_AUDIT_KEY_FILE": str(settings.audit_key_path),
        }
        where = [] if target.backend == "sqlite" else ["--database-url", target.url]
        restored = cli("restore", nightly, *where, env=restore_env)
        assert restored.exit_code == 0, restored.output
        assert "Restored" in words(restored.output)

        # Every message decrypts ...
        content = ops.check_content(target.url, KeyRing([keys_of(settings).master]))
        assert content.failures == []
        assert content.messages == total
        # ... and the staff read them on the new machine as they were sent: client R.'s
        # thread too, and R.'s record opens with its sealed name and phone.
        moved = build_services(target_settings(settings, target), clock=c.clock)
        try:
            with TestClient(create_app(moved)) as client:
                readers = {"cam": sign_in(client, c.harbor.slug, "cam@harbor.test")}
                readers["jo"] = sign_in(client, c.harbor.slug, "jo@harbor.test")
                assert c.client_r in c.sent
                for conversation, sent in c.sent.items():
                    reader = readers["jo" if conversation == c.direct else "cam"]
                    page = history(reader, conversation, limit=200)
                    assert {m["id"]: m["body"] for m in page} == sent, conversation
                owner = sign_in(client, c.harbor.slug, c.harbor.owner_email)
                r = _ok(owner.get(f"/clients/{c.client_id}"))
                assert (r["name"], r["phone"], r["conversation_id"]) == (
                    CLIENT_NAME,
                    CLIENT_E164,
                    c.client_r,
                )
                assert set(r["clinician_ids"]) == {str(c.ids["cam"]), str(c.ids["jo"])}
                assert check_record(owner, c.offboarding_record) is True
        finally:
            moved.close()

        verified = cli("audit", "verify", env={**restore_env, "QUIETLINE_DATABASE_URL": target.url})
        assert verified.exit_code == 0, verified.output
        said = words(verified.output)
        assert f"OK practice {c.harbor.id}" in said
        assert said.count("chain intact") == 2  # Harbor and the other practice


# -- the story ------------------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
def test_harbor_behavioral_health_from_february_to_the_april_power_cut(
    caplog: pytest.LogCaptureFixture,
    live_server: LiveServer,
    settings: Settings,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as http:
        clinic = open_clinic(live_server, http, clock)
        therapist_leaves(clinic)
        phone_in_a_taxi(clinic)
        crisis_at_night(clinic)
        supervision_and_records_request(clinic)
        auditor_asks(clinic, settings)
        restarted = power_cut(clinic, settings)
    try:
        nightly_backup_and_restore_drill(clinic, settings, tmp_path)
        # What must never happen: readable content in the database (every stored value).
        stored = database_dump(restarted)
        assert b"tess@harbor.test" in stored  # canary: these are the stored values
        for secret in NEVER_STORED_OR_LOGGED:
            assert leaks(secret, stored) == [], f"{secret} stored in the clear"
    finally:
        restarted.close()

    # What must never happen: a message body, a client's name or phone number, or an
    # emergency-access reason in a log line. The test's own HTTP and WebSocket clients log
    # what they receive: that is not the server.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")  # tracebacks too
    server_lines = [
        formatter.format(r) for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)
    ]
    logged = "\n".join(server_lines)
    assert "POST /conversations/{conversation_id}/messages 201" in logged  # canary
    for secret in NEVER_STORED_OR_LOGGED:
        assert leaks(secret, logged.encode()) == [], f"{secret} reached the logs"
