"""A send that fails stays on screen, marked "Not sent", with "Retry"; the retry reuses the
send's idempotency key, so the server never has the message twice, even when the first
attempt did reach it and only its answer was lost.

The page learns of its own message twice: from the answer to its POST and from the WebSocket
(the live copy). When the answer is lost, the order of the two matters, so the tests fix it:
the live copy is held back until the page has seen the failure, or the failure waits until the
page has shown the live copy.

(Playwright's sync API runs route and event handlers only while the test is in a Playwright
call: the tests wait on the page before they look at what the handlers recorded.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Locator, Page, Request, Route, WebSocketRoute, expect

from tests.browser import ui
from tests.browser.seed import Team
from tests.browser.support import Device, Devices, wait_until
from tests.conftest import Api
from tests.live_support import create_direct, history

SENDS = "**/api/v1/conversations/*/messages"
SEND_PATH = re.compile(r"/api/v1/conversations/[^/?]+/messages$")
SOCKET = "**/api/v1/ws"


def is_send(request: Request) -> bool:
    return request.method == "POST" and bool(SEND_PATH.search(request.url.split("?")[0]))


@dataclass
class Sends:
    """Every message POST the page makes (request bodies, as JSON), and the answers the
    server gave to attempts that reached it behind the page's back."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def record(self, request: Request) -> None:
        if is_send(request):
            body = request.post_data_json
            assert isinstance(body, dict), request.post_data
            self.bodies.append(body)

    def of(self, text: str) -> list[dict[str, Any]]:
        return [b for b in self.bodies if b["body"] == text]


def fail_first_send(
    sends: Sends, *, reach_server: bool, before_failing: Callable[[], None] | None = None
) -> Callable[[Route], None]:
    """A route handler: the first message POST fails for the page (a network error). With
    ``reach_server`` the server gets it and answers first (the answer is then lost), and
    ``before_failing`` runs between the answer and the failure."""
    done: list[bool] = []

    def handle(route: Route) -> None:
        if route.request.method != "POST" or done:
            route.fallback()
            return
        done.append(True)
        if reach_server:
            sends.answers.append(route.fetch().status)
        if before_failing is not None:
            before_failing()
        route.abort("internetdisconnected")

    return handle


class LiveCopies:
    """Stands between the page and the WebSocket; while holding, keeps back every frame from
    the server that mentions ``text`` (the live copy of that message)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.holding = True
        self.held: list[str | bytes] = []
        self.routes: list[WebSocketRoute] = []

    def handle(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.routes.append(ws)

        def from_server(frame: str | bytes) -> None:
            text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
            if self.holding and self.text in text:
                self.held.append(frame)
            else:
                ws.send(frame)

        server.on_message(from_server)  # (frames from the page still go straight through)

    def release(self) -> None:
        self.holding = False
        for frame in self.held:
            self.routes[-1].send(frame)


def open_thread(
    devices: Devices, team: Team, setup: Callable[[Page], None] | None = None
) -> tuple[Device, Api, str, Sends]:
    """Avery's desk (``setup`` runs before the app loads), in the direct conversation with
    Blake; Blake's API, to read what the server has; the conversation id; the recorder of
    message POSTs."""
    blake = team.api(team.blake)
    cid = create_direct(blake, team.avery.id)
    desk = devices.open("desktop", "avery's desk")
    if setup is not None:
        setup(desk.page)
    ui.sign_in(desk, team.practice.slug, team.avery.email)
    ui.open_conversation(desk.page, team.blake.name)
    sends = Sends()
    desk.page.on("request", sends.record)
    return desk, blake, cid, sends


def rows(page: Page, text: str) -> Locator:
    """The thread's rows with ``text`` (the message, sent or not)."""
    return ui.messages(page).get_by_role("listitem").filter(has_text=text)


def type_and_send(page: Page, text: str) -> None:
    ui.compose(page).fill(text)
    page.get_by_role("button", name="Send", exact=True).click()


def stored(api: Api, cid: str, text: str) -> list[dict[str, Any]]:
    return [m for m in history(api, cid) if m["body"] == text]


def expect_failed(page: Page, text: str) -> Locator:
    """The message shows once, as not sent, with Retry and Discard; the Retry button."""
    row = rows(page, text)
    retry = row.get_by_role("button", name="Retry", exact=True)
    expect(retry).to_be_visible(timeout=ui.SHOW)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Not sent")
    expect(row.get_by_role("button", name="Discard", exact=True)).to_be_visible()
    return retry


def expect_sent_once(page: Page, api: Api, cid: str, text: str) -> None:
    """The page shows the message once, as sent (its own message's "Recall" is there); the
    server has it exactly once."""
    row = rows(page, text)
    expect(row.get_by_role("button", name="Recall", exact=True)).to_be_visible(timeout=ui.SHOW)
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("Not sent")
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    assert wait_until(lambda: stored(api, cid, text)), "the server does not have the message"
    assert len(stored(api, cid, text)) == 1, "the server has the message more than once"


def expect_one_key(sends: Sends, text: str) -> None:
    posted = sends.of(text)
    assert len(posted) == 2, f"expected the first attempt and one retry: {posted}"
    keys = {b["idempotency_key"] for b in posted}
    assert len(keys) == 1, f"the retry did not reuse the idempotency key: {keys}"


def test_a_failed_send_stays_with_retry_and_the_retry_reuses_its_key(
    devices: Devices, team: Team
) -> None:
    desk, blake, cid, sends = open_thread(devices, team)
    page = desk.page
    handler = fail_first_send(sends, reach_server=False)
    page.route(SENDS, handler)

    text = ui.marker("retry")
    type_and_send(page, text)
    retry = expect_failed(page, text)
    assert stored(blake, cid, text) == [], "the failed attempt reached the server"
    assert len(sends.of(text)) == 1, sends.bodies

    page.unroute(SENDS, handler)
    retry.click()
    expect_sent_once(page, blake, cid, text)
    expect_one_key(sends, text)


def test_retrying_a_send_whose_answer_was_lost_does_not_send_it_twice(
    devices: Devices, team: Team
) -> None:
    """The first attempt reached the server; the page saw a failure, and the live copy came
    only after that (as after a dropped connection)."""
    text = ui.marker("lost")
    live = LiveCopies(text)
    desk, blake, cid, sends = open_thread(
        devices, team, lambda page: page.route_web_socket(SOCKET, live.handle)
    )
    page = desk.page
    handler = fail_first_send(sends, reach_server=True)
    page.route(SENDS, handler)

    type_and_send(page, text)
    retry = expect_failed(page, text)
    assert sends.answers == [201], "the first attempt did not reach the server"
    assert len(stored(blake, cid, text)) == 1
    assert len(live.held) == 1, "the live copy was not held back"

    live.release()
    page.unroute(SENDS, handler)
    retry.click()
    expect_sent_once(page, blake, cid, text)
    expect_one_key(sends, text)


def test_a_send_whose_live_copy_came_before_the_lost_answer_shows_as_sent(
    devices: Devices, team: Team
) -> None:
    """The first attempt reached the server and its live copy was on screen before the page
    saw the failure: it was sent, so the page shows it once, as sent, never as "Not sent"."""
    desk, blake, cid, sends = open_thread(devices, team)
    page = desk.page
    text = ui.marker("early")
    live_copy = rows(page, text).get_by_role("button", name="Recall", exact=True)

    def wait_for_live_copy() -> None:
        live_copy.wait_for(state="visible", timeout=ui.SHOW)

    page.route(SENDS, fail_first_send(sends, reach_server=True, before_failing=wait_for_live_copy))
    with page.expect_event("requestfailed", is_send, timeout=ui.SHOW):
        type_and_send(page, text)
    # The failure has reached the page; let its handlers run (two turns of the event loop).
    page.evaluate("() => new Promise((done) => setTimeout(() => setTimeout(done, 50), 0))")
    assert sends.answers == [201], "the first attempt did not reach the server"

    expect_sent_once(page, blake, cid, text)
    assert len(sends.of(text)) == 1, "the page sent it again by itself"
