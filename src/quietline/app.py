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
from quietline.storage.deferred import DeferredCounters
from quietline.storage.stores.audit import AuditHeadHints, store_deferred_head
from quietline.storage.stores.conversations import store_deferred_seq
from quietline.storage.unit import Unit

if TYPE_CHECKING:
    from fastapi import FastAPI

    from quietline.gateways.console import ConsoleRecord
    from quietline.gateways.email import EmailGateway
    from quietline.gateways.sms import SmsGateway
    from quietline.gateways.twilio_sms import TwilioWebhookVerifier

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
    # Client messaging (decision 0017): the configured gateways (None: not configured), the
    # verifier of Twilio's webhooks, and the console gateways' in-memory record (demo).
    sms: SmsGateway | None = None
    email: EmailGateway | None = None
    twilio_webhooks: TwilioWebhookVerifier | None = None
    console_record: ConsoleRecord | None = None

    def close(self) -> None:
        close_sms = getattr(self.sms, "close", None)
        if close_sms is not None:
            close_sms()
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


@dataclass
class Gateways:
    sms: SmsGateway | None = None
    email: EmailGateway | None = None
    twilio_webhooks: TwilioWebhookVerifier | None = None
    console_record: ConsoleRecord | None = None


def build_gateways(settings: Settings, clock: Clock) -> Gateways:
    """The SMS and e-mail gateways the settings name (secrets read from their files).
    Raises ConfigError. The Twilio SDK is imported only when it is used."""
    built = Gateways()
    if "console" in (settings.sms_gateway, settings.email_gateway):
        from quietline.gateways.console import ConsoleRecord

        built.console_record = ConsoleRecord(clock)
    if settings.sms_gateway == "twilio":
        from quietline.gateways.twilio_sms import TwilioSmsGateway, TwilioWebhookVerifier

        token = settings.read_secret_file("twilio_auth_token_file")
        built.sms = TwilioSmsGateway(
            account_sid=settings.twilio_account_sid or "",
            auth_token=token,
            default_from=settings.sms_from_number,
            api_base=settings.twilio_api_base,
        )
        built.twilio_webhooks = TwilioWebhookVerifier(token)
    elif settings.sms_gateway == "console" and built.console_record is not None:
        from quietline.gateways.console import ConsoleSmsGateway

        built.sms = ConsoleSmsGateway(built.console_record, settings.sms_from_number)
    if settings.email_gateway == "smtp":
        from quietline.gateways.email import SmtpEmailGateway

        password = (
            settings.read_secret_file("smtp_password_file")
            if settings.smtp_password_file is not None
            else None
        )
        try:
            built.email = SmtpEmailGateway(
                host=settings.smtp_host or "",
                port=settings.smtp_port,
                default_from=settings.smtp_from or "",
                username=settings.smtp_username,
                password=password,
                ca_file=settings.smtp_ca_file,
            )
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConfigError(
                f"QUIETLINE_SMTP_CA_FILE: cannot load {settings.smtp_ca_file} as CA "
                f"certificates ({exc.__class__.__name__})"
            ) from None
    elif settings.email_gateway == "console" and built.console_record is not None:
        from quietline.gateways.console import ConsoleEmailGateway

        built.email = ConsoleEmailGateway(built.console_record, settings.smtp_from)
    return built


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
    gateways = build_gateways(settings, clock)
    master_path = settings.master_key_path
    keyring = KeyRing(masters, reload=lambda: load_master_keys(master_path))
    hub = InProcessHub()

    audit_hints = AuditHeadHints()

    def make_unit(conn: Connection, read_only: bool) -> Unit:
        return Unit(
            conn,
            read_only=read_only,
            clock=clock,
            keyring=keyring,
            audit_key=audit_key,
            audit_hints=audit_hints,
        )

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
        settings.resolved_database_url(),
        make_unit,
        after_commit,
        when_idle=anchor.flush,
        counters=lambda: DeferredCounters(store_deferred_seq, store_deferred_head),
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
        sms=gateways.sms,
        email=gateways.email,
        twilio_webhooks=gateways.twilio_webhooks,
        console_record=gateways.console_record,
    )


def create_app(services: Services) -> FastAPI:
    from quietline.api.app import build_api

    return build_api(services)
