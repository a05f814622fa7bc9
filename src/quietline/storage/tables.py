"""Every table. Every row of practice data carries ``practice_id`` and stores filter on it in
every query. The exceptions are server-wide by design: ``practices`` itself,
``login_throttle``, whose keys are HMACs of what was typed at sign-in (no practice is known
to belong to them, and nothing readable is stored), and ``maintenance_events`` (backups,
restore tests, key rotations of the whole server: times and counts only).

Columns holding free text that can carry health information are ciphertext (``*_sealed``,
LargeBinary) produced by :mod:`quietline.crypto.fields`; there is no plaintext twin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import JSON, TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("expected a datetime from the database")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        general = super().result_processor(dialect, coltype)

        # SQLite keeps ISO 8601 text: parsed in C in one step, instead of SQLAlchemy's parser
        # followed by process_result_value (a list of 200 conversations reads 400 of these).
        def read(value: Any) -> datetime | None:
            if type(value) is str:
                parsed = datetime.fromisoformat(value)
                return (
                    parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
                )
            return general(value) if general is not None else value

        return read

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # SQLAlchemy's own SQLite text, always with microseconds ("2026-11-29 08:47:08.590000"),
        # made in C in one step.
        def write(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return write


def _practice_fk() -> Column[Any]:
    return Column(
        "practice_id", Uuid, ForeignKey("practices.id", ondelete="CASCADE"), nullable=False
    )


practices = Table(
    "practices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # policy
    Column("require_second_factor", Boolean, nullable=False, default=False),
    Column("session_idle_minutes", Integer, nullable=False),
    Column("session_absolute_hours", Integer, nullable=False),
    Column("app_lock_minutes", Integer, nullable=False),
    Column("default_message_ttl_seconds", Integer, nullable=True),
    Column("recall_window_minutes", Integer, nullable=False),
    # The practice's quick replies, sealed by the practice key (they may name people).
    Column("quick_replies_sealed", LargeBinary, nullable=True),
    # Retention: messages older than this many days are purged (None: only their TTL).
    Column("retention_days", Integer, nullable=True),
    # The generic words of every notification (never content; validated when set).
    Column("notification_text", String(120), nullable=True),
    # Supervisors may be given read access to supervisees' client threads.
    Column("supervisor_visibility", Boolean, nullable=False, server_default=false()),
)

practice_keys = Table(
    "practice_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    _practice_fk(),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_practice_keys_practice_active", "practice_id", "active"),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("email", String(320), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
    Column("totp_secret_sealed", LargeBinary, nullable=True),
    Column("totp_pending_sealed", LargeBinary, nullable=True),
    Column("totp_enabled_at", UTCDateTime, nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("deactivated_at", UTCDateTime, nullable=True),
    # argon2id of the PIN that unlocks a locked web app (never the PIN itself).
    Column("pin_hash", String(255), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("practice_id", "email", name="uq_users_practice_email"),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", LargeBinary(32), nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_recovery_codes_user", "user_id"),
)

device_sessions = Table(
    "device_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("device_name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("second_factor_verified", Boolean, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", String(40), nullable=True),
    Column("revoked_by", Uuid, nullable=True),
    # 'web' (cookie, the staff web app: app lock applies) or 'api' (bearer token).
    Column("client", String(8), nullable=False, server_default="api"),
    Column("locked_at", UTCDateTime, nullable=True),
    Column("unlock_failures", Integer, nullable=False, server_default="0"),
    CheckConstraint("client in ('web', 'api')", name="client"),
    Index("ix_device_sessions_user", "user_id"),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key_hash", LargeBinary(32), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UTCDateTime, nullable=False),
)

# A practice's clients. Everything that identifies a person is sealed by the practice key;
# inbound SMS and e-mail find their client through keyed hashes (HMAC with the server's
# lookup key) of the normalised phone number and address, never through plaintext.
clients = Table(
    "clients",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("name_sealed", LargeBinary, nullable=False),
    Column("preferred_name_sealed", LargeBinary, nullable=True),
    Column("phone_sealed", LargeBinary, nullable=True),
    Column("email_sealed", LargeBinary, nullable=True),
    Column("date_of_birth_sealed", LargeBinary, nullable=True),
    Column("notes_sealed", LargeBinary, nullable=True),
    Column("phone_lookup", LargeBinary(32), nullable=True),
    Column("email_lookup", LargeBinary(32), nullable=True),
    # STOP received: no SMS of any kind goes to this client until START.
    Column("sms_opted_out_at", UTCDateTime, nullable=True),
    # How far the client has read their thread on the secure page (their "seen" receipt).
    Column("page_seen_seq", BigInteger, nullable=False, server_default="0"),
    Column("page_seen_at", UTCDateTime, nullable=True),
    Column("archived_at", UTCDateTime, nullable=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_clients_phone_lookup", "practice_id", "phone_lookup"),
    Index("ix_clients_email_lookup", "practice_id", "email_lookup"),
)

# The clinicians a client is assigned to (they are members of the client's thread).
client_clinicians = Table(
    "client_clinicians",
    metadata,
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _practice_fk(),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("assigned_by", Uuid, nullable=True),
    Index("ix_client_clinicians_user", "user_id"),
)

# Consent to plain (unencrypted) SMS or e-mail, as an append-only history: the newest row per
# client and channel is the answer in force. The warning shown is kept word for word.
client_consents = Table(
    "client_consents",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("warning_text", String(2000), nullable=True),
    Column("method", String(16), nullable=False),
    Column("recorded_by", Uuid, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    CheckConstraint("channel in ('sms', 'email')", name="channel"),
    CheckConstraint(
        "method in ('verbal', 'written', 'secure_page', 'keyword', 'staff')", name="method"
    ),
    Index("ix_client_consents_client", "client_id", "channel", "recorded_at"),
)

# Secure-page links: bound to one client, single purpose, expiring; only a hash is stored.
client_links = Table(
    "client_links",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("code_failures", Integer, nullable=False, server_default="0"),
    Index("ix_client_links_client", "client_id", "created_at"),
)

# One-time codes that prove a link is opened by its client (keyed hash of the code only).
client_codes = Table(
    "client_codes",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("link_id", Uuid, ForeignKey("client_links.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", LargeBinary(32), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("used_at", UTCDateTime, nullable=True),
    CheckConstraint("channel in ('sms', 'email')", name="channel"),
    Index("ix_client_codes_link", "link_id", "created_at"),
)

# A client's short session on the secure page (cookie token stored as a hash).
client_sessions = Table(
    "client_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("link_id", Uuid, ForeignKey("client_links.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Index("ix_client_sessions_client", "client_id"),
)

# How a practice talks to clients: its SMS number (sealed, found by keyed hash when a text
# comes in), its e-mail sender, its time zone, and the settings in
# :class:`quietline.domain.client_policy.ClientMessagingPolicy` (hours, holidays, the words
# of its auto-replies, consent warning, guard policy) as JSON. No client data here.
practice_messaging = Table(
    "practice_messaging",
    metadata,
    Column("practice_id", Uuid, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
    Column("sms_number_sealed", LargeBinary, nullable=True),
    Column("sms_number_lookup", LargeBinary(32), nullable=True, unique=True),
    Column("email_from", String(320), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Practice-approved scheduling templates: the only text that may go to a client in the clear
# (when the client consented). Placeholders are limited to times, dates and numbers.
message_templates = Table(
    "message_templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("name", String(80), nullable=False),
    Column("body_sealed", LargeBinary, nullable=False),
    Column("position", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime, nullable=True),
    Index("ix_message_templates_practice", "practice_id", "position"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("clinician_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("length_minutes", Integer, nullable=False),
    Column("room", String(40), nullable=True),
    Column("status", String(24), nullable=False),
    Column("confirmation_requested_at", UTCDateTime, nullable=True),
    Column("responded_at", UTCDateTime, nullable=True),
    Column("reminder_sent_at", UTCDateTime, nullable=True),
    Column("late_minutes", Integer, nullable=True),
    Column("late_sent_at", UTCDateTime, nullable=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "status in ('scheduled', 'confirmed', 'reschedule_requested', 'cancelled')",
        name="status",
    ),
    Index("ix_appointments_clinician", "practice_id", "clinician_id", "starts_at"),
    Index("ix_appointments_client", "client_id", "starts_at"),
    Index("ix_appointments_reminders", "reminder_sent_at", "starts_at"),
)

# Who is on call when: crisis alerts go to them as well as to the assigned clinicians.
on_call_shifts = Table(
    "on_call_shifts",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("ends_at > starts_at", name="order"),
    Index("ix_on_call_shifts_practice", "practice_id", "starts_at", "ends_at"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("kind", String(16), nullable=False),
    Column("title_sealed", LargeBinary, nullable=True),
    Column("key_wrapped", LargeBinary, nullable=False),
    Column("practice_key_id", String(64), ForeignKey("practice_keys.key_id"), nullable=False),
    Column("direct_pair", String(80), nullable=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("default_ttl_seconds", Integer, nullable=True),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_activity_at", UTCDateTime, nullable=False),
    # A channel for scheduling only: the clinical-content guard warns (or blocks) in it.
    Column("logistics_only", Boolean, nullable=False, server_default=false()),
    # Set on a client's thread (kind 'client'): one thread per client.
    Column(
        "client_id",
        Uuid,
        ForeignKey("clients.id", ondelete="CASCADE"),
        nullable=True,
        unique=True,
    ),
    CheckConstraint("kind in ('direct', 'group', 'client')", name="kind"),
    UniqueConstraint("practice_id", "direct_pair", name="uq_conversations_direct_pair"),
)

conversation_members = Table(
    "conversation_members",
    metadata,
    Column(
        "conversation_id",
        Uuid,
        ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _practice_fk(),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("delivered_seq", BigInteger, nullable=False),
    Column("seen_seq", BigInteger, nullable=False),
    Index("ix_conversation_members_user", "user_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column(
        "conversation_id", Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("seq", BigInteger, nullable=False),
    # A message is written by a staff member or, in a client thread, by the client.
    Column("sender_id", Uuid, ForeignKey("users.id"), nullable=True),
    Column("sender_client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
    Column("idempotency_key", String(128), nullable=False),
    Column("body_sealed", LargeBinary, nullable=True),
    Column("dek_wrapped", LargeBinary, nullable=True),
    Column("urgent", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("recalled_at", UTCDateTime, nullable=True),
    # A staff-only note in a client thread: never sent to, or shown to, the client.
    Column("internal", Boolean, nullable=False, server_default=false()),
    # How a client message came in, or how a staff message reached the client:
    # 'sms', 'email', 'page' (secure page), 'link' (notice and secure link), 'auto' (auto-reply).
    Column("channel", String(8), nullable=True),
    CheckConstraint("(sender_id is null) <> (sender_client_id is null)", name="one_sender"),
    UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
    # An idempotency key is unique per sender. Partial: a staff message has no client sender
    # and a client's none of staff, and an entry for the empty side would only cost every
    # send an index page write (decision 0024).
    Index(
        "uq_messages_sender_idempotency",
        "sender_id",
        "idempotency_key",
        unique=True,
        sqlite_where=text("sender_id IS NOT NULL"),
        postgresql_where=text("sender_id IS NOT NULL"),
    ),
    Index(
        "uq_messages_client_idempotency",
        "sender_client_id",
        "idempotency_key",
        unique=True,
        sqlite_where=text("sender_client_id IS NOT NULL"),
        postgresql_where=text("sender_client_id IS NOT NULL"),
    ),
    Index("ix_messages_expires_at", "expires_at"),
    # Covers the unread count and the urgent-unread flag: no table lookups needed.
    Index(
        "ix_messages_unread",
        "conversation_id",
        "seq",
        "sender_id",
        "recalled_at",
        "expires_at",
        "urgent",
    ),
)

receipt_marks = Table(
    "receipt_marks",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column(
        "conversation_id", Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_session_id", Uuid, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("up_to_seq", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    CheckConstraint("kind in ('delivered', 'seen')", name="kind"),
    Index("ix_receipt_marks_lookup", "conversation_id", "up_to_seq"),
)

user_status = Table(
    "user_status",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _practice_fk(),
    Column("in_session_until", UTCDateTime, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)

# Non-urgent notifications held while someone is in session: only a count, never content.
notification_holds = Table(
    "notification_holds",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    _practice_fk(),
    Column("held", Integer, nullable=False),
    Column("first_held_at", UTCDateTime, nullable=False),
)

push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column(
        "session_id",
        Uuid,
        ForeignKey("device_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The endpoint URL is a capability (whoever has it can notify the device): sealed.
    Column("subscription_sealed", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_push_subscriptions_user", "user_id"),
)

passkeys = Table(
    "passkeys",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", LargeBinary, nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index("ix_passkeys_user", "user_id"),
)

# One-time WebAuthn challenges (registration, sign-in, unlock), kept a few minutes.
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("challenge", LargeBinary(64), primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    CheckConstraint("purpose in ('register', 'sign_in', 'unlock')", name="purpose"),
)

# Invitations to join a practice: a single-use link whose token is stored only as a hash.
staff_invites = Table(
    "staff_invites",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("email", String(320), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("created_by", Uuid, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("used_by", Uuid, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_staff_invites_practice", "practice_id", "created_at"),
)

# Emergency ("break-glass") access: someone opens a conversation they are not in, for a
# stated reason (sealed: it may name a client), for a limited time.
emergency_access = Table(
    "emergency_access",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column(
        "conversation_id", Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("reason_sealed", LargeBinary, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Index("ix_emergency_access_lookup", "conversation_id", "user_id", "expires_at"),
)

# Clinical supervision (decision 0021): a supervisor and one supervisee. With the practice's
# supervisor_visibility policy on, the supervisor may read the client threads of the
# supervisee's clients. Ids and times only; taking a supervisee off deletes the row (the
# audit trail keeps the history).
supervisions = Table(
    "supervisions",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("supervisor_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("supervisee_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("supervisor_id <> supervisee_id", name="not_self"),
    UniqueConstraint("supervisor_id", "supervisee_id", name="uq_supervisions_pair"),
    Index("ix_supervisions_practice", "practice_id", "created_at"),
    Index("ix_supervisions_supervisee", "supervisee_id"),
)

# Each time a supervisor read a client thread they are not a member of: one row per view
# (reads less than half an hour apart are one view). Its members list these; each read is
# also a message.viewed audit entry naming the supervision.
supervision_views = Table(
    "supervision_views",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column(
        "conversation_id", Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("viewer_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("supervision_id", Uuid, nullable=False),  # kept after the supervision ends
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_read_at", UTCDateTime, nullable=False),
    Column("reads", Integer, nullable=False),
    Index("ix_supervision_views_lookup", "conversation_id", "viewer_id", "last_read_at"),
)

# What one-step offboarding did (counts and ids only), downloadable and audited.
offboarding_records = Table(
    "offboarding_records",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("performed_by", Uuid, nullable=False),
    Column("performed_at", UTCDateTime, nullable=False),
    Column("handed_to", Uuid, nullable=True),
    Column("summary", JSON, nullable=False),
    Index("ix_offboarding_records_practice", "practice_id", "performed_at"),
)

# A legal hold stops the retention purge for a conversation, or for a client's thread.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column(
        "conversation_id", Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True
    ),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
    Column("reason_sealed", LargeBinary, nullable=False),
    Column("placed_by", Uuid, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_by", Uuid, nullable=True),
    Column("released_at", UTCDateTime, nullable=True),
    Index("ix_legal_holds_conversation", "conversation_id", "released_at"),
)

# The durable outbound queue to clients (SMS and e-mail). A row is claimed with a lease, sent,
# and marked; an unreachable provider only delays it. Address and text are sealed by the
# practice key and erased once the row is final (the thread keeps the message itself).
outbound_messages = Table(
    "outbound_messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("client_id", Uuid, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
    Column("message_id", Uuid, nullable=True),
    Column("channel", String(8), nullable=False),
    Column("purpose", String(24), nullable=False),
    Column("to_sealed", LargeBinary, nullable=True),
    Column("body_sealed", LargeBinary, nullable=True),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("provider_ref", String(64), nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    Column("final_at", UTCDateTime, nullable=True),
    CheckConstraint("channel in ('sms', 'email')", name="channel"),
    CheckConstraint(
        "status in ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', "
        "'cancelled')",
        name="status",
    ),
    Index("ix_outbound_messages_due", "status", "next_attempt_at"),
    Index("ix_outbound_messages_provider_ref", "provider_ref"),
    Index("ix_outbound_messages_message", "message_id"),
    Index("ix_outbound_messages_client", "client_id", "created_at"),
)

# Server-wide operations a compliance page reports on: backups, restore tests, key
# rotations, audit verifications. Ids, counts and times only.
maintenance_events = Table(
    "maintenance_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_maintenance_events_kind_at", "kind", "at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Uuid, primary_key=True),
    _practice_fk(),
    Column("seq", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("actor_user_id", Uuid, nullable=True),
    Column("actor_session_id", Uuid, nullable=True),
    Column("subject_type", String(32), nullable=True),
    Column("subject_id", String(64), nullable=True),
    Column("details", JSON, nullable=False),
    Column("prev_mac", LargeBinary(32), nullable=False),
    Column("mac", LargeBinary(32), nullable=False),
    UniqueConstraint("practice_id", "seq", name="uq_audit_events_practice_seq"),
    Index("ix_audit_events_practice_at", "practice_id", "at"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("practice_id", Uuid, ForeignKey("practices.id", ondelete="CASCADE"), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_mac", LargeBinary(32), nullable=False),
)
