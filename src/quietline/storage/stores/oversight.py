"""Oversight: emergency ("break-glass") access grants, and the access report read from the
audit trail's ``message.viewed`` entries.

No content here: a grant's reason is stored sealed (``reason_sealed``, opened only by
:mod:`quietline.crypto.fields`), and the report reads ids, times and device names.

A client's scope in the report is the set of their threads (``conversations.client_id``),
looked up first (:meth:`OversightStore.client_threads`) and then matched against the entries'
``subject_id`` as text: the two columns have different types, and a cast in SQL would not
give the same text on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, case, distinct, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from quietline.domain.audit import AuditKind
from quietline.storage.tables import (
    audit_events,
    conversations,
    device_sessions,
    emergency_access,
    users,
)


@dataclass(frozen=True, slots=True)
class EmergencyGrant:
    id: UUID
    practice_id: UUID
    conversation_id: UUID
    user_id: UUID
    reason_sealed: bytes
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None

    def live_at(self, now: datetime) -> bool:
        """Whether the grant lets its holder read at ``now``: not closed, not yet expired."""
        return self.closed_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class ViewEntry:
    """One recorded ``message.viewed`` entry, with the names of its person and device."""

    seq: int
    at: datetime
    user_id: UUID | None
    user_name: str | None
    session_id: UUID | None
    device_name: str | None
    conversation_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ViewSummary:
    entries: int
    emergency_entries: int
    people: int
    devices: int


def _grant(row: Any) -> EmergencyGrant:
    m = row._mapping
    return EmergencyGrant(
        id=m["id"],
        practice_id=m["practice_id"],
        conversation_id=m["conversation_id"],
        user_id=m["user_id"],
        reason_sealed=bytes(m["reason_sealed"]),
        opened_at=m["opened_at"],
        expires_at=m["expires_at"],
        closed_at=m["closed_at"],
    )


_GRANT_SCOPE = (
    emergency_access.c.practice_id == bindparam("practice_id"),
    emergency_access.c.conversation_id == bindparam("conversation_id"),
)
# The newest-ending live grant of one person for one conversation (the index covers it).
_LIVE = (
    select(emergency_access)
    .where(
        *_GRANT_SCOPE,
        emergency_access.c.user_id == bindparam("user_id"),
        emergency_access.c.expires_at > bindparam("now"),
        emergency_access.c.closed_at.is_(None),
    )
    .order_by(emergency_access.c.expires_at.desc())
    .limit(1)
)
_GET = select(emergency_access).where(*_GRANT_SCOPE, emergency_access.c.id == bindparam("grant_id"))
_FOR_CONVERSATION = (
    select(emergency_access)
    .where(*_GRANT_SCOPE)
    .order_by(emergency_access.c.opened_at.desc(), emergency_access.c.id)
    .limit(bindparam("limit"))
)
# Closes a grant that is still live; an expired or closed one is left as it is.
_CLOSE = (
    update(emergency_access)
    .where(
        emergency_access.c.practice_id == bindparam("b_practice_id"),
        emergency_access.c.id == bindparam("b_grant_id"),
        emergency_access.c.closed_at.is_(None),
        emergency_access.c.expires_at > bindparam("now"),
    )
    .values(closed_at=bindparam("now"))
)

# An entry read under emergency access carries the grant id in its details.
_UNDER_GRANT = audit_events.c.details["emergency_access"].as_string().is_not(None)


def _views_where(
    practice_id: UUID,
    *,
    conversation_id: UUID | None,
    user_id: UUID | None,
    since: datetime,
    until: datetime | None,
    conversation_ids: list[UUID] | None = None,
) -> list[ColumnElement[bool]]:
    """``conversation_ids`` (a client's threads) narrows to views of those conversations; an
    empty list matches nothing."""
    where = [
        audit_events.c.practice_id == practice_id,
        audit_events.c.at >= since,
        audit_events.c.kind == AuditKind.MESSAGES_VIEWED.value,
    ]
    if until is not None:
        where.append(audit_events.c.at < until)
    if conversation_id is not None:
        where += [
            audit_events.c.subject_type == "conversation",
            audit_events.c.subject_id == str(conversation_id),
        ]
    if conversation_ids is not None:
        where += [
            audit_events.c.subject_type == "conversation",
            audit_events.c.subject_id.in_([str(c) for c in conversation_ids]),
        ]
    if user_id is not None:
        where.append(audit_events.c.actor_user_id == user_id)
    return where


class OversightStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- emergency access -----------------------------------------------------------------
    def insert_grant(self, grant: EmergencyGrant) -> None:
        self._conn.execute(
            emergency_access.insert(),
            {
                "id": grant.id,
                "practice_id": grant.practice_id,
                "conversation_id": grant.conversation_id,
                "user_id": grant.user_id,
                "reason_sealed": grant.reason_sealed,
                "opened_at": grant.opened_at,
                "expires_at": grant.expires_at,
                "closed_at": grant.closed_at,
            },
        )

    def live_grant(
        self, practice_id: UUID, conversation_id: UUID, user_id: UUID, now: datetime
    ) -> EmergencyGrant | None:
        """The person's live grant for the conversation (the latest to end), if any."""
        row = self._conn.execute(
            _LIVE,
            {
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "user_id": user_id,
                "now": now,
            },
        ).first()
        return None if row is None else _grant(row)

    def grant(
        self, practice_id: UUID, conversation_id: UUID, grant_id: UUID
    ) -> EmergencyGrant | None:
        row = self._conn.execute(
            _GET,
            {"practice_id": practice_id, "conversation_id": conversation_id, "grant_id": grant_id},
        ).first()
        return None if row is None else _grant(row)

    def grants_for_conversation(
        self, practice_id: UUID, conversation_id: UUID, limit: int
    ) -> list[EmergencyGrant]:
        """Newest first."""
        rows = self._conn.execute(
            _FOR_CONVERSATION,
            {"practice_id": practice_id, "conversation_id": conversation_id, "limit": limit},
        )
        return [_grant(r) for r in rows]

    def close_grant(self, practice_id: UUID, grant_id: UUID, now: datetime) -> bool:
        """End a live grant now; False when it had already ended (closed or expired)."""
        result = self._conn.execute(
            _CLOSE, {"b_practice_id": practice_id, "b_grant_id": grant_id, "now": now}
        )
        return result.rowcount == 1

    # -- the access report ----------------------------------------------------------------
    def views(
        self,
        practice_id: UUID,
        *,
        conversation_id: UUID | None,
        user_id: UUID | None,
        since: datetime,
        until: datetime | None,
        after_seq: int,
        limit: int,
        conversation_ids: list[UUID] | None = None,
    ) -> list[ViewEntry]:
        """``message.viewed`` entries in ``[since, until)`` (no end: up to now), oldest
        first, from ``after_seq``.

        Bounded by the ``(practice_id, at)`` index; the person's and the device's names are
        joined in (within the same practice only).
        """
        where = _views_where(
            practice_id,
            conversation_id=conversation_id,
            user_id=user_id,
            since=since,
            until=until,
            conversation_ids=conversation_ids,
        )
        query = (
            select(
                audit_events.c.seq,
                audit_events.c.at,
                audit_events.c.actor_user_id,
                audit_events.c.actor_session_id,
                audit_events.c.subject_id,
                audit_events.c.details,
                users.c.display_name,
                device_sessions.c.device_name,
            )
            .select_from(
                audit_events.outerjoin(
                    users,
                    and_(
                        users.c.id == audit_events.c.actor_user_id,
                        users.c.practice_id == audit_events.c.practice_id,
                    ),
                ).outerjoin(
                    device_sessions,
                    and_(
                        device_sessions.c.id == audit_events.c.actor_session_id,
                        device_sessions.c.practice_id == audit_events.c.practice_id,
                    ),
                )
            )
            .where(*where, audit_events.c.seq > after_seq)
            .order_by(audit_events.c.seq)
            .limit(limit)
        )
        return [
            ViewEntry(
                seq=int(r.seq),
                at=r.at,
                user_id=r.actor_user_id,
                user_name=r.display_name,
                session_id=r.actor_session_id,
                device_name=r.device_name,
                conversation_id=r.subject_id,
                details=dict(r.details),
            )
            for r in self._conn.execute(query)
        ]

    def views_summary(
        self,
        practice_id: UUID,
        *,
        conversation_id: UUID | None,
        user_id: UUID | None,
        since: datetime,
        until: datetime | None,
        conversation_ids: list[UUID] | None = None,
    ) -> ViewSummary:
        """Counts over every matching entry (not only one page of the report)."""
        where = _views_where(
            practice_id,
            conversation_id=conversation_id,
            user_id=user_id,
            since=since,
            until=until,
            conversation_ids=conversation_ids,
        )
        row = self._conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((_UNDER_GRANT, 1), else_=0)), 0),
                func.count(distinct(audit_events.c.actor_user_id)),
                func.count(distinct(audit_events.c.actor_session_id)),
            ).where(*where)
        ).one()
        return ViewSummary(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def client_threads(self, practice_id: UUID, client_id: UUID) -> list[UUID]:
        """Every conversation that is a thread of the client (today at most one)."""
        rows = self._conn.execute(
            select(conversations.c.id)
            .where(
                conversations.c.practice_id == practice_id,
                conversations.c.client_id == client_id,
            )
            .order_by(conversations.c.created_at, conversations.c.id)
        )
        return [r.id for r in rows]

    def thread_clients(self, practice_id: UUID, conversation_ids: list[UUID]) -> dict[UUID, UUID]:
        """The client of each of these conversations that is a client's thread (one query)."""
        if not conversation_ids:
            return {}
        rows = self._conn.execute(
            select(conversations.c.id, conversations.c.client_id).where(
                conversations.c.practice_id == practice_id,
                conversations.c.id.in_(conversation_ids),
                conversations.c.client_id.is_not(None),
            )
        )
        return {r.id: r.client_id for r in rows}
