"""The group-commit writer (decision 0003) and the audit chain's head hints.

The writer runs a batch's jobs in one transaction and rolls a failing job back alone: on
SQLite without a savepoint when the job changed no row, else by running the batch again
with a savepoint per job (decision 0027). It lets jobs that arrive while a batch runs join
it, keeps its connection between batches and starts on a fresh one after a failed commit.
The audit chain appends from a remembered head only while that head is still the stored
one. A batch counts its sends' sequence numbers and its audit chain heads in memory and
stores them once before its commit (decision 0026).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from quietline.actions.audit import verify_all
from quietline.actions.auth import SessionToken
from quietline.api.routes.conversations import SendJob
from quietline.api.schemas import SendIn
from quietline.app import Services, build_services
from quietline.config import Settings
from quietline.domain.audit import AuditKind
from quietline.storage.database import Database
from quietline.storage.unit import Unit
from tests.conftest import Api, PracticeHandle, in_one_batch, make_practice

WAIT = 10.0


class _Probe:
    """A unit for the bare writer: the job's connection, and the batches that committed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Database[_Probe], list[list[_Probe]]]]:
    url = f"sqlite:///{tmp_path / 'writer.db'}"
    committed: list[list[_Probe]] = []
    db: Database[_Probe] = Database(
        url, lambda conn, _read_only: _Probe(conn), lambda units: committed.append(list(units))
    )
    db.write_sync(lambda p: p.conn.exec_driver_sql("CREATE TABLE t (v TEXT PRIMARY KEY)"))
    committed.clear()
    yield db, committed
    db.close()


def _insert(value: str) -> Callable[[_Probe], str]:
    def job(p: _Probe) -> str:
        p.conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
        return value

    return job


def _values(db: Database[_Probe]) -> list[str]:
    return db.read_sync(
        lambda p: [r[0] for r in p.conn.exec_driver_sql("SELECT v FROM t ORDER BY v")]
    )


def _holding_its_batch(
    value: str,
) -> tuple[Callable[[_Probe], str], threading.Event, threading.Event]:
    """A job that inserts ``value`` once released, with the events that say it started and
    release it: while it waits, the jobs queued behind it join its batch."""
    started, release = threading.Event(), threading.Event()

    def job(p: _Probe) -> str:
        started.set()
        assert release.wait(WAIT)
        return _insert(value)(p)

    return job, started, release


def test_a_job_that_arrives_while_a_batch_runs_joins_it(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    db, committed = writer
    first, started, queued = _holding_its_batch("a")

    a = db.submit_write(first)
    assert started.wait(WAIT)
    b = db.submit_write(_insert("b"))
    queued.set()
    assert (a.result(WAIT), b.result(WAIT)) == ("a", "b")
    # One commit for both: the second job did not wait for a batch of its own.
    assert [len(batch) for batch in committed] == [2]
    assert _values(db) == ["a", "b"]


def test_a_failing_job_rolls_back_alone_and_the_writer_goes_on(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    db, committed = writer
    first, started, queued = _holding_its_batch("a")

    def failing(p: _Probe) -> str:
        _insert("z")(p)
        raise ValueError("this job fails after writing")

    a = db.submit_write(first)
    assert started.wait(WAIT)
    bad = db.submit_write(failing)
    c = db.submit_write(_insert("c"))
    queued.set()
    assert a.result(WAIT) == "a"
    with pytest.raises(ValueError, match="fails after writing"):
        bad.result(WAIT)
    assert c.result(WAIT) == "c"
    assert [len(batch) for batch in committed] == [2]  # the committed jobs' units only
    assert _values(db) == ["a", "c"]
    assert db.write_sync(_insert("d")) == "d"
    assert _values(db) == ["a", "c", "d"]


def _tracing(statements: list[str], on: bool) -> Callable[[_Probe], None]:
    """A job that turns SQLite's statement trace of the writer's connection on or off."""

    def job(p: _Probe) -> None:
        driver = p.conn.connection.dbapi_connection
        assert driver is not None
        driver.set_trace_callback(statements.append if on else None)

    return job


def _counted(value: str, runs: list[str]) -> Callable[[_Probe], str]:
    def job(p: _Probe) -> str:
        runs.append(value)
        return _insert(value)(p)

    return job


def test_on_sqlite_a_batch_takes_no_savepoints_and_a_job_refused_before_writing_costs_nothing(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    """A savepoint makes SQLite copy each page a job changes into its journal (decision
    0027). On SQLite the writer takes none; a job that raises having changed no row (a
    refusal: not a member, a wrong key) leaves nothing to undo, and the jobs around it run
    once and commit together."""
    db, committed = writer
    statements: list[str] = []
    runs: list[str] = []
    first, started, queued = _holding_its_batch("a")

    def refused(p: _Probe) -> str:
        p.conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        raise PermissionError("refused before writing")

    db.write_sync(_tracing(statements, True))
    a = db.submit_write(first)
    assert started.wait(WAIT)
    bad = db.submit_write(refused)
    c = db.submit_write(_counted("c", runs))
    queued.set()
    assert (a.result(WAIT), c.result(WAIT)) == ("a", "c")
    with pytest.raises(PermissionError, match="before writing"):
        bad.result(WAIT)
    db.write_sync(_tracing(statements, False))
    assert runs == ["c"]  # the batch ran once
    assert [len(batch) for batch in committed][-2] == 2  # a and c, in one commit
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], statements
    assert _values(db) == ["a", "c"]


def test_on_sqlite_a_job_that_wrote_then_failed_runs_its_batch_again_with_savepoints(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    """The rare case: the failing job had changed rows, which only rolling back the whole
    transaction undoes without a savepoint. The batch runs again, each job in a savepoint:
    the others still commit together, once, and the failing job's rows are gone."""
    db, committed = writer
    statements: list[str] = []
    runs: list[str] = []
    first, started, queued = _holding_its_batch("a")

    def wrote_then_failed(p: _Probe) -> str:
        _insert("z")(p)
        raise ValueError("fails after writing")

    db.write_sync(_tracing(statements, True))
    a = db.submit_write(first)
    assert started.wait(WAIT)
    b = db.submit_write(_counted("b", runs))
    bad = db.submit_write(wrote_then_failed)
    c = db.submit_write(_counted("c", runs))
    queued.set()
    assert (a.result(WAIT), b.result(WAIT), c.result(WAIT)) == ("a", "b", "c")
    with pytest.raises(ValueError, match="fails after writing"):
        bad.result(WAIT)
    db.write_sync(_tracing(statements, False))
    assert runs == ["b", "b", "c"]  # b ran before the failure and again in the rerun
    assert [len(batch) for batch in committed][-2] == 3  # a, b and c, in one commit
    assert sum(1 for s in statements if s.upper().startswith("ROLLBACK TO SAVEPOINT")) == 1
    assert _values(db) == ["a", "b", "c"]


def test_a_failed_commit_runs_the_batch_again_one_job_at_a_time_on_a_fresh_connection(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    db, committed = writer
    db.write_sync(
        lambda p: p.conn.exec_driver_sql(
            "CREATE TABLE child (v TEXT REFERENCES t (v) DEFERRABLE INITIALLY DEFERRED)"
        )
    )
    db.write_sync(_insert("parent"))
    committed.clear()
    started, queued = threading.Event(), threading.Event()

    def orphan(p: _Probe) -> str:
        # Fine until COMMIT, where the deferred foreign key fails the whole transaction.
        started.set()
        assert queued.wait(WAIT)
        p.conn.exec_driver_sql("INSERT INTO child (v) VALUES ('nobody')")
        return "orphan"

    bad = db.submit_write(orphan)
    assert started.wait(WAIT)
    good = db.submit_write(_insert("kept"))
    queued.set()
    assert good.result(WAIT) == "kept"
    with pytest.raises(Exception, match="FOREIGN KEY"):
        bad.result(WAIT)
    assert _values(db) == ["kept", "parent"]
    assert db.write_sync(_insert("later")) == "later"
    assert _values(db) == ["kept", "later", "parent"]


def test_close_during_a_batch_finishes_it_and_refuses_new_work(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'closing.db'}"
    db: Database[_Probe] = Database(url, lambda conn, _r: _Probe(conn), lambda _units: None)
    db.write_sync(lambda p: p.conn.exec_driver_sql("CREATE TABLE t (v TEXT PRIMARY KEY)"))
    started, release = threading.Event(), threading.Event()

    def slow(p: _Probe) -> str:
        started.set()
        assert release.wait(WAIT)
        return _insert("slow")(p)

    pending = db.submit_write(slow)
    assert started.wait(WAIT)
    queued_behind = db.submit_write(_insert("behind"))
    closer = threading.Thread(target=db.close)
    closer.start()
    release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    assert (pending.result(WAIT), queued_behind.result(WAIT)) == ("slow", "behind")
    with pytest.raises(RuntimeError, match="closed"):
        db.submit_write(_insert("late"))


# -- audit head hints ---------------------------------------------------------------------


def _audit(services: Services, practice_id: UUID) -> None:
    services.db.write_sync(lambda unit: unit.audit(AuditKind.POLICY_CHANGED, practice_id))


def _chain_ok(services: Services) -> None:
    reports = services.db.read_sync(
        lambda unit: verify_all(unit, services.audit_key, services.audit_anchor.read())
    )
    assert reports
    assert all(r.ok for r in reports), reports


def _head(services: Services, practice_id: UUID) -> tuple[int, bytes] | None:
    return services.db.read_sync(lambda unit: unit.audit_log.head(practice_id))


def test_an_append_after_a_rolled_back_one_still_extends_the_stored_head(
    services: Services,
) -> None:
    practice = make_practice(services, "hints-rollback")
    _audit(services, practice.id)
    before = _head(services, practice.id)
    assert before is not None

    def audit_then_fail(unit: Unit) -> None:
        unit.audit(AuditKind.POLICY_CHANGED, practice.id)
        raise ValueError("rolled back after its audit entry")

    with pytest.raises(ValueError, match="rolled back"):
        services.db.write_sync(audit_then_fail)
    assert _head(services, practice.id) == before
    # The process now remembers a head the database never kept; the next entry follows the
    # stored one.
    _audit(services, practice.id)
    after = _head(services, practice.id)
    assert after is not None
    assert after[0] == before[0] + 1
    _chain_ok(services)


def test_appends_from_two_processes_sharing_a_database_keep_one_chain(
    services: Services, settings: Settings
) -> None:
    practice = make_practice(services, "hints-two")
    other = build_services(settings)  # a second server process on the same database
    try:
        for _ in range(3):
            _audit(services, practice.id)
            _audit(other, practice.id)
            _audit(other, practice.id)
    finally:
        other.close()
    _audit(services, practice.id)
    _chain_ok(services)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_writer_reconnects_when_the_server_dropped_its_connection(
    services: Services,
) -> None:
    """The writer keeps its connection between batches, so the pool's pre-ping no longer
    guards it: a connection the database server closed must cost a retry, not a failed
    write. (PostgreSQL: a server that can close a client's connection.)"""
    practice = make_practice(services, "reconnect")
    _audit(services, practice.id)  # the writer's connection is open and kept
    killer = create_engine(services.db.url, poolclass=NullPool)
    try:
        with killer.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        killer.dispose()
    assert ended >= 1
    _audit(services, practice.id)
    _chain_ok(services)


def _sqlite_temp_files() -> list[str]:
    """Files this process has open that SQLite made for temporary data (named etilqs_*)."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = fd.readlink()
        except OSError:
            continue  # closed since the listing
        if "etilqs_" in target.name:
            found.append(str(target))
    return found


def test_a_jobs_savepoint_journal_stays_in_memory(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    """Each job's savepoint journal holds copies of the pages it changes. Those copies must
    not go to a temporary file (decision 0024): SQLite keeps 64 KiB in memory by default, then
    spills to an unlinked file under /var/tmp, which one big job or a batch of small ones
    outgrows. This job changes about 200 existing pages (800 KiB)."""
    db, _committed = writer
    for i in range(200):
        db.write_sync(_insert(f"{i:04d}" + "x" * 3000))
    seen: list[list[str]] = []

    def rewrite_every_row(p: _Probe) -> int:
        p.conn.exec_driver_sql("UPDATE t SET v = upper(v)")
        seen.append(_sqlite_temp_files())
        return len(seen)

    assert db.write_sync(rewrite_every_row) == 1
    assert seen == [[]]
    assert db.read_sync(lambda p: p.conn.exec_driver_sql("PRAGMA temp_store").scalar()) == 2


def test_coroutines_waiting_on_one_batch_get_their_own_answers_in_one_hop(
    writer: tuple[Database[_Probe], list[list[_Probe]]],
) -> None:
    """A batch answers every coroutine waiting on one event loop with one call onto that loop,
    after the commit: each gets its own result or exception, and one whose task was
    cancelled is skipped without disturbing the others (its write still commits, as
    before)."""
    db, committed = writer
    first, started, release = _holding_its_batch("a")

    def failing(p: _Probe) -> str:
        raise ValueError("only this one fails")

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        hops: list[object] = []
        real = loop.call_soon_threadsafe

        def spy(callback: Any, *args: Any, **kwargs: Any) -> Any:
            hops.append(callback)
            return real(callback, *args, **kwargs)

        loop.call_soon_threadsafe = spy  # type: ignore[method-assign, assignment]
        a = asyncio.ensure_future(db.write(first))
        await asyncio.to_thread(started.wait, WAIT)
        b = asyncio.ensure_future(db.write(_insert("b")))
        bad = asyncio.ensure_future(db.write(failing))
        gone = asyncio.ensure_future(db.write(_insert("c")))
        await asyncio.sleep(0)  # all three are queued behind the running job
        gone.cancel()
        release.set()
        results = await asyncio.gather(a, b, bad, gone, return_exceptions=True)
        answered = [hop for hop in hops if getattr(hop, "__name__", "") == "_give_answers"]
        return [*results, len(answered)]

    a, b, bad, gone, hops = asyncio.run(main())
    assert (a, b) == ("a", "b")
    assert isinstance(bad, ValueError)
    assert isinstance(gone, asyncio.CancelledError)
    assert hops == 1
    assert [len(batch) for batch in committed] == [3]
    assert _values(db) == ["a", "b", "c"]


# -- counters a batch keeps in memory (decision 0026) ----------------------------------------


@dataclass(frozen=True)
class _Channel:
    practice_id: UUID
    conversation_id: UUID
    token: SessionToken


@pytest.fixture
def channel(owner: Api, practice: PracticeHandle) -> _Channel:
    made = owner.post("/conversations", {"kind": "group", "title": "Front desk"})
    assert made.status_code == 201, made.text
    return _Channel(practice.id, UUID(made.json()["id"]), SessionToken(owner.token))


def _send(channel: _Channel, key: str) -> SendJob:
    return SendJob(
        channel.token, channel.conversation_id, SendIn(body="Room 3?", idempotency_key=key)
    )


@dataclass(frozen=True)
class _SendThenFail:
    """A send that fails after it took its number (and wrote its audit entry)."""

    send: SendJob
    defers_sequence_numbers: bool = True

    def __call__(self, unit: Unit) -> None:
        self.send(unit)
        raise ValueError("failed after taking its number")


def _stored(services: Services, channel: _Channel) -> tuple[list[int], int]:
    def read(unit: Unit) -> tuple[list[int], int]:
        rows = unit.messages.all_rows(channel.practice_id, channel.conversation_id, limit=100)
        found = unit.conversations.get(channel.practice_id, channel.conversation_id)
        assert found is not None
        return [m.seq for m in rows], found.last_seq

    return services.db.read_sync(read)


def test_sends_in_one_batch_keep_gap_free_numbers_when_one_of_them_fails(
    services: Services, channel: _Channel
) -> None:
    """The batch's first send writes the conversation's number and the chain's head; the
    others count on in memory. A send that fails after taking its number is rolled back with
    its savepoint, and the count with it: the next send takes the same number, the row
    stores the last one, and the audit chain verifies (head included)."""
    first = in_one_batch(
        services,
        [
            _send(channel, "deferred-0001"),
            _SendThenFail(_send(channel, "deferred-0002")),
            _send(channel, "deferred-0003"),
            _SendThenFail(_send(channel, "deferred-0004")),
        ],
    )
    assert [type(r).__name__ for r in first] == [
        "SendResult",
        "ValueError",
        "SendResult",
        "ValueError",
    ]
    assert [first[0].message.seq, first[2].message.seq] == [1, 2]
    assert _stored(services, channel) == ([1, 2], 2)
    # A batch that begins with a failed send: its first number is not written either.
    second = in_one_batch(
        services,
        [_SendThenFail(_send(channel, "deferred-0005")), _send(channel, "deferred-0006")],
    )
    assert second[1].message.seq == 3
    assert _stored(services, channel) == ([1, 2, 3], 3)
    _chain_ok(services)


def test_a_job_that_reads_sequence_numbers_sees_the_ones_taken_before_it_in_its_batch(
    services: Services, channel: _Channel
) -> None:
    """Any job that has not declared it reads no last_seq gets the numbers stored first: here
    it reads the conversation's row between two sends of the same batch."""

    def read_last_seq(unit: Unit) -> int:
        found = unit.conversations.get(channel.practice_id, channel.conversation_id)
        assert found is not None
        return found.last_seq

    a, b, seen, c = in_one_batch(
        services,
        [
            _send(channel, "between-0001"),  # writes 1 to the row
            _send(channel, "between-0002"),  # counts 2 in memory
            read_last_seq,
            _send(channel, "between-0003"),
        ],
    )
    assert (a.message.seq, b.message.seq, seen, c.message.seq) == (1, 2, 2, 3)
    assert _stored(services, channel) == ([1, 2, 3], 3)
    _chain_ok(services)


def test_the_audit_head_read_in_a_batch_is_the_one_its_appends_left(
    services: Services, channel: _Channel
) -> None:
    def append_and_read(unit: Unit) -> tuple[tuple[int, bytes] | None, tuple[int, bytes]]:
        unit.audit(AuditKind.POLICY_CHANGED, channel.practice_id)
        return unit.audit_log.head(channel.practice_id), unit.audit_heads[channel.practice_id]

    _sent, (read, appended), _again = in_one_batch(
        services,
        [_send(channel, "head-0001"), append_and_read, _send(channel, "head-0002")],
    )
    assert read == appended
    stored = _head(services, channel.practice_id)
    assert stored is not None
    assert stored[0] == appended[0] + 1  # the last send's entry follows it
    _chain_ok(services)


def test_a_row_moved_behind_the_counters_fails_the_batch_and_each_job_runs_alone(
    services: Services, channel: _Channel
) -> None:
    """Storing a counter checks that its row still holds what the batch wrote. A job that
    claims to read no last_seq but moves it anyway makes that check fail: the batch rolls
    back and the writer runs its jobs again, one transaction each, where nothing is held
    back. The numbers come out right either way."""

    @dataclass(frozen=True)
    class MovesTheRow:
        defers_sequence_numbers: bool = True

        def __call__(self, unit: Unit) -> None:
            unit.conn.execute(
                text("UPDATE conversations SET last_seq = last_seq + 1 WHERE id = :id"),
                {
                    "id": channel.conversation_id.hex
                    if services.db.is_sqlite
                    else channel.conversation_id
                },
            )

    a, moved, b = in_one_batch(
        services, [_send(channel, "moved-0001"), MovesTheRow(), _send(channel, "moved-0002")]
    )
    assert moved is None
    # Run alone: a takes 1, the row moves to 2, b takes 3.
    assert (a.message.seq, b.message.seq) == (1, 3)
    assert _stored(services, channel) == ([1, 3], 3)
    _chain_ok(services)
