"""Helpers for the client-messaging tests (clients, consent and delivery, inbound texts).

* :func:`api_without_worker`: the app without its lifespan, so the outbox worker does not
  run and queued SMS and e-mail stay in ``outbound_messages`` for the test to open;
* :func:`outbound`: every queued row of a client, opened with the practice key;
* :func:`database_dump`: every value of every table as bytes (the marker checks);
* small API helpers: add a client, record consent, change the practice's policy, give the
  practice an SMS number.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select

from quietline.app import Services
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import open_record_field, seal_record_field
from quietline.crypto.tokens import keyed_hash
from quietline.storage.tables import audit_events, messages, metadata
from quietline.storage.unit import Unit
from tests.conftest import Api

PRACTICE_NUMBER = "+14155550100"


def next_weekday_noon_utc() -> datetime:
    """A coming Tuesday at 16:00 UTC: inside the default office hours (9 to 5 in New
    York), so no after-hours reply interferes unless a test wants one."""
    now = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    return now + timedelta(days=(1 - now.weekday()) % 7 or 7)


def key() -> str:
    return str(uuid.uuid4())


def marker(label: str) -> str:
    return f"QlMark{label}{uuid.uuid4().hex[:16]}"


def create_client(api: Api, expect: int = 201, **fields: Any) -> dict[str, Any]:
    body = {"name": "Jordan Rivers", **fields}
    response = api.post("/clients", body)
    assert response.status_code == expect, response.text
    found: dict[str, Any] = response.json()
    return found


def grant(api: Api, client_id: str, channel: str = "sms", granted: bool = True) -> dict[str, Any]:
    response = api.post(
        f"/clients/{client_id}/consents",
        {"channel": channel, "granted": granted, "method": "verbal"},
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def set_policy(services: Services, practice_id: UUID, **changes: Any) -> None:
    def write(unit: Unit) -> None:
        policy = unit.practice_messaging.policy(practice_id)
        unit.practice_messaging.save_policy(practice_id, replace(policy, **changes), now=unit.now)

    services.db.write_sync(write)


def set_sms_number(services: Services, practice_id: UUID, e164: str = PRACTICE_NUMBER) -> None:
    """The practice's own SMS number, stored the way its settings page stores it."""

    def write(unit: Unit) -> None:
        stored, raw = unit.practice_key(practice_id)
        sealed = seal_record_field(
            raw,
            stored.key_id,
            practice_id,
            "practice_messaging",
            "sms_number_sealed",
            practice_id,
            e164,
        )
        unit.practice_messaging.set_sms_number(
            practice_id, sealed=sealed, lookup=keyed_hash(services.lookup_key, e164), now=unit.now
        )

    services.db.write_sync(write)


@dataclass(frozen=True)
class Sent:
    """One queued outbound row, opened."""

    id: UUID
    channel: str
    purpose: str
    to: str | None
    body: str | None
    message_id: UUID | None
    status: str


def outbound(services: Services, practice_id: UUID, client_id: str | UUID) -> list[Sent]:
    """Every outbound row of a client, oldest first, opened with the practice key."""

    def read(unit: Unit) -> list[Sent]:
        rows = unit.outbox.for_client(practice_id, UUID(str(client_id)))
        # Rows of one instant share created_at: their audit entries give the queue's order.
        queued = {
            str(r.subject_id): int(r.seq)
            for r in unit.conn.execute(
                select(audit_events.c.subject_id, audit_events.c.seq).where(
                    audit_events.c.practice_id == practice_id,
                    audit_events.c.kind == "client.outbound_queued",
                )
            )
        }

        def opened(column: str, row_id: UUID, sealed: bytes | None) -> str | None:
            if sealed is None:
                return None
            stored = unit.practices.key(practice_id, read_header(sealed).key_id)
            raw = unit.keyring.practice_key(practice_id, stored)
            return open_record_field(
                raw, practice_id, "outbound_messages", column, row_id, bytes(sealed)
            )

        return [
            Sent(
                r.id,
                r.channel,
                r.purpose,
                opened("to_sealed", r.id, r.to_sealed),
                opened("body_sealed", r.id, r.body_sealed),
                r.message_id,
                r.status,
            )
            for r in sorted(rows, key=lambda r: queued[str(r.id)])
        ]

    found: list[Sent] = services.db.read_sync(read)
    return found


def audit_rows(services: Services, practice_id: UUID) -> list[dict[str, Any]]:
    def read(unit: Unit) -> list[dict[str, Any]]:
        rows = unit.conn.execute(
            select(audit_events)
            .where(audit_events.c.practice_id == practice_id)
            .order_by(audit_events.c.seq)
        )
        return [dict(r._mapping) for r in rows]

    found: list[dict[str, Any]] = services.db.read_sync(read)
    return found


def kinds(services: Services, practice_id: UUID) -> list[str]:
    return [str(r["kind"]) for r in audit_rows(services, practice_id)]


def database_dump(services: Services) -> bytes:
    """Every value of every table, as bytes (text as UTF-8, JSON as JSON, binary as is)."""

    def read(unit: Unit) -> bytes:
        parts: list[bytes] = []
        for table in metadata.sorted_tables:
            for row in unit.conn.execute(select(table)):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value))
                    elif isinstance(value, dict | list):
                        parts.append(json.dumps(value).encode())
                    else:
                        parts.append(str(value).encode())
        return b"\x00".join(parts)

    dumped: bytes = services.db.read_sync(read)
    return dumped


def message_rows(services: Services, conversation_id: str | UUID) -> list[dict[str, Any]]:
    def read(unit: Unit) -> list[dict[str, Any]]:
        rows = unit.conn.execute(
            select(messages)
            .where(messages.c.conversation_id == UUID(str(conversation_id)))
            .order_by(messages.c.seq)
        )
        return [dict(r._mapping) for r in rows]

    found: list[dict[str, Any]] = services.db.read_sync(read)
    return found
