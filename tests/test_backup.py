"""``quietline backup``, ``backup verify`` and ``restore``: encrypted, consistent backups that
restore into either backend.

Round trips run from each backend into each backend (SQLite and PostgreSQL, both ways). The
checks on damaged files run on one SQLite backup: the file format does not depend on the
database it came from.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from quietline.actions.auth import SignedIn, SignInRequest, authenticate, do_sign_in
from quietline.actions.context import Actor
from quietline.actions.conversations import do_create_direct, do_create_group
from quietline.actions.messages import do_send_message
from quietline.actions.users import do_create_user
from quietline.app import Services, build_services, create_app, ensure_key_files
from quietline.cli.main import app
from quietline.config import Settings
from quietline.crypto.keys import (
    KeyRing,
    MasterKey,
    create_master_key_file,
    load_audit_key_file,
    load_master_key_file,
)
from quietline.domain.roles import Role
from quietline.operations import backup as ops
from quietline.operations.backup import BackupError
from quietline.storage.audit_anchor import AuditAnchor
from quietline.storage.migrate import alembic_config, current_revision, head_revision, upgrade
from quietline.storage.stores.maintenance import MaintenanceEvent, MaintenanceStore
from quietline.storage.tables import audit_events, conversations, messages, metadata
from quietline.storage.unit import Unit
from tests.conftest import (
    BACKENDS,
    PASSWORD,
    PG_URL,
    add_staff,
    make_practice,
    sign_in,
)
from tests.live_support import create_direct, create_group, history, send_message
from tests.test_no_plaintext import leaks

FAST_HASHING = {"QUIETLINE_ARGON2_TIME_COST": "1", "QUIETLINE_ARGON2_MEMORY_KIB": "8"}
PREAMBLE = struct.Struct(">16sHI")  # as documented in docs/decisions/0012-backup-format.md
FRAME = struct.Struct(">BI")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        app, [str(a) for a in args], env={**FAST_HASHING, **(env or {})}, catch_exceptions=False
    )


def words(output: str) -> str:
    return " ".join(output.split())


# -- set-up -------------------------------------------------------------------------------


@dataclass
class Seeded:
    practice_id: UUID
    slug: str
    owner_token: str
    group: str
    direct: str
    readable: dict[str, str]  # message id -> body, for every message that can still be read
    recalled: str
    body_marker: str
    title_marker: str
    dana_email: str


def _marker(label: str) -> str:
    return f"QlBackup{label}{uuid.uuid4().hex}"


def seed(services: Services, slug: str = "riverbend") -> Seeded:
    """A practice with staff, a channel and a direct conversation, messages (one urgent, one
    recalled, non-ASCII text), receipts and audited history reads, made through the API."""
    practice = make_practice(services, slug)
    body_marker, title_marker = _marker("Body"), _marker("Title")
    readable: dict[str, str] = {}
    dana_email = f"dana@{slug}.test"
    with TestClient(create_app(services)) as client:
        owner = sign_in(client, slug, practice.owner_email)
        dana_id = add_staff(owner, dana_email)
        eli_id = add_staff(owner, f"eli@{slug}.test", role="front_desk")
        group = create_group(owner, f"Case review {title_marker}", [dana_id, eli_id])
        direct = create_direct(owner, dana_id)
        dana = sign_in(client, slug, dana_email, device="dana's phone")
        for i in range(6):
            body = f"{body_marker} group note {i}: Grüße, ça va? 👋"
            readable[send_message(owner, group, body)["id"]] = body
        for i in range(4):
            body = f"{body_marker} direct {i}"
            readable[send_message(dana, direct, body)["id"]] = body
        urgent = f"{body_marker} urgent"
        readable[send_message(owner, direct, urgent, urgent=True)["id"]] = urgent
        recalled = send_message(owner, group, f"{body_marker} recalled")["id"]
        assert owner.delete(f"/conversations/{group}/messages/{recalled}").status_code == 204
        marked = dana.post(f"/conversations/{group}/receipts", {"kind": "seen", "up_to_seq": 3})
        assert marked.status_code == 200, marked.text
        assert len(history(dana, group)) == 6
        token = owner.token
    return Seeded(
        practice.id,
        slug,
        token,
        group,
        direct,
        readable,
        recalled,
        body_marker,
        title_marker,
        dana_email,
    )


@dataclass
class Keys:
    master: MasterKey
    audit: bytes


def keys_of(settings: Settings) -> Keys:
    return Keys(
        load_master_key_file(settings.master_key_path), load_audit_key_file(settings.audit_key_path)
    )


@dataclass
class Target:
    backend: str
    url: str
    folder: Path  # the data folder: SQLite file, anchor

    @property
    def anchor(self) -> Path:
        return self.folder / "audit-anchor.json"


@pytest.fixture(params=BACKENDS)
def target_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def new_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Target]]:
    """Makes empty targets: a new data folder, or a new PostgreSQL database (dropped after)."""
    created: list[str] = []
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def make(backend: str) -> Target:
        folder = tmp_path / f"target-{secrets.token_hex(3)}"
        folder.mkdir(mode=0o700)
        if backend == "sqlite":
            return Target(backend, f"sqlite:///{folder / 'quietline.db'}", folder)
        request.getfixturevalue("pg_ready")  # skips (or fails in CI) without PostgreSQL
        name = f"quietline_restore_{os.getpid()}_{secrets.token_hex(4)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        return Target(backend, url, folder)

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
                if t.name in present
            }
    finally:
        engine.dispose()


def last_event(url: str, kind: str) -> MaintenanceEvent | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MaintenanceStore(conn).last(kind)
    finally:
        engine.dispose()


def wipe(url: str) -> None:
    """Lose the database: delete the SQLite file, or empty every PostgreSQL table."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} CASCADE"))
    engine.dispose()


def readable_bodies(settings: Settings, seeded: Seeded) -> dict[str, str]:
    """Every message body a member can read, through the app's own sign-in and history."""
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as client:
            dana = sign_in(client, seeded.slug, seeded.dana_email)
            return {
                m["id"]: m["body"]
                for conversation in (seeded.group, seeded.direct)
                for m in history(dana, conversation)
            }
    finally:
        services.close()


def target_settings(settings: Settings, target: Target) -> Settings:
    return Settings(
        data_dir=target.folder,
        database_url=target.url,
        master_key_file=settings.master_key_path,
        audit_key_file=settings.audit_key_path,
        audit_anchor_file=target.anchor,
        argon2_time_cost=1,
        argon2_memory_kib=8,
    )


def actor_for(services: Services, token: str) -> Actor:
    return services.db.read_sync(lambda unit: authenticate(unit, token)).actor


# -- round trips --------------------------------------------------------------------------


def test_backup_wipe_restore_gives_back_every_row_every_message_and_the_audit_trail(
    services: Services,
    settings: Settings,
    database_url: str,
    target_backend: str,
    new_target: Callable[[str], Target],
    tmp_path: Path,
) -> None:
    """From each backend into each: in place after losing the database when the backends are
    the same, into a new database of the other backend otherwise."""
    seeded = seed(services)
    make_practice(services, "lakeside")  # a second practice: a second audit chain
    keys = keys_of(settings)
    before = table_counts(database_url)
    backup_file = tmp_path / "riverbend.qlbackup"

    summary = ops.create_backup(database_url, backup_file, master=keys.master, audit_key=keys.audit)
    assert summary.counts() == before
    assert summary.header.revision == head_revision()
    assert summary.record_problem is None
    recorded = last_event(database_url, "backup")
    assert recorded is not None
    assert recorded.ok
    assert recorded.details == {
        "tables": len(before),
        "rows": sum(before.values()),
        "bytes": backup_file.stat().st_size,
        "chunks": summary.chunks,
    }
    assert backup_file.stat().st_mode & 0o077 == 0

    # Nothing readable is in the file: no message text, channel title, e-mail address or key.
    data = backup_file.read_bytes()
    for secret in (
        seeded.body_marker,
        seeded.title_marker,
        seeded.dana_email,
        "Practice riverbend",
    ):
        assert leaks(secret, data) == [], secret
    for key in (keys.master.key, keys.audit):
        assert key not in data
        assert base64.b64encode(key) not in data

    # One more message after the backup: the anchor moves past what the backup holds.
    owner = actor_for(services, seeded.owner_token)
    services.db.write_sync(
        lambda unit: do_send_message(
            unit,
            owner,
            UUID(seeded.group),
            body="after the backup",
            idempotency_key="after-the-backup-1",
        )
    )
    services.close()
    anchored_before = AuditAnchor(settings.audit_anchor_path).read()

    source_backend = make_url(database_url).get_backend_name()
    if target_backend == source_backend:
        wipe(database_url)
        target = Target(target_backend, database_url, settings.data_dir)
        assert target.anchor == settings.audit_anchor_path
    else:
        target = new_target(target_backend)

    report = ops.restore_backup(
        backup_file,
        target.url,
        masters=[keys.master],
        audit_key=keys.audit,
        anchor_path=target.anchor,
    )
    assert report.ok, report.audit
    assert len(report.audit) == 2
    assert report.upgraded_from is None
    assert report.warnings == ()
    assert report.record_problem is None
    restored = table_counts(target.url)
    assert restored == {**before, "maintenance_events": before["maintenance_events"] + 1}
    restore_event = last_event(target.url, "restore")
    assert restore_event is not None
    assert restore_event.ok
    assert restore_event.details["rows"] == sum(before.values())

    # Exactly the same values: a backup of the restored database has the same checksums.
    again = ops.create_backup(
        target.url, tmp_path / "again.qlbackup", master=keys.master, record=False
    )
    first = {t.name: t.sha256 for t in summary.tables if t.name != "maintenance_events"}
    second = {t.name: t.sha256 for t in again.tables if t.name != "maintenance_events"}
    assert second == first

    # The anchor now holds the restored heads; the old one is kept, and what it knew of is
    # explained.
    assert AuditAnchor(target.anchor).read() == report.heads
    riverbend = seeded.practice_id
    if target.anchor == settings.audit_anchor_path:
        assert report.previous_anchor is not None
        assert AuditAnchor(report.previous_anchor).read() == anchored_before
        assert any("written after the backup" in note for note in report.anchor_notes)
        assert anchored_before[riverbend][0] == report.heads[riverbend][0] + 1
    else:
        assert report.previous_anchor is None
        assert report.anchor_notes == ()

    # Every message decrypts, and members read them through the app as they were sent.
    content = ops.check_content(target.url, KeyRing([keys.master]))
    assert content.failures == []
    assert content.messages == len(seeded.readable)
    assert content.titles == 1
    assert readable_bodies(target_settings(settings, target), seeded) == seeded.readable

    verified = cli(
        "audit",
        "verify",
        env={
            "QUIETLINE_DATA_DIR": str(target.folder),
            "QUIETLINE_DATABASE_URL": target.url,
            "QUIETLINE_MASTER_KEY_FILE": str(settings.master_key_path),
            "QUIETLINE_AUDIT_KEY_FILE": str(settings.audit_key_path),
            "QUIETLINE_AUDIT_ANCHOR_FILE": str(target.anchor),
        },
    )
    assert verified.exit_code == 0, verified.output
    assert words(verified.output).count("chain intact") == 2


class WaitForSends:
    """Holds the backup at some tables until more sends have committed (bounded), so the
    sends demonstrably run while the snapshot is open."""

    def __init__(self, sent: Callable[[], int]) -> None:
        self._sent = sent
        self.overlapped: list[bool] = []

    def table_started(self, name: str, rows: int) -> None:
        if name not in ("practices", "audit_events", "conversations", "messages"):
            return
        goal = self._sent() + 3
        deadline = time.monotonic() + 10
        while self._sent() < goal and time.monotonic() < deadline:
            time.sleep(0.005)
        self.overlapped.append(self._sent() >= goal)

    def rows_done(self, count: int) -> None:
        pass


def test_a_backup_taken_while_messages_are_sent_is_one_consistent_moment(
    services: Services, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    practice = make_practice(services, "riverbend")
    signed_in = services.db.write_sync(
        lambda unit: do_sign_in(
            unit,
            services.passwords,
            services.lookup_key,
            SignInRequest("riverbend", practice.owner_email, PASSWORD, "load", "127.0.0.1"),
        )
    )
    assert isinstance(signed_in, SignedIn)
    owner = signed_in.actor
    dana = services.db.write_sync(
        lambda unit: do_create_user(
            unit,
            owner,
            email="dana@riverbend.test",
            display_name="Dana",
            role=Role.CLINICIAN,
            password=services.passwords.new_secret(PASSWORD),
        )
    )
    group = services.db.write_sync(lambda unit: do_create_group(unit, owner, "Load", [dana.id]))
    direct = services.db.write_sync(lambda unit: do_create_direct(unit, owner, dana.id))
    targets = [group.id, direct.id]

    lock = threading.Lock()
    sent = 0
    stop = threading.Event()
    errors: list[BaseException] = []

    def count() -> int:
        with lock:
            return sent

    def sender(worker: int) -> None:
        nonlocal sent
        deadline = time.monotonic() + 40
        for i in range(400):  # bounded by count, by time, and by the stop signal
            if stop.is_set() or time.monotonic() > deadline:
                return
            cid = targets[(worker + i) % 2]
            key = f"load-{worker}-{i}-{uuid.uuid4().hex[:8]}"
            body = f"load {worker}/{i}"

            def send(unit: Unit, cid: UUID = cid, key: str = key, body: str = body) -> None:
                do_send_message(unit, owner, cid, body=body, idempotency_key=key)

            try:
                services.db.write_sync(send)
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                sent += 1

    threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 10
        while count() < 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        at_start = count()
        keys = keys_of(settings)
        waiter = WaitForSends(count)
        backup_file = tmp_path / "during-load.qlbackup"
        summary = ops.create_backup(
            database_url, backup_file, master=keys.master, audit_key=keys.audit, progress=waiter
        )
        at_end = count()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert all(waiter.overlapped), "the sends did not overlap the backup"
    in_backup = summary.counts()["messages"]
    assert at_start <= in_backup < at_end

    target = tmp_path / "restored"
    url = f"sqlite:///{target / 'quietline.db'}"
    report = ops.restore_backup(
        backup_file,
        url,
        masters=[keys.master],
        audit_key=keys.audit,
        anchor_path=target / "audit-anchor.json",
    )
    assert report.ok, report.audit  # the audit head matches the entries, sends and all
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for cid in targets:
                last_seq = conn.execute(
                    select(conversations.c.last_seq).where(conversations.c.id == cid)
                ).scalar_one()
                seqs = list(
                    conn.execute(
                        select(messages.c.seq)
                        .where(messages.c.conversation_id == cid)
                        .order_by(messages.c.seq)
                    ).scalars()
                )
                assert seqs == list(range(1, last_seq + 1))
            sends_audited = conn.execute(
                select(func.count())
                .select_from(audit_events)
                .where(audit_events.c.kind == "message.sent")
            ).scalar_one()
            assert sends_audited == in_backup
    finally:
        engine.dispose()
    content = ops.check_content(url, KeyRing([keys.master]))
    assert content.failures == []
    assert content.messages == in_backup


def test_a_backup_of_an_older_schema_restores_and_is_upgraded(
    tmp_path: Path, target_backend: str, new_target: Callable[[str], Target]
) -> None:
    settings = Settings(
        data_dir=tmp_path / "old", argon2_time_cost=1, argon2_memory_kib=8, purge_interval_seconds=1
    )
    ensure_key_files(settings)
    url = settings.resolved_database_url()
    upgrade(url)
    services = build_services(settings)
    try:
        seeded = seed(services)
    finally:
        services.close()
    # Back to revision 0003 as it was, data and all. The downgrade rebuilds `practices` on
    # SQLite, so it runs with foreign keys off (with them on, as the migration engine sets
    # them, dropping the old table would cascade to every practice's rows).
    plain = create_engine(url)
    with plain.begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    plain.dispose()
    assert table_counts(url)["messages"] == len(seeded.readable) + 1
    keys = keys_of(settings)
    backup_file = tmp_path / "old.qlbackup"
    summary = ops.create_backup(url, backup_file, master=keys.master, audit_key=keys.audit)
    assert summary.header.revision == "0003"
    assert "staff_invites" not in summary.counts()  # a table that came later

    target = new_target(target_backend)
    report = ops.restore_backup(
        backup_file,
        target.url,
        masters=[keys.master],
        audit_key=keys.audit,
        anchor_path=target.anchor,
    )
    assert report.ok, report.audit
    assert report.upgraded_from == "0003"
    assert current_revision(target.url) == head_revision()
    assert table_counts(target.url)["staff_invites"] == 0
    assert readable_bodies(target_settings(settings, target), seeded) == seeded.readable


# -- one installation, many damaged copies ------------------------------------------------


@dataclass
class Installation:
    settings: Settings
    keys: Keys
    backup: Path
    seeded: Seeded


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    folder = tmp_path_factory.mktemp("installation")
    settings = Settings(
        data_dir=folder / "data", argon2_time_cost=1, argon2_memory_kib=8, purge_interval_seconds=1
    )
    ensure_key_files(settings)
    upgrade(settings.resolved_database_url())
    services = build_services(settings)
    try:
        seeded = seed(services)
    finally:
        services.close()
    keys = keys_of(settings)
    backup = folder / "good.qlbackup"
    ops.create_backup(
        settings.resolved_database_url(), backup, master=keys.master, audit_key=keys.audit
    )
    return Installation(settings, keys, backup, seeded)


@dataclass
class Layout:
    data: bytes
    header_end: int
    chunks: list[tuple[int, int]]  # (start, end) of each framed chunk


def layout(data: bytes) -> Layout:
    magic, _version, length = PREAMBLE.unpack_from(data)
    assert magic == b"QUIETLINE-BACKUP"
    pos = PREAMBLE.size + length
    header_end = pos
    chunks = []
    while pos < len(data):
        _flag, size = FRAME.unpack_from(data, pos)
        chunks.append((pos, pos + FRAME.size + size))
        pos += FRAME.size + size
    assert pos == len(data)
    return Layout(data, header_end, chunks)


def _drop_final_chunk(c: Layout) -> bytes:
    return c.data[: c.chunks[-1][0]]


def _cut_inside_last_chunk(c: Layout) -> bytes:
    return c.data[: c.chunks[-1][0] + 10]


def _flip_a_byte_in_chunk_3(c: Layout) -> bytes:
    start, end = c.chunks[3]
    middle = (start + FRAME.size + end) // 2
    return c.data[:middle] + bytes([c.data[middle] ^ 0x01]) + c.data[middle + 1 :]


def _swap_chunks_2_and_3(c: Layout) -> bytes:
    (a0, a1), (b0, b1) = c.chunks[2], c.chunks[3]
    return c.data[:a0] + c.data[b0:b1] + c.data[a0:a1] + c.data[b1:]


def _end_early_at_chunk_2(c: Layout) -> bytes:
    start, end = c.chunks[2]
    return c.data[:start] + b"\x01" + c.data[start + 1 : end]


def _edit_the_plaintext_header(c: Layout) -> bytes:
    header = c.data[PREAMBLE.size : c.header_end]
    edited = header.replace(b'"created_at":"2', b'"created_at":"1', 1)
    assert edited != header
    return c.data[: PREAMBLE.size] + edited + c.data[c.header_end :]


def _append_a_byte(c: Layout) -> bytes:
    return c.data + b"\x00"


def _version_99(c: Layout) -> bytes:
    return c.data[:16] + struct.pack(">H", 99) + c.data[18:]


def _not_a_backup(c: Layout) -> bytes:
    return b"SQLite format 3\x00" + secrets.token_bytes(200)


def _empty(c: Layout) -> bytes:
    return b""


DAMAGE: list[tuple[Callable[[Layout], bytes], str]] = [
    (_drop_final_chunk, "The backup file is incomplete: it ends after chunk"),
    (_cut_inside_last_chunk, "The backup file is incomplete: it ends inside chunk"),
    (_flip_a_byte_in_chunk_3, "Chunk 3 of the backup file fails authentication"),
    (_swap_chunks_2_and_3, "Chunk 2 of the backup file fails authentication"),
    (_end_early_at_chunk_2, "Chunk 2 of the backup file fails authentication"),
    (_edit_the_plaintext_header, "Chunk 0 of the backup file fails authentication"),
    (_append_a_byte, "The backup file has 1 bytes after its final chunk"),
    (_version_99, "is a Quietline backup in format version 99, which this version"),
    (_not_a_backup, "is not a Quietline backup file."),
    (_empty, "is not a Quietline backup file."),
]


@pytest.mark.parametrize(("damage", "expected"), DAMAGE, ids=[d.__name__[1:] for d, _ in DAMAGE])
def test_a_damaged_backup_is_refused_by_verify_and_restore(
    installation: Installation,
    tmp_path: Path,
    damage: Callable[[Layout], bytes],
    expected: str,
) -> None:
    damaged = tmp_path / "damaged.qlbackup"
    damaged.write_bytes(damage(layout(installation.backup.read_bytes())))
    masters = [installation.keys.master]
    with pytest.raises(BackupError) as verify_refused:
        ops.verify_backup(damaged, masters=masters)
    assert expected in str(verify_refused.value)

    target = tmp_path / "target"
    with pytest.raises(BackupError) as restore_refused:
        ops.restore_backup(
            damaged,
            f"sqlite:///{target / 'quietline.db'}",
            masters=masters,
            audit_key=installation.keys.audit,
            anchor_path=target / "audit-anchor.json",
        )
    assert expected in str(restore_refused.value)
    assert not (target / "quietline.db").exists()  # nothing half-restored is left behind
    assert not (target / "audit-anchor.json").exists()


def test_the_last_chunk_is_the_one_that_says_so(installation: Installation) -> None:
    """The final flag is in the clear but authenticated, so the damage cases above test what
    they claim to."""
    parsed = layout(installation.backup.read_bytes())
    flags = [parsed.data[start] for start, _ in parsed.chunks]
    assert flags[-1] == 1
    assert set(flags[:-1]) == {0}
    assert len(parsed.chunks) > 6


def test_another_master_key_is_named_and_refused(
    installation: Installation, tmp_path: Path
) -> None:
    other = create_master_key_file(tmp_path / "other-master.key")
    for attempt in (
        lambda: ops.verify_backup(installation.backup, masters=[other]),
        lambda: ops.run_restore_test(
            installation.backup, masters=[other], audit_key=installation.keys.audit
        ),
    ):
        with pytest.raises(BackupError) as refused:
            attempt()
        said = str(refused.value)
        assert (
            f"This backup was encrypted with master key {installation.keys.master.key_id}, but "
            f"the configured master key is {other.key_id}." in said
        )
        assert "Set QUIETLINE_MASTER_KEY_FILE" in said

    data_dir = tmp_path / "elsewhere"
    ensure_key_files(Settings(data_dir=data_dir))  # a different installation's keys
    result = cli("backup", "verify", installation.backup, env={"QUIETLINE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 1, result.output
    said = words(result.output)
    assert "The backup cannot be used. This backup was encrypted with master key" in said
    assert installation.keys.master.key_id in said


def test_a_refused_restore_leaves_the_target_empty_for_another_try(
    installation: Installation,
    target_backend: str,
    new_target: Callable[[str], Target],
    tmp_path: Path,
) -> None:
    parsed = layout(installation.backup.read_bytes())
    start, end = parsed.chunks[-3]  # late: most rows are already inserted when it fails
    middle = (start + FRAME.size + end) // 2
    damaged = tmp_path / "late-damage.qlbackup"
    damaged.write_bytes(
        parsed.data[:middle] + bytes([parsed.data[middle] ^ 0x80]) + parsed.data[middle + 1 :]
    )
    target = new_target(target_backend)
    arguments = {
        "masters": [installation.keys.master],
        "audit_key": installation.keys.audit,
        "anchor_path": target.anchor,
    }
    with pytest.raises(BackupError, match=f"Chunk {len(parsed.chunks) - 3} of the backup file"):
        ops.restore_backup(damaged, target.url, **arguments)  # type: ignore[arg-type]
    if target_backend == "postgresql":
        assert set(table_counts(target.url).values()) == {0}  # a schema, but no rows
    report = ops.restore_backup(installation.backup, target.url, **arguments)  # type: ignore[arg-type]
    assert report.ok


def test_restore_refuses_a_database_that_holds_data(
    services: Services, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    seed(services)
    keys = keys_of(settings)
    backup_file = tmp_path / "b.qlbackup"
    ops.create_backup(database_url, backup_file, master=keys.master, audit_key=keys.audit)
    before = table_counts(database_url)
    with pytest.raises(BackupError) as refused:
        ops.restore_backup(
            backup_file,
            database_url,
            masters=[keys.master],
            audit_key=keys.audit,
            anchor_path=settings.audit_anchor_path,
        )
    said = str(refused.value)
    assert "is not empty (it holds rows in" in said
    assert "A restore never overwrites data" in said
    assert table_counts(database_url) == before


def test_a_restore_test_names_a_message_that_no_longer_decrypts(
    installation: Installation, tmp_path: Path
) -> None:
    """A backup whose database had a damaged message body: the restore test finds it."""
    copy = tmp_path / "copy"
    shutil.copytree(installation.settings.data_dir, copy)
    url = f"sqlite:///{copy / 'quietline.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        victim, body = conn.execute(
            select(messages.c.id, messages.c.body_sealed).where(messages.c.body_sealed.is_not(None))
        ).first()  # type: ignore[misc]
        damaged = body[:-1] + bytes([body[-1] ^ 1])
        conn.execute(messages.update().where(messages.c.id == victim).values(body_sealed=damaged))
    engine.dispose()
    backup_file = tmp_path / "with-damage.qlbackup"
    keys = installation.keys
    ops.create_backup(url, backup_file, master=keys.master, record=False)
    report = ops.run_restore_test(
        backup_file, masters=[keys.master], audit_key=keys.audit, record_in=url
    )
    assert not report.ok
    assert report.failures == (f"message {victim}",)
    assert report.messages_checked == len(installation.seeded.readable)
    event = last_event(url, "restore_test")
    assert event is not None
    assert not event.ok
    assert event.details["failures"] == 1


def test_upgrading_a_sqlite_database_keeps_every_row(tmp_path: Path) -> None:
    """What a restore of an older backup relies on. Migration 0004 rebuilds `practices` on
    SQLite; with foreign keys on during the migration, dropping the old table cascaded to
    every row of every practice."""
    settings = Settings(data_dir=tmp_path / "data", argon2_time_cost=1, argon2_memory_kib=8)
    ensure_key_files(settings)
    url = settings.resolved_database_url()
    upgrade(url)
    services = build_services(settings)
    try:
        seed(services)
    finally:
        services.close()
    before = table_counts(url)
    plain = create_engine(url)  # foreign keys off, as SQLite starts
    with plain.begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    plain.dispose()
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert table_counts(url) == before


def test_a_backup_newer_than_this_version_is_refused(
    tmp_path: Path, installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if this code were one migration behind the version that made the backup."""
    newest = head_revision()
    real = ops._revisions_up_to
    monkeypatch.setattr(ops, "_revisions_up_to", lambda rev: None if rev == newest else real(rev))
    monkeypatch.setattr(ops, "head_revision", lambda: "0003")
    target = tmp_path / "target" / "quietline.db"
    with pytest.raises(BackupError) as refused:
        ops.restore_backup(
            installation.backup,
            f"sqlite:///{target}",
            masters=[installation.keys.master],
            audit_key=installation.keys.audit,
            anchor_path=tmp_path / "anchor.json",
        )
    said = str(refused.value)
    assert f"This backup has schema revision {newest}, which is newer than" in said
    assert "it knows up to 0003" in said
    assert not target.exists()


# -- the commands -------------------------------------------------------------------------


def test_the_commands_back_up_verify_test_and_restore_with_progress(
    services: Services,
    settings: Settings,
    database_url: str,
    target_backend: str,
    new_target: Callable[[str], Target],
    tmp_path: Path,
) -> None:
    seeded = seed(services)  # the server keeps running throughout
    env = {"QUIETLINE_DATA_DIR": str(settings.data_dir), "QUIETLINE_DATABASE_URL": database_url}
    backup_file = tmp_path / "nightly.qlbackup"

    made = cli("backup", "--to", backup_file, env=env)
    assert made.exit_code == 0, made.output
    said = words(made.output)
    assert "Backup written to" in said
    assert "messages" in said
    assert f"{len(seeded.readable) + 1}/{len(seeded.readable) + 1} rows" in said  # progress
    assert "which is not in the backup" in said
    assert "without it this backup cannot be read" in said

    again = cli("backup", "--to", backup_file, env=env)
    assert again.exit_code == 1
    assert "already exists. Choose a new file name" in words(again.output)
    missing = cli("backup", env=env)
    assert missing.exit_code == 2
    assert "Name the file to write: quietline backup --to FILE" in words(missing.output)

    checked = cli("backup", "verify", backup_file, env=env)
    assert checked.exit_code == 0, checked.output
    said = words(checked.output)
    assert "every checksum matches" in said
    assert f"messages │ {len(seeded.readable) + 1} │" in said

    tested = cli("restore", "--test", backup_file, env=env)
    assert tested.exit_code == 0, tested.output
    said = words(tested.output)
    assert "Restore test passed" in said
    assert f"{len(seeded.readable)} messages" in said
    assert "chain intact" in said

    for kind in ("backup", "backup_verify", "restore_test"):
        event = last_event(database_url, kind)
        assert event is not None, kind
        assert event.ok, kind
        assert event.details, kind
        assert all(isinstance(v, int) for v in event.details.values()), event.details  # counts

    target = new_target(target_backend)
    restore_env = {
        "QUIETLINE_DATA_DIR": str(target.folder),
        "QUIETLINE_MASTER_KEY_FILE": str(settings.master_key_path),
        "QUIETLINE_AUDIT_KEY_FILE": str(settings.audit_key_path),
    }
    where = [] if target_backend == "sqlite" else ["--database-url", target.url]
    restored = cli("restore", backup_file, *where, env=restore_env)
    assert restored.exit_code == 0, restored.output
    said = words(restored.output)
    assert "chain intact" in said
    assert "Restored" in said
    assert "now records the restored chain heads" in said
    event = last_event(target.url, "restore")
    assert event is not None
    assert event.ok

    refused = cli("restore", backup_file, *where, env=restore_env)
    assert refused.exit_code == 1
    said = words(refused.output)
    assert "Nothing was restored." in said
    assert "is not empty" in said

    damaged = tmp_path / "damaged.qlbackup"
    damaged.write_bytes(backup_file.read_bytes()[:-7])
    for args in (("backup", "verify", damaged), ("restore", "--test", damaged)):
        result = cli(*args, env=env)
        assert result.exit_code == 1, result.output
        assert "The backup file is incomplete: it ends inside chunk" in words(result.output)
    failed = last_event(database_url, "backup_verify")
    assert failed is not None
    assert not failed.ok


def test_backup_and_verify_name_what_is_missing(tmp_path: Path) -> None:
    master = create_master_key_file(tmp_path / "master.key")
    nowhere = tmp_path / "nowhere" / "quietline.db"
    with pytest.raises(BackupError, match="There is no database at"):
        ops.create_backup(f"sqlite:///{nowhere}", tmp_path / "b.qlbackup", master=master)
    assert not nowhere.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "master.key"]  # no partial file left
    with pytest.raises(BackupError, match=r"The folder .* does not exist"):
        ops.create_backup(f"sqlite:///{nowhere}", tmp_path / "no" / "b.qlbackup", master=master)
    with pytest.raises(BackupError, match="There is no file"):
        ops.verify_backup(tmp_path / "missing.qlbackup", masters=[master])
