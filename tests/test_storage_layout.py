"""How rows are laid out for a busy write path (decision 0024): time-ordered ids for the rows
written with every send, and idempotency keys indexed only for the sender who has them."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import Counter
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from quietline.actions.auth import SessionToken
from quietline.api.routes.conversations import SendJob
from quietline.api.schemas import SendIn
from quietline.app import Services
from quietline.domain import ids
from quietline.domain.ids import time_ordered_id
from quietline.storage.tables import audit_events
from quietline.storage.unit import Unit
from tests.conftest import Api, PracticeHandle, add_staff, in_one_batch, sign_in

GENERATORS = [pytest.param(ids._uuid7, id="own"), pytest.param(time_ordered_id, id="used")]


def _millis(value: UUID) -> int:
    return value.int >> 80


@pytest.mark.parametrize("make", GENERATORS)
def test_a_time_ordered_id_is_a_version_7_uuid_that_starts_with_the_time(make: object) -> None:
    assert callable(make)
    before = time.time_ns() // 1_000_000
    made = [make() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(made)) == len(made)
    for value in made:
        assert isinstance(value, UUID)
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert before <= _millis(value) <= after
    # The random part really varies: no two ids of one millisecond share their last 62 bits.
    tails = [value.int & ((1 << 62) - 1) for value in made]
    assert len(set(tails)) == len(tails)


@pytest.mark.parametrize("make", GENERATORS)
def test_ids_made_in_a_later_millisecond_sort_after_earlier_ones(make: object) -> None:
    assert callable(make)
    made = []
    for _ in range(5):
        made.append(make())
        time.sleep(0.002)
    assert sorted(made) == made
    assert sorted(str(value) for value in made) == [str(value) for value in made]


def _send(api: Api, conversation: str, key: str) -> dict[str, object]:
    response = api.post(
        f"/conversations/{conversation}/messages",
        {"body": "Room 3 is free", "idempotency_key": key},
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_messages_and_their_audit_entries_take_time_ordered_ids(
    owner: Api, services: Services
) -> None:
    conversation = owner.post("/conversations", {"kind": "group", "title": "Desk"}).json()["id"]
    sent = [_send(owner, conversation, f"key-{n:04d}") for n in range(3)]
    assert [UUID(str(m["id"])).version for m in sent] == [7, 7, 7]
    audit_ids = services.db.read_sync(
        lambda unit: [
            row[0]
            for row in unit.conn.execute(
                select(audit_events.c.id).where(audit_events.c.kind == "message.sent")
            )
        ]
    )
    assert len(audit_ids) == 3
    assert {value.version for value in audit_ids} == {7}


def test_an_idempotency_key_stays_unique_per_sender(
    client: TestClient, owner: Api, services: Services, practice: PracticeHandle
) -> None:
    add_staff(owner, "sam@riverbend.test")
    sam = sign_in(client, practice.slug, "sam@riverbend.test")
    created = owner.post("/conversations", {"kind": "group", "title": "Desk"})
    conversation = created.json()["id"]
    assert owner.post(
        f"/conversations/{conversation}/members", {"user_id": str(sam.user_id)}
    ).status_code in (200, 201, 204)
    first = _send(owner, conversation, "the-same-key")
    conversation_id = UUID(conversation)
    stored = services.db.read_sync(
        lambda unit: unit.messages.get(practice.id, conversation_id, UUID(str(first["id"])))
    )
    assert stored is not None

    def insert_again(unit: Unit) -> None:
        seq = unit.conversations.next_seq(practice.id, conversation_id, unit.now)
        unit.messages.insert(dataclasses.replace(stored, id=time_ordered_id(), seq=seq))

    # What the send's replay check normally prevents, the index still refuses.
    with pytest.raises(IntegrityError):
        services.db.write_sync(insert_again)
    # A colleague's own message may use the same key: a new message, not a replay.
    theirs = _send(sam, conversation, "the-same-key")
    assert theirs["id"] != first["id"]
    assert theirs["sender_id"] == str(sam.user_id)


def test_the_idempotency_indexes_leave_out_the_side_a_message_does_not_have(
    services: Services,
) -> None:
    """Partial indexes: a staff message has no client sender and a client's has no staff
    sender, so neither is indexed under an empty sender. The lookup by sender and key still
    uses the index (checked on SQLite's query plan)."""

    def definitions(unit: Unit) -> dict[str, str]:
        if unit.conn.dialect.name == "sqlite":
            rows = unit.conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'messages'")
            )
        else:
            rows = unit.conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages'")
            )
        return {name: sql or "" for name, sql in rows}

    found = services.db.read_sync(definitions)
    for name, column in [
        ("uq_messages_sender_idempotency", "sender_id"),
        ("uq_messages_client_idempotency", "sender_client_id"),
    ]:
        sql = " ".join(found[name].split()).replace('"', "").replace("(", "").replace(")", "")
        assert "UNIQUE" in sql.upper()
        assert f"WHERE {column} IS NOT NULL" in sql, sql

    if not services.db.is_sqlite:
        return

    def plan(unit: Unit) -> str:
        rows = unit.conn.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE practice_id = :p "
                "AND sender_id = :s AND idempotency_key = :k"
            ),
            {"p": "x", "s": "y", "k": "z"},
        )
        return " ".join(str(row[-1]) for row in rows)

    assert "uq_messages_sender_idempotency" in services.db.read_sync(plan)


def _traced_sends(services: Services, jobs: list[SendJob]) -> list[str]:
    """Run the sends together in one batch of the writer (queued behind a job that holds
    the writer until all are queued), each with SQLite's statement trace on while it runs:
    the statements of those jobs only, not of other work that shares their batch (the
    expiry purge, say), nor the counters the batch stores before its commit."""
    statements: list[str] = []

    @dataclasses.dataclass(frozen=True)
    class Traced:
        job: SendJob
        # What the writer reads off the job it runs: a send, traced, is still a send.
        defers_sequence_numbers: bool = SendJob.defers_sequence_numbers

        def __call__(self, unit: Unit) -> object:
            driver = unit.conn.connection.dbapi_connection
            assert driver is not None
            driver.set_trace_callback(statements.append)
            try:
                return self.job(unit)
            finally:
                driver.set_trace_callback(None)

    for outcome in in_one_batch(services, [Traced(job) for job in jobs]):
        assert not isinstance(outcome, BaseException), outcome
    return statements


def _statement_kinds(statements: list[str]) -> Counter[str]:
    """'UPDATE conversations', 'SELECT device_sessions', ...: the verb and the first table."""
    kinds: Counter[str] = Counter()
    for statement in statements:
        words = statement.replace(".", " ").split()
        verb = words[0].upper()
        if verb in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"):
            kinds[verb] += 1
        elif verb == "SELECT":
            kinds[f"SELECT {words[1]}"] += 1
        elif verb == "INSERT":
            kinds[f"INSERT {words[2]}"] += 1
        else:
            kinds[f"{verb} {words[1]}"] += 1
    return kinds


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_send_runs_seven_statements_of_its_own_on_the_writer(
    client: TestClient, owner: Api, services: Services, practice: PracticeHandle
) -> None:
    """The send's SQL is its cost on the one writer (decision 0003): a guard against a
    statement slipping into the hot path unnoticed. Seven of its own (on PostgreSQL inside
    the savepoint and release the writer wraps every job in; on SQLite the writer takes none,
    decision 0027); counted on SQLite's statement trace while the job runs (the statements
    are the same on PostgreSQL). The conversation's sequence number and the audit chain's
    head are written by the batch's first send only; the others count on in memory and the
    batch stores both once before it commits (decision 0026). A change here should come
    with a measurement (``python -m benchmarks.write_path``)."""
    people = [owner]
    for n in range(3):
        add_staff(owner, f"desk{n}@riverbend.test")
        people.append(sign_in(client, practice.slug, f"desk{n}@riverbend.test"))
    conversation = UUID(
        owner.post("/conversations", {"kind": "group", "title": "Desk"}).json()["id"]
    )
    for person in people[1:]:
        added = owner.post(
            f"/conversations/{conversation}/members", {"user_id": str(person.user_id)}
        )
        assert added.status_code in (200, 201, 204), added.text
    for person in people:  # each session's first use and the audit chain's head are warm
        _send(person, str(conversation), f"warm-{person.user_id}")

    def job(n: int, key: str | None = None) -> SendJob:
        body = SendIn(body=f"Room {n} is free", idempotency_key=key or f"count-{n:04d}")
        return SendJob(SessionToken(people[n % len(people)].token), conversation, body)

    sent = _statement_kinds(_traced_sends(services, [job(n) for n in range(10)]))
    assert sent == Counter(
        {
            "SELECT device_sessions": 10,  # the session, inside the transaction
            "SELECT conversations": 10,  # the conversation and the sender's membership
            "SELECT messages": 10,  # the sender's idempotency key: a replay?
            "UPDATE conversations": 1,  # the first sequence number of the batch
            "INSERT messages": 10,
            "UPDATE audit_heads": 1,  # the chain's head, checked and advanced at once
            "INSERT audit_events": 10,
        }
    ), sent

    # ... and what the batch stored before its commit is where its sends left it.
    def stored(unit: Unit) -> tuple[list[int], int, tuple[int, bytes] | None, int]:
        rows = unit.messages.all_rows(practice.id, conversation, limit=1000)
        found = unit.conversations.get(practice.id, conversation)
        assert found is not None
        newest = unit.audit_log.query(practice.id, limit=1)[0]
        return [m.seq for m in rows], found.last_seq, unit.audit_log.head(practice.id), newest.seq

    seqs, last_seq, head, newest_entry = services.db.read_sync(stored)
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert last_seq == seqs[-1]
    assert head is not None
    assert head[0] == newest_entry

    # A retry with a key already used writes nothing: the session, the conversation and
    # the key are read, and the first message is the answer.
    replayed = _statement_kinds(_traced_sends(services, [job(3, "count-0003")]))
    assert replayed == Counter(
        {
            "SELECT device_sessions": 1,
            "SELECT conversations": 1,
            "SELECT messages": 1,
        }
    ), replayed
