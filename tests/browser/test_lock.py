"""App lock: the lock wipes what was on screen; the PIN and a passkey (Chromium's virtual
authenticator, over CDP) unlock."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import CDPSession, Page, expect

from tests.browser import ui
from tests.browser.seed import Team, content_on_screen
from tests.browser.support import Devices, assert_all_gone


def test_lock_wipes_content_and_the_pin_unlocks(devices: Devices, team: Team) -> None:
    desk = devices.open("desktop")
    page = desk.page
    title, received, sent = content_on_screen(team, desk, team.avery)
    ui.set_pin(page)
    ui.open_conversation(page, title)
    expect(ui.messages(page)).to_contain_text(received, timeout=ui.SHOW)

    ui.lock(page)
    assert page.evaluate("location.hash") == "#/locked"
    assert_all_gone(page, [title, received, sent], "lock")
    locked = ui.api_fetch(page, "GET", "/api/v1/conversations")
    assert locked["status"] == 423, locked
    assert locked["json"]["type"] == "urn:quietline:problem:app-locked"

    wrong = ui.unlock_with_pin(page, "000000")
    assert wrong.status == 401
    expect(ui.pin_box(page)).to_be_visible()
    assert_all_gone(page, [title, received, sent], "a wrong PIN")

    right = ui.unlock_with_pin(page, ui.PIN)
    assert right.status == 204
    expect(ui.pin_box(page)).to_be_hidden(timeout=ui.SHOW)
    ui.open_conversation(page, title)
    expect(ui.messages(page)).to_contain_text(received, timeout=ui.SHOW)
    expect(ui.messages(page)).to_contain_text(sent, timeout=ui.SHOW)


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator with resident keys and user verification (always verified)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator: str = added["authenticatorId"]
    return cdp, authenticator


def credentials(cdp: CDPSession, authenticator: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator}
    )["credentials"]
    return found


def test_a_passkey_is_registered_and_unlocks_the_app(devices: Devices, team: Team) -> None:
    desk = devices.open("desktop")
    page = desk.page
    cdp, authenticator = virtual_authenticator(page)
    ui.sign_in(desk, team.practice.slug, team.blake.email)

    ui.go(page, "Settings")
    page.get_by_label("Passkey name", exact=True).fill("Desk key")
    with page.expect_response(ui.answer_to("POST", "/api/v1/me/passkeys")) as answer:
        page.get_by_role("button", name="Add a passkey", exact=True).click()
    assert answer.value.status == 201, answer.value.text()
    expect(page.get_by_text("Desk key", exact=True)).to_be_visible(timeout=ui.SHOW)
    (credential,) = credentials(cdp, authenticator)
    assert credential["rpId"] == "localhost"
    listed = ui.api_fetch(page, "GET", "/api/v1/me/passkeys")
    assert [p["name"] for p in listed["json"]] == ["Desk key"], listed

    ui.lock(page)
    with page.expect_response(ui.answer_to("POST", "/api/v1/web/unlock")) as unlocked:
        page.get_by_role("button", name="Unlock with passkey", exact=True).click()
    assert unlocked.value.status == 204, unlocked.value.text()
    expect(ui.pin_box(page)).to_be_hidden(timeout=ui.SHOW)
    expect(page.get_by_role("button", name="Unlock with passkey")).to_be_hidden()
    ui.go(page, "Conversations")
    expect(ui.search_box(page)).to_be_visible(timeout=ui.SHOW)
    (used,) = credentials(cdp, authenticator)
    assert used["signCount"] > credential["signCount"], "the passkey was not used"


def _save_pin_with(page: Page, password: str) -> Any:
    """Settings → "New PIN" with ``password`` as the current one; the server's answer."""
    ui.go(page, "Settings")
    page.get_by_label("New PIN", exact=True).fill("482915")
    page.get_by_label("Current password", exact=True).fill(password)
    with page.expect_response(ui.answer_to("PUT", "/api/v1/me/pin")) as answer:
        page.get_by_role("button", name="Save PIN", exact=True).click()
    return answer.value


def test_wrong_passwords_in_settings_count_toward_the_locks_five_tries(
    devices: Devices, team: Team
) -> None:
    """Someone holding an open, unlocked app cannot guess the password through Settings
    without limit: those wrong passwords and wrong PINs at the lock screen share five tries,
    and the fifth signs the device out and wipes the page."""
    desk = devices.open("desktop")
    page = desk.page
    title, received, sent = content_on_screen(team, desk, team.avery)
    ui.set_pin(page)
    for left in (4, 3, 2):
        wrong = _save_pin_with(page, "not the password at all")
        assert wrong.status == 403, wrong.text()
        assert wrong.json()["tries_left"] == left
        expect(page.get_by_text(f"{left} more tries", exact=False).first).to_be_visible(
            timeout=ui.SHOW
        )
    ui.lock(page)
    assert ui.unlock_with_pin(page, "000000").status == 401  # the fourth
    expect(page.get_by_text("1 more try", exact=False).first).to_be_visible(timeout=ui.SHOW)
    expect(ui.pin_box(page)).to_have_value("", timeout=ui.SHOW)  # the page is done with it
    last = ui.unlock_with_pin(page, "000000")
    assert last.status == 401
    assert "signed out" in last.json()["detail"]
    expect(ui.sign_in_button(page)).to_be_visible(timeout=ui.SHOW)
    assert_all_gone(page, [title, received, sent], "the fifth wrong secret")
    assert ui.api_fetch(page, "GET", "/api/v1/web/session")["status"] == 401
