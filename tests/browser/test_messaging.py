"""Two staff on two browsers: messages and receipts arrive live; content is only ever text."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser import ui
from tests.browser.seed import Team
from tests.browser.support import Devices
from tests.conftest import add_staff, sign_in
from tests.live_support import create_direct, create_group, send_message

NO_RELOAD = "window.__sameDocument = true"
SAME_DOCUMENT = "window.__sameDocument === true"


def unread(name: str, count: int) -> re.Pattern[str]:
    """An accessible name with the conversation's name and an unread count (not a time)."""
    return re.compile(rf"{re.escape(name)}.*(?<![\d:.]){count}(?![\d:.])", re.DOTALL)


def test_two_staff_exchange_messages_live_and_see_receipts(devices: Devices, team: Team) -> None:
    avery, blake, slug = team.avery, team.blake, team.practice.slug
    create_direct(team.api(avery), blake.id)
    phone = devices.open("phone", "avery's phone")
    desk = devices.open("desktop", "blake's desk")
    ui.sign_in(phone, slug, avery.email)
    ui.sign_in(desk, slug, blake.email)
    for device in (phone, desk):
        device.page.evaluate(NO_RELOAD)

    ui.open_conversation(phone.page, blake.name)
    hello = ui.marker("hello")
    ui.send(phone.page, hello)

    # Blake's list counts it, live; Avery's phone says it was delivered (Blake's desk is on).
    expect(ui.conversation_link(desk.page, avery.name)).to_have_accessible_name(
        unread(avery.name, 1), timeout=ui.SHOW
    )
    expect(ui.messages(phone.page).get_by_text("Delivered")).to_be_visible(timeout=ui.SHOW)
    expect(ui.messages(phone.page)).not_to_contain_text(f"Seen by {blake.name}")

    # Blake reads it: Avery's screen shows "Seen by Blake ..." without a reload.
    ui.open_conversation(desk.page, avery.name)
    expect(ui.messages(desk.page)).to_contain_text(hello, timeout=ui.SHOW)
    seen_by_blake = re.compile(rf"Seen by {re.escape(blake.name)}\s+\S")
    expect(phone.page.get_by_text(seen_by_blake)).to_be_visible(timeout=ui.SHOW)

    # And back: Blake's reply shows on Avery's open thread, and Blake sees it was read.
    reply = ui.marker("reply")
    ui.send(desk.page, reply)
    expect(ui.messages(phone.page)).to_contain_text(reply, timeout=ui.SHOW)
    seen_by_avery = re.compile(rf"Seen by {re.escape(avery.name)}\s+\S")
    expect(desk.page.get_by_text(seen_by_avery)).to_be_visible(timeout=ui.SHOW)

    for device in (phone, desk):
        assert device.page.evaluate(SAME_DOCUMENT), f"{device.name} reloaded the page"


SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'


def assert_nothing_ran(page: Page, *texts: str) -> None:
    """No payload ran, no element came from the text, and every text shows verbatim."""
    state = page.evaluate(
        """(texts) => ({
          pwned: typeof window.__pwned,
          shown: texts.map((t) => document.body.textContent.includes(t)),
          scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
          handlers: document.querySelectorAll('[onerror], [onload], [onmouseover]').length,
          images: [...document.images].filter((i) => i.getAttribute('src') === 'x').length,
          svgs: document.querySelectorAll('svg[onload]').length,
        })""",
        list(texts),
    )
    assert state == {
        "pwned": "undefined",
        "shown": [True] * len(texts),
        "scripts": 0,
        "handlers": 0,
        "images": 0,
        "svgs": 0,
    }, state


def test_markup_in_messages_titles_and_names_is_shown_as_text(devices: Devices, team: Team) -> None:
    avery, blake, slug = team.avery, team.blake, team.practice.slug
    title = f'{ui.marker("T")} <img src=x onerror="window.__pwned=3">'
    dana_name = f'{ui.marker("D")} <b onmouseover="window.__pwned=5">Dana</b>'
    dana_id = add_staff(team.owner, f"dana@{slug}.test", name=dana_name)
    cid = create_group(team.owner, title, [avery.id, blake.id, dana_id])
    from_api = f'{ui.marker("api")} <svg onload="window.__pwned=4"></svg> {SCRIPT}'
    dana = sign_in(team.http, slug, f"dana@{slug}.test", device="dana api")
    send_message(dana, cid, from_api)

    phone = devices.open("phone", "avery's phone")
    desk = devices.open("desktop", "blake's desk")
    ui.sign_in(phone, slug, avery.email)
    ui.sign_in(desk, slug, blake.email)
    expect(ui.conversation_link(phone.page, title)).to_be_visible(timeout=ui.SHOW)

    typed = f"{ui.marker('typed')} {SCRIPT} {IMG}"
    ui.open_conversation(phone.page, title)
    ui.send(phone.page, typed)
    ui.open_conversation(desk.page, title)

    for device in (phone, desk):
        log = ui.messages(device.page)
        expect(log).to_contain_text(typed, timeout=ui.SHOW)
        expect(log).to_contain_text(from_api, timeout=ui.SHOW)
        expect(log.get_by_text(typed)).to_be_visible()
        expect(device.page.get_by_text(dana_name).first).to_be_visible()
        assert_nothing_ran(device.page, typed, from_api, title, dana_name)
        # The list shows the hostile title as text too.
        ui.go(device.page, "Conversations")
        expect(ui.conversation_link(device.page, title)).to_be_visible(timeout=ui.SHOW)
        assert_nothing_ran(device.page, title)
