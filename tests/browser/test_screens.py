"""The main screens at 360x740 and 1280x800: a screenshot of each (test-artifacts/screenshots/)
and an axe-core check that fails on any serious or critical violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

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
)
from tests.live_support import create_direct, create_group, send_message


class Walk:
    """Screenshots and axe results, screen by screen."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.reports: list[str] = []
        self.screens: list[str] = []

    def check(self, screen: str) -> None:
        page = self.device.page
        screenshot(page, screen, self.device.size)
        self.screens.append(screen)
        found = blocking(run_axe(page))
        if found:
            self.reports.append(describe_violations(f"{screen} @ {self.device.size}", found))


def seed_conversations(team: Team) -> str:
    """A group with a few messages (one urgent, one from Avery) and an unread direct one."""
    avery = team.api(team.avery, "seed")
    title = "Intake coordination"
    cid = create_group(team.owner, title, [team.avery.id, team.blake.id])
    send_message(team.owner, cid, "Room 3 is free from 2 pm for the new intake.")
    send_message(avery, cid, "Thanks, I will take it.")
    send_message(team.owner, cid, "Please call the front desk when you can.", urgent=True)
    direct = create_direct(team.api(team.blake, "seed"), team.avery.id)
    send_message(team.api(team.blake, "seed 2"), direct, "Are we still on for supervision?")
    return title


def wait_settled(page: Page) -> None:
    """Fonts loaded and no pending layout work before a screenshot."""
    page.evaluate("document.fonts.ready.then(() => true)")


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_main_screens_are_accessible(devices: Devices, team: Team, kind: Kind) -> None:
    title = seed_conversations(team)
    device = devices.open(kind)
    page = device.page
    walk = Walk(device)

    ui.open_app(device)
    expect(ui.sign_in_button(page)).to_be_visible(timeout=ui.SHOW)
    wait_settled(page)
    walk.check("sign-in")

    ui.sign_in(device, team.practice.slug, team.avery.email)
    expect(ui.conversation_link(page, title)).to_be_visible(timeout=ui.SHOW)
    wait_settled(page)
    walk.check("list")

    ui.open_conversation(page, title)
    ui.send(page, "I can cover the 4 pm slot today.")
    expect(page.get_by_text(re.compile("Delivered|Seen by")).first).to_be_visible(timeout=ui.SHOW)
    walk.check("thread")

    ui.go(page, "My devices")
    expect(page.get_by_text(re.compile("^Last used")).first).to_be_visible(timeout=ui.SHOW)
    walk.check("devices")

    ui.go(page, "Settings")
    expect(page.get_by_label("New PIN", exact=True)).to_be_visible(timeout=ui.SHOW)
    walk.check("settings")

    ui.set_pin(page)
    ui.lock(page)
    walk.check("lock")

    assert walk.screens == ["sign-in", "list", "thread", "devices", "settings", "lock"]
    if walk.reports:
        pytest.fail(
            "axe found serious or critical violations:\n" + "\n".join(walk.reports), pytrace=False
        )
