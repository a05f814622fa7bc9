"""Right of access (on both backends): one client's records exported as JSON and as a signed
HTML document, through the API and the operator's command.

The client has consent answers, a thread with a message by notice and link, a client's
reply by SMS, a crisis text and its automatic reply, a staff-only note, an expired message
and a recalled one, and two appointments (one asked to confirm, one cancelled). The checks:
exact counts and decrypted text; no content for expired and recalled messages; staff notes
only with ``include_staff_notes``; HTML escapes what people wrote; the audit entry holds ids
and counts only; owners and admins only; another practice's client is the same 404.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from quietline.actions.client_export import (
    MAX_EXPORT_MESSAGES,
    ClientExport,
    do_export_client_as_operator,
)
from quietline.actions.client_messages import receive_sms
from quietline.app import Services, create_app
from quietline.cli.main import app as cli_app
from quietline.config import Settings
from quietline.domain.client_policy import DEFAULT_CONSENT_WARNING
from quietline.domain.clock import ManualClock
from quietline.domain.errors import Conflict, InvalidInput
from quietline.storage.unit import Unit
from tests.client_support import (
    PRACTICE_NUMBER,
    audit_rows,
    create_client,
    grant,
    key,
    marker,
    message_rows,
    next_weekday_noon_utc,
    set_sms_number,
)
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in

CLIENT_PHONE = "+14155550123"
CRISIS_TEXT = "I want to kill myself tonight"
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(next_weekday_noon_utc())  # office hours: no after-hours reply


@pytest.fixture
def quiet(services: Services) -> TestClient:
    """The API without its lifespan: no outbox worker, so deliveries stay queued."""
    return TestClient(create_app(services))


@dataclass
class Scenario:
    owner: Api
    clinician: Api
    clinician_id: UUID
    client_id: str
    thread: str
    marks: dict[str, str]
    ids: dict[str, str]  # message ids by label
    appointments: list[str]  # asked to confirm, cancelled


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _send(api: Api, thread: str, text: str, *, internal: bool = False) -> str:
    sent = api.post(
        f"/conversations/{thread}/client-messages",
        {"text": text, "idempotency_key": key(), "internal": internal},
    )
    assert sent.status_code == 201, sent.text
    message_id: str = sent.json()["message"]["id"]
    return message_id


def _text_in(services: Services, body: str) -> None:
    result = services.db.write_sync(
        partial(
            receive_sms,
            lookup_key=services.lookup_key,
            public_origin="http://localhost:8000",
            to_number=PRACTICE_NUMBER,
            from_number=CLIENT_PHONE,
            body=body,
            provider_ref=f"SM{uuid.uuid4().hex}",
        )
    )
    assert result is not None


@pytest.fixture
def scenario(
    services: Services, quiet: TestClient, practice: PracticeHandle, clock: ManualClock
) -> Scenario:
    set_sms_number(services, practice.id)
    owner = sign_in(quiet, practice.slug, practice.owner_email)
    clinician_id = add_staff(owner, "casey@riverbend.test", "clinician", "Casey Clinician")
    clinician = sign_in(quiet, practice.slug, "casey@riverbend.test")
    marks = {k: marker(k) for k in ("Name", "Notes", "Sent", "Reply", "Note", "Gone", "Recall")}
    client = create_client(
        owner,
        name=f"Jordan {marks['Name']}",
        preferred_name="Jo & Co",
        phone=CLIENT_PHONE,
        email="jordan@example.org",
        notes=f"Prefers mornings {marks['Notes']}",
        clinician_ids=[str(clinician_id)],
    )
    client_id, thread = client["id"], client["conversation_id"]
    for channel, granted in (("sms", True), ("email", True), ("email", False)):
        grant(owner, client_id, channel, granted=granted)
        clock.advance(timedelta(seconds=1))
    ids: dict[str, str] = {}
    # A message that expires after a minute (the practice's default then); the rest keep.
    policy = "/practice/policy"
    assert owner.patch(policy, {"default_message_ttl_seconds": 60}).status_code == 200
    ids["gone"] = _send(clinician, thread, f"Short-lived {marks['Gone']}")
    assert owner.patch(policy, {"default_message_ttl_seconds": None}).status_code == 200
    ids["sent"] = _send(clinician, thread, f"Hello {SCRIPT} {marks['Sent']}\nsecond line")
    ids["recalled"] = _send(clinician, thread, f"Wrong client {marks['Recall']}")
    recalled = clinician.delete(f"/conversations/{thread}/messages/{ids['recalled']}")
    assert recalled.status_code == 204, recalled.text
    ids["note"] = _send(clinician, thread, f"Staff only {marks['Note']}", internal=True)
    _text_in(services, f"Thanks & see you {marks['Reply']}")
    _text_in(services, CRISIS_TEXT)
    start = clock.now() + timedelta(days=2)
    appointments = []
    for days, room in ((2, "Room <b>2</b>"), (3, None)):
        booked = owner.post(
            "/appointments",
            {
                "client_id": client_id,
                "clinician_id": str(clinician_id),
                "starts_at": _iso(start + timedelta(days=days - 2)),
                "length_minutes": 50,
                **({"room": room} if room else {}),
            },
        )
        assert booked.status_code == 201, booked.text
        appointments.append(booked.json()["id"])
    asked = owner.post(f"/appointments/{appointments[0]}/confirmation-request")
    assert asked.status_code == 200, asked.text
    cancelled = owner.post(f"/appointments/{appointments[1]}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    clock.advance(timedelta(minutes=2))  # the first message has expired
    return Scenario(owner, clinician, clinician_id, client_id, thread, marks, ids, appointments)


def export(api: Api, client_id: str, fmt: str = "json", **params: Any) -> Any:
    query = "&".join([f"format={fmt}", *(f"{k}={str(v).lower()}" for k, v in params.items())])
    return api.get(f"/clients/{client_id}/export?{query}")


def exported(api: Api, client_id: str, **params: Any) -> dict[str, Any]:
    response = export(api, client_id, "json", **params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = json.loads(response.content)
    return found


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in data["messages"]}


# -- what an export holds ------------------------------------------------------------------


def test_json_export_holds_the_record_consents_messages_and_appointments(
    services: Services, scenario: Scenario, practice: PracticeHandle, clock: ManualClock
) -> None:
    s = scenario
    response = export(s.owner, s.client_id, "json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition == (
        f'attachment; filename="client-{s.client_id}-records-{clock.now():%Y-%m-%d}.json"'
    )
    data = json.loads(response.content)
    assert (data["format"], data["kind"], data["include_staff_notes"]) == (
        1,
        "quietline.client_export",
        False,
    )
    assert data["exported_by"] == {"id": str(s.owner.user_id), "name": f"Owner of {practice.slug}"}
    assert data["practice"]["id"] == str(practice.id)

    client = data["client"]
    assert (client["name"], client["preferred_name"], client["phone"], client["email"]) == (
        f"Jordan {s.marks['Name']}",
        "Jo & Co",
        CLIENT_PHONE,
        "jordan@example.org",
    )
    assert client["clinicians"] == [{"id": str(s.clinician_id), "name": "Casey Clinician"}]
    assert "notes_for_staff" not in client
    assert s.marks["Notes"] not in response.text

    consents = data["consents"]  # oldest first
    assert [(c["channel"], c["granted"], c["method"]) for c in consents] == [
        ("sms", True, "verbal"),
        ("email", True, "verbal"),
        ("email", False, "verbal"),
    ]
    assert [c["warning_text"] for c in consents] == [
        DEFAULT_CONSENT_WARNING,
        DEFAULT_CONSENT_WARNING,
        None,
    ]
    owner_person = {"id": str(s.owner.user_id), "name": f"Owner of {practice.slug}"}
    assert all(c["recorded_by"] == owner_person for c in consents)

    # Every row of the thread but the staff-only note, oldest first.
    rows = message_rows(services, s.thread)
    assert sum(1 for r in rows if r["internal"]) == 1
    messages = by_id(data)
    assert list(messages) == [str(r["id"]) for r in rows if not r["internal"]]
    assert s.ids["note"] not in messages
    assert s.marks["Note"] not in response.text

    gone, recalled = messages[s.ids["gone"]], messages[s.ids["recalled"]]
    assert (gone["state"], gone["text"]) == ("expired", None)
    assert (recalled["state"], recalled["text"]) == ("recalled", None)
    for mark in (s.marks["Gone"], s.marks["Recall"]):
        assert mark not in response.text

    sent = messages[s.ids["sent"]]
    assert sent["text"] == f"Hello {SCRIPT} {s.marks['Sent']}\nsecond line"
    assert (sent["direction"], sent["sender"], sent["channel"], sent["state"]) == (
        "to_client",
        "Casey Clinician",
        "link",  # no consent to plain free text: a notice and a secure link went out
        "included",
    )
    assert [(d["channel"], d["purpose"], d["status"]) for d in sent["deliveries"]] == [
        ("sms", "notice", "queued")
    ]

    from_client = [m for m in data["messages"] if m["direction"] == "from_client"]
    assert [(m["text"], m["sender"], m["channel"]) for m in from_client] == [
        (f"Thanks & see you {s.marks['Reply']}", "Jo & Co", "sms"),
        (CRISIS_TEXT, "Jo & Co", "sms"),
    ]
    assert [m["urgent"] for m in from_client] == [False, True]
    automatic = [m for m in data["messages"] if m["channel"] == "auto"]
    assert len(automatic) == 1
    assert (automatic[0]["sender"], automatic[0]["sender_user_id"]) == ("Automatic reply", None)
    assert automatic[0]["text"]
    asked = [m for m in data["messages"] if m["text"] and "reply C to confirm" in m["text"]]
    assert len(asked) == 1
    assert asked[0]["channel"] == "sms"  # consent: in the clear

    appointments = data["appointments"]
    assert [a["id"] for a in appointments] == s.appointments
    assert [(a["status"], a["room"], a["length_minutes"]) for a in appointments] == [
        ("scheduled", "Room <b>2</b>", 50),
        ("cancelled", None, 50),
    ]
    assert appointments[0]["confirmation_requested_at"] is not None
    assert appointments[0]["clinician"] == {"id": str(s.clinician_id), "name": "Casey Clinician"}

    total = len(rows) - 1
    assert data["counts"] == {
        "messages": total,
        "messages_with_text": total - 2,
        "expired": 1,
        "recalled": 1,
        "past_retention": 0,
        "unreadable": 0,
        "staff_notes_included": 0,
        "staff_notes_withheld": 1,
        "consents": 3,
        "appointments": 2,
    }
    assert total == 7, [
        r["channel"] for r in rows
    ]  # gone, sent, recalled, reply, crisis, auto, ask
    assert any("1 staff-only note" in line for line in data["left_out"])


def test_staff_notes_only_with_the_flag(scenario: Scenario) -> None:
    s = scenario
    data = exported(s.owner, s.client_id, include_staff_notes=True)
    assert data["include_staff_notes"] is True
    assert data["client"]["notes_for_staff"] == f"Prefers mornings {s.marks['Notes']}"
    note = by_id(data)[s.ids["note"]]
    assert (note["direction"], note["text"], note["sender"], note["state"]) == (
        "staff_note",
        f"Staff only {s.marks['Note']}",
        "Casey Clinician",
        "included",
    )
    assert note["deliveries"] == []  # never sent to the client
    assert (data["counts"]["staff_notes_included"], data["counts"]["staff_notes_withheld"]) == (
        1,
        0,
    )
    assert data["counts"]["messages"] == 8
    assert not any("staff-only" in line for line in data["left_out"])


def test_html_is_escaped_self_contained_and_signed(scenario: Scenario) -> None:
    s = scenario
    response = export(s.owner, s.client_id, "html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"].endswith('.html"')
    assert s.marks["Name"] not in response.headers["content-disposition"]
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "<script" not in page.lower()  # the message's marker is text, not markup
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Room &lt;b&gt;2&lt;/b&gt;" in page
    assert "<b>" not in page
    assert "Jo &amp; Co" in page
    assert "default-src &#x27;none&#x27;" not in page  # the CSP itself is markup, unescaped
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing external
    assert f"Thanks &amp; see you {s.marks['Reply']}" in page
    for mark in (s.marks["Gone"], s.marks["Recall"], s.marks["Note"], s.marks["Notes"]):
        assert mark not in page
    assert "expired: its content was erased" in page
    assert "recalled: the sender took it back" in page
    assert "1 staff-only note in the thread and the notes for staff" in page

    # Signed like the offboarding record: the verifier says so, and a change breaks it.
    assert page.splitlines()[-1].startswith("Signature (HMAC-SHA256, Quietline audit key): ")
    assert len(page) < 60_000
    checked = s.owner.post("/documents/verify", {"document": page})
    assert checked.json()["valid"] is True, checked.text
    changed = page.replace("Casey Clinician", "Someone Else", 1)
    assert s.owner.post("/documents/verify", {"document": changed}).json()["valid"] is False


def test_the_export_is_recorded_with_ids_and_counts_only(
    services: Services, scenario: Scenario, practice: PracticeHandle
) -> None:
    s = scenario
    data = exported(s.owner, s.client_id)
    rows = audit_rows(services, practice.id)
    (entry,) = [r for r in rows if r["kind"] == "client.exported"]
    assert (entry["actor_user_id"], entry["actor_session_id"]) == (
        s.owner.user_id,
        s.owner.session_id,
    )
    assert (entry["subject_type"], entry["subject_id"]) == ("client", s.client_id)
    assert entry["details"] == {
        "format": "json",
        "via": "api",
        "staff_notes": False,
        "conversation": s.thread,
        **data["counts"],
    }
    # The messages whose text went out are recorded as viewed (the access report shows them).
    views = [
        r for r in rows if r["kind"] == "message.viewed" and r["details"].get("via") == "export"
    ]
    assert [(v["subject_id"], v["actor_user_id"]) for v in views] == [(s.thread, s.owner.user_id)]
    shown = [m["id"] for m in data["messages"] if m["state"] == "included"]
    assert views[0]["details"]["messages"] == shown
    # Nothing in the audit trail names the client or repeats what anyone wrote.
    trail = json.dumps([r["details"] for r in rows])
    for value in [*s.marks.values(), "Jo & Co", CLIENT_PHONE, "jordan@example.org"]:
        assert value not in trail


def test_who_may_export(
    services: Services, quiet: TestClient, scenario: Scenario, practice: PracticeHandle
) -> None:
    s = scenario
    forbidden = export(s.clinician, s.client_id)  # assigned, yet not allowed
    assert forbidden.status_code == 403, forbidden.text
    assert "owner or admin" in forbidden.json()["detail"]
    add_staff(s.owner, "desk@riverbend.test", "front_desk", "Front Desk")
    desk = sign_in(quiet, practice.slug, "desk@riverbend.test")
    assert export(desk, s.client_id).status_code == 403
    add_staff(s.owner, "admin@riverbend.test", "admin", "An Admin")
    admin = sign_in(quiet, practice.slug, "admin@riverbend.test")
    assert export(admin, s.client_id, "html").status_code == 200

    other = make_practice(services, "elsewhere")
    stranger = sign_in(quiet, other.slug, other.owner_email)
    theirs = export(stranger, s.client_id)
    missing = export(stranger, str(uuid.uuid4()))
    assert theirs.status_code == 404, theirs.text
    assert (theirs.content, theirs.headers["content-type"]) == (
        missing.content,
        missing.headers["content-type"],
    )

    bad = export(s.owner, s.client_id, "pdf")
    assert bad.status_code == 422
    assert bad.json()["detail"] == "Check the request: format must be one of: 'json' or 'html'."
    kinds = [r["kind"] for r in audit_rows(services, practice.id)]
    assert kinds.count("client.exported") == 1  # the admin's; refusals record nothing
    assert not [r for r in audit_rows(services, other.id) if r["kind"] == "client.exported"]


def test_a_client_without_messages_or_appointments(
    quiet: TestClient, services: Services, practice: PracticeHandle
) -> None:
    owner = sign_in(quiet, practice.slug, practice.owner_email)
    client = create_client(owner, name="Sam Quiet")
    data = exported(owner, client["id"])
    assert (data["messages"], data["consents"], data["appointments"]) == ([], [], [])
    assert data["counts"]["messages"] == 0
    assert data["client"]["phone"] is None
    page = export(owner, client["id"], "html").text
    assert "No messages." in page
    assert "No appointments." in page
    assert MAX_EXPORT_MESSAGES == 50_000


def test_past_retention_has_no_content_and_too_many_messages_are_refused(
    services: Services, scenario: Scenario, practice: PracticeHandle, clock: ManualClock
) -> None:
    s = scenario
    keep_one_day = s.owner.patch("/practice/policy", {"retention_days": 1})
    assert keep_one_day.status_code == 200, keep_one_day.text
    clock.advance(timedelta(days=2))  # every message is past retention now (not purged yet)

    def run(unit: Unit, **kw: Any) -> ClientExport:
        return do_export_client_as_operator(unit, practice.slug, UUID(s.client_id), "json", **kw)

    found = services.db.write_sync(run)
    states = [m.state for m in found.messages]
    assert states.count("past_retention") == len(states) - 2, states
    assert (states.count("expired"), states.count("recalled")) == (1, 1)
    assert all(m.text is None for m in found.messages)
    assert found.counts.messages_with_text == 0

    with pytest.raises(Conflict) as refused:
        services.db.write_sync(partial(run, max_messages=3))
    assert "more than 3 messages" in refused.value.detail
    assert "--max-messages" in refused.value.detail
    with pytest.raises(InvalidInput):
        services.db.write_sync(partial(run, max_messages=0))
    exports = [r for r in audit_rows(services, practice.id) if r["kind"] == "client.exported"]
    assert len(exports) == 1  # the refused ones left nothing behind


# -- the operator's command ------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)
    return {
        "QUIETLINE_DATA_DIR": str(settings.data_dir),
        "QUIETLINE_DATABASE_URL": str(settings.database_url),
        "QUIETLINE_ARGON2_TIME_COST": "1",
        "QUIETLINE_ARGON2_MEMORY_KIB": "8",
        # One line per message however long the temporary paths: a name that must not be
        # printed cannot hide by being wrapped across two lines.
        "COLUMNS": "1000",
    }


def cli(env: dict[str, str], *args: str | Path) -> Result:
    return CliRunner().invoke(cli_app, [str(a) for a in args], env=env, catch_exceptions=False)


def test_the_command_writes_a_private_file_and_records_it(
    services: Services,
    scenario: Scenario,
    practice: PracticeHandle,
    cli_env: dict[str, str],
    tmp_path: Path,
) -> None:
    s = scenario
    target = tmp_path / "records.html"
    args = ["clients", "export", s.client_id, "--practice", practice.slug]
    done = cli(cli_env, *args, "--format", "html", "--out", target)
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    page = target.read_text()
    assert f"Thanks &amp; see you {s.marks['Reply']}" in page
    assert s.marks["Note"] not in page
    assert s.marks["Recall"] not in page
    assert "Prepared by the server&#x27;s operator" in page
    assert s.marks["Name"] not in done.output
    assert "Jo" not in done.output

    verified = cli(cli_env, "documents", "verify", target, "--practice", practice.slug)
    assert verified.exit_code == 0, verified.output
    target.write_text(page.replace("Casey", "Kasey"))
    refused = cli(cli_env, "documents", "verify", target, "--practice", practice.slug)
    assert refused.exit_code == 1
    assert "does not match its signature" in " ".join(refused.output.split())

    notes = tmp_path / "records.json"
    done = cli(cli_env, *args, "--format", "json", "--out", notes, "--include-staff-notes")
    assert done.exit_code == 0, done.output
    data = json.loads(notes.read_text())
    assert (data["exported_by"], data["via"]) == (None, "cli")
    assert by_id(data)[s.ids["note"]]["text"] == f"Staff only {s.marks['Note']}"

    again = cli(cli_env, *args, "--out", notes)
    assert again.exit_code == 2
    # The message names the path, so the console may wrap it anywhere (the path's length
    # depends on pytest's temporary folder): compare with the line breaks taken out.
    assert "exists already" in " ".join(again.output.split())
    wrong = cli(
        cli_env,
        "clients",
        "export",
        s.client_id,
        "--practice",
        "nowhere",
        "--out",
        tmp_path / "x.json",
    )
    assert wrong.exit_code == 1
    assert "No practice has that code" in wrong.output
    entries = [r for r in audit_rows(services, practice.id) if r["kind"] == "client.exported"]
    assert [(e["actor_user_id"], e["details"]["via"], e["details"]["format"]) for e in entries] == [
        (None, "cli", "html"),
        (None, "cli", "json"),
    ]
