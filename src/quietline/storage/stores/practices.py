from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
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
)


def _practice(row: Any) -> Practice:
    m = row._mapping
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
            practices.insert().values(
                id=practice_id, slug=slug, name=name, created_at=now, **values
            )
        )

    def get(self, practice_id: UUID) -> Practice | None:
        row = self._conn.execute(select(practices).where(practices.c.id == practice_id)).first()
        return _practice(row) if row else None

    def get_by_slug(self, slug: str) -> Practice | None:
        row = self._conn.execute(select(practices).where(practices.c.slug == slug)).first()
        return _practice(row) if row else None

    def list_all(self) -> list[Practice]:
        rows = self._conn.execute(select(practices).order_by(practices.c.created_at))
        return [_practice(r) for r in rows]

    def update_policy(self, practice_id: UUID, policy: PracticePolicy) -> None:
        values = {name: getattr(policy, name) for name in _POLICY_FIELDS}
        self._conn.execute(update(practices).where(practices.c.id == practice_id).values(**values))

    # -- keys ---------------------------------------------------------------------
    def insert_key(self, practice_id: UUID, key: WrappedKey, now: datetime) -> None:
        self._conn.execute(
            practice_keys.insert().values(
                key_id=key.key_id,
                practice_id=practice_id,
                wrapped_key=key.wrapped,
                created_at=now,
                active=True,
            )
        )

    def active_key(self, practice_id: UUID) -> WrappedKey:
        row = self._conn.execute(
            select(practice_keys.c.key_id, practice_keys.c.wrapped_key).where(
                practice_keys.c.practice_id == practice_id, practice_keys.c.active.is_(True)
            )
        ).one()
        return WrappedKey(row.key_id, row.wrapped_key)

    def key(self, practice_id: UUID, key_id: str) -> WrappedKey:
        row = self._conn.execute(
            select(practice_keys.c.key_id, practice_keys.c.wrapped_key).where(
                practice_keys.c.practice_id == practice_id, practice_keys.c.key_id == key_id
            )
        ).one()
        return WrappedKey(row.key_id, row.wrapped_key)
