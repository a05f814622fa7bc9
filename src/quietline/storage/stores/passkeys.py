"""Passkeys (WebAuthn credentials) and their one-time challenges."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import Passkey
from quietline.storage.tables import passkeys, webauthn_challenges

_COLUMNS = tuple(passkeys.c)
_FOR_USER = (
    select(*_COLUMNS)
    .where(
        passkeys.c.practice_id == bindparam("practice_id"),
        passkeys.c.user_id == bindparam("user_id"),
    )
    .order_by(passkeys.c.created_at)
)
_COUNT_FOR_USER = select(func.count()).where(
    passkeys.c.practice_id == bindparam("practice_id"),
    passkeys.c.user_id == bindparam("user_id"),
)
_USERS_WITH_PASSKEYS = (
    select(passkeys.c.user_id).where(passkeys.c.practice_id == bindparam("practice_id")).distinct()
)
_BY_CREDENTIAL = select(*_COLUMNS).where(
    passkeys.c.practice_id == bindparam("practice_id"),
    passkeys.c.user_id == bindparam("user_id"),
    passkeys.c.credential_id == bindparam("credential_id"),
)
_INSERT = passkeys.insert()
_USED = (
    update(passkeys)
    .where(passkeys.c.practice_id == bindparam("b_practice_id"), passkeys.c.id == bindparam("b_id"))
    .values(sign_count=bindparam("b_sign_count"), last_used_at=bindparam("now"))
)
_DELETE = delete(passkeys).where(
    passkeys.c.practice_id == bindparam("practice_id"),
    passkeys.c.user_id == bindparam("user_id"),
    passkeys.c.id == bindparam("passkey_id"),
)
_CHALLENGE_INSERT = webauthn_challenges.insert()
_CHALLENGE_TAKE = delete(webauthn_challenges).where(
    webauthn_challenges.c.practice_id == bindparam("practice_id"),
    webauthn_challenges.c.user_id == bindparam("user_id"),
    webauthn_challenges.c.purpose == bindparam("purpose"),
    webauthn_challenges.c.challenge == bindparam("challenge"),
    webauthn_challenges.c.expires_at > bindparam("now"),
)
_CHALLENGE_FORGET = delete(webauthn_challenges).where(
    webauthn_challenges.c.expires_at <= bindparam("now")
)


class PasskeyStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def for_user(self, practice_id: UUID, user_id: UUID) -> list[Passkey]:
        rows = self._conn.execute(_FOR_USER, {"practice_id": practice_id, "user_id": user_id})
        return [Passkey(**r._mapping) for r in rows]

    def users_with_passkeys(self, practice_id: UUID) -> set[UUID]:
        rows = self._conn.execute(_USERS_WITH_PASSKEYS, {"practice_id": practice_id})
        return {r.user_id for r in rows}

    def count_for_user(self, practice_id: UUID, user_id: UUID) -> int:
        params = {"practice_id": practice_id, "user_id": user_id}
        return int(self._conn.execute(_COUNT_FOR_USER, params).scalar_one())

    def by_credential(
        self, practice_id: UUID, user_id: UUID, credential_id: bytes
    ) -> Passkey | None:
        row = self._conn.execute(
            _BY_CREDENTIAL,
            {"practice_id": practice_id, "user_id": user_id, "credential_id": credential_id},
        ).first()
        return None if row is None else Passkey(**row._mapping)

    def insert(self, passkey: Passkey) -> None:
        self._conn.execute(
            _INSERT,
            {
                "id": passkey.id,
                "practice_id": passkey.practice_id,
                "user_id": passkey.user_id,
                "credential_id": passkey.credential_id,
                "public_key": passkey.public_key,
                "sign_count": passkey.sign_count,
                "name": passkey.name,
                "created_at": passkey.created_at,
                "last_used_at": passkey.last_used_at,
            },
        )

    def record_use(
        self, practice_id: UUID, passkey_id: UUID, sign_count: int, now: datetime
    ) -> None:
        self._conn.execute(
            _USED,
            {
                "b_practice_id": practice_id,
                "b_id": passkey_id,
                "b_sign_count": sign_count,
                "now": now,
            },
        )

    def delete(self, practice_id: UUID, user_id: UUID, passkey_id: UUID) -> bool:
        params = {"practice_id": practice_id, "user_id": user_id, "passkey_id": passkey_id}
        return bool(self._conn.execute(_DELETE, params).rowcount)

    # -- challenges -------------------------------------------------------------------
    def add_challenge(
        self, practice_id: UUID, user_id: UUID, purpose: str, challenge: bytes, expires_at: datetime
    ) -> None:
        self._conn.execute(
            _CHALLENGE_INSERT,
            {
                "challenge": challenge,
                "practice_id": practice_id,
                "user_id": user_id,
                "purpose": purpose,
                "expires_at": expires_at,
            },
        )

    def take_challenge(
        self, practice_id: UUID, user_id: UUID, purpose: str, challenge: bytes, now: datetime
    ) -> bool:
        """Use a challenge once: True if it was issued for this and has not expired."""
        params = {
            "practice_id": practice_id,
            "user_id": user_id,
            "purpose": purpose,
            "challenge": challenge,
            "now": now,
        }
        return bool(self._conn.execute(_CHALLENGE_TAKE, params).rowcount)

    def forget_expired_challenges(self, now: datetime) -> int:
        return int(self._conn.execute(_CHALLENGE_FORGET, {"now": now}).rowcount)
