"""Push subscriptions (one per device session) and held notification counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from quietline.storage.tables import notification_holds, push_subscriptions


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    session_id: UUID
    practice_id: UUID
    user_id: UUID
    subscription_sealed: bytes


_SUB_COLUMNS = (
    push_subscriptions.c.session_id,
    push_subscriptions.c.practice_id,
    push_subscriptions.c.user_id,
    push_subscriptions.c.subscription_sealed,
)
_SUB_DELETE = delete(push_subscriptions).where(
    push_subscriptions.c.practice_id == bindparam("practice_id"),
    push_subscriptions.c.session_id == bindparam("session_id"),
)
_SUB_DELETE_MANY = delete(push_subscriptions).where(
    push_subscriptions.c.practice_id == bindparam("practice_id"),
    push_subscriptions.c.session_id.in_(bindparam("session_ids", expanding=True)),
)
_SUB_INSERT = push_subscriptions.insert()
_SUB_FOR_USERS = select(*_SUB_COLUMNS).where(
    push_subscriptions.c.practice_id == bindparam("practice_id"),
    push_subscriptions.c.user_id.in_(bindparam("user_ids", expanding=True)),
)
_SUBSCRIBED_USERS = (
    select(push_subscriptions.c.user_id)
    .where(push_subscriptions.c.practice_id == bindparam("practice_id"))
    .distinct()
)
_HOLD_GET = select(notification_holds.c.held).where(
    notification_holds.c.practice_id == bindparam("practice_id"),
    notification_holds.c.user_id == bindparam("user_id"),
)
_HOLD_INSERT = notification_holds.insert()
_HOLD_BUMP = (
    update(notification_holds)
    .where(
        notification_holds.c.practice_id == bindparam("b_practice_id"),
        notification_holds.c.user_id == bindparam("b_user_id"),
    )
    .values(held=notification_holds.c.held + bindparam("n"))
)
_HOLD_DELETE = delete(notification_holds).where(
    notification_holds.c.practice_id == bindparam("practice_id"),
    notification_holds.c.user_id == bindparam("user_id"),
)


class NotificationStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- subscriptions ------------------------------------------------------------
    def replace_subscription(
        self, practice_id: UUID, user_id: UUID, session_id: UUID, sealed: bytes, now: datetime
    ) -> None:
        self._conn.execute(_SUB_DELETE, {"practice_id": practice_id, "session_id": session_id})
        self._conn.execute(
            _SUB_INSERT,
            {
                "session_id": session_id,
                "practice_id": practice_id,
                "user_id": user_id,
                "subscription_sealed": sealed,
                "created_at": now,
            },
        )

    def delete_subscriptions(self, practice_id: UUID, session_ids: list[UUID]) -> int:
        if not session_ids:
            return 0
        params = {"practice_id": practice_id, "session_ids": session_ids}
        return int(self._conn.execute(_SUB_DELETE_MANY, params).rowcount)

    def subscriptions_for(
        self, practice_id: UUID, user_ids: list[UUID]
    ) -> list[StoredSubscription]:
        if not user_ids:
            return []
        rows = self._conn.execute(
            _SUB_FOR_USERS, {"practice_id": practice_id, "user_ids": user_ids}
        )
        return [StoredSubscription(**r._mapping) for r in rows]

    def subscribed_users(self, practice_id: UUID) -> set[UUID]:
        """Who in the practice has at least one device with notifications on."""
        rows = self._conn.execute(_SUBSCRIBED_USERS, {"practice_id": practice_id})
        return {r.user_id for r in rows}

    # -- held while in session --------------------------------------------------------
    def hold(self, practice_id: UUID, user_id: UUID, n: int, now: datetime) -> None:
        scope = {"practice_id": practice_id, "user_id": user_id}
        if self._conn.execute(_HOLD_GET, scope).first() is None:
            self._conn.execute(_HOLD_INSERT, {**scope, "held": n, "first_held_at": now})
        else:
            self._conn.execute(
                _HOLD_BUMP, {"b_practice_id": practice_id, "b_user_id": user_id, "n": n}
            )

    def take_held(self, practice_id: UUID, user_id: UUID) -> int:
        """The held count, removed in the same transaction (sent once)."""
        scope = {"practice_id": practice_id, "user_id": user_id}
        row = self._conn.execute(_HOLD_GET, scope).first()
        if row is None:
            return 0
        self._conn.execute(_HOLD_DELETE, scope)
        return int(row.held)
