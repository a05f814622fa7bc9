from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import ReceiptMark, StoredMessage
from quietline.storage.prepared import Prepared
from quietline.storage.stores.retention import under_legal_hold
from quietline.storage.tables import messages, receipt_marks

_INSERT = Prepared(messages.insert(), [c.name for c in messages.c])
_BY_IDEMPOTENCY_KEY = Prepared(
    select(messages).where(
        messages.c.practice_id == bindparam("practice_id"),
        messages.c.sender_id == bindparam("sender_id"),
        messages.c.idempotency_key == bindparam("key"),
    )
)
_GET = Prepared(
    select(messages).where(
        messages.c.practice_id == bindparam("practice_id"),
        messages.c.conversation_id == bindparam("conversation_id"),
        messages.c.id == bindparam("message_id"),
    )
)
# The one filter every reading path uses: not recalled, not expired at this instant, not
# past the practice's retention ("not_before"; EPOCH when the practice keeps messages).
_READABLE = select(messages).where(
    messages.c.practice_id == bindparam("practice_id"),
    messages.c.conversation_id == bindparam("conversation_id"),
    messages.c.recalled_at.is_(None),
    or_(messages.c.expires_at.is_(None), messages.c.expires_at > bindparam("now")),
    messages.c.created_at >= bindparam("not_before"),
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HELD = under_legal_hold(messages.c.practice_id, messages.c.conversation_id)
_PAGE_AFTER = Prepared(
    _READABLE.where(messages.c.seq > bindparam("seq"))
    .order_by(messages.c.seq)
    .limit(bindparam("n"))
)
_PAGE_BEFORE = Prepared(
    _READABLE.where(messages.c.seq < bindparam("seq"))
    .order_by(messages.c.seq.desc())
    .limit(bindparam("n"))
)
_PAGE_LATEST = Prepared(_READABLE.order_by(messages.c.seq.desc()).limit(bindparam("n")))
_SENDERS_BETWEEN = Prepared(
    select(messages.c.sender_id)
    .where(
        messages.c.practice_id == bindparam("practice_id"),
        messages.c.conversation_id == bindparam("conversation_id"),
        messages.c.seq > bindparam("after"),
        messages.c.seq <= bindparam("up_to"),
    )
    .distinct()
)
_INSERT_MARK = Prepared(receipt_marks.insert(), [c.name for c in receipt_marks.c])


def _message(m: Mapping[Any, Any]) -> StoredMessage:
    return StoredMessage(**{c.name: m[c.name] for c in messages.c})


_MARK_COLUMNS = (
    receipt_marks.c.user_id,
    receipt_marks.c.kind,
    receipt_marks.c.up_to_seq,
    receipt_marks.c.at,
    receipt_marks.c.device_session_id,
)


class MessageStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(self, message: StoredMessage) -> None:
        _INSERT.run(
            self._conn,
            {
                "id": message.id,
                "practice_id": message.practice_id,
                "conversation_id": message.conversation_id,
                "seq": message.seq,
                "sender_id": message.sender_id,
                "idempotency_key": message.idempotency_key,
                "body_sealed": message.body_sealed,
                "dek_wrapped": message.dek_wrapped,
                "urgent": message.urgent,
                "created_at": message.created_at,
                "expires_at": message.expires_at,
                "recalled_at": None,
                "sender_client_id": message.sender_client_id,
                "internal": message.internal,
                "channel": message.channel,
            },
        )

    def by_idempotency_key(
        self, practice_id: UUID, sender_id: UUID, key: str
    ) -> StoredMessage | None:
        row = _BY_IDEMPOTENCY_KEY.run(
            self._conn, {"practice_id": practice_id, "sender_id": sender_id, "key": key}
        ).first()
        return _message(row) if row else None

    def get(
        self, practice_id: UUID, conversation_id: UUID, message_id: UUID
    ) -> StoredMessage | None:
        row = _GET.run(
            self._conn,
            {
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "message_id": message_id,
            },
        ).first()
        return _message(row) if row else None

    def page(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        now: datetime,
        *,
        before_seq: int | None = None,
        after_seq: int | None = None,
        limit: int = 50,
        not_before: datetime | None = None,
    ) -> list[StoredMessage]:
        """Readable messages in sequence order (oldest first).

        ``before_seq`` pages backwards from the newest; ``after_seq`` pages forwards (backlog).
        Expired and recalled messages, and those created before ``not_before`` (the
        practice's retention cutoff), are filtered here, in SQL, at the instant of the query:
        this is the one query every reading path uses.
        """
        params = {
            "practice_id": practice_id,
            "conversation_id": conversation_id,
            "now": now,
            "n": limit,
            "not_before": not_before or EPOCH,
        }
        if after_seq is not None:
            return [
                _message(r) for r in _PAGE_AFTER.run(self._conn, {**params, "seq": after_seq}).rows
            ]
        if before_seq is not None:
            rows = _PAGE_BEFORE.run(self._conn, {**params, "seq": before_seq}).rows
        else:
            rows = _PAGE_LATEST.run(self._conn, params).rows
        return [_message(r) for r in reversed(rows)]

    def recall(self, practice_id: UUID, message_id: UUID, now: datetime) -> None:
        """Erase the content and its key; the row stays as a tombstone for ordering."""
        self._conn.execute(
            update(messages)
            .where(messages.c.practice_id == practice_id, messages.c.id == message_id)
            .values(recalled_at=now, body_sealed=None, dek_wrapped=None)
        )

    def expired_with_content(self, now: datetime, limit: int) -> list[tuple[UUID, UUID, UUID]]:
        """(practice, conversation, message) ids of expired messages whose content and key
        are still stored, except in conversations under legal hold (kept, still unreadable).

        Runs across practices on purpose: it is the purge job, not a user's request.
        """
        rows = self._conn.execute(
            select(messages.c.practice_id, messages.c.conversation_id, messages.c.id)
            .where(
                messages.c.expires_at.is_not(None),
                messages.c.expires_at <= now,
                messages.c.dek_wrapped.is_not(None),
                ~_HELD,
            )
            .order_by(messages.c.expires_at)
            .limit(limit)
        )
        return [(r.practice_id, r.conversation_id, r.id) for r in rows]

    def erase(self, practice_id: UUID, message_ids: list[UUID]) -> int:
        """Destroy the content and its wrapped data key (crypto-shredding). The row stays as a
        tombstone: its idempotency key keeps a late retry from sending the message again."""
        if not message_ids:
            return 0
        result = self._conn.execute(
            update(messages)
            .where(messages.c.practice_id == practice_id, messages.c.id.in_(message_ids))
            .values(body_sealed=None, dek_wrapped=None)
        )
        return int(result.rowcount)

    def delete_expired_before(self, cutoff: datetime, limit: int) -> int:
        """Delete tombstones of messages that expired before ``cutoff`` (already erased),
        except in conversations under legal hold."""
        doomed = (
            select(messages.c.id)
            .where(
                messages.c.expires_at.is_not(None),
                messages.c.expires_at < cutoff,
                messages.c.dek_wrapped.is_(None),
                ~_HELD,
            )
            .limit(limit)
            .scalar_subquery()
        )
        result = self._conn.execute(delete(messages).where(messages.c.id.in_(doomed)))
        return int(result.rowcount)

    def all_rows(self, practice_id: UUID, conversation_id: UUID, limit: int) -> list[StoredMessage]:
        """Every stored row of a conversation, oldest first (at most ``limit``), tombstones
        included: recalled, expired and past-retention rows too. Not a reading path: the
        caller (the right-of-access export) shows content only where
        :meth:`StoredMessage.readable_at` and the retention cutoff allow."""
        rows = self._conn.execute(
            select(messages)
            .where(
                messages.c.practice_id == practice_id,
                messages.c.conversation_id == conversation_id,
            )
            .order_by(messages.c.seq)
            .limit(limit)
        ).mappings()
        return [_message(r) for r in rows]

    def senders_between(
        self, practice_id: UUID, conversation_id: UUID, after: int, up_to: int
    ) -> set[UUID | None]:
        """Which staff sent the messages with ``after < seq <= up_to`` (covered by the unread
        index); None stands for the client of a client thread."""
        rows = _SENDERS_BETWEEN.run(
            self._conn,
            {
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "after": after,
                "up_to": up_to,
            },
        ).rows
        return {row["sender_id"] for row in rows}

    # -- receipts -----------------------------------------------------------------
    def add_receipt_mark(
        self,
        *,
        mark_id: UUID,
        practice_id: UUID,
        conversation_id: UUID,
        user_id: UUID,
        device_session_id: UUID | None,
        kind: str,
        up_to_seq: int,
        at: datetime,
    ) -> None:
        _INSERT_MARK.run(
            self._conn,
            {
                "id": mark_id,
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "user_id": user_id,
                "device_session_id": device_session_id,
                "kind": kind,
                "up_to_seq": up_to_seq,
                "at": at,
            },
        )

    def marks_since(
        self, practice_id: UUID, conversation_id: UUID, since_seq: int, limit: int
    ) -> list[ReceiptMark]:
        """Receipt marks covering ``since_seq`` or later, oldest first."""
        rows = self._conn.execute(
            select(*_MARK_COLUMNS)
            .where(
                receipt_marks.c.practice_id == practice_id,
                receipt_marks.c.conversation_id == conversation_id,
                receipt_marks.c.up_to_seq >= since_seq,
            )
            .order_by(receipt_marks.c.at, receipt_marks.c.up_to_seq)
            .limit(limit)
        )
        return [
            ReceiptMark(r.user_id, r.kind, int(r.up_to_seq), r.at, r.device_session_id)
            for r in rows
        ]

    def receipts_for(self, practice_id: UUID, conversation_id: UUID, seq: int) -> list[ReceiptMark]:
        """The first delivered and first seen mark covering ``seq``, per member."""
        rows = self._conn.execute(
            select(*_MARK_COLUMNS)
            .where(
                receipt_marks.c.practice_id == practice_id,
                receipt_marks.c.conversation_id == conversation_id,
                receipt_marks.c.up_to_seq >= seq,
            )
            .order_by(receipt_marks.c.at)
        )
        first: dict[tuple[UUID, str], ReceiptMark] = {}
        for r in rows:
            first.setdefault(
                (r.user_id, r.kind),
                ReceiptMark(r.user_id, r.kind, int(r.up_to_seq), r.at, r.device_session_id),
            )
        return list(first.values())
