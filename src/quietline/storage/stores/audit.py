from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Text, and_, bindparam, cast, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from quietline.crypto.audit_chain import canonical, entry_mac, genesis_mac
from quietline.domain.ids import time_ordered_id
from quietline.domain.models import AuditEntry
from quietline.storage.deferred import CounterMoved, DeferredCounters
from quietline.storage.prepared import Prepared
from quietline.storage.tables import audit_events, audit_heads

_HEAD_FOR_UPDATE = Prepared(
    select(audit_heads.c.last_seq, audit_heads.c.last_mac)
    .where(audit_heads.c.practice_id == bindparam("practice_id"))
    .with_for_update()
)
_INSERT_HEAD = Prepared(audit_heads.insert(), [c.name for c in audit_heads.c])
_INSERT = Prepared(audit_events.insert(), [c.name for c in audit_events.c])
_UPDATE_HEAD = Prepared(
    update(audit_heads)
    .where(audit_heads.c.practice_id == bindparam("b_practice_id"))
    .values(last_seq=bindparam("seq"), last_mac=bindparam("mac"))
)
# Moves the head only from the one given: the check and the move in one statement.
_ADVANCE_HEAD_FROM = Prepared(
    update(audit_heads)
    .where(
        audit_heads.c.practice_id == bindparam("b_practice_id"),
        audit_heads.c.last_seq == bindparam("prev_seq"),
        audit_heads.c.last_mac == bindparam("prev_mac"),
    )
    .values(last_seq=bindparam("seq"), last_mac=bindparam("mac"))
)


class AuditHeadHints:
    """The chain head each practice had after this process's last append: a guess that
    spares the next append reading the head first.

    Never trusted: an append from a hint moves the stored head only if it is still exactly
    the hinted one (same seq, same MAC), in the same statement that takes the row's write
    lock. A hint gone stale (a rolled-back job, another process's append) fails that check
    and the append reads the head as usual. Shared by the threads of one process.
    """

    def __init__(self) -> None:
        self._heads: dict[UUID, tuple[int, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, practice_id: UUID) -> tuple[int, bytes] | None:
        with self._lock:
            return self._heads.get(practice_id)

    def remember(self, practice_id: UUID, seq: int, mac: bytes) -> None:
        with self._lock:
            self._heads[practice_id] = (seq, mac)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**dict(row._mapping))


def _about_conversation(conversation_id: UUID) -> ColumnElement[bool]:
    """Entries about one conversation: it is their subject, or its id is in their details
    (a sent or recalled message names its conversation there, a purge lists several).
    Details hold ids and counts only, so the id's text cannot match anything but the id."""
    cid = str(conversation_id)
    return or_(
        and_(audit_events.c.subject_type == "conversation", audit_events.c.subject_id == cid),
        cast(audit_events.c.details, Text).contains(cid, autoescape=True),
    )


def _about_client(client_id: UUID, threads: list[UUID]) -> ColumnElement[bool]:
    """Entries about one client: the client is their subject (record, consent, secure page,
    texts, a hold on the client), their details name the client's id (an appointment, a text
    the client sent, a list or search that showed the client), or they are about one of the
    client's threads as :func:`_about_conversation` says."""
    cid = str(client_id)
    return or_(
        and_(audit_events.c.subject_type == "client", audit_events.c.subject_id == cid),
        cast(audit_events.c.details, Text).contains(cid, autoescape=True),
        *(_about_conversation(t) for t in threads),
    )


class AuditStore:
    def __init__(self, conn: Connection, key: bytes, hints: AuditHeadHints | None = None) -> None:
        self._conn = conn
        self._key = key
        self._hints = hints

    def append(
        self,
        *,
        practice_id: UUID,
        at: datetime,
        kind: str,
        actor_user_id: UUID | None,
        actor_session_id: UUID | None,
        subject_type: str | None,
        subject_id: str | None,
        details: dict[str, object],
    ) -> tuple[int, bytes]:
        """Append one entry to the practice's chain. Must run inside the action's transaction.

        Locks the chain head (``FOR UPDATE`` on PostgreSQL; SQLite has one writer) so that
        concurrent transactions extend the chain one after another. With a hint
        (:class:`AuditHeadHints`) the conditional update that advances the head is the lock
        and the check at once, and the head is read only when the hint was stale.
        """
        fields = {
            "practice_id": practice_id,
            "at": at,
            "kind": kind,
            "actor_user_id": actor_user_id,
            "actor_session_id": actor_session_id,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "details": details,
        }
        counters = DeferredCounters.of(self._conn)
        if counters is not None:
            held = counters.audit_head(practice_id)
            if held is not None:
                # This writer transaction holds the head row already (it wrote it, and on
                # PostgreSQL locked it): count on in memory; stored before the commit.
                entry = self._entry_after(held[0], held[1], fields)
                _INSERT.run(self._conn, entry)
                counters.head_moved(practice_id, entry["seq"], entry["mac"])
                return self._remember(practice_id, entry)
        hint = self._hints.get(practice_id) if self._hints is not None else None
        if hint is not None:
            prev_seq, prev_mac = hint
            entry = self._entry_after(prev_seq, prev_mac, fields)
            moved = _ADVANCE_HEAD_FROM.run(
                self._conn,
                {
                    "b_practice_id": practice_id,
                    "prev_seq": prev_seq,
                    "prev_mac": prev_mac,
                    "seq": entry["seq"],
                    "mac": entry["mac"],
                },
            ).rowcount
            if moved == 1:
                _INSERT.run(self._conn, entry)
                if counters is not None:
                    counters.head_stored(practice_id, entry["seq"], entry["mac"])
                return self._remember(practice_id, entry)
        head = _HEAD_FOR_UPDATE.run(self._conn, {"practice_id": practice_id}).first()
        if head is None:
            prev_seq, prev_mac = 0, genesis_mac(self._key, practice_id)
            _INSERT_HEAD.run(
                self._conn, {"practice_id": practice_id, "last_seq": 0, "last_mac": prev_mac}
            )
        else:
            prev_seq, prev_mac = int(head["last_seq"]), bytes(head["last_mac"])
        entry = self._entry_after(prev_seq, prev_mac, fields)
        _INSERT.run(self._conn, entry)
        _UPDATE_HEAD.run(
            self._conn, {"b_practice_id": practice_id, "seq": entry["seq"], "mac": entry["mac"]}
        )
        if counters is not None:
            counters.head_stored(practice_id, entry["seq"], entry["mac"])
        return self._remember(practice_id, entry)

    def _entry_after(
        self, prev_seq: int, prev_mac: bytes, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The row of the entry that follows (prev_seq, prev_mac), with its MAC."""
        seq = prev_seq + 1
        entry_id = time_ordered_id()
        body = canonical(entry_id=entry_id, seq=seq, **fields)
        mac = entry_mac(self._key, prev_mac, body)
        return {"id": entry_id, "seq": seq, **fields, "prev_mac": prev_mac, "mac": mac}

    def _remember(self, practice_id: UUID, entry: dict[str, Any]) -> tuple[int, bytes]:
        seq, mac = int(entry["seq"]), bytes(entry["mac"])
        if self._hints is not None:
            self._hints.remember(practice_id, seq, mac)
        return seq, mac

    def head(self, practice_id: UUID) -> tuple[int, bytes] | None:
        counters = DeferredCounters.of(self._conn)
        held = counters.audit_head(practice_id) if counters is not None else None
        if held is not None:
            return held  # moved in this writer transaction, not stored yet
        row = self._conn.execute(
            select(audit_heads.c.last_seq, audit_heads.c.last_mac).where(
                audit_heads.c.practice_id == practice_id
            )
        ).first()
        return (int(row.last_seq), bytes(row.last_mac)) if row else None

    def iterate_chain(self, practice_id: UUID, batch: int = 2000) -> Iterator[AuditEntry]:
        """Every entry in stored order. Ordered by seq, which verify checks for gaps."""
        last = 0
        while True:
            rows = self._conn.execute(
                select(audit_events)
                .where(audit_events.c.practice_id == practice_id, audit_events.c.seq > last)
                .order_by(audit_events.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield _entry(row)
            last = int(rows[-1].seq)

    def query(
        self,
        practice_id: UUID,
        *,
        kinds: list[str] | None = None,
        actor_user_id: UUID | None = None,
        subject_id: str | None = None,
        conversation_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_seq: int | None = None,
        limit: int = 100,
        client_id: UUID | None = None,
        client_threads: list[UUID] | None = None,
    ) -> list[AuditEntry]:
        """Newest first. ``client_id`` selects the entries about that client, given the
        client's threads (``client_threads``), which the caller looked up."""
        query = select(audit_events).where(audit_events.c.practice_id == practice_id)
        if kinds:
            query = query.where(audit_events.c.kind.in_(kinds))
        if actor_user_id:
            query = query.where(audit_events.c.actor_user_id == actor_user_id)
        if subject_id:
            query = query.where(audit_events.c.subject_id == subject_id)
        if conversation_id:
            query = query.where(_about_conversation(conversation_id))
        if client_id:
            query = query.where(_about_client(client_id, client_threads or []))
        if since:
            query = query.where(audit_events.c.at >= since)
        if until:
            query = query.where(audit_events.c.at < until)
        if before_seq:
            query = query.where(audit_events.c.seq < before_seq)
        rows = self._conn.execute(query.order_by(audit_events.c.seq.desc()).limit(limit))
        return [_entry(r) for r in rows]


def store_deferred_head(
    conn: Connection,
    practice_id: UUID,
    stored_seq: int,
    stored_mac: bytes,
    seq: int,
    mac: bytes,
) -> None:
    """Write the chain head a writer transaction moved in memory
    (:mod:`quietline.storage.deferred`), only from the head it stored itself."""
    moved = _ADVANCE_HEAD_FROM.run(
        conn,
        {
            "b_practice_id": practice_id,
            "prev_seq": stored_seq,
            "prev_mac": stored_mac,
            "seq": seq,
            "mac": mac,
        },
    ).rowcount
    if moved != 1:
        raise CounterMoved("a practice's audit chain head moved under its writer")
