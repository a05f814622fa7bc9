"""The composition root: builds every long-lived part once and hands it to whoever needs it.

No module keeps state in globals; tests build as many independent instances as they like.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import Connection

from quietline.config import ConfigError, Settings
from quietline.crypto.keys import (
    KeyFileError,
    KeyRing,
    create_audit_key_file,
    create_master_key_file,
    load_audit_key_file,
    load_master_keys,
    load_or_create_vapid_key,
)
from quietline.crypto.passwords import Passwords
from quietline.domain.clock import Clock, SystemClock
from quietline.events.hub import InProcessHub
from quietline.notify.webpush import WebPushSender
from quietline.storage.audit_anchor import AuditAnchor
from quietline.storage.database import Database
from quietline.storage.unit import Unit

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    keyring: KeyRing
    audit_key: bytes
    lookup_key: bytes
    record_key: bytes  # signs documents the practice files (the offboarding record)
    passwords: Passwords
    hub: InProcessHub
    db: Database[Unit]
    audit_anchor: AuditAnchor
    push_sender: WebPushSender
    created_key_files: list[Path] = field(default_factory=list)

    def close(self) -> None:
        self.db.close()
        self.audit_anchor.flush()
        self.keyring.clear()


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


def ensure_key_files(settings: Settings) -> list[Path]:
    """Create the master and audit key files when missing (init and demo only)."""
    created = []
    # Private before anything is put in it: it also holds the SQLite database.
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not settings.master_key_path.exists():
        create_master_key_file(settings.master_key_path)
        created.append(settings.master_key_path)
    if not settings.audit_key_path.exists():
        create_audit_key_file(settings.audit_key_path)
        created.append(settings.audit_key_path)
    return created


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Load keys, open the database and wire the parts together. Raises ConfigError."""
    try:
        # The active master key, and the other key of a rotation that is not finished yet.
        masters = load_master_keys(settings.master_key_path)
        audit_key = load_audit_key_file(settings.audit_key_path)
        vapid_key = load_or_create_vapid_key(settings.vapid_key_path)
    except KeyFileError as exc:
        raise ConfigError(
            f"{exc}. Run 'quietline init' to create the keys for a new installation, or set "
            "QUIETLINE_MASTER_KEY_FILE and QUIETLINE_AUDIT_KEY_FILE."
        ) from None
    if len(masters) > 1:
        log.warning(
            "a master key rotation is unfinished (%d master keys loaded); everything stays "
            "readable: run 'quietline keys rotate' to finish it",
            len(masters),
        )
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    clock = clock or SystemClock()
    master_path = settings.master_key_path
    keyring = KeyRing(masters, reload=lambda: load_master_keys(master_path))
    hub = InProcessHub()

    def make_unit(conn: Connection, read_only: bool) -> Unit:
        return Unit(conn, read_only=read_only, clock=clock, keyring=keyring, audit_key=audit_key)

    anchor = AuditAnchor(settings.audit_anchor_path)

    def after_commit(units: list[Unit]) -> None:
        """On the writer thread, in commit order: tell sockets, then anchor the audit chain."""
        events = [event for unit in units for event in unit.events]
        if events:
            hub.publish(events)
        heads: dict[UUID, tuple[int, bytes]] = {}
        for unit in units:
            heads.update(unit.audit_heads)
        anchor.advance(heads)

    db: Database[Unit] = Database(
        settings.resolved_database_url(), make_unit, after_commit, when_idle=anchor.flush
    )
    return Services(
        settings=settings,
        clock=clock,
        keyring=keyring,
        audit_key=audit_key,
        lookup_key=_derive(audit_key, b"quietline/lookup-key"),
        record_key=_derive(audit_key, b"quietline/record-signing-key"),
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_cost_kib=settings.argon2_memory_kib,
            parallelism=1 if settings.argon2_memory_kib < 64 else 2,
        ),
        hub=hub,
        db=db,
        audit_anchor=anchor,
        push_sender=WebPushSender(vapid_key, settings.push_contact),
    )


def create_app(services: Services) -> FastAPI:
    from quietline.api.app import build_api

    return build_api(services)
