"""Clients, their assigned clinicians, their consent history and the practice's scheduling
templates (``clients``, ``client_clinicians``, ``client_consents``, ``message_templates``).

Every query filters on ``practice_id``. Identifying fields arrive sealed and leave sealed:
only :mod:`quietline.actions.clients` opens them, after its access check. Phone numbers and
e-mail addresses are found through their keyed hashes (``phone_lookup``, ``email_lookup``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import ConsentRecord, StoredClient
from quietline.storage.tables import (
    client_clinicians,
    client_consents,
    clients,
    conversations,
    message_templates,
    messages,
)

# A practice may keep this many clients (archived ones included) on file; the name search
# opens at most this many names (decision 0018).
MAX_CLIENTS_SCANNED = 5000
MAX_SAME_PHONE = 20  # clients sharing one number (a family) considered for an inbound text
MAX_CONSENT_HISTORY = 500
MAX_TEMPLATES = 100

_CLIENT_COLUMNS = tuple(clients.c)
_SCOPE = (
    clients.c.practice_id == bindparam("practice_id"),
    clients.c.id == bindparam("client_id"),
)
_GET = select(*_CLIENT_COLUMNS).where(*_SCOPE)
_INSERT = clients.insert()
_CLINICIAN_IDS = (
    select(client_clinicians.c.user_id)
    .where(
        client_clinicians.c.practice_id == bindparam("practice_id"),
        client_clinicians.c.client_id == bindparam("client_id"),
    )
    .order_by(client_clinicians.c.assigned_at, client_clinicians.c.user_id)
)
_IS_ASSIGNED = select(client_clinicians.c.user_id).where(
    client_clinicians.c.practice_id == bindparam("practice_id"),
    client_clinicians.c.client_id == bindparam("client_id"),
    client_clinicians.c.user_id == bindparam("user_id"),
)
_LATEST_CONSENT = (
    select(client_consents)
    .where(
        client_consents.c.practice_id == bindparam("practice_id"),
        client_consents.c.client_id == bindparam("client_id"),
        client_consents.c.channel == bindparam("channel"),
    )
    .order_by(client_consents.c.recorded_at.desc(), client_consents.c.id.desc())
    .limit(1)
)
# Most recent thread activity first: the client an inbound text from a shared number is for.
_BY_PHONE = (
    select(*_CLIENT_COLUMNS)
    .select_from(
        clients.outerjoin(
            conversations,
            (conversations.c.client_id == clients.c.id)
            & (conversations.c.practice_id == clients.c.practice_id),
        )
    )
    .where(
        clients.c.practice_id == bindparam("practice_id"),
        clients.c.phone_lookup == bindparam("lookup"),
    )
    .order_by(
        clients.c.archived_at.is_not(None),
        conversations.c.last_activity_at.desc().nulls_last(),
        clients.c.created_at.desc(),
    )
    .limit(MAX_SAME_PHONE)
)


def _client(m: Mapping[Any, Any]) -> StoredClient:
    return StoredClient(**{c.name: m[c.name] for c in _CLIENT_COLUMNS})


def _consent(m: Mapping[Any, Any]) -> ConsentRecord:
    return ConsentRecord(
        id=m["id"],
        practice_id=m["practice_id"],
        client_id=m["client_id"],
        channel=m["channel"],
        granted=bool(m["granted"]),
        warning_text=m["warning_text"],
        method=m["method"],
        recorded_by=m["recorded_by"],
        recorded_at=m["recorded_at"],
    )


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A scheduling template; its body stays sealed here."""

    id: UUID
    practice_id: UUID
    name: str
    body_sealed: bytes
    position: int
    created_at: datetime
    retired_at: datetime | None

    def __repr__(self) -> str:
        return f"StoredTemplate(id={self.id})"


def _template(m: Mapping[Any, Any]) -> StoredTemplate:
    return StoredTemplate(
        id=m["id"],
        practice_id=m["practice_id"],
        name=m["name"],
        body_sealed=bytes(m["body_sealed"]),
        position=int(m["position"]),
        created_at=m["created_at"],
        retired_at=m["retired_at"],
    )


class ClientStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- clients ----------------------------------------------------------------------
    def insert(self, client: StoredClient) -> None:
        self._conn.execute(_INSERT, {c.name: getattr(client, c.name) for c in _CLIENT_COLUMNS})

    def get(self, practice_id: UUID, client_id: UUID) -> StoredClient | None:
        row = self._conn.execute(_GET, {"practice_id": practice_id, "client_id": client_id})
        found = row.mappings().first()
        return _client(found) if found else None

    def update(self, practice_id: UUID, client_id: UUID, **values: Any) -> None:
        """Change columns of one client (sealed values sealed by the caller)."""
        self._conn.execute(
            update(clients)
            .where(clients.c.practice_id == practice_id, clients.c.id == client_id)
            .values(**values)
        )

    def count(self, practice_id: UUID) -> int:
        return int(
            self._conn.execute(
                select(func.count()).where(clients.c.practice_id == practice_id)
            ).scalar_one()
        )

    def list_all(
        self, practice_id: UUID, *, include_archived: bool, limit: int = MAX_CLIENTS_SCANNED
    ) -> list[StoredClient]:
        """Every client of the practice (newest first), at most ``limit``."""
        query = select(*_CLIENT_COLUMNS).where(clients.c.practice_id == practice_id)
        if not include_archived:
            query = query.where(clients.c.archived_at.is_(None))
        rows = self._conn.execute(
            query.order_by(clients.c.created_at.desc(), clients.c.id).limit(limit)
        ).mappings()
        return [_client(r) for r in rows]

    def list_for_clinician(
        self,
        practice_id: UUID,
        user_id: UUID,
        *,
        include_archived: bool,
        limit: int = MAX_CLIENTS_SCANNED,
    ) -> list[StoredClient]:
        """The clients assigned to one clinician (newest first), at most ``limit``."""
        query = (
            select(*_CLIENT_COLUMNS)
            .join(
                client_clinicians,
                (client_clinicians.c.client_id == clients.c.id)
                & (client_clinicians.c.practice_id == clients.c.practice_id),
            )
            .where(clients.c.practice_id == practice_id, client_clinicians.c.user_id == user_id)
        )
        if not include_archived:
            query = query.where(clients.c.archived_at.is_(None))
        rows = self._conn.execute(
            query.order_by(clients.c.created_at.desc(), clients.c.id).limit(limit)
        ).mappings()
        return [_client(r) for r in rows]

    def by_phone_lookup(self, practice_id: UUID, lookup: bytes) -> list[StoredClient]:
        """The clients with this phone number's keyed hash: live ones before archived ones,
        then the most recent thread activity first (several clients may share a phone)."""
        rows = self._conn.execute(_BY_PHONE, {"practice_id": practice_id, "lookup": lookup})
        return [_client(r) for r in rows.mappings()]

    def set_sms_opted_out(self, practice_id: UUID, client_id: UUID, at: datetime | None) -> None:
        """STOP (a time) or START (None)."""
        self.update(practice_id, client_id, sms_opted_out_at=at)

    def inbound_message(
        self, practice_id: UUID, client_ids: list[UUID], idempotency_key: str
    ) -> tuple[UUID, UUID, UUID, bool] | None:
        """(client, conversation, message, urgent) of a message one of these clients already
        sent with this idempotency key (a provider's retry of the same inbound text)."""
        if not client_ids:
            return None
        row = self._conn.execute(
            select(
                messages.c.sender_client_id,
                messages.c.conversation_id,
                messages.c.id,
                messages.c.urgent,
            ).where(
                messages.c.practice_id == practice_id,
                messages.c.sender_client_id.in_(client_ids),
                messages.c.idempotency_key == idempotency_key,
            )
        ).first()
        if row is None:
            return None
        return row.sender_client_id, row.conversation_id, row.id, bool(row.urgent)

    def thread_ids(self, practice_id: UUID, client_ids: list[UUID]) -> dict[UUID, UUID]:
        """The threads (conversation ids) of several clients, by client (one query)."""
        if not client_ids:
            return {}
        rows = self._conn.execute(
            select(conversations.c.client_id, conversations.c.id).where(
                conversations.c.practice_id == practice_id,
                conversations.c.client_id.in_(client_ids),
            )
        )
        return {r.client_id: r.id for r in rows}

    # -- assigned clinicians -------------------------------------------------------------
    def clinician_ids(self, practice_id: UUID, client_id: UUID) -> list[UUID]:
        rows = self._conn.execute(
            _CLINICIAN_IDS, {"practice_id": practice_id, "client_id": client_id}
        )
        return [r.user_id for r in rows]

    def clinicians_of(self, practice_id: UUID, client_ids: list[UUID]) -> dict[UUID, list[UUID]]:
        """The assigned clinicians of several clients (one query)."""
        found: dict[UUID, list[UUID]] = {c: [] for c in client_ids}
        if not client_ids:
            return found
        rows = self._conn.execute(
            select(client_clinicians.c.client_id, client_clinicians.c.user_id)
            .where(
                client_clinicians.c.practice_id == practice_id,
                client_clinicians.c.client_id.in_(client_ids),
            )
            .order_by(client_clinicians.c.assigned_at, client_clinicians.c.user_id)
        )
        for r in rows:
            found[r.client_id].append(r.user_id)
        return found

    def is_assigned(self, practice_id: UUID, client_id: UUID, user_id: UUID) -> bool:
        row = self._conn.execute(
            _IS_ASSIGNED, {"practice_id": practice_id, "client_id": client_id, "user_id": user_id}
        ).first()
        return row is not None

    def assign(
        self,
        practice_id: UUID,
        client_id: UUID,
        user_id: UUID,
        *,
        now: datetime,
        assigned_by: UUID | None,
    ) -> bool:
        """Assign a clinician; False when they already were."""
        if self.is_assigned(practice_id, client_id, user_id):
            return False
        self._conn.execute(
            client_clinicians.insert(),
            {
                "client_id": client_id,
                "user_id": user_id,
                "practice_id": practice_id,
                "assigned_at": now,
                "assigned_by": assigned_by,
            },
        )
        return True

    def unassign(self, practice_id: UUID, client_id: UUID, user_id: UUID) -> bool:
        result = self._conn.execute(
            delete(client_clinicians).where(
                client_clinicians.c.practice_id == practice_id,
                client_clinicians.c.client_id == client_id,
                client_clinicians.c.user_id == user_id,
            )
        )
        return result.rowcount == 1

    # -- consent ----------------------------------------------------------------------
    def insert_consent(self, record: ConsentRecord) -> None:
        self._conn.execute(
            client_consents.insert(),
            {
                "id": record.id,
                "practice_id": record.practice_id,
                "client_id": record.client_id,
                "channel": record.channel,
                "granted": record.granted,
                "warning_text": record.warning_text,
                "method": record.method,
                "recorded_by": record.recorded_by,
                "recorded_at": record.recorded_at,
            },
        )

    def latest_consent(
        self, practice_id: UUID, client_id: UUID, channel: str
    ) -> ConsentRecord | None:
        """The newest consent row of this client and channel (the answer in force)."""
        row = self._conn.execute(
            _LATEST_CONSENT,
            {"practice_id": practice_id, "client_id": client_id, "channel": channel},
        ).mappings()
        found = row.first()
        return _consent(found) if found else None

    def consent_in_force_of(
        self, practice_id: UUID, client_ids: list[UUID]
    ) -> dict[UUID, dict[str, bool]]:
        """Per client, per channel (``sms``, ``email``): whether its newest consent row is a
        grant, for several clients (one query; the client list)."""
        found = {c: {"sms": False, "email": False} for c in client_ids}
        if not client_ids:
            return found
        rank = (
            func.row_number()
            .over(
                partition_by=(client_consents.c.client_id, client_consents.c.channel),
                order_by=(client_consents.c.recorded_at.desc(), client_consents.c.id.desc()),
            )
            .label("place")
        )
        ranked = (
            select(
                client_consents.c.client_id,
                client_consents.c.channel,
                client_consents.c.granted,
                rank,
            )
            .where(
                client_consents.c.practice_id == practice_id,
                client_consents.c.client_id.in_(client_ids),
            )
            .subquery()
        )
        rows = self._conn.execute(
            select(ranked.c.client_id, ranked.c.channel, ranked.c.granted).where(
                ranked.c.place == 1
            )
        )
        for r in rows:
            found[r.client_id][r.channel] = bool(r.granted)
        return found

    def consent_history(self, practice_id: UUID, client_id: UUID) -> list[ConsentRecord]:
        """Every consent row of the client, newest first (at most ``MAX_CONSENT_HISTORY``)."""
        rows = self._conn.execute(
            select(client_consents)
            .where(
                client_consents.c.practice_id == practice_id,
                client_consents.c.client_id == client_id,
            )
            .order_by(client_consents.c.recorded_at.desc(), client_consents.c.id.desc())
            .limit(MAX_CONSENT_HISTORY)
        ).mappings()
        return [_consent(r) for r in rows]

    # -- scheduling templates ---------------------------------------------------------
    def count_templates(self, practice_id: UUID) -> int:
        """Every template the practice ever had, retired ones included."""
        return int(
            self._conn.execute(
                select(func.count()).where(message_templates.c.practice_id == practice_id)
            ).scalar_one()
        )

    def templates(self, practice_id: UUID) -> list[StoredTemplate]:
        """The practice's templates in use, in their order."""
        rows = self._conn.execute(
            select(message_templates)
            .where(
                message_templates.c.practice_id == practice_id,
                message_templates.c.retired_at.is_(None),
            )
            .order_by(message_templates.c.position, message_templates.c.created_at)
            .limit(MAX_TEMPLATES)
        ).mappings()
        return [_template(r) for r in rows]

    def template(self, practice_id: UUID, template_id: UUID) -> StoredTemplate | None:
        row = (
            self._conn.execute(
                select(message_templates).where(
                    message_templates.c.practice_id == practice_id,
                    message_templates.c.id == template_id,
                )
            )
            .mappings()
            .first()
        )
        return _template(row) if row else None

    def insert_template(
        self,
        *,
        template_id: UUID,
        practice_id: UUID,
        name: str,
        body_sealed: bytes,
        position: int,
        now: datetime,
    ) -> None:
        self._conn.execute(
            message_templates.insert(),
            {
                "id": template_id,
                "practice_id": practice_id,
                "name": name,
                "body_sealed": body_sealed,
                "position": position,
                "created_at": now,
                "retired_at": None,
            },
        )

    def update_template(self, practice_id: UUID, template_id: UUID, **values: Any) -> None:
        self._conn.execute(
            update(message_templates)
            .where(
                message_templates.c.practice_id == practice_id,
                message_templates.c.id == template_id,
            )
            .values(**values)
        )
