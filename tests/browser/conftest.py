"""Browser tests: the staff web app in real headless Chromium (Playwright, sync API).

* Chromium is ``/usr/bin/chromium`` (``QL_TEST_CHROMIUM`` overrides it). Missing, the tests
  are skipped with the reason; in CI (``CI`` set) a missing Chromium fails the run instead.
* Each "device" is its own Chromium with a fresh user-data folder (a persistent context), at
  360x740 (phone: ``is_mobile``, ``has_touch``) or 1280x800 (desktop). Pages are opened at
  ``http://localhost:<port>/app/`` (WebAuthn needs a domain; the host resolver maps localhost to
  127.0.0.1). Every request a device makes must go to localhost or 127.0.0.1: any other is
  refused by a dead proxy and fails the test, as does an uncaught error in a page.
* Storage: SQLite only (the storage matrix is tested elsewhere).
* The server is the ``live_server`` fixture (uvicorn in a thread). Seed data through the API
  with httpx (``http``, ``owner``), never with the ``client`` fixture: a TestClient would run
  a second lifespan on the same services and take the event hub away from the live server.

The sync API and the event loop
-------------------------------
Playwright's sync API runs an asyncio loop in a greenlet of the main thread, and between two
calls it leaves that loop marked as the thread's *running* loop. While it is started, code in
the main thread must not call ``asyncio.run`` (nothing here does: httpx, requests, the
websockets sync client and the database helpers are all synchronous or use threads of their
own, and uvicorn runs its loop in its own thread). Playwright is started once for this package
and stopped when the package is done; the teardown checks that no running loop is left behind
for the tests that follow.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Playwright, sync_playwright

from quietline.config import Settings
from tests.browser.push_service import PushService
from tests.browser.seed import Team, make_team
from tests.browser.support import Chromium, Devices, check_generic_pushes
from tests.conftest import Api, LiveServer, PracticeHandle, sign_in

CHROMIUM = Path(os.environ.get("QL_TEST_CHROMIUM", "/usr/bin/chromium"))
PUSH_HOSTS_SETTING = "push_endpoint_hosts"


# -- storage and settings -------------------------------------------------------------------
@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only (overrides the parametrised fixture of tests/conftest.py)."""
    target = tmp_path / "quietline.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, plus: push to the local stand-in (loopback, plain http) and
    release held notifications quickly."""
    values: dict[str, Any] = {}
    field = Settings.model_fields.get(PUSH_HOSTS_SETTING)
    if field is not None:
        values[PUSH_HOSTS_SETTING] = "127.0.0.1" if field.annotation is str else ["127.0.0.1"]
    if "notification_release_seconds" in Settings.model_fields:
        values["notification_release_seconds"] = 0.2
    if not values:
        return settings
    return Settings(**{**settings.model_dump(), **values})


# -- Chromium -------------------------------------------------------------------------------
@pytest.fixture(scope="package")
def sync_playwright_started() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # as it should be: no running loop in the main thread
        else:
            pytest.fail("Playwright left its event loop marked as running in the main thread")


@pytest.fixture(scope="package")
def chromium(sync_playwright_started: Playwright) -> Chromium:
    return Chromium(sync_playwright_started.chromium, CHROMIUM)


@pytest.fixture
def app_origin(live_server: LiveServer) -> str:
    """The origin the browser uses: localhost (a domain, for WebAuthn), same port."""
    return live_server.url.replace("127.0.0.1", "localhost")


@pytest.fixture
def devices(
    chromium: Chromium, live_server: LiveServer, app_origin: str, tmp_path: Path
) -> Iterator[Devices]:
    """Opens browser "devices"; closes them (before the server stops) and then fails the
    test if a page had an uncaught error or a request left localhost."""
    opened = Devices(chromium, app_origin, tmp_path / "profiles")
    try:
        yield opened
    finally:
        problems = opened.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# -- seeding through the API -----------------------------------------------------------------
@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as client:
        yield client


@pytest.fixture
def owner(http: httpx.Client, practice: PracticeHandle) -> Api:
    """The practice owner, signed in through the API (a device of its own, "seed")."""
    return sign_in(http, practice.slug, practice.owner_email, device="seed")


@pytest.fixture
def team(http: httpx.Client, practice: PracticeHandle, owner: Api) -> Team:
    """Avery, Blake and Casey (clinicians, names with unique markers) in the owner's practice."""
    return make_team(http, practice, owner)


# -- Web Push ----------------------------------------------------------------------------------
@pytest.fixture
def push_service() -> Iterator[PushService]:
    """The push-service stand-in. After the test, every push it received must be exactly the
    generic payload, decrypted, with valid VAPID (whatever the test itself checked)."""
    with PushService() as service:
        yield service
        problems = check_generic_pushes(service.requests(), tuple(service.forbidden))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
