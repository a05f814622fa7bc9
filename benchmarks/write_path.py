"""The send's write job on the group-commit writer alone: no HTTP, no event loop.

    python -m benchmarks.write_path [--rounds 3] [--messages 10000] [--batch 10]

In-process, SQLite, in a fresh data folder with the send benchmark's channel (ten senders,
each with their own device session). Each round submits sends ``--batch`` at a time, as ten
closed-loop senders do, with the job the send route runs (``SendJob``: the session checked
in the transaction, membership, sequence number, sealing, the message row, its audit entry),
and waits for the batch before the next. Reports per round: sends a second, the process's
and the writer thread's CPU per send. Then one traced batch: the SQL statements the writer
ran per send, by kind, and the WAL frames its commit appended.

Benchmark 1 (``send_throughput``) measures the whole route; this one isolates the writer,
whose thread is where most of a send's CPU goes, so a change to the write path can be
measured without the HTTP client's noise on the shared cores.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import wait
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

from benchmarks.common import DEFAULT_ROOT, Report, bench_settings, run_async, wait_for_quiet
from benchmarks.fixtures import Member, channel_with_members, open_services
from quietline.actions.auth import SessionToken
from quietline.api.routes.conversations import SendJob
from quietline.api.schemas import SendIn
from quietline.app import Services
from quietline.storage.unit import Unit

FILLER = "Client in room 3 is running ten minutes late; please hold the 2pm slot. "
# Bytes in a WAL file before its first frame, and before each page (sqlite.org/fileformat.html).
WAL_HEADER = 32
WAL_FRAME_HEADER = 24


def _thread_cpu_seconds(native_id: int) -> float:
    raw = Path(f"/proc/self/task/{native_id}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _writer_native_id() -> int:
    for thread in threading.enumerate():
        if thread.name == "quietline-writer" and thread.native_id is not None:
            return thread.native_id
    raise RuntimeError("no writer thread")


class Sends:
    """Numbered sends from the channel's members, in turn."""

    def __init__(self, services: Services, conversation: UUID, members: list[Member]) -> None:
        self._services = services
        self._conversation = conversation
        self._tokens = [SessionToken(m.token) for m in members]
        self._text = (FILLER * 2)[:120]
        self._next = 0

    def batch(self, size: int) -> None:
        """Submit ``size`` sends at once and wait for all of them."""
        futures = []
        for _ in range(size):
            n = self._next
            self._next += 1
            body = SendIn(body=f"{n} {self._text}", idempotency_key=f"write-path-{n:09d}")
            job = SendJob(self._tokens[n % len(self._tokens)], self._conversation, body)
            futures.append(self._services.db.submit_write(job))
        wait(futures)
        for future in futures:
            future.result()  # a failed send fails the benchmark


def _round(sends: Sends, messages: int, batch: int, writer: int) -> dict[str, float]:
    wall, process, thread = time.perf_counter(), time.process_time(), _thread_cpu_seconds(writer)
    for _ in range(messages // batch):
        sends.batch(batch)
    elapsed = time.perf_counter() - wall
    count = messages // batch * batch
    return {
        "messages": count,
        "seconds": round(elapsed, 3),
        "messages_per_second": round(count / elapsed, 1),
        "process_cpu_ms_per_message": round((time.process_time() - process) / count * 1000, 3),
        "writer_cpu_ms_per_message": round(
            (_thread_cpu_seconds(writer) - thread) / count * 1000, 3
        ),
    }


def _traced_batch(services: Services, sends: Sends, batch: int, wal: Path) -> dict[str, Any]:
    """One batch with SQLite's statement trace on: what the writer runs per send."""
    statements: list[str] = []

    def trace(on: bool) -> None:
        def job(unit: Unit) -> None:
            driver = unit.conn.connection.dbapi_connection
            assert driver is not None
            driver.set_trace_callback(statements.append if on else None)

        services.db.write_sync(job)

    trace(True)
    # Empty the WAL (the writer is idle between batches), so its size afterwards is the batch's.
    with closing(sqlite3.connect(wal.with_name(wal.name.removesuffix("-wal")))) as checkpoint:
        busy, _, _ = checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    statements.clear()
    sends.batch(batch)
    batch_statements = list(statements)
    trace(False)
    page_size = services.db.read_sync(
        lambda unit: int(unit.conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    )
    kinds = Counter(" ".join(s.split()[:2]).upper() for s in batch_statements)
    frames = (wal.stat().st_size - WAL_HEADER) / (page_size + WAL_FRAME_HEADER)
    return {
        "statements_per_message": round(len(batch_statements) / batch, 2),
        "statement_kinds": dict(kinds.most_common()),
        "wal_frames_per_commit": round(frames, 1) if not busy else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=10_000, help="per round")
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=10, help="sends submitted together")
    parser.add_argument("--quiet-wait", type=float, default=180.0)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "write-path")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_ROOT / "results")
    args = parser.parse_args()
    if args.batch < 1 or args.messages < args.batch or args.rounds < 1:
        parser.error("need --batch >= 1, --messages >= --batch and --rounds >= 1")

    conversation, members = channel_with_members(
        args.data_dir, 10, "writer", "Write path benchmark", owner_signed_in=False
    )
    settings = bench_settings(args.data_dir)
    services = open_services(settings)
    try:
        sends = Sends(services, conversation, members)
        for _ in range(args.warmup // args.batch):
            sends.batch(args.batch)
        background = run_async(wait_for_quiet([os.getpid()], max_wait=args.quiet_wait))
        writer = _writer_native_id()
        rounds = [_round(sends, args.messages, args.batch, writer) for _ in range(args.rounds)]
        traced = _traced_batch(services, sends, args.batch, args.data_dir / "quietline.db-wal")
    finally:
        services.close()
    report = Report(
        "write-path",
        {
            "batch": args.batch,
            "warmup_messages": args.warmup,
            "background_cpu_cores_before": background,
            "rounds": rounds,
            "best_messages_per_second": max(r["messages_per_second"] for r in rounds),
            "traced_batch": traced,
        },
    )
    report.write(args.results_dir)


if __name__ == "__main__":
    main()
