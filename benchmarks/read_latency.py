"""Benchmark 3: reading history and the conversation list on a large database.

    python -m benchmarks.read_latency [--requests 2000] [--reseed]

The data set (built once, then reused from the data folder and migrated to this code's schema
first; ``--reseed`` rebuilds it):
60 staff; one reader who is a member of 200 conversations (59 direct, 141 channels of 3-12
members) holding 1,000,000 messages in all, one channel alone holding 100,000. Bodies are
real ciphertext: each message is sealed with its own data key under its conversation's key by
``quietline.crypto.fields.seal_message_body`` and inserted in batches through the message
table inside ``services.db.write_sync``. Seeded messages have no audit entries of their own.
The reader has read most conversations: about half are fully read, the others have 1-20
unread messages.

Measured, one request at a time, after a warm-up:

* GET /conversations/{big}/messages?limit=50 (the latest 50 of 100,000). This route is a
  write: it records the view in the audit chain, so every request commits (fsync).
* GET /conversations (200 conversations with unread counts and member lists).
* The same list when the reader has read nothing at all (every message unread: the worst case).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import select, update

from benchmarks.common import (
    DEFAULT_ROOT,
    BackgroundLoad,
    HttpClient,
    PySpy,
    Report,
    loop_name,
    raise_nofile,
    run_async,
    sign_in_http,
    start_server,
    summarize_ms,
    wait_for_quiet,
)
from benchmarks.fixtures import (
    actor_for,
    create_direct,
    create_group,
    create_practice,
    create_staff,
    new_installation,
    open_services,
)
from benchmarks.profile_report import summarize_profile
from quietline.app import Services
from quietline.config import Settings
from quietline.crypto.fields import seal_message_body
from quietline.domain.ids import time_ordered_id
from quietline.storage.migrate import current_revision, head_revision, known_revisions, upgrade
from quietline.storage.tables import conversation_members, conversations, messages
from quietline.storage.unit import Unit

BODIES = [
    "Running 10 minutes late, please let my 2pm know.",
    "Room 3 is free after 1, I booked it for the family session.",
    "Can you cover the intake call at 4? I have a conflict with supervision.",
    "Reminder: case consultation moved to Thursday 12:30. Bring the two files we discussed "
    "last week, and the updated safety plan for the adolescent group.",
    "Thanks!",
    "Insurance called back about the authorization; they need the treatment plan faxed by "
    "Friday. I left the form in your tray. Let me know if anything is missing from it.",
]
MARKER = "dataset.json"


@dataclass(frozen=True)
class Dataset:
    reader_email: str
    big_conversation: UUID
    conversations: int
    messages: int
    seed_seconds: float


def _seal_batch(
    unit: Unit, conversation_id: UUID, start_seq: int, count: int, senders: list[UUID], t0: datetime
) -> None:
    conversation = unit.conversations.get(_practice_id(unit), conversation_id)
    if conversation is None:
        raise RuntimeError("conversation vanished")
    key = unit.conversation_key(conversation)
    rows = []
    for seq in range(start_seq, start_seq + count):
        message_id = time_ordered_id()  # as sends make them (decision 0024)
        body = f"{BODIES[seq % len(BODIES)]} (#{seq})"
        sealed = seal_message_body(key, conversation.practice_id, conversation_id, message_id, body)
        rows.append(
            {
                "id": message_id,
                "practice_id": conversation.practice_id,
                "conversation_id": conversation_id,
                "seq": seq,
                "sender_id": senders[seq % len(senders)],
                "idempotency_key": f"seed-{conversation_id.hex[:8]}-{seq:08d}",
                "body_sealed": sealed.body,
                "dek_wrapped": sealed.wrapped_dek,
                "urgent": seq % 97 == 0,
                "created_at": t0 + timedelta(seconds=seq * 7),
                "expires_at": None,
                "recalled_at": None,
            }
        )
    unit.conn.execute(messages.insert(), rows)


def _practice_id(unit: Unit) -> UUID:
    practice = unit.practices.get_by_slug("bench")
    if practice is None:
        raise RuntimeError("no practice")
    return practice.id


def _finish_conversation(
    unit: Unit, conversation_id: UUID, last_seq: int, last_at: datetime, reader: UUID, unread: int
) -> None:
    unit.conn.execute(
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(last_seq=last_seq, last_activity_at=last_at)
    )
    unit.conn.execute(
        update(conversation_members)
        .where(conversation_members.c.conversation_id == conversation_id)
        .values(delivered_seq=last_seq, seen_seq=last_seq)
    )
    unit.conn.execute(
        update(conversation_members)
        .where(
            conversation_members.c.conversation_id == conversation_id,
            conversation_members.c.user_id == reader,
        )
        .values(seen_seq=max(0, last_seq - unread))
    )


def seed(settings: Settings, args: argparse.Namespace) -> Dataset:
    rng = random.Random(20240601)
    started = time.perf_counter()
    services: Services = open_services(settings)
    try:
        owner = create_practice(services)
        staff = create_staff(services, owner, args.staff, "staff")
        reader_id, reader_email = staff[0]
        reader = actor_for(services, reader_email)
        others = [uid for uid, _ in staff[1:]]
        plan: list[tuple[UUID, list[UUID]]] = []
        big_members = [reader_id, *rng.sample(others, 9)]
        big = create_group(services, owner, "All clinicians", big_members)
        plan.append((big, big_members))
        for other in others:
            if len(plan) >= args.conversations:
                break
            plan.append((create_direct(services, reader, other), [reader_id, other]))
        n = 0
        while len(plan) < args.conversations:
            members = [reader_id, *rng.sample(others, rng.randint(2, 11))]
            plan.append((create_group(services, owner, f"Team {n}", members), members))
            n += 1
        rest = args.messages - args.big_messages
        weights = [rng.uniform(0.2, 1.8) for _ in plan[1:]]
        scale = rest / sum(weights)
        counts = [args.big_messages] + [int(w * scale) for w in weights]
        counts[1] += args.messages - sum(counts)
        now = datetime.now(UTC)
        done = 0
        for (cid, members), count in zip(plan, counts, strict=True):
            t0 = now - timedelta(seconds=count * 7 + rng.randint(60, 30 * 86400))
            for start in range(1, count + 1, args.batch):
                size = min(args.batch, count + 1 - start)
                services.db.write_sync(
                    partial(
                        _seal_batch,
                        conversation_id=cid,
                        start_seq=start,
                        count=size,
                        senders=members,
                        t0=t0,
                    )
                )
                done += size
            unread = 0 if rng.random() < 0.5 else rng.randint(1, 20)
            last_at = t0 + timedelta(seconds=count * 7)
            services.db.write_sync(
                partial(
                    _finish_conversation,
                    conversation_id=cid,
                    last_seq=count,
                    last_at=last_at,
                    reader=reader_id,
                    unread=unread,
                )
            )
            print(f"seeded {done:,} messages ({time.perf_counter() - started:.0f}s)", flush=True)
    finally:
        services.close()
    dataset = Dataset(
        reader_email, big, len(plan), args.messages, round(time.perf_counter() - started, 1)
    )
    (settings.data_dir / MARKER).write_text(
        json.dumps(
            {**dataset.__dict__, "big_conversation": str(big), "big_messages": args.big_messages}
        )
    )
    return dataset


def _bring_schema_up_to_date(data_dir: Path) -> None:
    """A reused data set gets this code's migrations, as an operator's upgrade would give it;
    one made by newer code cannot be measured with older code (the server would refuse it)."""
    from benchmarks.common import bench_settings  # noqa: PLC0415

    url = bench_settings(data_dir).resolved_database_url()
    found = current_revision(url)
    if found not in known_revisions():
        raise SystemExit(
            f"the data set in {data_dir} has schema revision {found}, which this code does not "
            "know (made by newer code?): run with --reseed"
        )
    if found != head_revision():
        print(f"migrating the reused data set from schema {found} to {head_revision()}")
        upgrade(url)


def load_or_seed(args: argparse.Namespace) -> Dataset:
    marker = args.data_dir / MARKER
    if marker.exists() and not args.reseed:
        raw = json.loads(marker.read_text())
        same = (raw["messages"], raw["conversations"], raw.pop("big_messages", None)) == (
            args.messages,
            args.conversations,
            args.big_messages,
        )
        if same:
            _bring_schema_up_to_date(args.data_dir)
            raw["big_conversation"] = UUID(raw["big_conversation"])
            return Dataset(**raw)
    settings = new_installation(args.data_dir)
    return seed(settings, args)


def _set_seen(data_dir: Path, reader_email: str, seen: dict[UUID, int] | None) -> dict[UUID, int]:
    """Set the reader's seen cursors (None: nothing read); returns the previous cursors."""
    from benchmarks.common import bench_settings  # noqa: PLC0415

    services = open_services(bench_settings(data_dir))
    try:
        reader = actor_for(services, reader_email)

        def job(unit: Unit) -> dict[UUID, int]:
            mine = conversation_members.c.user_id == reader.user_id
            rows = unit.conn.execute(
                select(
                    conversation_members.c.conversation_id, conversation_members.c.seen_seq
                ).where(mine)
            )
            before = {r.conversation_id: int(r.seen_seq) for r in rows}
            for cid in before:
                unit.conn.execute(
                    update(conversation_members)
                    .where(mine, conversation_members.c.conversation_id == cid)
                    .values(seen_seq=0 if seen is None else seen.get(cid, 0))
                )
            return before

        return services.db.write_sync(job)
    finally:
        services.close()


def _template(path: str) -> str:
    parts = path.split("?", maxsplit=1)[0].split("/")
    return "/".join("{id}" if len(p) == 36 and p.count("-") == 4 else p for p in parts)


async def _measure(
    client: HttpClient,
    path: str,
    count: int,
    warmup: int,
    check: Any,
    server_pid: int,
    profiler: PySpy | None = None,
    quiet_wait: float = 180.0,
) -> dict[str, Any]:
    latencies = []
    own = [os.getpid(), server_pid]
    quiet = await wait_for_quiet(own, max_wait=quiet_wait)
    background = BackgroundLoad(own)
    for i in range(warmup + count):
        if i == warmup:
            if profiler is not None:
                profiler.start()
                own.append(profiler.pid)
            background.start()
        started = time.perf_counter()
        status, raw = await client.request("GET", path)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {raw[:200]!r}")
        if i == 0:
            check(orjson.loads(raw))
        if i >= warmup:
            latencies.append(elapsed)
    result: dict[str, Any] = {
        "path": _template(path),
        "response_bytes": len(raw),
        **summarize_ms(latencies),
        "background_cpu_cores_before": quiet,
        "background_cpu_cores_during": background.cores(),
    }
    if profiler is not None:
        profiler.stop()
        result["profile_raw"] = str(profiler.out)
        result["profile"] = summarize_profile(profiler.out)
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_nofile()
    dataset = load_or_seed(args)
    server = start_server(args.data_dir, log_level=args.log_level)
    try:
        token = await sign_in_http(server.port, dataset.reader_email)
        client = HttpClient(server.port, token)
        await client.connect()

        def check_page(body: Any) -> None:
            if len(body["messages"]) != 50 or not body["has_more"]:
                raise RuntimeError("expected a full page of 50 with more before it")

        def check_list(body: Any) -> None:
            if len(body) != dataset.conversations:
                raise RuntimeError(f"expected {dataset.conversations} conversations")

        def spy(phase: str) -> PySpy | None:
            if not args.profile:
                return None
            return PySpy(server.pid, args.data_dir / f"read-{phase}-profile.raw")

        history = await _measure(
            client,
            f"/api/v1/conversations/{dataset.big_conversation}/messages?limit=50",
            args.requests,
            args.warmup,
            check_page,
            server.pid,
            spy("history"),
            args.quiet_wait,
        )
        listing = await _measure(
            client,
            "/api/v1/conversations",
            args.list_requests,
            args.warmup,
            check_list,
            server.pid,
            spy("list"),
            args.quiet_wait,
        )
        await client.close()
        worst: dict[str, Any] | None = None
        if args.worst_requests:
            saved = _set_seen(args.data_dir, dataset.reader_email, None)
            try:
                client = HttpClient(server.port, token)
                worst = await _measure(
                    client,
                    "/api/v1/conversations",
                    args.worst_requests,
                    3,
                    check_list,
                    server.pid,
                    spy("worst"),
                    args.quiet_wait,
                )
                await client.close()
            finally:
                _set_seen(args.data_dir, dataset.reader_email, saved)
        return {
            "dataset": {
                "conversations_of_reader": dataset.conversations,
                "messages_total": dataset.messages,
                "messages_in_big_conversation": args.big_messages,
                "seed_seconds": dataset.seed_seconds,
                "database_mib": round(
                    (args.data_dir / "quietline.db").stat().st_size / 1024 / 1024, 1
                ),
            },
            "history_latest_50": {**history, "target_p99_ms": 10},
            "conversation_list": {**listing, "target_p99_ms": 15},
            "conversation_list_nothing_read": worst,
            "server_rss_kib": server.rss_kib(),
            "client_loop": loop_name(),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="history requests")
    parser.add_argument("--list-requests", type=int, default=1000)
    parser.add_argument("--worst-requests", type=int, default=50, help="0 to skip")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--big-messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--batch", type=int, default=5000, help="messages per seeding commit")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy each measured phase")
    parser.add_argument("--quiet-wait", type=float, default=180.0, help="max wait for idle CPU")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "read-1m")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_ROOT / "results")
    args = parser.parse_args()
    result = run_async(run(args))
    Report("read-latency", result).write(args.results_dir)


if __name__ == "__main__":
    main()
