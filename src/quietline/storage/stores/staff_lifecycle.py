"""Staff joining and leaving: invitations, offboarding records, and the few reads across
other table families that the admin pages and one-step offboarding need (every live device
in the practice; a person's conversations with their kind and creator; a person's push
subscriptions). Every query filters on ``practice_id``, except
:meth:`StaffLifecycleStore.invite_by_token_hash`: like a session token, an invitation token
is what names its practice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from quietline.domain.roles import Role
from quietline.storage.tables import (
    conversation_members,
    conversations,
    device_sessions,
    offboarding_records,
    push_subscriptions,
    staff_invites,
    users,
)

InviteState = Literal["pending", "used", "expired", "revoked"]
INVITE_LIST_LIMIT = 500
RECORD_LIST_LIMIT = 500


@dataclass(frozen=True, slots=True)
class StoredInvite:
    id: UUID
    practice_id: UUID
    email: str
    display_name: str
    role: Role
    created_by: UUID
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: UUID | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> InviteState:
        """Used and revoked are final; otherwise the link works until it expires."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "pending"


@dataclass(frozen=True, slots=True)
class OffboardingRecord:
    id: UUID
    practice_id: UUID
    user_id: UUID
    performed_by: UUID
    performed_at: datetime
    handed_to: UUID | None
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PracticeDevice:
    """A device session with the person it belongs to (the admin device list)."""

    id: UUID
    user_id: UUID
    display_name: str
    user_active: bool
    device_name: str
    client: str
    created_at: datetime
    last_seen_at: datetime
    locked_at: datetime | None


@dataclass(frozen=True, slots=True)
class HeldConversation:
    """One conversation a person is a member of, with what offboarding needs to know."""

    id: UUID
    kind: str
    created_by: UUID | None
    last_seq: int
    client_id: UUID | None = None  # a client's thread (kind 'client'): whose


_INVITE_COLUMNS = (
    staff_invites.c.id,
    staff_invites.c.practice_id,
    staff_invites.c.email,
    staff_invites.c.display_name,
    staff_invites.c.role,
    staff_invites.c.created_by,
    staff_invites.c.created_at,
    staff_invites.c.expires_at,
    staff_invites.c.used_at,
    staff_invites.c.used_by,
    staff_invites.c.revoked_at,
)
_INVITE_INSERT = staff_invites.insert()
_INVITE_GET = select(*_INVITE_COLUMNS).where(
    staff_invites.c.practice_id == bindparam("practice_id"),
    staff_invites.c.id == bindparam("invite_id"),
)
_INVITE_BY_TOKEN = select(*_INVITE_COLUMNS).where(
    staff_invites.c.token_hash == bindparam("token_hash")
)
_INVITES_FOR_PRACTICE = (
    select(*_INVITE_COLUMNS)
    .where(staff_invites.c.practice_id == bindparam("practice_id"))
    .order_by(staff_invites.c.created_at.desc(), staff_invites.c.id)
    .limit(INVITE_LIST_LIMIT)
)
_PENDING_FOR_EMAIL = (
    select(*_INVITE_COLUMNS)
    .where(
        staff_invites.c.practice_id == bindparam("practice_id"),
        staff_invites.c.email == bindparam("email"),
        staff_invites.c.used_at.is_(None),
        staff_invites.c.revoked_at.is_(None),
        staff_invites.c.expires_at > bindparam("now"),
    )
    .limit(1)
)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_INVITE_USE = (
    update(staff_invites)
    .where(
        staff_invites.c.practice_id == bindparam("b_practice_id"),
        staff_invites.c.id == bindparam("b_invite_id"),
        staff_invites.c.used_at.is_(None),
        staff_invites.c.revoked_at.is_(None),
        staff_invites.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"), used_by=bindparam("b_user_id"))
)
_INVITE_REVOKE = (
    update(staff_invites)
    .where(
        staff_invites.c.practice_id == bindparam("b_practice_id"),
        staff_invites.c.id == bindparam("b_invite_id"),
        staff_invites.c.used_at.is_(None),
        staff_invites.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)

_RECORD_COLUMNS = (
    offboarding_records.c.id,
    offboarding_records.c.practice_id,
    offboarding_records.c.user_id,
    offboarding_records.c.performed_by,
    offboarding_records.c.performed_at,
    offboarding_records.c.handed_to,
    offboarding_records.c.summary,
)
_RECORD_INSERT = offboarding_records.insert()
_RECORD_GET = select(*_RECORD_COLUMNS).where(
    offboarding_records.c.practice_id == bindparam("practice_id"),
    offboarding_records.c.id == bindparam("record_id"),
)
_RECORDS_FOR_PRACTICE = (
    select(*_RECORD_COLUMNS)
    .where(offboarding_records.c.practice_id == bindparam("practice_id"))
    .order_by(offboarding_records.c.performed_at.desc(), offboarding_records.c.id)
    .limit(RECORD_LIST_LIMIT)
)
_LATEST_RECORD_FOR_USER = (
    select(*_RECORD_COLUMNS)
    .where(
        offboarding_records.c.practice_id == bindparam("practice_id"),
        offboarding_records.c.user_id == bindparam("user_id"),
    )
    .order_by(offboarding_records.c.performed_at.desc())
    .limit(1)
)

_PRACTICE_DEVICES = (
    select(
        device_sessions.c.id,
        device_sessions.c.user_id,
        users.c.display_name,
        users.c.is_active.label("user_active"),
        device_sessions.c.device_name,
        device_sessions.c.client,
        device_sessions.c.created_at,
        device_sessions.c.last_seen_at,
        device_sessions.c.locked_at,
    )
    .join(
        users,
        (users.c.id == device_sessions.c.user_id)
        & (users.c.practice_id == device_sessions.c.practice_id),
    )
    .where(
        device_sessions.c.practice_id == bindparam("practice_id"),
        device_sessions.c.revoked_at.is_(None),
    )
    .order_by(users.c.display_name, device_sessions.c.last_seen_at.desc())
)
_HELD_CONVERSATIONS = (
    select(
        conversations.c.id,
        conversations.c.kind,
        conversations.c.created_by,
        conversations.c.last_seq,
        conversations.c.client_id,
    )
    .join(
        conversation_members,
        (conversation_members.c.conversation_id == conversations.c.id)
        & (conversation_members.c.practice_id == conversations.c.practice_id),
    )
    .where(
        conversation_members.c.practice_id == bindparam("practice_id"),
        conversation_members.c.user_id == bindparam("user_id"),
    )
    .order_by(conversations.c.created_at, conversations.c.id)
)
_DELETE_PUSH_FOR_USER = delete(push_subscriptions).where(
    push_subscriptions.c.practice_id == bindparam("practice_id"),
    push_subscriptions.c.user_id == bindparam("user_id"),
)


def _invite(m: Mapping[Any, Any]) -> StoredInvite:
    values = {c.name: m[c.name] for c in _INVITE_COLUMNS}
    values["role"] = Role(values["role"])
    return StoredInvite(**values)


def _record(m: Mapping[Any, Any]) -> OffboardingRecord:
    values = {c.name: m[c.name] for c in _RECORD_COLUMNS}
    values["summary"] = dict(values["summary"] or {})
    return OffboardingRecord(**values)


class StaffLifecycleStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- invitations ------------------------------------------------------------------
    def insert_invite(
        self,
        *,
        invite_id: UUID,
        practice_id: UUID,
        email: str,
        display_name: str,
        role: Role,
        token_hash: bytes,
        created_by: UUID,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._conn.execute(
            _INVITE_INSERT,
            {
                "id": invite_id,
                "practice_id": practice_id,
                "email": email,
                "display_name": display_name,
                "role": role.value,
                "token_hash": token_hash,
                "created_by": created_by,
                "created_at": now,
                "expires_at": expires_at,
            },
        )

    def invite(self, practice_id: UUID, invite_id: UUID) -> StoredInvite | None:
        row = self._conn.execute(
            _INVITE_GET, {"practice_id": practice_id, "invite_id": invite_id}
        ).first()
        return _invite(row._mapping) if row else None

    def invite_by_token_hash(self, token_hash: bytes) -> StoredInvite | None:
        """The invitation a link names, in whatever practice (the token names it)."""
        row = self._conn.execute(_INVITE_BY_TOKEN, {"token_hash": token_hash}).first()
        return _invite(row._mapping) if row else None

    def invites_for_practice(self, practice_id: UUID) -> list[StoredInvite]:
        """The newest invitations first (at most ``INVITE_LIST_LIMIT``)."""
        rows = self._conn.execute(_INVITES_FOR_PRACTICE, {"practice_id": practice_id})
        return [_invite(r._mapping) for r in rows]

    def pending_invite_for_email(
        self, practice_id: UUID, email: str, now: datetime
    ) -> StoredInvite | None:
        row = self._conn.execute(
            _PENDING_FOR_EMAIL, {"practice_id": practice_id, "email": email, "now": now}
        ).first()
        return _invite(row._mapping) if row else None

    def use_invite(self, practice_id: UUID, invite_id: UUID, user_id: UUID, now: datetime) -> bool:
        """Mark a pending invitation used; False when it was not pending any more."""
        params = {"b_practice_id": practice_id, "b_invite_id": invite_id, "now": now}
        result = self._conn.execute(_INVITE_USE, {**params, "b_user_id": user_id})
        return result.rowcount == 1

    def revoke_invite(self, practice_id: UUID, invite_id: UUID, now: datetime) -> bool:
        """Withdraw an invitation that was neither used nor withdrawn; False otherwise."""
        result = self._conn.execute(
            _INVITE_REVOKE, {"b_practice_id": practice_id, "b_invite_id": invite_id, "now": now}
        )
        return result.rowcount == 1

    # -- offboarding records --------------------------------------------------------------
    def insert_record(self, record: OffboardingRecord) -> None:
        self._conn.execute(
            _RECORD_INSERT,
            {
                "id": record.id,
                "practice_id": record.practice_id,
                "user_id": record.user_id,
                "performed_by": record.performed_by,
                "performed_at": record.performed_at,
                "handed_to": record.handed_to,
                "summary": record.summary,
            },
        )

    def record(self, practice_id: UUID, record_id: UUID) -> OffboardingRecord | None:
        row = self._conn.execute(
            _RECORD_GET, {"practice_id": practice_id, "record_id": record_id}
        ).first()
        return _record(row._mapping) if row else None

    def records_for_practice(self, practice_id: UUID) -> list[OffboardingRecord]:
        """The newest records first (at most ``RECORD_LIST_LIMIT``)."""
        rows = self._conn.execute(_RECORDS_FOR_PRACTICE, {"practice_id": practice_id})
        return [_record(r._mapping) for r in rows]

    def latest_record_for_user(self, practice_id: UUID, user_id: UUID) -> OffboardingRecord | None:
        row = self._conn.execute(
            _LATEST_RECORD_FOR_USER, {"practice_id": practice_id, "user_id": user_id}
        ).first()
        return _record(row._mapping) if row else None

    # -- reads and writes across families, for the admin pages and offboarding -----------
    def unrevoked_devices(self, practice_id: UUID) -> list[PracticeDevice]:
        """Every device session of the practice that was not revoked, with its person, by
        name then most recent use. The caller applies the time limits of the policy."""
        rows = self._conn.execute(_PRACTICE_DEVICES, {"practice_id": practice_id})
        return [PracticeDevice(**r._mapping) for r in rows]

    def conversations_of(self, practice_id: UUID, user_id: UUID) -> list[HeldConversation]:
        """Every conversation the person is a member of, oldest first (one query)."""
        rows = self._conn.execute(
            _HELD_CONVERSATIONS, {"practice_id": practice_id, "user_id": user_id}
        )
        return [
            HeldConversation(r.id, r.kind, r.created_by, int(r.last_seq), r.client_id) for r in rows
        ]

    def delete_push_subscriptions_of(self, practice_id: UUID, user_id: UUID) -> int:
        """Every push subscription of the person, whatever device it belongs to."""
        scope = {"practice_id": practice_id, "user_id": user_id}
        return int(self._conn.execute(_DELETE_PUSH_FOR_USER, scope).rowcount)
