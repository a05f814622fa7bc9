"""Boundaries (on both backends): the after-hours reply at the right hours and not outside
them (time zones, holidays, the days the clocks change, once per 12 hours), the crisis reply
and the urgent alert (to the assigned clinician and whoever is on call, within 2 seconds of
the text arriving, also while the clinician is in session), the running-late reply, on-call
shifts, and the checks on the practice's client-messaging settings.

SMS go to the fake provider of tests/fake_sms_provider.py (the settings of this module point
the Twilio gateway at it); pushes to the push-service stand-in of tests/browser/push_service.py.
Apart from the live test, the app runs without its lifespan, so what was queued for a client
stays in ``outbound_messages`` for the test to open.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from quietline.actions.boundaries import appointment_answer, running_late
from quietline.actions.client_settings import is_open, sms_segments
from quietline.app import Services, create_app
from quietline.config import Settings
from quietline.domain.client_policy import (
    DEFAULT_AFTER_HOURS_REPLY,
    DEFAULT_CRISIS_REPLY,
    DEFAULT_CRISIS_REPLY_SPANISH,
    ClientMessagingPolicy,
    OpeningHours,
)
from quietline.domain.clock import ManualClock
from quietline.safety.crisis import assess
from tests.browser.push_service import PushService
from tests.conftest import (
    Api,
    Capture,
    LiveServer,
    PracticeHandle,
    add_staff,
    make_practice,
    sign_in,
)
from tests.fake_sms_provider import PRACTICE_NUMBER, FakeSmsProvider, sms_webhook, twilio_settings
from tests.live_support import Socket
from tests.test_appointments import (
    START,
    Team,
    book,
    give_number,
    inbound,
    local,
    make_team,
    new_client,
    outbound,
    problem,
    put,
    relog,
    text_in,
    thread,
)

CRISIS_TEXT = "I want to kill myself tonight"
LIMIT = 2.0  # seconds from the inbound webhook to the reply and the alerts


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)  # Wednesday 3 December 2025, 9:00 in New York


@pytest.fixture
def fake_sms_provider() -> Iterator[FakeSmsProvider]:
    with FakeSmsProvider() as provider:
        yield provider


@pytest.fixture
def settings(settings: Settings, fake_sms_provider: FakeSmsProvider, tmp_path: Path) -> Settings:
    """SMS to the fake provider, e-mail to the console, pushes to the local stand-in."""
    return twilio_settings(
        settings,
        fake_sms_provider,
        tmp_path / "twilio-token",
        email_gateway="console",
        push_endpoint_hosts="127.0.0.1",
    )


@pytest.fixture
def client(services: Services) -> TestClient:
    """The app without its lifespan (no outbox worker: queued texts stay readable)."""
    return TestClient(create_app(services))


@pytest.fixture
def team(services: Services, client: TestClient, practice: PracticeHandle, owner: Api) -> Team:
    return make_team(services, client, practice, owner)


def alerted(details: dict[str, object]) -> list[str]:
    found = details["alerted"]
    assert isinstance(found, list)
    return [str(u) for u in found]


def purposes(services: Services, practice_id: UUID, client_id: UUID) -> list[str]:
    return [s.purpose for s in outbound(services, practice_id, client_id)]


# -- the rules on their own ------------------------------------------------------------------------
def test_office_hours_holidays_and_time_zones() -> None:
    policy = ClientMessagingPolicy()  # Monday to Friday, 9:00 to 17:00, New York
    wednesday = date(2025, 12, 3)

    def at(day: date, hour: int, minute: int = 0, offset: int = -5) -> datetime:
        naive = datetime.combine(day, clock_time(hour, minute))
        return (naive - timedelta(hours=offset)).replace(tzinfo=UTC)

    assert not is_open(policy, at(wednesday, 8, 59))
    assert is_open(policy, at(wednesday, 9, 0))
    assert is_open(policy, at(wednesday, 16, 59))
    assert not is_open(policy, at(wednesday, 17, 0))
    assert not is_open(policy, at(date(2025, 12, 6), 12))  # Saturday
    assert not is_open(policy, at(date(2025, 12, 7), 12))  # Sunday
    christmas = ClientMessagingPolicy(holidays=(date(2025, 12, 25),))
    assert not is_open(christmas, at(date(2025, 12, 25), 12))
    assert is_open(christmas, at(date(2025, 12, 24), 12))
    # Noon in New York is 18:00 in Berlin: closed there.
    berlin = ClientMessagingPolicy(timezone="Europe/Berlin")
    assert not is_open(berlin, at(wednesday, 12))
    assert is_open(berlin, at(wednesday, 4))  # 10:00 in Berlin
    # A lunch break and a Saturday morning.
    split = ClientMessagingPolicy(
        hours=(
            OpeningHours(2, clock_time(9), clock_time(12)),
            OpeningHours(2, clock_time(13), clock_time(17)),
            OpeningHours(5, clock_time(10), clock_time(12)),
        )
    )
    assert not is_open(split, at(wednesday, 12, 30))
    assert is_open(split, at(wednesday, 13, 0))
    assert is_open(split, at(date(2025, 12, 6), 11))
    # The clocks go forward on Sunday 8 March 2026: 13:30 UTC is 8:30 on Friday the 6th
    # (EST) but 9:30 on Monday the 9th (EDT); and back on Sunday 1 November.
    assert not is_open(policy, datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    assert is_open(policy, datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
    assert is_open(policy, datetime(2026, 10, 30, 20, 30, tzinfo=UTC))  # 16:30 EDT
    assert not is_open(policy, datetime(2026, 11, 2, 22, 30, tzinfo=UTC))  # 17:30 EST
    assert is_open(policy, datetime(2026, 11, 2, 21, 30, tzinfo=UTC))  # 16:30 EST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("running 10 min late", (True, 10)),
        ("Running about 15 minutes late, sorry!", (True, 15)),
        ("stuck in traffic be there in 15", (True, 15)),
        ("I\u2019m going to be a few minutes late", (True, None)),
        ("will be 5 mins late", (True, 5)),
        ("running late", (True, None)),
        ("i'll be late, be there in about 20", (True, 20)),
        ("I won't be late", (False, None)),
        ("not running late today, see you at 3", (False, None)),
        ("Can we move Thursday to later in the day?", (False, None)),
        ("I was late on my rent again and it stresses me out", (False, None)),
        ("See you at 3", (False, None)),
    ],
)
def test_running_late_is_recognised(text: str, expected: tuple[bool, int | None]) -> None:
    assert running_late(text) == expected


def test_a_lone_c_or_r_is_an_answer() -> None:
    for text in ("C", "c", " c. ", '"C"', "Confirm", "confirmed!"):
        assert appointment_answer(text) == "confirm", text
    for text in ("R", "r", "reschedule", "Reschedule."):
        assert appointment_answer(text) == "reschedule", text
    for text in ("CR", "c r", "Can I reschedule?", "cancel", "yes", "C please call me"):
        assert appointment_answer(text) is None, text


def test_sms_segments() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2
    assert sms_segments("{" * 80) == 1  # the extension table costs two units each
    assert sms_segments("{" * 81) == 2
    assert sms_segments("é" * 160) == 1  # é is in the GSM alphabet
    assert sms_segments("ł" * 70) == 1  # ł is not: UCS-2
    assert sms_segments("ł" * 71) == 2


# -- after hours -----------------------------------------------------------------------------------
def test_the_after_hours_reply_comes_at_the_right_hours_and_not_outside_them(
    team: Team, clock: ManualClock
) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    bo = new_client(services, team.dana, name="Bo", phone="+12025550102")  # no consent

    # Office hours: no automatic reply, at the first and the last minute.
    for when in (local(9), local(12), local(16, 59)):
        clock.set(when)
        assert inbound(services, pid, ada, "See you at 3").replies == ()
    assert outbound(services, pid, ada) == []

    # 17:00 is after hours: the practice's words, in the clear to a client who consented.
    clock.set(local(17))
    assert inbound(services, pid, ada, "Is parking free?").replies == ("after_hours",)
    [reply] = outbound(services, pid, ada)
    assert (reply.channel, reply.purpose, reply.body) == (
        "sms",
        "after_hours",
        DEFAULT_AFTER_HOURS_REPLY,
    )
    # Staff see exactly what was sent, marked as an automatic reply.
    auto = thread(services, pid, ada)[-1]
    assert (auto.body, auto.channel, auto.sender_id) == (
        DEFAULT_AFTER_HOURS_REPLY,
        "auto",
        team.practice.owner_id,
    )
    # Without consent the same reply goes as the notice and a link.
    assert inbound(services, pid, bo, "Hello?").replies == ("after_hours",)
    [notice] = outbound(services, pid, bo)
    assert notice.purpose == "notice"
    assert DEFAULT_AFTER_HOURS_REPLY not in notice.body
    assert thread(services, pid, bo)[-1].body == DEFAULT_AFTER_HOURS_REPLY

    # At most once per client in 12 hours.
    clock.set(local(23))
    assert inbound(services, pid, ada, "One more thing").replies == ()
    clock.set(local(17) + timedelta(hours=11, minutes=59))  # 4:59 the next morning
    assert inbound(services, pid, ada, "And another").replies == ()
    clock.set(local(17) + timedelta(hours=12))
    assert inbound(services, pid, ada, "Good morning").replies == ("after_hours",)
    assert purposes(services, pid, ada) == ["after_hours", "after_hours"]

    # A weekend day, and a message written on the secure page (answered there only).
    relog(team)
    carl = new_client(services, team.dana, name="Carl", phone="+12025550103", consent=("sms",))
    clock.set(local(12, day=6))  # Saturday noon
    assert inbound(services, pid, carl, "Hi", channel="page").replies == ("after_hours",)
    assert outbound(services, pid, carl) == []
    assert thread(services, pid, carl)[-1].body == DEFAULT_AFTER_HOURS_REPLY

    entries = list(services.db.read_sync(lambda unit: list(unit.audit_log.iterate_chain(pid))))
    auto_replies = [e for e in entries if e.kind == "client.auto_reply"]
    assert len(auto_replies) == 4
    for entry in auto_replies:
        assert DEFAULT_AFTER_HOURS_REPLY not in str(entry.details)
        assert entry.details["purpose"] == "after_hours"


def test_holidays_time_zones_and_the_change_of_the_clocks(team: Team, clock: ManualClock) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    changed = put(
        team.owner,
        "/practice/client-messaging",
        {"holidays": ["2025-12-25", "2026-01-01"]},
    )
    assert changed.status_code == 200, changed.text

    clock.set(local(12, day=25))  # Christmas, a Thursday, at noon: closed
    assert inbound(services, pid, ada, "Merry Christmas").replies == ("after_hours",)
    clock.set(local(12, day=26))  # the next day at noon: open
    assert inbound(services, pid, ada, "Back to normal").replies == ()

    # 13:30 UTC: 8:30 on Friday 6 March 2026 (EST), 9:30 on Monday 9 March (EDT).
    clock.set(datetime(2026, 3, 6, 13, 30, tzinfo=UTC))
    assert inbound(services, pid, ada, "Friday morning").replies == ("after_hours",)
    clock.set(datetime(2026, 3, 9, 13, 30, tzinfo=UTC))
    assert inbound(services, pid, ada, "Monday morning").replies == ()

    # The same instant in a practice in Berlin (17:30 there on Wednesday): after hours.
    berlin = make_practice(services, "berlin")
    berlin_owner = sign_in(team.owner.client, berlin.slug, berlin.owner_email)
    set_tz = put(berlin_owner, "/practice/client-messaging", {"timezone": "Europe/Berlin"})
    assert set_tz.status_code == 200, set_tz.text
    eva = new_client(services, berlin_owner, name="Eva", phone="+4915112345678", consent=("sms",))
    clock.set(datetime(2026, 3, 11, 16, 30, tzinfo=UTC))  # 12:30 New York, 17:30 Berlin
    assert inbound(services, berlin.id, eva, "Hallo").replies == ("after_hours",)
    assert inbound(services, pid, ada, "Hello").replies == ()


# -- crisis ----------------------------------------------------------------------------------------
def test_a_crisis_message_gets_the_crisis_reply_and_alerts_the_clinician_and_on_call(
    debug_logs: Capture, team: Team, clock: ManualClock
) -> None:
    services, pid = team.services, team.practice.id
    marker = f"QlMark{uuid.uuid4().hex}"
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101")  # no consent
    shift = team.owner.post(
        "/on-call",
        {
            "user_id": str(team.sam_id),
            "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=12)).isoformat(),
        },
    )
    assert shift.status_code == 201, shift.text

    clock.set(local(18))  # after hours: the crisis reply replaces the after-hours one
    relog(team)
    result = inbound(services, pid, ada, f"{CRISIS_TEXT} {marker}")
    assert result.urgent
    assert result.replies == ("crisis_reply",)
    # In the clear although the client never consented to plain texts.
    [reply] = outbound(services, pid, ada)
    assert (reply.channel, reply.purpose, reply.to, reply.body) == (
        "sms",
        "crisis_reply",
        "+12025550101",
        DEFAULT_CRISIS_REPLY,
    )
    messages = thread(services, pid, ada)
    assert messages[-2].urgent
    assert (messages[-1].body, messages[-1].channel) == (DEFAULT_CRISIS_REPLY, "auto")

    entries = services.db.read_sync(lambda unit: list(unit.audit_log.iterate_chain(pid)))
    [detected] = [e for e in entries if e.kind == "client.crisis_detected"]
    assert detected.subject_id == str(result.message_id)
    assert sorted(alerted(detected.details)) == sorted([str(team.dana_id), str(team.sam_id)])
    for entry in entries:
        assert marker not in str(entry.details)
        assert "kill" not in str(entry.details)
    # Nothing readable in any log line, at DEBUG, SQL echo included.
    assert debug_logs.lines  # the capture works
    for secret in (marker, "kill myself", "+12025550101", "2025550101"):
        assert secret not in debug_logs.text

    # The practice's own words; STOP still honoured (then only in the thread).
    words = "We got your message. Call or text 988, or call 911 now. Your team has been told."
    assert put(team.owner, "/practice/client-messaging", {"crisis_reply": words}).status_code == 200
    bo = new_client(services, team.dana, name="Bo", phone="+12025550102", consent=("sms",))
    give_number(team.owner)
    stop = text_in(services, "+12025550102", "STOP")
    assert stop is not None
    assert stop.keyword == "stop"
    before = len(outbound(services, pid, bo))
    assert inbound(services, pid, bo, "I don't want to be alive anymore").replies == (
        "crisis_reply",
    )
    assert len(outbound(services, pid, bo)) == before
    assert thread(services, pid, bo)[-1].body == words


def test_a_crisis_message_in_spanish_gets_the_spanish_crisis_reply(
    team: Team, clock: ManualClock
) -> None:
    """The detector's Spanish rules raised the flag: the reply goes in the practice's Spanish
    words (988 answers in Spanish), with the same alerts; English gets the English words."""
    services, pid = team.services, team.practice.id
    clock.set(local(11))
    relog(team)
    lucia = new_client(services, team.dana, name="Lucía", phone="+12025550111")  # no consent
    result = inbound(services, pid, lucia, "ya no puedo más, estoy pensando en matarme")
    assert result.urgent
    assert result.replies == ("crisis_reply",)
    [reply] = outbound(services, pid, lucia)
    assert (reply.purpose, reply.body) == ("crisis_reply", DEFAULT_CRISIS_REPLY_SPANISH)
    assert "988" in reply.body
    assert "911" in reply.body
    assert "AYUDA" in reply.body
    assert sms_segments(reply.body) <= 3  # accented letters: 67 characters a part
    assert thread(services, pid, lucia)[-1].body == DEFAULT_CRISIS_REPLY_SPANISH

    # An English crisis, and a Spanish everyday idiom that is no crisis. (The clock moves so
    # that the outbox's order by time is the order of sending.)
    clock.advance(timedelta(minutes=1))
    assert inbound(services, pid, lucia, "I want to kill myself tonight").replies == (
        "crisis_reply",
    )
    assert outbound(services, pid, lucia)[-1].body == DEFAULT_CRISIS_REPLY
    assert inbound(services, pid, lucia, "me muero de hambre, llego tarde").replies == ()

    # The practice's own Spanish words; they must keep 988 and 911 like the English ones.
    words = "Recibimos su mensaje. Llame o envíe un texto al 988, o llame al 911."
    assert (
        put(team.owner, "/practice/client-messaging", {"crisis_reply_spanish": words}).status_code
        == 200
    )
    refused = put(
        team.owner, "/practice/client-messaging", {"crisis_reply_spanish": "Llame al 911."}
    )
    assert refused.status_code == 422
    assert "Spanish crisis reply" in refused.json()["detail"]
    assert "988" in refused.json()["detail"]
    clock.advance(timedelta(minutes=1))
    assert inbound(services, pid, lucia, "quiero morirme, ya no aguanto").urgent
    assert outbound(services, pid, lucia)[-1].body == words
    # Spanish that no Spanish rule reads, flagged by the learned tiers: still Spanish.
    clock.advance(timedelta(minutes=1))
    quiet = "tengo las pastillas aquí conmigo y nadie me va a extrañar"
    assessed = assess(quiet)
    assert assessed.crisis, "precondition: the detector flags this message"
    assert not [r for r in assessed.reasons if r.startswith("es.")], "precondition: no rule"
    assert inbound(services, pid, lucia, quiet).replies == ("crisis_reply",)
    assert outbound(services, pid, lucia)[-1].body == words


def test_with_no_one_assigned_or_on_call_the_owners_and_admins_are_alerted(
    team: Team, services: Services
) -> None:
    pid = team.practice.id
    admin_id = add_staff(team.owner, "admin@riverbend.test", "admin", "Ad Min")
    walk_in = new_client(services, team.desk, name="Walk-in", phone="+12025550109")
    result = inbound(services, pid, walk_in, CRISIS_TEXT)
    assert result.replies == ("crisis_reply",)
    entries = services.db.read_sync(lambda unit: list(unit.audit_log.iterate_chain(pid)))
    [detected] = [e for e in entries if e.kind == "client.crisis_detected"]
    assert sorted(alerted(detected.details)) == sorted([str(team.practice.owner_id), str(admin_id)])


# -- the client running late -----------------------------------------------------------------------
def test_a_client_running_late_gets_the_practices_reply_on_appointment_days(
    team: Team, clock: ManualClock
) -> None:
    services, pid = team.services, team.practice.id
    words = "Thanks! We will wait for you."
    assert put(team.owner, "/practice/client-messaging", {"late_reply": words}).status_code == 200
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101", consent=("sms",))
    bo = new_client(services, team.dana, name="Bo", phone="+12025550102", consent=("sms",))
    appointment = book(team.dana, ada, local(10))
    book(team.dana, bo, local(10, day=4))  # tomorrow

    clock.set(local(9, 55))
    result = inbound(services, pid, ada, "stuck in traffic be there in 15")
    assert result.replies == ("late_ack",)
    assert [(s.purpose, s.body) for s in outbound(services, pid, ada)] == [("late_ack", words)]
    assert thread(services, pid, ada)[-1].channel == "auto"
    # No appointment today: an ordinary message (office hours: no reply at all).
    assert inbound(services, pid, bo, "running 10 min late").replies == ()
    assert inbound(services, pid, ada, "I won't be late for Thursday").replies == ()
    entries = services.db.read_sync(lambda unit: list(unit.audit_log.iterate_chain(pid)))
    noted = [e for e in entries if e.details.get("client_running_late")]
    assert [(e.subject_id, e.details["minutes"]) for e in noted] == [(appointment["id"], 15)]


# -- on call ---------------------------------------------------------------------------------------
def test_on_call_shifts_are_planned_by_admins_and_seen_by_everyone(
    team: Team, clock: ManualClock
) -> None:
    body = {
        "user_id": str(team.dana_id),
        "starts_at": (START + timedelta(hours=8)).isoformat(),
        "ends_at": (START + timedelta(hours=24)).isoformat(),
    }
    problem(team.dana.post("/on-call", body), 403)
    problem(team.desk.post("/on-call", body), 403)
    created = team.owner.post("/on-call", body)
    assert created.status_code == 201, created.text
    shift_id = created.json()["id"]
    assert [s["id"] for s in team.desk.get("/on-call").json()] == [shift_id]
    assert team.dana.get("/on-call/now").json() == []

    refusals = [
        {**body, "ends_at": body["starts_at"]},
        {**body, "ends_at": (START + timedelta(days=40)).isoformat()},
        {
            **body,
            "starts_at": (START - timedelta(days=2)).isoformat(),
            "ends_at": START.isoformat(),
        },
        {**body, "user_id": str(team.desk_id)},
        {**body, "starts_at": "2025-12-03T09:00:00"},
    ]
    for refused in refusals:
        problem(team.owner.post("/on-call", refused), 422)
    problem(team.owner.post("/on-call", {**body, "user_id": str(uuid.uuid4())}), 404)

    moved = team.owner.patch(
        f"/on-call/shifts/{shift_id}", {"starts_at": (START - timedelta(hours=1)).isoformat()}
    )
    assert moved.status_code == 200, moved.text
    now = team.dana.get("/on-call/now").json()
    assert now == [{"user_id": str(team.dana_id), "display_name": "Dana"}]
    problem(team.sam.patch(f"/on-call/shifts/{shift_id}", {"user_id": str(team.sam_id)}), 403)
    assert team.owner.delete(f"/on-call/shifts/{shift_id}").status_code == 204
    problem(team.owner.delete(f"/on-call/shifts/{shift_id}"), 404)
    assert team.dana.get("/on-call/now").json() == []
    changes = team.owner.get("/audit?kind=practice.on_call_changed").json()
    assert sorted(e["details"]["action"] for e in changes) == ["created", "deleted", "updated"]

    other = make_practice(team.services, "elmwood")
    outsider = sign_in(team.owner.client, other.slug, other.owner_email)
    assert outsider.get("/on-call").json() == []
    problem(outsider.delete(f"/on-call/shifts/{shift_id}"), 404)
    problem(outsider.post("/on-call", body), 404)  # not a user of that practice


# -- the settings ----------------------------------------------------------------------------------
SETTING_REFUSALS: dict[str, dict[str, Any]] = {
    "crisis-without-988": {"crisis_reply": "Call 911 if you are in danger."},
    "crisis-without-911": {"crisis_reply": "Call or text 988."},
    "crisis-9110": {"crisis_reply": "Call 9110 or 9880."},
    "crisis-empty": {"crisis_reply": "   "},
    "crisis-too-long": {"crisis_reply": "Call 988 or 911. " + "x" * 480},
    "crisis-placeholder": {"crisis_reply": "Call 988 or 911, {name}."},
    "after-hours-without-911": {"after_hours_reply": "We are closed. Text 988 in a crisis."},
    "help-without-stop": {"help_reply": "Scheduling messages from your care team."},
    "notice-without-link": {"notice_text": "You have a new message."},
    "notice-two-links": {"notice_text": "New message: {link} or {link}"},
    "notice-other-placeholder": {"notice_text": "Hi {name}, new message: {link}"},
    "notice-format-spec": {"notice_text": "New message: {link!r}"},
    "notice-stray-brace": {"notice_text": "New message: {link} }"},
    "control-character": {"late_reply": "See you\tsoon."},
    "timezone-unknown": {"timezone": "Mars/Olympus_Mons"},
    "timezone-path": {"timezone": "/etc/localtime"},
    "timezone-null": {"timezone": None},
    "hours-backwards": {"hours": [{"weekday": 0, "opens": "17:00", "closes": "09:00"}]},
    "hours-equal": {"hours": [{"weekday": 0, "opens": "09:00", "closes": "09:00"}]},
    "hours-24": {"hours": [{"weekday": 0, "opens": "09:00", "closes": "24:00"}]},
    "hours-weekday-7": {"hours": [{"weekday": 7, "opens": "09:00", "closes": "17:00"}]},
    "hours-not-a-time": {"hours": [{"weekday": 1, "opens": "nine", "closes": "17:00"}]},
    "hours-overlap": {
        "hours": [
            {"weekday": 1, "opens": "09:00", "closes": "13:00"},
            {"weekday": 1, "opens": "12:00", "closes": "17:00"},
        ]
    },
    "holiday-not-a-date": {"holidays": ["Christmas"]},
    "holiday-far": {"holidays": ["1999-12-25"]},
    "plain-messages-unknown": {"plain_messages": "everything"},
    "guard-unknown": {"clinical_guard": "ignore"},
    "reminder-negative": {"reminder_hours_before": -1},
    "reminder-too-far": {"reminder_hours_before": 169},
    "link-ttl-zero": {"link_ttl_hours": 0},
    "session-shorter-than-idle": {
        "client_session_idle_minutes": 30,
        "client_session_absolute_minutes": 20,
    },
    "sms-number-local": {"sms_number": "202-555-0100"},
    "sms-number-words": {"sms_number": "+1 CALL NOW"},
    "email-from-bad": {"email_from": "not an address"},
    "unknown-field": {"signature": "Dr. Who"},
}


@pytest.mark.parametrize("case", list(SETTING_REFUSALS))
def test_bad_settings_are_refused_with_a_sentence(team: Team, case: str) -> None:
    before = team.owner.get("/practice/client-messaging").json()
    response = put(team.owner, "/practice/client-messaging", SETTING_REFUSALS[case])
    problem(response, 422)
    assert team.owner.get("/practice/client-messaging").json() == before


def test_settings_are_read_by_staff_changed_by_admins_and_audited_without_text(
    team: Team, client: TestClient
) -> None:
    services, pid = team.services, team.practice.id
    defaults = team.dana.get("/practice/client-messaging")
    assert defaults.status_code == 200, defaults.text
    got = defaults.json()
    assert (got["timezone"], got["crisis_reply"], got["sms_number"]) == (
        "America/New_York",
        DEFAULT_CRISIS_REPLY,
        None,
    )
    assert len(got["hours"]) == 5
    assert got["open_now"] is True  # Wednesday 9:00
    problem(put(team.dana, "/practice/client-messaging", {"late_reply": "Hi."}), 403)
    problem(put(team.desk, "/practice/client-messaging", {"late_reply": "Hi."}), 403)

    marker = f"QlMark{uuid.uuid4().hex}"
    long_reply = f"We are closed until Monday {marker}. In an emergency call 911. " + "z" * 120
    changed = put(
        team.owner,
        "/practice/client-messaging",
        {
            "timezone": "America/Chicago",
            "hours": [{"weekday": d, "opens": "08:30", "closes": "16:00"} for d in range(4)],
            "holidays": ["2025-12-25", "2025-12-24", "2025-12-25"],
            "after_hours_reply": long_reply,
            "notice_text": f"Your care team wrote {marker}: {{link}}",
            "sms_number": "+1 (202) 555-0100",
            "email_from": "office@riverbend.test",
            "reminder_hours_before": 48,
            "front_desk_in_client_threads": False,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["hours"][0] == {"weekday": 0, "opens": "08:30", "closes": "16:00"}
    assert body["holidays"] == ["2025-12-24", "2025-12-25"]
    assert body["sms_number"] == "+12025550100"
    assert body["open_now"] is False  # 8:00 in Chicago: the office opens at 8:30
    assert body["warnings"]
    assert "2 text messages" in body["warnings"][0]
    assert team.dana.get("/practice/client-messaging").json() == body

    audit = team.owner.get("/audit?kind=practice.client_messaging_changed").json()
    assert [e["details"]["fields"] for e in audit] == [
        sorted(
            [
                "after_hours_reply",
                "email_from",
                "front_desk_in_client_threads",
                "holidays",
                "hours",
                "notice_text",
                "reminder_hours_before",
                "sms_number",
                "timezone",
            ]
        )
    ]
    assert marker not in str(audit)
    # The number is sealed at rest; only a keyed hash finds the practice.
    row = services.db.read_sync(lambda unit: unit.practice_messaging.get(pid))
    assert row.sms_number_sealed is not None
    assert b"2025550100" not in row.sms_number_sealed
    # Another practice cannot take the same number.
    other = make_practice(services, "elmwood")
    outsider = sign_in(client, other.slug, other.owner_email)
    problem(put(outsider, "/practice/client-messaging", {"sms_number": "+12025550100"}), 409)
    # Sending the same values again changes (and audits) nothing.
    again = put(team.owner, "/practice/client-messaging", {"timezone": "America/Chicago"})
    assert again.status_code == 200, again.text
    assert len(team.owner.get("/audit?kind=practice.client_messaging_changed").json()) == 1
    # Removing the number.
    cleared = put(team.owner, "/practice/client-messaging", {"sms_number": None})
    assert cleared.json()["sms_number"] is None


def test_the_front_desk_setting_changes_who_is_in_client_threads(team: Team) -> None:
    services, pid = team.services, team.practice.id
    ada = new_client(services, team.dana, name="Ada", phone="+12025550101")

    def members() -> set[UUID]:
        def read(unit: Any) -> set[UUID]:
            conversation = unit.conversations.for_client(pid, ada)
            return set(unit.conversations.member_ids(pid, conversation.id))

        found: set[UUID] = services.db.read_sync(read)
        return found

    assert team.desk_id in members()
    off = put(team.owner, "/practice/client-messaging", {"front_desk_in_client_threads": False})
    assert off.status_code == 200, off.text
    assert team.desk_id not in members()
    assert team.dana_id in members()
    on = put(team.owner, "/practice/client-messaging", {"front_desk_in_client_threads": True})
    assert on.status_code == 200, on.text
    assert team.desk_id in members()


# -- live: the crisis reply and the urgent alerts within 2 seconds ---------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as c:
        yield c


def test_crisis_reply_and_urgent_alerts_within_two_seconds_while_in_session(
    live_server: LiveServer,
    http: httpx.Client,
    practice: PracticeHandle,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    services = live_server.services
    owner = sign_in(http, practice.slug, practice.owner_email)
    team = make_team(services, http, practice, owner)
    client_phone = "+12025550101"
    ada = new_client(services, team.dana, name="Ada Marker", phone=client_phone)  # no consent
    number = put(owner, "/practice/client-messaging", {"sms_number": PRACTICE_NUMBER})
    assert number.status_code == 200, number.text
    on_call = owner.post(
        "/on-call",
        {
            "user_id": str(team.sam_id),  # Sam: on call, not assigned to Ada
            "starts_at": (START - timedelta(hours=1)).isoformat(),
            "ends_at": (START + timedelta(hours=12)).isoformat(),
        },
    )
    assert on_call.status_code == 201, on_call.text
    marker = f"QlMark{uuid.uuid4().hex}"

    with PushService() as push:
        push.forbid(marker, "Ada Marker", client_phone, "kill")
        dana_phone = push.subscribe()
        sam_phone = push.subscribe()
        for api, sub in ((team.dana, dana_phone), (team.sam, sam_phone)):
            response = put(api, "/me/push-subscription", sub.as_json())
            assert response.status_code == 204, response.text
        # Dana is with a client: ordinary notifications are held for her.
        in_session = put(team.dana, "/me/status", {"minutes": 50})
        assert in_session.status_code == 200, in_session.text
        with (
            Socket(live_server.ws_url, team.dana.token) as dana_ws,
            Socket(live_server.ws_url, team.sam.token) as sam_ws,
        ):
            hook = sms_webhook(from_number=client_phone, body=f"{CRISIS_TEXT} {marker}")
            started = time.monotonic()
            response = http.post(hook.path, data=hook.form, headers=hook.headers)
            assert response.status_code == 200, response.text

            [sms] = fake_sms_provider.wait_for_messages(1, timeout=LIMIT)
            sms_after = time.monotonic() - started
            dana_push = push.wait_for(1, dana_phone, timeout=LIMIT)[0]
            sam_push = push.wait_for(1, sam_phone, timeout=LIMIT)[0]
            dana_alert = dana_ws.expect("urgent.alert", timeout=LIMIT)
            sam_alert = sam_ws.expect("urgent.alert", timeout=LIMIT)
            alerts_after = time.monotonic() - started

            assert (sms.to, sms.from_, sms.body) == (
                client_phone,
                PRACTICE_NUMBER,
                DEFAULT_CRISIS_REPLY,
            )
            assert sms_after <= LIMIT, f"the crisis reply took {sms_after:.2f} s"
            for pushed in (dana_push, sam_push):
                assert pushed.received_at - started <= LIMIT
                assert pushed.json()["body"] == "New secure message"
            assert alerts_after <= LIMIT, f"the alerts took {alerts_after:.2f} s"
            for alert, user_id in ((dana_alert, team.dana_id), (sam_alert, team.sam_id)):
                assert set(alert) == {
                    "type",
                    "user_id",
                    "client_id",
                    "conversation_id",
                    "message_id",
                }
                assert (alert["user_id"], alert["client_id"]) == (str(user_id), str(ada))
            # Nothing held for Dana: one push each, and no second one for the same message.
            assert len(push.quiet_for(0.6, dana_phone)) == 0
            assert len(push.requests(dana_phone)) == 1
            assert len(push.requests(sam_phone)) == 1
            # The alert carries ids only (Dana, a member of the thread, reads the message
            # itself through the ordinary message event; Sam, on call, gets ids only).
            for frame in dana_ws.of_type("urgent.alert") + sam_ws.frames:
                assert marker not in str(frame)
        seen = [r.payload or b"" for r in push.requests()]
        assert not any(marker.encode() in p for p in seen)
