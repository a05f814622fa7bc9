"""What the browser is told: security headers, the session cookie, CSRF and WebSocket origin
rules, and what the service worker keeps (the app shell only)."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Response, expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from quietline.web import STATIC_DIR
from tests.browser import ui
from tests.browser.seed import Team, content_on_screen
from tests.browser.support import Device, Devices, read_storage
from tests.conftest import LiveServer

CSRF_PROBLEM = "urn:quietline:problem:csrf"
FOREIGN = "http://evil.example"


def csp_directives(header: str | None) -> dict[str, list[str]]:
    assert header, "no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        if name:
            directives[name.lower()] = values
    return directives


def assert_no_store(response: Response) -> None:
    cache = response.header_value("cache-control") or ""
    assert "no-store" in cache, f"{response.url}: Cache-Control {cache!r}"


def assert_strict_csp(response: Response, *, app_page: bool) -> None:
    header = response.header_value("content-security-policy")
    directives = csp_directives(header)
    assert "'unsafe-inline'" not in (header or ""), f"{response.url}: {header}"
    assert "'unsafe-eval'" not in (header or ""), f"{response.url}: {header}"
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{response.url}: no script-src or default-src: {header}"
    assert "*" not in scripts, f"{response.url}: {header}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{response.url}: {header}"
    if app_page:
        assert directives.get("require-trusted-types-for") == ["'script'"], header
        assert directives.get("object-src", directives.get("default-src")) == ["'none'"], header


def test_headers_on_the_app_page_and_api_answers(devices: Devices, team: Team) -> None:
    desk = devices.open("desktop")
    page = desk.page
    api_answers: list[Response] = []
    page.on("response", lambda r: api_answers.append(r) if "/api/v1/" in r.url else None)

    shell = page.goto(desk.app_url)
    assert shell is not None
    assert shell.status == 200
    assert "text/html" in (shell.header_value("content-type") or "")
    assert_strict_csp(shell, app_page=True)
    assert_no_store(shell)
    assert shell.header_value("x-content-type-options") == "nosniff"

    content_on_screen(team, desk, team.avery)
    ui.go(page, "My devices")
    expect(page.get_by_text(re.compile("^Last used")).first).to_be_visible(timeout=ui.SHOW)
    paths = {urlsplit(r.url).path for r in api_answers}
    assert "/api/v1/web/sign-in" in paths, paths
    for answer in api_answers:
        assert_strict_csp(answer, app_page=False)
        assert_no_store(answer)


def test_the_session_cookie_is_http_only_and_same_site_strict(devices: Devices, team: Team) -> None:
    desk = devices.open("desktop")
    page = desk.page
    ui.open_app(desk)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/web/sign-in")) as answer:
        ui.sign_in(desk, team.practice.slug, team.avery.email)
    assert answer.value.status == 200
    set_cookies = [
        h["value"] for h in answer.value.headers_array() if h["name"].lower() == "set-cookie"
    ]
    (session_cookie,) = [c for c in set_cookies if c.startswith("quietline=")]
    flags = {part.strip().lower() for part in session_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags, session_cookie
    assert "csrf" not in session_cookie.lower()

    (cookie,) = [c for c in desk.context.cookies() if c["name"] == "quietline"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert "quietline" not in page.evaluate("document.cookie")


def test_a_cookie_write_needs_the_csrf_token_and_the_same_origin(
    devices: Devices, team: Team, live_server: LiveServer
) -> None:
    desk = devices.open("desktop")
    page = desk.page
    ui.sign_in(desk, team.practice.slug, team.avery.email)
    status = {"minutes": 50}

    missing = ui.api_fetch(page, "PUT", "/api/v1/me/status", status)
    assert missing["status"] == 403, missing
    assert missing["json"]["type"] == CSRF_PROBLEM
    wrong = ui.api_fetch(page, "PUT", "/api/v1/me/status", status, {"X-CSRF-Token": "nope"})
    assert wrong["status"] == 403, wrong
    assert wrong["json"]["type"] == CSRF_PROBLEM

    token = ui.csrf_token(page)
    # The right token, but from another site: refused as well.
    cookie = next(c for c in desk.context.cookies() if c["name"] == "quietline")
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as http:
        foreign = http.put(
            "/api/v1/me/status",
            json=status,
            headers={
                "cookie": f"quietline={cookie['value']}",
                "x-csrf-token": token,
                "origin": FOREIGN,
                "sec-fetch-site": "cross-site",
            },
        )
    assert foreign.status_code == 403, foreign.text
    assert foreign.json()["type"] == CSRF_PROBLEM

    allowed = ui.api_fetch(page, "PUT", "/api/v1/me/status", status, {"X-CSRF-Token": token})
    assert allowed["status"] == 200, allowed
    assert allowed["json"]["in_session_until"]
    ended = ui.api_fetch(page, "DELETE", "/api/v1/me/status", None, {"X-CSRF-Token": token})
    assert ended["status"] in (200, 204), ended


def _socket_frames(url: str, origin: str, cookie: str) -> list[dict[str, object]] | int:
    """Connect with the session cookie and ``origin``, send the auth frame: the frames up to
    ``ready`` or the close, or the HTTP status when the handshake itself is refused."""
    try:
        ws = connect(
            url,
            origin=Origin(origin),
            additional_headers={"cookie": cookie},
            proxy=None,
            open_timeout=5,
            close_timeout=2,
            legacy=True,
        )
    except InvalidStatus as refused:
        return refused.response.status_code
    frames: list[dict[str, object]] = []
    with ws:
        try:
            ws.send(json.dumps({"type": "auth"}))
            for _ in range(20):
                frame = json.loads(ws.recv(timeout=5))
                frames.append(frame)
                if frame.get("type") == "ready":
                    break
        except (ConnectionClosed, TimeoutError):
            pass
    return frames


def test_the_websocket_refuses_a_foreign_origin(
    devices: Devices, team: Team, app_origin: str
) -> None:
    desk = devices.open("desktop")
    ui.sign_in(desk, team.practice.slug, team.avery.email)
    cookie = next(c for c in desk.context.cookies() if c["name"] == "quietline")
    header = f"quietline={cookie['value']}"
    url = app_origin.replace("http://", "ws://") + "/api/v1/ws"

    own = _socket_frames(url, app_origin, header)
    assert isinstance(own, list), own
    assert [f.get("type") for f in own][-1:] == ["ready"], own

    foreign = _socket_frames(url, FOREIGN, header)
    refused = foreign == 403 or (
        isinstance(foreign, list) and all(f.get("type") != "ready" for f in foreign)
    )
    assert refused, f"a socket from {FOREIGN} was let in: {foreign}"


def shell_file(url: str, origin: str) -> str | None:
    """The static file an /app/ URL serves (index.html for /app/), or None."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or not parts.path.startswith("/app/"):
        return None
    relative = parts.path.removeprefix("/app/") or "index.html"
    candidate = STATIC_DIR / PurePosixPath(relative)
    if ".." in PurePosixPath(relative).parts or not candidate.is_file():
        return None
    return relative


def test_the_service_worker_caches_only_the_app_shell(devices: Devices, team: Team) -> None:
    desk: Device = devices.open("phone")
    page = desk.page
    markers = content_on_screen(team, desk, team.avery)
    ui.go(page, "My devices")
    ui.go(page, "Settings")
    ui.go(page, "Conversations")

    registration = page.evaluate(
        """async () => {
          const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 5000));
          const r = await Promise.race([navigator.serviceWorker.ready, timeout]);
          return r && {scope: r.scope, script: r.active && r.active.scriptURL};
        }"""
    )
    assert registration == {"scope": desk.app_url, "script": f"{desk.app_url}sw.js"}

    report = read_storage(page, markers[1])
    cached = report.inventory["caches"]
    urls = [entry["url"] for entry in cached]
    assert urls, "the service worker cached nothing (it should cache the app shell)"
    not_shell = [u for u in urls if shell_file(u, desk.origin) is None]
    assert not_shell == [], f"cached outside the app shell: {not_shell}"
    assert any(shell_file(u, desk.origin) == "index.html" for u in urls), urls

    for text in markers:
        assert read_storage(page, text).stored == [], f"{text!r} is stored"
    # Nothing else is kept: the practice code only (docs/web-app.md).
    assert set(report.inventory["localStorage"]) <= {"quietline.practice"}, report.inventory
    assert report.inventory["sessionStorage"] == {}, report.inventory
    records = [s for s in report.inventory["indexedDB"] if s["records"]]
    assert records == [], report.inventory
