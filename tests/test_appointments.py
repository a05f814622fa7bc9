"""Appointments (on both backends): booking and who sees what, asking for confirmation and the
client's answer (C or R by text, or a tap on the secure page), "running late" to the client of
the next appointment only, reminders once at the right time through the right channel, and
another practice seeing none of it.

The clock is a ManualClock set to Wednesday 3 December 2025, 9:00 in New York (the default
practice time zone), so the texts clients get can be checked word for word.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from quietline.actions.appointments import (
    client_when,
    do_send_due_reminders,
    local_day_bounds,
    respond_to_appointment,
)
from quietline.actions.auth import SessionToken, authorize
from quietline.actions.client_messages import InboundResult, receive_from_client, receive_sms
from quietline.actions.clients import ClientInput, do_create_client
from quietline.actions.consent import do_record_consent
from quietline.actions.context import Actor
from quietline.app import Services, create_app
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import SealedMessage, open_message_body, open_record_field
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.clock import ManualClock
from quietline.domain.models import Appointment
from quietline.storage.unit import Unit
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import Socket

# Wednesday 3 December 2025, 14:00 UTC = 9:00 in New York (EST, UTC-5).
START = datetime(2025, 12, 3, 14, 0, tzinfo=UTC)
ORIGIN = "https://quietline.example.test"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def client(services: Services) -> TestClient:
    """The app without its lifespan: no outbox worker runs, so what was queued for a client
    stays in ``outbound_messages`` for the test to open (the live tests run everything)."""
    return TestClient(create_app(services))


def local(hour: int, minute: int = 0, day: int = 3) -> datetime:
    """A time on a December 2025 day in New York (EST), as UTC."""
    return datetime(2025, 12, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


# -- helpers (also used by test_boundaries) --------------------------------------------------------
def actor_of(unit: Unit, api: Api) -> Actor:
    return authorize(unit, SessionToken(api.token))


def new_client(
    services: Services,
    api: Api,
    *,
    name: str = "Client",
    phone: str | None = None,
    email: str | None = None,
    clinicians: list[UUID] | None = None,
    consent: tuple[str, ...] = (),
) -> UUID:
    """A client created through the clients part's own actions, with consent recorded."""

    def run(unit: Unit) -> UUID:
        actor = actor_of(unit, api)
        view = do_create_client(
            unit,
            actor,
            services.lookup_key,
            ClientInput(name=name, phone=phone, email=email, clinician_ids=clinicians),
        )
        for channel in consent:
            do_record_consent(unit, actor, view.id, channel=channel, granted=True, method="verbal")
        return view.id

    return services.db.write_sync(run)


@dataclass(frozen=True)
class Sent:
    channel: str
    purpose: str
    to: str
    body: str
    message_id: UUID | None


def outbound(services: Services, practice_id: UUID, client_id: UUID) -> list[Sent]:
    """Every SMS and e-mail queued for the client, oldest first (rows queued at the same
    instant in no particular order), opened."""

    def run(unit: Unit) -> list[Sent]:
        found = []
        for row in reversed(unit.outbox.for_client(practice_id, client_id)):
            assert row.to_sealed is not None
            assert row.body_sealed is not None

            def opened(column: str, sealed: bytes, row_id: UUID = row.id) -> str:
                key_id = read_header(sealed).key_id
                key = unit.keyring.practice_key(
                    practice_id, unit.practices.key(practice_id, key_id)
                )
                return open_record_field(
                    key, practice_id, "outbound_messages", column, row_id, sealed
                )

            found.append(
                Sent(
                    row.channel,
                    row.purpose,
                    opened("to_sealed", row.to_sealed),
                    opened("body_sealed", row.body_sealed),
                    row.message_id,
                )
            )
        return found

    return services.db.read_sync(run)


@dataclass(frozen=True)
class ThreadMessage:
    id: UUID
    sender_id: UUID | None
    sender_client_id: UUID | None
    channel: str | None
    body: str
    urgent: bool


def thread(services: Services, practice_id: UUID, client_id: UUID) -> list[ThreadMessage]:
    """The client's thread, oldest first, opened (what staff read)."""

    def run(unit: Unit) -> list[ThreadMessage]:
        conversation = unit.conversations.for_client(practice_id, client_id)
        assert conversation is not None
        key = unit.conversation_key(conversation)
        found = []
        for m in unit.messages.page(practice_id, conversation.id, unit.now, limit=200):
            assert m.body_sealed is not None
            assert m.dek_wrapped is not None
            body = open_message_body(
                key,
                practice_id,
                conversation.id,
                m.id,
                SealedMessage(m.body_sealed, m.dek_wrapped),
            )
            found.append(
                ThreadMessage(m.id, m.sender_id, m.sender_client_id, m.channel, body, m.urgent)
            )
        return found

    return services.db.read_sync(run)


def inbound(
    services: Services,
    practice_id: UUID,
    client_id: UUID,
    body: str,
    channel: str = "sms",
) -> InboundResult:
    """The client writes (as the SMS webhook or the secure page would hand it on)."""
    return services.db.write_sync(
        lambda unit: receive_from_client(
            unit,
            lookup_key=services.lookup_key,
            public_origin=ORIGIN,
            practice_id=practice_id,
            client_id=client_id,
            body=body,
            channel=channel,  # type: ignore[arg-type]
            idempotency_key=f"test:{uuid.uuid4().hex}",
        )
    )


def appointment_row(services: Services, practice_id: UUID, appointment_id: UUID) -> Appointment:
    found = services.db.read_sync(lambda unit: unit.appointments.get(practice_id, appointment_id))
    assert found is not None
    return found


def put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(f"/api/v1{path}", json=body, headers=api.headers)


def is_a_sentence(text: str) -> bool:
    return len(text) > 15 and text[0].isupper() and text.rstrip().endswith((".", "!", "?", ")"))


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert is_a_sentence(body["detail"]), body["detail"]
    return str(body["detail"])


def book(api: Api, client_id: UUID, starts_at: datetime, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "/appointments",
        {
            "client_id": str(client_id),
            "starts_at": starts_at.isoformat(),
            "length_minutes": 50,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Team:
    services: Services
    practice: PracticeHandle
    owner: Api
    dana: Api
    dana_id: UUID
    sam: Api
    sam_id: UUID
    desk: Api
    desk_id: UUID


def make_team(services: Services, http: Any, practice: PracticeHandle, owner: Api) -> Team:
    domain = practice.slug
    dana_id = add_staff(owner, f"dana@{domain}.test", "clinician", "Dana")
    sam_id = add_staff(owner, f"sam@{domain}.test", "clinician", "Sam")
    desk_id = add_staff(owner, f"desk@{domain}.test", "front_desk", "Desk")
    return Team(
        services,
        practice,
        owner,
        sign_in(http, practice.slug, f"dana@{domain}.test"),
        dana_id,
        sign_in(http, practice.slug, f"sam@{domain}.test"),
        sam_id,
        sign_in(http, practice.slug, f"desk@{domain}.test"),
        desk_id,
    )


def relog(team: Team) -> None:
    """Sign everyone in again (after the clock moved past the 30-minute idle limit)."""
    http, domain = team.owner.client, team.practice.slug
    team.owner = sign_in(http, domain, team.practice.owner_email)
    team.dana = sign_in(http, domain, f"dana@{domain}.test")
    team.sam = sign_in(http, domain, f"sam@{domain}.test")
    team.desk = sign_in(http, domain, f"desk@{domain}.test")


@pytest.fixture
def team(services: Services, client: TestClient, practice: PracticeHandle, owner: Api) -> Team:
    return make_team(services, client, practice, owner)


PRACTICE_NUMBER = "+12025550199"


def text_in(services: Services, from_number: str, body: str) -> InboundResult | None:
    """A text arrives from ``from_number`` at the practice's number (as the verified SMS
    webhook hands it on)."""
    return services.db.write_sync(
        lambda unit: receive_sms(
            unit,
            lookup_key=services.lookup_key,
            public_origin=ORIGIN,
            to_number=PRACTICE_NUMBER,
            from_number=from_number,
            body=body,
            provider_ref=f"SM{uuid.uuid4().hex}",
        )
    )


def give_number(api: Api) -> None:
    response = put(api, "/practice/client-messaging", {"sms_number": PRACTICE_NUMBER})
    assert response.status_code == 200, response.text


# -- times as clients read them --------------------------------------------------------------------
def test_times_are_shown_in_the_practice_time_zone() -> None:
    policy = ClientMessagingPolicy()  # America/New_York
    assert client_when(policy, datetime(2025, 12, 3, 20, 10, tzinfo=UTC)) == "Wed Dec 3 at 3:10 PM"
    assert client_when(policy, datetime(2025, 12, 4, 5, 5, tzinfo=UTC)) == "Thu Dec 4 at 12:05 AM"
    assert client_when(policy, datetime(2025, 7, 1, 16, 0, tzinfo=UTC)) == "Tue Jul 1 at 12:00 PM"
    berlin = ClientMessagingPolicy(timezone="Europe/Berlin")
    assert client_when(berlin, datetime(2025, 12, 3, 20, 10, tzinfo=UTC)) == "Wed Dec 3 at 9:10 PM"
    # The day the clocks go forward in New York has 23 hours, the day they go back 25.
    start, end = local_day_bounds(policy, date(2026, 3, 8))
    assert (start, end - start) == (datetime(2026, 3, 8, 5, tzinfo=UTC), timedelta(hours=23))
    start, end = local_day_bounds(policy, date(2026, 11, 1))
    assert (start, end - start) == (datetime(2026, 11, 1, 4, tzinfo=UTC), timedelta(hours=25))


# -- booking and who sees what ---------------------------------------------------------------------
def test_booking_and_who_sees_which_appointments(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101")
    bo = new_client(services, team.sam, name="Bo", phone="+12025550102")

    # A clinician books their own client; the clinician defaults to themselves.
    mine = book(team.dana, ada, local(15, 10), room="Room 2")
    assert mine["clinician_id"] == str(team.dana_id)
    assert mine["status"] == "scheduled"
    assert mine["room"] == "Room 2"
    assert mine["starts_at"].startswith("2025-12-03T20:10:00")
    # The front desk books for a colleague.
    theirs = book(team.desk, bo, local(11), clinician_id=str(team.sam_id))
    assert theirs["clinician_id"] == str(team.sam_id)
    tomorrow = book(team.owner, ada, local(10, day=4), clinician_id=str(team.dana_id))

    def ids(api: Api, query: str = "") -> list[str]:
        response = api.get(f"/appointments{query}")
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()]

    # Today (the practice's day) by default, soonest first; another day by ?day=.
    assert ids(team.desk) == [theirs["id"], mine["id"]]
    assert ids(team.owner, "?day=2025-12-04") == [tomorrow["id"]]
    assert ids(team.dana) == [mine["id"]]
    assert ids(team.sam) == [theirs["id"]]
    span = "?from=2025-12-03T00:00:00Z&to=2025-12-06T00:00:00Z"
    assert ids(team.dana, span) == [mine["id"], tomorrow["id"]]
    assert ids(team.desk, f"{span}&client_id={ada}") == [mine["id"], tomorrow["id"]]
    assert ids(team.desk, f"{span}&clinician_id={team.sam_id}") == [theirs["id"]]
    # A clinician sees only their own: not a colleague's, by list or by id.
    problem(team.dana.get(f"/appointments?clinician_id={team.sam_id}"), 403)
    problem(team.dana.get(f"/appointments/{theirs['id']}"), 404)
    assert team.sam.get(f"/appointments/{theirs['id']}").json()["id"] == theirs["id"]
    problem(team.dana.post(f"/appointments/{theirs['id']}/cancel"), 404)
    problem(team.dana.patch(f"/appointments/{theirs['id']}", {"room": "5"}), 404)

    # Clinicians book only themselves, and only clients assigned to them.
    problem(
        team.dana.post(
            "/appointments",
            {
                "client_id": str(ada),
                "starts_at": local(16).isoformat(),
                "length_minutes": 50,
                "clinician_id": str(team.sam_id),
            },
        ),
        403,
    )
    problem(
        team.dana.post(
            "/appointments",
            {"client_id": str(bo), "starts_at": local(16).isoformat(), "length_minutes": 50},
        ),
        404,
    )
    # An appointment is with a clinician, not the front desk.
    problem(
        team.owner.post(
            "/appointments",
            {
                "client_id": str(ada),
                "starts_at": local(16).isoformat(),
                "length_minutes": 50,
                "clinician_id": str(team.desk_id),
            },
        ),
        422,
    )

    # Moving it clears what the old time had; cancelling is final and harmless twice.
    moved = team.dana.patch(
        f"/appointments/{mine['id']}",
        {"starts_at": local(16).isoformat(), "length_minutes": 45, "room": None},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["length_minutes"], moved.json()["room"]) == (45, None)
    for _ in range(2):
        cancelled = team.dana.post(f"/appointments/{mine['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
    problem(team.dana.patch(f"/appointments/{mine['id']}", {"length_minutes": 30}), 409)
    assert ids(team.dana) == [mine["id"]]  # still listed, as cancelled

    audit = team.owner.get("/audit?kind=appointment.created")
    assert audit.status_code == 200, audit.text
    assert len(audit.json()) == 3
    assert pid  # the practice the team belongs to


BAD_BOOKINGS: dict[str, dict[str, Any]] = {
    "too-short": {"length_minutes": 4},
    "too-long": {"length_minutes": 481},
    "long-ago": {"starts_at": (START - timedelta(days=2)).isoformat()},
    "far-ahead": {"starts_at": (START + timedelta(days=800)).isoformat()},
    "no-time-zone": {"starts_at": START.replace(tzinfo=None).isoformat()},
    "year-9999": {"starts_at": "9999-12-31T23:59:59-14:00"},
    "room-too-long": {"room": "R" * 41},
    "room-two-lines": {"room": "Room\n2"},
}


@pytest.mark.parametrize("case", list(BAD_BOOKINGS))
def test_bad_bookings_are_422_with_a_sentence(team: Team, case: str) -> None:
    ada = new_client(team.services, team.dana, name="Ada", phone="+12025550101")
    body = {
        "client_id": str(ada),
        "starts_at": local(15).isoformat(),
        "length_minutes": 50,
        **BAD_BOOKINGS[case],
    }
    problem(team.dana.post("/appointments", body), 422)
    assert team.desk.get("/appointments?from=2025-01-01T00:00Z&to=2025-03-01T00:00Z").json() == []


# -- confirmation ----------------------------------------------------------------------------------
def test_confirmation_request_and_the_clients_answers(team: Team, clock: ManualClock) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    first = book(team.dana, ada, local(15, 10))
    second = book(team.dana, ada, local(15, 10, day=10))

    asked = team.dana.post(f"/appointments/{first['id']}/confirmation-request")
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert (answer["channel"], answer["in_the_clear"]) == ("sms", True)
    assert answer["appointment"]["confirmation_requested_at"] is not None
    request_text = (
        "Please reply C to confirm your appointment on Wed Dec 3 at 3:10 PM, or R to reschedule."
    )
    sent = outbound(services, pid, ada)
    assert [(s.channel, s.purpose, s.to, s.body) for s in sent] == [
        ("sms", "confirm_request", "+12025550101", request_text)
    ]
    # Staff see in the thread exactly what went out, from the person who asked.
    asked_message = thread(services, pid, ada)[-1]
    assert (asked_message.body, asked_message.sender_id, asked_message.channel) == (
        request_text,
        team.dana_id,
        "sms",
    )
    assert sent[0].message_id == asked_message.id

    # The client's lone "C" confirms it and gets a short acknowledgement.
    clock.advance(timedelta(minutes=1))
    result = inbound(services, pid, ada, " c. ")
    assert result.replies == ("keyword",)
    confirmed = appointment_row(services, pid, UUID(first["id"]))
    assert (confirmed.status, confirmed.responded_at) == ("confirmed", clock.now())
    ack = outbound(services, pid, ada)[-1]
    assert (ack.purpose, ack.body) == (
        "keyword",
        "Thank you: your appointment on Wed Dec 3 at 3:10 PM is confirmed.",
    )
    assert thread(services, pid, ada)[-1].channel == "auto"
    problem(team.dana.post(f"/appointments/{first['id']}/confirmation-request"), 409)
    # A second "C" with nothing awaiting an answer is an ordinary message (office hours).
    assert inbound(services, pid, ada, "C").replies == ()
    assert appointment_row(services, pid, UUID(second["id"])).status == "scheduled"

    # "R" asks to reschedule the one awaiting an answer (a second tap sends nothing again).
    assert team.desk.post(f"/appointments/{second['id']}/confirmation-request").status_code == 200
    problem(team.desk.post(f"/appointments/{second['id']}/confirmation-request"), 409)
    assert [s.purpose for s in outbound(services, pid, ada)].count("confirm_request") == 2
    clock.advance(timedelta(minutes=1))
    assert inbound(services, pid, ada, "Reschedule").replies == ("keyword",)
    moved = appointment_row(services, pid, UUID(second["id"]))
    assert moved.status == "reschedule_requested"
    assert outbound(services, pid, ada)[-1].body.startswith("Thank you: we will be in touch")

    # A tap on the secure page answers a given appointment (and may change the answer).
    tapped = services.db.write_sync(
        lambda unit: respond_to_appointment(
            unit,
            practice_id=pid,
            client_id=ada,
            appointment_id=UUID(second["id"]),
            answer="confirm",
            via="page",
        )
    )
    assert tapped is not None
    assert tapped.status == "confirmed"
    # Not for another client's appointment, nor a cancelled or past one.
    bo = new_client(services, team.dana, name="Bo", phone="+12025550102")
    for appointment_id in (UUID(first["id"]), uuid.uuid4()):

        def answer_as_bo(unit: Unit, a: UUID = appointment_id) -> Appointment | None:
            return respond_to_appointment(
                unit,
                practice_id=pid,
                client_id=bo,
                appointment_id=a,
                answer="reschedule",
                via="page",
            )

        assert services.db.write_sync(answer_as_bo) is None
    answers = team.owner.get("/audit?kind=appointment.client_responded").json()
    assert sorted(e["details"]["via"] for e in answers) == ["page", "sms", "sms"]
    for entry in answers:
        assert request_text not in str(entry)


def test_without_consent_the_confirmation_goes_as_a_notice_and_link(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", email="ada@example.test")
    first = book(team.dana, ada, local(15, 10))
    asked = team.dana.post(f"/appointments/{first['id']}/confirmation-request")
    assert asked.status_code == 200, asked.text
    assert (asked.json()["channel"], asked.json()["in_the_clear"]) == ("email", False)
    [sent] = outbound(services, pid, ada)
    assert (sent.channel, sent.purpose, sent.to) == ("email", "notice", "ada@example.test")
    # The API's links use the configured public origin (here none: the local default).
    assert re.fullmatch(
        r"You have a new message from your care team: http://localhost:8000/c/#\S+", sent.body
    )
    assert "Dec 3" not in sent.body
    # The text itself waits in the thread, for the secure page.
    assert thread(services, pid, ada)[-1].channel == "link"
    assert "Dec 3 at 3:10 PM" in thread(services, pid, ada)[-1].body


# -- running late ----------------------------------------------------------------------------------
def test_running_late_goes_to_the_client_of_the_next_appointment_only(
    team: Team, clock: ManualClock
) -> None:
    services, pid = team.services, team.practice.id
    clients = [
        new_client(services, team.dana, name=f"C{i}", phone=f"+1202555011{i}", consent=("sms",))
        for i in range(4)
    ]
    earlier, nxt, later = (
        book(team.dana, clients[0], local(8)),
        book(team.dana, clients[1], local(10)),
        book(team.dana, clients[2], local(11)),
    )
    book(team.dana, clients[3], local(10, day=4))  # tomorrow: never today's "next"
    sams_client = new_client(services, team.sam, name="S", phone="+12025550120", consent=("sms",))
    book(team.sam, sams_client, local(9, 55))
    clock.set(local(9, 50))
    relog(team)

    late = team.dana.post("/running-late", {"minutes": 10})
    assert late.status_code == 200, late.text
    assert late.json()["appointment"]["id"] == nxt["id"]
    assert late.json()["appointment"]["late_minutes"] == 10
    notice = "Your clinician is running about 10 minutes late. Sorry for the wait."
    assert [(s.purpose, s.body) for s in outbound(services, pid, clients[1])] == [
        ("late_notice", notice)
    ]
    for other in (clients[0], clients[2], clients[3], sams_client):
        assert outbound(services, pid, other) == []

    # Ten minutes after its start the waiting client is still the one told; at twenty the
    # session is taken to be under way and the next one is told.
    clock.set(local(10, 10))
    assert team.dana.post("/running-late", {"minutes": 5}).json()["appointment"]["id"] == nxt["id"]
    clock.set(local(10, 20))
    relog(team)
    assert (
        team.dana.post("/running-late", {"minutes": 5}).json()["appointment"]["id"] == later["id"]
    )
    # The front desk may say it for a clinician; a clinician only for themselves.
    by_desk = team.desk.post("/running-late", {"minutes": 15, "clinician_id": str(team.dana_id)})
    assert by_desk.json()["appointment"]["id"] == later["id"]
    problem(
        team.sam.post("/running-late", {"minutes": 5, "clinician_id": str(team.dana_id)}),
        403,
    )
    for minutes in (0, 121, -5):
        problem(team.dana.post("/running-late", {"minutes": minutes}), 422)
    clock.set(local(11, 30))
    relog(team)
    problem(team.dana.post("/running-late", {"minutes": 5}), 409)
    assert outbound(services, pid, clients[0]) == []
    assert earlier["id"] not in {
        e["subject_id"] for e in team.owner.get("/audit?kind=appointment.running_late_sent").json()
    }


# -- reminders -------------------------------------------------------------------------------------
def remind(services: Services) -> int:
    return services.db.write_sync(
        lambda unit: do_send_due_reminders(
            unit, lookup_key=services.lookup_key, public_origin=ORIGIN
        )
    )


def test_reminders_once_at_the_right_time_through_the_right_channel(
    team: Team, clock: ManualClock
) -> None:
    services, pid = team.services, team.practice.id
    by_sms = new_client(services, team.dana, name="A", phone="+12025550101", consent=("sms",))
    by_email = new_client(services, team.dana, name="B", email="b@example.test")
    stopped = new_client(services, team.dana, name="C", phone="+12025550103", consent=("sms",))
    cancelled = new_client(services, team.dana, name="D", phone="+12025550104", consent=("sms",))
    in_30h = book(team.dana, by_sms, START + timedelta(hours=30))
    in_23h = book(team.dana, by_email, START + timedelta(hours=23))
    book(team.dana, stopped, START + timedelta(hours=20))
    gone = book(team.dana, cancelled, START + timedelta(hours=10))
    assert team.dana.post(f"/appointments/{gone['id']}/cancel").status_code == 200
    give_number(team.owner)
    stop = text_in(services, "+12025550103", "STOP")
    assert stop is not None
    assert stop.keyword == "stop"
    stop_replies = len(outbound(services, pid, stopped))

    assert remind(services) == 2  # the e-mail client's (23 h) and the stopped client's (20 h)
    [email] = outbound(services, pid, by_email)
    assert (email.channel, email.purpose) == ("email", "notice")  # no consent: a link
    assert thread(services, pid, by_email)[-1].body == (
        "Reminder: you have an appointment on Thu Dec 4 at 8:00 AM."
    )
    assert thread(services, pid, by_email)[-1].channel == "auto"
    assert len(outbound(services, pid, stopped)) == stop_replies  # STOP: no SMS at all
    assert thread(services, pid, stopped)[-1].body.startswith("Reminder:")
    assert outbound(services, pid, by_sms) == []  # 30 h ahead: not yet
    assert outbound(services, pid, cancelled) == []
    assert remind(services) == 0  # once

    clock.advance(timedelta(hours=5, minutes=59))
    assert remind(services) == 0
    clock.advance(timedelta(minutes=1))  # exactly 24 h before
    assert remind(services) == 1
    [sms] = outbound(services, pid, by_sms)
    assert (sms.channel, sms.purpose, sms.body) == (
        "sms",
        "reminder",
        "Reminder: you have an appointment on Thu Dec 4 at 3:00 PM.",
    )
    assert appointment_row(services, pid, UUID(in_30h["id"])).reminder_sent_at == clock.now()
    assert remind(services) == 0

    # A new time is a new appointment for reminders; past ones never get one.
    clock.advance(timedelta(hours=1))
    relog(team)
    moved = team.desk.patch(
        f"/appointments/{in_30h['id']}",
        {"starts_at": (clock.now() + timedelta(hours=2)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["reminder_sent_at"] is None
    assert remind(services) == 1
    assert len(outbound(services, pid, by_sms)) == 2
    clock.set(START + timedelta(days=3))
    assert remind(services) == 0
    assert appointment_row(services, pid, UUID(in_23h["id"])).reminder_sent_at is not None
    relog(team)
    sent = team.owner.get("/audit?kind=appointment.reminder_sent").json()
    assert len(sent) == 4
    assert {e["details"]["channel"] for e in sent} == {"sms", "email", None}


def test_reminders_follow_each_practices_setting(
    services: Services, client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    other = make_practice(services, "elmwood")
    other_owner = sign_in(client, other.slug, other.owner_email)
    here = new_client(services, owner, name="Here", phone="+12025550101", consent=("sms",))
    there = new_client(services, other_owner, name="There", phone="+12025550102", consent=("sms",))
    book(owner, here, START + timedelta(hours=40))
    book(other_owner, there, START + timedelta(hours=40))
    assert (
        put(owner, "/practice/client-messaging", {"reminder_hours_before": 48}).status_code == 200
    )
    assert (
        put(other_owner, "/practice/client-messaging", {"reminder_hours_before": 0}).status_code
        == 200
    )
    assert remind(services) == 1
    assert [s.purpose for s in outbound(services, practice.id, here)] == ["reminder"]
    assert outbound(services, other.id, there) == []


# -- another practice ------------------------------------------------------------------------------
def test_another_practice_sees_and_changes_nothing(team: Team, client: TestClient) -> None:
    services = team.services
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    mine = book(team.dana, ada, local(15))
    other = make_practice(services, "elmwood")
    outsider = sign_in(client, other.slug, other.owner_email)
    aid = mine["id"]
    for response in (
        outsider.get(f"/appointments/{aid}"),
        outsider.patch(f"/appointments/{aid}", {"length_minutes": 30}),
        outsider.post(f"/appointments/{aid}/cancel"),
        outsider.post(f"/appointments/{aid}/confirmation-request"),
        outsider.post(
            "/appointments",
            {"client_id": str(ada), "starts_at": local(16).isoformat(), "length_minutes": 50},
        ),
    ):
        problem(response, 404)
    assert outsider.get("/appointments").json() == []
    assert outsider.get(f"/appointments?client_id={ada}").json() == []
    problem(outsider.post("/running-late", {"minutes": 5}), 409)
    # The client of the other practice cannot answer this practice's appointment either.
    assert appointment_row(services, team.practice.id, UUID(aid)).status == "scheduled"
    assert outbound(services, team.practice.id, ada) == []


# -- the staff app is told -------------------------------------------------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as c:
        yield c


def test_the_clinicians_devices_see_the_clients_answer(
    live_server: LiveServer, http: httpx.Client, practice: PracticeHandle
) -> None:
    services = live_server.services
    owner = sign_in(http, practice.slug, practice.owner_email)
    team = make_team(services, http, practice, owner)
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    first = book(team.dana, ada, local(15, 10))
    with Socket(live_server.ws_url, team.dana.token) as dana_ws:
        assert (
            team.dana.post(f"/appointments/{first['id']}/confirmation-request").status_code == 200
        )
        dana_ws.expect("appointment.updated", match=lambda f: f["appointment_id"] == first["id"])
        inbound(services, practice.id, ada, "C")
        frame = dana_ws.expect(
            "appointment.updated",
            match=lambda f: f["appointment_id"] == first["id"] and f["status"] == "confirmed",
        )
        assert set(frame) == {"type", "appointment_id", "client_id", "clinician_id", "status"}
