"""The secure client page in real headless Chromium at phone size (360x740).

The server sends its SMS through the Twilio gateway to the local stand-in provider
(``tests/fake_sms_provider.py``): the client's "phone" is what that provider received. Staff
write through the API; the notice brings the link; the page asks for a code, the client types
it, reads, replies; staff see the reply; signing out leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import Page, Route, expect

from quietline.actions.client_access import client_seen
from quietline.config import Settings
from quietline.domain.audit import AuditKind
from tests.browser.support import (
    Device,
    Devices,
    assert_all_gone,
    blocking,
    describe_violations,
    run_axe,
    screenshot,
    wait_until,
)
from tests.conftest import Api, LiveServer, PracticeHandle
from tests.fake_sms_provider import FakeSmsProvider, SentSms, twilio_settings

LINK_RE = re.compile(r"/c/#(qlc_[A-Za-z0-9_-]+)")
CODE_RE = re.compile(r"code for the secure page: (\d{6})")
PHONE = "+12025550147"


def marker(label: str) -> str:
    return f"QlClient{label}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fake_sms_provider() -> Iterator[FakeSmsProvider]:
    with FakeSmsProvider() as provider:
        yield provider


@pytest.fixture
def settings(settings: Settings, fake_sms_provider: FakeSmsProvider, tmp_path: Path) -> Settings:
    """The browser tests' settings, with SMS to the stand-in provider."""
    return twilio_settings(settings, fake_sms_provider, tmp_path / "twilio-token")


class ClientPhone:
    """The client's phone: the texts the stand-in provider accepted for one number."""

    def __init__(self, provider: FakeSmsProvider, number: str) -> None:
        self.provider = provider
        self.number = number
        self.read = 0

    def _next(self, pattern: re.Pattern[str]) -> str:
        def found() -> str | None:
            mine = [m for m in self.provider.messages if m.to == self.number]
            for message in mine[self.read :]:
                self.read += 1
                hit = pattern.search(message.body)
                if hit:
                    return hit.group(1)
            return None

        value = wait_until(found, timeout=10)
        assert value, f"no text matching {pattern.pattern} reached {self.number}"
        return str(value)

    def link_token(self) -> str:
        return self._next(LINK_RE)

    def code(self) -> str:
        return self._next(CODE_RE)

    def texts(self) -> list[SentSms]:
        return [m for m in self.provider.messages if m.to == self.number]


def add_client(owner: Api, name: str) -> dict[str, Any]:
    response = owner.post("/clients", {"name": name, "phone": PHONE})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def write_to_client(owner: Api, conversation_id: str, text: str) -> None:
    response = owner.post(
        f"/conversations/{conversation_id}/client-messages",
        {"text": text, "idempotency_key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


def audit_kinds(live: LiveServer, practice: PracticeHandle, kind: AuditKind) -> list[Any]:
    return live.services.db.read_sync(
        lambda unit: unit.audit_log.query(practice.id, kinds=[kind.value], limit=100)
    )


def check_axe(page: Page, screen: str) -> None:
    found = blocking(run_axe(page))
    if found:
        pytest.fail(
            "axe found serious or critical violations:\n" + describe_violations(screen, found),
            pytrace=False,
        )


def open_and_verify(device: Device, token: str, phone: ClientPhone) -> None:
    page = device.page
    page.goto(f"{device.origin}/c/#{token}")
    expect(page.get_by_role("heading", name="Check it's you")).to_be_visible()
    # The token left the address bar (and the history entry) at once.
    assert page.evaluate("location.hash") == ""
    assert token not in page.url
    page.get_by_role("button", name="Send my code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("6-digit code").fill(phone.code())
    page.get_by_role("button", name="Open my messages").click()
    expect(page.get_by_role("heading", name="Your messages")).to_be_visible()


def test_a_client_reads_and_replies_on_the_phone_sized_page(
    devices: Devices,
    live_server: LiveServer,
    practice: PracticeHandle,
    owner: Api,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    person = add_client(owner, "Jordan Phone")
    thread_id = person["conversation_id"]
    staff_text = marker("FromTeam")
    write_to_client(owner, thread_id, f"Hi Jordan, {staff_text}")
    phone = ClientPhone(fake_sms_provider, PHONE)
    token = phone.link_token()
    assert all(staff_text not in m.body for m in phone.texts())  # no consent: notice only

    device = devices.open("phone", "client phone")
    page = device.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{device.origin}/c/#{token}")
    expect(page.get_by_role("heading", name="Check it's you")).to_be_visible()
    expect(page.locator("#practice-name")).to_have_text("Practice riverbend")
    assert page.evaluate("location.hash") == ""
    expect(page.get_by_text("text to •••• 0147")).to_be_visible()
    check_axe(page, "client-page-send-code")
    screenshot(page, "client-page-send-code", device.size)

    page.get_by_role("button", name="Send my code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_text("We sent your code by text to •••• 0147.")).to_be_visible()
    code = phone.code()
    page.get_by_label("6-digit code").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Open my messages").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    check_axe(page, "client-page-verify")
    screenshot(page, "client-page-verify", device.size)
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Open my messages").click()

    expect(page.get_by_role("heading", name="Your messages")).to_be_visible()
    log = page.get_by_role("log", name="Messages with your care team")
    expect(log).to_contain_text(staff_text)
    expect(log).to_contain_text("From Owner, your care team")

    reply = marker("Reply")
    page.get_by_label("Write to your care team").fill(f"See you Tuesday {reply}")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(log.locator("li.mine")).to_contain_text(reply)
    expect(log.locator("li.mine")).to_contain_text("From you")

    def reply_in_staff_thread() -> dict[str, Any] | None:
        answer = owner.get(f"/conversations/{thread_id}/messages")
        assert answer.status_code == 200, answer.text
        return next((m for m in answer.json()["messages"] if reply in m["body"]), None)

    landed = wait_until(reply_in_staff_thread, timeout=5)
    assert landed, "the reply did not reach the staff thread"
    assert landed["sender_client_id"] == person["id"]
    assert landed["channel"] == "page"

    later = marker("Later")
    write_to_client(owner, thread_id, f"Got it. {later}")
    expect(log).to_contain_text(later, timeout=10_000)  # the page polls while visible

    check_axe(page, "client-page-thread")
    screenshot(page, "client-page-thread", device.size)
    assert_tap_targets(page)

    # Nothing the server saw in a URL carries the token; nothing is stored in the browser.
    assert not [u for u in requests if token in u]
    assert device.context.cookies()[0]["httpOnly"] is True
    seen = wait_until(
        lambda: (
            live_server.services.db.read_sync(
                lambda unit: client_seen(unit, practice.id, UUID(person["id"]))
            )[0]
            > 0
        )
    )
    assert seen, "the page did not mark the thread seen"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    screenshot(page, "client-page-signed-out", device.size)
    assert_all_gone(page, [staff_text, reply, later, code, token], "signing out")
    assert device.context.cookies() == []
    signed_out = audit_kinds(live_server, practice, AuditKind.CLIENT_PAGE_SIGNED_OUT)
    assert [e.details["reason"] for e in signed_out] == ["signed_out"]
    views = audit_kinds(live_server, practice, AuditKind.CLIENT_PAGE_VIEWED)
    assert views, "the page's views were not audited"


def assert_tap_targets(page: Page) -> None:
    """Every button and field on the thread screen is at least 44 px tall (48 for buttons)."""
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll(
               '#screen-thread button, #screen-thread textarea, header button'))
             .filter((e) => e.offsetParent !== null)
             .map((e) => [e.textContent.trim() || e.id, e.getBoundingClientRect().height])"""
    )
    assert sizes
    small = [(name, h) for name, h in sizes if h < 44]
    assert small == [], small


def test_a_send_whose_answer_was_lost_is_retried_once_with_the_same_key(
    devices: Devices,
    owner: Api,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    """The server stored the reply but the answer never reached the phone: the page shows
    the failure with "Try again", and the retry (same idempotency key) stores nothing twice."""
    person = add_client(owner, "Rory Retry")
    write_to_client(owner, person["conversation_id"], "Let us know")
    phone = ClientPhone(fake_sms_provider, PHONE)
    device = devices.open("phone", "client phone")
    open_and_verify(device, phone.link_token(), phone)
    page = device.page
    keys: list[str] = []
    page.on(
        "request",
        lambda r: (
            keys.append(json.loads(r.post_data or "{}")["idempotency_key"])
            if r.url.endswith("/client-api/messages")
            else None
        ),
    )

    def lose_the_answer(route: Route) -> None:
        route.fetch()  # the server gets it and stores it...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/client-api/messages", lose_the_answer)
    reply = marker("Retry")
    page.get_by_label("Write to your care team").fill(reply)
    page.get_by_role("button", name="Send", exact=True).click()
    failed = page.locator("li.mine.failed")
    expect(failed).to_contain_text("Not sent.")
    expect(failed).to_contain_text(reply)
    page.unroute("**/client-api/messages")
    failed.get_by_role("button", name="Try again").click()
    mine = page.get_by_role("log").locator("li.mine")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(reply)
    expect(page.locator("li.failed")).to_have_count(0)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    answer = owner.get(f"/conversations/{person['conversation_id']}/messages")
    assert [m["body"] for m in answer.json()["messages"]].count(reply) == 1


def test_closing_the_page_ends_the_session(
    devices: Devices,
    live_server: LiveServer,
    practice: PracticeHandle,
    owner: Api,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    person = add_client(owner, "Casey Close")
    write_to_client(owner, person["conversation_id"], "A note for you")
    phone = ClientPhone(fake_sms_provider, PHONE)
    device = devices.open("phone", "client phone")
    open_and_verify(device, phone.link_token(), phone)
    device.page.goto("about:blank")  # leaving the page: pagehide sends the sign-out beacon

    def closed() -> list[Any]:
        entries = audit_kinds(live_server, practice, AuditKind.CLIENT_PAGE_SIGNED_OUT)
        return [e for e in entries if e.details["reason"] == "page_closed"]

    assert wait_until(closed, timeout=5), "closing the page did not end the session"


def test_the_page_signs_out_after_the_idle_time_with_a_notice(
    devices: Devices,
    live_server: LiveServer,
    practice: PracticeHandle,
    owner: Api,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    person = add_client(owner, "Ida Idle")
    secret = marker("Idle")
    write_to_client(owner, person["conversation_id"], secret)
    phone = ClientPhone(fake_sms_provider, PHONE)
    device = devices.open("phone", "client phone")
    device.page.clock.install()
    open_and_verify(device, phone.link_token(), phone)
    page = device.page
    expect(page.get_by_role("log")).to_contain_text(secret)
    page.clock.fast_forward("09:10")
    expect(page.get_by_role("alert")).to_contain_text("signed out in a minute")
    page.clock.fast_forward("01:00")
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    expect(page.locator("#signed-out-text")).to_contain_text("10 minutes without activity")
    assert_all_gone(page, [secret], "the idle sign-out")

    def ended() -> list[Any]:
        entries = audit_kinds(live_server, practice, AuditKind.CLIENT_PAGE_SIGNED_OUT)
        return [e for e in entries if e.details["reason"] == "idle"]

    assert wait_until(ended, timeout=5), "the idle sign-out did not reach the server"


def test_an_expired_link_says_so_on_the_page(
    devices: Devices,
    live_server: LiveServer,
    owner: Api,
    fake_sms_provider: FakeSmsProvider,
) -> None:
    person = add_client(owner, "Eli Expired")
    write_to_client(owner, person["conversation_id"], "Hello")
    token = ClientPhone(fake_sms_provider, PHONE).link_token()
    clock: Any = live_server.services.clock
    clock.advance(timedelta(hours=73))
    device = devices.open("phone", "client phone")
    device.page.goto(f"{device.origin}/c/#{token}")
    expect(device.page.locator("#problem-text")).to_have_text(
        "This link has expired. Reply to the text or call the office for a new one."
    )
    check_axe(device.page, "client-page-expired")
    screenshot(device.page, "client-page-expired", device.size)
