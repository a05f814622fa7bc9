"""Driving the staff web app the way assistive technology sees it: controls by role and
accessible name, as listed under "Labels the tests rely on" in docs/web-app.md."""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Dialog, Error, Locator, Page, Response, expect

from tests.browser.support import Device, words
from tests.conftest import PASSWORD

# One place for how long the app may take to show something (bounded, never a sleep).
SHOW = 5_000  # ms


def marker(label: str) -> str:
    """A unique string to look for (letters only, so no time or count can contain it)."""
    return f"{label}{''.join(secrets.choice(string.ascii_lowercase) for _ in range(10))}"


# -- screens --------------------------------------------------------------------------------
def sign_in_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Sign in", exact=True)


def search_box(page: Page) -> Locator:
    return page.get_by_label("Search conversations", exact=True)


def messages(page: Page) -> Locator:
    return page.get_by_role("log", name="Messages")


def compose(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Message", exact=True)


def conversation_link(page: Page, name: str) -> Locator:
    return page.get_by_role("link", name=words(name))


def pin_box(page: Page) -> Locator:
    return page.get_by_label("PIN", exact=True)


def open_app(device: Device, route: str = "") -> None:
    device.page.goto(device.app_url + route)


def sign_in(device: Device, practice: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form; done when the conversation list shows."""
    page = device.page
    if not page.url.startswith(device.app_url):
        open_app(device)
    expect(sign_in_button(page)).to_be_visible(timeout=SHOW)
    page.get_by_label("Practice code", exact=True).fill(practice)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    sign_in_button(page).click()
    expect(search_box(page)).to_be_visible(timeout=SHOW)


def header(page: Page, role: Any, name: str) -> Locator:
    """A header control, by the start of its accessible name (a control may add its state,
    as "Set status" does). On a narrow screen the menu may be folded behind a "Menu" button:
    unfold it when the control is not visible."""
    control = page.get_by_role(role, name=re.compile(f"^{re.escape(name)}"))
    if not control.is_visible():
        toggle = page.get_by_role("button", name=re.compile(r"^(Open )?menu$", re.IGNORECASE))
        if toggle.count() == 1 and toggle.is_visible():
            toggle.click()
    expect(control).to_be_visible(timeout=SHOW)
    return control


def go(page: Page, link: str) -> None:
    """Follow a header link: "Conversations", "My devices" or "Settings"."""
    header(page, "link", link).click()


def open_conversation(page: Page, name: str) -> None:
    if not conversation_link(page, name).is_visible():
        go(page, "Conversations")
    conversation_link(page, name).click()
    expect(messages(page)).to_be_visible(timeout=SHOW)


def send(page: Page, text: str, *, urgent: bool = False) -> None:
    """Type and send; done when the message shows in the thread."""
    box = compose(page)
    box.fill(text)
    urgent_box = page.get_by_role("checkbox", name="Urgent", exact=True)
    if urgent:
        urgent_box.check()
    elif urgent_box.is_checked():
        urgent_box.uncheck()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(messages(page)).to_contain_text(text, timeout=SHOW)
    expect(box).to_have_value("", timeout=SHOW)


def lock(page: Page) -> None:
    header(page, "button", "Lock").click()
    unlock = page.get_by_role("button", name="Unlock", exact=True)
    passkey = page.get_by_role("button", name="Unlock with passkey", exact=True)
    expect(unlock.or_(passkey).first).to_be_visible(timeout=SHOW)


def choose(page: Page, name: str) -> None:
    """Pick a choice offered as a button, menu item, option or radio button."""
    choice = (
        page.get_by_role("button", name=name, exact=True)
        .or_(page.get_by_role("menuitem", name=name, exact=True))
        .or_(page.get_by_role("menuitemradio", name=name, exact=True))
        .or_(page.get_by_role("option", name=name, exact=True))
        .or_(page.get_by_role("radio", name=name, exact=True))
    )
    choice.first.click()


def answer_to(method: str, path: str) -> Any:
    """A predicate for ``page.expect_response``: the answer to ``method path``."""

    def matches(response: Response) -> bool:
        return response.request.method == method and response.url.split("?")[0].endswith(path)

    return matches


PIN = "482916"


def set_pin(page: Page, pin: str = PIN) -> None:
    """Settings → "New PIN", "Current password", "Save PIN"; done when the server said yes."""
    go(page, "Settings")
    page.get_by_label("New PIN", exact=True).fill(pin)
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    with page.expect_response(answer_to("PUT", "/api/v1/me/pin")) as answer:
        page.get_by_role("button", name="Save PIN", exact=True).click()
    assert answer.value.status in (200, 204), answer.value.text()


def unlock_with_pin(page: Page, pin: str) -> Response:
    """The lock screen's "PIN" and "Unlock"; the server's answer."""
    pin_box(page).fill(pin)
    with page.expect_response(answer_to("POST", "/api/v1/web/unlock")) as answer:
        page.get_by_role("button", name="Unlock", exact=True).click()
    return answer.value


def set_in_session(page: Page, minutes: int = 50) -> None:
    """ "Set status" → "In session for N minutes"; done when the server said yes."""
    header(page, "button", "Set status").click()
    with page.expect_response(answer_to("PUT", "/api/v1/me/status")) as answer:
        choose(page, f"In session for {minutes} minutes")
    assert answer.value.status == 200, answer.value.text()


def end_session(page: Page) -> None:
    """ "End session" (opening the status control first when it is folded)."""
    end = page.get_by_role("button", name="End session", exact=True)
    if not end.is_visible():
        header(page, "button", "Set status").click()
    with page.expect_response(answer_to("DELETE", "/api/v1/me/status")) as answer:
        end.click()
    assert answer.value.status in (200, 204), answer.value.text()


@contextmanager
def accepting_dialogs(page: Page) -> Iterator[None]:
    """Accept native confirm() dialogs meanwhile (Playwright dismisses them otherwise)."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)
    try:
        yield
    finally:
        page.remove_listener("dialog", accept)


def confirm_in_page(page: Page, action: str) -> bool:
    """If the app asks in a dialog of its own, confirm with the button of the same name."""
    button = page.get_by_role("dialog").get_by_role("button", name=re.compile(f"^{action}"))
    if button.count() and button.first.is_visible():
        button.first.click()
        return True
    return False


# -- reading the page ---------------------------------------------------------------------------
def evaluate_retrying(page: Page, script: str, arg: Any = None, timeout: float = 5.0) -> Any:
    """Evaluate, retrying while the page is between documents (a navigation or reload)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return page.evaluate(script, arg)
        except Error as exc:
            if time.monotonic() >= deadline or "context was destroyed" not in str(exc):
                raise
            time.sleep(0.02)


def api_fetch(
    page: Page,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A same-origin request from the page (with its cookie): status, headers and body."""
    result: dict[str, Any] = page.evaluate(
        """async ([method, path, body, extra]) => {
          const init = {method, headers: {...extra}, credentials: 'same-origin'};
          if (body !== null) {
            init.body = JSON.stringify(body);
            init.headers['content-type'] = 'application/json';
          }
          const response = await fetch(path, init);
          const text = await response.text();
          let json = null;
          try { json = JSON.parse(text); } catch (e) { json = null; }
          const headers = Object.fromEntries(response.headers);
          return {status: response.status, headers, json, text};
        }""",
        [method, path, body, headers or {}],
    )
    return result


def csrf_token(page: Page) -> str:
    answer = api_fetch(page, "GET", "/api/v1/web/session")
    assert answer["status"] == 200, answer
    token: str = answer["json"]["csrf_token"]
    return token
