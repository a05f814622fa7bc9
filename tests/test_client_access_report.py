"""The access report and the audit viewer by client (issue 5, scenario 3): "who read client
R.'s messages between March 1 and March 31?", answered and exported.

A month of views is seeded with the ManualClock across two clients' threads and a staff
conversation, by members, under emergency access and by a supervisor; the report for one
client and the month returns exactly that client's views in the month, its CSV and JSON
files carry the same rows, and another practice's client is the same 404 as a missing one.
Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from quietline.actions.oversight import ACCESS_EXPORT_COLUMNS
from quietline.app import Services
from quietline.domain.audit import AuditKind
from quietline.domain.clock import ManualClock
from quietline.storage.unit import Unit
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import create_direct, history, send_message

PROBLEM_JSON = "application/problem+json"
REASON = "Client at risk; their clinician cannot be reached this evening."
SECOND = timedelta(seconds=1)
EMAILS = {name: f"{name}@riverbend.test" for name in ("ada", "dana", "eli")}


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    return body


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Clinic:
    """Riverbend: an admin (Ada, in no thread), two clinicians (Dana and Eli), and two
    clients: Rowan (Dana and Eli's) and Sky (Dana's), each thread holding staff notes, and
    a direct conversation between Dana and Eli."""

    services: Services
    client: TestClient
    clock: ManualClock
    practice: PracticeHandle
    owner: Api
    ids: dict[str, UUID]
    rowan: str
    rowan_name: str
    rowan_thread: str
    sky: str
    sky_thread: str
    direct: str

    def at(self, moment: datetime, who: str, device: str) -> Api:
        """Sessions do not last days: each view signs in anew at its moment."""
        self.clock.set(moment)
        return sign_in(self.client, self.practice.slug, EMAILS[who], device=device)

    def owner_now(self) -> Api:
        return sign_in(self.client, self.practice.slug, self.practice.owner_email)


def _note(api: Api, thread: str, text: str) -> None:
    body = {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": True}
    _ok(api.post(f"/conversations/{thread}/client-messages", body), 201)


def build_clinic(services: Services, client: TestClient, clock: ManualClock) -> Clinic:
    clock.set(datetime(clock.now().year + 1, 2, 26, 12, tzinfo=UTC))
    practice = make_practice(services, "riverbend")
    owner = sign_in(client, practice.slug, practice.owner_email, device="front desk")
    ids = {
        "ada": add_staff(owner, EMAILS["ada"], "admin", "Ada"),
        "dana": add_staff(owner, EMAILS["dana"], "clinician", "Dana"),
        "eli": add_staff(owner, EMAILS["eli"], "clinician", "Eli"),
    }
    rowan_name = f"Rowan QlName{uuid.uuid4().hex[:12]}"
    rowan = _ok(
        owner.post(
            "/clients",
            {"name": rowan_name, "clinician_ids": [str(ids["dana"]), str(ids["eli"])]},
        ),
        201,
    )
    sky = _ok(owner.post("/clients", {"name": "Sky", "clinician_ids": [str(ids["dana"])]}), 201)
    dana = sign_in(client, practice.slug, EMAILS["dana"], device="seed")
    for n in range(3):
        _note(dana, rowan["conversation_id"], f"Rowan note {n}")
        _note(dana, sky["conversation_id"], f"Sky note {n}")
    direct = create_direct(dana, ids["eli"])
    send_message(dana, direct, "handover")
    return Clinic(
        services,
        client,
        clock,
        practice,
        owner,
        ids,
        rowan["id"],
        rowan_name,
        rowan["conversation_id"],
        sky["id"],
        sky["conversation_id"],
        direct,
    )


@pytest.fixture
def clinic(services: Services, client: TestClient, clock: ManualClock) -> Clinic:
    return build_clinic(services, client, clock)


# -- a month of views ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    at: datetime
    who: str
    device: str
    where: str  # "rowan", "sky" or "direct"
    under_grant: bool = False
    supervision: bool = False
    limit: int | None = None


def _seed_month(c: Clinic, march: datetime) -> list[dict[str, Any]]:
    """Each planned view, made through the API (a supervisor's read is written as the
    supervision module records one: a message.viewed entry with a "supervision" detail).
    Returns the rows the report should show for them."""
    day = timedelta(days=1)
    april = march.replace(month=4)
    plan = [
        Seeded(march - SECOND, "dana", "dana old phone", "rowan"),  # before the month
        Seeded(march, "dana", "dana phone", "rowan"),  # 'from' itself is inside
        Seeded(march + 2 * day, "eli", "eli laptop", "rowan"),
        Seeded(march + 4 * day, "dana", "dana tablet", "sky"),  # another client
        Seeded(march + 7 * day, "eli", "eli phone", "direct"),  # a staff conversation
        Seeded(march + 9 * day, "ada", "ada desk", "rowan", under_grant=True),
        Seeded(march + 11 * day, "eli", "eli home", "rowan", supervision=True),
        Seeded(march + 14 * day, "dana", "dana phone 2", "rowan", limit=1),
        Seeded(march + 19 * day, "ada", "ada laptop", "sky", under_grant=True),
        Seeded(april - SECOND, "eli", "eli phone 2", "rowan"),  # the last second of March
        Seeded(april, "dana", "dana phone 3", "rowan"),  # 'to' itself is outside
        Seeded(april + 4 * day, "eli", "eli phone 3", "rowan"),  # after the month
    ]
    where = {"rowan": c.rowan_thread, "sky": c.sky_thread, "direct": c.direct}
    clients = {"rowan": c.rowan, "sky": c.sky, "direct": None}
    recorded: list[dict[str, Any]] = []
    for view in plan:
        api = c.at(view.at, view.who, view.device)
        conversation = where[view.where]
        grant = None
        if view.under_grant:
            response = api.post(
                f"/conversations/{conversation}/emergency-access", {"reason": REASON, "minutes": 10}
            )
            grant = _ok(response, 201)["id"]
        if view.supervision:
            ids = recorded[-1]["message_ids"][:2]  # the thread's, as the view before saw them
            _record_supervised_view(c, api, conversation, ids)
        else:
            params = {"limit": view.limit} if view.limit else {}
            ids = [m["id"] for m in history(api, conversation, **params)]
        recorded.append(
            {
                "at": view.at,
                "user_id": str(api.user_id),
                "user_name": view.who.capitalize(),
                "device_session_id": str(api.session_id),
                "device_name": view.device,
                "conversation_id": conversation,
                "via": "history",
                "message_ids": ids,
                "up_to_seq": None,
                "emergency_access": view.under_grant,
                "grant_id": grant,
                "client_id": clients[view.where],
                "supervision": view.supervision,
            }
        )
    return recorded


def _record_supervised_view(c: Clinic, api: Api, conversation: str, ids: list[str]) -> None:
    def write(unit: Unit) -> None:
        unit.audit(
            AuditKind.MESSAGES_VIEWED,
            c.practice.id,
            actor_user_id=api.user_id,
            actor_session_id=api.session_id,
            subject_type="conversation",
            subject_id=conversation,
            details={"via": "history", "messages": ids, "supervision": str(uuid.uuid4())},
        )

    c.services.db.write_sync(write)


def _without_seq(row: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in row.items() if k != "seq"}, "at": _at(row["at"])}


def _csv_rows(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The CSV file's rows in the JSON file's shape."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    for raw in reader:
        row: dict[str, Any] = {k: (v if v != "" else None) for k, v in raw.items()}
        row["seq"] = int(row["seq"])
        row["up_to_seq"] = int(row["up_to_seq"]) if row["up_to_seq"] else None
        row["message_ids"] = (row["message_ids"] or "").split()
        for flag in ("emergency_access", "supervision"):
            assert row[flag] in ("true", "false")
            row[flag] = row[flag] == "true"
        rows.append(row)
    return list(reader.fieldnames or []), rows


def test_the_report_for_a_client_and_a_month_is_exactly_their_views_and_exports_match(
    clinic: Clinic,
) -> None:
    c = clinic
    march = datetime(c.clock.now().year, 3, 1, tzinfo=UTC)
    april = march.replace(month=4)
    recorded = _seed_month(c, march)
    expected = [
        r for r in recorded if march <= r["at"] < april and r["conversation_id"] == c.rowan_thread
    ]
    assert len(expected) == 6
    assert [r["emergency_access"] for r in expected].count(True) == 1
    assert [r["supervision"] for r in expected].count(True) == 1

    c.clock.set(april + timedelta(days=10))
    owner = c.owner_now()
    month = {"from": _z(march), "to": _z(april)}
    report = _ok(owner.get("/audit/access-report", params={"client_id": c.rowan, **month}))
    assert report["client_id"] == c.rowan
    assert (_at(report["since"]), _at(report["until"])) == (march, april)
    rows = report["rows"]
    assert [_without_seq(r) for r in rows] == expected
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert report["summary"] == {"entries": 6, "emergency_entries": 1, "people": 3, "devices": 6}
    assert report["next_after_seq"] is None

    # Narrower: one person's views of the client; the client and another conversation.
    by_eli = _ok(
        owner.get(
            "/audit/access-report",
            params={"client_id": c.rowan, "user_id": str(c.ids["eli"]), **month},
        )
    )["rows"]
    assert [r["device_name"] for r in by_eli] == ["eli laptop", "eli home", "eli phone 2"]
    none = _ok(
        owner.get(
            "/audit/access-report",
            params={"client_id": c.rowan, "conversation_id": c.direct, **month},
        )
    )
    assert (none["rows"], none["summary"]["entries"]) == ([], 0)
    # The other client, and the whole practice (each row names its thread's client).
    sky = _ok(owner.get("/audit/access-report", params={"client_id": c.sky, **month}))["rows"]
    assert [(r["device_name"], r["emergency_access"]) for r in sky] == [
        ("dana tablet", False),
        ("ada laptop", True),
    ]
    everyone = _ok(owner.get("/audit/access-report", params=month))
    assert everyone["summary"]["entries"] == 9
    assert {(r["conversation_id"], r["client_id"]) for r in everyone["rows"]} == {
        (c.rowan_thread, c.rowan),
        (c.sky_thread, c.sky),
        (c.direct, None),
    }

    # The files: the same rows, CSV and JSON alike, as attachments.
    files = {}
    for fmt, media in (("csv", "text/csv"), ("json", "application/json")):
        response = owner.get(
            "/audit/access-report/export", params={"client_id": c.rowan, "format": fmt, **month}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media)
        assert response.headers["content-disposition"] == (
            f'attachment; filename="quietline-access-report.{fmt}"'
        )
        assert "x-next-after-seq" not in response.headers
        files[fmt] = response.text
    header, csv_rows = _csv_rows(files["csv"])
    assert header == list(ACCESS_EXPORT_COLUMNS)
    json_rows = json.loads(files["json"])
    assert csv_rows == json_rows
    assert json_rows == [{**r, "at": _z(_at(r["at"]))} for r in rows]
    # A file names the client by id only, and no reason or content goes in it.
    for text in files.values():
        assert c.rowan_name not in text
        assert REASON not in text
        assert "Rowan note" not in text

    # A full file says where the next one starts.
    first = owner.get(
        "/audit/access-report/export",
        params={"client_id": c.rowan, "format": "json", "limit": 4, **month},
    )
    cursor = first.headers["x-next-after-seq"]
    assert int(cursor) == first.json()[-1]["seq"]
    rest = owner.get(
        "/audit/access-report/export",
        params={"client_id": c.rowan, "format": "json", "after_seq": cursor, **month},
    ).json()
    assert first.json() + rest == json_rows

    # Reading and exporting are recorded with the client's id, never their name.
    trail = owner.get("/audit", params={"kind": ["audit.queried", "audit.exported"]}).json()
    queried = [e["details"] for e in trail if e["kind"] == "audit.queried"]
    assert {"report": "access", "results": 6, "client": c.rowan} in queried
    exported = [e["details"] for e in trail if e["kind"] == "audit.exported"]
    assert {"report": "access", "format": "csv", "rows": 6, "client": c.rowan} in exported
    assert {"report": "access", "format": "json", "rows": 6, "client": c.rowan} in exported
    assert c.rowan_name not in owner.get("/audit", params={"limit": 1000}).text


# -- the audit viewer's client filter ------------------------------------------------------------


def _about_client(entry: dict[str, Any], client_id: str, thread: str) -> bool:
    """The documented rule, in Python: the client is the subject, the details name the
    client, or the entry is about the client's thread (its subject, or named in details)."""
    details = json.dumps(entry["details"])
    return (
        (entry["subject_type"] == "client" and entry["subject_id"] == client_id)
        or client_id in details
        or (entry["subject_type"] == "conversation" and entry["subject_id"] == thread)
        or thread in details
    )


def test_the_audit_log_filters_by_client_exactly_as_documented(clinic: Clinic) -> None:
    c = clinic
    dana = sign_in(c.client, c.practice.slug, EMAILS["dana"], device="dana phone")
    history(dana, c.rowan_thread)
    history(dana, c.sky_thread)
    _ok(c.owner.get(f"/clients/{c.rowan}"))  # the record opened: client.viewed
    _ok(c.owner.post("/client-search", {"query": "Sky"}))  # a search that shows only Sky
    hold = _ok(
        c.owner.post("/legal-holds", {"client_id": c.rowan, "reason": "Records request 7"}), 201
    )
    everything = _ok(c.owner.get("/audit", params={"limit": 1000}))

    about = _ok(c.owner.get("/audit", params={"client_id": c.rowan, "limit": 1000}))
    assert [e["seq"] for e in about] == [
        e["seq"] for e in everything if _about_client(e, c.rowan, c.rowan_thread)
    ]
    kinds = {e["kind"] for e in about}
    assert {
        "client.created",
        "client.viewed",
        "conversation.created",
        "conversation.member_added",
        "message.sent",
        "message.viewed",
        "legal_hold.placed",
    } <= kinds
    assert hold["id"] in json.dumps([e["details"] for e in about])
    viewed = [e for e in about if e["kind"] == "message.viewed"]
    assert {e["subject_id"] for e in viewed} == {c.rowan_thread}
    # Nothing only about Sky, or about the staff conversation.
    assert not any(_about_client(e, c.sky, c.sky_thread) for e in about if c.rowan not in str(e))
    assert all(c.direct not in json.dumps(e) for e in about)

    # With the other filters it narrows; the export takes it too and records it.
    kinds_only = _ok(c.owner.get("/audit", params={"client_id": c.rowan, "kind": "message.viewed"}))
    assert [e["seq"] for e in kinds_only] == [e["seq"] for e in viewed]
    exported = c.owner.get(
        "/audit/export", params={"client_id": c.rowan, "kind": "message.viewed", "format": "json"}
    )
    assert [r["seq"] for r in _ok(exported)] == [e["seq"] for e in viewed]
    (entry,) = _ok(c.owner.get("/audit", params={"kind": "audit.exported"}))
    assert entry["details"] == {
        "format": "json",
        "rows": len(viewed),
        "client": c.rowan,
        "kinds": ["message.viewed"],
    }


# -- refusals ------------------------------------------------------------------------------------


def test_another_practices_client_is_the_same_404_as_a_missing_one(clinic: Clinic) -> None:
    c = clinic
    other = make_practice(c.services, "lakeside")
    lake = sign_in(c.client, other.slug, other.owner_email)
    theirs = _ok(lake.post("/clients", {"name": "Lee Lakeside"}), 201)["id"]
    for path in (
        "/audit/access-report",
        "/audit/access-report/export",
        "/audit",
        "/audit/export",
    ):
        found = c.owner.get(path, params={"client_id": theirs})
        missing = c.owner.get(path, params={"client_id": str(uuid.uuid4())})
        body = _problem(found, 404)
        assert found.content == missing.content, path
        assert body["detail"].startswith("No client with that id exists")
    # Their own practice answers them.
    _ok(lake.get("/audit/access-report", params={"client_id": theirs}))


def test_client_scoped_reports_refuse_bad_input_and_non_admins(clinic: Clinic) -> None:
    c = clinic
    for path in ("/audit/access-report", "/audit/access-report/export", "/audit"):
        _problem(c.owner.get(path, params={"client_id": "rowan"}), 422)
    for params in ({"format": "xml"}, {"limit": 10_001}, {"limit": 0}):
        _problem(c.owner.get("/audit/access-report/export", params=params), 422)
    now = c.clock.now()
    same = {"from": _z(now), "to": _z(now)}
    _problem(c.owner.get("/audit/access-report/export", params=same), 422)
    dana = sign_in(c.client, c.practice.slug, EMAILS["dana"])
    for path in ("/audit/access-report", "/audit/access-report/export", "/audit"):
        _problem(dana.get(path, params={"client_id": c.rowan}), 403)
