"""Consent, templates and the delivery rule (on both backends).

What goes out is read from the outbox itself (``outbound_messages``, opened with the
practice key): the app runs without its lifespan here, so no worker sends (and erases) the
rows before the test reads them. Where it matters, the outbox worker then runs once with the
console SMS gateway, to show what would really leave.

* without consent, an SMS or e-mail carries only the practice's notice and a secure link;
* with consent, an approved template goes in the clear, free text still by link (unless the
  practice allows checked logistics text), and the clinical-content guard warns or blocks;
* STOP: no SMS of any kind afterwards (one confirmation); START restores; HELP is answered;
* staff-only notes never leave; a retried send is queued once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from quietline.actions.client_messages import (
    START_CONFIRMATION,
    STOP_CONFIRMATION,
    receive_sms,
)
from quietline.app import Services, create_app
from quietline.domain.client_policy import DEFAULT_CONSENT_WARNING, DEFAULT_HELP_REPLY
from quietline.domain.clock import ManualClock
from quietline.gateways.console import ConsoleEmailGateway, ConsoleRecord, ConsoleSmsGateway
from quietline.gateways.outbox_worker import OutboxWorker
from tests.client_support import (
    PRACTICE_NUMBER,
    audit_rows,
    create_client,
    grant,
    key,
    marker,
    message_rows,
    next_weekday_noon_utc,
    outbound,
    set_policy,
    set_sms_number,
)
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in

NOTICE = re.compile(
    r"^You have a new message from your care team: http://localhost:\d+/c/#qlc_\S+$"
)
CLIENT_PHONE = "+14155550123"
CLINICAL = "Please keep taking the sertraline and we can talk about your panic attacks."


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(next_weekday_noon_utc())


@pytest.fixture
def quiet(services: Services) -> TestClient:
    """The API without its lifespan: no outbox worker, so queued rows stay to be read."""
    return TestClient(create_app(services))


@pytest.fixture
def owner_api(quiet: TestClient, practice: PracticeHandle) -> Api:
    return sign_in(quiet, practice.slug, practice.owner_email)


def send(api: Api, conversation_id: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"/conversations/{conversation_id}/client-messages",
        {"idempotency_key": key(), **body},
    )
    assert response.status_code == expect, response.text
    found: dict[str, Any] = response.json()
    return found


def template_id(api: Api, name: str) -> str:
    listed = api.get("/message-templates")
    assert listed.status_code == 200, listed.text
    return next(str(t["id"]) for t in listed.json() if t["name"] == name)


# -- without consent ---------------------------------------------------------------------------


def test_without_consent_only_the_notice_and_a_link_go_out(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    both = create_client(owner_api, phone="(415) 555-0123", email="jo@example.org")
    email_only = create_client(owner_api, name="Em Only", email="em@example.org")
    neither = create_client(owner_api, name="No Address")
    text = f"See you Tuesday {marker('Text')}"

    sent = send(owner_api, both["conversation_id"], text=text)
    assert sent["delivery"] == {
        "channel": "sms",
        "clear": False,
        "reason": None,
        "outbound_id": sent["delivery"]["outbound_id"],
    }
    assert sent["message"]["channel"] == "link"
    assert sent["message"]["body"] == text  # the thread keeps it for the secure page
    late = send(
        owner_api,
        both["conversation_id"],
        template_id=template_id(owner_api, "Running late"),
        values={"minutes": 10},
    )
    assert late["delivery"]["clear"] is False  # a template, but no consent: still a link
    [first, second] = outbound(services, practice.id, both["id"])
    for row in (first, second):
        assert (row.channel, row.purpose, row.to) == ("sms", "notice", CLIENT_PHONE)
        assert row.body is not None
        assert NOTICE.match(row.body), row.body
    assert first.message_id == UUID(sent["message"]["id"])
    assert first.body != second.body  # a fresh link each time

    by_email = send(owner_api, email_only["conversation_id"], text=text)
    assert by_email["delivery"]["channel"] == "email"
    [mail] = outbound(services, practice.id, email_only["id"])
    assert (mail.channel, mail.purpose, mail.to) == ("email", "notice", "em@example.org")
    assert mail.body is not None
    assert NOTICE.match(mail.body)

    nowhere = send(owner_api, neither["conversation_id"], text=text)
    assert nowhere["delivery"] == {
        "channel": None,
        "clear": False,
        "reason": "no_address",
        "outbound_id": None,
    }
    assert nowhere["message"]["channel"] == "page"
    assert outbound(services, practice.id, neither["id"]) == []
    assert all(text not in (r.body or "") for r in outbound(services, practice.id, both["id"]))


# -- with consent ------------------------------------------------------------------------------


def test_with_consent_only_template_text_goes_in_the_clear(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    thread = jo["conversation_id"]

    late = send(
        owner_api,
        thread,
        template_id=template_id(owner_api, "Running late"),
        values={"minutes": 10},
    )
    assert late["delivery"]["clear"] is True
    assert late["message"]["channel"] == "sms"
    assert late["message"]["body"] == "Running about 10 minutes late, sorry!"
    confirmed = send(
        owner_api,
        thread,
        template_id=template_id(owner_api, "Confirmed"),
        values={"date": "2026-03-03", "time": "3:10 PM"},
    )
    assert confirmed["message"]["body"] == (
        "Your appointment is confirmed for Tuesday, March 3 at 3:10 pm."
    )
    reminder = send(
        owner_api,
        thread,
        template_id=template_id(owner_api, "Reminder"),
        values={"date": "2026-03-04", "time": "15:30"},
    )
    assert reminder["message"]["body"] == (
        f"Reminder: your appointment with Owner of {practice.slug} is on Wednesday, March 4 "
        "at 3:30 pm."
    )
    free = send(owner_api, thread, text=f"Parking is on Elm St {marker('Free')}")
    assert free["delivery"]["clear"] is False  # templates only, by default
    by_page = send(
        owner_api,
        thread,
        template_id=template_id(owner_api, "Running late"),
        values={"minutes": 5},
        delivery="secure_page",
    )
    assert by_page["delivery"]["clear"] is False

    rows = outbound(services, practice.id, jo["id"])
    assert [(r.purpose, r.body) for r in rows[:3]] == [
        ("template", late["message"]["body"]),
        ("template", confirmed["message"]["body"]),
        ("template", reminder["message"]["body"]),
    ]
    for row in rows[3:]:
        assert row.purpose == "notice"
        assert row.body is not None
        assert NOTICE.match(row.body)
    assert len(rows) == 5


def test_the_console_reports_a_text_delivered_like_a_provider(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    """The demo's console SMS gateway has no provider to call back: the worker records its
    report through the same action as a status callback, so staff see "delivered". E-mail
    has no delivery reports: it stays 'sent'."""
    jo = create_client(owner_api, phone="(415) 555-0123", email="jo@example.org")
    grant(owner_api, jo["id"], "sms")
    em = create_client(owner_api, name="Em Only", email="em@example.org")
    running_late = template_id(owner_api, "Running late")
    texted = send(
        owner_api, jo["conversation_id"], template_id=running_late, values={"minutes": 10}
    )
    mailed = send(owner_api, em["conversation_id"], text=f"See you {marker('Mail')}")
    assert (texted["delivery"]["channel"], mailed["delivery"]["channel"]) == ("sms", "email")

    record = ConsoleRecord(services.clock)
    worker = OutboxWorker(
        services, sms=ConsoleSmsGateway(record, None), email=ConsoleEmailGateway(record, None)
    )
    assert worker.run_once().sent == 2
    assert worker.run_once().processed == 0  # nothing left, nothing reported twice

    deliveries = owner_api.get(f"/conversations/{jo['conversation_id']}/client-deliveries")
    assert deliveries.status_code == 200, deliveries.text
    (text,) = deliveries.json()
    assert text["message_id"] == texted["message"]["id"]
    assert (text["channel"], text["status"], text["failure"]) == ("sms", "delivered", None)
    assert text["delivered_at"] is not None
    (mail,) = owner_api.get(f"/conversations/{em['conversation_id']}/client-deliveries").json()
    assert (mail["channel"], mail["status"], mail["delivered_at"]) == ("email", "sent", None)

    outbound_id = texted["delivery"]["outbound_id"]
    trail = [e["kind"] for e in audit_rows(services, practice.id) if e["subject_id"] == outbound_id]
    assert trail == [
        "client.outbound_queued",
        "client.outbound_sent",
        "client.outbound_delivered",
    ]


@pytest.mark.parametrize(
    ("name", "values", "words"),
    [
        ("Running late", {"minutes": 500}, "1 to 180"),
        ("Running late", {"minutes": "10 and call me"}, "1 to 180"),
        ("Running late", {}, "needs a value for {minutes}"),
        ("Running late", {"minutes": 5, "time": "3 pm"}, "uses only"),
        ("See you then", {"time": "whenever you like"}, "clock time"),
        ("See you then", {"time": "13:10 pm"}, "clock time"),
        ("Confirmed", {"date": "next week", "time": "3 pm"}, "date like"),
        ("Reminder", {"date": "2026-03-04", "time": "3 pm", "clinician": "Dr Who"}, "id of"),
    ],
)
def test_template_values_are_checked_strictly(
    services: Services,
    practice: PracticeHandle,
    owner_api: Api,
    name: str,
    values: dict[str, Any],
    words: str,
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    refused = send(
        owner_api,
        jo["conversation_id"],
        expect=422,
        template_id=template_id(owner_api, name),
        values=values,
    )
    assert words in refused["detail"]
    assert outbound(services, practice.id, jo["id"]) == []
    assert message_rows(services, jo["conversation_id"]) == []


def test_consent_is_per_channel_and_revocable(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    assert isinstance(services.clock, ManualClock)
    tick = partial(services.clock.advance, timedelta(seconds=1))
    jo = create_client(owner_api, phone="(415) 555-0123", email="jo@example.org")
    grant(owner_api, jo["id"], "email")
    late = template_id(owner_api, "Running late")
    send(owner_api, jo["conversation_id"], template_id=late, values={"minutes": 5})
    tick()
    grant(owner_api, jo["id"], "sms")
    send(owner_api, jo["conversation_id"], template_id=late, values={"minutes": 6})
    tick()
    grant(owner_api, jo["id"], "sms", granted=False)
    send(owner_api, jo["conversation_id"], template_id=late, values={"minutes": 7})
    rows = outbound(services, practice.id, jo["id"])
    # SMS comes first when there is a phone; e-mail consent does not make SMS clear.
    assert [(r.channel, r.purpose) for r in rows] == [
        ("sms", "notice"),
        ("sms", "template"),
        ("sms", "notice"),
    ]

    history = owner_api.get(f"/clients/{jo['id']}/consents")
    assert history.status_code == 200, history.text
    body = history.json()
    assert body["warning_text"] == DEFAULT_CONSENT_WARNING
    assert body["in_force"]["sms"] is None
    assert body["in_force"]["email"]["warning_text"] == DEFAULT_CONSENT_WARNING
    assert [(h["channel"], h["granted"]) for h in body["history"]] == [
        ("sms", False),
        ("sms", True),
        ("email", True),
    ]
    assert all(h["recorded_by"] == str(owner_api.user_id) for h in body["history"])
    assert body["history"][0]["warning_text"] is None
    kinds = [e["kind"] for e in audit_rows(services, practice.id)]
    assert kinds.count("client.consent_recorded") == 2
    assert kinds.count("client.consent_revoked") == 1


def test_consent_records_the_warning_the_practice_shows_now(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    words = "Texts are not private. Reply STOP at any time. (Practice wording, version 2.)"
    set_policy(services, practice.id, consent_warning=words)
    stale = owner_api.post(
        f"/clients/{jo['id']}/consents",
        {
            "channel": "sms",
            "granted": True,
            "method": "written",
            "warning_shown": DEFAULT_CONSENT_WARNING,
        },
    )
    assert stale.status_code == 409
    assert "warning changed" in stale.json()["detail"]
    recorded = owner_api.post(
        f"/clients/{jo['id']}/consents",
        {"channel": "sms", "granted": True, "method": "written", "warning_shown": words},
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["warning_text"] == words
    assert recorded.json()["method"] == "written"
    for bad in (
        {"channel": "sms", "granted": True, "method": "keyword"},
        {"channel": "fax", "granted": True, "method": "verbal"},
        {"channel": "email", "granted": True, "method": "verbal"},  # no e-mail address
    ):
        assert owner_api.post(f"/clients/{jo['id']}/consents", bad).status_code == 422


# -- the clinical-content guard ----------------------------------------------------------------


def test_the_guard_warns_before_clinical_text_goes_in_the_clear(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    set_policy(services, practice.id, plain_messages="logistics")
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    thread = jo["conversation_id"]

    logistics = send(owner_api, thread, text="The front door code changed, use the side door.")
    assert logistics["delivery"]["clear"] is True
    refused = send(owner_api, thread, expect=409, text=CLINICAL)
    assert refused["type"] == "urn:quietline:problem:clinical-content"
    assert refused["guard"] == "warn"
    assert "mentions a medication" in refused["reasons"]
    assert "secure_page" in refused["detail"]
    assert "acknowledge_clinical" in refused["detail"]
    assert refused["options"] == ["secure_page", "acknowledge_clinical"]
    assert "sertraline" not in str(refused).lower()

    by_page = send(owner_api, thread, text=CLINICAL, delivery="secure_page")
    assert by_page["delivery"]["clear"] is False
    anyway = send(owner_api, thread, text=CLINICAL, acknowledge_clinical=True)
    assert anyway["delivery"]["clear"] is True

    rows = outbound(services, practice.id, jo["id"])
    assert [r.purpose for r in rows] == ["message", "notice", "message"]
    assert rows[2].body == CLINICAL
    overridden = [
        e
        for e in audit_rows(services, practice.id)
        if e["kind"] == "message.clinical_guard_overridden"
    ]
    assert len(overridden) == 1
    assert overridden[0]["subject_id"] == anyway["message"]["id"]
    assert overridden[0]["details"]["where"] == "client"
    assert "medication" in overridden[0]["details"]["categories"]
    stored = [m["id"] for m in message_rows(services, thread)]
    assert len(stored) == 3  # the refused send stored nothing

    # Without consent the text would go by link anyway: nothing to warn about.
    em = create_client(owner_api, name="Em Doe", phone="(415) 555-0124")
    assert send(owner_api, em["conversation_id"], text=CLINICAL)["delivery"]["clear"] is False


def test_the_guard_blocks_by_practice_policy(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    set_policy(services, practice.id, plain_messages="logistics", clinical_guard="block")
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    thread = jo["conversation_id"]
    for acknowledged in (False, True):
        refused = send(
            owner_api, thread, expect=409, text=CLINICAL, acknowledge_clinical=acknowledged
        )
        assert refused["type"] == "urn:quietline:problem:clinical-content"
        assert refused["guard"] == "block"
        assert refused["options"] == ["secure_page"]
        assert "does not allow" in refused["detail"]
    assert outbound(services, practice.id, jo["id"]) == []
    blocked = [
        e
        for e in audit_rows(services, practice.id)
        if e["kind"] == "message.clinical_guard_blocked"
    ]
    assert len(blocked) == 2
    assert blocked[0]["subject_id"] == thread
    assert set(blocked[0]["details"]) == {"where", "categories"}
    assert "sertraline" not in str(blocked).lower()
    assert (
        send(owner_api, thread, text=CLINICAL, delivery="secure_page")["delivery"]["clear"] is False
    )


def test_the_composer_can_ask_the_guard(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    bare = create_client(owner_api, name="No Address")

    def check(conversation_id: str, text: str) -> dict[str, Any]:
        response = owner_api.post(
            "/guard/check", {"text": text, "conversation_id": conversation_id}
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    thread = jo["conversation_id"]
    # templates only (the default): free text goes by link, so nothing to warn about
    assert check(thread, CLINICAL)["action"] == "none"
    assert check(thread, CLINICAL)["would_send_as"] == "link"
    assert check(thread, CLINICAL)["clinical"] is True
    set_policy(services, practice.id, plain_messages="logistics")
    assert check(thread, CLINICAL)["would_send_as"] == "link"  # no consent yet
    grant(owner_api, jo["id"], "sms")
    warned = check(thread, CLINICAL)
    assert (warned["action"], warned["would_send_as"]) == ("warn", "sms")
    assert "mentions a medication" in warned["reasons"]
    assert check(thread, "Running 5 minutes late")["action"] == "none"
    assert check(thread, "Running 5 minutes late")["would_send_as"] == "sms"
    set_policy(services, practice.id, clinical_guard="block")
    blocked = check(thread, CLINICAL)
    assert (blocked["action"], blocked["would_send_as"]) == ("block", "link")
    assert check(bare["conversation_id"], CLINICAL)["would_send_as"] == "page"
    unknown = owner_api.post(
        "/guard/check", {"text": "x", "conversation_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert unknown.status_code == 404
    assert not [e for e in audit_rows(services, practice.id) if "guard" in e["kind"]]


def test_the_guard_watches_channels_marked_logistics_only(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    dana = add_staff(owner_api, f"dana@{practice.slug}.test")
    channel = owner_api.post(
        "/conversations", {"kind": "group", "title": "Scheduling", "member_ids": [str(dana)]}
    ).json()["id"]
    assert owner_api.patch(f"/conversations/{channel}", {"logistics_only": True}).status_code == 200

    def post(text: str, **extra: Any) -> Any:
        return owner_api.post(
            f"/conversations/{channel}/messages",
            {"body": text, "idempotency_key": key(), **extra},
        )

    assert post("Room 3 is free at 4").status_code == 201
    warned = post(CLINICAL)
    assert warned.status_code == 409
    assert warned.json()["type"] == "urn:quietline:problem:clinical-content"
    assert warned.json()["options"] == ["another_conversation", "acknowledge_clinical"]
    assert "sertraline" not in warned.text
    assert post(CLINICAL, acknowledge_clinical=True).status_code == 201
    check = owner_api.post("/guard/check", {"text": CLINICAL, "conversation_id": channel})
    assert check.json() == {
        "clinical": True,
        "reasons": check.json()["reasons"],
        "action": "warn",
        "would_send_as": None,
    }
    set_policy(services, practice.id, clinical_guard="block")
    blocked = post(CLINICAL, acknowledge_clinical=True)
    assert blocked.status_code == 409
    assert blocked.json()["options"] == ["another_conversation"]
    entries = [(e["kind"], e["details"]) for e in audit_rows(services, practice.id)]
    assert [d["where"] for k, d in entries if k == "message.clinical_guard_overridden"] == [
        "channel"
    ]
    assert [d["where"] for k, d in entries if k == "message.clinical_guard_blocked"] == ["channel"]


# -- notes, retries, the ordinary send --------------------------------------------------------


def test_staff_notes_are_never_sent_and_retries_send_once(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    thread = jo["conversation_id"]
    note = send(owner_api, thread, text=f"Staff only {marker('Note')}", internal=True)
    assert note["delivery"] is None
    assert note["message"]["internal"] is True
    assert outbound(services, practice.id, jo["id"]) == []

    body = {"idempotency_key": key(), "text": "Please call the office"}
    first = owner_api.post(f"/conversations/{thread}/client-messages", body)
    again = owner_api.post(f"/conversations/{thread}/client-messages", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert again.json()["created"] is False
    assert len(outbound(services, practice.id, jo["id"])) == 1

    ordinary = owner_api.post(
        f"/conversations/{thread}/messages", {"body": "hello", "idempotency_key": key()}
    )
    assert ordinary.status_code == 409
    assert "client-messages" in ordinary.json()["detail"]
    assert len(outbound(services, practice.id, jo["id"])) == 1

    archived = owner_api.post(f"/clients/{jo['id']}/archive")
    assert archived.status_code == 200
    assert send(owner_api, thread, expect=409, text="hello")["title"] == "Conflict"
    assert send(owner_api, thread, text="noted while archived", internal=True)["delivery"] is None

    group = owner_api.post("/conversations", {"kind": "group", "title": "Team", "member_ids": []})
    assert send(owner_api, group.json()["id"], expect=422, text="hello")["detail"].startswith(
        "This is not a client's thread"
    )


# -- templates ---------------------------------------------------------------------------------


def test_templates_are_managed_by_admins_and_listed_for_everyone(
    quiet: TestClient, services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    add_staff(owner_api, f"cal@{practice.slug}.test", "clinician")
    cal = sign_in(quiet, practice.slug, f"cal@{practice.slug}.test")
    listed = cal.get("/message-templates").json()
    assert [t["name"] for t in listed] == [
        "See you then",
        "Running late",
        "Confirmed",
        "Reminder",
        "Please call",
    ]
    assert listed[1]["placeholders"] == ["minutes"]
    assert len(owner_api.get("/message-templates").json()) == 5  # seeded once

    new = {"name": "Door", "body": "The side door is open after {time}."}
    assert cal.post("/message-templates", new).status_code == 403
    created = owner_api.post("/message-templates", new)
    assert created.status_code == 201, created.text
    assert created.json()["position"] == 5
    for body, words in (
        ("Bring your {insurance} card", "only the placeholders"),
        ("Costs {$100}", "only the placeholders"),
        ("See you at {time", "Use braces only"),
        ("Remember your sertraline before {time}", "reads as clinical"),
    ):
        refused = owner_api.post("/message-templates", {"name": "Bad", "body": body})
        assert refused.status_code == 422, body
        assert words in refused.json()["detail"]
    tid = created.json()["id"]
    changed = owner_api.patch(f"/message-templates/{tid}", {"body": "Side door after {time}."})
    assert changed.json()["body"] == "Side door after {time}."
    assert owner_api.delete(f"/message-templates/{tid}").status_code == 204
    assert tid not in [t["id"] for t in cal.get("/message-templates").json()]
    assert owner_api.patch(f"/message-templates/{tid}", {"name": "x"}).status_code == 404
    kinds = [
        e["details"]["action"]
        for e in audit_rows(services, practice.id)
        if e["kind"] == "practice.templates_changed"
    ]
    assert kinds == ["created", "updated", "retired"]

    other = make_practice(services, "lakeside")
    stranger = sign_in(quiet, other.slug, other.owner_email)
    assert tid not in [t["id"] for t in stranger.get("/message-templates").json()]
    jo = create_client(owner_api, phone="(415) 555-0123")
    foreign = stranger.get("/message-templates").json()[0]["id"]
    refused = send(owner_api, jo["conversation_id"], expect=404, template_id=foreign, values={})
    assert refused["detail"].startswith("No template")


# -- STOP, START, HELP ---------------------------------------------------------------------------


def text_in(services: Services, body: str, ref: str, phone: str = CLIENT_PHONE) -> Any:
    return services.db.write_sync(
        partial(
            receive_sms,
            lookup_key=services.lookup_key,
            public_origin="http://localhost:8000",
            to_number=PRACTICE_NUMBER,
            from_number=phone,
            body=body,
            provider_ref=ref,
        )
    )


def test_stop_means_no_sms_at_all_until_start(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    set_sms_number(services, practice.id)
    jo = create_client(owner_api, phone="(415) 555-0123")
    grant(owner_api, jo["id"], "sms")
    thread = jo["conversation_id"]
    late = template_id(owner_api, "Running late")

    stopped = text_in(services, " Stop. ", "SMstop0001")
    assert stopped.keyword == "stop"
    assert stopped.replies == ("keyword",)
    assert owner_api.get(f"/clients/{jo['id']}").json()["sms_opted_out_at"] is not None
    assert owner_api.get(f"/clients/{jo['id']}").json()["consent"]["sms"] is False
    assert text_in(services, "STOP", "SMstop0002").replies == ()  # one confirmation only

    after = send(owner_api, thread, template_id=late, values={"minutes": 5})
    assert after["delivery"] == {
        "channel": None,
        "clear": False,
        "reason": "opted_out",
        "outbound_id": None,
    }
    assert text_in(services, "HELP", "SMhelp0001").replies == ()  # not even HELP
    rows = outbound(services, practice.id, jo["id"])
    assert [(r.purpose, r.body) for r in rows] == [("keyword", STOP_CONFIRMATION)]

    # What really leaves: the worker, with the console gateway, sends the confirmation only.
    record = ConsoleRecord(services.clock)
    worker = OutboxWorker(services, sms=ConsoleSmsGateway(record, None))
    assert worker.run_once().sent == 1
    assert [(i.to, i.body) for i in record.items()] == [(CLIENT_PHONE, STOP_CONFIRMATION)]

    started = text_in(services, "start", "SMstart001")
    assert (started.keyword, started.replies) == ("start", ("keyword",))
    assert owner_api.get(f"/clients/{jo['id']}").json()["sms_opted_out_at"] is None
    back = send(owner_api, thread, template_id=late, values={"minutes": 5})
    assert back["delivery"]["channel"] == "sms"
    assert back["delivery"]["clear"] is False  # START restores texts, not the consent
    helped = text_in(services, "help", "SMhelp0002")
    assert (helped.keyword, helped.replies) == ("help", ("help",))
    rows = outbound(services, practice.id, jo["id"])
    assert [(r.purpose, r.body) for r in rows[1:]] == [
        ("keyword", START_CONFIRMATION),
        ("notice", rows[2].body),
        ("help", DEFAULT_HELP_REPLY),
    ]
    worker.run_once()  # (rows queued at one instant leave in any order)
    assert sorted(i.body for i in record.items()[1:]) == sorted(
        [START_CONFIRMATION, str(rows[2].body), DEFAULT_HELP_REPLY]
    )

    # The keywords are in the thread, so staff see them; and in the audit trail.
    bodies = [m["channel"] for m in message_rows(services, thread) if m["sender_client_id"]]
    assert bodies == ["sms"] * 5
    kinds = [e["kind"] for e in audit_rows(services, practice.id)]
    assert kinds.count("client.sms_stop") == 1
    assert kinds.count("client.sms_start") == 1
    assert kinds.count("client.sms_help") == 2
    revoked = [
        e for e in audit_rows(services, practice.id) if e["kind"] == "client.consent_revoked"
    ]
    assert revoked[0]["details"]["method"] == "keyword"


def test_a_client_who_stopped_texts_is_told_by_email(
    services: Services, practice: PracticeHandle, owner_api: Api
) -> None:
    set_sms_number(services, practice.id)
    jo = create_client(owner_api, phone="(415) 555-0123", email="jo@example.org")
    text_in(services, "UNSUBSCRIBE", "SMstop0003")
    sent = send(owner_api, jo["conversation_id"], text="See you soon")
    assert sent["delivery"]["channel"] == "email"
    assert [r.channel for r in outbound(services, practice.id, jo["id"])] == ["sms", "email"]
    # YES restarts texts only for a client who sent STOP.
    assert text_in(services, "yes", "SMyes00001").keyword == "start"
    assert text_in(services, "yes", "SMyes00002").keyword is None
