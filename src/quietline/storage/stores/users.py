from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import User
from quietline.domain.roles import Role
from quietline.storage.tables import recovery_codes, users

_INSERT = users.insert()
_GET = select(users).where(
    users.c.practice_id == bindparam("practice_id"), users.c.id == bindparam("user_id")
)
_BY_EMAIL = select(users).where(
    users.c.practice_id == bindparam("practice_id"), users.c.email == bindparam("email")
)


def user_from_mapping(m: Mapping[Any, Any]) -> User:
    return User(
        id=m["id"],
        practice_id=m["practice_id"],
        email=m["email"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        password_hash=m["password_hash"],
        password_changed_at=m["password_changed_at"],
        totp_secret_sealed=m["totp_secret_sealed"],
        totp_pending_sealed=m["totp_pending_sealed"],
        totp_enabled_at=m["totp_enabled_at"],
        totp_last_step=m["totp_last_step"],
        is_active=m["is_active"],
        deactivated_at=m["deactivated_at"],
        created_at=m["created_at"],
        pin_hash=m["pin_hash"],
    )


class UserStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(
        self,
        *,
        user_id: UUID,
        practice_id: UUID,
        email: str,
        display_name: str,
        role: Role,
        password_hash: str,
        now: datetime,
    ) -> None:
        self._conn.execute(
            _INSERT,
            {
                "id": user_id,
                "practice_id": practice_id,
                "email": email,
                "display_name": display_name,
                "role": role.value,
                "password_hash": password_hash,
                "password_changed_at": now,
                "is_active": True,
                "created_at": now,
            },
        )

    def get(self, practice_id: UUID, user_id: UUID) -> User | None:
        row = self._conn.execute(_GET, {"practice_id": practice_id, "user_id": user_id}).first()
        return user_from_mapping(row._mapping) if row else None

    def get_by_email(self, practice_id: UUID, email: str) -> User | None:
        row = self._conn.execute(_BY_EMAIL, {"practice_id": practice_id, "email": email}).first()
        return user_from_mapping(row._mapping) if row else None

    def list_for_practice(self, practice_id: UUID) -> list[User]:
        rows = self._conn.execute(
            select(users).where(users.c.practice_id == practice_id).order_by(users.c.display_name)
        )
        return [user_from_mapping(r._mapping) for r in rows]

    def active_ids(self, practice_id: UUID, user_ids: set[UUID]) -> set[UUID]:
        if not user_ids:
            return set()
        rows = self._conn.execute(
            select(users.c.id).where(
                users.c.practice_id == practice_id,
                users.c.id.in_(user_ids),
                users.c.is_active.is_(True),
            )
        )
        return {r.id for r in rows}

    def update(self, practice_id: UUID, user_id: UUID, **values: Any) -> None:
        if "role" in values and isinstance(values["role"], Role):
            values["role"] = values["role"].value
        self._conn.execute(
            update(users)
            .where(users.c.practice_id == practice_id, users.c.id == user_id)
            .values(**values)
        )

    def count_role(self, practice_id: UUID, role: Role) -> int:
        rows = self._conn.execute(
            select(users.c.id).where(
                users.c.practice_id == practice_id,
                users.c.role == role.value,
                users.c.is_active.is_(True),
            )
        )
        return len(rows.all())

    # -- recovery codes -----------------------------------------------------------
    def replace_recovery_codes(
        self, practice_id: UUID, user_id: UUID, rows: list[tuple[UUID, bytes]]
    ) -> None:
        self._conn.execute(
            delete(recovery_codes).where(
                recovery_codes.c.practice_id == practice_id, recovery_codes.c.user_id == user_id
            )
        )
        if rows:
            self._conn.execute(
                recovery_codes.insert(),
                [
                    {"id": rid, "practice_id": practice_id, "user_id": user_id, "code_hash": h}
                    for rid, h in rows
                ],
            )

    def use_recovery_code(
        self, practice_id: UUID, user_id: UUID, code_hash: bytes, now: datetime
    ) -> bool:
        """Mark the code used; False when no unused code matches."""
        result = self._conn.execute(
            update(recovery_codes)
            .where(
                recovery_codes.c.practice_id == practice_id,
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == code_hash,
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return result.rowcount == 1
