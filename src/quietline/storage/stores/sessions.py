"""Device sessions and sign-in throttling.

Statements are built once at import with bind parameters: building and cache-keying a
statement costs several times more than running it on SQLite, and these run on every request.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import DeviceSession, Practice, User
from quietline.storage.prepared import Prepared
from quietline.storage.stores.practices import practice_from_mapping
from quietline.storage.stores.users import user_from_mapping
from quietline.storage.tables import device_sessions, login_throttle, practices, users

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
    device_sessions.c.client,
    device_sessions.c.locked_at,
    device_sessions.c.unlock_failures,
)
_SCOPE = (
    device_sessions.c.practice_id == bindparam("practice_id"),
    device_sessions.c.id == bindparam("session_id"),
)
_INSERT = device_sessions.insert()
_WITH_OWNER_COLUMNS = (
    *_COLUMNS,
    *[c.label(f"user__{c.name}") for c in users.c],
    *[c.label(f"practice__{c.name}") for c in practices.c],
)
_WITH_OWNER_BY_IDS = (
    select(*_WITH_OWNER_COLUMNS)
    .join(users, users.c.id == device_sessions.c.user_id)
    .join(practices, practices.c.id == device_sessions.c.practice_id)
    .where(device_sessions.c.id.in_(bindparam("ids", expanding=True)))
)
_WITH_OWNER = Prepared(
    select(
        *_COLUMNS,
        *[c.label(f"user__{c.name}") for c in users.c],
        *[c.label(f"practice__{c.name}") for c in practices.c],
    )
    .join(users, users.c.id == device_sessions.c.user_id)
    .join(practices, practices.c.id == device_sessions.c.practice_id)
    .where(device_sessions.c.token_hash == bindparam("token_hash"))
)
_GET = select(*_COLUMNS).where(*_SCOPE)
_FOR_USER = (
    select(*_COLUMNS)
    .where(
        device_sessions.c.practice_id == bindparam("practice_id"),
        device_sessions.c.user_id == bindparam("user_id"),
        device_sessions.c.revoked_at.is_(None),
    )
    .order_by(device_sessions.c.last_seen_at.desc())
)
_LIVE_IDS_FOR_USER = select(device_sessions.c.id).where(
    device_sessions.c.practice_id == bindparam("practice_id"),
    device_sessions.c.user_id == bindparam("user_id"),
    device_sessions.c.revoked_at.is_(None),
)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_UPDATE_SCOPE = (
    device_sessions.c.practice_id == bindparam("b_practice_id"),
    device_sessions.c.id == bindparam("session_id"),
)
_TOUCH = Prepared(
    update(device_sessions)
    .where(*_UPDATE_SCOPE, device_sessions.c.last_seen_at < bindparam("now"))
    .values(last_seen_at=bindparam("now"))
)
_MARK_SECOND_FACTOR = (
    update(device_sessions).where(*_UPDATE_SCOPE).values(second_factor_verified=True)
)
_LOCK = (
    update(device_sessions)
    .where(*_UPDATE_SCOPE, device_sessions.c.locked_at.is_(None))
    .values(locked_at=bindparam("now"))
)
_UNLOCK = (
    update(device_sessions)
    .where(*_UPDATE_SCOPE)
    .values(locked_at=None, unlock_failures=0, last_seen_at=bindparam("now"))
)
_UNLOCK_FAILED = (
    update(device_sessions)
    .where(*_UPDATE_SCOPE)
    .values(unlock_failures=device_sessions.c.unlock_failures + 1)
)
_FORGIVE_FAILURES = (
    update(device_sessions)
    .where(*_UPDATE_SCOPE, device_sessions.c.unlock_failures > 0)
    .values(unlock_failures=0)
)
_LIVE_AMONG = select(device_sessions.c.id).where(
    device_sessions.c.practice_id == bindparam("practice_id"),
    device_sessions.c.id.in_(bindparam("ids", expanding=True)),
    device_sessions.c.revoked_at.is_(None),
)
_REVOKE = (
    update(device_sessions)
    .where(
        device_sessions.c.practice_id == bindparam("b_practice_id"),
        device_sessions.c.id.in_(bindparam("ids", expanding=True)),
    )
    .values(
        revoked_at=bindparam("now"),
        revoked_reason=bindparam("reason"),
        revoked_by=bindparam("by"),
    )
)


# Column names and their labelled keys, worked out once: every authenticated request reads
# about sixty columns this way.
_USER_KEYS = tuple((c.name, f"user__{c.name}") for c in users.c)
_PRACTICE_KEYS = tuple((c.name, f"practice__{c.name}") for c in practices.c)
_SESSION_FIELDS = tuple(c.name for c in _COLUMNS)


def _with_owner(m: Any) -> tuple[DeviceSession, User, Practice]:
    user = user_from_mapping({name: m[key] for name, key in _USER_KEYS})
    practice = practice_from_mapping({name: m[key] for name, key in _PRACTICE_KEYS})
    return _session(m), user, practice


@functools.lru_cache(maxsize=4096)
def _stored_owners(dialect: str, stored: tuple[Any, ...]) -> tuple[DeviceSession, User, Practice]:
    """What a stored session row, with its user's and practice's, reads as: kept per distinct
    row, since every request of a device reads the same one (about sixty values to convert
    and three objects to build were most of authentication's own time).

    Keyed by the whole row as stored, every column of the three, so a change to any of them
    (revoked, seen again, deactivated, a policy changed) is another key, read afresh: nothing
    here can be stale. The objects are frozen. Shared by the threads of the process
    (``lru_cache`` is thread-safe) and bounded: the least recently used go first.
    """
    return _with_owner(_WITH_OWNER.convert(dialect, stored))


def _session(mapping: Any) -> DeviceSession:
    return DeviceSession(**{name: mapping[name] for name in _SESSION_FIELDS})


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
        client: str = "api",
    ) -> None:
        self._conn.execute(
            _INSERT,
            {
                "id": session_id,
                "practice_id": practice_id,
                "user_id": user_id,
                "token_hash": token_hash,
                "device_name": device_name,
                "created_at": now,
                "last_seen_at": now,
                "second_factor_verified": second_factor_verified,
                "client": client,
                "unlock_failures": 0,
            },
        )

    def with_owner_by_token_hash(
        self, token_hash: bytes
    ) -> tuple[DeviceSession, User, Practice] | None:
        """The session, its user and its practice in one query (every request does this)."""
        stored = _WITH_OWNER.run_stored(self._conn, {"token_hash": token_hash})
        if not stored:
            return None
        return _stored_owners(self._conn.dialect.name, stored[0])

    def with_owners_by_ids(
        self, session_ids: list[UUID], chunk: int = 500
    ) -> list[tuple[DeviceSession, User, Practice]]:
        """Sessions with their users and practices, across practices: for the server's own
        periodic check of its open sockets, never for a user's request."""
        found: list[tuple[DeviceSession, User, Practice]] = []
        for start in range(0, len(session_ids), chunk):
            rows = self._conn.execute(
                _WITH_OWNER_BY_IDS, {"ids": session_ids[start : start + chunk]}
            )
            found.extend(_with_owner(row._mapping) for row in rows)
        return found

    def get(self, practice_id: UUID, session_id: UUID) -> DeviceSession | None:
        row = self._conn.execute(_GET, {"practice_id": practice_id, "session_id": session_id})
        found = row.first()
        return _session(found._mapping) if found else None

    def list_for_user(self, practice_id: UUID, user_id: UUID) -> list[DeviceSession]:
        rows = self._conn.execute(_FOR_USER, {"practice_id": practice_id, "user_id": user_id})
        return [_session(r._mapping) for r in rows]

    def touch(self, practice_id: UUID, session_id: UUID, now: datetime) -> None:
        _TOUCH.run(self._conn, {"b_practice_id": practice_id, "session_id": session_id, "now": now})

    def mark_second_factor(self, practice_id: UUID, session_id: UUID) -> None:
        self._conn.execute(
            _MARK_SECOND_FACTOR, {"b_practice_id": practice_id, "session_id": session_id}
        )

    def lock(self, practice_id: UUID, session_id: UUID, now: datetime) -> bool:
        """Lock the web app on this device; False when it was already locked."""
        scope = {"b_practice_id": practice_id, "session_id": session_id, "now": now}
        return bool(self._conn.execute(_LOCK, scope).rowcount)

    def unlock(self, practice_id: UUID, session_id: UUID, now: datetime) -> None:
        scope = {"b_practice_id": practice_id, "session_id": session_id, "now": now}
        self._conn.execute(_UNLOCK, scope)

    def count_unlock_failure(self, practice_id: UUID, session_id: UUID) -> None:
        self._conn.execute(_UNLOCK_FAILED, {"b_practice_id": practice_id, "session_id": session_id})

    def forgive_unlock_failures(self, practice_id: UUID, session_id: UUID) -> None:
        """Back to five tries (a right secret was given); writes nothing when none were used."""
        scope = {"b_practice_id": practice_id, "session_id": session_id}
        self._conn.execute(_FORGIVE_FAILURES, scope)

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
                _LIVE_AMONG, {"practice_id": practice_id, "ids": session_ids}
            )
        ]
        if live:
            self._conn.execute(
                _REVOKE,
                {"b_practice_id": practice_id, "ids": live, "now": now, "reason": reason, "by": by},
            )
        return live

    def count_unused_since(self, practice_id: UUID, before: datetime) -> int:
        """Sessions never revoked whose device has not been seen since ``before``."""
        return int(
            self._conn.execute(
                select(func.count()).where(
                    device_sessions.c.practice_id == practice_id,
                    device_sessions.c.revoked_at.is_(None),
                    device_sessions.c.last_seen_at < before,
                )
            ).scalar_one()
        )

    def live_ids_for_user(self, practice_id: UUID, user_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            _LIVE_IDS_FOR_USER, {"practice_id": practice_id, "user_id": user_id}
        )
        return [r.id for r in rows]


_THROTTLE_GET = select(login_throttle.c.failures, login_throttle.c.window_started_at).where(
    login_throttle.c.key_hash == bindparam("key_hash")
)
_THROTTLE_INSERT = login_throttle.insert()
_THROTTLE_RESTART = (
    update(login_throttle)
    .where(login_throttle.c.key_hash == bindparam("b_key_hash"))
    .values(failures=1, window_started_at=bindparam("now"))
)
_THROTTLE_BUMP = (
    update(login_throttle)
    .where(login_throttle.c.key_hash == bindparam("b_key_hash"))
    .values(failures=login_throttle.c.failures + 1)
)
_THROTTLE_FORGET_OLD = delete(login_throttle).where(
    login_throttle.c.window_started_at < bindparam("cutoff")
)
_THROTTLE_CLEAR = delete(login_throttle).where(login_throttle.c.key_hash == bindparam("key_hash"))


class ThrottleStore:
    """Sign-in failure counters keyed by an HMAC of the account or address (never the value)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def failures(self, key_hash: bytes, now: datetime, window: timedelta) -> int:
        row = self._conn.execute(_THROTTLE_GET, {"key_hash": key_hash}).first()
        if row is None or row.window_started_at <= now - window:
            return 0
        return int(row.failures)

    def record_failure(self, key_hash: bytes, now: datetime, window: timedelta) -> None:
        row = self._conn.execute(_THROTTLE_GET, {"key_hash": key_hash}).first()
        if row is None:
            self._conn.execute(
                _THROTTLE_INSERT, {"key_hash": key_hash, "failures": 1, "window_started_at": now}
            )
        elif row.window_started_at <= now - window:
            self._conn.execute(_THROTTLE_RESTART, {"b_key_hash": key_hash, "now": now})
        else:
            self._conn.execute(_THROTTLE_BUMP, {"b_key_hash": key_hash})

    def forget_older_than(self, cutoff: datetime) -> int:
        return int(self._conn.execute(_THROTTLE_FORGET_OLD, {"cutoff": cutoff}).rowcount)

    def clear(self, key_hash: bytes) -> None:
        self._conn.execute(_THROTTLE_CLEAR, {"key_hash": key_hash})
