"""Scenario 3 of SCENARIOS.md ("Clinic"), end to end: Harbor Behavioral Health, a clinic with staff
turnover, from late February to the night of April 2, against the real app (uvicorn on a
loopback port, real WebSockets, the CLI through typer's CliRunner) on SQLite and PostgreSQL.

One story, told in chapters that share the clinic (``Clinic``) and a ledger of every read of
client R.'s thread, so that the auditor's question at the end has one exact answer:

1. a therapist leaves: one-step offboarding, every device dead within a second, her group
   threads handed to a colleague, the signed record downloadable (and still valid after the
   restore drill);
2. a phone is left in a taxi: security finds it in the device list and revokes it; the audit
   trail shows when it was last used;
3. a night crisis: an admin opens emergency access with a reason to client R.'s thread; its
   members are told at once. (On-call clinicians come with issue 4: for now only owners and
   admins may open emergency access, so the admin does it.)
4. the auditor asks who read client R.'s messages between March 1 and March 31: the access
   report and its CSV export name exactly the recorded reads, the emergency one flagged, and
   ``quietline audit verify`` says nothing was altered;
5. a power cut mid-day: the storage is shut under the running server; after the restart
   every message anyone was told was sent is there once, and retries create nothing new;
6. the nightly backup and a restore drill into a new, empty database; every message decrypts
   and the audit chain is intact.

Along the way, "what must never happen": no message body or client phone number in any log
line (every logger at DEBUG) or in the backup file, and another practice on the same server
sees nothing of the clinic.

Not covered: single sign-on and SCIM provisioning, which are not built; staff are created
by the practice owner through the API instead. Client records, client threads and on-call
shifts are not built either (the offboarding record says "not applicable yet").
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

from quietline.app import Services, build_services, create_app
from quietline.config import Settings
from quietline.crypto.keys import KeyRing
from quietline.domain.clock import ManualClock
from quietline.operations import backup as ops
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
CLIENT_PHONE = "617-555-0142"  # client R.'s phone number, in one message body
CLIENT_LOGGERS = ("websockets.client", "httpx", "httpcore")  # the test's own clients
CRISIS_REASON = "Client R. called the crisis line; Jo cannot be reached tonight."


def _day(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- the clinic -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """One read of client R.'s thread, as the access report should show it."""

    at: datetime
    api: Api
    message_ids: list[str]
    grant_id: str | None = None


@dataclass
class Clinic:
    live: LiveServer
    http: httpx.Client
    clock: ManualClock
    harbor: PracticeHandle
    lakeside: PracticeHandle  # another practice on the same server
    year: int
    ids: dict[str, UUID]  # staff by first name
    client_r: str  # group: Tess (its creator), Jo, Flo; client R.'s care team
    case_review: str  # group: the owner, Tess, Cam, Jo
    direct: str  # Tess <-> Jo
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

    def read_client_r(self, api: Api) -> list[str]:
        """Read client R.'s thread, and write the read in the ledger."""
        ids = [m["id"] for m in history(api, self.client_r)]
        self.reads.append(Read(self.clock.now(), api, ids))
        return ids


def open_clinic(live: LiveServer, http: httpx.Client, clock: ManualClock) -> Clinic:
    """February 26: the clinic and its staff; threads and their first messages."""
    year = clock.now().year + 1  # next year's March lies ahead of every clock in this run
    clock.set(_day(year, 2, 26, 9))
    harbor = make_practice(live.services, "harbor")
    lakeside = make_practice(live.services, "lakeside")
    owner = sign_in(http, harbor.slug, harbor.owner_email, device="practice office")
    ids = {"owner": harbor.owner_id}
    for name, role in (
        ("ada", "admin"),  # also the clinic's security contact
        ("tess", "clinician"),  # leaves on March 3
        ("cam", "clinician"),  # takes over Tess's threads
        ("jo", "clinician"),  # leaves a phone in a taxi
        ("sam", "supervisor"),
        ("flo", "front_desk"),
    ):
        ids[name] = add_staff(owner, f"{name}@harbor.test", role, name.capitalize())
    tess = sign_in(http, harbor.slug, "tess@harbor.test", device="tess desk")
    jo = sign_in(http, harbor.slug, "jo@harbor.test", device="jo desk")
    flo = sign_in(http, harbor.slug, "flo@harbor.test", device="front desk")
    clinic = Clinic(
        live,
        http,
        clock,
        harbor,
        lakeside,
        year,
        ids,
        client_r=create_group(tess, f"Client R. {MARK}", [ids["jo"], ids["flo"]]),
        case_review=create_group(
            owner, f"Case review {MARK}", [ids[n] for n in ("tess", "cam", "jo")]
        ),
        direct=create_direct(tess, ids["jo"]),
    )
    clinic.send(tess, clinic.client_r, f"Intake done; R. prefers calls at {CLIENT_PHONE}")
    clinic.send(flo, clinic.client_r, "R. moved Thursday's session to 4 pm")
    clinic.send(jo, clinic.client_r, "Covering R. next week")
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
        # Cam's socket follows her into client R.'s thread (she was in the case review).
        added = cam_ws.expect("membership.added")
        assert added["conversation_id"] == c.client_r

    record = done.json()
    summary = record["summary"]
    assert (record["user_id"], record["handed_to"]) == (str(tess_id), str(cam_id))
    assert summary["devices_revoked"] == 3  # the desk (February), phone and laptop
    assert set(summary["conversation_ids_handed_over"]) == {c.client_r, c.case_review}
    assert summary["colleague_added_to"] == 1
    assert summary["account_deactivated"] is True
    for group in (c.client_r, c.case_review):
        members = set(cam.get(f"/conversations/{group}").json()["member_ids"])
        assert str(cam_id) in members
        assert str(tess_id) not in members
    # Cam reads what came before her: the thread lives on.
    assert [m["id"] for m in history(cam, c.case_review)] == list(c.sent[c.case_review])
    refused = c.http.post(
        "/api/v1/auth/sign-in",
        json={"practice": c.harbor.slug, "email": "tess@harbor.test", "password": "x" * 20},
    )
    assert refused.status_code == 401

    document = ada.get(f"/offboarding-records/{record['id']}/download")
    assert document.status_code == 200, document.text
    assert document.headers["content-disposition"].startswith("attachment;")
    assert "Quietline offboarding record" in document.text
    assert f"Handed to:     Cam <cam@harbor.test> (user {cam_id})" in document.text
    c.offboarding_record = document.text
    assert check_record(ada, document.text) is True  # signed: shown to be unaltered
    assert check_record(ada, document.text.replace("Cam <", "Sam <")) is False
    (offboarded,) = audit(ada, "user.offboarded")
    assert offboarded["details"]["record"] == record["id"]

    c.at(3, 10, 14)
    c.read_client_r(c.sign_in("cam", "cam desk"))  # the colleague, now in the thread


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
    ada = c.sign_in("ada", "ada laptop")  # an admin; not a member of client R.'s thread
    jo = c.sign_in("jo", "jo desk")
    flo = c.sign_in("flo", "front desk")
    cam = c.sign_in("cam", "cam phone")
    path = f"/conversations/{c.client_r}"
    refused = ada.get(f"{path}/messages")
    assert refused.status_code == 404
    with (
        Socket(c.live.ws_url, jo.token) as jo_ws,
        Socket(c.live.ws_url, flo.token) as flo_ws,
        Socket(c.live.ws_url, cam.token) as cam_ws,
    ):
        opened = ada.post(f"{path}/emergency-access", {"reason": CRISIS_REASON, "minutes": 30})
        assert opened.status_code == 201, opened.text
        grant = opened.json()["id"]
        for ws in (jo_ws, flo_ws, cam_ws):
            told = ws.expect("emergency_access.opened")
            assert (told["conversation_id"], told["grant_id"], told["opened_by"]) == (
                c.client_r,
                grant,
                str(c.ids["ada"]),
            )
            assert CRISIS_REASON not in json.dumps(ws.frames)
        ids = [m["id"] for m in history(ada, c.client_r)]
        c.reads.append(Read(c.clock.now(), ada, ids, grant_id=grant))
        assert ada.delete(f"{path}/emergency-access/{grant}").status_code == 204
        for ws in (jo_ws, flo_ws, cam_ws):
            assert ws.expect("emergency_access.closed")["grant_id"] == grant
    assert ada.get(f"{path}/messages").status_code == 404
    assert [g["reason"] for g in jo.get(f"{path}/emergency-access").json()] == [CRISIS_REASON]

    c.at(3, 31, 23, 59)
    c.clock.advance(timedelta(seconds=59))
    c.read_client_r(c.sign_in("flo", "front desk"))  # the last second of March
    c.at(4, 1, 0)
    c.read_client_r(c.sign_in("cam", "cam desk"))  # April: outside the range


# -- 4. the auditor's question -----------------------------------------------------------------


def csv_rows(body: str) -> list[dict[str, Any]]:
    rows = []
    for raw in csv.DictReader(io.StringIO(body, newline="")):
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        row["details"] = json.loads(raw["details"])
        rows.append(row)
    return rows


def auditor_asks(c: Clinic, settings: Settings) -> None:
    c.at(4, 2, 10)
    owner = c.sign_in("owner", "practice office")
    since, until = _day(c.year, 3, 1), _day(c.year, 4, 1)
    window = {"from": since.isoformat(), "to": until.isoformat()}
    expected = [r for r in c.reads if since <= r.at < until]
    assert len(expected) == 5  # Tess, Cam, Jo's lost phone, Ada (emergency), Flo
    assert len(c.reads) == 7  # and one read before March, one after

    response = owner.get("/audit/access-report", params={"conversation_id": c.client_r, **window})
    assert response.status_code == 200, response.text
    report = response.json()
    rows = report["rows"]
    assert [
        (
            parse_time(r["at"]),
            r["user_id"],
            r["device_session_id"],
            r["message_ids"],
            r["emergency_access"],
            r["grant_id"],
        )
        for r in rows
    ] == [
        (
            r.at,
            str(r.api.user_id),
            str(r.api.session_id),
            r.message_ids,
            r.grant_id is not None,
            r.grant_id,
        )
        for r in expected
    ]
    assert {r["conversation_id"] for r in rows} == {c.client_r}
    assert report["summary"] == {"entries": 5, "emergency_entries": 1, "people": 5, "devices": 5}
    assert report["next_after_seq"] is None
    assert [r["user_name"] for r in rows if r["emergency_access"]] == ["Ada"]

    # The export the auditor takes away: the same entries, the emergency one marked.
    exported = owner.get(
        "/audit/export",
        params={
            "format": "csv",
            "kind": "message.viewed",
            "conversation_id": c.client_r,
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    lines = csv_rows(exported.text)
    lines.reverse()  # the export is newest first; the report oldest first
    assert [int(line["seq"]) for line in lines] == [r["seq"] for r in rows]
    assert [
        (
            parse_time(line["at"]),
            line["actor_user_id"],
            line["actor_session_id"],
            line["subject_id"],
        )
        for line in lines
    ] == [(parse_time(r["at"]), r["user_id"], r["device_session_id"], c.client_r) for r in rows]
    assert [line["emergency_access"] for line in lines] == [r["grant_id"] for r in rows]
    assert [line["details"]["messages"] for line in lines] == [r["message_ids"] for r in rows]
    assert CRISIS_REASON not in exported.text

    code, output = cli_audit_verify(settings)
    assert code == 0, output
    assert f"OK practice {c.harbor.id}" in output
    assert "BROKEN" not in output

    # What must never happen: the other practice on this server sees nothing of the clinic.
    other = sign_in(c.http, c.lakeside.slug, c.lakeside.owner_email)
    probe = other.get(f"/conversations/{c.client_r}")
    nothing = other.get(f"/conversations/{uuid.uuid4()}")
    assert probe.status_code == 404
    assert probe.content == nothing.content
    theirs = other.get("/audit/access-report", params={"conversation_id": c.client_r, **window})
    assert theirs.json()["rows"] == []
    assert other.get("/conversations").json() == []
    assert str(c.ids["tess"]) not in other.get("/users").text


# -- 5. a power cut --------------------------------------------------------------------------------


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


# -- 6. the nightly backup and the restore drill ------------------------------------------


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
    for secret in (MARK, CLIENT_PHONE):
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
        # ... and the staff read them on the new machine as they were sent.
        moved = build_services(target_settings(settings, target), clock=c.clock)
        try:
            with TestClient(create_app(moved)) as client:
                readers = {"cam": sign_in(client, c.harbor.slug, "cam@harbor.test")}
                readers["jo"] = sign_in(client, c.harbor.slug, "jo@harbor.test")
                for conversation, sent in c.sent.items():
                    reader = readers["jo" if conversation == c.direct else "cam"]
                    page = history(reader, conversation, limit=200)
                    assert {m["id"]: m["body"] for m in page} == sent, conversation
                owner = sign_in(client, c.harbor.slug, c.harbor.owner_email)
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
        auditor_asks(clinic, settings)
        restarted = power_cut(clinic, settings)
    try:
        nightly_backup_and_restore_drill(clinic, settings, tmp_path)
    finally:
        restarted.close()

    # What must never happen: a message body or a client's phone number in a log line. The
    # test's own HTTP and WebSocket clients log what they receive: that is not the server.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")  # tracebacks too
    server_lines = [
        formatter.format(r) for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)
    ]
    logged = "\n".join(server_lines)
    assert "POST /conversations/{conversation_id}/messages 201" in logged  # canary
    for secret in (MARK, CLIENT_PHONE):
        assert leaks(secret, logged.encode()) == [], f"{secret} reached the logs"
