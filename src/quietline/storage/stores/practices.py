"""Practices, their policy and their wrapped keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, LargeBinary, bindparam, delete, func, literal, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.schema import Column

from quietline.crypto.keys import WrappedKey
from quietline.domain.models import Practice
from quietline.domain.policy import PracticePolicy
from quietline.storage.tables import practice_keys, practices

_POLICY_FIELDS = (
    "require_second_factor",
    "session_idle_minutes",
    "session_absolute_hours",
    "app_lock_minutes",
    "default_message_ttl_seconds",
    "recall_window_minutes",
    "retention_days",
    "notification_text",
    "supervisor_visibility",
)
_INSERT = practices.insert()
_GET = select(practices).where(practices.c.id == bindparam("practice_id"))
_BY_SLUG = select(practices).where(practices.c.slug == bindparam("slug"))
_ALL = select(practices).order_by(practices.c.created_at)
_UPDATE_POLICY = (
    update(practices)
    .where(practices.c.id == bindparam("practice_id"))
    .values({name: bindparam(f"new_{name}") for name in _POLICY_FIELDS})
)
_QUICK_REPLIES = select(practices.c.quick_replies_sealed).where(
    practices.c.id == bindparam("practice_id")
)
_SET_QUICK_REPLIES = (
    update(practices)
    .where(practices.c.id == bindparam("practice_id"))
    .values(quick_replies_sealed=bindparam("sealed"))
)
_INSERT_KEY = practice_keys.insert()
_KEY_COLUMNS = (practice_keys.c.key_id, practice_keys.c.wrapped_key)
_ACTIVE_KEY = select(*_KEY_COLUMNS).where(
    practice_keys.c.practice_id == bindparam("practice_id"), practice_keys.c.active.is_(True)
)
_KEY = select(*_KEY_COLUMNS).where(
    practice_keys.c.practice_id == bindparam("practice_id"),
    practice_keys.c.key_id == bindparam("key_id"),
)
# In a write transaction a practice key is read under a share lock (PostgreSQL; SQLite runs
# one writer at a time anyway), held until commit: a key rotation's switch to a new key, or
# its deletion of the old one, waits for every transaction still sealing or opening with it.
_ACTIVE_KEY_SHARED = _ACTIVE_KEY.with_for_update(read=True)
_KEY_SHARED = _KEY.with_for_update(read=True)


@dataclass(frozen=True, slots=True)
class StoredPracticeKey:
    practice_id: UUID
    key_id: str
    wrapped: bytes
    active: bool
    created_at: datetime

    @property
    def wrapped_key(self) -> WrappedKey:
        return WrappedKey(self.key_id, self.wrapped)


_STORED_KEY_COLUMNS = (
    practice_keys.c.practice_id,
    practice_keys.c.key_id,
    practice_keys.c.wrapped_key,
    practice_keys.c.active,
    practice_keys.c.created_at,
)


def _stored_key(m: Mapping[Any, Any]) -> StoredPracticeKey:
    return StoredPracticeKey(
        m["practice_id"], m["key_id"], bytes(m["wrapped_key"]), bool(m["active"]), m["created_at"]
    )


def _starts_with(column: ColumnElement[Any], prefix: bytes) -> ColumnElement[bool]:
    """Whether a binary value begins with ``prefix`` (an envelope header: which key sealed
    it). Byte-wise on both SQLite and PostgreSQL; NULL for NULL."""
    return func.substr(column, 1, len(prefix)) == literal(prefix, LargeBinary)


def practice_from_mapping(m: Mapping[Any, Any]) -> Practice:
    return Practice(
        id=m["id"],
        slug=m["slug"],
        name=m["name"],
        created_at=m["created_at"],
        policy=PracticePolicy(**{name: m[name] for name in _POLICY_FIELDS}),
    )


class PracticeStore:
    def __init__(self, conn: Connection, *, lock_keys: bool = False) -> None:
        self._conn = conn
        self._lock_keys = lock_keys

    def insert(
        self, practice_id: UUID, slug: str, name: str, now: datetime, policy: PracticePolicy
    ) -> None:
        values = {name: getattr(policy, name) for name in _POLICY_FIELDS}
        self._conn.execute(
            _INSERT, {"id": practice_id, "slug": slug, "name": name, "created_at": now, **values}
        )

    def get(self, practice_id: UUID) -> Practice | None:
        row = self._conn.execute(_GET, {"practice_id": practice_id}).first()
        return practice_from_mapping(row._mapping) if row else None

    def get_by_slug(self, slug: str) -> Practice | None:
        row = self._conn.execute(_BY_SLUG, {"slug": slug}).first()
        return practice_from_mapping(row._mapping) if row else None

    def list_all(self) -> list[Practice]:
        return [practice_from_mapping(r._mapping) for r in self._conn.execute(_ALL)]

    def update_policy(self, practice_id: UUID, policy: PracticePolicy) -> None:
        values = {f"new_{name}": getattr(policy, name) for name in _POLICY_FIELDS}
        self._conn.execute(_UPDATE_POLICY, {"practice_id": practice_id, **values})

    def quick_replies_sealed(self, practice_id: UUID) -> bytes | None:
        row = self._conn.execute(_QUICK_REPLIES, {"practice_id": practice_id}).first()
        return None if row is None else row.quick_replies_sealed

    def set_quick_replies_sealed(self, practice_id: UUID, sealed: bytes | None) -> None:
        self._conn.execute(_SET_QUICK_REPLIES, {"practice_id": practice_id, "sealed": sealed})

    # -- keys ---------------------------------------------------------------------
    def insert_key(self, practice_id: UUID, key: WrappedKey, now: datetime) -> None:
        self._conn.execute(
            _INSERT_KEY,
            {
                "key_id": key.key_id,
                "practice_id": practice_id,
                "wrapped_key": key.wrapped,
                "created_at": now,
                "active": True,
            },
        )

    def active_key(self, practice_id: UUID) -> WrappedKey:
        params = {"practice_id": practice_id}
        if not self._lock_keys:
            row = self._conn.execute(_ACTIVE_KEY, params).one()
        else:
            found = self._conn.execute(_ACTIVE_KEY_SHARED, params).first()
            # None: PostgreSQL waited for a rotation that replaced the key, and the statement
            # cannot see the new one. The next statement does.
            row = found or self._conn.execute(_ACTIVE_KEY_SHARED, params).one()
        return WrappedKey(row.key_id, row.wrapped_key)

    def key(self, practice_id: UUID, key_id: str) -> WrappedKey:
        statement = _KEY_SHARED if self._lock_keys else _KEY
        row = self._conn.execute(statement, {"practice_id": practice_id, "key_id": key_id}).one()
        return WrappedKey(row.key_id, row.wrapped_key)

    # -- key rotation (operations/keys.py) ------------------------------------------
    def all_keys(self) -> list[StoredPracticeKey]:
        rows = self._conn.execute(select(*_STORED_KEY_COLUMNS).order_by(practice_keys.c.key_id))
        return [_stored_key(r._mapping) for r in rows]

    def keys_of(self, practice_id: UUID) -> list[StoredPracticeKey]:
        rows = self._conn.execute(
            select(*_STORED_KEY_COLUMNS)
            .where(practice_keys.c.practice_id == practice_id)
            .order_by(practice_keys.c.created_at, practice_keys.c.key_id)
        )
        return [_stored_key(r._mapping) for r in rows]

    def keys_not_wrapped_by(self, header: bytes, limit: int) -> list[StoredPracticeKey]:
        """Practice keys whose envelope does not start with ``header`` (another master key)."""
        rows = self._conn.execute(
            select(*_STORED_KEY_COLUMNS)
            .where(~_starts_with(practice_keys.c.wrapped_key, header))
            .order_by(practice_keys.c.key_id)
            .limit(limit)
        )
        return [_stored_key(r._mapping) for r in rows]

    def replace_wrapped_key(self, key_id: str, old: bytes, new: bytes) -> bool:
        """Store ``new`` if the row still holds ``old``; False when someone changed it."""
        result = self._conn.execute(
            update(practice_keys)
            .where(practice_keys.c.key_id == key_id, practice_keys.c.wrapped_key == old)
            .values(wrapped_key=new)
        )
        return result.rowcount == 1

    def switch_active_key(self, practice_id: UUID, new: WrappedKey, now: datetime) -> list[str]:
        """Make ``new`` the practice's only active key; returns the ids of the keys it
        replaced (they stay, inactive, until :meth:`delete_inactive_key`)."""
        replaced = self._conn.execute(
            update(practice_keys)
            .where(practice_keys.c.practice_id == practice_id, practice_keys.c.active.is_(True))
            .values(active=False)
            .returning(practice_keys.c.key_id)
        )
        old_ids = sorted(r.key_id for r in replaced)
        self.insert_key(practice_id, new, now)
        return old_ids

    def practices_with_inactive_keys(self) -> list[UUID]:
        rows = self._conn.execute(
            select(practice_keys.c.practice_id)
            .where(practice_keys.c.active.is_(False))
            .distinct()
            .order_by(practice_keys.c.practice_id)
        )
        return [r.practice_id for r in rows]

    def delete_inactive_key(self, practice_id: UUID, key_id: str) -> bool:
        result = self._conn.execute(
            delete(practice_keys).where(
                practice_keys.c.practice_id == practice_id,
                practice_keys.c.key_id == key_id,
                practice_keys.c.active.is_(False),
            )
        )
        return result.rowcount == 1

    # Values sealed by a practice key live in several tables; key rotation handles them all
    # alike, by column. ``scope`` is the column holding the practice id.
    def sealed_not_under(
        self,
        column: Column[Any],
        scope: Column[Any],
        practice_id: UUID,
        header: bytes,
        *,
        with_columns: Sequence[Column[Any]],
        limit: int,
    ) -> list[Row[Any]]:
        """Rows of the practice whose ``column`` holds a value not sealed under ``header``."""
        primary = list(column.table.primary_key.columns)
        return list(
            self._conn.execute(
                select(*primary, *with_columns, column)
                .where(
                    scope == practice_id,
                    column.is_not(None),
                    ~_starts_with(column, header),
                )
                .order_by(*primary)
                .limit(limit)
            )
        )

    def count_sealed(
        self, column: Column[Any], scope: Column[Any], practice_id: UUID, header: bytes
    ) -> int:
        """How many of the practice's values in ``column`` are sealed under ``header``."""
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(column.table)
                .where(scope == practice_id, _starts_with(column, header))
            ).scalar_one()
        )

    def count_sealed_not_under(
        self, column: Column[Any], scope: Column[Any], practice_id: UUID, header: bytes
    ) -> int:
        return int(
            self._conn.execute(
                select(func.count())
                .select_from(column.table)
                .where(scope == practice_id, column.is_not(None), ~_starts_with(column, header))
            ).scalar_one()
        )

    def replace_sealed(
        self, column: Column[Any], primary: Mapping[str, Any], old: bytes, new: bytes
    ) -> bool:
        """Store ``new`` in the row named by ``primary`` if it still holds ``old``."""
        table = column.table
        result = self._conn.execute(
            update(table)
            .where(*(table.c[name] == value for name, value in primary.items()), column == old)
            .values({column.name: new})
        )
        return result.rowcount == 1
