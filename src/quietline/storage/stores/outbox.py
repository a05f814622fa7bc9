"""The durable outbound queue to clients (claim with a lease, mark, retry).

States of a row (``outbound_messages.status``)::

    queued ──claim──► sending ──provider accepted──► sent ──report──► delivered
      ▲                 │  │                          │                 (or undelivered,
      └──retry (later)──┘  └──rejected / too many / too old──► failed    failed by report)
    queued or sending ──client sent STOP (SMS)──► cancelled

``next_attempt_at`` is when the row is next due. A claim sets it to the end of the lease as
well, so one index (``status, next_attempt_at``) finds both the queued rows that are due and
the rows whose sender died mid-send (their lease ran out): ``status in ('queued', 'sending')
and next_attempt_at <= now``.

The worker is a server job across practices, like the expiry purge: :meth:`claim_due` and
:meth:`next_due_at` read every practice's rows on purpose, and :meth:`by_provider_ref` finds
a row by the id the provider gave it (the provider's report names the message, like a token
names a session). Every other query filters on ``practice_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import OutboundMessage
from quietline.storage.tables import clients, conversations, outbound_messages

PENDING = ("queued", "sending")
CLIENT_DELIVERIES_LIMIT = 500

_t = outbound_messages
_COLUMNS = (
    _t.c.id,
    _t.c.practice_id,
    _t.c.client_id,
    _t.c.message_id,
    _t.c.channel,
    _t.c.purpose,
    _t.c.to_sealed,
    _t.c.body_sealed,
    _t.c.status,
    _t.c.attempts,
    _t.c.next_attempt_at,
    _t.c.lease_until,
    _t.c.provider_ref,
    _t.c.last_error,
    _t.c.created_at,
    _t.c.sent_at,
    _t.c.delivered_at,
    _t.c.final_at,
)

_DUE = _t.c.status.in_(PENDING) & (_t.c.next_attempt_at <= bindparam("now"))
_NEXT_DUE = (
    select(_t.c.id, _t.c.practice_id).where(_DUE).order_by(_t.c.next_attempt_at, _t.c.id).limit(1)
)
_CLAIM = (
    update(_t)
    .where(
        _t.c.id == bindparam("b_id"),
        _t.c.practice_id == bindparam("b_practice_id"),
        _t.c.status.in_(PENDING),
        _t.c.next_attempt_at <= bindparam("b_now"),
    )
    .values(
        status="sending",
        attempts=_t.c.attempts + 1,
        lease_until=bindparam("b_lease_until"),
        next_attempt_at=bindparam("b_lease_until"),
    )
    .returning(*_COLUMNS)
)
_GET = select(*_COLUMNS).where(
    _t.c.practice_id == bindparam("practice_id"), _t.c.id == bindparam("id")
)
_BY_PROVIDER_REF = select(*_COLUMNS).where(_t.c.provider_ref == bindparam("ref")).limit(2)
_EARLIEST = select(func.min(_t.c.next_attempt_at)).where(_t.c.status.in_(PENDING))
_FOR_CLIENT = (
    select(*_COLUMNS)
    .where(
        _t.c.practice_id == bindparam("practice_id"),
        _t.c.client_id == bindparam("client_id"),
    )
    .order_by(_t.c.created_at.desc(), _t.c.id)
    .limit(bindparam("limit"))
)
_CLIENT_THREAD = select(conversations.c.id).where(
    conversations.c.practice_id == bindparam("practice_id"),
    conversations.c.client_id == bindparam("client_id"),
)
_SMS_OPTED_OUT = select(clients.c.sms_opted_out_at).where(
    clients.c.practice_id == bindparam("practice_id"), clients.c.id == bindparam("client_id")
)


def _row(m: Mapping[Any, Any]) -> OutboundMessage:
    return OutboundMessage(
        id=m["id"],
        practice_id=m["practice_id"],
        client_id=m["client_id"],
        message_id=m["message_id"],
        channel=m["channel"],
        purpose=m["purpose"],
        to_sealed=m["to_sealed"],
        body_sealed=m["body_sealed"],
        status=m["status"],
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        lease_until=m["lease_until"],
        provider_ref=m["provider_ref"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        delivered_at=m["delivered_at"],
        final_at=m["final_at"],
    )


def _held(practice_id: UUID, outbound_id: UUID) -> dict[str, Any]:
    return {"b_practice_id": practice_id, "b_id": outbound_id}


# The worker's marks apply only while the row is still 'sending' (it holds the lease).
_WHILE_SENDING = (
    _t.c.id == bindparam("b_id"),
    _t.c.practice_id == bindparam("b_practice_id"),
    _t.c.status == "sending",
)
_MARK_SENT = (
    update(_t)
    .where(*_WHILE_SENDING)
    .values(
        status="sent",
        provider_ref=bindparam("b_provider_ref"),
        sent_at=bindparam("b_now"),
        final_at=bindparam("b_now"),
        lease_until=None,
        last_error=None,
        to_sealed=None,
        body_sealed=None,
    )
)
_RETRY = (
    update(_t)
    .where(*_WHILE_SENDING)
    .values(
        status="queued",
        lease_until=None,
        next_attempt_at=bindparam("b_next_attempt_at"),
        last_error=bindparam("b_error"),
    )
)
_FINISH_PENDING = (
    update(_t)
    .where(
        _t.c.id == bindparam("b_id"),
        _t.c.practice_id == bindparam("b_practice_id"),
        _t.c.status.in_(PENDING),
    )
    .values(
        status=bindparam("b_status"),
        final_at=bindparam("b_now"),
        lease_until=None,
        last_error=bindparam("b_error"),
        to_sealed=None,
        body_sealed=None,
    )
)
_REPORT = (
    update(_t)
    .where(
        _t.c.id == bindparam("b_id"),
        _t.c.practice_id == bindparam("b_practice_id"),
        _t.c.status == "sent",
    )
    .values(
        status=bindparam("b_status"),
        delivered_at=bindparam("b_delivered_at"),
        last_error=bindparam("b_error"),
    )
)


class OutboxStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- the queue ----------------------------------------------------------------------
    def insert(
        self,
        *,
        outbound_id: UUID,
        practice_id: UUID,
        client_id: UUID | None,
        message_id: UUID | None,
        channel: str,
        purpose: str,
        to_sealed: bytes,
        body_sealed: bytes,
        now: datetime,
    ) -> None:
        """A new row, due at once."""
        self._conn.execute(
            insert(_t),
            {
                "id": outbound_id,
                "practice_id": practice_id,
                "client_id": client_id,
                "message_id": message_id,
                "channel": channel,
                "purpose": purpose,
                "to_sealed": to_sealed,
                "body_sealed": body_sealed,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )

    def claim_due(self, now: datetime, lease_until: datetime) -> OutboundMessage | None:
        """Take the row that has been due longest, across practices: 'sending' with
        ``attempts + 1`` and a lease until ``lease_until``. Call in a write transaction. The
        update checks again that the row is due, so two claimers never both get it."""
        found = self._conn.execute(_NEXT_DUE, {"now": now}).first()
        if found is None:
            return None
        outbound_id, practice_id = found
        m = (
            self._conn.execute(
                _CLAIM,
                {
                    "b_id": outbound_id,
                    "b_practice_id": practice_id,
                    "b_now": now,
                    "b_lease_until": lease_until,
                },
            )
            .mappings()
            .first()
        )
        return _row(m) if m is not None else None

    def next_due_at(self) -> datetime | None:
        """When the earliest queued row (or running lease) comes due, across practices."""
        earliest: datetime | None = self._conn.execute(_EARLIEST).scalar_one_or_none()
        return earliest

    def get(self, practice_id: UUID, outbound_id: UUID) -> OutboundMessage | None:
        m = self._conn.execute(_GET, {"practice_id": practice_id, "id": outbound_id})
        row = m.mappings().first()
        return _row(row) if row is not None else None

    def mark_sent(
        self, practice_id: UUID, outbound_id: UUID, *, provider_ref: str, now: datetime
    ) -> bool:
        """The provider took it: keep its id, erase the sealed address and text."""
        result = self._conn.execute(
            _MARK_SENT,
            {**_held(practice_id, outbound_id), "b_provider_ref": provider_ref, "b_now": now},
        )
        return result.rowcount == 1

    def schedule_retry(
        self, practice_id: UUID, outbound_id: UUID, *, next_attempt_at: datetime, error: str
    ) -> bool:
        result = self._conn.execute(
            _RETRY,
            {
                **_held(practice_id, outbound_id),
                "b_next_attempt_at": next_attempt_at,
                "b_error": error,
            },
        )
        return result.rowcount == 1

    def finish_pending(
        self,
        practice_id: UUID,
        outbound_id: UUID,
        *,
        status: str,
        error: str | None,
        now: datetime,
    ) -> bool:
        """End a queued or sending row as 'failed' or 'cancelled', erasing the sealed
        address and text."""
        result = self._conn.execute(
            _FINISH_PENDING,
            {**_held(practice_id, outbound_id), "b_status": status, "b_error": error, "b_now": now},
        )
        return result.rowcount == 1

    # -- delivery reports ---------------------------------------------------------------
    def by_provider_ref(self, provider_ref: str) -> OutboundMessage | None:
        """The row the provider's id names (across practices: the id is what names it)."""
        rows = self._conn.execute(_BY_PROVIDER_REF, {"ref": provider_ref}).mappings().all()
        return _row(rows[0]) if len(rows) == 1 else None

    def record_report(
        self,
        practice_id: UUID,
        outbound_id: UUID,
        *,
        status: str,
        delivered_at: datetime | None,
        error: str | None,
    ) -> bool:
        """A 'sent' row becomes 'delivered', 'undelivered' or 'failed' (reports after the
        first final one change nothing)."""
        result = self._conn.execute(
            _REPORT,
            {
                **_held(practice_id, outbound_id),
                "b_status": status,
                "b_delivered_at": delivered_at,
                "b_error": error,
            },
        )
        return result.rowcount == 1

    # -- reads for staff ------------------------------------------------------------------
    def for_client(
        self, practice_id: UUID, client_id: UUID, limit: int = CLIENT_DELIVERIES_LIMIT
    ) -> list[OutboundMessage]:
        """A client's outbound rows, newest first."""
        rows = self._conn.execute(
            _FOR_CLIENT, {"practice_id": practice_id, "client_id": client_id, "limit": limit}
        )
        return [_row(m) for m in rows.mappings()]

    # -- the few reads of other table families the worker needs -------------------------
    def client_thread(self, practice_id: UUID, client_id: UUID) -> UUID | None:
        """The id of the client's thread (its conversation), if it has one."""
        found: UUID | None = self._conn.execute(
            _CLIENT_THREAD, {"practice_id": practice_id, "client_id": client_id}
        ).scalar_one_or_none()
        return found

    def client_sms_opted_out(self, practice_id: UUID, client_id: UUID) -> bool:
        """Whether the client sent STOP (and not START since)."""
        opted_out = self._conn.execute(
            _SMS_OPTED_OUT, {"practice_id": practice_id, "client_id": client_id}
        ).scalar_one_or_none()
        return opted_out is not None
