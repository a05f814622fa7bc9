"""Secure-page links, one-time codes and client sessions, and the few queries across other
table families the secure client page needs: the messages of a client's thread that the
client may read (internal notes left out in SQL), their upcoming appointments, and their
"seen" cursor on ``clients`` (``page_seen_seq``, ``page_seen_at``).

Every query filters on ``practice_id`` except :meth:`ClientAccessStore.link_by_token_hash`
and :meth:`ClientAccessStore.session_by_token_hash`: like a staff session token, a link or
client-session token is what names its practice. Only SHA-256 hashes of tokens and keyed
hashes of codes are stored; nothing readable about a client is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import Appointment, StoredMessage
from quietline.storage.tables import (
    appointments,
    client_codes,
    client_links,
    client_sessions,
    clients,
    messages,
)

LinkState = Literal["live", "expired", "revoked"]
UPCOMING_LIMIT = 10


@dataclass(frozen=True, slots=True)
class StoredLink:
    id: UUID
    practice_id: UUID
    client_id: UUID
    created_by: UUID | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    code_failures: int

    def state(self, now: datetime) -> LinkState:
        """Revoked is final; otherwise the link works until it expires."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "live"


@dataclass(frozen=True, slots=True)
class StoredCode:
    id: UUID
    practice_id: UUID
    link_id: UUID
    code_hash: bytes
    channel: str  # 'sms' | 'email'
    created_at: datetime
    expires_at: datetime
    failures: int
    used_at: datetime | None

    def __repr__(self) -> str:  # never print the code's hash
        return f"StoredCode(id={self.id}, failures={self.failures})"


@dataclass(frozen=True, slots=True)
class StoredClientSession:
    id: UUID
    practice_id: UUID
    client_id: UUID
    link_id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the absolute limit
    ended_at: datetime | None


_LINK_COLUMNS = (
    client_links.c.id,
    client_links.c.practice_id,
    client_links.c.client_id,
    client_links.c.created_by,
    client_links.c.created_at,
    client_links.c.expires_at,
    client_links.c.revoked_at,
    client_links.c.code_failures,
)
_CODE_COLUMNS = (
    client_codes.c.id,
    client_codes.c.practice_id,
    client_codes.c.link_id,
    client_codes.c.code_hash,
    client_codes.c.channel,
    client_codes.c.created_at,
    client_codes.c.expires_at,
    client_codes.c.failures,
    client_codes.c.used_at,
)
_SESSION_COLUMNS = (
    client_sessions.c.id,
    client_sessions.c.practice_id,
    client_sessions.c.client_id,
    client_sessions.c.link_id,
    client_sessions.c.created_at,
    client_sessions.c.last_seen_at,
    client_sessions.c.expires_at,
    client_sessions.c.ended_at,
)

# -- links --------------------------------------------------------------------------------
_LINK_INSERT = client_links.insert()
_LINK_BY_TOKEN = select(*_LINK_COLUMNS).where(client_links.c.token_hash == bindparam("token_hash"))
_LINK_GET = select(*_LINK_COLUMNS).where(
    client_links.c.practice_id == bindparam("practice_id"),
    client_links.c.id == bindparam("link_id"),
)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_LINK_REVOKE = (
    update(client_links)
    .where(
        client_links.c.practice_id == bindparam("b_practice_id"),
        client_links.c.id == bindparam("b_link_id"),
        client_links.c.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("b_now"))
)
_LINKS_REVOKE_FOR_CLIENT = (
    update(client_links)
    .where(
        client_links.c.practice_id == bindparam("b_practice_id"),
        client_links.c.client_id == bindparam("b_client_id"),
        client_links.c.revoked_at.is_(None),
        client_links.c.expires_at > bindparam("b_now"),
    )
    .values(revoked_at=bindparam("b_now"))
)
_LINK_ADD_FAILURE = (
    update(client_links)
    .where(
        client_links.c.practice_id == bindparam("b_practice_id"),
        client_links.c.id == bindparam("b_link_id"),
    )
    .values(code_failures=client_links.c.code_failures + 1)
    .returning(client_links.c.code_failures)
)

# -- codes --------------------------------------------------------------------------------
_CODE_INSERT = client_codes.insert()
_CODES_SINCE = select(func.count()).where(
    client_codes.c.practice_id == bindparam("practice_id"),
    client_codes.c.link_id == bindparam("link_id"),
    client_codes.c.created_at > bindparam("since"),
)
# At most one code of a link is live: issuing a new one ends the others (see insert_code).
_LIVE_CODE = (
    select(*_CODE_COLUMNS)
    .where(
        client_codes.c.practice_id == bindparam("practice_id"),
        client_codes.c.link_id == bindparam("link_id"),
        client_codes.c.used_at.is_(None),
        client_codes.c.expires_at > bindparam("now"),
    )
    .order_by(client_codes.c.created_at.desc())
    .limit(1)
)
_CODES_SUPERSEDE = (
    update(client_codes)
    .where(
        client_codes.c.practice_id == bindparam("b_practice_id"),
        client_codes.c.link_id == bindparam("b_link_id"),
        client_codes.c.used_at.is_(None),
        client_codes.c.expires_at > bindparam("b_now"),
    )
    .values(expires_at=bindparam("b_now"))
)
_CODE_ADD_FAILURE = (
    update(client_codes)
    .where(
        client_codes.c.practice_id == bindparam("b_practice_id"),
        client_codes.c.id == bindparam("b_code_id"),
    )
    .values(failures=client_codes.c.failures + 1)
    .returning(client_codes.c.failures)
)
_CODE_USE = (
    update(client_codes)
    .where(
        client_codes.c.practice_id == bindparam("b_practice_id"),
        client_codes.c.id == bindparam("b_code_id"),
        client_codes.c.used_at.is_(None),
    )
    .values(used_at=bindparam("b_now"))
)

# -- sessions -------------------------------------------------------------------------------
_SESSION_INSERT = client_sessions.insert()
_SESSION_BY_TOKEN = select(*_SESSION_COLUMNS).where(
    client_sessions.c.token_hash == bindparam("token_hash")
)
_SESSION_TOUCH = (
    update(client_sessions)
    .where(
        client_sessions.c.practice_id == bindparam("b_practice_id"),
        client_sessions.c.id == bindparam("b_session_id"),
        client_sessions.c.ended_at.is_(None),
    )
    .values(last_seen_at=bindparam("b_now"))
)
_SESSION_END = (
    update(client_sessions)
    .where(
        client_sessions.c.practice_id == bindparam("b_practice_id"),
        client_sessions.c.id == bindparam("b_session_id"),
        client_sessions.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("b_now"))
)
_SESSIONS_END_FOR_LINK = (
    update(client_sessions)
    .where(
        client_sessions.c.practice_id == bindparam("b_practice_id"),
        client_sessions.c.link_id == bindparam("b_link_id"),
        client_sessions.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("b_now"))
)
_SESSIONS_END_FOR_CLIENT = (
    update(client_sessions)
    .where(
        client_sessions.c.practice_id == bindparam("b_practice_id"),
        client_sessions.c.client_id == bindparam("b_client_id"),
        client_sessions.c.ended_at.is_(None),
    )
    .values(ended_at=bindparam("b_now"))
)

# -- the client, their thread, their appointments ---------------------------------------------
_SEEN_GET = select(clients.c.page_seen_seq, clients.c.page_seen_at).where(
    clients.c.practice_id == bindparam("practice_id"),
    clients.c.id == bindparam("client_id"),
)
# Cursors only move forward.
_SEEN_SET = (
    update(clients)
    .where(
        clients.c.practice_id == bindparam("b_practice_id"),
        clients.c.id == bindparam("b_client_id"),
        clients.c.page_seen_seq < bindparam("b_seq"),
    )
    .values(page_seen_seq=bindparam("b_seq"), page_seen_at=bindparam("b_now"))
)
# What the client may read: not an internal note, not recalled, not expired at this
# instant, not past the practice's retention.
_CLIENT_READABLE = select(messages).where(
    messages.c.practice_id == bindparam("practice_id"),
    messages.c.conversation_id == bindparam("conversation_id"),
    messages.c.internal.is_(False),
    messages.c.recalled_at.is_(None),
    or_(messages.c.expires_at.is_(None), messages.c.expires_at > bindparam("now")),
    messages.c.created_at >= bindparam("not_before"),
)
_CLIENT_LATEST = _CLIENT_READABLE.order_by(messages.c.seq.desc()).limit(bindparam("n"))
_CLIENT_AFTER = (
    _CLIENT_READABLE.where(messages.c.seq > bindparam("seq"))
    .order_by(messages.c.seq)
    .limit(bindparam("n"))
)
_UPCOMING = (
    select(appointments)
    .where(
        appointments.c.practice_id == bindparam("practice_id"),
        appointments.c.client_id == bindparam("client_id"),
        appointments.c.starts_at >= bindparam("since"),
        appointments.c.status != "cancelled",
    )
    .order_by(appointments.c.starts_at, appointments.c.id)
    .limit(UPCOMING_LIMIT)
)


def _link(m: Mapping[Any, Any]) -> StoredLink:
    return StoredLink(**{c.name: m[c.name] for c in _LINK_COLUMNS})


def _code(m: Mapping[Any, Any]) -> StoredCode:
    return StoredCode(**{c.name: m[c.name] for c in _CODE_COLUMNS})


def _session(m: Mapping[Any, Any]) -> StoredClientSession:
    return StoredClientSession(**{c.name: m[c.name] for c in _SESSION_COLUMNS})


class ClientAccessStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- links ------------------------------------------------------------------------
    def insert_link(
        self,
        *,
        link_id: UUID,
        practice_id: UUID,
        client_id: UUID,
        token_hash: bytes,
        created_by: UUID | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._conn.execute(
            _LINK_INSERT,
            {
                "id": link_id,
                "practice_id": practice_id,
                "client_id": client_id,
                "token_hash": token_hash,
                "created_by": created_by,
                "created_at": now,
                "expires_at": expires_at,
                "revoked_at": None,
                "code_failures": 0,
            },
        )

    def link_by_token_hash(self, token_hash: bytes) -> StoredLink | None:
        """The link a token names, in whatever practice (the token names it)."""
        row = self._conn.execute(_LINK_BY_TOKEN, {"token_hash": token_hash}).first()
        return _link(row._mapping) if row else None

    def link(self, practice_id: UUID, link_id: UUID) -> StoredLink | None:
        row = self._conn.execute(
            _LINK_GET, {"practice_id": practice_id, "link_id": link_id}
        ).first()
        return _link(row._mapping) if row else None

    def revoke_link(self, practice_id: UUID, link_id: UUID, now: datetime) -> bool:
        """Revoke a link that was not revoked yet; False otherwise."""
        result = self._conn.execute(
            _LINK_REVOKE, {"b_practice_id": practice_id, "b_link_id": link_id, "b_now": now}
        )
        return result.rowcount == 1

    def revoke_links_of_client(self, practice_id: UUID, client_id: UUID, now: datetime) -> int:
        """Revoke every live link of a client; the number revoked."""
        result = self._conn.execute(
            _LINKS_REVOKE_FOR_CLIENT,
            {"b_practice_id": practice_id, "b_client_id": client_id, "b_now": now},
        )
        return int(result.rowcount)

    def add_link_failure(self, practice_id: UUID, link_id: UUID) -> int:
        """Count one more wrong code on the link; the new total."""
        total = self._conn.execute(
            _LINK_ADD_FAILURE, {"b_practice_id": practice_id, "b_link_id": link_id}
        ).scalar_one()
        return int(total)

    # -- codes --------------------------------------------------------------------------
    def codes_since(self, practice_id: UUID, link_id: UUID, since: datetime) -> int:
        """How many codes were issued for the link after ``since``."""
        count = self._conn.execute(
            _CODES_SINCE, {"practice_id": practice_id, "link_id": link_id, "since": since}
        ).scalar_one()
        return int(count)

    def insert_code(
        self,
        *,
        code_id: UUID,
        practice_id: UUID,
        link_id: UUID,
        code_hash: bytes,
        channel: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new code for the link; any code of the link still live ends now (only the
        newest code works)."""
        self._conn.execute(
            _CODES_SUPERSEDE, {"b_practice_id": practice_id, "b_link_id": link_id, "b_now": now}
        )
        self._conn.execute(
            _CODE_INSERT,
            {
                "id": code_id,
                "practice_id": practice_id,
                "link_id": link_id,
                "code_hash": code_hash,
                "channel": channel,
                "created_at": now,
                "expires_at": expires_at,
                "failures": 0,
                "used_at": None,
            },
        )

    def live_code(self, practice_id: UUID, link_id: UUID, now: datetime) -> StoredCode | None:
        """The link's code that is neither used nor expired (there is at most one)."""
        row = self._conn.execute(
            _LIVE_CODE, {"practice_id": practice_id, "link_id": link_id, "now": now}
        ).first()
        return _code(row._mapping) if row else None

    def add_code_failure(self, practice_id: UUID, code_id: UUID) -> int:
        """Count one more wrong guess of this code; the new total."""
        total = self._conn.execute(
            _CODE_ADD_FAILURE, {"b_practice_id": practice_id, "b_code_id": code_id}
        ).scalar_one()
        return int(total)

    def use_code(self, practice_id: UUID, code_id: UUID, now: datetime) -> bool:
        """Use up a code; False when it was used already."""
        result = self._conn.execute(
            _CODE_USE, {"b_practice_id": practice_id, "b_code_id": code_id, "b_now": now}
        )
        return result.rowcount == 1

    # -- sessions -----------------------------------------------------------------------
    def insert_session(
        self,
        *,
        session_id: UUID,
        practice_id: UUID,
        client_id: UUID,
        link_id: UUID,
        token_hash: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._conn.execute(
            _SESSION_INSERT,
            {
                "id": session_id,
                "practice_id": practice_id,
                "client_id": client_id,
                "link_id": link_id,
                "token_hash": token_hash,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": expires_at,
                "ended_at": None,
            },
        )

    def session_by_token_hash(self, token_hash: bytes) -> StoredClientSession | None:
        """The client session a cookie names, in whatever practice (the token names it)."""
        row = self._conn.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash}).first()
        return _session(row._mapping) if row else None

    def touch_session(self, practice_id: UUID, session_id: UUID, now: datetime) -> None:
        """The client did something: the idle limit counts from now."""
        self._conn.execute(
            _SESSION_TOUCH,
            {"b_practice_id": practice_id, "b_session_id": session_id, "b_now": now},
        )

    def end_session(self, practice_id: UUID, session_id: UUID, now: datetime) -> bool:
        """End a session that had not ended; False otherwise."""
        result = self._conn.execute(
            _SESSION_END,
            {"b_practice_id": practice_id, "b_session_id": session_id, "b_now": now},
        )
        return result.rowcount == 1

    def end_sessions_of_link(self, practice_id: UUID, link_id: UUID, now: datetime) -> int:
        result = self._conn.execute(
            _SESSIONS_END_FOR_LINK,
            {"b_practice_id": practice_id, "b_link_id": link_id, "b_now": now},
        )
        return int(result.rowcount)

    def end_sessions_of_client(self, practice_id: UUID, client_id: UUID, now: datetime) -> int:
        result = self._conn.execute(
            _SESSIONS_END_FOR_CLIENT,
            {"b_practice_id": practice_id, "b_client_id": client_id, "b_now": now},
        )
        return int(result.rowcount)

    # -- the client, their thread, their appointments -----------------------------------
    def page_seen(self, practice_id: UUID, client_id: UUID) -> tuple[int, datetime | None] | None:
        """How far the client has read their thread on the secure page, and when."""
        row = self._conn.execute(
            _SEEN_GET, {"practice_id": practice_id, "client_id": client_id}
        ).first()
        return (int(row.page_seen_seq), row.page_seen_at) if row else None

    def set_page_seen(self, practice_id: UUID, client_id: UUID, seq: int, now: datetime) -> bool:
        """Move the client's seen cursor forward to ``seq``; False when it was there already."""
        result = self._conn.execute(
            _SEEN_SET,
            {"b_practice_id": practice_id, "b_client_id": client_id, "b_seq": seq, "b_now": now},
        )
        return result.rowcount == 1

    def client_messages(
        self,
        practice_id: UUID,
        conversation_id: UUID,
        now: datetime,
        *,
        not_before: datetime,
        after_seq: int | None,
        limit: int,
    ) -> list[StoredMessage]:
        """The messages of a client thread the client may read (never an internal note),
        oldest first: the newest ``limit``, or the first ``limit`` after ``after_seq``."""
        params = {
            "practice_id": practice_id,
            "conversation_id": conversation_id,
            "now": now,
            "not_before": not_before,
            "n": limit,
        }
        if after_seq is not None:
            rows = list(self._conn.execute(_CLIENT_AFTER, {**params, "seq": after_seq}))
        else:
            rows = list(reversed(list(self._conn.execute(_CLIENT_LATEST, params))))
        return [StoredMessage(**{c.name: r._mapping[c.name] for c in messages.c}) for r in rows]

    def upcoming_appointments(
        self, practice_id: UUID, client_id: UUID, since: datetime
    ) -> list[Appointment]:
        """The client's appointments starting at or after ``since`` and not cancelled,
        soonest first (at most ``UPCOMING_LIMIT``)."""
        rows = self._conn.execute(
            _UPCOMING, {"practice_id": practice_id, "client_id": client_id, "since": since}
        )
        return [
            Appointment(**{name: r._mapping[name] for name in Appointment.__dataclass_fields__})
            for r in rows
        ]
