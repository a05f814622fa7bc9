from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import DeviceSession
from quietline.storage.tables import device_sessions, login_throttle

_COLUMNS = (
    device_sessions.c.id,
    device_sessions.c.practice_id,
    device_sessions.c.user_id,
    device_sessions.c.device_name,
    device_sessions.c.created_at,
    device_sessions.c.last_seen_at,
    device_sessions.c.second_factor_verified,
    device_sessions.c.revoked_at,
    device_sessions.c.revoked_reason,
)


def _session(row: Any) -> DeviceSession:
    return DeviceSession(**dict(row._mapping))


class SessionStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(
        self,
        *,
        session_id: UUID,
        practice_id: UUID,
        user_id: UUID,
        token_hash: bytes,
        device_name: str,
        now: datetime,
        second_factor_verified: bool,
    ) -> None:
        self._conn.execute(
            device_sessions.insert().values(
                id=session_id,
                practice_id=practice_id,
                user_id=user_id,
                token_hash=token_hash,
                device_name=device_name,
                created_at=now,
                last_seen_at=now,
                second_factor_verified=second_factor_verified,
            )
        )

    def by_token_hash(self, token_hash: bytes) -> DeviceSession | None:
        """The one lookup that is not scoped by practice: the token is what names it."""
        row = self._conn.execute(
            select(*_COLUMNS).where(device_sessions.c.token_hash == token_hash)
        ).first()
        return _session(row) if row else None

    def get(self, practice_id: UUID, session_id: UUID) -> DeviceSession | None:
        row = self._conn.execute(
            select(*_COLUMNS).where(
                device_sessions.c.practice_id == practice_id, device_sessions.c.id == session_id
            )
        ).first()
        return _session(row) if row else None

    def list_for_user(self, practice_id: UUID, user_id: UUID) -> list[DeviceSession]:
        rows = self._conn.execute(
            select(*_COLUMNS)
            .where(
                device_sessions.c.practice_id == practice_id,
                device_sessions.c.user_id == user_id,
                device_sessions.c.revoked_at.is_(None),
            )
            .order_by(device_sessions.c.last_seen_at.desc())
        )
        return [_session(r) for r in rows]

    def touch(self, practice_id: UUID, session_id: UUID, now: datetime) -> None:
        self._conn.execute(
            update(device_sessions)
            .where(
                device_sessions.c.practice_id == practice_id,
                device_sessions.c.id == session_id,
                device_sessions.c.last_seen_at < now,
            )
            .values(last_seen_at=now)
        )

    def mark_second_factor(self, practice_id: UUID, session_id: UUID) -> None:
        self._conn.execute(
            update(device_sessions)
            .where(device_sessions.c.practice_id == practice_id, device_sessions.c.id == session_id)
            .values(second_factor_verified=True)
        )

    def revoke(
        self,
        practice_id: UUID,
        session_ids: list[UUID],
        now: datetime,
        reason: str,
        by: UUID | None,
    ) -> list[UUID]:
        """Revoke live sessions among ``session_ids``; returns the ones that were live."""
        if not session_ids:
            return []
        live = [
            r.id
            for r in self._conn.execute(
                select(device_sessions.c.id).where(
                    device_sessions.c.practice_id == practice_id,
                    device_sessions.c.id.in_(session_ids),
                    device_sessions.c.revoked_at.is_(None),
                )
            )
        ]
        if live:
            self._conn.execute(
                update(device_sessions)
                .where(device_sessions.c.practice_id == practice_id, device_sessions.c.id.in_(live))
                .values(revoked_at=now, revoked_reason=reason, revoked_by=by)
            )
        return live

    def live_ids_for_user(self, practice_id: UUID, user_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            select(device_sessions.c.id).where(
                device_sessions.c.practice_id == practice_id,
                device_sessions.c.user_id == user_id,
                device_sessions.c.revoked_at.is_(None),
            )
        )
        return [r.id for r in rows]


class ThrottleStore:
    """Sign-in failure counters keyed by an HMAC of the account or address (never the value)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def failures(self, key_hash: bytes, now: datetime, window: timedelta) -> int:
        row = self._conn.execute(
            select(login_throttle.c.failures, login_throttle.c.window_started_at).where(
                login_throttle.c.key_hash == key_hash
            )
        ).first()
        if row is None or row.window_started_at <= now - window:
            return 0
        return int(row.failures)

    def record_failure(self, key_hash: bytes, now: datetime, window: timedelta) -> None:
        row = self._conn.execute(
            select(login_throttle.c.failures, login_throttle.c.window_started_at).where(
                login_throttle.c.key_hash == key_hash
            )
        ).first()
        if row is None:
            self._conn.execute(
                login_throttle.insert().values(key_hash=key_hash, failures=1, window_started_at=now)
            )
        elif row.window_started_at <= now - window:
            self._conn.execute(
                update(login_throttle)
                .where(login_throttle.c.key_hash == key_hash)
                .values(failures=1, window_started_at=now)
            )
        else:
            self._conn.execute(
                update(login_throttle)
                .where(login_throttle.c.key_hash == key_hash)
                .values(failures=login_throttle.c.failures + 1)
            )

    def clear(self, key_hash: bytes) -> None:
        self._conn.execute(delete(login_throttle).where(login_throttle.c.key_hash == key_hash))
