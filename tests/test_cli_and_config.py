"""The ``quietline`` command line and its configuration, and the migrations.

The CLI tests run on SQLite only: they set up their own data folders and need no shared
database. The migration test runs on every configured backend, each time on a database
created for it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner, Result

import quietline.storage
from quietline.app import build_services, create_app, ensure_key_files
from quietline.cli.demo import STAFF
from quietline.cli.main import app
from quietline.config import ConfigError, Settings, load_settings
from quietline.storage.migrate import head_revision, known_revisions, upgrade
from quietline.storage.tables import metadata
from tests.conftest import BACKENDS, PG_URL

OWNER_PASSWORD = "a long enough owner password"
FAST_HASHING = {"QUIETLINE_ARGON2_TIME_COST": "1", "QUIETLINE_ARGON2_MEMORY_KIB": "8"}
QUIETLINE = Path(sys.executable).parent / "quietline"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No QUIETLINE_* setting from the surrounding shell leaks into a test, and the default
    data folder is inside the test's own temporary folder."""
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    # A wide console: no secret can hide from a "not in the output" check by being wrapped.
    wide = {"COLUMNS": "1000"}
    return CliRunner().invoke(
        app,
        [str(a) for a in args],
        env={**FAST_HASHING, **wide, **(env or {})},
        catch_exceptions=False,
    )


def words(output: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(output.split())


def squashed(value: str | Path) -> str:
    return "".join(str(value).split())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def init(workdir: Path, *options: str | Path, code: str = "riverbend") -> Result:
    password_file = workdir / f"{code}-password.txt"
    password_file.write_text(OWNER_PASSWORD + "\n")
    return cli(
        "init",
        *options,
        "--practice-code",
        code,
        "--practice-name",
        "Riverbend Counseling",
        "--owner-email",
        f"maya@{code}.test",
        "--owner-name",
        "Maya Chen",
        "--owner-password-file",
        password_file,
    )


# -- init ---------------------------------------------------------------------------------


def test_init_creates_private_keys_and_says_to_back_them_up(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = init(tmp_path, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    keys = [data_dir / "keys" / "master.key", data_dir / "keys" / "audit.key"]
    for key in keys:
        assert key.is_file()
        assert mode(key) == 0o600, oct(mode(key))
        assert squashed(key) in squashed(result.output)  # each key is named ...
    assert mode(data_dir / "keys") == 0o700
    assert mode(data_dir) == 0o700  # it holds the SQLite database too
    said = words(result.output)
    assert said.count("Back it up now") == 2  # ... with what to do about it
    assert "separately from database backups" in said
    assert "Practice 'riverbend' created; maya@riverbend.test is its owner." in said
    assert squashed(OWNER_PASSWORD) not in squashed(result.output)  # wrapped or not

    # The owner can sign in to the server that configuration describes.
    settings = load_settings(None, data_dir=data_dir, **_fast())
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            signed_in = maya_signs_in(client, OWNER_PASSWORD)
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.json()["user"]["role"] == "owner"
    finally:
        services.close()


def maya_signs_in(client: TestClient, password: str) -> Any:
    """Maya, the owner ``init`` made, signs in through the API (the answer, whatever it is)."""
    return client.post(
        "/api/v1/auth/sign-in",
        json={"practice": "riverbend", "email": "maya@riverbend.test", "password": password},
    )


def _fast() -> dict[str, object]:
    return {"argon2_time_cost": 1, "argon2_memory_kib": 8}


def test_init_keeps_existing_keys_and_refuses_a_second_practice_with_the_same_code(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert init(tmp_path, "--data-dir", data_dir).exit_code == 0
    master = (data_dir / "keys" / "master.key").read_bytes()
    again = init(tmp_path, "--data-dir", data_dir)
    assert again.exit_code == 1
    said = words(again.output)
    assert "Created key file" not in said
    assert "A practice with the code 'riverbend' already exists. Choose another code." in said
    assert (data_dir / "keys" / "master.key").read_bytes() == master
    other = init(tmp_path, "--data-dir", data_dir, code="lakeside")
    assert other.exit_code == 0, other.output
    assert "Created key file" not in other.output


def test_init_without_a_terminal_names_the_missing_option(tmp_path: Path) -> None:
    result = cli("init", "--data-dir", tmp_path / "data", "--practice-code", "riverbend")
    assert result.exit_code == 1
    assert "Missing --practice-name (no terminal to ask on)." in words(result.output)


# -- demo -------------------------------------------------------------------------------------


def _counts(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("practices", "users", "conversations", "messages", "clients")
        }


def test_demo_seeds_once_and_reuses_on_the_next_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    first = cli("demo", "--no-serve", "--data-dir", data_dir)
    assert first.exit_code == 0, first.output
    said = words(first.output)
    assert "Back it up now" in said
    assert "Practice code: demo" in said
    for email, _name, role in STAFF:
        assert f"{email} {role.value}" in said
    password_file = data_dir / "demo-password.txt"
    password = password_file.read_text().strip()
    assert mode(password_file) == 0o600
    assert f"Password for every demo account: {password}" in said
    seeded = _counts(data_dir / "quietline.db")
    # Three staff conversations, the threads of Maya's two clients (scenario 1), and the
    # thread of Priya's client, with her staff note, that Dr. Lee supervises (scenario 2).
    assert seeded == {
        "practices": 1,
        "users": len(STAFF),
        "conversations": 6,
        "messages": 6,
        "clients": 3,
    }

    second = cli("demo", "--no-serve", "--data-dir", data_dir)
    assert second.exit_code == 0, second.output
    assert "Created key file" not in second.output  # the same keys ...
    assert f"Password for every demo account: {password}" in words(second.output)  # ... password
    assert _counts(data_dir / "quietline.db") == seeded  # ... and data, not a second copy
    assert cli("audit", "verify", "--data-dir", data_dir).exit_code == 0


# -- audit verify -----------------------------------------------------------------------------


def test_audit_verify_passes_on_an_intact_database_and_names_a_tampered_entry(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    assert init(tmp_path, "--data-dir", data_dir).exit_code == 0
    assert init(tmp_path, "--data-dir", data_dir, code="lakeside").exit_code == 0
    intact = cli("audit", "verify", "--data-dir", data_dir)
    assert intact.exit_code == 0, intact.output
    assert words(intact.output).count("chain intact") == 2

    with contextlib.closing(sqlite3.connect(data_dir / "quietline.db")) as conn:
        conn.execute(
            "UPDATE audit_events SET kind = 'user.deactivated' WHERE seq = 2 AND practice_id = "
            "(SELECT id FROM practices WHERE slug = 'riverbend')"
        )
        conn.commit()
    tampered = cli("audit", "verify", "--data-dir", data_dir)
    assert tampered.exit_code == 1, tampered.output
    said = words(tampered.output)
    assert "BROKEN" in said
    assert "(first bad entry: 2)" in said
    assert said.count("chain intact") == 1  # the other practice is still fine


# -- recover-account ----------------------------------------------------------------------------


def test_recover_account_lets_a_locked_out_solo_owner_back_in(tmp_path: Path) -> None:
    """Maya, the only owner, forgot her password and lost her authenticator: from the server,
    a new password and no second factor; her old sessions end; the audit trail says so."""
    data_dir = tmp_path / "data"
    assert init(tmp_path, "--data-dir", data_dir).exit_code == 0
    settings = load_settings(None, data_dir=data_dir, **_fast())
    new_password = "a new passphrase for maya 7"
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            signed_in = maya_signs_in(client, OWNER_PASSWORD)
            assert signed_in.status_code == 200, signed_in.text
            old_token = signed_in.json()["token"]
            headers = {"Authorization": f"Bearer {old_token}"}
            begun = client.post("/api/v1/me/second-factor/totp", headers=headers)
            secret = begun.json()["secret"]
            code = pyotp.TOTP(secret).now()
            confirmed = client.post(
                "/api/v1/me/second-factor/totp/confirm", json={"code": code}, headers=headers
            )
            assert confirmed.status_code == 200, confirmed.text
    finally:
        services.close()

    password_file = tmp_path / "new-password.txt"
    password_file.write_text(new_password + "\n")
    unknown = cli(
        "recover-account",
        "--data-dir",
        data_dir,
        "--practice-code",
        "riverbend",
        "--email",
        "nobody@riverbend.test",
        "--password-file",
        password_file,
    )
    assert unknown.exit_code == 1
    assert "No such account" in words(unknown.output)
    weak = tmp_path / "weak.txt"
    weak.write_text("short\n")
    refused = cli(
        "recover-account",
        "--data-dir",
        data_dir,
        "--practice-code",
        "riverbend",
        "--email",
        "maya@riverbend.test",
        "--password-file",
        weak,
    )
    assert refused.exit_code == 1
    assert "12" in words(refused.output)

    result = cli(
        "recover-account",
        "--data-dir",
        data_dir,
        "--practice-code",
        "RiverBend",
        "--email",
        "Maya@Riverbend.test",
        "--password-file",
        password_file,
        "--reset-second-factor",
    )
    assert result.exit_code == 0, result.output
    said = words(result.output)
    assert "password set, second factor removed; every session ended" in said
    assert squashed(new_password) not in squashed(result.output)

    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            assert (
                client.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}
                ).status_code
                == 401
            )
            old = maya_signs_in(client, OWNER_PASSWORD)
            assert old.status_code == 401
            new = maya_signs_in(client, new_password)
            assert new.status_code == 200, new.text  # no code asked: the factor is gone
            entries = client.get(
                "/api/v1/audit",
                params={"limit": 1000},
                headers={"Authorization": f"Bearer {new.json()['token']}"},
            ).json()
            console = [e for e in entries if e["details"].get("via") == "server_console"]
            assert sorted(e["kind"] for e in console) == [
                "auth.password_changed",
                "auth.second_factor_disabled",
            ]
            assert all(e["actor_user_id"] is None for e in console)
    finally:
        services.close()
    assert cli("audit", "verify", "--data-dir", data_dir).exit_code == 0


# -- configuration errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named", "secret"),
    [
        ({"QUIETLINE_PORT": "eighty"}, "QUIETLINE_PORT", None),
        ({"QUIETLINE_PORT": "70000"}, "QUIETLINE_PORT", None),
        ({"QUIETLINE_PROT": "8000"}, "QUIETLINE_PROT: is not a known setting", None),
        ({"QUIETLINE_LOG_LEVEL": "LOUD"}, "QUIETLINE_LOG_LEVEL", None),
        ({"QUIETLINE_BEHIND_TLS_PROXY": "maybe"}, "QUIETLINE_BEHIND_TLS_PROXY", None),
        (
            {"QUIETLINE_DATABASE_URL": "postgresql://quietline:hunter2-secret@127.0.0.1/ql"},
            "QUIETLINE_DATABASE_URL must not contain a password",
            "hunter2-secret",
        ),
        (
            {"QUIETLINE_DATABASE_URL": "mysql://127.0.0.1/ql"},
            "QUIETLINE_DATABASE_URL must be a sqlite or postgresql URL",
            None,
        ),
        (
            {"QUIETLINE_TLS_CERT_FILE": "/srv/cert.pem"},
            "QUIETLINE_TLS_CERT_FILE and QUIETLINE_TLS_KEY_FILE must be set together",
            None,
        ),
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["audit", "verify"], ["migrate"], ["purge"]])
def test_a_bad_setting_stops_with_a_message_naming_it_and_exit_code_2(
    env: dict[str, str], named: str, secret: str | None, command: list[str]
) -> None:
    result = cli(*command, env=env)
    assert result.exit_code == 2, result.output
    said = words(result.output)
    assert said.startswith("Quietline cannot start because of its settings:"), said
    assert named in said
    for jargon in ("Extra inputs", "Value error", "pydantic", "Traceback"):
        assert jargon not in said
    if secret is not None:
        assert squashed(secret) not in squashed(result.output)


def test_serve_without_key_files_names_the_settings_and_exits_2(tmp_path: Path) -> None:
    result = cli("serve", env={"QUIETLINE_DATA_DIR": str(tmp_path / "empty")})
    assert result.exit_code == 2, result.output
    said = words(result.output)
    assert "Master key file" in said
    assert "does not exist" in said
    assert "Run 'quietline init'" in said
    assert "QUIETLINE_MASTER_KEY_FILE" in said
    assert "QUIETLINE_AUDIT_KEY_FILE" in said


def test_serve_refuses_plain_http_on_a_public_address(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # Keys but no database: were the address check ever lost, serve would still stop (at the
    # schema check) instead of listening on a public address.
    ensure_key_files(Settings(data_dir=data_dir))
    for host in ("0.0.0.0", "::", "192.0.2.10", "quietline.example.org"):  # noqa: S104
        result = cli("serve", env={"QUIETLINE_DATA_DIR": str(data_dir), "QUIETLINE_HOST": host})
        assert result.exit_code == 2, result.output
        said = words(result.output)
        assert f"QUIETLINE_HOST={host} is not a loopback address" in said
        assert "QUIETLINE_TLS_CERT_FILE" in said
        assert "QUIETLINE_BEHIND_TLS_PROXY=true" in said


def test_the_listen_address_check(tmp_path: Path) -> None:
    """The rule itself, without starting anything: loopback is always allowed, anything else
    needs TLS or a declared TLS proxy."""
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        Settings(data_dir=tmp_path, host=host).check_listen_address()
    for host in ("0.0.0.0", "::", "10.0.0.5", "example.org"):  # noqa: S104
        with pytest.raises(ConfigError, match=f"QUIETLINE_HOST={host} is not a loopback"):
            Settings(data_dir=tmp_path, host=host).check_listen_address()
        Settings(data_dir=tmp_path, host=host, behind_tls_proxy=True).check_listen_address()
        Settings(
            data_dir=tmp_path, host=host, tls_cert_file=tmp_path / "c", tls_key_file=tmp_path / "k"
        ).check_listen_address()


# -- the TOML config file ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(path: Path, data_dir: Path, port: int, *extra: str) -> Path:
    lines = [
        f'data_dir = "{data_dir}"',
        'host = "127.0.0.1"',
        f"port = {port}",
        "argon2_time_cost = 1",
        "argon2_memory_kib = 8",
        *extra,
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_toml_config_file_is_used_by_every_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "from-config"
    config = write_config(tmp_path / "quietline.toml", data_dir, 8123)
    created = init(tmp_path, "--config", config)
    assert created.exit_code == 0, created.output
    assert (data_dir / "keys" / "master.key").is_file()
    assert not (tmp_path / "xdg" / "quietline").exists()  # not the default folder
    by_option = cli("audit", "verify", "--config", config)
    assert by_option.exit_code == 0, by_option.output
    assert "chain intact" in words(by_option.output)
    by_variable = cli("audit", "verify", env={"QUIETLINE_CONFIG": str(config)})
    assert by_variable.exit_code == 0, by_variable.output
    assert "chain intact" in words(by_variable.output)


def test_environment_variables_override_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "quietline.toml", tmp_path / "data", 8123, 'issuer = "File"')
    assert load_settings(config).port == 8123
    monkeypatch.setenv("QUIETLINE_PORT", "8124")
    settings = load_settings(config)
    assert settings.port == 8124
    assert settings.issuer == "File"
    assert settings.data_dir == tmp_path / "data"
    assert load_settings(config, port=8125).port == 8125  # command-line values win


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('port = "eighty"\n', "QUIETLINE_PORT"),
        ("prot = 8000\n", "QUIETLINE_PROT: is not a known setting"),
        ("port = \n", "is not valid TOML"),
        ('data_dir = "unterminated\n', "is not valid TOML"),
    ],
)
def test_a_bad_config_file_is_explained(tmp_path: Path, content: str, named: str) -> None:
    config = tmp_path / "quietline.toml"
    config.write_text(content)
    for args in (["serve", "--config", str(config)], ["audit", "verify", "--config", str(config)]):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        said = words(result.output)
        assert named in said, said
    missing = cli("serve", "--config", tmp_path / "nowhere.toml")
    assert missing.exit_code == 2
    assert squashed(f"Config file {tmp_path / 'nowhere.toml'} does not exist.") in squashed(
        missing.output
    )


@contextlib.contextmanager
def running(*args: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # the real console script, in its own process
        [str(QUIETLINE), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.slow
def test_serve_runs_from_a_toml_config_file_on_loopback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    config = write_config(tmp_path / "quietline.toml", data_dir, port)
    assert init(tmp_path, "--data-dir", data_dir).exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIETLINE_")}
    env["QUIETLINE_CONFIG"] = str(config)
    with running("serve", env=env) as process, httpx.Client(timeout=5) as http:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if http.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        signed_in = http.post(
            f"{base}/auth/sign-in",
            json={
                "practice": "riverbend",
                "email": "maya@riverbend.test",
                "password": OWNER_PASSWORD,
            },
        )
        assert signed_in.status_code == 200, signed_in.text


def test_the_known_revisions_are_every_migration_up_to_the_head() -> None:
    """What a tool checks a database against before using it (the benchmarks do)."""
    versions = Path(quietline.storage.__file__).parent / "migrations" / "versions"
    files = sorted(p.name for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert known_revisions() == {name[:4] for name in files}
    assert head_revision() == files[-1][:4]
    assert "no-such-revision" not in known_revisions()


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ensure_key_files(Settings(data_dir=data_dir))  # keys, but no database yet
    config = write_config(tmp_path / "quietline.toml", data_dir, _free_port())
    result = cli("serve", "--config", config)
    assert result.exit_code == 2, result.output
    assert "The database schema is not up to date. Run: quietline migrate" in words(result.output)


# -- migrations -------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, made for this test only."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("pg_ready")  # skips (or fails in CI) without PostgreSQL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"quietline_fresh_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_differences(url: str, target: MetaData) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_declared_schema(fresh_database: str) -> None:
    upgrade(fresh_database)
    assert schema_differences(fresh_database, metadata) == []
    upgrade(fresh_database)  # running it again changes nothing
    assert schema_differences(fresh_database, metadata) == []

    # The comparison does see a difference when there is one.
    drifted = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    Table("practices", drifted, Column("surprise", Integer), extend_existing=True)
    found = schema_differences(fresh_database, drifted)
    assert [d[0] for d in found if isinstance(d, tuple)] == ["add_column"], found


def test_the_partial_idempotency_indexes_migration_keeps_messages_and_the_rule(
    fresh_database: str,
) -> None:
    """0008 replaces the idempotency unique constraints by partial unique indexes (on SQLite
    by rebuilding the messages table): the rows stay and a repeated key is still refused."""
    upgrade(fresh_database, "0007")
    now = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
    practice, user, conversation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tables = metadata.tables

    def message(seq: int, key: str) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "practice_id": practice,
            "conversation_id": conversation,
            "seq": seq,
            "sender_id": user,
            "idempotency_key": key,
            "body_sealed": b"sealed",
            "dek_wrapped": b"wrapped",
            "urgent": False,
            "created_at": now,
        }

    engine = create_engine(fresh_database)
    try:
        with engine.begin() as conn:
            conn.execute(
                tables["practices"].insert(),
                {
                    "id": practice,
                    "slug": "migrating",
                    "name": "Migrating",
                    "created_at": now,
                    "session_idle_minutes": 30,
                    "session_absolute_hours": 12,
                    "app_lock_minutes": 5,
                    "recall_window_minutes": 15,
                },
            )
            conn.execute(
                tables["practice_keys"].insert(),
                {
                    "key_id": "k1",
                    "practice_id": practice,
                    "wrapped_key": b"k",
                    "created_at": now,
                    "active": True,
                },
            )
            conn.execute(
                tables["users"].insert(),
                {
                    "id": user,
                    "practice_id": practice,
                    "email": "owner@migrating.test",
                    "display_name": "Owner",
                    "role": "owner",
                    "password_hash": "x",
                    "password_changed_at": now,
                    "is_active": True,
                    "created_at": now,
                },
            )
            conn.execute(
                tables["conversations"].insert(),
                {
                    "id": conversation,
                    "practice_id": practice,
                    "kind": "group",
                    "key_wrapped": b"k",
                    "practice_key_id": "k1",
                    "last_seq": 2,
                    "created_at": now,
                    "last_activity_at": now,
                },
            )
            conn.execute(tables["messages"].insert(), [message(1, "key-1"), message(2, "key-2")])
        upgrade(fresh_database)
        assert schema_differences(fresh_database, metadata) == []
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT idempotency_key FROM messages ORDER BY seq")).scalars()
            assert list(keys) == ["key-1", "key-2"]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(tables["messages"].insert(), message(3, "key-1"))
    finally:
        engine.dispose()


def test_quietline_migrate_brings_a_new_data_folder_up_to_date(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = cli("migrate", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert "Database schema is up to date." in words(result.output)
    assert schema_differences(f"sqlite:///{data_dir / 'quietline.db'}", metadata) == []
