"""Who may message clients (on both backends): the practice's ``client_senders`` setting.

* by default every role may send to clients, as before the setting existed;
* restricted to clinicians and owners, the front desk gets a 403 with a sentence on a thread
  send, "running late" and a confirmation request, and nothing leaves for the client; its
  staff notes still work, and the conversation says ``may_message_client: false``;
* owners always may (a list without them is refused), and the practice's automatic messages
  are not anyone's sending;
* a change holds at once, for sessions signed in before it; it is audited;
* bad values are a 422 with a sentence, and change nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from quietline.app import Services, create_app
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.clock import ManualClock
from quietline.domain.roles import Role
from tests.client_support import key
from tests.conftest import Api, PracticeHandle, add_staff, sign_in
from tests.test_appointments import (
    START,
    Team,
    book,
    inbound,
    local,
    make_team,
    new_client,
    outbound,
    problem,
    put,
    remind,
    thread,
)

ALL = ["owner", "admin", "supervisor", "clinician", "front_desk"]
SETTINGS = "/practice/client-messaging"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)  # Wednesday 3 December 2025, 9:00 in New York


@pytest.fixture
def client(services: Services) -> TestClient:
    """The app without its lifespan: no outbox worker, so queued texts stay to be read."""
    return TestClient(create_app(services))


@pytest.fixture
def team(services: Services, client: TestClient, practice: PracticeHandle, owner: Api) -> Team:
    return make_team(services, client, practice, owner)


def senders(api: Api, roles: list[str]) -> dict[str, Any]:
    response = put(api, SETTINGS, {"client_senders": roles})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def thread_id(api: Api, client_id: UUID) -> str:
    """The client's thread, from the conversation list the app reads."""
    return str(next(c["id"] for c in conversation_list(api) if c["client_id"] == str(client_id)))


def conversation_list(api: Api) -> list[dict[str, Any]]:
    response = api.get("/conversations")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def may(api: Api, conversation_id: str) -> tuple[bool | None, bool | None]:
    """``may_message_client`` as the list says it and as the conversation itself says it."""
    listed = next(c for c in conversation_list(api) if c["id"] == conversation_id)
    single = api.get(f"/conversations/{conversation_id}")
    assert single.status_code == 200, single.text
    return listed["may_message_client"], single.json()["may_message_client"]


def write(api: Api, conversation_id: str, **body: Any) -> Any:
    return api.post(
        f"/conversations/{conversation_id}/client-messages",
        {"idempotency_key": key(), **body},
    )


def first_template(api: Api) -> str:
    listed = api.get("/message-templates")
    assert listed.status_code == 200, listed.text
    templates = [t for t in listed.json() if not t["placeholders"]]
    assert templates, listed.json()
    return str(templates[0]["id"])


def audit_of_settings(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get("/audit?kind=practice.client_messaging_changed").json()
    return found


# -- the default ---------------------------------------------------------------------------
def test_by_default_every_role_may_message_clients(team: Team) -> None:
    services, pid = team.services, team.practice.id
    assert team.desk.get(SETTINGS).json()["client_senders"] == ALL
    assert ClientMessagingPolicy().client_senders == tuple(Role)
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    appointment = book(team.dana, ada, local(15, 10))
    conversation = thread_id(team.desk, ada)
    assert may(team.desk, conversation) == (True, True)
    # A conversation that is not a client's thread has no such flag.
    direct = team.desk.post("/conversations", {"kind": "direct", "user_id": str(team.dana_id)})
    assert direct.status_code == 201, direct.text
    assert direct.json()["may_message_client"] is None
    assert may(team.desk, direct.json()["id"]) == (None, None)

    assert write(team.desk, conversation, text="See you at 3:10.").status_code == 201
    asked = team.desk.post(f"/appointments/{appointment['id']}/confirmation-request")
    assert asked.status_code == 200, asked.text
    late = team.desk.post("/running-late", {"minutes": 10, "clinician_id": str(team.dana_id)})
    assert late.status_code == 200, late.text
    # Queued at one instant (the clock stands still): compared in no particular order.
    assert sorted(s.purpose for s in outbound(services, pid, ada)) == [
        "confirm_request",
        "late_notice",
        "notice",
    ]


# -- restricted ----------------------------------------------------------------------------
def test_front_desk_may_not_message_clients_once_restricted(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    appointment = book(team.dana, ada, local(15, 10))
    conversation = thread_id(team.desk, ada)
    template = first_template(team.desk)
    # Signed in before the change: the same sessions are used throughout.
    assert write(team.desk, conversation, text="Before the change.").status_code == 201
    before = len(outbound(services, pid, ada))

    changed = senders(team.owner, ["clinician", "owner"])
    assert changed["client_senders"] == ["owner", "clinician"]  # in the roles' order

    detail = problem(write(team.desk, conversation, text="After the change."), 403)
    assert "only clinicians and owners message clients" in detail
    assert "staff note" in detail
    problem(write(team.desk, conversation, template_id=template, values={}), 403)
    problem(write(team.desk, conversation, text="By link.", delivery="secure_page"), 403)
    ask = f"/appointments/{appointment['id']}/confirmation-request"
    one_tap = problem(team.desk.post(ask), 403)
    assert "only clinicians and owners message clients" in one_tap
    problem(
        team.desk.post("/running-late", {"minutes": 10, "clinician_id": str(team.dana_id)}),
        403,
    )
    # Nothing left for the client, and nothing was written in the thread for them.
    assert len(outbound(services, pid, ada)) == before
    assert [m.body for m in thread(services, pid, ada)] == ["Before the change."]
    row = team.desk.get(f"/appointments/{appointment['id']}").json()
    assert row["confirmation_requested_at"] is None
    assert row["late_minutes"] is None

    # A staff note never reaches the client: every member may still write one.
    note = write(team.desk, conversation, text="Client called about parking.", internal=True)
    assert note.status_code == 201, note.text
    assert note.json()["delivery"] is None
    assert len(outbound(services, pid, ada)) == before
    # The app knows, and shows the composer as staff notes only.
    assert may(team.desk, conversation) == (False, False)
    assert may(team.dana, conversation) == (True, True)

    # The clinician still may, in the same thread and with the one-tap texts.
    assert write(team.dana, conversation, text="See you at 3:10.").status_code == 201
    asked = team.dana.post(f"/appointments/{appointment['id']}/confirmation-request")
    assert asked.status_code == 200, asked.text
    assert len(outbound(services, pid, ada)) == before + 2

    # Back to everyone: the front desk's same session may send again at once.
    senders(team.owner, ALL)
    assert may(team.desk, conversation) == (True, True)
    assert write(team.desk, conversation, text="After the change back.").status_code == 201


def test_a_retry_of_an_earlier_send_is_answered_without_sending_again(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    conversation = thread_id(team.desk, ada)
    body = {"idempotency_key": key(), "text": "See you at 3:10."}
    first = team.desk.post(f"/conversations/{conversation}/client-messages", body)
    assert first.status_code == 201, first.text
    senders(team.owner, ["owner", "clinician"])
    again = team.desk.post(f"/conversations/{conversation}/client-messages", body)
    assert again.status_code == 200, again.text
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert len(outbound(services, pid, ada)) == 1


# -- owners ----------------------------------------------------------------------------------
def test_owners_always_may_and_admins_follow_the_setting(team: Team, client: TestClient) -> None:
    services, pid, domain = team.services, team.practice.id, team.practice.slug
    add_staff(team.owner, f"ada.admin@{domain}.test", "admin", "Admin")
    admin = sign_in(client, domain, f"ada.admin@{domain}.test")
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    appointment = book(team.dana, ada, local(15, 10))
    # A client nobody is assigned to: their thread is the owners' and admins'.
    changed = put(
        team.owner,
        SETTINGS,
        {"client_senders": ["owner"], "front_desk_in_client_threads": False},
    )
    assert changed.status_code == 200, changed.text
    bo = new_client(
        services, team.owner, name="Bo", phone="+12025550102", clinicians=[], consent=("sms",)
    )
    conversation = thread_id(team.owner, bo)

    assert may(team.owner, conversation) == (True, True)
    assert write(team.owner, conversation, text="See you at 4.").status_code == 201
    assert may(admin, conversation) == (False, False)
    assert "only owners message clients" in problem(write(admin, conversation, text="Hi."), 403)
    assert write(admin, conversation, text="Noted.", internal=True).status_code == 201
    # The owner may send the one-tap texts for a clinician, who may not.
    problem(team.dana.post(f"/appointments/{appointment['id']}/confirmation-request"), 403)
    problem(team.dana.post("/running-late", {"minutes": 5}), 403)
    asked = team.owner.post(f"/appointments/{appointment['id']}/confirmation-request")
    assert asked.status_code == 200, asked.text
    late = team.owner.post("/running-late", {"minutes": 5, "clinician_id": str(team.dana_id)})
    assert late.status_code == 200, late.text
    assert sorted(s.purpose for s in outbound(services, pid, ada)) == [
        "confirm_request",
        "late_notice",
    ]


def test_the_practices_automatic_messages_are_not_anyones_sending(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    book(team.dana, ada, local(15, 10))
    senders(team.owner, ["owner"])
    # The reminder (due: 24 hours before by default) and the reply to a client's text.
    assert remind(services) == 1
    inbound(services, pid, ada, "Running 10 minutes late, sorry!")
    assert sorted(s.purpose for s in outbound(services, pid, ada)) == ["late_ack", "reminder"]


# -- the setting itself ------------------------------------------------------------------------
def test_the_change_is_audited_with_the_roles_before_and_after(team: Team) -> None:
    senders(team.owner, ["owner", "clinician"])
    senders(team.owner, ["clinician", "owner"])  # the same roles: nothing changes
    [entry] = audit_of_settings(team.owner)
    assert entry["actor_user_id"] == str(team.practice.owner_id)
    assert entry["details"] == {
        "fields": ["client_senders"],
        "client_senders": {"from": ALL, "to": ["owner", "clinician"]},
    }
    # Only owners and admins change it; everyone on staff reads it.
    problem(put(team.desk, SETTINGS, {"client_senders": ALL}), 403)
    problem(put(team.dana, SETTINGS, {"client_senders": ALL}), 403)
    assert team.dana.get(SETTINGS).json()["client_senders"] == ["owner", "clinician"]
    assert len(audit_of_settings(team.owner)) == 1


BAD_VALUES: dict[str, tuple[object, str]] = {
    "empty": ([], "cannot be empty"),
    "without owners": (["clinician", "admin"], "keep owner"),
    "unknown role": (["owner", "nurse"], "does not exist"),
    "null": (None, "list of roles"),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_bad_values_are_422_with_a_sentence_and_change_nothing(team: Team, case: str) -> None:
    value, words = BAD_VALUES[case]
    detail = problem(put(team.owner, SETTINGS, {"client_senders": value}), 422)
    assert words in detail
    assert "who may message clients" in detail.lower()
    assert team.owner.get(SETTINGS).json()["client_senders"] == ALL
    assert audit_of_settings(team.owner) == []


@pytest.mark.parametrize("value", ["owner", [1, 2], [{"role": "owner"}]])
def test_values_of_the_wrong_shape_are_422(team: Team, value: object) -> None:
    response = put(team.owner, SETTINGS, {"client_senders": value})
    assert response.status_code == 422, response.text
    assert team.owner.get(SETTINGS).json()["client_senders"] == ALL


def test_stored_settings_read_by_this_version() -> None:
    """Settings written before the setting existed give everyone; a role this version does
    not know is left out; the order is the roles' own."""
    assert ClientMessagingPolicy.from_json({}).client_senders == tuple(Role)
    policy = ClientMessagingPolicy.from_json({"client_senders": ["clinician", "owner", "scribe"]})
    assert policy.client_senders == (Role.OWNER, Role.CLINICIAN)
    assert policy.to_json()["client_senders"] == ["owner", "clinician"]
    # Owners always may, even from settings that somehow lost them.
    lost = replace(ClientMessagingPolicy(), client_senders=(Role.CLINICIAN,))
    assert lost.may_message_clients(Role.OWNER)
    assert not lost.may_message_clients(Role.FRONT_DESK)
