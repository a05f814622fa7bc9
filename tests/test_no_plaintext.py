"""Content never appears in plaintext where it should not: in the database files, in logs
(every logger at DEBUG, SQL echo included) or in any requested URL.

Unique markers go through message bodies, channel titles, search queries and rejected input,
over HTTP and the WebSocket of the real server. Each scanner is checked against a canary it
must find, so a scanner that reads nothing cannot pass."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from quietline.actions.messages import do_purge_expired
from quietline.app import Services
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.logging_setup import configure_logging
from tests.conftest import Capture, LiveServer, add_staff, make_practice, sign_in
from tests.live_support import Socket, create_direct, create_group, history, send_message

ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
CANARY_EMAIL = "dana.canary@riverbend.test"


def _marker(label: str) -> str:
    return f"QlMark{label}{uuid.uuid4().hex}"


def leaks(marker: str, haystack: bytes) -> list[str]:
    """The encodings and casings in which ``marker`` occurs in ``haystack``."""
    found = []
    folded = haystack.lower()  # ASCII case folding, which also works on UTF-16 of ASCII
    for encoding in ENCODINGS:
        if marker.lower().encode(encoding) in folded:
            found.append(f"{encoding} (case-insensitive)")
        for variant in {marker, marker.upper(), marker.casefold()}:
            if variant.encode(encoding) in haystack:
                found.append(f"{encoding} as {variant!r}")
    return found


def test_leak_finder_finds_every_form() -> None:
    marker = _marker("Self")
    for encoding in ENCODINGS:
        for text in (marker, marker.upper(), marker.lower(), f"x{marker.swapcase()}y"):
            assert leaks(marker, b"\x00prefix" + text.encode(encoding) + b"suffix")
    assert leaks(marker, marker[:-1].encode()) == []
    assert leaks(marker, _marker("Self").encode()) == []


# -- capture ----------------------------------------------------------------------------------


@dataclass
class Activity:
    markers: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


@pytest.fixture
def recorded_http(live_server: LiveServer) -> Iterator[tuple[httpx.Client, list[str]]]:
    urls: list[str] = []

    def record(request: httpx.Request) -> None:
        urls.append(str(request.url))

    with httpx.Client(
        base_url=live_server.url, timeout=20, event_hooks={"request": [record]}
    ) as client:
        yield client, urls


def exercise(live: LiveServer, http: httpx.Client, urls: list[str]) -> Activity:
    """Put markers through every path that carries content."""
    clock = live.services.clock
    assert isinstance(clock, ManualClock)
    activity = Activity(urls=urls)
    m = activity.markers
    for label in (
        "Body",
        "Urgent",
        "Expiring",
        "Recalled",
        "Title",
        "Renamed",
        "Query",
        "MissQuery",
        "Rejected",
        "RejectedField",
        "RejectedQuery",
    ):
        m[label] = _marker(label)

    practice = make_practice(live.services, "riverbend")
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, CANARY_EMAIL, "clinician", "Dana")
    dana = sign_in(http, practice.slug, CANARY_EMAIL)
    activity.secrets += [owner.token, dana.token]
    direct = create_direct(owner, dana.user_id)
    group = create_group(owner, f"Case {m['Title']} review", [dana.user_id])
    renamed = owner.patch(f"/conversations/{group}", {"title": f"Renamed {m['Renamed']}"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == f"Renamed {m['Renamed']}"

    urls.append(live.ws_url)
    with Socket(live.ws_url, owner.token) as owner_ws, Socket(live.ws_url, dana.token) as dana_ws:
        body = send_message(owner, direct, f"Übergabe: Patient {m['Body']} bitte zurückrufen")
        urgent = send_message(owner, group, f"urgent {m['Urgent']}", urgent=True)
        send_message(owner, direct, f"short-lived {m['Expiring']}", ttl_seconds=10)
        recalled = send_message(dana, direct, f"oops {m['Recalled']}")
        for frame in dana_ws.collect("message.created", 4):
            assert frame["message"]["body"]  # content really travelled over the socket
        owner_ws.collect("message.created", 4)
        assert owner.delete(f"/conversations/{direct}/messages/{recalled['id']}").status_code == 403
        assert dana.delete(f"/conversations/{direct}/messages/{recalled['id']}").status_code == 204
        dana_ws.send({"type": "ack", "conversation_id": direct, "up_to_seq": 4, "message_ids": []})
        dana_ws.send({"type": "seen", "conversation_id": group, "up_to_seq": urgent["seq"]})
        dana_ws.send({"type": "resume", "conversation_id": direct, "after_seq": 0})
        backlog = dana_ws.expect("backlog")
        assert body["id"] in [x["id"] for x in backlog["messages"]]
        assert any(m["Body"] in x["body"] for x in history(dana, direct))

        found = dana.post("/search", {"query": m["Body"].upper()})
        assert [x["id"] for x in found.json()] == [body["id"]]
        assert dana.post("/search", {"query": f"Patient {m['Body'][:20]}"}).status_code == 200
        assert owner.post("/search", {"query": m["MissQuery"]}).json() == []
        query_in_group = owner.post(
            "/search", {"query": m["Query"], "conversation_id": group}
        ).json()
        assert query_in_group == []

        # refused input must not be echoed or logged either
        too_long = owner.post(
            f"/conversations/{direct}/messages",
            {"body": m["Rejected"] + "x" * 4001, "idempotency_key": str(uuid.uuid4())},
        )
        assert too_long.status_code == 422
        assert m["Rejected"] not in too_long.text
        extra = owner.post(
            f"/conversations/{direct}/messages",
            {"body": "hi", "idempotency_key": str(uuid.uuid4()), "note": m["RejectedField"]},
        )
        assert extra.status_code == 422
        assert m["RejectedField"] not in extra.text
        long_query = owner.post("/search", {"query": m["RejectedQuery"] * 6})
        assert long_query.status_code == 422
        assert m["RejectedQuery"] not in long_query.text
        bad_title = owner.patch(f"/conversations/{direct}", {"title": m["RejectedField"]})
        assert bad_title.status_code == 422
        assert m["RejectedField"] not in bad_title.text

        listing = dana.get("/conversations").json()
        assert f"Renamed {m['Renamed']}" in [c["title"] for c in listing]

        clock.advance(timedelta(seconds=11))
        assert live.services.db.write_sync(do_purge_expired) == 1
        dana_ws.expect("message.expired")
        owner_ws.send({"type": "ping"})
        owner_ws.expect("pong")
    return activity


# -- logs and URLs (both backends) -----------------------------------------------------------


def test_markers_never_reach_logs_or_urls(
    debug_logs: Capture,
    live_server: LiveServer,
    recorded_http: tuple[httpx.Client, list[str]],
) -> None:
    http, urls = recorded_http
    activity = exercise(live_server, http, urls)
    logged = debug_logs.text.encode("utf-8")

    # canaries: the capture really saw SQL echo, the access log and the client's requests
    assert "[SQL parameters hidden due to hide_parameters=True]" in debug_logs.text
    assert any(n.startswith("sqlalchemy.engine") for n in debug_logs.names)
    assert "POST /conversations/{conversation_id}/messages 201" in debug_logs.text
    assert "quietline.access" in debug_logs.names
    assert len(activity.urls) > 20
    assert any("/api/v1/search" in u for u in activity.urls)

    problems = {
        label: found
        for label, marker in activity.markers.items()
        if (found := leaks(marker, logged))
    }
    assert problems == {}, "marker text reached the logs"
    joined_urls = "\n".join(activity.urls).encode("utf-8")
    in_urls = {
        label: found
        for label, marker in activity.markers.items()
        if (found := leaks(marker, joined_urls))
    }
    assert in_urls == {}, activity.urls


@pytest.fixture
def server_debug_logging() -> Iterator[Capture]:
    """The server's own logging set-up (``quietline serve``) at DEBUG, captured."""
    root = logging.getLogger()
    names = ("uvicorn.access", "uvicorn.error")
    saved_handlers = list(root.handlers)
    saved_root = root.level
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).disabled) for n in names}
    configure_logging("DEBUG")
    capture = Capture()
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_root)
        for name, (level, disabled) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).disabled = disabled


def _fragments(token: str, size: int = 12) -> set[str]:
    secret = token.split("_", 1)[1]
    assert len(secret) >= 40
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def test_session_tokens_never_reach_server_logs(
    server_debug_logging: Capture,
    live_server: LiveServer,
    recorded_http: tuple[httpx.Client, list[str]],
) -> None:
    """Tokens travel in headers and in the WebSocket's first frame. With the server's
    logging at DEBUG, not even a fragment of one may reach its log (the WebSocket protocol
    logs frames at DEBUG, eliding only their middle)."""
    http, urls = recorded_http
    activity = exercise(live_server, http, urls)
    server_lines = [
        line
        for line in server_debug_logging.lines
        # the test's own clients log what they send; that is not the server's log
        if not line.startswith(("websockets.client", "httpx", "httpcore"))
    ]
    text = "\n".join(server_lines)
    assert "POST /auth/sign-in 200" in text  # canary: the server's log was captured
    assert any(line.startswith("uvicorn.error") for line in server_lines)
    for token in activity.secrets:
        shown = sorted(f for f in _fragments(token) if f in text)
        assert shown == [], "part of a session token reached the server log"


# -- the SQLite files -------------------------------------------------------------------------


def _sqlite_files(settings: Settings) -> list[Path]:
    assert settings.database_url is not None
    database = make_url(settings.database_url).database
    assert database
    path = Path(database)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _read_all(paths: list[Path]) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in paths if p.exists()}


def test_markers_never_reach_the_sqlite_files(
    settings: Settings,
    services: Services,
    live_server: LiveServer,
    recorded_http: tuple[httpx.Client, list[str]],
) -> None:
    if not str(settings.database_url).startswith("sqlite"):
        pytest.skip(
            "file-level check is SQLite-only: PostgreSQL's data files belong to the database "
            "server, outside this process; the same columns are ciphertext on both backends"
        )
    http, urls = recorded_http
    activity = exercise(live_server, http, urls)
    paths = _sqlite_files(settings)

    def check(moment: str) -> None:
        files = _read_all(paths)
        assert paths[0].name in files
        everything = b"".join(files.values())
        # canary: plaintext the schema does keep in clear (an email) is found by the scanner
        assert leaks(CANARY_EMAIL, everything), f"scanner found no canary {moment}"
        problems = {
            (label, name): found
            for label, marker in activity.markers.items()
            for name, content in files.items()
            if (found := leaks(marker, content))
        }
        assert problems == {}, f"marker text in the database files {moment}"

    wal = paths[1]
    assert wal.exists()
    assert wal.stat().st_size > 0, "the activity should still be in the write-ahead log"
    check("while the server is running")
    services.close()
    check("after closing")


def test_the_api_reports_nothing_to_opentelemetry(client: TestClient) -> None:
    """FastAPI 0.16x sends spans, metrics and logs of each request to any OpenTelemetry provider
    the process holds; Quietline turns all three off, so nothing leaves that an operator did
    not set up. (FastAPI versions without native telemetry report nothing and pass as is.)"""
    app = client.app
    assert isinstance(app, FastAPI)
    config = getattr(app, "_telemetry", None)
    if config is None:
        pytest.skip("this FastAPI has no native telemetry")
    assert (config["tracing"], config["metrics"], config["logs"]) == (False, False, False)
