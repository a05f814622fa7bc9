"""Practices, their policy and their wrapped keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

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


def practice_from_mapping(m: Mapping[Any, Any]) -> Practice:
    return Practice(
        id=m["id"],
        slug=m["slug"],
        name=m["name"],
        created_at=m["created_at"],
        policy=PracticePolicy(**{name: m[name] for name in _POLICY_FIELDS}),
    )


class PracticeStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

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
        row = self._conn.execute(_ACTIVE_KEY, {"practice_id": practice_id}).one()
        return WrappedKey(row.key_id, row.wrapped_key)

    def key(self, practice_id: UUID, key_id: str) -> WrappedKey:
        row = self._conn.execute(_KEY, {"practice_id": practice_id, "key_id": key_id}).one()
        return WrappedKey(row.key_id, row.wrapped_key)
