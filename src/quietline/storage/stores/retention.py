"""Retention and legal holds: which messages are past a practice's retention, and the holds
that keep a conversation's messages, or every thread of a client, from being deleted.

No content here: a hold's reason is stored sealed (``reason_sealed``, opened only by
:mod:`quietline.crypto.fields`), and the purge queries return ids and counts.

The retention queries filter on ``messages.created_at``, which no index covers: they scan the
practice's messages. The purge therefore runs them on its own schedule (see
:mod:`quietline.actions.retention`), not on every tick of the expiry purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from quietline.storage.tables import conversations, legal_holds, messages

MAX_HOLDS_LISTED = 1000


@dataclass(frozen=True, slots=True)
class LegalHold:
    id: UUID
    practice_id: UUID
    conversation_id: UUID | None  # exactly one of these two is set (the action sees to it)
    client_id: UUID | None
    reason_sealed: bytes
    placed_by: UUID
    placed_at: datetime
    released_by: UUID | None
    released_at: datetime | None

    @property
    def active(self) -> bool:
        return self.released_at is None


# The threads of held clients, as a name of its own inside the correlated EXISTS below.
_held_thread = conversations.alias("held_thread")


def under_legal_hold(
    practice_id: ColumnElement[Any], conversation_id: ColumnElement[Any]
) -> ColumnElement[bool]:
    """SQL: the conversation in this row is under an active legal hold: one on the
    conversation itself (the ``ix_legal_holds_conversation`` index answers it), or one on the
    client whose thread it is (``conversations.client_id`` at the time of the query, so a
    thread created after the hold is held too). Two correlated EXISTS."""
    on_conversation = (
        select(legal_holds.c.id)
        .where(
            legal_holds.c.practice_id == practice_id,
            legal_holds.c.conversation_id == conversation_id,
            legal_holds.c.released_at.is_(None),
        )
        .exists()
    )
    on_client = (
        select(legal_holds.c.id)
        .select_from(
            legal_holds.join(
                _held_thread,
                and_(
                    _held_thread.c.client_id == legal_holds.c.client_id,
                    _held_thread.c.practice_id == legal_holds.c.practice_id,
                ),
            )
        )
        .where(
            legal_holds.c.practice_id == practice_id,
            legal_holds.c.client_id.is_not(None),
            legal_holds.c.released_at.is_(None),
            _held_thread.c.id == conversation_id,
        )
        .exists()
    )
    return or_(on_conversation, on_client)


_HELD = under_legal_hold(messages.c.practice_id, messages.c.conversation_id)


def _hold(row: Any) -> LegalHold:
    m = row._mapping
    return LegalHold(
        id=m["id"],
        practice_id=m["practice_id"],
        conversation_id=m["conversation_id"],
        client_id=m["client_id"],
        reason_sealed=bytes(m["reason_sealed"]),
        placed_by=m["placed_by"],
        placed_at=m["placed_at"],
        released_by=m["released_by"],
        released_at=m["released_at"],
    )


class RetentionStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- the retention purge ------------------------------------------------------------
    def due(self, practice_id: UUID, cutoff: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(conversation, message) ids of the practice's messages created before ``cutoff``
        that still hold content and key, oldest first, leaving out conversations under an
        active legal hold."""
        rows = self._conn.execute(
            select(messages.c.conversation_id, messages.c.id)
            .where(
                messages.c.practice_id == practice_id,
                messages.c.created_at < cutoff,
                messages.c.dek_wrapped.is_not(None),
                ~_HELD,
            )
            .order_by(messages.c.created_at)
            .limit(limit)
        )
        return [(r.conversation_id, r.id) for r in rows]

    def held_due(self, practice_id: UUID, cutoff: datetime) -> dict[UUID, int]:
        """Per held conversation, how many messages past ``cutoff`` the hold keeps."""
        rows = self._conn.execute(
            select(messages.c.conversation_id, func.count().label("n"))
            .where(
                messages.c.practice_id == practice_id,
                messages.c.created_at < cutoff,
                messages.c.dek_wrapped.is_not(None),
                _HELD,
            )
            .group_by(messages.c.conversation_id)
        )
        return {r.conversation_id: int(r.n) for r in rows}

    def held_due_by_client(self, practice_id: UUID, cutoff: datetime) -> dict[UUID, int]:
        """Per client under an active hold, how many messages of their threads past
        ``cutoff`` the hold keeps (a thread held on its own as well is counted here too)."""
        held_clients = (
            select(legal_holds.c.client_id)
            .where(
                legal_holds.c.practice_id == practice_id,
                legal_holds.c.client_id.is_not(None),
                legal_holds.c.released_at.is_(None),
            )
            .distinct()
        )
        rows = self._conn.execute(
            select(conversations.c.client_id, func.count().label("n"))
            .select_from(
                messages.join(
                    conversations,
                    and_(
                        conversations.c.id == messages.c.conversation_id,
                        conversations.c.practice_id == messages.c.practice_id,
                    ),
                )
            )
            .where(
                messages.c.practice_id == practice_id,
                messages.c.created_at < cutoff,
                messages.c.dek_wrapped.is_not(None),
                conversations.c.client_id.in_(held_clients),
            )
            .group_by(conversations.c.client_id)
        )
        return {r.client_id: int(r.n) for r in rows}

    def delete_tombstones(self, practice_id: UUID, before: datetime, limit: int) -> int:
        """Delete the emptied rows (no content, no key: erased by a purge or recalled) of
        messages created before ``before``, except in conversations under legal hold."""
        doomed = (
            select(messages.c.id)
            .where(
                messages.c.practice_id == practice_id,
                messages.c.created_at < before,
                messages.c.dek_wrapped.is_(None),
                ~_HELD,
            )
            .limit(limit)
            .scalar_subquery()
        )
        result = self._conn.execute(
            delete(messages).where(messages.c.practice_id == practice_id, messages.c.id.in_(doomed))
        )
        return int(result.rowcount)

    # -- legal holds ----------------------------------------------------------------------
    def insert_hold(
        self,
        *,
        hold_id: UUID,
        practice_id: UUID,
        conversation_id: UUID | None,
        client_id: UUID | None,
        reason_sealed: bytes,
        placed_by: UUID,
        now: datetime,
    ) -> None:
        """One hold on a conversation or on a client (the caller checks that exactly one is
        given: the table has no constraint for it)."""
        self._conn.execute(
            legal_holds.insert().values(
                id=hold_id,
                practice_id=practice_id,
                conversation_id=conversation_id,
                client_id=client_id,
                reason_sealed=reason_sealed,
                placed_by=placed_by,
                placed_at=now,
                released_by=None,
                released_at=None,
            )
        )

    def get_hold(self, practice_id: UUID, hold_id: UUID) -> LegalHold | None:
        row = self._conn.execute(
            select(legal_holds).where(
                legal_holds.c.practice_id == practice_id, legal_holds.c.id == hold_id
            )
        ).first()
        return _hold(row) if row else None

    def release_hold(self, practice_id: UUID, hold_id: UUID, by: UUID, now: datetime) -> bool:
        """Release an active hold; False when it was already released."""
        result = self._conn.execute(
            update(legal_holds)
            .where(
                legal_holds.c.practice_id == practice_id,
                legal_holds.c.id == hold_id,
                legal_holds.c.released_at.is_(None),
            )
            .values(released_by=by, released_at=now)
        )
        return result.rowcount == 1

    def holds(self, practice_id: UUID) -> list[LegalHold]:
        """The practice's holds, active ones first, newest first within each."""
        rows = self._conn.execute(
            select(legal_holds)
            .where(legal_holds.c.practice_id == practice_id)
            .order_by(legal_holds.c.released_at.is_not(None), legal_holds.c.placed_at.desc())
            .limit(MAX_HOLDS_LISTED)
        )
        return [_hold(r) for r in rows]

    def held_conversations(self, practice_id: UUID) -> set[UUID]:
        rows = self._conn.execute(
            select(legal_holds.c.conversation_id)
            .where(
                legal_holds.c.practice_id == practice_id,
                legal_holds.c.released_at.is_(None),
                legal_holds.c.conversation_id.is_not(None),
            )
            .distinct()
        )
        return {r.conversation_id for r in rows}

    def held_clients(self, practice_id: UUID) -> set[UUID]:
        """The clients under an active hold (every thread of theirs is held)."""
        rows = self._conn.execute(
            select(legal_holds.c.client_id)
            .where(
                legal_holds.c.practice_id == practice_id,
                legal_holds.c.released_at.is_(None),
                legal_holds.c.client_id.is_not(None),
            )
            .distinct()
        )
        return {r.client_id for r in rows}
