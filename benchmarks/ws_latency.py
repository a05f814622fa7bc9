"""Benchmark 2: send -> WebSocket delivery latency.

    python -m benchmarks.ws_latency [--rate 20] [--messages 600] [--members 50] [--ack]

A 50-member channel with every member's device connected over a WebSocket (each its own
session; the client offers permessage-deflate as browsers do). Messages are sent through the
HTTP API at a fixed rate (open loop: a slow answer does not delay the next send), each by a
different member in turn. For every message and every connected device the latency is
(time the ``message.created`` frame was read) - (time the POST was started), measured with
one monotonic clock in this process. Every member's socket counts, the sender's own device
included.

All 50 sockets are read by this one client process, so the numbers include the client's own
per-frame work (a real recipient has its own device). ``--ack`` makes every device
acknowledge each message as a real client does (``{"type": "ack"}``: a delivery receipt,
an audit entry and a ``receipt.updated`` event to every member), which is the heavier,
realistic load; ``--ack-every 1`` makes each device coalesce its acks to one per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.common import (
    DEFAULT_ROOT,
    HOST,
    BackgroundLoad,
    HttpClient,
    PySpy,
    Report,
    loop_name,
    raise_nofile,
    run_async,
    start_server,
    summarize_ms,
    wait_for_quiet,
)
from benchmarks.fixtures import Member, channel_with_members
from benchmarks.profile_report import summarize_profile

BODY = "Front desk: the 3pm client has arrived and is waiting in room 2."


def prepare(data_dir: Path, members: int) -> tuple[UUID, list[Member]]:
    return channel_with_members(data_dir, members, "member", "Latency", owner_signed_in=True)


class Collector:
    """Send times, receive latencies and counts, shared by the sender and all readers."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.latency: dict[int, list[float]] = {}
        self.send_latency: list[float] = []
        self.send_errors: list[str] = []
        self.other_frames = 0
        self.deliveries = 0
        self.all_delivered = asyncio.Event()
        self.expected = 0
        self.closed_by_server: list[str] = []


async def _reader(
    ws: ClientConnection, conversation: UUID, collector: Collector, ack_every: float | None
) -> None:
    """Read frames until the socket closes; acknowledge deliveries when ``ack_every`` is set
    (0: each message at once; otherwise at most once per that many seconds, all pending)."""
    cid = str(conversation)
    pending: list[str] = []
    last_ack = 0.0
    try:
        async for raw in ws:
            received = time.perf_counter()
            frame = orjson.loads(raw)
            if frame.get("type") != "message.created":
                collector.other_frames += 1
                continue
            message = frame["message"]
            n = int(message["body"].split(" ", 2)[1])
            sent = collector.sent_at.get(n)
            if sent is not None:
                collector.latency.setdefault(n, []).append(received - sent)
            collector.deliveries += 1
            if collector.deliveries >= collector.expected > 0:
                collector.all_delivered.set()
            if ack_every is None:
                continue
            pending.append(message["id"])
            if received - last_ack >= ack_every:
                last_ack = received
                ack = {
                    "type": "ack",
                    "conversation_id": cid,
                    "up_to_seq": message["seq"],
                    "message_ids": pending,
                }
                pending = []
                await ws.send(orjson.dumps(ack).decode())
    except ConnectionClosed:
        pass
    if ws.close_code is not None and ws.close_code != 1000:
        collector.closed_by_server.append(f"{ws.close_code} {ws.close_reason}")


async def _send(
    client: HttpClient, lock: asyncio.Lock, path: str, n: int, collector: Collector
) -> None:
    async with lock:
        payload = {"body": f"lat {n} {BODY}", "idempotency_key": f"latency-{n:07d}"}
        started = time.perf_counter()
        collector.sent_at[n] = started
        status, raw = await client.request("POST", path, payload)
        collector.send_latency.append(time.perf_counter() - started)
        if status != 201:
            collector.send_errors.append(f"{status} {raw[:200]!r}")


async def _open_ws(port: int, token: str, compression: str | None) -> ClientConnection:
    ws = await connect(
        f"ws://{HOST}:{port}/api/v1/ws",
        open_timeout=10,
        ping_interval=None,
        compression=compression,
    )
    await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
    ready = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    if ready.get("type") != "ready":
        raise RuntimeError(f"websocket not ready: {ready}")
    return ws


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_nofile()
    data_dir: Path = args.data_dir
    t0 = time.perf_counter()
    conversation, people = prepare(data_dir, args.members)
    setup_seconds = time.perf_counter() - t0
    server = start_server(data_dir, log_level=args.log_level)
    sockets: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []
    profiler: PySpy | None = None
    compression = None if args.compression == "none" else "deflate"
    ack_every: float | None = args.ack_every if args.ack else None
    try:
        for person in people:
            sockets.append(await _open_ws(server.port, person.token, compression))
        collector = Collector()
        readers = [
            asyncio.ensure_future(_reader(ws, conversation, collector, ack_every)) for ws in sockets
        ]
        clients = [HttpClient(server.port, p.token) for p in people]
        for c in clients:
            await c.connect()
        locks = [asyncio.Lock() for _ in clients]
        path = f"/api/v1/conversations/{conversation}/messages"
        total = args.warmup + args.messages
        collector.expected = total * len(sockets)
        quiet = await wait_for_quiet([os.getpid(), server.pid], max_wait=args.quiet_wait)
        own = [os.getpid(), server.pid]
        if args.profile:
            profiler = PySpy(server.pid, data_dir / "ws-latency-profile.raw")
            profiler.start()
            own.append(profiler.pid)
        background = BackgroundLoad(own)
        background.start()
        cpu_before = server.cpu_seconds()
        start = time.perf_counter()
        sends: list[asyncio.Task[None]] = []
        for n in range(total):
            delay = start + n / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            k = n % len(clients)
            sends.append(asyncio.ensure_future(_send(clients[k], locks[k], path, n, collector)))
        await asyncio.wait_for(asyncio.gather(*sends), timeout=60)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(collector.all_delivered.wait(), timeout=args.drain_seconds)
        elapsed = time.perf_counter() - start
        cpu_used = server.cpu_seconds() - cpu_before
        other_cores = background.cores()
        if profiler is not None:
            profiler.stop()
        measured = range(args.warmup, total)
        latencies = [x for n in measured for x in collector.latency.get(n, [])]
        slowest = [max(collector.latency[n]) for n in measured if collector.latency.get(n)]
        missing = sum(len(sockets) - len(collector.latency.get(n, [])) for n in measured)
        for c in clients:
            await c.close()
        result: dict[str, Any] = {
            "setup_seconds": round(setup_seconds, 1),
            "members_connected": len(sockets),
            "rate_per_second": args.rate,
            "acks": args.ack,
            "ack_every_seconds": ack_every,
            "compression": args.compression,
            "warmup_messages": args.warmup,
            "messages_measured": args.messages,
            "deliveries_measured": len(latencies),
            "deliveries_missing": missing,
            "send_errors": len(collector.send_errors),
            "error_samples": collector.send_errors[:3],
            "delivery_latency_ms": summarize_ms(latencies),
            "slowest_recipient_per_message_ms": summarize_ms(slowest),
            "send_http_latency_ms": summarize_ms(collector.send_latency[args.warmup :]),
            "message_frames_received": collector.deliveries,
            "other_frames_received": collector.other_frames,
            "sockets_closed_by_server": len(collector.closed_by_server),
            "close_reasons": sorted(set(collector.closed_by_server)),
            "target_p99_ms": 25,
            "server_cpu_cores_busy": round(cpu_used / elapsed, 2),
            "server_rss_kib": server.rss_kib(),
            "client_loop": loop_name(),
            "background_cpu_cores_before": quiet,
            "background_cpu_cores_during": other_cores,
        }
        if profiler is not None:
            result["profile_raw"] = str(profiler.out)
            result["profile"] = summarize_profile(profiler.out)
        return result
    finally:
        for task in readers:
            task.cancel()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        if profiler is not None:
            profiler.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--messages", type=int, default=600, help="measured messages")
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--ack", action="store_true", help="devices acknowledge deliveries")
    parser.add_argument(
        "--ack-every", type=float, default=0.0, help="with --ack: seconds between acks (0: each)"
    )
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--drain-seconds", type=float, default=15.0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--quiet-wait", type=float, default=180.0, help="max wait for idle CPU")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "ws-latency")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_ROOT / "results")
    args = parser.parse_args()
    result = run_async(run(args))
    name = "ws-latency"
    if args.ack:
        name += "-ack" if args.ack_every == 0 else f"-ack-every-{args.ack_every:g}s"
    Report(name, result).write(args.results_dir)


if __name__ == "__main__":
    main()
