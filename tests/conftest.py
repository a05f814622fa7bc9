"""Shared fixtures. Every test that touches storage runs against SQLite and PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (trust auth, database ``test``); override with
``QL_TEST_PG_URL``. ``QL_TEST_BACKENDS=sqlite`` limits a local run to SQLite; in CI
(``CI=true``) both are required and a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quietline.actions.practices import do_create_practice
from quietline.api.http_protocol import CoalescingHttpToolsProtocol
from quietline.app import Services, build_services, create_app, ensure_key_files
from quietline.config import Settings
from quietline.crypto.passwords import PasswordCheck
from quietline.domain.clock import ManualClock
from quietline.storage.migrate import upgrade
from quietline.storage.tables import metadata
from quietline.storage.unit import Unit

PG_URL = os.environ.get("QL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("QL_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PASSWORD = "correct horse battery staple"


def pytest_report_header() -> str:
    return f"quietline backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_ready() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (so parallel runs never collide)."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {PG_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"quietline_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "quietline.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_ready")
    _truncate_pg(url)
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        purge_interval_seconds=0.2,
        socket_recheck_seconds=1.0,
    )
    ensure_key_files(settings)
    return settings


@pytest.fixture
def services(settings: Settings, clock: ManualClock) -> Iterator[Services]:
    svc = build_services(settings, clock=clock)
    yield svc
    svc.close()


@dataclass
class PracticeHandle:
    id: UUID
    slug: str
    owner_id: UUID
    owner_email: str


def make_practice(services: Services, slug: str, owner_email: str | None = None) -> PracticeHandle:
    email = owner_email or f"owner@{slug}.test"
    practice, owner = services.db.write_sync(
        lambda unit: do_create_practice(
            unit,
            services.passwords,
            slug=slug,
            name=f"Practice {slug}",
            owner_email=email,
            owner_name=f"Owner of {slug}",
            owner_password=PASSWORD,
        )
    )
    return PracticeHandle(practice.id, slug, owner.id, email)


def in_one_batch(services: Services, jobs: list[Callable[[Unit], Any]]) -> list[Any]:
    """Run ``jobs`` in one batch of the writer (queued behind a job that holds it until all
    are queued, so they join its batch), and give each job's result or exception."""
    started, release = threading.Event(), threading.Event()

    def hold(_unit: Unit) -> None:
        started.set()
        assert release.wait(10)

    holding = services.db.submit_write(hold)
    assert started.wait(10)
    futures = [services.db.submit_write(job) for job in jobs]
    release.set()
    holding.result(10)
    return [f.exception(10) or f.result(10) for f in futures]


class Api:
    """A signed-in API client: thin sugar over TestClient or httpx with a bearer token."""

    def __init__(self, client: Any, token: str, user_id: UUID, session_id: UUID) -> None:
        self.client = client
        self.token = token
        self.user_id = user_id
        self.session_id = session_id

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers, **kw)


def sign_in(
    client: Any,
    practice: str,
    email: str,
    password: str = PASSWORD,
    device: str = "test device",
    **extra: Any,
) -> Api:
    response = client.post(
        "/api/v1/auth/sign-in",
        json={
            "practice": practice,
            "email": email,
            "password": password,
            "device_name": device,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Api(client, body["token"], UUID(body["user"]["id"]), UUID(body["session_id"]))


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.fixture
def practice(services: Services) -> PracticeHandle:
    return make_practice(services, "riverbend")


@pytest.fixture
def owner(client: TestClient, practice: PracticeHandle) -> Api:
    return sign_in(client, practice.slug, practice.owner_email)


def add_staff(owner: Api, email: str, role: str = "clinician", name: str | None = None) -> UUID:
    response = owner.post(
        "/users",
        {
            "email": email,
            "display_name": name or email.split("@", maxsplit=1)[0],
            "role": role,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


@dataclass
class LiveServer:
    url: str
    ws_url: str
    services: Services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def uvicorn_in_thread(app: Any, http: Any = CoalescingHttpToolsProtocol) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread; yields "127.0.0.1:port".

    ``http``: the protocol class, by default the one ``quietline serve`` runs."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            http=http,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(services: Services) -> Iterator[LiveServer]:
    """The real app under uvicorn on a loopback port, for WebSocket and timing tests."""
    with uvicorn_in_thread(create_app(services)) as address:
        yield LiveServer(f"http://{address}", f"ws://{address}/api/v1/ws", services)


# -- captured logs (for the checks that nothing readable reaches a log) --------------------


class Capture(logging.Handler):
    """Keeps every record, fully formatted (tracebacks and stack included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.names: set[str] = set()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    """Every logger at DEBUG, enabled, and captured (restored afterwards). Request it before
    the app's fixtures, so the SQL echo of the engines they build is captured too."""
    root = logging.getLogger()
    capture = Capture()
    saved_root = root.level
    saved: dict[str, tuple[int, bool]] = {}
    detached: list[logging.Logger] = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        saved[name] = (logger.level, logger.disabled)
        if logger.level != logging.NOTSET:
            logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate:
            logger.addHandler(capture)
            detached.append(logger)
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(saved_root)
        for logger in detached:
            logger.removeHandler(capture)
        for name, (level, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.disabled = disabled


@pytest.fixture
def password_check_threads(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that check a password or PIN (argon2id), in order: such a
    check must never run on the group-commit writer (decision 0003)."""
    threads: list[str] = []
    real = services.passwords.verify

    def spy(stored_hash: str | None, secret: str) -> PasswordCheck:
        threads.append(threading.current_thread().name)
        return real(stored_hash, secret)

    monkeypatch.setattr(services.passwords, "verify", spy)
    return threads


@pytest.fixture
def password_hash_threads(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads that hash a new password or PIN (argon2id), in order: like a
    check, a hash must never run on the group-commit writer (decision 0003)."""
    threads: list[str] = []
    real = services.passwords.hash

    def spy(secret: str) -> str:
        threads.append(threading.current_thread().name)
        return real(secret)

    monkeypatch.setattr(services.passwords, "hash", spy)
    return threads
