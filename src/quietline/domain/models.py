"""Records as the rest of the code sees them. Ciphertext fields stay sealed here; only
:mod:`quietline.crypto.fields` opens them, inside an action that has checked access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from quietline.domain.policy import PracticePolicy
from quietline.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Practice:
    id: UUID
    slug: str
    name: str
    created_at: datetime
    policy: PracticePolicy


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    practice_id: UUID
    email: str
    display_name: str
    role: Role
    password_hash: str
    password_changed_at: datetime
    totp_secret_sealed: bytes | None
    totp_pending_sealed: bytes | None
    totp_enabled_at: datetime | None
    totp_last_step: int | None
    is_active: bool
    deactivated_at: datetime | None
    created_at: datetime
    pin_hash: str | None = None

    @property
    def has_second_factor(self) -> bool:
        """An authenticator app. Passkeys are the other second factor; they live in their
        own table, so actions that need them ask the passkey store."""
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:  # keep hashes and sealed secrets out of any printed value
        return f"User(id={self.id}, role={self.role.value})"


@dataclass(frozen=True, slots=True)
class DeviceSession:
    id: UUID
    practice_id: UUID
    user_id: UUID
    device_name: str
    created_at: datetime
    last_seen_at: datetime
    second_factor_verified: bool
    revoked_at: datetime | None
    revoked_reason: str | None
    client: str = "api"
    locked_at: datetime | None = None
    unlock_failures: int = 0

    @property
    def is_web(self) -> bool:
        """A session of the staff web app (cookie): the app lock applies to it."""
        return self.client == "web"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: UUID
    practice_id: UUID
    kind: str
    title_sealed: bytes | None
    key_wrapped: bytes
    practice_key_id: str
    last_seq: int
    default_ttl_seconds: int | None
    created_by: UUID | None
    created_at: datetime
    last_activity_at: datetime
    logistics_only: bool = False
    client_id: UUID | None = None  # set on a client's thread (kind 'client')

    @property
    def is_client_thread(self) -> bool:
        return self.kind == "client"


@dataclass(frozen=True, slots=True)
class Membership:
    conversation_id: UUID
    user_id: UUID
    practice_id: UUID
    joined_at: datetime
    delivered_seq: int
    seen_seq: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: UUID
    practice_id: UUID
    conversation_id: UUID
    seq: int
    sender_id: UUID | None  # None: written by the client of a client thread
    idempotency_key: str
    body_sealed: bytes | None
    dek_wrapped: bytes | None
    urgent: bool
    created_at: datetime
    expires_at: datetime | None
    recalled_at: datetime | None
    sender_client_id: UUID | None = None
    internal: bool = False  # a staff-only note in a client thread
    channel: str | None = None  # 'sms' | 'email' | 'page' | 'link' | 'auto' (client threads)

    def readable_at(self, now: datetime) -> bool:
        """The single rule for whether content may be shown: not recalled, not expired."""
        if self.recalled_at is not None or self.body_sealed is None or self.dek_wrapped is None:
            return False
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation: Conversation
    unread: int
    member_ids: list[UUID]
    urgent_unread: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptMark:
    user_id: UUID
    kind: str
    up_to_seq: int
    at: datetime
    device_session_id: UUID | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: UUID
    practice_id: UUID
    seq: int
    at: datetime
    kind: str
    actor_user_id: UUID | None
    actor_session_id: UUID | None
    subject_type: str | None
    subject_id: str | None
    details: dict[str, object]
    prev_mac: bytes
    mac: bytes


@dataclass(frozen=True, slots=True)
class Passkey:
    id: UUID
    practice_id: UUID
    user_id: UUID
    credential_id: bytes
    public_key: bytes
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


# -- client messaging (issue 4) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredClient:
    """A client as stored: identifying fields sealed by the practice key (opened only by
    :mod:`quietline.actions.clients` after an access check)."""

    id: UUID
    practice_id: UUID
    name_sealed: bytes
    preferred_name_sealed: bytes | None
    phone_sealed: bytes | None
    email_sealed: bytes | None
    date_of_birth_sealed: bytes | None
    notes_sealed: bytes | None
    phone_lookup: bytes | None
    email_lookup: bytes | None
    sms_opted_out_at: datetime | None
    page_seen_seq: int
    page_seen_at: datetime | None
    archived_at: datetime | None
    created_by: UUID | None
    created_at: datetime

    def __repr__(self) -> str:  # never print sealed fields or lookup hashes
        return f"StoredClient(id={self.id})"


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    id: UUID
    practice_id: UUID
    client_id: UUID
    channel: str  # 'sms' | 'email'
    granted: bool
    warning_text: str | None
    method: str  # 'verbal' | 'written' | 'secure_page' | 'keyword' | 'staff'
    recorded_by: UUID | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Appointment:
    id: UUID
    practice_id: UUID
    client_id: UUID
    clinician_id: UUID
    starts_at: datetime
    length_minutes: int
    room: str | None
    status: str  # 'scheduled' | 'confirmed' | 'reschedule_requested' | 'cancelled'
    confirmation_requested_at: datetime | None
    responded_at: datetime | None
    reminder_sent_at: datetime | None
    late_minutes: int | None
    late_sent_at: datetime | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OnCallShift:
    id: UUID
    practice_id: UUID
    user_id: UUID
    starts_at: datetime
    ends_at: datetime
    created_by: UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A queued SMS or e-mail to a client; address and text stay sealed here."""

    id: UUID
    practice_id: UUID
    client_id: UUID | None
    message_id: UUID | None
    channel: str  # 'sms' | 'email'
    purpose: str
    to_sealed: bytes | None
    body_sealed: bytes | None
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    provider_ref: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    final_at: datetime | None

    def __repr__(self) -> str:
        return f"OutboundMessage(id={self.id}, status={self.status})"
