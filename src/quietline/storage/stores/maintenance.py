"""Server-wide operations (backups, restore tests, key rotations, audit verifications): when
they ran and whether they succeeded. No content, no keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from quietline.storage.tables import maintenance_events


@dataclass(frozen=True, slots=True)
class MaintenanceEvent:
    id: UUID
    kind: str
    at: datetime
    ok: bool
    details: dict[str, Any]


_INSERT = maintenance_events.insert()
_LAST = (
    select(maintenance_events)
    .where(maintenance_events.c.kind == bindparam("kind"))
    .order_by(maintenance_events.c.at.desc())
    .limit(1)
)
_LAST_OK = (
    select(maintenance_events)
    .where(maintenance_events.c.kind == bindparam("kind"), maintenance_events.c.ok.is_(True))
    .order_by(maintenance_events.c.at.desc())
    .limit(1)
)


class MaintenanceStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, kind: str, at: datetime, *, ok: bool, details: dict[str, Any]) -> UUID:
        event_id = uuid4()
        self._conn.execute(
            _INSERT, {"id": event_id, "kind": kind, "at": at, "ok": ok, "details": details}
        )
        return event_id

    def recent(self, kind: str, limit: int) -> list[MaintenanceEvent]:
        rows = self._conn.execute(
            select(maintenance_events)
            .where(maintenance_events.c.kind == kind)
            .order_by(maintenance_events.c.at.desc())
            .limit(limit)
        )
        return [MaintenanceEvent(**r._mapping) for r in rows]

    def last(self, kind: str, *, ok_only: bool = False) -> MaintenanceEvent | None:
        row = self._conn.execute(_LAST_OK if ok_only else _LAST, {"kind": kind}).first()
        return None if row is None else MaintenanceEvent(**row._mapping)
