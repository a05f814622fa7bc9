"""Clients (on both backends): records, who may see them, their threads, search by name.

* create, read, change, archive; phone numbers in E.164, e-mail lower-cased, junk refused
  with a sentence (never echoing what was typed);
* who sees what: owners, admins and the front desk every client; clinicians and supervisors
  their assigned clients; another practice nothing, with the same 404 as a missing id;
* a client's thread follows the assignments (and the front desk by the practice's setting);
* lists and search say whose consent to plain messages is in force, per channel;
* names, phone numbers, e-mail addresses, dates of birth and notes never reach the database
  in the clear, nor any log, nor the audit trail.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from quietline.actions.clients import normalise_phone
from quietline.app import Services
from quietline.config import Settings
from quietline.domain.errors import InvalidInput
from tests.client_support import (
    audit_rows,
    create_client,
    database_dump,
    kinds,
    marker,
    set_policy,
)
from tests.conftest import Api, Capture, PracticeHandle, add_staff, make_practice, sign_in
from tests.test_no_plaintext import leaks

NOT_FOUND = "No client with that id exists, or you do not have access to it."


@pytest.fixture
def staff(client: TestClient, practice: PracticeHandle, owner: Api) -> dict[str, Api]:
    """The owner, an admin, the front desk, two clinicians and a supervisor, signed in."""
    people = {"owner": owner}
    for name, role in (
        ("admin", "admin"),
        ("desk", "front_desk"),
        ("ana", "clinician"),
        ("ben", "clinician"),
        ("sam", "supervisor"),
    ):
        email = f"{name}@{practice.slug}.test"
        add_staff(owner, email, role, name.title())
        people[name] = sign_in(client, practice.slug, email)
    return people


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["name"] for c in response.json()]


def thread_members(api: Api, conversation_id: str) -> set[UUID]:
    found = api.get(f"/conversations/{conversation_id}")
    assert found.status_code == 200, found.text
    return {UUID(u) for u in found.json()["member_ids"]}


# -- normalising -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(415) 555-0123", "+14155550123"),
        ("415.555.0123", "+14155550123"),
        ("+1 415 555 0123", "+14155550123"),
        ("1-415-555-0123", "+14155550123"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, e164: str) -> None:
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize("junk", ["", "12345", "call me", "+1 (555) 123-4567", "4" * 41])
def test_junk_phone_numbers_are_refused(junk: str) -> None:
    with pytest.raises(InvalidInput, match="phone number"):
        normalise_phone(junk)


# -- records ----------------------------------------------------------------------------------


def test_a_client_is_created_read_changed_and_archived_with_a_thread(
    services: Services, practice: PracticeHandle, owner: Api
) -> None:
    created = create_client(
        owner,
        name="  Jordan   Rivers ",
        preferred_name="Jo",
        phone="(415) 555-0123",
        email="Jo.Rivers@Example.ORG",
        date_of_birth="1990-04-02",
        notes="Prefers afternoons",
    )
    assert created["name"] == "Jordan Rivers"
    assert created["display_name"] == "Jo"
    assert created["phone"] == "+14155550123"
    assert created["email"] == "jo.rivers@example.org"
    assert created["date_of_birth"] == "1990-04-02"
    assert created["clinician_ids"] == [str(owner.user_id)]  # the creator, by default
    assert created["consent"] == {"sms": False, "email": False}  # never assumed
    assert created["sms_opted_out_at"] is None
    thread_id = created["conversation_id"]
    assert thread_id

    # The thread: a conversation of kind 'client', titled with the display name.
    threads = [c for c in owner.get("/conversations").json() if c["id"] == thread_id]
    assert len(threads) == 1
    assert threads[0]["kind"] == "client"
    assert threads[0]["client_id"] == created["id"]
    assert threads[0]["title"] == "Jo"

    read = owner.get(f"/clients/{created['id']}")
    assert read.status_code == 200, read.text
    assert read.json() == created

    changed = owner.patch(
        f"/clients/{created['id']}",
        {"preferred_name": None, "phone": "+44 20 7946 0958", "email": None, "notes": "New"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["display_name"], body["phone"], body["email"], body["notes"]) == (
        "Jordan Rivers",
        "+442079460958",
        None,
        "New",
    )
    assert owner.get(f"/conversations/{thread_id}").json()["title"] == "Jordan Rivers"

    archived = owner.post(f"/clients/{created['id']}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert names(owner.get("/clients")) == []
    assert names(owner.get("/clients", params={"include_archived": True})) == ["Jordan Rivers"]
    restored = owner.post(f"/clients/{created['id']}/unarchive")
    assert restored.json()["archived_at"] is None
    assert names(owner.get("/clients")) == ["Jordan Rivers"]

    entries = audit_rows(services, practice.id)
    mine = [(e["kind"], e["details"]) for e in entries if e["subject_id"] == created["id"]]
    assert ("client.created", mine[0][1]) == mine[0]
    assert mine[0][1]["fields"] == ["date_of_birth", "email", "notes", "phone", "preferred_name"]
    assert ("client.viewed", {"via": "record"}) in mine
    assert ("client.updated", {"fields": ["email", "notes", "phone", "preferred_name"]}) in mine
    assert ("client.archived", {"archived": True}) in mine
    assert "conversation.created" in kinds(services, practice.id)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"phone": "12345"}, "phone number"),
        ({"email": "not-an-address"}, "e-mail address"),
        ({"date_of_birth": "02/04/1990"}, "year-month-day"),
        ({"date_of_birth": "2999-01-01"}, "past date"),
        ({"name": "   "}, "name of 1 to 200"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(
    owner: Api, fields: dict[str, str], words: str
) -> None:
    refused = owner.post("/clients", {"name": "Jordan Rivers", **fields})
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:quietline:problem:invalid-input"
    assert words in problem["detail"]
    for value in fields.values():
        if value.strip():
            assert value not in refused.text


def test_the_front_desk_is_not_a_clinician(staff: dict[str, Api]) -> None:
    refused = staff["owner"].post(
        "/clients", {"name": "Jordan Rivers", "clinician_ids": [str(staff["desk"].user_id)]}
    )
    assert refused.status_code == 422
    assert "Front-desk staff cannot be a client's clinician" in refused.json()["detail"]
    unknown = staff["owner"].post(
        "/clients", {"name": "Jordan Rivers", "clinician_ids": [str(uuid.uuid4())]}
    )
    assert unknown.status_code == 404


# -- who sees what ---------------------------------------------------------------------------


def test_each_role_sees_the_clients_it_may(
    services: Services, practice: PracticeHandle, staff: dict[str, Api]
) -> None:
    owner, desk, ana, ben, sam = (staff[n] for n in ("owner", "desk", "ana", "ben", "sam"))
    c_ana = create_client(owner, name="Alice Ames", clinician_ids=[str(ana.user_id)])
    c_ben = create_client(owner, name="Bruno Baker", clinician_ids=[str(ben.user_id)])
    create_client(owner, name="Cara Cole", clinician_ids=[str(sam.user_id)])
    c_desk = create_client(desk, name="Dana Doe")  # the front desk: nobody assigned
    assert c_desk["clinician_ids"] == []
    c_own = create_client(ana, name="Evan Ellis", clinician_ids=[str(ben.user_id)])
    assert set(c_own["clinician_ids"]) == {str(ana.user_id), str(ben.user_id)}

    everyone = ["Alice Ames", "Bruno Baker", "Cara Cole", "Dana Doe", "Evan Ellis"]
    for who in ("owner", "admin", "desk"):
        assert names(staff[who].get("/clients")) == everyone, who
    assert names(ana.get("/clients")) == ["Alice Ames", "Evan Ellis"]
    assert names(ben.get("/clients")) == ["Bruno Baker", "Evan Ellis"]
    assert names(sam.get("/clients")) == ["Cara Cole"]

    # Someone else's client: the same answer as a client that does not exist.
    for path in (f"/clients/{c_ben['id']}", f"/clients/{uuid.uuid4()}"):
        refused = ana.get(path)
        assert refused.status_code == 404
        assert refused.json()["detail"] == NOT_FOUND
    assert ana.patch(f"/clients/{c_ben['id']}", {"notes": "x"}).status_code == 404
    assert ana.post(f"/clients/{c_ben['id']}/archive").status_code == 404
    assert ana.get(f"/clients/{c_ben['id']}/consents").status_code == 404
    searched = ana.post("/client-search", {"query": "bruno"})
    assert names(searched) == []
    assert ben.get(f"/clients/{c_ben['id']}").status_code == 200

    # Threads: the assigned clinicians and the front desk (the practice's default).
    assert thread_members(desk, c_ana["conversation_id"]) == {ana.user_id, desk.user_id}
    assert owner.get(f"/conversations/{c_ana['conversation_id']}").status_code == 404
    assert thread_members(desk, c_desk["conversation_id"]) == {desk.user_id}
    assert ana.get(f"/conversations/{c_ben['conversation_id']}").status_code == 404


def test_assignments_move_people_in_and_out_of_the_thread(
    services: Services, practice: PracticeHandle, staff: dict[str, Api]
) -> None:
    owner, desk, ana, ben = (staff[n] for n in ("owner", "desk", "ana", "ben"))
    created = create_client(owner, name="Alice Ames", clinician_ids=[str(ana.user_id)])
    client_id, thread = created["id"], created["conversation_id"]

    assert (
        ana.post(f"/clients/{client_id}/clinicians", {"user_id": str(ben.user_id)}).status_code
        == 403
    )
    assigned = desk.post(f"/clients/{client_id}/clinicians", {"user_id": str(ben.user_id)})
    assert assigned.status_code == 200, assigned.text
    assert set(assigned.json()["clinician_ids"]) == {str(ana.user_id), str(ben.user_id)}
    assert thread_members(desk, thread) == {ana.user_id, ben.user_id, desk.user_id}
    assert names(ben.get("/clients")) == ["Alice Ames"]

    removed = owner.delete(f"/clients/{client_id}/clinicians/{ana.user_id}")
    assert removed.status_code == 200, removed.text
    assert thread_members(desk, thread) == {ben.user_id, desk.user_id}
    assert ana.get(f"/clients/{client_id}").status_code == 404
    assert ana.get(f"/conversations/{thread}").status_code == 404
    assert owner.delete(f"/clients/{client_id}/clinicians/{ana.user_id}").status_code == 404

    # Without the front desk in client threads, and nobody assigned: the owners and admins.
    set_policy(services, practice.id, front_desk_in_client_threads=False)
    assert owner.delete(f"/clients/{client_id}/clinicians/{ben.user_id}").status_code == 200
    assert thread_members(owner, thread) == {owner.user_id, staff["admin"].user_id}

    entries = [(e["kind"], e["details"]) for e in audit_rows(services, practice.id)]
    assert ("client.clinician_assigned", {"user": str(ben.user_id)}) in entries
    assert ("client.clinician_unassigned", {"user": str(ana.user_id)}) in entries
    added = [d for k, d in entries if k == "conversation.member_added"]
    assert {"user": str(ben.user_id), "client": client_id} in added


def test_another_practice_sees_nothing(client: TestClient, services: Services, owner: Api) -> None:
    created = create_client(owner, name="Alice Ames", phone="(415) 555-0123")
    other = make_practice(services, "lakeside")
    stranger = sign_in(client, other.slug, other.owner_email)
    missing = stranger.get(f"/clients/{uuid.uuid4()}")
    assert missing.status_code == 404
    for response in (
        stranger.get(f"/clients/{created['id']}"),
        stranger.patch(f"/clients/{created['id']}", {"notes": "x"}),
        stranger.post(f"/clients/{created['id']}/archive"),
        stranger.get(f"/clients/{created['id']}/consents"),
        stranger.post(
            f"/clients/{created['id']}/consents",
            {"channel": "sms", "granted": True, "method": "verbal"},
        ),
        stranger.post(f"/clients/{created['id']}/clinicians", {"user_id": str(owner.user_id)}),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == missing.json()
    assert names(stranger.get("/clients")) == []
    assert names(stranger.post("/client-search", {"query": "alice"})) == []
    assert stranger.get(f"/conversations/{created['conversation_id']}").status_code == 404


def test_search_matches_parts_of_names_ignoring_case_and_accents(owner: Api) -> None:
    create_client(owner, name="José Álvarez")
    create_client(owner, name="Margaret Lee", preferred_name="Peggy")
    create_client(owner, name="Joseph Lee")
    archived = create_client(owner, name="Josie Archer")
    owner.post(f"/clients/{archived['id']}/archive")

    def search(query: str, **extra: Any) -> list[str]:
        return names(owner.post("/client-search", {"query": query, **extra}))

    assert search("jose") == ["José Álvarez", "Joseph Lee"]
    assert search("ALVAR") == ["José Álvarez"]
    assert search("peg") == ["Margaret Lee"]
    assert search("lee") == ["Joseph Lee", "Margaret Lee"]  # by display name: Joseph, Peggy
    assert search("josie") == []
    assert search("josie", include_archived=True) == ["Josie Archer"]
    assert search("nobody") == []
    assert owner.post("/client-search", {"query": ""}).status_code == 422
    assert names(owner.get("/clients", params={"limit": 2})) == ["José Álvarez", "Joseph Lee"]


def test_lists_and_search_say_which_consent_is_in_force(owner: Api) -> None:
    """Each list item carries the consent in force per channel (the list's "Text OK"): the
    newest answer counts, so a withdrawn grant is no consent."""
    both = create_client(owner, name="Ann Both", phone="(415) 555-0101", email="ann@example.org")
    withdrawn = create_client(owner, name="Bea Withdrawn", phone="(415) 555-0102")
    create_client(owner, name="Cal Never", phone="(415) 555-0103")

    def answer(client: dict[str, Any], channel: str, granted: bool) -> None:
        body = {"channel": channel, "granted": granted, "method": "verbal"}
        recorded = owner.post(f"/clients/{client['id']}/consents", body)
        assert recorded.status_code == 201, recorded.text

    answer(both, "sms", True)
    answer(both, "email", True)
    answer(withdrawn, "sms", True)
    answer(withdrawn, "sms", False)
    answer(withdrawn, "email", False)
    expected = {
        "Ann Both": {"sms": True, "email": True},
        "Bea Withdrawn": {"sms": False, "email": False},
        "Cal Never": {"sms": False, "email": False},
    }
    for listed in (owner.get("/clients"), owner.post("/client-search", {"query": "a"})):
        assert listed.status_code == 200, listed.text
        assert {c["name"]: c["consent"] for c in listed.json()} == expected
    # The same answer as the client's own record.
    for client in (both, withdrawn):
        record = owner.get(f"/clients/{client['id']}").json()
        assert record["consent"] == expected[record["name"]]


def test_search_and_lists_are_audited_without_the_query(
    services: Services, practice: PracticeHandle, owner: Api
) -> None:
    query = marker("Query")
    created = create_client(owner, name=f"Alice {query}")
    assert names(owner.post("/client-search", {"query": query})) == [f"Alice {query}"]
    viewed = [e for e in audit_rows(services, practice.id) if e["kind"] == "client.viewed"]
    assert viewed[-1]["details"] == {"via": "search", "clients": [created["id"]]}
    assert not leaks(query, repr([e["details"] for e in viewed]).encode())


# -- nothing readable where it should not be --------------------------------------------------


def test_what_identifies_a_client_is_never_stored_or_logged_in_the_clear(
    debug_logs: Capture,
    settings: Settings,
    services: Services,
    practice: PracticeHandle,
    owner: Api,
) -> None:
    m = {label: marker(label) for label in ("Name", "Preferred", "Notes", "Email", "Renamed")}
    phone = "+14155550177"
    created = create_client(
        owner,
        name=f"Name {m['Name']}",
        preferred_name=m["Preferred"],
        phone="(415) 555-0177",
        email=f"{m['Email']}@example.org",
        date_of_birth="1983-11-29",
        notes=f"Notes {m['Notes']}",
    )
    owner.patch(f"/clients/{created['id']}", {"name": f"Renamed {m['Renamed']}"})
    assert owner.get(f"/clients/{created['id']}").json()["notes"] == f"Notes {m['Notes']}"
    assert names(owner.post("/client-search", {"query": m["Preferred"]})) == [
        f"Renamed {m['Renamed']}"
    ]
    rejected = owner.post("/clients", {"name": "x", "email": f"bad {m['Email']}"})
    assert rejected.status_code == 422
    assert m["Email"] not in rejected.text

    dump = database_dump(services)
    assert leaks(practice.owner_email, dump), "canary: the dump holds the staff e-mail"
    found = {label: leaks(value, dump) for label, value in m.items() if leaks(value, dump)}
    assert found == {}, "client data in the database in the clear"
    for clear in (phone, "4155550177", "1983-11-29"):
        assert not leaks(clear, dump), clear
    if str(settings.database_url).startswith("sqlite"):
        path = Path(str(make_url(str(settings.database_url)).database))
        files = b"".join(
            p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        assert leaks(practice.owner_email, files)
        assert {k: v for k, v in m.items() if leaks(v, files)} == {}
        assert not leaks(phone, files)

    logged = debug_logs.text.encode()
    assert "sqlalchemy.engine" in debug_logs.text  # canary: the SQL echo was captured
    assert {k: v for k, v in m.items() if leaks(v, logged)} == {}
    assert not leaks(phone, logged)
    assert not leaks("1983-11-29", logged)
