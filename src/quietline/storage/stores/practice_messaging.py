"""How a practice talks to clients: its SMS number, e-mail sender, time zone and the
:class:`~quietline.domain.client_policy.ClientMessagingPolicy` (one row per practice in
``practice_messaging``; no row means every default).

The SMS number is stored sealed (``sms_number_sealed``, opened by the action that holds the
practice key) and as a keyed hash (``sms_number_lookup``) so an inbound SMS finds its practice
with one index probe. Every query filters on ``practice_id`` except
:meth:`PracticeMessagingStore.practice_for_sms_number`: like a token, the number is what
names the practice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from quietline.domain.client_policy import DEFAULT_TIMEZONE, ClientMessagingPolicy
from quietline.storage.tables import messages, practice_messaging


@dataclass(frozen=True, slots=True)
class PracticeMessaging:
    """The stored row (or the defaults when there is none)."""

    practice_id: UUID
    sms_number_sealed: bytes | None
    sms_number_lookup: bytes | None
    email_from: str | None
    timezone: str
    policy: ClientMessagingPolicy
    updated_at: datetime | None


_COLUMNS = (
    practice_messaging.c.practice_id,
    practice_messaging.c.sms_number_sealed,
    practice_messaging.c.sms_number_lookup,
    practice_messaging.c.email_from,
    practice_messaging.c.timezone,
    practice_messaging.c.settings,
    practice_messaging.c.updated_at,
)
_GET = select(*_COLUMNS).where(practice_messaging.c.practice_id == bindparam("practice_id"))
_BY_LOOKUP = select(practice_messaging.c.practice_id).where(
    practice_messaging.c.sms_number_lookup == bindparam("lookup")
)
_INSERT = insert(practice_messaging)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_UPDATE_SETTINGS = (
    update(practice_messaging)
    .where(practice_messaging.c.practice_id == bindparam("b_practice_id"))
    .values(
        settings=bindparam("b_settings"),
        timezone=bindparam("b_timezone"),
        updated_at=bindparam("b_now"),
    )
)
_UPDATE_SMS_NUMBER = (
    update(practice_messaging)
    .where(practice_messaging.c.practice_id == bindparam("b_practice_id"))
    .values(
        sms_number_sealed=bindparam("b_sealed"),
        sms_number_lookup=bindparam("b_lookup"),
        updated_at=bindparam("b_now"),
    )
)
_UPDATE_EMAIL_FROM = (
    update(practice_messaging)
    .where(practice_messaging.c.practice_id == bindparam("b_practice_id"))
    .values(email_from=bindparam("b_email_from"), updated_at=bindparam("b_now"))
)


_AUTO_REPLY_SINCE = (
    select(messages.c.id)
    .where(
        messages.c.practice_id == bindparam("practice_id"),
        messages.c.conversation_id == bindparam("conversation_id"),
        messages.c.channel == "auto",
        messages.c.created_at > bindparam("since"),
        messages.c.idempotency_key.startswith(bindparam("prefix")),
    )
    .limit(1)
)


def _row(m: Mapping[Any, Any]) -> PracticeMessaging:
    settings = dict(m["settings"] or {})
    timezone = str(m["timezone"] or DEFAULT_TIMEZONE)
    # The column is authoritative for the time zone (it is what the row was written with).
    policy = replace(ClientMessagingPolicy.from_json(settings), timezone=timezone)
    return PracticeMessaging(
        practice_id=m["practice_id"],
        sms_number_sealed=m["sms_number_sealed"],
        sms_number_lookup=m["sms_number_lookup"],
        email_from=m["email_from"],
        timezone=timezone,
        policy=policy,
        updated_at=m["updated_at"],
    )


class PracticeMessagingStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- reads ------------------------------------------------------------------------
    def get(self, practice_id: UUID) -> PracticeMessaging:
        """The practice's row, or the defaults (nothing configured) when there is none."""
        m = self._conn.execute(_GET, {"practice_id": practice_id}).mappings().first()
        if m is None:
            return PracticeMessaging(
                practice_id=practice_id,
                sms_number_sealed=None,
                sms_number_lookup=None,
                email_from=None,
                timezone=DEFAULT_TIMEZONE,
                policy=ClientMessagingPolicy(),
                updated_at=None,
            )
        return _row(m)

    def policy(self, practice_id: UUID) -> ClientMessagingPolicy:
        """The practice's client-messaging policy (the defaults when it never set one)."""
        return self.get(practice_id).policy

    def practice_for_sms_number(self, lookup: bytes) -> UUID | None:
        """The practice whose SMS number has this keyed hash, if any (an inbound SMS is
        addressed to a number; the number names the practice)."""
        found: UUID | None = self._conn.execute(_BY_LOOKUP, {"lookup": lookup}).scalar_one_or_none()
        return found

    # -- writes -----------------------------------------------------------------------
    def _ensure_row(self, practice_id: UUID, now: datetime) -> None:
        """Insert the default row when there is none. Callers are admins changing settings;
        the row is created once, so a check-then-insert inside the transaction suffices (a
        concurrent first write fails on the primary key and is retried by the caller)."""
        exists = self._conn.execute(_GET, {"practice_id": practice_id}).first()
        if exists is not None:
            return
        defaults = ClientMessagingPolicy()
        self._conn.execute(
            _INSERT,
            {
                "practice_id": practice_id,
                "sms_number_sealed": None,
                "sms_number_lookup": None,
                "email_from": None,
                "timezone": defaults.timezone,
                "settings": defaults.to_json(),
                "updated_at": now,
            },
        )

    def save_policy(
        self, practice_id: UUID, policy: ClientMessagingPolicy, *, now: datetime
    ) -> None:
        """Store the whole policy (validated by the caller); its time zone goes to the
        ``timezone`` column as well."""
        self._ensure_row(practice_id, now)
        self._conn.execute(
            _UPDATE_SETTINGS,
            {
                "b_practice_id": practice_id,
                "b_settings": policy.to_json(),
                "b_timezone": policy.timezone,
                "b_now": now,
            },
        )

    def set_sms_number(
        self,
        practice_id: UUID,
        *,
        sealed: bytes | None,
        lookup: bytes | None,
        now: datetime,
    ) -> None:
        """Set (or clear, with ``None``) the practice's SMS number: sealed by the caller with
        ``seal_record_field(..., "practice_messaging", "sms_number_sealed", practice_id, e164)``
        and its ``keyed_hash(lookup_key, e164)``. The lookup is unique across practices: a
        number already taken raises ``IntegrityError`` (the caller checks first)."""
        self._ensure_row(practice_id, now)
        self._conn.execute(
            _UPDATE_SMS_NUMBER,
            {"b_practice_id": practice_id, "b_sealed": sealed, "b_lookup": lookup, "b_now": now},
        )

    def set_email_from(self, practice_id: UUID, email_from: str | None, *, now: datetime) -> None:
        """The sender address of the practice's e-mail to clients (not personal data: the
        practice's own address)."""
        self._ensure_row(practice_id, now)
        self._conn.execute(
            _UPDATE_EMAIL_FROM,
            {"b_practice_id": practice_id, "b_email_from": email_from, "b_now": now},
        )

    # -- automatic replies -------------------------------------------------------------
    def auto_reply_since(
        self, practice_id: UUID, conversation_id: UUID, key_prefix: str, since: datetime
    ) -> bool:
        """Whether the client thread holds an automatic reply (channel ``auto``) whose
        idempotency key starts with ``key_prefix`` (which names its purpose), written after
        ``since``. Reads ``messages``: the thread is where every automatic reply is
        recorded, also those that reached the client on the secure page only."""
        if any(c in key_prefix for c in "%_\\"):
            raise ValueError("the prefix must hold no LIKE wildcard")
        found = self._conn.execute(
            _AUTO_REPLY_SINCE,
            {
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "since": since,
                "prefix": key_prefix,
            },
        ).first()
        return found is not None
