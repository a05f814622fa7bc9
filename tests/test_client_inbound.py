"""Texts from clients (on both backends): ``receive_sms`` as the provider's verified webhook
calls it (the signature check itself is tested with the webhook route).

* the number texted names the practice, the number texting names the client; a number no
  practice uses is dropped without a trace, a sender that is not a phone number is refused;
* an unknown number becomes a new contact, seen by the front desk or the owners;
* several clients sharing a phone: the one whose thread was active last;
* a retried webhook stores nothing twice and answers nothing twice;
* a crisis message is marked urgent, and staff see it as urgent and unread.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from quietline.actions.client_messages import EMPTY_INBOUND, InboundResult, receive_sms
from quietline.app import Services, create_app
from quietline.domain.clock import ManualClock
from quietline.domain.errors import InvalidInput
from tests.client_support import (
    PRACTICE_NUMBER,
    audit_rows,
    create_client,
    database_dump,
    key,
    marker,
    message_rows,
    next_weekday_noon_utc,
    outbound,
    set_sms_number,
)
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.test_no_plaintext import leaks

CLIENT_PHONE = "+14155550123"
OTHER_NUMBER = "+14155550111"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(next_weekday_noon_utc())


@pytest.fixture
def quiet(services: Services) -> TestClient:
    """The API without its lifespan: no outbox worker, so queued rows stay to be read."""
    return TestClient(create_app(services))


@pytest.fixture
def owner_api(quiet: TestClient, services: Services, practice: PracticeHandle) -> Api:
    set_sms_number(services, practice.id)
    return sign_in(quiet, practice.slug, practice.owner_email)


def text_in(
    services: Services,
    body: str,
    ref: str,
    *,
    phone: str = CLIENT_PHONE,
    to: str = PRACTICE_NUMBER,
) -> InboundResult | None:
    result: InboundResult | None = services.db.write_sync(
        partial(
            receive_sms,
            lookup_key=services.lookup_key,
            public_origin="http://localhost:8000",
            to_number=to,
            from_number=phone,
            body=body,
            provider_ref=ref,
        )
    )
    return result


def thread_of(api: Api, conversation_id: UUID | str) -> dict[str, Any]:
    found = [c for c in api.get("/conversations").json() if c["id"] == str(conversation_id)]
    assert len(found) == 1, "not a member of the thread"
    thread: dict[str, Any] = found[0]
    return thread


def history(api: Api, conversation_id: UUID | str) -> list[dict[str, Any]]:
    page = api.get(f"/conversations/{conversation_id}/messages")
    assert page.status_code == 200, page.text
    found: list[dict[str, Any]] = page.json()["messages"]
    return found


def test_the_numbers_route_a_text_to_its_practice_and_client(
    quiet: TestClient, services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    other = make_practice(services, "lakeside")
    set_sms_number(services, other.id, OTHER_NUMBER)
    stranger = sign_in(quiet, other.slug, other.owner_email)
    namesake = create_client(stranger, name="Lakeside's client", phone="415-555-0123")

    body = f"Can we do Thursday instead? {marker('Body')}"
    result = text_in(services, body, "SM0000000001")
    assert result is not None
    assert (result.practice_id, result.client_id) == (practice.id, UUID(jo["id"]))
    assert result.conversation_id == UUID(jo["conversation_id"])
    assert (result.created, result.urgent, result.keyword) == (True, False, None)
    [stored] = history(owner_api, jo["conversation_id"])
    assert stored["body"] == body
    assert stored["sender_id"] is None
    assert stored["sender_client_id"] == jo["id"]
    assert (stored["channel"], stored["urgent"], stored["internal"]) == ("sms", False, False)
    assert thread_of(owner_api, jo["conversation_id"])["unread"] == 1

    there = text_in(services, "Hello Lakeside", "SM0000000002", to="(415) 555-0111")
    assert there is not None
    assert (there.practice_id, there.client_id) == (other.id, UUID(namesake["id"]))
    assert [m["body"] for m in history(owner_api, jo["conversation_id"])] == [body]

    before = database_dump(services)
    assert text_in(services, "Anyone?", "SM0000000003", to="+14155550199") is None
    with pytest.raises(InvalidInput, match="not a phone number"):  # junk or a short code
        text_in(services, "From a short code", "SM0000000004", phone="22395")
    assert b"Anyone?" not in database_dump(services)
    assert len(database_dump(services)) == len(before)

    received = [
        e for e in audit_rows(services, practice.id) if e["kind"] == "client.message_received"
    ]
    assert len(received) == 1
    assert received[0]["subject_id"] == str(result.message_id)
    assert received[0]["details"] == {
        "client": jo["id"],
        "conversation": jo["conversation_id"],
        "seq": 1,
        "channel": "sms",
        "urgent": False,
    }
    dump = database_dump(services)
    assert not leaks(body, dump)


def test_an_unknown_number_becomes_a_new_contact_for_the_front_desk(
    quiet: TestClient, services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    result = text_in(
        services, "Hi, is this Dr. Lee's office?", "SM0000000010", phone="+1 (415) 555-0199"
    )
    assert result is not None
    assert result.created
    contact = owner_api.get(f"/clients/{result.client_id}")
    assert contact.status_code == 200, contact.text
    found = contact.json()
    assert found["name"] == "New contact (…0199)"
    assert found["phone"] == "+14155550199"
    assert found["consent"] == {"sms": False, "email": False}
    assert found["clinician_ids"] == []
    # No front desk in this practice: the owner gets the thread (and the message).
    assert thread_of(owner_api, result.conversation_id)["member_ids"] == [str(owner_api.user_id)]
    assert history(owner_api, result.conversation_id)[0]["body"].startswith("Hi, is this")
    assert thread_of(owner_api, result.conversation_id)["title"] == "New contact (…0199)"

    add_staff(owner_api, f"desk@{practice.slug}.test", "front_desk")
    desk = sign_in(quiet, practice.slug, f"desk@{practice.slug}.test")
    second = text_in(services, "Hello?", "SM0000000011", phone="+14155550188")
    assert second is not None
    assert thread_of(desk, second.conversation_id)["member_ids"] == [str(desk.user_id)]
    created = [e for e in audit_rows(services, practice.id) if e["kind"] == "client.created"]
    assert [e["details"]["via"] for e in created] == ["inbound_sms", "inbound_sms"]
    assert all(e["actor_user_id"] is None for e in created)

    # The same number again is the same contact.
    again = text_in(services, "Still there?", "SM0000000012", phone="4155550199")
    assert again is not None
    assert again.client_id == result.client_id


def test_a_shared_phone_goes_to_the_client_whose_thread_was_active_last(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    assert isinstance(services.clock, ManualClock)
    parent = create_client(owner_api, name="Pat Parent", phone="(415) 555-0123")
    services.clock.advance(timedelta(minutes=1))
    teen = create_client(owner_api, name="Terry Teen", phone="(415) 555-0123")
    services.clock.advance(timedelta(minutes=1))

    first = text_in(services, "Hi it's us", "SM0000000020")
    assert first is not None
    assert first.client_id == UUID(teen["id"])  # the newest thread

    services.clock.advance(timedelta(minutes=1))
    staff_note = owner_api.post(
        f"/conversations/{parent['conversation_id']}/client-messages",
        {"idempotency_key": key(), "text": "See you Monday"},
    )
    assert staff_note.status_code == 201, staff_note.text
    services.clock.advance(timedelta(minutes=1))
    second = text_in(services, "OK thanks", "SM0000000021")
    assert second is not None
    assert second.client_id == UUID(parent["id"])

    # An archived client comes after the others.
    services.clock.advance(timedelta(minutes=1))
    assert owner_api.post(f"/clients/{parent['id']}/archive").status_code == 200
    third = text_in(services, "One more", "SM0000000022")
    assert third is not None
    assert third.client_id == UUID(teen["id"])


def test_a_retried_webhook_changes_nothing_and_sends_nothing(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    assert isinstance(services.clock, ManualClock)
    jo = create_client(owner_api, phone="(415) 555-0123")
    services.clock.set(services.clock.now().replace(hour=3))  # 10 or 11 pm in New York
    first = text_in(services, "Are you open tomorrow?", "SM0000000030")
    assert first is not None
    assert first.replies == ("after_hours",)
    queued = outbound(services, practice.id, jo["id"])
    assert [r.purpose for r in queued] == ["notice"]  # after-hours words, without consent

    again = text_in(services, "Are you open tomorrow?", "SM0000000030")
    assert again is not None
    assert (again.created, again.message_id, again.replies) == (False, first.message_id, ())
    assert len(history(owner_api, jo["conversation_id"])) == 2  # the text and the auto-reply
    assert outbound(services, practice.id, jo["id"]) == queued
    kinds = [e["kind"] for e in audit_rows(services, practice.id)]
    assert kinds.count("client.message_received") == 1

    # A retried STOP is answered once too.
    stop = text_in(services, "STOP", "SM0000000031")
    assert stop is not None
    assert text_in(services, "STOP", "SM0000000031") == InboundResult(
        practice.id, UUID(jo["id"]), stop.conversation_id, stop.message_id, False, False
    )
    assert [r.purpose for r in outbound(services, practice.id, jo["id"])] == ["notice", "keyword"]


def test_a_crisis_message_is_marked_urgent(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    fine = text_in(services, "This traffic is killing me, running 10 min late", "SM0000000040")
    assert fine is not None
    assert fine.urgent is False

    crisis = text_in(services, "I can't do this anymore. I want to kill myself.", "SM0000000041")
    assert crisis is not None
    assert crisis.urgent is True
    assert "crisis_reply" in crisis.replies
    [row] = [
        m for m in message_rows(services, jo["conversation_id"]) if m["id"] == crisis.message_id
    ]
    assert row["urgent"] is True
    thread = thread_of(owner_api, jo["conversation_id"])
    assert thread["urgent_unread"] is True
    received = [
        e for e in audit_rows(services, practice.id) if e["kind"] == "client.message_received"
    ]
    assert [e["details"]["urgent"] for e in received] == [False, True]
    # Crisis resources go in the clear even without consent.
    assert "crisis_reply" in [r.purpose for r in outbound(services, practice.id, jo["id"])]


def test_an_empty_text_is_stored_with_a_placeholder(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    result = text_in(services, "   ", "SM0000000050")
    assert result is not None
    assert history(owner_api, jo["conversation_id"])[0]["body"] == EMPTY_INBOUND
    with pytest.raises(Exception, match="malformed"):
        text_in(services, "hi", "bad ref with spaces")
