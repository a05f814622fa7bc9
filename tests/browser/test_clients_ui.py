"""Client messaging in the staff web app, in real headless Chromium, through the real server
and its outbox to a local stand-in for the SMS provider (tests/fake_sms_provider.py):

* a therapist adds a client, records consent to plain texts (the practice's exact warning is
  shown), sends a template (it goes by text, and the delivery report turns into "Delivered to
  phone"), writes a staff note (never queued), types something clinical (the live warning)
  and sends it through the secure page instead (the text carries only the notice and a link);
* a client without consent gets only the notice and a link, whatever is written;
* a send the guard refuses offers the secure page and, in warn mode, "Send anyway";
* appointments: one tap asks the client to confirm, their "C" shows as "Confirmed", and
  "Running late…" tells the client of the next appointment;
* the practice's settings: the crisis reply must keep 988 and 911 (the server's sentence is
  shown next to the field);
* every new screen passes axe (no serious or critical violation) at 360x740 and 1280x800, with
  screenshots in test-artifacts/screenshots/clients-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from quietline.config import Settings
from tests.browser import ui
from tests.browser.seed import Team
from tests.browser.support import (
    Device,
    Devices,
    Kind,
    blocking,
    describe_violations,
    run_axe,
    screenshot,
    wait_until,
    words,
)
from tests.conftest import Api, LiveServer
from tests.fake_sms_provider import (
    PRACTICE_NUMBER,
    FakeSmsProvider,
    SentSms,
    sms_webhook,
    status_webhook,
    twilio_settings,
)

SERTRALINE = "how did the new sertraline dose feel this week?"
JORDAN_PHONE = "+12025550143"
SAM_PHONE = "+12025550178"
NOTICE = "You have a new message from your care team:"
CRISIS = "i can't keep doing this. i just want it all to stop"


# -- the server, with texts going to the stand-in provider --------------------------------------
@pytest.fixture
def sms_provider() -> Iterator[FakeSmsProvider]:
    with FakeSmsProvider() as provider:
        yield provider


@pytest.fixture
def settings(settings: Settings, sms_provider: FakeSmsProvider, tmp_path: Path) -> Settings:
    """The browser tests' settings, with SMS to the stand-in (and its public origin, over
    which the provider's webhooks are signed) and e-mail to the console."""
    return twilio_settings(
        settings, sms_provider, tmp_path / "twilio-token", email_gateway="console"
    )


def practice_zone() -> str:
    """A fixed-offset zone where it is about 10 in the morning now, so that "today" has an
    appointment still ahead whatever the time of day the test runs."""
    offset = (10 - datetime.now(UTC).hour + 12) % 24 - 12  # -12 .. +11
    if offset == 0:
        return "UTC"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs are inverted


def put(api: Api, path: str, body: dict[str, Any]) -> Any:
    return api.client.put(f"/api/v1{path}", json=body, headers=api.headers)


def set_practice(api: Api, **changes: Any) -> dict[str, Any]:
    answer = put(api, "/practice/client-messaging", changes)
    assert answer.status_code == 200, answer.text
    settings: dict[str, Any] = answer.json()
    return settings


def texts_to(provider: FakeSmsProvider, number: str) -> list[SentSms]:
    return [m for m in provider.messages if m.to == number]


def wait_for_text(provider: FakeSmsProvider, number: str, count: int) -> list[SentSms]:
    found = wait_until(lambda: len(texts_to(provider, number)) >= count, timeout=8.0)
    sent = texts_to(provider, number)
    assert found, f"expected {count} texts to {number}, the provider got {sent}"
    return sent


def report_delivered(live_server: LiveServer, sms: SentSms) -> None:
    hook = status_webhook(sms, "delivered")
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as http:
        answer = http.post(hook.path, data=hook.form, headers=hook.headers)
    assert answer.status_code in (200, 204), answer.text


def text_from_client(live_server: LiveServer, number: str, body: str) -> None:
    hook = sms_webhook(from_number=number, body=body)
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as http:
        answer = http.post(hook.path, data=hook.form, headers=hook.headers)
    assert answer.status_code in (200, 204), answer.text


# -- driving the screens ------------------------------------------------------------------------
def open_clients(page: Page) -> None:
    ui.go(page, "Clients")
    expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible(timeout=ui.SHOW)


def add_client(page: Page, name: str, phone: str) -> str:
    """ "New client" with a name and a phone; done on the client's page. Returns its id."""
    open_clients(page)
    page.get_by_role("button", name="New client", exact=True).click()
    dialog = page.get_by_role("dialog", name="New client")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("Phone", exact=True).fill(phone)
    with page.expect_response(ui.answer_to("POST", "/api/v1/clients")) as created:
        dialog.get_by_role("button", name="Add client", exact=True).click()
    assert created.value.status == 201, created.value.text()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=ui.SHOW)
    client_id: str = created.value.json()["id"]
    return client_id


def client_item(page: Page, text: str) -> Locator:
    return ui.messages(page).get_by_role("listitem").filter(has_text=text)


def write(page: Page, text: str) -> None:
    ui.compose(page).fill(text)


def press_send(page: Page) -> None:
    page.get_by_role("button", name="Send", exact=True).click()


def send_template(page: Page, template: str, values: dict[str, str]) -> None:
    page.get_by_role("button", name="Templates", exact=True).click()
    dialog = page.get_by_role("dialog", name="Send a template")
    dialog.get_by_role("radio", name=words(template)).check()
    for label, value in values.items():
        dialog.get_by_label(label, exact=True).fill(value)
    dialog.get_by_role("button", name="Send template", exact=True).click()
    expect(dialog).to_have_count(0, timeout=ui.SHOW)


def deliveries(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/conversations/{conversation_id}/client-deliveries")
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


# -- the therapist's day ---------------------------------------------------------------------------
def test_a_therapist_texts_clients_within_the_boundaries(
    devices: Devices, team: Team, live_server: LiveServer, sms_provider: FakeSmsProvider
) -> None:
    owner = team.owner
    practice = set_practice(
        owner, timezone=practice_zone(), plain_messages="logistics", sms_number=PRACTICE_NUMBER
    )
    desk = devices.open("desktop", "maya's desk")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)

    # -- a client, and consent to plain texts: the practice's exact warning is shown -------------
    jordan = ui.marker("Jordan")
    jordan_id = add_client(page, jordan, "(202) 555-0143")
    expect(page.get_by_text("Not agreed: messages go as a secure link by text")).to_be_visible()
    page.get_by_role("button", name="Record consent to text messages", exact=True).click()
    consent = page.get_by_role("dialog", name="Consent to text messages")
    expect(consent.locator("blockquote")).to_have_text(practice["consent_warning"])
    consent.get_by_role("radio", name=re.compile("^Verbally")).check()
    with page.expect_response(ui.answer_to("POST", f"/api/v1/clients/{jordan_id}/consents")) as rec:
        consent.get_by_role("button", name="Record consent", exact=True).click()
    assert rec.value.status == 201, rec.value.text()
    assert rec.value.json()["warning_text"] == practice["consent_warning"]
    expect(page.locator(".client-title").get_by_text("Text OK", exact=True)).to_be_visible(
        timeout=ui.SHOW
    )
    history = page.get_by_role("list", name="Consent history")
    expect(history).to_contain_text("Text messages (SMS): agreed verbally")

    # -- a template goes by text, and the delivery report shows --------------------------------
    page.get_by_role("link", name="Open thread", exact=True).click()
    expect(ui.messages(page)).to_be_visible(timeout=ui.SHOW)
    expect(page.get_by_role("heading", name=jordan, level=1)).to_be_visible()
    send_template(page, "See you then", {"Time": "15:10"})
    sent_text = "No problem, see you at 3:10 pm."
    template_item = client_item(page, sent_text)
    expect(template_item).to_be_visible(timeout=ui.SHOW)
    texts = wait_for_text(sms_provider, JORDAN_PHONE, 1)
    assert texts[0].body == sent_text
    expect(template_item.get_by_text("Sent by text")).to_be_visible(timeout=ui.SHOW)
    report_delivered(live_server, texts[0])
    expect(template_item.get_by_text("Delivered to phone")).to_be_visible(timeout=ui.SHOW)

    # -- a staff note is shown as one, and never queued --------------------------------------------
    note = ui.marker("note")
    page.get_by_role("checkbox", name="Staff note", exact=True).check()
    write(page, note)
    press_send(page)
    note_item = client_item(page, note)
    expect(note_item.get_by_text("Staff note — not sent to the client").first).to_be_visible(
        timeout=ui.SHOW
    )
    page.get_by_role("checkbox", name="Staff note", exact=True).uncheck()

    # -- the live warning, and the secure page instead -----------------------------------------
    write(page, SERTRALINE)
    warning = page.get_by_text(
        "This reads as clinical (mentions a medication). It will be safer through the secure page."
    )
    expect(warning).to_be_visible(timeout=ui.SHOW)
    page.get_by_role("button", name="Send through secure page", exact=True).click()
    secure_item = client_item(page, SERTRALINE)
    expect(secure_item.get_by_text("Sent as secure link")).to_be_visible(timeout=8_000)
    texts = wait_for_text(sms_provider, JORDAN_PHONE, 2)
    assert texts[1].body.startswith(NOTICE), texts[1].body
    assert "sertraline" not in texts[1].body
    expect(warning).to_have_count(0)

    # -- sent without heeding the warning: the refusal offers the secure page or "Send anyway" --
    second = "Remember to bring the sertraline refill form on Tuesday."
    write(page, second)
    press_send(page)
    refused = client_item(page, second)
    expect(
        refused.get_by_text(re.compile(r"^Not sent\. This message reads as clinical"))
    ).to_be_visible(timeout=ui.SHOW)
    expect(refused.get_by_role("button", name="Send anyway", exact=True)).to_be_visible()
    refused.get_by_role("button", name="Send through secure page", exact=True).click()
    expect(client_item(page, second).get_by_text("Sent as secure link")).to_be_visible(
        timeout=8_000
    )
    texts = wait_for_text(sms_provider, JORDAN_PHONE, 3)
    assert all(second not in t.body and note not in t.body for t in texts)

    # The note was never queued: no outbound row carries it, no text has it.
    conversation_id = page.url.split("#/c/", 1)[1]
    jordan_messages = owner.get(f"/conversations/{conversation_id}/messages").json()["messages"]
    note_ids = [m["id"] for m in jordan_messages if m["body"] == note]
    assert len(note_ids) == 1
    assert next(m for m in jordan_messages if m["body"] == note)["internal"]
    assert not [d for d in deliveries(owner, conversation_id) if d["message_id"] in note_ids]
    assert not [m for m in sms_provider.messages if note in m.body]

    # -- a client without consent gets the notice and a link, never the text -------------------
    sam = ui.marker("Sam")
    add_client(page, sam, SAM_PHONE)
    expect(page.locator(".client-title").get_by_text("Text OK")).to_have_count(0)
    page.get_by_role("link", name="Open thread", exact=True).click()
    free = ui.marker("Can we move Thursday")
    write(page, free)
    expect(
        page.get_by_text("It will go as a secure link: the client gets only a notice.")
    ).to_be_visible(timeout=ui.SHOW)
    press_send(page)
    expect(client_item(page, free).get_by_text("Sent as secure link")).to_be_visible(timeout=8_000)
    sam_texts = wait_for_text(sms_provider, SAM_PHONE, 1)
    assert sam_texts[0].body.startswith(NOTICE)
    assert free not in sam_texts[0].body

    # -- appointments: ask to confirm in one tap; the client's "C" shows ------------------------
    zone = practice["timezone"]
    ui.go(page, "Appointments")
    expect(page.get_by_role("heading", name="Appointments", level=1)).to_be_visible()
    page.get_by_role("button", name="New appointment", exact=True).click()
    booking = page.get_by_role("dialog", name="New appointment")
    booking.get_by_label("Client", exact=True).select_option(label=jordan)
    booking.get_by_label("Start time", exact=True).fill(
        (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo(zone)).strftime("%H:%M")
    )
    with page.expect_response(ui.answer_to("POST", "/api/v1/appointments")) as booked:
        booking.get_by_role("button", name="Book appointment", exact=True).click()
    assert booked.value.status == 201, booked.value.text()
    today = page.get_by_role("region", name="Today")
    row = today.get_by_role("listitem").filter(has_text=jordan)
    expect(row.get_by_text("Scheduled", exact=True)).to_be_visible(timeout=ui.SHOW)
    with page.expect_response(ui.answer_to("POST", "/confirmation-request")) as asked:
        row.get_by_role("button", name="Ask to confirm", exact=True).click()
    assert asked.value.status == 200, asked.value.text()
    expect(row.get_by_text("Awaiting confirmation", exact=True)).to_be_visible(timeout=ui.SHOW)
    expect(page.get_by_role("alert").filter(has_text=f"Sent to {jordan} by text.")).to_be_visible()
    texts = wait_for_text(sms_provider, JORDAN_PHONE, 4)
    assert texts[3].body.startswith("Please reply C to confirm your appointment"), texts[3].body
    text_from_client(live_server, JORDAN_PHONE, "C")
    expect(row.get_by_text("Confirmed", exact=True)).to_be_visible(timeout=ui.SHOW)

    # -- running late: the client of my next appointment is told ------------------------------
    page.get_by_role("button", name="Running late…", exact=True).click()
    late = page.get_by_role("dialog", name="Running late")
    with page.expect_response(ui.answer_to("POST", "/api/v1/running-late")) as told:
        late.get_by_role("button", name="10 minutes", exact=True).click()
    assert told.value.status == 200, told.value.text()
    expect(row.get_by_text("Told the client: running about 10 min late")).to_be_visible(
        timeout=ui.SHOW
    )
    texts = wait_for_text(sms_provider, JORDAN_PHONE, 6)  # + the "C" acknowledgement
    assert any("running about 10 minutes late" in t.body for t in texts), texts

    # -- a crisis text: first in the list, marked, answered with the resources at once -----------
    text_from_client(live_server, SAM_PHONE, CRISIS)
    ui.go(page, "Conversations")
    listed = page.get_by_role("list", name="Conversations").get_by_role("link")
    expect(listed.first).to_have_accessible_name(words(sam), timeout=ui.SHOW)
    expect(listed.first).to_contain_text("Urgent")
    listed.first.click()
    crisis = client_item(page, CRISIS)
    expect(crisis).to_contain_text(
        "Urgent: crisis language detected — resources were sent automatically", timeout=ui.SHOW
    )
    expect(crisis).to_contain_text(sam)
    expect(crisis).to_contain_text("Received by text")
    reply = client_item(page, practice["crisis_reply"])
    expect(reply).to_contain_text("Automatic reply")
    sam_texts = wait_for_text(sms_provider, SAM_PHONE, 2)
    assert sam_texts[1].body == practice["crisis_reply"]  # in the clear, even without consent


# -- the practice's words --------------------------------------------------------------------------
def test_the_crisis_reply_keeps_its_resources(devices: Devices, team: Team) -> None:
    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)
    page.goto(f"{desk.app_url}#/admin/client-messaging")
    expect(page.get_by_role("heading", name="Client messaging", level=1)).to_be_visible()
    crisis = page.get_by_label("Crisis reply", exact=True)
    expect(crisis).to_have_value(re.compile("988"), timeout=ui.SHOW)
    crisis.fill("We got your message and will call you back soon.")
    with page.expect_response(ui.answer_to("PUT", "/api/v1/practice/client-messaging")) as saved:
        page.get_by_role("button", name="Save client messaging settings", exact=True).click()
    assert saved.value.status == 422, saved.value.text()
    detail = saved.value.json()["detail"]
    assert "988" in detail
    assert "911" in detail
    expect(crisis).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(detail).first).to_be_visible()
    kept = team.owner.get("/practice/client-messaging").json()["crisis_reply"]
    assert "988" in kept
    assert "911" in kept

    # A reworded reply that keeps them is saved; so is the guard policy.
    crisis.fill("Thank you for writing. In a crisis call or text 988 now, or call 911.")
    page.get_by_label("Clinical-content guard", exact=True).select_option("block")
    with page.expect_response(ui.answer_to("PUT", "/api/v1/practice/client-messaging")) as saved:
        page.get_by_role("button", name="Save client messaging settings", exact=True).click()
    assert saved.value.status == 200, saved.value.text()
    now = team.owner.get("/practice/client-messaging").json()
    assert now["crisis_reply"].startswith("Thank you for writing.")
    assert now["clinical_guard"] == "block"


# -- who may message clients -----------------------------------------------------------------------
def test_who_may_message_clients(devices: Devices, team: Team) -> None:
    """The owner lets only owners message clients (the owners' box cannot be cleared); it is
    saved and shown again. A clinician's composer in their client's thread then writes staff
    notes only, saying why, and follows the setting live when it changes back; so does the
    appointments page's "Running late…"."""
    avery = team.api(team.avery)
    made = avery.post("/clients", {"name": "Jordan Reyes", "phone": JORDAN_PHONE})
    assert made.status_code == 201, made.text
    thread_id = made.json()["conversation_id"]

    desk = devices.open("desktop", "owner")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.practice.owner_email)
    page.goto(f"{desk.app_url}#/admin/client-messaging")
    group = page.get_by_role("group", name="Who may message clients")
    owners = group.get_by_role("checkbox", name="Owners (always)")
    expect(owners).to_be_checked(timeout=ui.SHOW)
    expect(owners).to_be_disabled()
    group.scroll_into_view_if_needed()
    screenshot(page, "clients-who-may-message", desk.size)
    for role in ("Admins", "Supervisors", "Clinicians", "Front desk"):
        box = group.get_by_role("checkbox", name=role, exact=True)
        expect(box).to_be_checked()
        box.uncheck()
    with page.expect_response(ui.answer_to("PUT", "/api/v1/practice/client-messaging")) as saved:
        page.get_by_role("button", name="Save client messaging settings", exact=True).click()
    assert saved.value.status == 200, saved.value.text()
    assert team.owner.get("/practice/client-messaging").json()["client_senders"] == ["owner"]
    page.reload()
    expect(group.get_by_role("checkbox", name="Clinicians", exact=True)).not_to_be_checked(
        timeout=ui.SHOW
    )
    expect(owners).to_be_checked()

    phone = devices.open("phone", "avery")
    ui.sign_in(phone, team.practice.slug, team.avery.email)
    phone.page.goto(f"{phone.app_url}#/c/{thread_id}")
    note = phone.page.get_by_role("checkbox", name="Staff note", exact=True)
    explanation = phone.page.get_by_text("Your practice does not let your role message clients")
    expect(note).to_be_checked(timeout=ui.SHOW)
    expect(note).to_be_disabled()
    expect(explanation).to_be_visible()
    expect(phone.page.get_by_role("button", name="Templates", exact=True)).to_be_hidden()
    screenshot(phone.page, "clients-note-only", phone.size)
    found = blocking(run_axe(phone.page))
    assert not found, describe_violations(f"note-only composer @ {phone.size}", found)
    write(phone.page, "Client called about parking.")
    with phone.page.expect_response(ui.answer_to("POST", "/client-messages")) as sent:
        press_send(phone.page)
    assert sent.value.status == 201, sent.value.text()
    assert sent.value.json()["message"]["internal"] is True

    # Clinicians may again: the open composer follows at once.
    set_practice(team.owner, client_senders=["owner", "clinician"])
    expect(note).to_be_enabled(timeout=ui.SHOW)
    expect(note).not_to_be_checked()
    expect(explanation).to_be_hidden()
    expect(phone.page.get_by_role("button", name="Templates", exact=True)).to_be_visible()

    # The appointments page offers texting the client ("Running late…") only to those who
    # may, and follows the setting live too.
    set_practice(team.owner, client_senders=["owner"])
    phone.page.goto(f"{phone.app_url}#/appointments")
    expect(phone.page.get_by_role("heading", name="Appointments", exact=True)).to_be_visible(
        timeout=ui.SHOW
    )
    late = phone.page.get_by_role("button", name="Running late…", exact=True)
    expect(late).to_be_hidden(timeout=ui.SHOW)
    set_practice(team.owner, client_senders=["owner", "clinician"])
    expect(late).to_be_visible(timeout=ui.SHOW)


# -- every new screen, at both sizes ------------------------------------------------------------
def seed_clients(team: Team, live_server: LiveServer) -> dict[str, str]:
    """Two clients of the owner (one consented), a template and a note in the first one's
    thread, a crisis text from the second, and appointments today."""
    owner = team.owner
    set_practice(owner, timezone=practice_zone(), sms_number=PRACTICE_NUMBER)
    made = {}
    for name, phone in (("Jordan Reyes", JORDAN_PHONE), ("Sam Okafor", SAM_PHONE)):
        answer = owner.post("/clients", {"name": name, "phone": phone, "notes": "Prefers texts"})
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()
    jordan, sam = made["Jordan Reyes"], made["Sam Okafor"]
    consent = owner.post(
        f"/clients/{jordan['id']}/consents", {"channel": "sms", "granted": True, "method": "verbal"}
    )
    assert consent.status_code == 201, consent.text
    templates = owner.get("/message-templates").json()
    see_you = next(t for t in templates if t["name"] == "See you then")
    for body in (
        {"template_id": see_you["id"], "values": {"time": "3:10 pm"}},
        {"text": "Called the pharmacy about the form.", "internal": True},
    ):
        sent = owner.post(
            f"/conversations/{jordan['conversation_id']}/client-messages",
            {**body, "idempotency_key": ui.marker("key")},
        )
        assert sent.status_code == 201, sent.text
    start = datetime.now(UTC) + timedelta(hours=1)
    for client, hours in ((jordan, 0), (sam, 1)):
        booked = owner.post(
            "/appointments",
            {
                "client_id": client["id"],
                "starts_at": (start + timedelta(hours=hours)).isoformat(),
                "length_minutes": 50,
                "room": "Room 2",
            },
        )
        assert booked.status_code == 201, booked.text
    text_from_client(live_server, SAM_PHONE, CRISIS)
    return {
        "jordan": jordan["id"],
        "jordan_thread": jordan["conversation_id"],
        "sam": sam["id"],
        "sam_thread": sam["conversation_id"],
    }


class Walk:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.reports: list[str] = []

    def check(self, screen: str) -> None:
        page = self.device.page
        page.evaluate("document.fonts.ready.then(() => true)")
        screenshot(page, f"clients-{screen}", self.device.size)
        found = blocking(run_axe(page))
        if found:
            self.reports.append(describe_violations(f"{screen} @ {self.device.size}", found))


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_client_screens_are_accessible(
    devices: Devices, team: Team, live_server: LiveServer, kind: Kind
) -> None:
    ids = seed_clients(team, live_server)
    device = devices.open(kind)
    page = device.page
    walk = Walk(device)
    ui.sign_in(device, team.practice.slug, team.practice.owner_email)

    open_clients(page)
    expect(page.get_by_role("link", name=words("Jordan Reyes"))).to_be_visible(timeout=ui.SHOW)
    # The list says whose consent to plain texts is in force (Jordan's), and no more.
    jordan_row = page.get_by_role("link", name=words("Jordan Reyes"))
    sam_row = page.get_by_role("link", name=words("Sam Okafor"))
    expect(jordan_row.get_by_text("Text OK", exact=True)).to_be_visible()
    expect(sam_row.get_by_text("Text OK")).to_have_count(0)
    walk.check("list")

    # Search by name (a POST: the name never goes in a URL).
    with page.expect_response(ui.answer_to("POST", "/api/v1/client-search")) as searched:
        page.get_by_label("Search clients", exact=True).fill("okaf")
    assert searched.value.status == 200, searched.value.text()
    clients = page.get_by_role("list", name="Clients").get_by_role("link")
    expect(clients).to_have_count(1, timeout=ui.SHOW)
    expect(clients).to_have_accessible_name(words("Sam Okafor"))
    page.get_by_label("Search clients", exact=True).fill("")
    expect(clients).to_have_count(2, timeout=ui.SHOW)

    page.get_by_role("button", name="New client", exact=True).click()
    expect(page.get_by_role("dialog", name="New client")).to_be_visible()
    walk.check("new")
    page.get_by_role("dialog").get_by_role("button", name="Cancel", exact=True).click()

    page.get_by_role("link", name=words("Jordan Reyes")).click()
    expect(page.get_by_role("list", name="Consent history")).to_contain_text("agreed verbally")
    walk.check("client")

    page.goto(f"{device.app_url}#/clients/{ids['sam']}")
    page.get_by_role("button", name="Record consent to text messages", exact=True).click()
    expect(page.get_by_role("dialog", name="Consent to text messages")).to_be_visible()
    walk.check("consent")
    page.get_by_role("dialog").get_by_role("button", name="Cancel", exact=True).click()

    page.goto(f"{device.app_url}#/c/{ids['jordan_thread']}")
    expect(ui.messages(page)).to_contain_text("No problem, see you at 3:10 pm.", timeout=ui.SHOW)
    expect(
        ui.messages(page).get_by_text("Staff note — not sent to the client").first
    ).to_be_visible()
    write(page, "Is the new medication helping?")
    expect(page.get_by_text(re.compile("^This reads as clinical"))).to_be_visible(timeout=ui.SHOW)
    walk.check("thread")

    page.get_by_role("button", name="Templates", exact=True).click()
    dialog = page.get_by_role("dialog", name="Send a template")
    dialog.get_by_role("radio", name=words("Running late")).check()
    expect(dialog.get_by_label("Minutes", exact=True)).to_be_visible()
    walk.check("templates")
    dialog.get_by_role("button", name="Cancel", exact=True).click()

    page.goto(f"{device.app_url}#/c/{ids['sam_thread']}")
    expect(client_item(page, CRISIS)).to_contain_text("Urgent: crisis language detected")
    walk.check("crisis")

    ui.go(page, "Appointments")
    expect(page.get_by_role("button", name="Ask to confirm").first).to_be_visible(timeout=ui.SHOW)
    walk.check("appointments")

    page.goto(f"{device.app_url}#/admin/client-messaging")
    expect(page.get_by_role("button", name="Save client messaging settings")).to_be_visible(
        timeout=ui.SHOW
    )
    expect(page.get_by_role("list", name="Templates").get_by_role("listitem").first).to_be_visible()
    walk.check("admin-settings")

    page.goto(f"{device.app_url}#/admin/on-call")
    expect(page.get_by_role("button", name="Add shift", exact=True)).to_be_visible(timeout=ui.SHOW)
    expect(page.get_by_text(re.compile("^(On call now|Nobody is on call)"))).to_be_visible()
    walk.check("admin-on-call")

    if walk.reports:
        pytest.fail(
            "axe found serious or critical violations:\n" + "\n".join(walk.reports), pytrace=False
        )
