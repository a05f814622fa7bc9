"""Engines, the read pool and the group-commit writer.

All SQL runs on worker threads, never on the event loop. Reads run on a small pool. Writes
run on one writer thread per process that gathers the jobs waiting at that moment and commits
them together: one fsync for many sends, and a job that fails rolls back alone (on
PostgreSQL each job runs in its own savepoint; on SQLite a job that fails having changed no
row needs none, and a batch whose failing job did change rows runs again with savepoints,
decision 0027). The sequence numbers and audit chain heads a batch moves are kept in
memory and stored once before its commit (:mod:`quietline.storage.deferred`). The units of
committed jobs go to ``after_commit`` (which publishes their events) only after the commit
that made them true, in commit order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from quietline.storage.deferred import DeferredCounters, Mark, defers_sequence_numbers

log = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")

# PostgreSQL deadlock and serialization failure: the whole transaction is lost, retry it.
_RETRYABLE_PGCODES = {"40P01", "40001"}
_MAX_BATCH = 64
_IDLE_AFTER = 0.5  # seconds without work before the writer runs its idle task
_ATTEMPTS = 4


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            # The server closed the writer's kept connection (a restart, an idle timeout):
            # the pool's pre-ping no longer sees it, so the job is run again on a new one.
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if code in _RETRYABLE_PGCODES:
            return True
        if "database is locked" in str(exc.orig):
            return True
    return False


class _WroteThenFailed(Exception):
    """A job raised after changing rows in a batch that runs without savepoints: the batch
    is rolled back and run again, each job in its own savepoint."""


def _total_changes(conn: Connection) -> int:
    """Rows inserted, updated or deleted on this SQLite connection since it opened (counted
    by SQLite itself: triggers, foreign-key actions and upserts included)."""
    driver = conn.connection.dbapi_connection
    if driver is None:
        raise RuntimeError("connection is closed")
    return int(driver.total_changes)


def _driver_sql(conn: Connection, sql: str) -> None:
    """A transaction-control statement (BEGIN, SAVEPOINT...) on the driver's own cursor.

    Plain SQL rather than ``conn.begin_nested()`` (SQLAlchemy compiles a fresh SAVEPOINT
    clause each time), and on the driver rather than ``exec_driver_sql`` (SQLAlchemy's
    execution path costs several times the statement): every write batch begins with one
    and every job runs two. Driver errors come out as SQLAlchemy's, as from
    ``exec_driver_sql``.
    """
    driver = conn.connection.dbapi_connection
    if driver is None:
        raise RuntimeError("connection is closed")
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
    except Exception as exc:
        dialect = conn.dialect
        if isinstance(exc, dialect.loaded_dbapi.Error):
            raise DBAPIError.instance(
                sql, None, exc, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
            ) from exc
        raise
    finally:
        cursor.close()


def _configure_sqlite(engine: Engine, *, writer: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # savepoints work and writers take the write lock up front (no upgrade deadlocks).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit reported to a sender survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Savepoint journals (every write job has one) and sort space stay in memory: not in
        # unlinked files under /var/tmp holding copies of database pages, and no file
        # opened, written and removed for every write batch (decision 0024).
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Overwrite deleted content (recalled and purged messages) instead of leaving it in
        # free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        _driver_sql(conn, "BEGIN IMMEDIATE" if writer else "BEGIN")


def make_engine(url: str, *, writer: bool = True, pool_size: int = 5) -> Engine:
    """An engine with the project's settings. Bind parameters are never logged."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            hide_parameters=True,
            pool_size=1 if writer else pool_size,
            max_overflow=0 if writer else pool_size,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        _configure_sqlite(engine, writer=writer)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def make_migration_engine(url: str) -> Engine:
    engine = create_engine(url, hide_parameters=True, poolclass=NullPool)
    if url.startswith("sqlite"):
        _configure_sqlite(engine, writer=True)
    return engine


UnitT = TypeVar("UnitT")


@dataclass
class _Job(Generic[UnitT]):
    """A write, and who waits for its answer: a coroutine (``waiter``, on its event loop)
    or a thread (``future``)."""

    fn: Callable[[UnitT], Any]
    waiter: asyncio.Future[Any] | None = None
    future: Future[Any] | None = None


_Outcome = tuple[_Job[UnitT], bool, Any, UnitT | None]
# Answers for the coroutines waiting on one event loop: (waiter, ok, result or exception).
_Answers = list[tuple["asyncio.Future[Any]", bool, Any]]


def _give_answers(answers: _Answers) -> None:
    """On the waiters' event loop: hand each its result (a cancelled one is skipped)."""
    for waiter, ok, value in answers:
        if waiter.done():
            continue
        if ok:
            waiter.set_result(value)
        else:
            waiter.set_exception(value)


class Database(Generic[UnitT]):
    """Runs functions of a unit of work on worker threads.

    ``make_unit(connection, read_only)`` builds the unit a job receives. Every job runs in a
    transaction: reads in a snapshot, writes in the writer's batch. ``after_commit`` gets the
    units of the jobs that committed, in commit order, on the writer thread (to publish their
    events, for instance); ``when_idle`` runs when the writer has had nothing to do for a
    moment. ``counters`` makes the counters each writer transaction keeps in memory (none:
    nothing is deferred).
    """

    def __init__(
        self,
        url: str,
        make_unit: Callable[[Connection, bool], UnitT],
        after_commit: Callable[[list[UnitT]], None],
        *,
        when_idle: Callable[[], None] | None = None,
        read_threads: int = 4,
        counters: Callable[[], DeferredCounters] | None = None,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.write_engine = make_engine(url, writer=True)
        # Reads see one consistent snapshot: WAL gives SQLite that per transaction; on
        # PostgreSQL the read pool asks for REPEATABLE READ.
        self.read_engine = (
            make_engine(url, writer=False, pool_size=read_threads)
            if self.is_sqlite
            else self.write_engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._make_unit = make_unit
        self._after_commit = after_commit
        self._when_idle = when_idle
        self._counters = counters
        self._reader = ThreadPoolExecutor(read_threads, thread_name_prefix="quietline-read")
        self._queue: queue.SimpleQueue[_Job[UnitT] | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_loop, name="quietline-writer", daemon=True
        )
        self._closed = False
        self._stopping = False  # the writer took the stop signal inside a batch
        self._write_conn: Connection | None = None  # the writer thread's, between batches
        # Checking "closed" and queueing a job happen under one lock, so no job can land
        # behind the stop signal and wait forever.
        self._closing = threading.Lock()
        self._writer.start()

    # -- public API -------------------------------------------------------------
    async def read(self, fn: Callable[[UnitT], T]) -> T:
        return await asyncio.wrap_future(self._reader.submit(self.read_sync, fn))

    async def write(self, fn: Callable[[UnitT], T]) -> T:
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._enqueue(_Job(fn, waiter=waiter))
        return await waiter

    def read_sync(self, fn: Callable[[UnitT], T]) -> T:
        with self.read_engine.connect() as conn, conn.begin():
            return fn(self._make_unit(conn, True))

    def write_sync(self, fn: Callable[[UnitT], T]) -> T:
        future: Future[T] = self.submit_write(fn)
        return future.result()

    def submit_write(self, fn: Callable[[UnitT], T]) -> Future[T]:
        future: Future[T] = Future()
        self._enqueue(_Job(fn, future=future))
        return future

    def _enqueue(self, job: _Job[UnitT]) -> None:
        with self._closing:
            if self._closed:
                raise RuntimeError("database is closed")
            self._queue.put(job)

    def close(self) -> None:
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join(timeout=10)
        self._reader.shutdown(wait=True)
        self.write_engine.dispose()
        if self.is_sqlite:
            self.read_engine.dispose()

    # -- the writer thread --------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=_IDLE_AFTER)
            except queue.Empty:
                self._idle()
                continue
            if first is None:
                self._idle()
                self._drop_connection()
                return
            batch = [first]
            self._stopping = False
            self._run_batch(batch)
            if self._stopping:
                self._idle()
                self._drop_connection()
                return

    def _next_waiting(self, batch: list[_Job[UnitT]]) -> _Job[UnitT] | None:
        """A job already waiting, to run in the open batch; None when there is none, the
        batch is full, or the stop signal came (remembered: the loop ends after this batch)."""
        if self._stopping or len(batch) >= _MAX_BATCH:
            return None
        try:
            nxt = self._queue.get_nowait()
        except queue.Empty:
            return None
        if nxt is None:
            self._stopping = True
            return None
        return nxt

    def _idle(self) -> None:
        if self._when_idle is not None:
            try:
                self._when_idle()
            except Exception as exc:
                log.error("idle task failed: %s", exc.__class__.__name__)

    def _run_batch(self, batch: list[_Job[UnitT]]) -> None:
        try:
            try:
                outcomes = self._attempt(batch, absorb=True, savepoints=not self.is_sqlite)
            except _WroteThenFailed:
                # Rare: a job changed rows and then raised. Its changes went with the whole
                # transaction; run the same jobs again, each able to roll back alone.
                outcomes = self._attempt(batch, absorb=True, savepoints=True)
        except Exception as exc:  # the shared commit failed or a retryable conflict
            if len(batch) > 1 or _is_retryable(exc):
                # Fall back to one transaction per job so one job's trouble is its own.
                for job in batch:
                    self._run_alone(job)
                return
            # The type only: a message could quote data the transaction carried.
            log.error("write transaction failed: %s", exc.__class__.__name__)
            self._fail(batch[0], exc)
            return
        self._settle(outcomes)

    def _run_alone(self, job: _Job[UnitT]) -> None:
        last: BaseException | None = None
        for _ in range(_ATTEMPTS):
            try:
                outcomes = self._attempt([job], absorb=False, savepoints=True)
            except Exception as exc:
                last = exc
                if _is_retryable(exc):
                    continue
                break
            self._settle(outcomes)
            return
        if last is not None:
            log.error("write transaction failed: %s", last.__class__.__name__)
            self._fail(job, last)

    def _connection(self) -> Connection:
        """The writer's own connection, kept between batches (checking one out of the pool
        and returning it costs more than a small batch's statements)."""
        if self._write_conn is None or self._write_conn.closed:
            self._write_conn = self.write_engine.connect()
        return self._write_conn

    def _drop_connection(self) -> None:
        conn, self._write_conn = self._write_conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception as exc:
                log.error("closing the writer's connection failed: %s", exc.__class__.__name__)

    def _attempt(
        self, batch: list[_Job[UnitT]], *, absorb: bool, savepoints: bool
    ) -> list[_Outcome[UnitT]]:
        """Run ``batch`` in one transaction. With ``absorb`` the jobs that arrive while it
        runs join it (``batch`` grows in place), so that under load a batch holds every send
        in flight, not only those that were waiting when it began, at no cost in latency
        when the writer is idle.

        With ``savepoints`` each job runs in its own savepoint. Without (SQLite only), a job
        that raises having changed no row leaves nothing to undo, and one that changed rows
        raises :class:`_WroteThenFailed` after the transaction is rolled back. A savepoint
        makes SQLite copy every page a job changes into its journal, which cost about 6 % of
        the writer's time per send (decision 0027)."""
        outcomes: list[_Outcome[UnitT]] = []
        conn = self._connection()
        counters = self._counters() if self._counters is not None else None
        try:
            with conn.begin():
                if counters is not None:
                    counters.attach(conn)
                try:
                    index = 0
                    while True:
                        if index == len(batch):
                            nxt = self._next_waiting(batch) if absorb else None
                            if nxt is None:
                                break
                            batch.append(nxt)
                        outcomes.append(
                            self._run_job(conn, batch[index], counters, savepoints=savepoints)
                        )
                        index += 1
                    if counters is not None:
                        counters.store(conn)  # in the transaction: a failure rolls it back
                finally:
                    if counters is not None:
                        DeferredCounters.detach(conn)  # before the connection can be reused
        except _WroteThenFailed:
            raise  # rolled back cleanly: the connection is fine
        except BaseException:
            # A failed commit or a lost connection: start the next attempt on a fresh one.
            self._drop_connection()
            raise
        return outcomes

    def _run_job(
        self,
        conn: Connection,
        job: _Job[UnitT],
        counters: DeferredCounters | None,
        *,
        savepoints: bool,
    ) -> _Outcome[UnitT]:
        mark: Mark | None = None
        if counters is not None:
            if counters.holds_sequence_numbers and not defers_sequence_numbers(job.fn):
                # This job may read a conversation's last_seq straight from its row.
                counters.store_sequence_numbers(conn)
            mark = counters.mark()
        unit = self._make_unit(conn, False)
        # Without a savepoint: the rows changed so far, to tell whether a failure left any.
        changes = None if savepoints else _total_changes(conn)
        if savepoints:
            _driver_sql(conn, "SAVEPOINT quietline_job")
        try:
            result = job.fn(unit)
        except Exception as exc:
            if savepoints:
                _driver_sql(conn, "ROLLBACK TO SAVEPOINT quietline_job")
                _driver_sql(conn, "RELEASE SAVEPOINT quietline_job")
            if counters is not None and mark is not None:
                counters.restore(mark)  # as the rollback left the rows
            if _is_retryable(exc):
                raise
            if changes is not None and _total_changes(conn) != changes:
                raise _WroteThenFailed from exc
            return (job, False, exc, None)
        if savepoints:
            _driver_sql(conn, "RELEASE SAVEPOINT quietline_job")
        return (job, True, result, unit)

    def _settle(self, outcomes: list[_Outcome[UnitT]]) -> None:
        committed = [unit for _job, ok, _value, unit in outcomes if ok and unit is not None]
        try:
            self._after_commit(committed)
        except Exception as exc:
            log.error("after-commit work failed: %s", exc.__class__.__name__)
        # One hop onto each waiting event loop for the whole batch, rather than one per job
        # (a concurrent future per job, chained to an asyncio one, cost both threads about
        # 3 % of a send; session 15).
        by_loop: dict[asyncio.AbstractEventLoop, _Answers] = {}
        for job, ok, value, _unit in outcomes:
            if job.waiter is not None:
                by_loop.setdefault(job.waiter.get_loop(), []).append((job.waiter, ok, value))
            elif job.future is not None and job.future.set_running_or_notify_cancel():
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)
        for loop, answers in by_loop.items():
            _answer_on(loop, answers)

    @staticmethod
    def _fail(job: _Job[UnitT], exc: BaseException) -> None:
        if job.waiter is not None:
            _answer_on(job.waiter.get_loop(), [(job.waiter, False, exc)])
        elif job.future is not None and job.future.set_running_or_notify_cancel():
            job.future.set_exception(exc)


def _answer_on(loop: asyncio.AbstractEventLoop, answers: _Answers) -> None:
    # RuntimeError: the loop has closed, so nobody is waiting any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_give_answers, answers)
