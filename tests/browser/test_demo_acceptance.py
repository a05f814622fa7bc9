"""The acceptance path, on the real ``quietline demo`` command (a subprocess on 127.0.0.1, its
own SQLite data in a temporary folder, cheap password hashing) and what it prints:

the owner signs in on a phone and messages Dana (front desk) in their direct conversation;
Dana signs in on a second device and reads it, and the owner's screen says "Seen by Dana"
without a reload; the owner sets "In session for 50 minutes", which her header shows and Dana
sees next to her name; the owner signs in on a third device (the "lost phone") and revokes it
from the first one's "My devices": the lost phone's page is back at sign-in within 2 seconds.

Screenshots: test-artifacts/screenshots/demo-*.png.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import ui
from tests.browser.support import (
    Chromium,
    Device,
    Devices,
    record_measurement,
    screenshot,
)
from tests.browser.test_wipe import REVOCATION_LIMIT, start_revocation, wait_wiped

pytestmark = pytest.mark.slow

QUIETLINE = Path(sys.executable).with_name("quietline")
STARTUP = 45.0  # seconds for the demo to seed and answer (bounded; usually 2 or 3)
STOP = 10.0  # seconds for it to stop after SIGTERM before it is killed
OWNER = "maya@demo.quietline.test"
OWNER_NAME = "Maya Chen"
DANA = "dana@demo.quietline.test"
DANA_NAME = "Dana Brooks"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NO_RELOAD = "window.__sameDocument = true"
SAME_DOCUMENT = "window.__sameDocument === true"


@dataclass
class Demo:
    origin: str  # as printed: http://localhost:<port>
    port: int
    password: str
    accounts: dict[str, str]  # email -> role, as printed
    output: list[str]  # everything it printed: it grows until the demo has stopped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def listening_addresses(port: int) -> set[str] | None:
    """The local addresses of the sockets listening on ``port``, as /proc/net/tcp and tcp6
    show them (hex); None where there is no /proc/net/tcp (not Linux)."""
    if not Path("/proc/net/tcp").exists():
        return None
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 (as /proc shows)


def parse(output: list[str], port: int) -> Demo | None:
    """What the demo printed, once it has printed all of it."""
    text = ANSI.sub("", "".join(output))
    url = re.search(r"open (http://localhost:(\d+))/app/", text)
    password = re.search(r"Password for every demo account:\s*(\S+)", text)
    accounts = dict(re.findall(r"^\s+(\S+@\S+)\s+([a-z_]+)\s*$", text, re.MULTILINE))
    if not (url and password and DANA in accounts):
        return None
    assert int(url.group(2)) == port, url.group(0)
    return Demo(url.group(1), port, password.group(1), accounts, output)


@contextmanager
def quietline_demo(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[Demo]:
    """``quietline demo`` on a free port, its data in ``folder``; stopped (by its process id)
    whatever happens. ``extra_env``: more settings for it (``QUIETLINE_...``), if a test needs."""
    port = free_port()
    data = folder / "demo-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIETLINE_")}
    env |= {
        "QUIETLINE_DATA_DIR": str(data),  # (the demo's --data-dir below is what it uses)
        "QUIETLINE_ARGON2_TIME_COST": "1",
        "QUIETLINE_ARGON2_MEMORY_KIB": "8",
        "PYTHONUNBUFFERED": "1",  # its output as it comes, not when the pipe's buffer fills
        "COLUMNS": "200",  # no wrapped lines
        "NO_COLOR": "1",
    }
    env |= extra_env or {}
    command = [str(QUIETLINE), "demo", "--port", str(port), "--data-dir", str(data)]
    process = subprocess.Popen(
        command,
        cwd=folder,  # anything written to a relative path stays in the temporary folder
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    output: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:  # line by line, until the process closes its end
        for line in stdout:
            output.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        demo = None
        deadline = time.monotonic() + STARTUP
        while demo is None or not answers(demo):
            if process.poll() is not None:
                pytest.fail(f"quietline demo exited ({process.returncode}):\n{''.join(output)}")
            if time.monotonic() > deadline:
                pytest.fail(f"quietline demo not ready within {STARTUP}s:\n{''.join(output)}")
            time.sleep(0.1)
            demo = demo or parse(list(output), port)
        demo.output = output  # (parsed from a copy; this one keeps what comes later)
        yield demo
    finally:
        process.terminate()
        try:
            process.wait(STOP)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP)
        reader.join(STOP)
        stdout.close()


def answers(demo: Demo) -> bool:
    try:
        with httpx.Client(trust_env=False, timeout=2) as client:
            return client.get(f"http://127.0.0.1:{demo.port}/api/v1/health").status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def devices_on(chromium: Chromium, origin: str, folder: Path) -> Iterator[Devices]:
    """Browser devices for ``origin``; closed afterwards, and the test fails if a page had an
    uncaught error or a request left localhost (as the ``devices`` fixture does)."""
    opened = Devices(chromium, origin, folder)
    try:
        yield opened
    finally:
        problems = opened.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def shot(device: Device, name: str) -> None:
    screenshot(device.page, f"demo-{name}", device.size)


def clock_text(when: datetime) -> str:
    """A time as the app shows it in an en-US browser in UTC ("2:50 pm"); any space."""
    return rf"{when.hour % 12 or 12}:{when.minute:02d}\s*{'am' if when.hour < 12 else 'pm'}"


def test_demo_acceptance_path(chromium: Chromium, tmp_path: Path) -> None:
    with quietline_demo(tmp_path) as demo, devices_on(chromium, demo.origin, tmp_path) as devices:
        assert demo.accounts[OWNER] == "owner", demo.accounts
        assert demo.accounts[DANA] == "front_desk", demo.accounts
        listening = listening_addresses(demo.port)
        if listening is not None:
            assert listening, "nothing listens on the demo's port"
            assert listening <= LOOPBACK, f"the demo listens beyond loopback: {listening}"

        # The owner, on her phone, writes to Dana in their direct conversation.
        phone = devices.open("phone", "owner's phone")
        ui.sign_in(phone, "demo", OWNER, demo.password)
        phone.page.evaluate(NO_RELOAD)
        shot(phone, "owner-list")
        ui.open_conversation(phone.page, DANA_NAME)
        expect(phone.page.get_by_role("heading", name=DANA_NAME)).to_be_visible()
        hello = ui.marker("hello")
        ui.send(phone.page, hello)

        # Dana signs in on a second device and reads it: "Seen by Dana", live.
        desk = devices.open("desktop", "dana's desk")
        ui.sign_in(desk, "demo", DANA, demo.password)
        desk.page.evaluate(NO_RELOAD)
        ui.open_conversation(desk.page, OWNER_NAME)
        expect(ui.messages(desk.page)).to_contain_text(hello, timeout=ui.SHOW)
        seen = phone.page.get_by_text(re.compile(rf"Seen by {re.escape(DANA_NAME)}\s+\S"))
        expect(seen).to_be_visible(timeout=ui.SHOW)
        shot(phone, "owner-seen-by-dana")

        # "In session for 50 minutes": the owner's header shows it, Dana sees it by her name.
        ui.set_in_session(phone.page, 50)
        users = ui.api_fetch(desk.page, "GET", "/api/v1/users")
        assert users["status"] == 200, users
        (maya,) = [u for u in users["json"] if u["email"] == OWNER]
        until = datetime.fromisoformat(maya["in_session_until"]).astimezone(UTC)
        left = until - datetime.now(UTC)
        assert timedelta(minutes=49) < left <= timedelta(minutes=50, seconds=5), left
        in_session = re.compile(rf"In session until {clock_text(until)}")
        status = ui.header(phone.page, "button", "Set status")
        expect(status).to_have_accessible_name(in_session, timeout=ui.SHOW)
        expect(status).to_be_in_viewport()
        shot(phone, "owner-in-session")
        expect(
            desk.page.get_by_role("region", name=OWNER_NAME).get_by_text(in_session)
        ).to_be_visible(timeout=ui.SHOW)
        expect(ui.conversation_link(desk.page, OWNER_NAME)).to_have_accessible_name(
            re.compile(rf"{re.escape(OWNER_NAME)}.*{in_session.pattern}", re.DOTALL)
        )
        shot(desk, "dana-sees-status")

        # The owner signs in on a third device, the "lost phone", and revokes it from the first.
        lost = devices.open("phone", "lost phone")
        ui.sign_in(lost, "demo", OWNER, demo.password)
        ui.open_conversation(lost.page, DANA_NAME)
        expect(ui.messages(lost.page)).to_contain_text(hello, timeout=ui.SHOW)
        ui.go(phone.page, "My devices")
        revoke = phone.page.get_by_role("button", name=re.compile("^Revoke"))
        expect(revoke).to_have_count(1, timeout=ui.SHOW)  # the lost phone; not this one
        shot(phone, "owner-devices")
        started = start_revocation(phone.page, revoke)
        elapsed = wait_wiped(lost.page, [hello], started, give_up=REVOCATION_LIMIT + 3)
        record_measurement("demo_revocation_to_wiped_page_seconds", elapsed)
        assert elapsed <= REVOCATION_LIMIT, f"wiped after {elapsed:.2f}s"
        expect(ui.sign_in_button(lost.page)).to_be_visible()
        shot(lost, "lost-phone-signed-out")
        expect(revoke).to_have_count(0, timeout=ui.SHOW)

        for device in (phone, desk):
            assert device.page.evaluate(SAME_DOCUMENT), f"{device.name} reloaded the page"
