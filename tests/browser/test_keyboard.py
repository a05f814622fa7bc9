"""The main flow by keyboard alone on a desktop (1280x800): sign in, open a conversation, send
(Enter) and write on two lines (Shift+Enter), open and close the status panel (Escape). The
mouse is never used, and wherever focus lands it can be seen: the focused control is on screen,
not covered, and drawn with an outline or a box-shadow."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, Request, expect

from tests.browser import ui
from tests.browser.seed import Team
from tests.browser.support import Devices, wait_until
from tests.conftest import PASSWORD
from tests.live_support import create_direct, history

MAX_TABS = 60  # more Tab presses than any screen here has controls

# What the person sees of the focused element (None: focus is on the page itself).
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  const label = el.getAttribute('aria-label')
    || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent || '';
  return {
    what: `${el.tagName.toLowerCase()} "${label.trim().replace(/\\s+/g, ' ').slice(0, 50)}"`,
    tabbable: el.tabIndex >= 0,
    focusVisible: el.matches(':focus-visible'),
    sized: r.width >= 1 && r.height >= 1,
    onScreen: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth,
    onTop: hit !== null && (hit === el || el.contains(hit)),
    hidden: s.visibility !== 'visible' || Number(s.opacity) < 0.5,
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
      ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : null,
    boxShadow: s.boxShadow !== 'none' ? s.boxShadow : null,
  };
}"""


def focus_problems(page: Page) -> tuple[str, list[str]]:
    """The focused element, and what keeps it from being seen (empty: it can be seen).

    A control in the tab order must also draw a focus indicator. An element out of the tab
    order (``tabindex="-1"``: a heading the app moves focus to after a change of screen, so a
    screen reader reads it) only has to be on screen."""
    info: dict[str, Any] | None = page.evaluate(FOCUS)
    if info is None:
        return "the page", []
    problems = []
    if info["tabbable"] and not info["focusVisible"]:
        problems.append("not :focus-visible")
    if not info["sized"] or info["hidden"]:
        problems.append("not rendered (no size, hidden or transparent)")
    if not info["onScreen"]:
        problems.append("not entirely inside the viewport")
    if not info["onTop"]:
        problems.append("covered by another element")
    if info["tabbable"] and info["outline"] is None and info["boxShadow"] is None:
        problems.append("no focus indicator (outline and box-shadow are both none)")
    return str(info["what"]), problems


class Keyboard:
    """Key presses, each followed by a check that the focused control can be seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.visited: list[str] = []

    def press(self, key: str, *, check: bool = True) -> str:
        """Press ``key``; unless told not to (the key starts a change of screen: check once
        it has happened), check the focused element."""
        self.page.keyboard.press(key)
        return self.check(key) if check else ""

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def check(self, after: str) -> str:
        what, problems = focus_problems(self.page)
        assert not problems, f"after {after}, the focused {what} cannot be seen: {problems}"
        self.visited.append(what)
        return what

    def tab_to(self, target: Any, key: str = "Tab") -> None:
        """Press Tab (or Shift+Tab) until ``target`` (a locator) has focus."""
        for _ in range(MAX_TABS):
            self.press(key)
            if target.evaluate("(el) => el === document.activeElement"):
                return
        raise AssertionError(f"{key} x{MAX_TABS} never reached {target}; went: {self.visited}")


def sent_texts(requests: list[Request]) -> list[str]:
    """The texts of the message POSTs among ``requests``, in order."""
    texts = []
    for r in requests:
        if r.method == "POST" and re.search(r"/api/v1/conversations/[^/]+/messages$", r.url):
            body = r.post_data_json
            assert isinstance(body, dict), r.post_data
            texts.append(str(body["body"]))
    return texts


def test_main_flow_by_keyboard_alone(devices: Devices, team: Team) -> None:
    avery, blake, slug = team.avery, team.blake, team.practice.slug
    blakes_api = team.api(blake)
    cid = create_direct(blakes_api, avery.id)
    desk = devices.open("desktop", "avery's desk")
    page = desk.page
    requests: list[Request] = []

    def record(request: Request) -> None:  # (Playwright cannot take list.append itself)
        requests.append(request)

    page.on("request", record)
    keys = Keyboard(page)

    # Sign in: the first field has focus, Tab moves between fields, Enter submits.
    ui.open_app(desk)
    expect(ui.sign_in_button(page)).to_be_visible(timeout=ui.SHOW)
    for label, value in (("Practice code", slug), ("Email", avery.email)):
        expect(page.get_by_label(label, exact=True)).to_be_focused(timeout=ui.SHOW)
        keys.check(f"focus on {label}")
        keys.type(value)
        keys.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    keys.type(PASSWORD)
    keys.press("Enter", check=False)
    expect(ui.search_box(page)).to_be_visible(timeout=ui.SHOW)
    expect(page.get_by_role("heading", name="Conversations")).to_be_focused(timeout=ui.SHOW)
    keys.check("signing in")

    # Open the conversation from the list: Tab to its link, Enter.
    link = ui.conversation_link(page, blake.name)
    expect(link).to_be_visible(timeout=ui.SHOW)
    keys.tab_to(link)
    keys.press("Enter", check=False)
    expect(page).to_have_url(re.compile(rf"#/c/{cid}$"), timeout=ui.SHOW)
    box = ui.compose(page)
    expect(box).to_be_focused(timeout=ui.SHOW)  # on a desktop the thread opens in the box
    keys.check("opening the conversation")

    # Enter sends: the message shows, the box is empty and keeps focus, the server has it.
    one_line = ui.marker("enter")
    keys.type(one_line)
    keys.press("Enter")
    expect(ui.messages(page)).to_contain_text(one_line, timeout=ui.SHOW)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    stored = wait_until(lambda: [m for m in history(blakes_api, cid) if m["body"] == one_line])
    assert len(stored) == 1, f"the server does not have the message once: {stored}"

    # Shift+Enter starts a new line and sends nothing; Enter then sends both lines as one.
    first, second = ui.marker("first"), ui.marker("second")
    keys.type(first)
    keys.press("Shift+Enter")
    expect(box).to_have_value(f"{first}\n")
    assert sent_texts(requests) == [one_line]
    keys.type(second)
    keys.press("Enter")
    expect(box).to_have_value("")
    two_lines = f"{first}\n{second}"
    shown = ui.messages(page).get_by_role("listitem").filter(has_text=first)
    expect(shown).to_have_count(1, timeout=ui.SHOW)
    assert two_lines in shown.inner_text(), "the message is not shown on two lines"
    stored = wait_until(lambda: [m for m in history(blakes_api, cid) if m["body"] == two_lines])
    assert len(stored) == 1, f"the server does not have the two-line message once: {stored}"
    assert sent_texts(requests) == [one_line, two_lines]

    # The status panel opens from the keyboard and Escape closes it, focus back on its button.
    status = page.get_by_role("button", name=re.compile(r"^Set status"))
    keys.tab_to(status, "Shift+Tab")
    expect(status).to_have_attribute("aria-expanded", "false")
    keys.press("Enter")
    choice = page.get_by_role("button", name="In session for 50 minutes", exact=True)
    expect(choice).to_be_visible(timeout=ui.SHOW)
    expect(status).to_have_attribute("aria-expanded", "true")
    focused = keys.check("opening the status panel")
    assert "In session for" in focused, f"focus is not in the panel but on {focused}"
    keys.press("Escape")
    expect(choice).to_be_hidden(timeout=ui.SHOW)
    expect(status).to_have_attribute("aria-expanded", "false")
    expect(status).to_be_focused()
    keys.check("Escape")
    expect(status).to_have_accessible_name(re.compile(r"Available$"))
    assert not [r for r in requests if r.url.endswith("/api/v1/me/status")], "status changed"

    # One lap of the whole page (header, list, thread, compose and round again): every
    # control that Tab reaches can be seen when it has focus.
    lap_start = len(keys.visited)
    keys.tab_to(status)
    lap = keys.visited[lap_start:]
    for control in ("Skip to main content", "Conversations", "My devices", "Sign out", "Send"):
        assert any(control in what for what in lap), f"Tab never reached {control}: {lap}"
