"""Key rotation (``quietline keys rotate``): the master key and the practice keys.

A populated practice (messages, a channel name, an authenticator turned on and another half
set up, a push subscription, quick replies, an emergency-access grant and a legal hold) must
read the same through the normal actions before, during and after a rotation: after an
interruption at any step, from the server that was running all along and from one started
afresh on the key files present, and after the command is run again to finish. Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import os
import stat
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from quietline.actions.audit import verify_all
from quietline.actions.client_settings import practice_sms_number
from quietline.actions.notifications import plan_notifications
from quietline.actions.outbox import enqueue_outbound
from quietline.actions.templates import DEFAULT_TEMPLATES
from quietline.app import Services, build_services, create_app
from quietline.cli.main import app
from quietline.config import ConfigError, Settings
from quietline.crypto.envelope import DecryptionError, open_envelope, read_header
from quietline.crypto.fields import (
    SealedMessage,
    open_conversation_title,
    open_emergency_reason,
    open_legal_hold_reason,
    open_message_body,
    open_user_secret,
    seal_emergency_reason,
    seal_legal_hold_reason,
    seal_record_field,
    seal_user_secret,
)
from quietline.crypto.keys import (
    KeyRing,
    MasterKey,
    WrappedKey,
    load_master_key_file,
    load_master_keys,
    new_master_key,
    write_master_key_file_atomically,
)
from quietline.crypto.tokens import keyed_hash
from quietline.domain.clock import ManualClock
from quietline.domain.events import Event
from quietline.operations import keys as rotation
from quietline.operations.keys import (
    SEALED_BY_PRACTICE_KEY,
    MasterKeyFiles,
    RotationOutcome,
    envelope_header,
    rotate_keys,
    rotation_lock,
    unclassified_columns,
)
from quietline.storage.tables import (
    audit_events,
    conversations,
    emergency_access,
    legal_holds,
    messages,
    outbound_messages,
)
from quietline.storage.unit import Unit
from tests.conftest import (
    Api,
    LiveServer,
    PracticeHandle,
    add_staff,
    make_practice,
    sign_in,
)
from tests.live_support import create_direct, create_group, history, send_message

FAST_HASHING = {"QUIETLINE_ARGON2_TIME_COST": "1", "QUIETLINE_ARGON2_MEMORY_KIB": "8"}
PUSH_HOSTS = "127.0.0.1"  # the push endpoint below: a closed loopback port, never reached
CHANNEL_TITLE = "Case review: J. Doe"
QUICK_REPLIES = ["Call J. back after 4", "Room 3 is free"]
GRANT_REASON = "Covering for Dana: client J. Doe in crisis"
HOLD_REASON = "Subpoena 24-117 (J. Doe)"
CLIENT = {
    "name": "Jane Doe",
    "preferred_name": "J.",
    "phone": "+14155550123",
    "email": "jane.doe@example.org",
    "date_of_birth": "1988-05-17",
    "notes": "Prefers Thursdays",
}
TEMPLATE_BODY = "The side door is open after {time}."
PRACTICE_NUMBER = "+14155550100"
QUEUED_TEXT = "You have a new message from your care team: http://localhost:8000/c/#qlc_x"


# -- settings and set-up ------------------------------------------------------------------------
@pytest.fixture
def settings(settings: Settings) -> Settings:
    return Settings(**{**settings.model_dump(), "push_endpoint_hosts": PUSH_HOSTS})


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No QUIETLINE_* setting from the surrounding shell reaches the command."""
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)


def push_keys() -> dict[str, str]:
    """A browser's subscription keys (a real P-256 point and a random secret)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}


@dataclass
class Populated:
    practice: PracticeHandle
    other: PracticeHandle
    dana_id: UUID
    dana_email: str
    dana_secret: str
    channel_id: str
    endpoint: str
    client_id: str


def populate(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> Populated:
    other = make_practice(services, "lakeside")  # a second practice key for the master
    dana_email = f"dana@{practice.slug}.test"
    dana_id = add_staff(owner, dana_email)
    dana = sign_in(client, practice.slug, dana_email)
    # Dana turns an authenticator on; the owner starts setting one up (a pending seed).
    begun = dana.post("/me/second-factor/totp")
    assert begun.status_code == 200, begun.text
    secret: str = begun.json()["secret"]
    confirmed = dana.post(
        "/me/second-factor/totp/confirm", {"code": totp_code(secret, services.clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert owner.post("/me/second-factor/totp").status_code == 200

    channel = create_group(owner, CHANNEL_TITLE, [dana_id])
    desk = create_group(owner, "Front desk", [dana_id])
    direct = create_direct(dana, owner.user_id)
    send_message(owner, channel, "J. Doe moved to Thursdays at 2")
    send_message(dana, channel, "Noted, I will update the file")
    send_message(owner, desk, "Room 3 is free after 4")
    send_message(dana, direct, "Can we talk about J. before group?")

    quick = owner.client.put(
        "/api/v1/practice/quick-replies", json={"replies": QUICK_REPLIES}, headers=owner.headers
    )
    assert quick.status_code == 200, quick.text
    endpoint = f"http://127.0.0.1:9/push/{uuid.uuid4().hex}"
    subscribed = dana.client.put(
        "/api/v1/me/push-subscription",
        json={"endpoint": endpoint, "keys": push_keys()},
        headers=dana.headers,
    )
    assert subscribed.status_code == 204, subscribed.text

    def seal_oversight(unit: Unit) -> None:
        stored, key = unit.practice_key(practice.id)
        grant_id, hold_id = uuid.uuid4(), uuid.uuid4()
        conversation_id = UUID(channel)
        unit.conn.execute(
            emergency_access.insert().values(
                id=grant_id,
                practice_id=practice.id,
                conversation_id=conversation_id,
                user_id=practice.owner_id,
                reason_sealed=seal_emergency_reason(
                    key, stored.key_id, practice.id, conversation_id, grant_id, GRANT_REASON
                ),
                opened_at=unit.now,
                expires_at=unit.now + timedelta(hours=1),
            )
        )
        unit.conn.execute(
            legal_holds.insert().values(
                id=hold_id,
                practice_id=practice.id,
                conversation_id=conversation_id,
                reason_sealed=seal_legal_hold_reason(
                    key, stored.key_id, practice.id, conversation_id, hold_id, HOLD_REASON
                ),
                placed_by=practice.owner_id,
                placed_at=unit.now,
            )
        )

    services.db.write_sync(seal_oversight)

    # Client messaging: a client with every field, the scheduling templates (the defaults and
    # one more), the practice's SMS number and a queued text (due next year, so the outbox
    # worker leaves it sealed in its row).
    created = owner.post("/clients", CLIENT)
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    template = owner.post("/message-templates", {"name": "Door", "body": TEMPLATE_BODY})
    assert template.status_code == 201, template.text

    def seal_messaging(unit: Unit) -> None:
        stored, key = unit.practice_key(practice.id)
        unit.practice_messaging.set_sms_number(
            practice.id,
            sealed=seal_record_field(
                key,
                stored.key_id,
                practice.id,
                "practice_messaging",
                "sms_number_sealed",
                practice.id,
                PRACTICE_NUMBER,
            ),
            lookup=keyed_hash(services.lookup_key, PRACTICE_NUMBER),
            now=unit.now,
        )
        queued = enqueue_outbound(
            unit,
            practice_id=practice.id,
            client_id=UUID(client_id),
            channel="sms",
            to_address=CLIENT["phone"],
            body=QUEUED_TEXT,
            purpose="notice",
        )
        unit.conn.execute(
            outbound_messages.update()
            .where(outbound_messages.c.id == queued)
            .values(next_attempt_at=unit.now + timedelta(days=365))
        )

    services.db.write_sync(seal_messaging)
    return Populated(practice, other, dana_id, dana_email, secret, channel, endpoint, client_id)


def totp_code(secret: str, clock: Any) -> str:
    return str(pyotp.TOTP(secret).at(clock.now()))


# -- reading everything back ---------------------------------------------------------------------
def read_through_actions(client: TestClient, services: Services, data: Populated) -> dict[str, Any]:
    """Everything sealed, read the way people read it: the API and the notifier's action."""
    practice = data.practice
    owner = sign_in(client, practice.slug, practice.owner_email)
    listed = owner.get("/conversations")
    assert listed.status_code == 200, listed.text
    titles = {c["id"]: c["title"] for c in listed.json()}
    bodies = {cid: [m["body"] for m in history(owner, cid)] for cid in titles}
    quick = owner.get("/practice/quick-replies")
    assert quick.status_code == 200, quick.text
    # The authenticator seed opens at sign-in (each code works once: move to the next step).
    assert isinstance(services.clock, ManualClock)
    services.clock.advance(timedelta(seconds=30))
    sign_in(
        client,
        practice.slug,
        data.dana_email,
        otp_code=totp_code(data.dana_secret, services.clock),
    )
    # The push subscription opens when a message is to be notified.
    event = Event(
        practice.id,
        "message.created",
        (),
        {"conversation_id": data.channel_id, "sender_id": str(practice.owner_id), "urgent": True},
    )
    jobs = services.db.write_sync(lambda unit: plan_notifications(unit, [event]))
    record = owner.get(f"/clients/{data.client_id}")
    assert record.status_code == 200, record.text
    templates = owner.get("/message-templates")
    assert templates.status_code == 200, templates.text
    return {
        "titles": titles,
        "bodies": bodies,
        "quick_replies": quick.json()["replies"],
        "push": sorted(str(job.subscription["endpoint"]) for job in jobs),
        "oversight": services.db.read_sync(lambda unit: _oversight_reasons(unit, practice.id)),
        "client": {k: record.json()[k] for k in CLIENT},
        "templates": [t["body"] for t in templates.json()],
        "sms_number": services.db.read_sync(lambda unit: practice_sms_number(unit, practice.id)),
    }


def _oversight_reasons(unit: Unit, practice_id: UUID) -> list[str]:
    def key(sealed: bytes) -> bytes:
        stored = unit.practices.key(practice_id, read_header(sealed).key_id)
        return unit.keyring.practice_key(practice_id, stored)

    found = []
    for grant in unit.conn.execute(
        select(emergency_access).where(emergency_access.c.practice_id == practice_id)
    ):
        sealed = bytes(grant.reason_sealed)
        found.append(
            open_emergency_reason(key(sealed), practice_id, grant.conversation_id, grant.id, sealed)
        )
    for hold in unit.conn.execute(
        select(legal_holds).where(legal_holds.c.practice_id == practice_id)
    ):
        sealed = bytes(hold.reason_sealed)
        found.append(
            open_legal_hold_reason(key(sealed), practice_id, hold.conversation_id, hold.id, sealed)
        )
    return sorted(found)


EXPECTED_OVERSIGHT = sorted([GRANT_REASON, HOLD_REASON])
EXPECTED_TEMPLATES = len(DEFAULT_TEMPLATES) + 1


def check_readable(client: TestClient, services: Services, data: Populated) -> dict[str, Any]:
    seen = read_through_actions(client, services, data)
    assert seen["titles"][data.channel_id] == CHANNEL_TITLE
    assert len(seen["titles"]) == 4  # two channels, a direct conversation, a client thread
    assert seen["titles"][seen_client_thread(seen)] == CLIENT["preferred_name"]
    assert "J. Doe moved to Thursdays at 2" in seen["bodies"][data.channel_id]
    assert sum(len(b) for b in seen["bodies"].values()) >= 4
    assert seen["quick_replies"] == QUICK_REPLIES
    assert seen["push"] == [data.endpoint]
    assert seen["oversight"] == EXPECTED_OVERSIGHT
    assert seen["client"] == CLIENT
    assert seen["templates"][-1] == TEMPLATE_BODY
    assert len(seen["templates"]) == EXPECTED_TEMPLATES
    assert seen["sms_number"] == PRACTICE_NUMBER
    return seen


def seen_client_thread(seen: dict[str, Any]) -> str:
    return str(
        next(cid for cid, title in seen["titles"].items() if title == CLIENT["preferred_name"])
    )


@contextmanager
def fresh_server(settings: Settings, clock: ManualClock) -> Iterator[tuple[TestClient, Services]]:
    """A server started now, from the key files present (as after a restart)."""
    services = build_services(settings, clock=clock)
    try:
        with TestClient(create_app(services)) as client:
            yield client, services
    finally:
        services.close()


def open_every_sealed_value(settings: Settings, services: Services) -> Counter[str]:
    """Open every wrapped key and sealed value of every practice with a key ring holding only
    what the key files hold now: nothing may be left that they cannot open."""
    ring = KeyRing(load_master_keys(settings.master_key_path))

    def read(unit: Unit) -> Counter[str]:
        opened: Counter[str] = Counter()
        raw: dict[str, bytes] = {}
        for key in unit.practices.all_keys():
            raw[key.key_id] = ring.practice_key(key.practice_id, key.wrapped_key)
            opened["practice keys"] += 1
        for conv in unit.conn.execute(select(conversations)):
            stored = unit.practices.key(conv.practice_id, conv.practice_key_id)
            ck = ring.conversation_key(conv.practice_id, conv.id, bytes(conv.key_wrapped), stored)
            opened["conversation keys"] += 1
            if conv.title_sealed is not None:
                open_conversation_title(ck, conv.practice_id, conv.id, bytes(conv.title_sealed))
                opened["titles"] += 1
            for msg in unit.conn.execute(
                select(messages).where(messages.c.conversation_id == conv.id)
            ):
                sealed = SealedMessage(bytes(msg.body_sealed), bytes(msg.dek_wrapped))
                open_message_body(ck, conv.practice_id, conv.id, msg.id, sealed)
                opened["messages"] += 1
        for column in SEALED_BY_PRACTICE_KEY:
            table = column.column.table
            for row in unit.conn.execute(select(table).where(column.column.is_not(None))):
                value = bytes(row._mapping[column.column.name])
                practice_id = row._mapping[column.scope.name]
                open_envelope(raw[read_header(value).key_id], value, column.aad(practice_id, row))
                opened[column.name] += 1
        return opened

    counts: Counter[str] = services.db.read_sync(read)
    return counts


EXPECTED_COUNTS = {
    "practice keys": 2,
    "conversation keys": 4,
    "titles": 3,
    "messages": 4,
    "users.totp_secret_sealed": 1,
    "users.totp_pending_sealed": 1,
    "push_subscriptions.subscription_sealed": 1,
    "practices.quick_replies_sealed": 1,
    "emergency_access.reason_sealed": 1,
    "legal_holds.reason_sealed": 1,
    **{f"clients.{column}_sealed": 1 for column in CLIENT},
    "practice_messaging.sms_number_sealed": 1,
    "message_templates.body_sealed": EXPECTED_TEMPLATES,
    "outbound_messages.to_sealed": 1,
    "outbound_messages.body_sealed": 1,
}


# -- running the rotation as the command does (its own services, its own key ring) -------------
class Crash(Exception):
    """A simulated crash of the rotation command."""


def crash_at(step: str, nth: int = 1) -> Callable[[str], None]:
    seen: Counter[str] = Counter()

    def hook(name: str) -> None:
        seen[name] += 1
        if name == step and seen[name] == nth:
            raise Crash(f"{name} #{nth}")

    return hook


def rotate(settings: Settings, clock: ManualClock, **options: Any) -> RotationOutcome:
    command = build_services(settings, clock=clock)
    try:
        return rotate_keys(command, **options)
    finally:
        command.close()


def cli(settings: Settings, *args: str) -> Result:
    env = {
        **FAST_HASHING,
        "QUIETLINE_DATA_DIR": str(settings.data_dir),
        "QUIETLINE_DATABASE_URL": str(settings.database_url),
        "QUIETLINE_PUSH_ENDPOINT_HOSTS": PUSH_HOSTS,
    }
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def words(output: str) -> str:
    return " ".join(output.split())


def squashed(value: str | Path) -> str:
    return "".join(str(value).split())


# -- what a finished rotation leaves ------------------------------------------------------------
def assert_master_retired(settings: Settings, services: Services, original: MasterKey) -> None:
    files = MasterKeyFiles.of(settings.master_key_path)
    assert not files.previous.exists()
    assert not files.next.exists()
    active = load_master_key_file(files.active)
    assert active.key_id != original.key_id
    retired = sorted(files.active.parent.glob(f"master.retired-*-{original.key_id}.key"))
    assert len(retired) == 1, retired
    assert stat.S_IMODE(retired[0].stat().st_mode) == 0o600
    assert load_master_key_file(retired[0]).key == original.key
    assert [k.key_id for k in load_master_keys(files.active)] == [active.key_id]
    # The old key file alone opens no practice key any more.
    keys = services.db.read_sync(lambda unit: unit.practices.all_keys())
    old_ring = KeyRing([original])
    for key in keys:
        assert read_header(key.wrapped).key_id == active.key_id
        with pytest.raises(DecryptionError):
            old_ring.practice_key(key.practice_id, key.wrapped_key)


def assert_practice_rotated(services: Services, practice_id: UUID, old_key_id: str) -> str:
    keys = services.db.read_sync(lambda unit: unit.practices.keys_of(practice_id))
    assert [k.active for k in keys] == [True]
    new_key_id = keys[0].key_id
    assert new_key_id != old_key_id

    def check(unit: Unit) -> None:
        header = envelope_header(new_key_id)
        key_ids = unit.conn.execute(
            select(conversations.c.practice_key_id).where(
                conversations.c.practice_id == practice_id
            )
        ).scalars()
        assert set(key_ids) <= {new_key_id}
        for sealed in SEALED_BY_PRACTICE_KEY:
            left = unit.practices.count_sealed_not_under(
                sealed.column, sealed.scope, practice_id, header
            )
            assert left == 0, sealed.name
        with pytest.raises(Exception, match="No row was found"):
            unit.practices.key(practice_id, old_key_id)

    services.db.read_sync(check)
    return new_key_id


def active_key_id(services: Services, practice_id: UUID) -> str:
    key: WrappedKey = services.db.read_sync(lambda unit: unit.practices.active_key(practice_id))
    return key.key_id


def audit_kinds(services: Services, practice_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    rows = services.db.read_sync(
        lambda unit: unit.conn.execute(
            select(audit_events.c.kind, audit_events.c.details)
            .where(audit_events.c.practice_id == practice_id)
            .order_by(audit_events.c.seq)
        ).all()
    )
    return [(r.kind, r.details) for r in rows if r.kind.startswith("keys.")]


def assert_audit_intact(services: Services) -> None:
    anchors = services.audit_anchor.read()
    reports = services.db.read_sync(lambda unit: verify_all(unit, services.audit_key, anchors))
    assert reports
    assert all(r.ok for r in reports), reports


# -- the whole rotation -------------------------------------------------------------------------
def test_every_binary_column_is_known_to_the_rotation() -> None:
    """A new column sealed by the practice key must be added to SEALED_BY_PRACTICE_KEY (with
    its associated data), or a practice rotation refuses to delete the old key."""
    assert unclassified_columns() == []


def test_a_master_rotation_by_the_command_rewraps_the_practice_keys_and_retires_the_old_key(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    assert open_every_sealed_value(settings, services) == EXPECTED_COUNTS
    original = load_master_key_file(settings.master_key_path)

    result = cli(settings, "keys", "rotate")
    assert result.exit_code == 0, result.output
    said = words(result.output)
    new = load_master_key_file(settings.master_key_path)
    assert f"Master key rotated: {original.key_id} -> {new.key_id}; 2 practice keys" in said
    assert "Back up the new master key file" in said
    assert "destroy it" in said
    retired = next(settings.master_key_path.parent.glob("master.retired-*.key"))
    assert squashed(retired) in squashed(result.output)
    assert_master_retired(settings, services, original)

    # The server that was running all along serves everything, also once it has forgotten
    # every key it had opened (it then reads the new key from its file by itself) ...
    assert check_readable(client, services, data)["bodies"] == before["bodies"]
    services.keyring.clear()
    assert read_through_actions(client, services, data) == before
    # ... and so does one started afresh.
    with fresh_server(settings, clock) as (fresh, fresh_services):
        assert read_through_actions(fresh, fresh_services, data) == before
    assert open_every_sealed_value(settings, services) == EXPECTED_COUNTS

    for practice_id in (practice.id, data.other.id):
        entries = audit_kinds(services, practice_id)
        assert [kind for kind, _ in entries] == ["keys.master_key_rotated"]
        assert entries[0][1] == {
            "old_master_key_ids": [original.key_id],
            "new_master_key_id": new.key_id,
            "practice_keys": 1,
        }
    assert_audit_intact(services)
    event = services.db.read_sync(lambda unit: unit.maintenance.last("key_rotation"))
    assert event is not None
    assert event.ok
    assert event.details["scope"] == "master"
    assert event.details["new_master_key_id"] == new.key_id

    status = cli(settings, "keys", "status")
    assert status.exit_code == 0, status.output
    assert f"Master key {new.key_id}" in words(status.output)
    assert "unfinished" not in status.output


def test_a_practice_rotation_by_the_command_reseals_everything_and_deletes_the_old_key(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    old_key = active_key_id(services, practice.id)
    other_key = active_key_id(services, data.other.id)

    result = cli(settings, "keys", "rotate", "--practice", practice.slug, "--batch-size", "2")
    assert result.exit_code == 0, result.output
    new_key = assert_practice_rotated(services, practice.id, old_key)
    said = words(result.output)
    secrets = sum(n for name, n in EXPECTED_COUNTS.items() if "." in name)
    assert (
        f"Practice {practice.slug}: key {old_key} replaced by {new_key}; 4 conversation keys "
        f"re-wrapped and {secrets} secrets re-sealed; the old key is deleted."
    ) in said
    assert active_key_id(services, data.other.id) == other_key  # only the practice asked for
    # The master key did not change.
    assert not list(settings.master_key_path.parent.glob("master.retired-*"))

    assert read_through_actions(client, services, data) == before
    services.keyring.clear()
    assert read_through_actions(client, services, data) == before
    with fresh_server(settings, clock) as (fresh, fresh_services):
        assert read_through_actions(fresh, fresh_services, data) == before
    assert open_every_sealed_value(settings, services) == EXPECTED_COUNTS

    # New things are sealed by the new key.
    channel = create_group(owner, "After the rotation", [data.dana_id])
    send_message(owner, channel, "Sealed by the new key")
    assert set(
        services.db.read_sync(
            lambda unit: unit.conn.execute(
                select(conversations.c.practice_key_id).where(
                    conversations.c.practice_id == practice.id
                )
            ).scalars()
        )
    ) == {new_key}

    entries = audit_kinds(services, practice.id)
    assert [kind for kind, _ in entries] == ["keys.practice_key_rotated"]
    assert entries[0][1] == {
        "old_key_ids": [old_key],
        "new_key_id": new_key,
        "conversation_keys": 4,
        # every sealed column, with what it holds (none left out, none at zero)
        **{name: n for name, n in EXPECTED_COUNTS.items() if "." in name},
    }
    assert audit_kinds(services, data.other.id) == []
    assert_audit_intact(services)
    event = services.db.read_sync(lambda unit: unit.maintenance.last("key_rotation"))
    assert event is not None
    assert event.ok
    assert event.details["scope"] == "practice"
    assert event.details["practice_ids"] == [str(practice.id)]
    assert event.details["conversation_keys"] == 4


def test_all_practices_rotate_together(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    old = {p: active_key_id(services, p) for p in (practice.id, data.other.id)}
    outcome = rotate(settings, clock, all_practices=True)
    assert not outcome.resumed
    assert {p.practice_id for p in outcome.practices} == set(old)
    for practice_id, old_key in old.items():
        assert_practice_rotated(services, practice_id, old_key)
    assert read_through_actions(client, services, data) == before


# -- interruptions -----------------------------------------------------------------------------
MASTER_STOPS = [
    ("master.staged", 1),
    ("master.previous_saved", 1),
    ("master.swapped", 1),
    ("master.batch", 1),
    ("master.batch", 2),
    ("master.recorded", 1),
    ("master.retired", 1),
]
PRACTICE_STOPS = [
    ("practice.switched", 1),
    ("practice.conversation_keys", 1),
    ("practice.conversation_keys", 3),
    *((f"practice.{sealed.name}", 1) for sealed in SEALED_BY_PRACTICE_KEY),
    ("practice.finished", 1),
]


@pytest.mark.parametrize(("step", "nth"), MASTER_STOPS)
def test_an_interrupted_master_rotation_stays_readable_and_a_second_run_finishes_it(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
    step: str,
    nth: int,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    original = load_master_key_file(settings.master_key_path)

    with pytest.raises(Crash):
        rotate(settings, clock, batch_size=1, hook=crash_at(step, nth))

    # In between: the running server and a server started now both read everything.
    services.keyring.clear()
    assert read_through_actions(client, services, data) == before
    with fresh_server(settings, clock) as (fresh, fresh_services):
        assert read_through_actions(fresh, fresh_services, data) == before
    assert open_every_sealed_value(settings, services) == EXPECTED_COUNTS
    failed = services.db.read_sync(lambda unit: unit.maintenance.last("key_rotation"))
    assert failed is not None
    assert not failed.ok
    assert failed.details == {"step": step, "error": "Crash"}

    outcome = rotate(settings, clock, batch_size=1)
    # After the last step the rotation was complete: a second run starts a new one.
    finished = step == "master.retired"
    assert outcome.resumed is not finished
    assert outcome.master is not None
    assert_master_retired(settings, services, original)
    assert read_through_actions(client, services, data) == before
    assert open_every_sealed_value(settings, services) == EXPECTED_COUNTS
    entries = audit_kinds(services, practice.id)
    assert [kind for kind, _ in entries] == ["keys.master_key_rotated"] * (2 if finished else 1)
    assert_audit_intact(services)


@pytest.mark.parametrize(("step", "nth"), PRACTICE_STOPS)
def test_an_interrupted_practice_rotation_stays_readable_and_a_second_run_finishes_it(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
    step: str,
    nth: int,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    old_key = active_key_id(services, practice.id)

    with pytest.raises(Crash):
        rotate(
            settings, clock, practice_codes=[practice.slug], batch_size=1, hook=crash_at(step, nth)
        )

    # The server keeps working in between, old and new keys side by side: it reads all, and
    # what it seals now is sealed by the new key.
    assert read_through_actions(client, services, data) == before
    services.keyring.clear()
    with fresh_server(settings, clock) as (fresh, fresh_services):
        assert read_through_actions(fresh, fresh_services, data) == before
    finished = step == "practice.finished"
    keys_now = 2 if finished else 3  # until the last step the old key is kept, inactive
    assert open_every_sealed_value(settings, services) == {
        **EXPECTED_COUNTS,
        "practice keys": keys_now,
    }
    between = create_group(owner, "Opened mid-rotation", [data.dana_id])
    send_message(owner, between, "Sent mid-rotation")
    opened = services.db.read_sync(lambda unit: unit.conversations.get(practice.id, UUID(between)))
    assert opened is not None
    assert opened.practice_key_id == active_key_id(services, practice.id) != old_key

    # The same command again: it finishes what was begun (or, after the last step, starts
    # and finishes a new rotation).
    outcome = rotate(settings, clock, practice_codes=[practice.slug], batch_size=1)
    assert outcome.resumed is not finished
    if finished:
        old_key = outcome.practices[0].old_key_ids[0]
    assert_practice_rotated(services, practice.id, old_key)
    after = read_through_actions(client, services, data)
    assert after["titles"][between] == "Opened mid-rotation"
    assert after["bodies"][between] == ["Sent mid-rotation"]
    del after["titles"][between], after["bodies"][between]
    assert after == before
    entries = audit_kinds(services, practice.id)
    assert [kind for kind, _ in entries] == ["keys.practice_key_rotated"] * (2 if finished else 1)
    assert_audit_intact(services)


def test_a_second_run_finishes_an_interrupted_rotation_whatever_it_is_asked(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    original = load_master_key_file(settings.master_key_path)
    with pytest.raises(Crash):
        rotate(settings, clock, batch_size=1, hook=crash_at("master.batch"))

    result = cli(settings, "keys", "status")
    assert "A key rotation is unfinished" in words(result.output)
    result = cli(settings, "keys", "rotate", "--practice", practice.slug)
    assert result.exit_code == 0, result.output
    said = words(result.output)
    assert "An unfinished key rotation was found and finished. No new rotation was started" in said
    assert "Master key rotated" in said
    assert f"Practice {practice.slug}" not in said
    assert_master_retired(settings, services, original)
    assert read_through_actions(client, services, data) == before


# -- the running server -------------------------------------------------------------------------
def test_a_running_server_keeps_serving_while_the_command_rotates_both_keys(
    live_server: LiveServer,
    settings: Settings,
    practice: PracticeHandle,
) -> None:
    services = live_server.services
    original = load_master_key_file(settings.master_key_path)
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        owner = sign_in(http, practice.slug, practice.owner_email)
        dana_id = add_staff(owner, f"dana@{practice.slug}.test")
        channels = [create_group(owner, f"Channel {i}", [dana_id]) for i in range(4)]
        old_key = active_key_id(services, practice.id)

        sent: list[tuple[str, str]] = []
        problems: list[str] = []
        stop = threading.Event()

        def keep_writing() -> None:
            """Send, open channels and edit quick replies the whole time (sealing with the
            practice key while it changes)."""
            with httpx.Client(base_url=live_server.url, timeout=10) as mine:
                me = sign_in(mine, practice.slug, practice.owner_email)
                i = 0
                while not stop.is_set() or i < 10:
                    i += 1
                    target = channels[i % len(channels)]
                    body = f"message {i}"
                    reply = me.post(
                        f"/conversations/{target}/messages",
                        {"body": body, "idempotency_key": str(uuid.uuid4())},
                    )
                    if reply.status_code != 201:
                        problems.append(f"send {i}: {reply.status_code} {reply.text}")
                    else:
                        sent.append((target, body))
                    if i % 5 == 0:
                        opened = me.post(
                            "/conversations",
                            {"kind": "group", "title": f"New {i}", "member_ids": [str(dana_id)]},
                        )
                        if opened.status_code != 201:
                            problems.append(f"open {i}: {opened.status_code} {opened.text}")
                        else:
                            channels.append(opened.json()["id"])
                    if i % 7 == 0:
                        edited = mine.put(
                            "/api/v1/practice/quick-replies",
                            json={"replies": [f"Reply {i}"]},
                            headers=me.headers,
                        )
                        if edited.status_code != 200:
                            problems.append(f"replies {i}: {edited.status_code}")

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            master = cli(settings, "keys", "rotate", "--batch-size", "1")
            rotated = cli(
                settings, "keys", "rotate", "--practice", practice.slug, "--batch-size", "1"
            )
        finally:
            stop.set()
            writer.join(timeout=60)
        assert master.exit_code == 0, master.output
        assert rotated.exit_code == 0, rotated.output
        assert problems == []
        assert len(sent) >= 10

        def everything(api: Api) -> dict[str, list[str]]:
            return {cid: [m["body"] for m in history(api, cid, limit=200)] for cid in channels}

        seen = everything(owner)
        for channel, body in sent:
            assert body in seen[channel]
        titles = {c["id"]: c["title"] for c in owner.get("/conversations").json()}
        assert all(titles[cid] for cid in channels)
        # Forgetting every key it held, the server finds the new master key in its file.
        services.keyring.clear()
        assert everything(owner) == seen
        assert owner.get("/practice/quick-replies").status_code == 200

    assert_master_retired(settings, services, original)
    assert_practice_rotated(services, practice.id, old_key)
    assert open_every_sealed_value(settings, services)["messages"] == len(sent)


# -- refusals and the key files -----------------------------------------------------------------
def test_one_rotation_at_a_time(
    services: Services, settings: Settings, practice: PracticeHandle, clock: ManualClock
) -> None:
    original = load_master_key_file(settings.master_key_path)
    with rotation_lock(MasterKeyFiles.of(settings.master_key_path)):
        result = cli(settings, "keys", "rotate")
    assert result.exit_code == 1, result.output
    assert "Another key rotation is running on this installation" in words(result.output)
    assert load_master_key_file(settings.master_key_path) == original
    assert not MasterKeyFiles.of(settings.master_key_path).unfinished


def test_the_command_explains_what_it_cannot_do(
    services: Services, settings: Settings, practice: PracticeHandle
) -> None:
    unknown = cli(settings, "keys", "rotate", "--practice", "nowhere")
    assert unknown.exit_code == 1
    assert "No practice has the code 'nowhere'. Nothing was changed." in words(unknown.output)
    both = cli(settings, "keys", "rotate", "--practice", practice.slug, "--all-practices")
    assert both.exit_code == 2
    assert "Give --practice or --all-practices, not both." in words(both.output)
    # Run as another user than the server's, it would write key files the server cannot read.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
        stranger = cli(settings, "keys", "rotate")
    assert stranger.exit_code == 1
    assert "Run the command as the user that owns" in words(stranger.output)
    assert not MasterKeyFiles.of(settings.master_key_path).unfinished
    assert audit_kinds(services, practice.id) == []
    assert services.db.read_sync(lambda unit: unit.maintenance.last("key_rotation")) is None


def test_an_old_key_still_sealing_a_value_the_rotation_cannot_reseal_is_kept(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should a sealed column be missing from SEALED_BY_PRACTICE_KEY, the rotation re-seals
    everything else but keeps the old key rather than leave that column unreadable."""
    data = populate(client, services, practice, owner)
    before = check_readable(client, services, data)
    old_key = active_key_id(services, practice.id)
    known = tuple(s for s in SEALED_BY_PRACTICE_KEY if s.name != "legal_holds.reason_sealed")
    monkeypatch.setattr(rotation, "SEALED_BY_PRACTICE_KEY", known)

    result = cli(settings, "keys", "rotate", "--practice", practice.slug)
    assert result.exit_code == 1, result.output
    assert (
        "legal_holds.reason_sealed holds values sealed by the old key of practice riverbend, "
        "and this version of Quietline cannot re-seal them. The old key was kept"
    ) in words(result.output)
    keys = services.db.read_sync(lambda unit: unit.practices.keys_of(practice.id))
    assert {k.key_id: k.active for k in keys}[old_key] is False
    services.keyring.clear()
    assert read_through_actions(client, services, data) == before

    monkeypatch.undo()  # the version that knows the column
    outcome = rotate(settings, clock)
    assert outcome.resumed
    assert_practice_rotated(services, practice.id, old_key)
    assert read_through_actions(client, services, data) == before


def test_the_key_ring_reads_the_key_files_again_for_a_master_key_it_lacks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys" / "master.key"
    old = new_master_key()
    write_master_key_file_atomically(path, old)
    ring = KeyRing(load_master_keys(path), reload=lambda: load_master_keys(path))
    practice_id = uuid.uuid4()
    wrapped = ring.new_practice_key(practice_id)

    new = new_master_key()
    other = KeyRing([new, old])
    rewrapped = WrappedKey(wrapped.key_id, other.rewrap_practice_key(practice_id, wrapped, new))
    ring.clear()
    with pytest.raises(DecryptionError):  # the new key is in no file yet
        ring.practice_key(practice_id, rewrapped)
    write_master_key_file_atomically(path.with_name("master.next.key"), new)
    assert len(ring.practice_key(practice_id, rewrapped)) == 32
    assert set(ring.master_key_ids) == {old.key_id, new.key_id}
    assert ring.active_master.key_id == old.key_id  # master.key still holds the old one
    # Once master.key holds the new key, a reload makes it the one that wraps new keys.
    path.with_name("master.next.key").replace(path)
    ring.clear()
    unknown = WrappedKey(
        "pk-unknown", KeyRing([new_master_key()]).new_practice_key(practice_id).wrapped
    )
    with pytest.raises(DecryptionError):
        ring.practice_key(practice_id, unknown)
    assert ring.active_master.key_id == new.key_id
    assert set(ring.master_key_ids) == {old.key_id, new.key_id}


def test_the_server_loads_every_key_of_an_unfinished_rotation_and_refuses_a_damaged_one(
    settings: Settings, clock: ManualClock
) -> None:
    path = settings.master_key_path
    active = load_master_key_file(path)
    staged = new_master_key()
    write_master_key_file_atomically(path.with_name("master.next.key"), staged)
    previous = new_master_key()
    write_master_key_file_atomically(path.with_name("master.previous.key"), previous)
    assert stat.S_IMODE(path.with_name("master.next.key").stat().st_mode) == 0o600
    services = build_services(settings, clock=clock)
    try:
        assert services.keyring.master_key_ids == [active.key_id, previous.key_id, staged.key_id]
        assert services.keyring.active_master.key_id == active.key_id
    finally:
        services.close()
    path.with_name("master.previous.key").write_text("quietline-master-key-v1:garbage\n")
    with pytest.raises(ConfigError, match=r"master\.previous\.key is damaged"):
        build_services(settings, clock=clock)


def test_a_key_file_write_cut_short_is_never_loaded_and_is_cleaned_up(
    services: Services, settings: Settings, practice: PracticeHandle, clock: ManualClock
) -> None:
    """A crash while a key file is written leaves only its ``.tmp`` (it is renamed into place
    when complete): the server starts without it, and the next rotation removes it."""
    original = load_master_key_file(settings.master_key_path)
    stray = settings.master_key_path.with_name("master.next.key.tmp")
    stray.write_text("quietline-master-key-v1:cut sho")
    stray.chmod(0o600)
    with fresh_server(settings, clock) as (_client, fresh_services):
        assert fresh_services.keyring.master_key_ids == [original.key_id]
    outcome = rotate(settings, clock)
    assert not outcome.resumed
    assert not stray.exists()
    assert_master_retired(settings, services, original)


# -- writes in flight while the rotation runs ---------------------------------------------------
def test_a_write_sealing_with_the_old_key_holds_up_the_switch(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    """A server write that took the active key before the switch and seals with it after:
    the switch waits for it to commit (PostgreSQL: the share lock on the key's row; SQLite:
    one writer at a time), so the rotation re-seals what it wrote."""
    populate(client, services, practice, owner)
    old_key = active_key_id(services, practice.id)
    has_key, go_on = threading.Event(), threading.Event()

    def slow_edit(unit: Unit) -> str:
        stored, key = unit.practice_key(practice.id)
        has_key.set()
        assert go_on.wait(10)
        sealed = seal_user_secret(
            key, stored.key_id, practice.id, practice.id, "quick-replies", '["Sealed late"]'
        )
        unit.practices.set_quick_replies_sealed(practice.id, sealed)
        return stored.key_id

    edit = services.db.submit_write(slow_edit)
    assert has_key.wait(10)
    rotation = threading.Thread(
        target=rotate, args=(settings, clock), kwargs={"practice_codes": [practice.slug]}
    )
    rotation.start()
    rotation.join(timeout=1.0)
    assert rotation.is_alive()  # waiting for the edit
    go_on.set()
    assert edit.result(timeout=10) == old_key
    rotation.join(timeout=30)
    assert not rotation.is_alive()
    assert_practice_rotated(services, practice.id, old_key)
    assert owner.get("/practice/quick-replies").json()["replies"] == ["Sealed late"]
    assert open_every_sealed_value(settings, services)["practices.quick_replies_sealed"] == 1


def test_a_write_copying_an_envelope_of_the_old_key_holds_up_its_deletion(
    client: TestClient,
    services: Services,
    settings: Settings,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    """Confirming an authenticator copies the pending seed's envelope as it is. A write that
    opened one with the old key after the switch and stores the copy later: the old key's
    deletion waits for it, sees the copy, and the rotation re-seals it before finishing."""
    populate(client, services, practice, owner)
    old_key = active_key_id(services, practice.id)
    has_read, go_on = threading.Event(), threading.Event()
    copies: list[Any] = []

    def slow_confirm(unit: Unit) -> str:
        user = unit.users.get(practice.id, practice.owner_id)
        assert user is not None
        assert user.totp_pending_sealed is not None
        pending = bytes(user.totp_pending_sealed)
        key_id = read_header(pending).key_id
        raw = unit.keyring.practice_key(practice.id, unit.practices.key(practice.id, key_id))
        open_user_secret(raw, practice.id, practice.owner_id, "totp", pending)
        has_read.set()
        assert go_on.wait(10)
        unit.users.update(practice.id, practice.owner_id, totp_secret_sealed=pending)
        return key_id

    def after_switch(step: str) -> None:
        if step == "practice.switched" and not copies:
            copies.append(services.db.submit_write(slow_confirm))
            assert has_read.wait(10)
            threading.Timer(1.0, go_on.set).start()

    outcome = rotate(settings, clock, practice_codes=[practice.slug], hook=after_switch)
    assert copies[0].result(timeout=10) == old_key  # it copied an envelope of the old key
    assert outcome.practices[0].sealed_values >= 7  # six, and the copy
    assert_practice_rotated(services, practice.id, old_key)
    counts = open_every_sealed_value(settings, services)
    assert counts["users.totp_secret_sealed"] == 2
