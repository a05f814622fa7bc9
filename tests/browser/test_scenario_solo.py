"""Scenario 1 of ../shared/SCENARIOS.md (Maya Chen, a solo therapist), end to end on the real
``quietline demo`` command (a subprocess on 127.0.0.1 with its own data folder, as in
test_demo_acceptance.py), in headless Chromium:

1. Maya signs in on her phone (360x740).
2. She taps "In session until …"; Jordan (consented to plain texts) texts the practice from
   the demo's pretend phone (/demo/phone, the same path a provider's webhook takes): the text
   lands in Jordan's thread, Jordan gets the practice's running-late reply, and Maya's phone
   gets no push while she is in session (one push with the count when the session ends).
3. She answers with the "See you then" template at 3:10 pm: the pretend phone shows exactly
   that text, and the thread shows how it went out.
4. She writes to Sam (no consent): Sam's phone gets only the notice and a link. Sam opens it
   in a browser of his own, asks for a code, reads it off the pretend phone, reads Maya's
   message and answers; the answer shows in Maya's thread.
5. She types "how did the new sertraline dose feel this week?" to Jordan: the app warns that
   it reads as clinical and offers the secure page; sent that way, Jordan's phone gets only
   the notice and a link.
6. In session again, Sam texts "i can't keep doing this. i just want it all to stop": within
   2 seconds Sam has the crisis reply (988, 911), Maya's app shows the urgent message, and the
   urgent push got through although she is in session.
7. From her laptop she revokes the phone: the phone's page wipes itself and asks for a sign-in
   within 2 seconds.

Then nothing the clients or Maya wrote, no client name, number or link token is in the demo's
data folder (the SQLite file and its WAL) or in what the server printed.

Notifications: the demo has no real push service, and headless Chromium cannot subscribe to
one. The test binds Maya's phone session to the local Web Push stand-in
(tests/browser/push_service.py) through the API, exactly as the app does with what the
browser's PushManager returns; the demo is told to allow that loopback endpoint
(QUIETLINE_PUSH_ENDPOINT_HOSTS). So what is checked is the server's real decision and the real
encrypted push (held in session, released as one when it ends, urgent let through), as a
push service receives it; not a notification drawn on a phone's lock screen.

Screenshots: test-artifacts/screenshots/scenario1-*.png.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from quietline.actions.client_messages import receive_sms
from quietline.app import Services
from quietline.cli.demo import DEMO_CLIENTS, DEMO_SLUG, DEMO_SMS_NUMBER, seed_demo
from quietline.domain.client_policy import DEFAULT_TIMEZONE
from quietline.domain.clock import ManualClock
from tests.browser import ui
from tests.browser.push_service import PushService, Subscription
from tests.browser.support import (
    Chromium,
    Device,
    Devices,
    check_generic_pushes,
    generic_payload,
    record_measurement,
    screenshot,
)
from tests.browser.test_clients_ui import client_item, send_template
from tests.browser.test_demo_acceptance import (
    OWNER,
    Demo,
    clock_text,
    devices_on,
    quietline_demo,
)
from tests.browser.test_wipe import REVOCATION_LIMIT, start_revocation, wait_wiped

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

(JORDAN_NAME, JORDAN, JORDAN_PHONE, JORDAN_CONSENTED) = DEMO_CLIENTS[0]
(SAM_NAME, SAM, SAM_PHONE, SAM_CONSENTED) = DEMO_CLIENTS[1]

# What people write (the scenario's words, and two of our own).
LATE = "running 10 min late, sorry!"
SEE_YOU = "No problem, see you at 3:10 pm."  # the "See you then" template at 15:10
TO_SAM = "Could we move Thursday to 4 pm instead? Let me know."
SAM_ANSWER = "Thursday at 4 works for me, thank you"
SERTRALINE = "how did the new sertraline dose feel this week?"
CRISIS = "i can't keep doing this. i just want it all to stop"
WRITTEN = [LATE, SEE_YOU, TO_SAM, SAM_ANSWER, SERTRALINE, CRISIS]

CRISIS_LIMIT = 2.0  # seconds from the client's text to the reply, the app and the push
QUIET = 1.5  # seconds with no push that show one was held (the server gathers for 0.3 s)
LINK_IN_TEXT = "open the secure page"  # how the pretend phone shows a secure-page link
CODE_RE = re.compile(r"code for the secure page: (\d{6})\b")
TOKEN_RE = re.compile(r"/c/#(qlc_[A-Za-z0-9_-]+)$")


def shot(device: Device, name: str) -> None:
    screenshot(device.page, f"scenario1-{name}", device.size)


# -- the pretend phone -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    received: bool  # True: the practice sent it to the phone; False: typed as the client
    body: str  # as the page shows it (a secure-page link as LINK_IN_TEXT)
    link: str | None  # the secure-page link's address, when it has one


_READ_TEXTS = """(section) => [...section.querySelectorAll('ol > li')].map((li) => {
  const q = li.querySelector('q');
  const a = q ? q.querySelector('a') : null;
  return {received: / received: /.test(li.textContent), body: q ? q.textContent : '',
          link: a ? a.href : null};
})"""


class PretendPhone:
    """The demo's pretend phone (/demo/phone) in a browser: per client number, what the
    console gateway "sent" to it, and a form to text the practice as that client. The page is
    static HTML made by the server: it is loaded again to see what is new."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.page = device.page
        self.url = f"{device.origin}/demo/phone"
        self.test_url = f"http://127.0.0.1:{urlsplit(device.origin).port}/demo/phone"

    def load(self) -> None:
        self.page.goto(self.url)
        expect(self.page.get_by_role("heading", name="Pretend phone", level=1)).to_be_visible()

    def section(self, number: str) -> Locator:
        heading = self.page.get_by_role("heading", name=f"Phone {number}", exact=True)
        return self.page.locator("section").filter(has=heading)

    def texts(self, number: str) -> list[Text]:
        """Everything on this number's screen, oldest first (as loaded last)."""
        section = self.section(number)
        if section.count() == 0:
            return []
        return [Text(**t) for t in section.evaluate(_READ_TEXTS)]

    def received(self, number: str) -> list[Text]:
        return [t for t in self.texts(number) if t.received]

    def fetch_received(self, number: str) -> list[str]:
        """What the practice sent this number, as ``received(number)`` would show it after a
        reload, read from the page's HTML by the test itself (no browser)."""
        answer = httpx.get(self.test_url, timeout=5, trust_env=False)
        assert answer.status_code == 200, answer.text
        heading = f"<h2>Phone {html.escape(number)}</h2>"
        section = next((s for s in answer.text.split("<section>") if s.startswith(heading)), "")
        quoted = re.findall(r" received: <q>(.*?)</q>", section)
        return [html.unescape(re.sub(r"<[^>]*>", "", q)) for q in quoted]

    def text_practice(self, number: str, body: str) -> float:
        """Type and send ``body`` as the client with this number; the time.monotonic() of the
        tap on "Send as this client". Done when the page says it was sent."""
        self.load()
        section = self.section(number)
        if section.count() == 0:  # this number has no texts yet
            section = self.page.locator("section").filter(
                has=self.page.get_by_role("heading", name="Text from another number")
            )
            section.get_by_label("Client's number", exact=True).fill(number)
        section.get_by_label("Text", exact=True).fill(body)
        started = time.monotonic()
        section.get_by_role("button", name="Send as this client", exact=True).click()
        # Only the page the form leads to says so (it was loaded without the note above).
        expect(self.page.get_by_text(re.compile("^Sent as the client"))).to_be_visible()
        return started

    def wait_for(self, number: str, after: int, wanted: Any, timeout: float = 8.0) -> Text:
        """The first text the practice sent this number, after the first ``after`` received
        ones, for which ``wanted(text)`` is true; the page is loaded again until it shows
        (bounded)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [t for t in self.received(number)[after:] if wanted(t)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                shown = [t.body for t in self.texts(number)]
                pytest.fail(f"no such text reached {number} within {timeout}s; it has {shown}")
            time.sleep(0.05)
            self.load()


# -- the staff app ---------------------------------------------------------------------------------
def api_json(page: Page, method: str, path: str, body: Any = None) -> Any:
    """A same-origin API call from the page (its cookie and, for writes, its CSRF token)."""
    headers = {} if method == "GET" else {"X-CSRF-Token": ui.csrf_token(page)}
    answer = ui.api_fetch(page, method, path, body, headers)
    assert answer["status"] in (200, 201, 204), answer
    return answer["json"]


def bind_push(page: Page, origin: str, subscription: Subscription) -> None:
    """What the app does with a PushSubscription (PUT /me/push-subscription), through the
    page's request context with the session's cookie and CSRF token. (Not through "Turn on
    notifications": that asks the browser's own push service, which is not on this machine.)"""
    answer = page.request.put(
        f"{origin}/api/v1/me/push-subscription",
        data=subscription.as_json(),
        headers={"X-CSRF-Token": ui.csrf_token(page)},
    )
    assert answer.status == 204, answer.text()


def set_in_session_until(page: Page, until: datetime) -> None:
    """Header "Set status" → "In session until" (a time) → "Set time"; done when the server
    said yes."""
    ui.header(page, "button", "Set status").click()
    page.get_by_label("In session until", exact=True).fill(f"{until:%H:%M}")
    with page.expect_response(ui.answer_to("PUT", "/api/v1/me/status")) as answer:
        page.get_by_role("button", name="Set time", exact=True).click()
    assert answer.value.status == 200, answer.value.text()


def my_status(page: Page) -> str | None:
    me = api_json(page, "GET", "/api/v1/me")["user"]
    users = api_json(page, "GET", "/api/v1/users")
    (mine,) = [u for u in users if u["id"] == me["id"]]
    until: str | None = mine["in_session_until"]
    return until


def open_thread(page: Page, name: str) -> None:
    ui.open_conversation(page, name)
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=ui.SHOW)


def deliveries_of(page: Page, message_text: str) -> list[dict[str, Any]]:
    """The delivery rows (newest first) of the message with this text in the open thread."""
    conversation_id = page.url.split("#/c/", 1)[1]
    history = api_json(page, "GET", f"/api/v1/conversations/{conversation_id}/messages")
    (message,) = [m for m in history["messages"] if m["body"] == message_text]
    rows = api_json(page, "GET", f"/api/v1/conversations/{conversation_id}/client-deliveries")
    return [r for r in rows if r["message_id"] == message["id"]]


def token_of(link: str | None, origin: str) -> str:
    assert link is not None, "the text carries no link"
    assert link.startswith(f"{origin}/c/#"), link
    found = TOKEN_RE.search(link)
    assert found, link
    return found.group(1)


# -- what must never be stored or printed ----------------------------------------------------------
def never_written_down(tokens_and_codes: list[str]) -> list[str]:
    """What no file of the demo's data folder and nothing it printed may contain: what was
    written, the clients' names (whole, and each part too long to occur by chance in
    encrypted bytes), their numbers (with and without the "+"), the link tokens and codes."""
    names = [JORDAN_NAME, SAM_NAME]
    parts = [part for name in names for part in name.split() if len(part) > 3]
    numbers = [JORDAN_PHONE, SAM_PHONE]
    return [
        *WRITTEN,
        *names,
        *parts,
        *numbers,
        *(n.lstrip("+") for n in numbers),
        *tokens_and_codes,
    ]


def plaintext_hits(folder: Path, markers: list[str]) -> list[str]:
    """Which markers appear (UTF-8) in which file under ``folder`` (the database, its WAL and
    shared-memory files, anything else the demo wrote there)."""
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{m!r} in {path.name}" for m in markers if m.encode() in data]
    return hits


# -- the day ---------------------------------------------------------------------------------------
def test_scenario_1_the_solo_therapist(
    chromium: Chromium, push_service: PushService, tmp_path: Path
) -> None:
    assert JORDAN_CONSENTED, "the demo's Jordan agreed to plain texts"
    assert not SAM_CONSENTED, "the demo's Sam did not"
    extra = {"QUIETLINE_PUSH_ENDPOINT_HOSTS": "127.0.0.1"}  # the local push stand-in only
    tokens_and_codes: list[str] = []  # as they come
    with quietline_demo(tmp_path, extra) as demo:
        with devices_on(chromium, demo.origin, tmp_path / "profiles") as devices:
            the_day(demo, devices, push_service, tokens_and_codes)
        data = tmp_path / "demo-data"
        # (The scan reads the database: its header is found.)
        assert "'SQLite format 3' in quietline.db" in plaintext_hits(data, ["SQLite format 3"])
        markers = never_written_down(tokens_and_codes)
        # A code is 6 digits: in encrypted bytes that can happen by chance (a token cannot).
        stored = [m for m in markers if not m.isdigit()]
        hits = plaintext_hits(data, stored)
        assert hits == [], f"plaintext in the running demo's data folder: {hits}"
    hits = plaintext_hits(data, stored)  # stopped: the WAL was checkpointed into the file
    assert hits == [], f"plaintext in the demo's data folder: {hits}"
    printed = "".join(demo.output)
    assert "console SMS #" in printed, "the console gateway printed nothing at all"
    leaked = [m for m in markers if re.search(rf"(?<![0-9A-Za-z]){re.escape(m)}", printed)]
    assert leaked == [], f"the demo printed: {leaked}"


def watch_crisis(
    started: float,
    phones: PretendPhone,
    number: str,
    after: int,
    *,
    reply: str,
    urgent: Locator,
    give_up: float = 3 * CRISIS_LIMIT,
) -> tuple[float, float]:
    """Watch the client's phone and the therapist's app side by side, so that neither waits
    for the other: seconds from ``started`` until the phone has ``reply`` and until the app
    shows ``urgent``, each measured after the look that saw it. The phone is read through
    the page's HTML (cheap enough to poll: a browser reload under load is not)."""
    reply_seconds = app_seconds = None
    while reply_seconds is None or app_seconds is None:
        if app_seconds is None and urgent.is_visible():
            app_seconds = time.monotonic() - started
        if reply_seconds is None and reply in phones.fetch_received(number)[after:]:
            reply_seconds = time.monotonic() - started
        if time.monotonic() - started > give_up:
            pytest.fail(f"after {give_up}s: reply {reply_seconds}, app {app_seconds}")
        time.sleep(0.02)
    return reply_seconds, app_seconds


def close(device: Device) -> None:
    """Done with this browser: fewer of them compete for a small machine's CPU (the test's
    own teardown still reports what went wrong in it)."""
    device.context.close()


def the_day(
    demo: Demo, devices: Devices, push_service: PushService, tokens_and_codes: list[str]
) -> None:
    maya = devices.open("phone", "maya's phone")
    phones = PretendPhone(devices.open("phone", "pretend phone"))
    push_service.forbid(*WRITTEN, JORDAN_NAME, SAM_NAME, JORDAN, SAM_PHONE, JORDAN_PHONE)
    page = maya.page

    # -- 1. Maya signs in on her phone -------------------------------------------------------------
    ui.sign_in(maya, DEMO_SLUG, OWNER, demo.password)
    subscription = push_service.subscribe()
    bind_push(page, demo.origin, subscription)
    practice = api_json(page, "GET", "/api/v1/practice/client-messaging")
    notice = practice["notice_text"].replace("{link}", LINK_IN_TEXT)
    shot(maya, "1-signed-in")

    # -- 2. In session until a time; Jordan is running late ----------------------------------------
    until = (datetime.now(UTC) + timedelta(minutes=50)).replace(second=0, microsecond=0)
    set_in_session_until(page, until)
    status = ui.header(page, "button", "Set status")
    expect(status).to_have_accessible_name(
        re.compile(f"In session until {clock_text(until)}"), timeout=ui.SHOW
    )
    held_until = my_status(page)
    assert held_until is not None
    assert datetime.fromisoformat(held_until) == until, (held_until, until)
    shot(maya, "2-in-session")
    ui.go(page, "Conversations")

    phones.load()
    jordan_before = len(phones.received(JORDAN_PHONE))
    phones.text_practice(JORDAN_PHONE, LATE)
    jordan_link = ui.conversation_link(page, JORDAN)
    expect(jordan_link).to_have_accessible_name(re.compile("1 unread"), timeout=ui.SHOW)
    late_reply = phones.wait_for(
        JORDAN_PHONE, jordan_before, lambda t: t.body == practice["late_reply"]
    )
    assert late_reply.link is None
    shot(phones.device, "2-pretend-phone-late-reply")

    open_thread(page, JORDAN)
    late = client_item(page, LATE)
    expect(late.get_by_text("Received by text")).to_be_visible(timeout=ui.SHOW)
    expect(late.get_by_text(re.compile("^Urgent"))).to_have_count(0)
    auto = client_item(page, practice["late_reply"])
    expect(auto.get_by_text("Automatic reply")).to_be_visible(timeout=ui.SHOW)
    shot(maya, "2-jordan-thread")
    # Silent while in session: the notifier held the push (a count in the database).
    push_service.quiet_for(QUIET, subscription)
    assert push_service.requests(subscription) == [], "a push came while in session"

    # -- 3. The session ends; a template reply -----------------------------------------------------
    ui.end_session(page)
    (released,) = push_service.wait_for(1, subscription)
    assert released.json() == generic_payload(1), released.describe()
    assert my_status(page) is None

    jordan_before = len(phones.received(JORDAN_PHONE))
    send_template(page, "See you then", {"Time": "15:10"})
    reply = client_item(page, SEE_YOU)
    expect(reply).to_be_visible(timeout=ui.SHOW)
    on_phone = phones.wait_for(JORDAN_PHONE, jordan_before, lambda t: t.body == SEE_YOU)
    assert on_phone.link is None
    shot(phones.device, "3-pretend-phone-template")
    # How it went: the console gateway reports each text delivered right after it is sent,
    # through the same path a provider's status callback takes.
    line = reply.get_by_text(re.compile(r"^Delivered to phone$"))
    expect(line).to_be_visible(timeout=ui.SHOW)
    rows = deliveries_of(page, SEE_YOU)
    assert [r["channel"] for r in rows] == ["sms"], rows
    assert rows[0]["purpose"] == "template", rows
    shown = {"sent": "Sent by text", "delivered": "Delivered to phone"}[rows[0]["status"]]
    expect(line).to_have_text(shown)
    shot(maya, "3-template-sent")

    # -- 4. To Sam (no consent): the notice and a link; Sam reads and answers on the page ----------
    open_thread(page, SAM)
    sam_before = len(phones.received(SAM_PHONE))
    ui.compose(page).fill(TO_SAM)
    expect(
        page.get_by_text("It will go as a secure link: the client gets only a notice.")
    ).to_be_visible(timeout=ui.SHOW)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(client_item(page, TO_SAM).get_by_text("Secure link delivered to phone")).to_be_visible(
        timeout=ui.SHOW
    )
    sam_notice = phones.wait_for(SAM_PHONE, sam_before, lambda t: t.link is not None)
    assert sam_notice.body == notice, sam_notice
    tokens_and_codes.append(token_of(sam_notice.link, demo.origin))
    assert all(TO_SAM not in t.body for t in phones.texts(SAM_PHONE))
    shot(phones.device, "4-pretend-phone-sam-notice")

    sam_browser = devices.open("phone", "sam's browser")
    client = sam_browser.page
    assert sam_notice.link is not None
    client.goto(sam_notice.link)
    expect(client.get_by_role("heading", name="Check it's you")).to_be_visible()
    sam_before = len(phones.received(SAM_PHONE))
    client.get_by_role("button", name="Send my code").click()
    expect(client.get_by_role("heading", name="Enter your code")).to_be_visible()
    code_text = phones.wait_for(SAM_PHONE, sam_before, lambda t: CODE_RE.search(t.body))
    code = CODE_RE.search(code_text.body)
    assert code is not None
    tokens_and_codes.append(code.group(1))
    shot(phones.device, "4-pretend-phone-sam-code")
    client.get_by_label("6-digit code").fill(code.group(1))
    client.get_by_role("button", name="Open my messages").click()
    expect(client.get_by_role("heading", name="Your messages")).to_be_visible()
    log = client.get_by_role("log", name="Messages with your care team")
    expect(log).to_contain_text(TO_SAM)
    client.get_by_label("Write to your care team").fill(SAM_ANSWER)
    client.get_by_role("button", name="Send", exact=True).click()
    expect(log).to_contain_text(SAM_ANSWER)
    expect(log.get_by_text("Sending…")).to_have_count(0)  # the server has it
    shot(sam_browser, "4-sam-secure-page")
    close(sam_browser)  # Sam closes the page

    answer = client_item(page, SAM_ANSWER)
    expect(answer.get_by_text("Received on the secure page")).to_be_visible(timeout=ui.SHOW)
    shot(maya, "4-maya-sees-sams-answer")
    # Not in session now: the answer is pushed at once.
    second = push_service.wait_for(2, subscription)[1]
    assert second.json() == generic_payload(1), second.describe()

    # -- 5. Something clinical to Jordan: the warning, and the secure page instead -----------------
    open_thread(page, JORDAN)
    jordan_before = len(phones.received(JORDAN_PHONE))
    ui.compose(page).fill(SERTRALINE)
    warning = page.get_by_role("status").filter(has_text="This reads as clinical")
    expect(warning).to_contain_text("It will be safer through the secure page.", timeout=ui.SHOW)
    shot(maya, "5-clinical-warning")
    warning.get_by_role("button", name="Send through secure page", exact=True).click()
    expect(
        client_item(page, SERTRALINE).get_by_text("Secure link delivered to phone")
    ).to_be_visible(timeout=ui.SHOW)
    expect(warning).to_have_count(0)
    jordan_notice = phones.wait_for(JORDAN_PHONE, jordan_before, lambda t: t.link is not None)
    assert jordan_notice.body == notice, jordan_notice
    tokens_and_codes.append(token_of(jordan_notice.link, demo.origin))
    assert all("sertraline" not in t.body for t in phones.texts(JORDAN_PHONE))
    shot(maya, "5-sent-through-secure-page")
    shot(phones.device, "5-pretend-phone-jordan-notice")

    # -- 6. A crisis, while Maya is in session -----------------------------------------------------
    ui.set_in_session(page, 50)
    assert my_status(page) is not None
    ui.go(page, "Conversations")
    sam_link = ui.conversation_link(page, SAM)
    expect(sam_link).to_be_visible(timeout=ui.SHOW)
    expect(sam_link.get_by_text("Urgent", exact=True)).to_have_count(0)
    pushes_before = len(push_service.requests(subscription))
    assert pushes_before == 2, [r.describe() for r in push_service.requests(subscription)]
    sam_before = len(phones.received(SAM_PHONE))

    started = phones.text_practice(SAM_PHONE, CRISIS)
    reply_seconds, app_seconds = watch_crisis(
        started,
        phones,
        SAM_PHONE,
        sam_before,
        reply=practice["crisis_reply"],
        urgent=sam_link.get_by_text("Urgent", exact=True),
    )
    # What the phone's screen shows (the same page, in the browser).
    crisis_reply = phones.wait_for(
        SAM_PHONE, sam_before, lambda t: t.body == practice["crisis_reply"]
    )
    urgent_push = push_service.wait_for(pushes_before + 1, subscription)[pushes_before]
    push_seconds = urgent_push.received_at - started
    record_measurement("scenario1_crisis_reply_seconds", reply_seconds)
    record_measurement("scenario1_crisis_in_app_seconds", app_seconds)
    record_measurement("scenario1_crisis_push_seconds", push_seconds)
    assert "988" in crisis_reply.body
    assert "911" in crisis_reply.body
    assert reply_seconds <= CRISIS_LIMIT, f"the crisis reply took {reply_seconds:.2f}s"
    assert app_seconds <= CRISIS_LIMIT, f"Maya's app showed it after {app_seconds:.2f}s"
    assert push_seconds <= CRISIS_LIMIT, f"the urgent push took {push_seconds:.2f}s"
    assert urgent_push.json() == generic_payload(1), urgent_push.describe()
    assert my_status(page) is not None, "Maya was no longer in session"
    # One push for the message and its alert together (a device is not told twice).
    push_service.quiet_for(QUIET, subscription)
    assert len(push_service.requests(subscription)) == pushes_before + 1
    shot(phones.device, "6-pretend-phone-crisis-reply")
    shot(maya, "6-maya-urgent-in-list")

    open_thread(page, SAM)
    flagged = client_item(page, CRISIS)
    expect(
        flagged.get_by_text("Urgent: crisis language detected — resources were sent automatically")
    ).to_be_visible(timeout=ui.SHOW)
    expect(flagged.get_by_text("Received by text")).to_be_visible()
    expect(
        client_item(page, practice["crisis_reply"]).get_by_text("Automatic reply")
    ).to_be_visible()
    shot(maya, "6-maya-urgent-thread")

    # -- 7. The phone is stolen: revoked from the laptop -------------------------------------------
    close(phones.device)
    laptop = devices.open("desktop", "maya's laptop")
    ui.sign_in(laptop, DEMO_SLUG, OWNER, demo.password)
    ui.go(laptop.page, "My devices")
    revoke = laptop.page.get_by_role("button", name=re.compile("^Revoke"))
    expect(revoke).to_have_count(1, timeout=ui.SHOW)  # the phone; not this laptop
    shot(laptop, "7-laptop-devices")
    revoked_at = start_revocation(laptop.page, revoke)
    on_screen = [CRISIS, TO_SAM, SAM_ANSWER, practice["crisis_reply"]]
    elapsed = wait_wiped(page, on_screen, revoked_at, give_up=REVOCATION_LIMIT + 3)
    record_measurement("scenario1_revocation_to_wiped_page_seconds", elapsed)
    assert elapsed <= REVOCATION_LIMIT, f"wiped after {elapsed:.2f}s"
    expect(ui.sign_in_button(page)).to_be_visible()
    shot(maya, "7-phone-signed-out")
    expect(revoke).to_have_count(0, timeout=ui.SHOW)

    assert check_generic_pushes(push_service.requests(), tuple(push_service.forbidden)) == []


# -- on the demo at any hour ----------------------------------------------------------------------
@pytest.mark.parametrize(("hour", "minute"), [(9, 20), (16, 5), (23, 5), (23, 58)])
def test_the_demo_answers_jordan_running_late_at_any_hour(
    services: Services, clock: ManualClock, hour: int, minute: int
) -> None:
    """The demo books Jordan for today in the practice's time zone whatever the hour it is
    first run, so that step 2 above gets the running-late reply (it needs an appointment
    today), not the after-hours one, at 11 pm too. A Friday in November (no clock change)."""
    local = datetime(2026, 11, 27, hour, minute, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    clock.set(local.astimezone(UTC))
    seed_demo(services, "a demo password")
    result = services.db.write_sync(
        partial(
            receive_sms,
            lookup_key=services.lookup_key,
            public_origin="http://localhost:8000",
            to_number=DEMO_SMS_NUMBER,
            from_number=JORDAN_PHONE,
            body=LATE,
            provider_ref="test-late",
        )
    )
    assert result is not None
    assert result.replies == ("late_ack",)
