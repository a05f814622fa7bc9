"""Staff status ("in session until 2:50"). A status is a time, never free text."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from quietline.storage.tables import user_status

_GET = select(user_status.c.in_session_until).where(
    user_status.c.practice_id == bindparam("practice_id"),
    user_status.c.user_id == bindparam("user_id"),
)
_FOR_PRACTICE = select(user_status.c.user_id, user_status.c.in_session_until).where(
    user_status.c.practice_id == bindparam("practice_id"),
    user_status.c.in_session_until > bindparam("now"),
)
_INSERT = user_status.insert()
_UPDATE = (
    update(user_status)
    .where(
        user_status.c.practice_id == bindparam("b_practice_id"),
        user_status.c.user_id == bindparam("b_user_id"),
    )
    .values(in_session_until=bindparam("until"), set_at=bindparam("now"))
)
_DELETE = delete(user_status).where(
    user_status.c.practice_id == bindparam("practice_id"),
    user_status.c.user_id == bindparam("user_id"),
)
_ENDED = select(user_status.c.practice_id, user_status.c.user_id).where(
    user_status.c.in_session_until <= bindparam("now")
)


class StatusStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def in_session_until(self, practice_id: UUID, user_id: UUID, now: datetime) -> datetime | None:
        row = self._conn.execute(_GET, {"practice_id": practice_id, "user_id": user_id}).first()
        if row is None or row.in_session_until <= now:
            return None
        until: datetime = row.in_session_until
        return until

    def for_practice(self, practice_id: UUID, now: datetime) -> dict[UUID, datetime]:
        rows = self._conn.execute(_FOR_PRACTICE, {"practice_id": practice_id, "now": now})
        return {r.user_id: r.in_session_until for r in rows}

    def set(self, practice_id: UUID, user_id: UUID, until: datetime, now: datetime) -> None:
        found = self._conn.execute(_GET, {"practice_id": practice_id, "user_id": user_id}).first()
        if found is None:
            self._conn.execute(
                _INSERT,
                {
                    "practice_id": practice_id,
                    "user_id": user_id,
                    "in_session_until": until,
                    "set_at": now,
                },
            )
        else:
            self._conn.execute(
                _UPDATE,
                {"b_practice_id": practice_id, "b_user_id": user_id, "until": until, "now": now},
            )

    def clear(self, practice_id: UUID, user_id: UUID) -> bool:
        scope = {"practice_id": practice_id, "user_id": user_id}
        return bool(self._conn.execute(_DELETE, scope).rowcount)

    def ended(self, now: datetime) -> list[tuple[UUID, UUID]]:
        """(practice, user) of statuses whose time has passed, across practices: for the
        server's own scheduled release of held notifications, never for a request."""
        return [(r.practice_id, r.user_id) for r in self._conn.execute(_ENDED, {"now": now})]
