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
    sender_id: UUID
    idempotency_key: str
    body_sealed: bytes | None
    dek_wrapped: bytes | None
    urgent: bool
    created_at: datetime
    expires_at: datetime | None
    recalled_at: datetime | None

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
