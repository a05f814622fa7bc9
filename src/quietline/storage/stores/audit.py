from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from quietline.crypto.audit_chain import canonical, entry_mac, genesis_mac
from quietline.domain.models import AuditEntry
from quietline.storage.tables import audit_events, audit_heads


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(**dict(row._mapping))


class AuditStore:
    def __init__(self, conn: Connection, key: bytes) -> None:
        self._conn = conn
        self._key = key

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
    ) -> int:
        """Append one entry to the practice's chain. Must run inside the action's transaction.

        Locks the chain head (``FOR UPDATE`` on PostgreSQL; SQLite has one writer) so that
        concurrent transactions extend the chain one after another.
        """
        head = self._conn.execute(
            select(audit_heads.c.last_seq, audit_heads.c.last_mac)
            .where(audit_heads.c.practice_id == practice_id)
            .with_for_update()
        ).first()
        if head is None:
            prev_seq, prev_mac = 0, genesis_mac(self._key, practice_id)
            self._conn.execute(
                audit_heads.insert().values(practice_id=practice_id, last_seq=0, last_mac=prev_mac)
            )
        else:
            prev_seq, prev_mac = int(head.last_seq), bytes(head.last_mac)
        seq = prev_seq + 1
        entry_id = uuid4()
        body = canonical(
            entry_id=entry_id,
            practice_id=practice_id,
            seq=seq,
            at=at,
            kind=kind,
            actor_user_id=actor_user_id,
            actor_session_id=actor_session_id,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )
        mac = entry_mac(self._key, prev_mac, body)
        self._conn.execute(
            audit_events.insert().values(
                id=entry_id,
                practice_id=practice_id,
                seq=seq,
                at=at,
                kind=kind,
                actor_user_id=actor_user_id,
                actor_session_id=actor_session_id,
                subject_type=subject_type,
                subject_id=subject_id,
                details=details,
                prev_mac=prev_mac,
                mac=mac,
            )
        )
        self._conn.execute(
            update(audit_heads)
            .where(audit_heads.c.practice_id == practice_id)
            .values(last_seq=seq, last_mac=mac)
        )
        return seq

    def head(self, practice_id: UUID) -> tuple[int, bytes] | None:
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
        since: datetime | None = None,
        until: datetime | None = None,
        before_seq: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        query = select(audit_events).where(audit_events.c.practice_id == practice_id)
        if kinds:
            query = query.where(audit_events.c.kind.in_(kinds))
        if actor_user_id:
            query = query.where(audit_events.c.actor_user_id == actor_user_id)
        if subject_id:
            query = query.where(audit_events.c.subject_id == subject_id)
        if since:
            query = query.where(audit_events.c.at >= since)
        if until:
            query = query.where(audit_events.c.at < until)
        if before_seq:
            query = query.where(audit_events.c.seq < before_seq)
        rows = self._conn.execute(query.order_by(audit_events.c.seq.desc()).limit(limit))
        return [_entry(r) for r in rows]
