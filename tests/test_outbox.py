"""The durable outbox, on both databases, with SMS going to the fake provider (local HTTP).

* A provider outage during sending: every message is retried with backoff (time moved by the
  ``ManualClock``, never slept), and when the provider is back each arrives exactly once.
* A worker that dies after claiming a row: the row waits for its lease, then goes out once.
* Two workers at once never send one row twice.
* A refusal for the recipient is final at once, reaches the client thread as an event and
  shows in the staff's delivery list with a sentence; so do too many tries and too old rows.
* A client who sent STOP gets no queued SMS (except the answer to STOP itself).
* After sending, the address and text are erased: no marker in the database file, the audit
  trail or the logs.
* The server's worker task wakes up on the commit of a queued row (no poll needed).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from quietline.actions.clients import create_client_record
from quietline.actions.outbox import (
    BACKOFF_CAP,
    DELIVERY_EVENT,
    FAILURE_REASONS,
    LEASE,
    ClaimedSend,
    OutboxLimits,
    backoff,
    claim_next,
    enqueue_outbound,
    record_delivery_report,
)
from quietline.app import Services, create_app
from quietline.domain.clock import ManualClock
from quietline.domain.errors import InvalidInput
from quietline.domain.events import Event, conversation_topic
from quietline.domain.models import OutboundMessage
from quietline.gateways.outbox_worker import OutboxWorker
from quietline.storage.tables import audit_events, outbound_messages
from quietline.storage.unit import Unit
from tests.conftest import Capture, add_staff, make_practice, sign_in
from tests.fake_sms_provider import PRACTICE_NUMBER, FakeSmsProvider

pytest_plugins = ("tests.sms_fixtures",)


def _marker(label: str) -> str:
    return f"QlOut{label}{uuid.uuid4().hex}"


def _number() -> str:
    return f"+1202555{uuid.uuid4().int % 10_000:04d}"


@dataclass
class Scene:
    services: Services
    practice_id: UUID
    owner_id: UUID
    client_id: UUID
    thread_id: UUID
    phone: str
    email: str
    events: list[Event]

    def enqueue(
        self,
        body: str,
        *,
        channel: Literal["sms", "email"] = "sms",
        to: str | None = None,
        purpose: str = "message",
        message_id: UUID | None = None,
    ) -> UUID:
        address = to or (self.phone if channel == "sms" else self.email)
        return self.services.db.write_sync(
            lambda unit: enqueue_outbound(
                unit,
                practice_id=self.practice_id,
                client_id=self.client_id,
                channel=channel,
                to_address=address,
                body=body,
                purpose=purpose,
                message_id=message_id,
            )
        )

    def row(self, outbound_id: UUID) -> OutboundMessage:
        found = self.services.db.read_sync(
            lambda unit: unit.outbox.get(self.practice_id, outbound_id)
        )
        assert found is not None
        return found

    def audit_kinds(self) -> list[str]:
        def read(unit: Unit) -> list[str]:
            rows = unit.conn.execute(
                select(audit_events.c.kind).where(audit_events.c.practice_id == self.practice_id)
            )
            return [r.kind for r in rows]

        return self.services.db.read_sync(read)

    @property
    def clock(self) -> ManualClock:
        clock = self.services.clock
        assert isinstance(clock, ManualClock)
        return clock


def _scene(services: Services, monkeypatch: pytest.MonkeyPatch) -> Scene:
    events: list[Event] = []
    monkeypatch.setattr(services.hub, "publish", events.extend)
    practice = make_practice(services, "riverbend")
    phone = _number()
    address = f"client.{uuid.uuid4().hex[:8]}@example.test"

    def create(unit: Unit) -> tuple[UUID, UUID]:
        client = create_client_record(
            unit,
            practice_id=practice.id,
            lookup_key=services.lookup_key,
            name="Jordan Client",
            phone_e164=phone,
            email=address,
            clinician_ids={practice.owner_id},
        )
        thread = unit.outbox.client_thread(practice.id, client.id)
        assert thread is not None
        return client.id, thread

    client_id, thread_id = services.db.write_sync(create)
    return Scene(
        services, practice.id, practice.owner_id, client_id, thread_id, phone, address, events
    )


@pytest.fixture
def scene(sms_services: Services, monkeypatch: pytest.MonkeyPatch) -> Scene:
    return _scene(sms_services, monkeypatch)


def _delivery_events(scene: Scene) -> list[dict[str, Any]]:
    topic = conversation_topic(scene.thread_id)
    return [e.data for e in scene.events if e.kind == DELIVERY_EVENT and topic in e.topics]


# -- outage ------------------------------------------------------------------------------------


def test_provider_outage_delays_every_message_and_each_arrives_once(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    worker = OutboxWorker(scene.services)
    bodies = [_marker(f"Outage{n}") for n in range(5)]
    ids = [scene.enqueue(body) for body in bodies]
    fake_sms_provider.outage(503)

    first = worker.run_once()
    assert (first.sent, first.retried, first.failed) == (0, 5, 0)
    assert fake_sms_provider.messages == []
    assert len(fake_sms_provider.attempts) == 5
    for outbound_id in ids:
        row = scene.row(outbound_id)
        assert (row.status, row.attempts, row.last_error) == ("queued", 1, "unavailable:http_503")
        # Backoff with jitter: between half and all of the first step.
        wait = row.next_attempt_at - scene.clock.now()
        assert backoff(1, 0.0) <= wait <= backoff(1, 0.999)
    # Nothing is due before the backoff ends: no retry storm.
    assert worker.run_once().processed == 0
    scene.clock.advance(backoff(1, 0.0) - timedelta(seconds=1))
    assert worker.run_once().processed == 0
    assert len(fake_sms_provider.attempts) == 5

    # Still down, now refusing connections: retried again, later each time.
    scene.clock.advance(backoff(1, 0.999))
    fake_sms_provider.refuse_connections()
    second = worker.run_once()
    assert second.retried == 5
    for outbound_id in ids:
        row = scene.row(outbound_id)
        assert (row.attempts, row.last_error) == (2, "unavailable:connection")
        assert row.next_attempt_at - scene.clock.now() >= backoff(2, 0.0)

    # The provider is back: every message arrives, exactly once.
    fake_sms_provider.restore()
    scene.clock.advance(BACKOFF_CAP)
    third = worker.run_once()
    assert third.sent == 5
    sent = fake_sms_provider.messages
    assert sorted(m.body for m in sent) == sorted(bodies)
    assert {m.to for m in sent} == {scene.phone}
    assert {m.from_ for m in sent} == {PRACTICE_NUMBER}
    assert all(
        m.status_callback == "https://quietline.test/api/v1/hooks/twilio/status" for m in sent
    )
    for _ in range(3):  # and never again, however much later
        scene.clock.advance(timedelta(hours=2))
        assert worker.run_once().processed == 0
    assert len(fake_sms_provider.messages) == 5
    refs = {m.sid for m in sent}
    for outbound_id in ids:
        row = scene.row(outbound_id)
        assert row.status == "sent"
        assert row.provider_ref in refs
        assert (row.to_sealed, row.body_sealed, row.lease_until) == (None, None, None)
        assert row.attempts == 3
    kinds = scene.audit_kinds()
    assert kinds.count("client.outbound_queued") == 5
    assert kinds.count("client.outbound_sent") == 5
    assert "client.outbound_failed" not in kinds
    assert [e["status"] for e in _delivery_events(scene)] == ["sent"] * 5


def test_a_worker_that_died_after_claiming_leaves_the_row_for_its_lease(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    body = _marker("Crash")
    outbound_id = scene.enqueue(body)
    limits = OutboxLimits.from_settings(scene.services.settings)
    # A worker claims the row and dies before (or while) calling the provider.
    claimed = scene.services.db.write_sync(partial(claim_next, limits=limits))
    assert isinstance(claimed, ClaimedSend)
    assert claimed.id == outbound_id
    assert body not in repr(claimed)
    assert scene.row(outbound_id).status == "sending"

    worker = OutboxWorker(scene.services)
    assert worker.run_once().processed == 0  # leased: not taken from under a live worker
    scene.clock.advance(LEASE - timedelta(seconds=1))
    assert worker.run_once().processed == 0
    scene.clock.advance(timedelta(seconds=2))
    assert worker.run_once().sent == 1
    assert [m.body for m in fake_sms_provider.messages] == [body]
    assert scene.row(outbound_id).attempts == 2
    scene.clock.advance(LEASE * 3)
    assert worker.run_once().processed == 0
    assert len(fake_sms_provider.messages) == 1


def test_two_workers_at_once_send_each_row_once(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    bodies = {_marker(f"Race{n}") for n in range(24)}
    for body in bodies:
        scene.enqueue(body)
    workers = [OutboxWorker(scene.services, batch=100) for _ in range(3)]
    errors: list[BaseException] = []

    def run(worker: OutboxWorker) -> None:
        try:
            worker.run_once()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(m.body for m in fake_sms_provider.messages) == sorted(bodies)


# -- final failures ------------------------------------------------------------------------------


def test_a_refused_number_fails_at_once_and_staff_see_why(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    fake_sms_provider.reject_number(scene.phone, 21211)
    message_id = uuid.uuid4()
    outbound_id = scene.enqueue(_marker("Refused"), message_id=message_id)
    report = OutboxWorker(scene.services).run_once()
    assert (report.failed, report.retried, report.sent) == (1, 0, 0)
    assert len(fake_sms_provider.attempts) == 1  # tried once, never again
    scene.clock.advance(timedelta(hours=1))
    assert OutboxWorker(scene.services).run_once().processed == 0
    row = scene.row(outbound_id)
    assert (row.status, row.last_error) == ("failed", "invalid_number")
    assert (row.to_sealed, row.body_sealed) == (None, None)
    assert row.final_at is not None
    (event,) = _delivery_events(scene)
    assert event["status"] == "failed"
    assert event["message_id"] == str(message_id)
    assert event["failure"] == FAILURE_REASONS["invalid_number"]
    assert scene.audit_kinds().count("client.outbound_failed") == 1

    # The staff's view, over HTTP, for a member of the thread; others get a 404.
    with TestClient(create_app(scene.services)) as client:
        owner = sign_in(client, "riverbend", "owner@riverbend.test")
        response = owner.get(f"/conversations/{scene.thread_id}/client-deliveries")
        assert response.status_code == 200, response.text
        (delivery,) = response.json()
        assert delivery["message_id"] == str(message_id)
        assert delivery["channel"] == "sms"
        assert delivery["status"] == "failed"
        assert delivery["failure"] == FAILURE_REASONS["invalid_number"]
        assert delivery["sent_at"] is None
        assert set(delivery) == {
            "outbound_id",
            "message_id",
            "channel",
            "purpose",
            "status",
            "attempts",
            "created_at",
            "sent_at",
            "delivered_at",
            "failure",
        }
        add_staff(owner, "other@riverbend.test", "clinician")
        other = sign_in(client, "riverbend", "other@riverbend.test")
        hidden = other.get(f"/conversations/{scene.thread_id}/client-deliveries")
        assert hidden.status_code == 404
        missing = owner.get(f"/conversations/{uuid.uuid4()}/client-deliveries")
        assert missing.status_code == 404


def test_too_many_tries_and_too_old_are_final(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    fake_sms_provider.outage(503)
    limits = OutboxLimits(max_attempts=3, max_age=timedelta(hours=100))
    worker = OutboxWorker(scene.services, limits=limits)
    tried = scene.enqueue(_marker("Tries"))
    for _ in range(2):
        assert worker.run_once().retried == 1
        scene.clock.advance(BACKOFF_CAP)
    assert worker.run_once().failed == 1
    assert scene.row(tried).last_error == "too_many_attempts"
    assert scene.row(tried).attempts == 3

    aged = OutboxWorker(
        scene.services, limits=OutboxLimits(max_attempts=50, max_age=timedelta(minutes=10))
    )
    old = scene.enqueue(_marker("Old"))
    outcomes = []
    for _ in range(10):  # bounded: the backoff crosses ten minutes within a few tries
        report = aged.run_once()
        outcomes.append(report)
        if report.failed:
            break
        scene.clock.advance(BACKOFF_CAP)
    assert outcomes[-1].failed == 1
    assert scene.row(old).last_error == "too_old"
    # A row that waited too long in the queue (the server was down) fails without a try.
    attempts_before = len(fake_sms_provider.attempts)
    stale = scene.enqueue(_marker("Stale"))
    scene.clock.advance(timedelta(minutes=11))
    assert aged.run_once().failed == 1
    assert scene.row(stale).last_error == "too_old"
    assert len(fake_sms_provider.attempts) == attempts_before
    failures = [e["failure"] for e in _delivery_events(scene)]
    assert failures == [
        FAILURE_REASONS["too_many_attempts"],
        FAILURE_REASONS["too_old"],
        FAILURE_REASONS["too_old"],
    ]


def test_a_client_who_sent_stop_gets_no_queued_sms(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    reminder = scene.enqueue(_marker("Reminder"), purpose="reminder")
    confirmation = scene.enqueue("You are unsubscribed.", purpose="keyword")
    mail = scene.enqueue(_marker("Mail"), channel="email")
    scene.services.db.write_sync(
        lambda unit: unit.clients.set_sms_opted_out(scene.practice_id, scene.client_id, unit.now)
    )
    report = OutboxWorker(scene.services).run_once()
    assert (report.sent, report.cancelled) == (2, 1)  # the answer to STOP, and the e-mail
    assert [m.body for m in fake_sms_provider.messages] == ["You are unsubscribed."]
    row = scene.row(reminder)
    assert (row.status, row.last_error, row.body_sealed) == ("cancelled", "opted_out", None)
    assert scene.row(confirmation).status == "sent"
    assert scene.row(mail).status == "sent"


def test_a_damaged_row_fails_and_does_not_block_the_queue(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    damaged = scene.enqueue(_marker("Damaged"))
    behind_body = _marker("Behind")
    behind = scene.enqueue(behind_body)

    def damage(unit: Unit) -> None:
        unit.conn.execute(
            outbound_messages.update()
            .where(outbound_messages.c.id == damaged)
            .values(body_sealed=b"\x01not an envelope")
        )

    scene.services.db.write_sync(damage)
    report = OutboxWorker(scene.services).run_once()
    assert (report.failed, report.sent) == (1, 1)
    assert scene.row(damaged).last_error == "unreadable"
    assert [m.body for m in fake_sms_provider.messages] == [behind_body]
    assert scene.row(behind).status == "sent"


def test_without_a_configured_gateway_rows_fail_with_a_reason(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _scene(services, monkeypatch)  # QUIETLINE_SMS_GATEWAY / EMAIL_GATEWAY: none
    sms = scene.enqueue(_marker("NoSms"))
    mail = scene.enqueue(_marker("NoMail"), channel="email")
    assert OutboxWorker(services).run_once().failed == 2
    assert scene.row(sms).last_error == "no_gateway"
    assert scene.row(mail).last_error == "no_gateway"
    assert _delivery_events(scene)[0]["failure"] == FAILURE_REASONS["no_gateway"]


# -- reports and the staff view ------------------------------------------------------------------


def test_delivery_reports_mark_delivered_and_tell_the_thread(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    message_id = uuid.uuid4()
    outbound_id = scene.enqueue(_marker("Report"), message_id=message_id)
    OutboxWorker(scene.services).run_once()
    (sent,) = fake_sms_provider.messages
    write = scene.services.db.write_sync
    assert not write(partial(record_delivery_report, provider_ref=sent.sid, status="sent"))
    assert not write(partial(record_delivery_report, provider_ref="SMunknown", status="delivered"))
    scene.clock.advance(timedelta(seconds=4))
    assert write(partial(record_delivery_report, provider_ref=sent.sid, status="delivered"))
    # A late or repeated report changes nothing.
    assert not write(partial(record_delivery_report, provider_ref=sent.sid, status="undelivered"))
    row = scene.row(outbound_id)
    assert row.status == "delivered"
    assert row.delivered_at == scene.clock.now()
    assert [e["status"] for e in _delivery_events(scene)] == ["sent", "delivered"]
    assert "client.outbound_delivered" in scene.audit_kinds()

    with TestClient(create_app(scene.services)) as client:
        owner = sign_in(client, "riverbend", "owner@riverbend.test")
        (delivery,) = owner.get(f"/conversations/{scene.thread_id}/client-deliveries").json()
    assert delivery["status"] == "delivered"
    assert delivery["delivered_at"] is not None
    assert delivery["failure"] is None


def test_an_undelivered_report_gives_a_reason(
    scene: Scene, fake_sms_provider: FakeSmsProvider
) -> None:
    outbound_id = scene.enqueue(_marker("Undelivered"))
    OutboxWorker(scene.services).run_once()
    (sent,) = fake_sms_provider.messages
    assert scene.services.db.write_sync(
        partial(
            record_delivery_report, provider_ref=sent.sid, status="undelivered", error_code="30003"
        )
    )
    row = scene.row(outbound_id)
    assert (row.status, row.last_error) == ("undelivered", "undelivered:30003")
    assert _delivery_events(scene)[-1]["failure"] == FAILURE_REASONS["undelivered"]


def test_other_conversations_have_no_client_deliveries(sms_client: TestClient) -> None:
    make_practice(sms_client.app.state.services, "riverbend")  # type: ignore[attr-defined]
    owner = sign_in(sms_client, "riverbend", "owner@riverbend.test")
    created = owner.post("/conversations", {"kind": "group", "title": "Team", "member_ids": []})
    assert created.status_code == 201
    response = owner.get(f"/conversations/{created.json()['id']}/client-deliveries")
    assert response.status_code == 200
    assert response.json() == []


def _enqueue_with(unit: Unit, args: dict[str, Any]) -> UUID:
    return enqueue_outbound(unit, **args)


def test_enqueue_refuses_what_cannot_be_sent(scene: Scene) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"channel": "fax"}, "'sms' or 'email'"),
        ({"purpose": "marketing"}, "Unknown purpose"),
        ({"body": "  "}, "nothing to send"),
        ({"body": "x" * 1601}, "at most 1600"),
        ({"to_address": ""}, "no usable phone number"),
    ]
    for change, sentence in cases:
        args: dict[str, Any] = {
            "practice_id": scene.practice_id,
            "client_id": scene.client_id,
            "channel": "sms",
            "to_address": scene.phone,
            "body": "hello",
            "purpose": "message",
            **change,
        }
        with pytest.raises(InvalidInput, match=sentence):
            scene.services.db.write_sync(partial(_enqueue_with, args=args))
    assert scene.audit_kinds().count("client.outbound_queued") == 0


# -- nothing readable is left --------------------------------------------------------------------


@pytest.fixture
def logged_scene(
    debug_logs: Capture, sms_services: Services, monkeypatch: pytest.MonkeyPatch
) -> tuple[Scene, Capture]:
    """The scene, with every log (SQL echo included) captured from its start."""
    return _scene(sms_services, monkeypatch), debug_logs


def test_no_plaintext_is_left_after_sending(
    logged_scene: tuple[Scene, Capture], fake_sms_provider: FakeSmsProvider
) -> None:
    scene, logs = logged_scene
    sms_body = _marker("SmsBody")
    mail_body = _marker("MailBody")
    mail_to = f"{_marker('MailTo').lower()}@example.test"
    scene.enqueue(sms_body)
    scene.enqueue(mail_body, channel="email", to=mail_to)
    # Sealed while queued: the markers are not in the row.
    assert _raw_rows_contain(scene, (sms_body, mail_body, mail_to)) == []
    assert OutboxWorker(scene.services).run_once().sent == 2
    assert [m.body for m in fake_sms_provider.messages] == [sms_body]
    record = scene.services.console_record
    assert record is not None
    assert [(i.to, i.body) for i in record.items()] == [(mail_to, mail_body)]

    def sealed_left(unit: Unit) -> list[Any]:
        rows = unit.conn.execute(
            select(outbound_messages.c.to_sealed, outbound_messages.c.body_sealed)
        )
        return [value for row in rows for value in row if value is not None]

    assert scene.services.db.read_sync(sealed_left) == []
    for marker in (sms_body, mail_body, mail_to, scene.phone):
        assert marker not in logs.text, marker
    scene.services.db.close()  # checkpoint the WAL so the file holds everything
    url = make_url(scene.services.db.url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        files = [p for p in Path(url.database).parent.iterdir() if p.name.startswith("quietline")]
        assert files
        for path in files:
            data = path.read_bytes()
            for marker in (sms_body, mail_body, mail_to):
                for encoding in ("utf-8", "utf-16-le"):
                    assert marker.encode(encoding) not in data, (marker, path.name)


def _raw_rows_contain(scene: Scene, markers: tuple[str, ...]) -> list[str]:
    def read(unit: Unit) -> list[str]:
        found = []
        for row in unit.conn.execute(select(outbound_messages)):
            blob = repr(tuple(row)).encode()
            found += [m for m in markers if m.encode() in blob]
        return found

    return scene.services.db.read_sync(read)


# -- the server's task ---------------------------------------------------------------------------


def test_the_server_worker_wakes_on_commit(
    sms_client: TestClient, fake_sms_provider: FakeSmsProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Services = sms_client.app.state.services  # type: ignore[attr-defined]
    assert services.settings.outbox_poll_seconds >= 10  # so only the wake-up can explain it
    practice = make_practice(services, "riverbend")
    body = _marker("Wake")
    services.db.write_sync(
        lambda unit: enqueue_outbound(
            unit,
            practice_id=practice.id,
            client_id=None,
            channel="sms",
            to_address=_number(),
            body=body,
            purpose="code",
        )
    )
    (sent,) = fake_sms_provider.wait_for_messages(1, timeout=5)
    assert sent.body == body
