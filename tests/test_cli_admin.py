"""``quietline admin``: the owner's and admin's command line, against a real running server
(uvicorn on a loopback port, SQLite and PostgreSQL), signed in as that person."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from typer.testing import CliRunner, Result

from quietline.cli.main import app
from tests.client_support import create_client
from tests.conftest import (
    PASSWORD,
    Api,
    LiveServer,
    PracticeHandle,
    _free_port,
    add_staff,
    sign_in,
)

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI honours proxy settings; the loopback test server must be reached directly."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("QUIETLINE_ADMIN_SESSION", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # tables on one line per row, as in a wide terminal


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=10) as client:
        yield client


def admin(session: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(
        app,
        ["admin", "--session-file", str(session), *(str(a) for a in args)],
        catch_exceptions=False,
    )


def words(output: str) -> str:
    return " ".join(output.split())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cli_sign_in(tmp_path: Path, server: str, practice: str, email: str, name: str) -> Path:
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    session = tmp_path / f"{name}.json"
    result = admin(
        session,
        "sign-in",
        "--server",
        server,
        "--practice",
        practice,
        "--email",
        email,
        "--password-file",
        password,
        "--device-name",
        f"{name} laptop",
    )
    assert result.exit_code == 0, result.output
    return session


def token_of(session: Path) -> str:
    token: str = json.loads(session.read_text(encoding="utf-8"))["token"]
    return token


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_unreachable_server_is_a_sentence(tmp_path: Path) -> None:
    session = tmp_path / "admin.json"
    password = tmp_path / "pw"
    password.write_text(PASSWORD, encoding="utf-8")
    server = f"http://127.0.0.1:{_free_port()}"
    result = admin(
        session,
        "sign-in",
        "--server",
        server,
        "--practice",
        "p",
        "--email",
        "a@p.test",
        "--password-file",
        password,
    )
    assert result.exit_code == 1
    assert "Could not reach the server" in words(result.output)
    assert "Traceback" not in result.output
    assert not session.exists()
    assert "You are not signed in" in words(admin(session, "staff", "list").output)


def test_sign_in_keeps_a_private_session_and_lists_staff(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    session = tmp_path / "admin.json"
    refused = admin(
        session,
        "sign-in",
        "--server",
        "http://quietline.example.org",
        "--practice",
        practice.slug,
        "--email",
        practice.owner_email,
        "--password-file",
        tmp_path / "x",
    )
    assert refused.exit_code == 1
    assert "Refusing http://quietline.example.org" in words(refused.output)
    assert "https://" in refused.output
    assert not session.exists()

    session = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    assert mode(session) == 0o600
    token = token_of(session)
    owner = Api(http, token, practice.owner_id, practice.owner_id)
    assert owner.get("/me").status_code == 200
    add_staff(owner, "lee@riverbend.test", "clinician", "Lee Listed")

    listed = admin(session, "staff", "list")
    assert listed.exit_code == 0, listed.output
    assert "Lee Listed" in listed.output
    assert token not in listed.output
    users = as_json(admin(session, "staff", "list", "--json"))
    assert {u["email"] for u in users} == {practice.owner_email, "lee@riverbend.test"}

    role = admin(session, "staff", "role", "lee@riverbend.test", "--role", "supervisor")
    assert role.exit_code == 0, role.output
    assert "is now supervisor" in role.output
    invite = admin(
        session, "staff", "invite", "new@riverbend.test", "--role", "clinician", "--name", "Nia"
    )
    assert invite.exit_code == 0, invite.output
    assert "/app/#/join/" in invite.output


def test_sign_in_asks_for_the_second_factor(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    owner = sign_in(http, practice.slug, practice.owner_email)
    secret = owner.post("/me/second-factor/totp").json()["secret"]
    confirmed = owner.post("/me/second-factor/totp/confirm", {"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    recovery = confirmed.json()["recovery_codes"][0]
    password = tmp_path / "password.txt"
    password.write_text(PASSWORD, encoding="utf-8")
    session = tmp_path / "admin.json"
    args = ["admin", "--session-file", str(session), "sign-in", "--server", live_server.url]
    args += ["--practice", practice.slug, "--email", practice.owner_email]
    args += ["--password-file", str(password)]
    wrong = CliRunner().invoke(app, args, input="000000\n", catch_exceptions=False)
    assert wrong.exit_code == 1
    assert "authenticator app" in words(wrong.output)
    assert not session.exists()
    right = CliRunner().invoke(app, args, input=f"{recovery}\n", catch_exceptions=False)
    assert right.exit_code == 0, right.output
    assert mode(session) == 0o600
    assert as_json(admin(session, "staff", "list", "--json"))[0]["has_second_factor"] is True


def test_offboarding_and_devices(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    session = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, "lee@riverbend.test", "clinician", "Lee Leaving")
    cam_id = add_staff(owner, "cam@riverbend.test", "clinician", "Cam Colleague")
    lee = sign_in(http, practice.slug, "lee@riverbend.test")
    cam = sign_in(http, practice.slug, "cam@riverbend.test", device="cam phone")

    offboard = ["staff", "offboard", "lee@riverbend.test", "--hand-to", "cam@riverbend.test"]
    asked = CliRunner().invoke(
        app,
        ["admin", "--session-file", str(session), *offboard],
        input="n\n",
        catch_exceptions=False,
    )
    assert asked.exit_code == 1
    assert "Nothing was changed." in asked.output
    assert lee.get("/me").status_code == 200
    done = admin(
        session, "staff", "offboard", "lee@riverbend.test", "--hand-to", str(cam_id), "--yes"
    )
    assert done.exit_code == 0, done.output
    text = words(done.output)
    assert "Offboarding would hand over" in text
    assert "Offboarding done" in text
    assert lee.get("/me").status_code == 401
    records = owner.get("/offboarding-records").json()
    assert len(records) == 1
    assert records[0]["id"] in "".join(done.output.split())

    document = tmp_path / "record.txt"
    saved = admin(session, "staff", "record", records[0]["id"], "--out", document)
    assert saved.exit_code == 0, saved.output
    assert mode(document) == 0o600
    assert "Lee Leaving" in document.read_text(encoding="utf-8")
    again = admin(session, "staff", "record", records[0]["id"], "--out", document)
    assert again.exit_code == 1
    assert "already exists" in words(again.output)

    devices = as_json(admin(session, "devices", "list", "--json"))
    cams = [d for d in devices if d["device_name"] == "cam phone"]
    assert [d["id"] for d in cams] == [str(cam.session_id)]
    assert admin(session, "devices", "list").exit_code == 0
    revoked = admin(session, "devices", "revoke", str(cam.session_id))
    assert revoked.exit_code == 0, revoked.output
    assert cam.get("/me").status_code == 401


def test_reset_password_second_factor_and_reactivate(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    """Ana forgot her password, then lost her authenticator; later she left and came back."""
    session = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, "ana@riverbend.test", "clinician", "Ana Again")
    ana = sign_in(http, practice.slug, "ana@riverbend.test")
    secret = ana.post("/me/second-factor/totp").json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert ana.post("/me/second-factor/totp/confirm", {"code": code}).status_code == 200

    new_password = tmp_path / "ana-password.txt"
    new_password.write_text("anas brand new passphrase\n", encoding="utf-8")
    done = admin(
        session, "staff", "reset-password", "ana@riverbend.test", "--password-file", new_password
    )
    assert done.exit_code == 0, done.output
    assert "every device of theirs is signed out" in words(done.output)
    assert "anas brand new passphrase" not in done.output
    assert ana.get("/me").status_code == 401

    sign_in_body = {
        "practice": practice.slug,
        "email": "ana@riverbend.test",
        "password": "anas brand new passphrase",
    }
    assert http.post("/api/v1/auth/sign-in", json=sign_in_body).status_code == 401  # code asked
    asked = CliRunner().invoke(
        app,
        [
            "admin",
            "--session-file",
            str(session),
            "staff",
            "reset-second-factor",
            "ana@riverbend.test",
        ],
        input="n\n",
        catch_exceptions=False,
    )
    assert asked.exit_code == 1
    assert "Nothing was changed." in asked.output
    reset = admin(session, "staff", "reset-second-factor", "ana@riverbend.test", "--yes")
    assert reset.exit_code == 0, reset.output
    assert "Second factor removed" in words(reset.output)
    assert http.post("/api/v1/auth/sign-in", json=sign_in_body).status_code == 200

    assert admin(session, "staff", "deactivate", "ana@riverbend.test").exit_code == 0
    assert http.post("/api/v1/auth/sign-in", json=sign_in_body).status_code == 401
    back = admin(session, "staff", "reactivate", "ana@riverbend.test")
    assert back.exit_code == 0, back.output
    assert "Ana Again is active again." in words(back.output)
    assert http.post("/api/v1/auth/sign-in", json=sign_in_body).status_code == 200


def test_policy_audit_and_holds(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    session = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    owner = sign_in(http, practice.slug, practice.owner_email)

    changed = admin(
        session,
        "policy",
        "set",
        "session_idle_minutes=30",
        "retention_days=null",
        "supervisor_visibility=true",
    )
    assert changed.exit_code == 0, changed.output
    policy = as_json(admin(session, "policy", "show", "--json"))
    assert policy["session_idle_minutes"] == 30
    assert policy["retention_days"] is None
    assert policy["supervisor_visibility"] is True
    bad = admin(session, "policy", "set", "session_idle_minutes=0")
    assert bad.exit_code == 1
    assert "session_idle_minutes" in bad.output
    assert "Traceback" not in bad.output

    client = create_client(owner)
    today = datetime.now(UTC).date()
    report = tmp_path / "access.csv"
    exported = admin(
        session,
        "audit",
        "access-report",
        "--client",
        client["id"],
        "--from",
        str(today - timedelta(days=1)),
        "--to",
        str(today),
        "--out",
        report,
    )
    assert exported.exit_code == 0, exported.output
    assert mode(report) == 0o600
    assert report.read_text(encoding="utf-8").startswith("seq,at,user_id")
    assert (
        admin(session, "audit", "access-report", "--from", str(today), "--to", str(today)).exit_code
        == 0
    )

    placed = as_json(
        admin(
            session,
            "holds",
            "place",
            "--client",
            client["id"],
            "--reason",
            "Court request 42",
            "--json",
        )
    )
    held = as_json(admin(session, "holds", "list", "--json"))
    assert [(h["id"], h["client_id"], h["active"]) for h in held] == [
        (placed["id"], client["id"], True)
    ]
    released = admin(session, "holds", "release", placed["id"])
    assert released.exit_code == 0, released.output
    assert as_json(admin(session, "holds", "list", "--json"))[0]["active"] is False

    kinds = {e["kind"] for e in as_json(admin(session, "audit", "list", "--json"))}
    assert {"policy.changed", "legal_hold.placed", "legal_hold.released"} <= kinds
    only = as_json(admin(session, "audit", "list", "--kind", "legal_hold.placed", "--json"))
    assert [e["kind"] for e in only] == ["legal_hold.placed"]
    audit_file = tmp_path / "audit.json"
    assert admin(session, "audit", "export", "--format", "json", "--out", audit_file).exit_code == 0
    assert mode(audit_file) == 0o600
    assert isinstance(json.loads(audit_file.read_text(encoding="utf-8")), list)
    verified = admin(session, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


def test_supervision_emergency_access_and_compliance(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    session = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, "sam@riverbend.test", "supervisor", "Sam Supervisor")
    ada_id = add_staff(owner, "ada@riverbend.test", "clinician", "Ada")
    bo_id = add_staff(owner, "bo@riverbend.test", "clinician", "Bo")

    assigned = as_json(
        admin(session, "supervision", "assign", "sam@riverbend.test", str(ada_id), "--json")
    )
    rows = as_json(admin(session, "supervision", "list", "--json"))
    assert [(r["id"], r["supervisee_id"]) for r in rows] == [(assigned["id"], str(ada_id))]
    assert admin(session, "supervision", "remove", assigned["id"]).exit_code == 0
    assert as_json(admin(session, "supervision", "list", "--json")) == []

    ada = sign_in(http, practice.slug, "ada@riverbend.test")
    direct = ada.post("/conversations", {"kind": "direct", "user_id": str(bo_id)})
    assert direct.status_code == 201, direct.text
    conversation_id = direct.json()["id"]
    grant = as_json(
        admin(
            session,
            "emergency",
            "open",
            conversation_id,
            "--reason",
            "Welfare check after a missed session",
            "--minutes",
            "15",
            "--json",
        )
    )
    assert grant["live"] is True
    assert owner.get(f"/conversations/{conversation_id}/messages").status_code == 200
    closed = admin(session, "emergency", "close", conversation_id, grant["id"])
    assert closed.exit_code == 0, closed.output
    grants = owner.get(f"/conversations/{conversation_id}/emergency-access").json()
    assert grants[0]["live"] is False

    summary = admin(session, "compliance")
    assert summary.exit_code == 0, summary.output
    assert "Compliance" in summary.output
    checks = as_json(admin(session, "compliance", "--json"))["checks"]
    assert checks
    assert checks[0]["title"].split()[0] in summary.output


def test_a_clinician_is_refused_and_sign_out_ends_the_session(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, "ada@riverbend.test", "clinician", "Ada")
    session = cli_sign_in(tmp_path, live_server.url, practice.slug, "ada@riverbend.test", "ada")
    refused = admin(session, "devices", "list")
    assert refused.exit_code == 1
    token = token_of(session)
    ada = Api(http, token, owner.user_id, owner.session_id)
    answer = ada.get("/devices")
    assert answer.status_code == 403
    assert words(answer.json()["detail"]) in words(refused.output)
    assert "Traceback" not in refused.output
    assert "Your session has ended" not in refused.output
    assert ada.get("/me").status_code == 200
    ended = admin(session, "sign-out")
    assert ended.exit_code == 0, ended.output
    assert not session.exists()
    assert ada.get("/me").status_code == 401

    own = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    owner_cli = Api(http, token_of(own), owner.user_id, owner.session_id)
    own_device = owner_cli.get("/me").json()["session_id"]
    assert owner.delete(f"/devices/{own_device}").status_code == 204
    gone = admin(own, "staff", "list")
    assert gone.exit_code == 1
    assert "Your session has ended; run quietline admin sign-in again." in words(gone.output)


def test_signing_in_again_ends_the_session_the_file_held(
    tmp_path: Path, live_server: LiveServer, practice: PracticeHandle, http: httpx.Client
) -> None:
    first = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    old_token = token_of(first)
    again = cli_sign_in(tmp_path, live_server.url, practice.slug, practice.owner_email, "own")
    assert again == first
    new_token = token_of(again)
    assert new_token != old_token
    # The replaced session is over on the server, not only forgotten here.
    old = Api(http, old_token, practice.owner_id, practice.owner_id)
    assert old.get("/me").status_code == 401
    new = Api(http, new_token, practice.owner_id, practice.owner_id)
    assert new.get("/me").status_code == 200
    assert "could not be ended" not in admin(again, "staff", "list").output
