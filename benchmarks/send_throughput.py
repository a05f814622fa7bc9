"""Benchmark 1: send throughput through the HTTP API.

    python -m benchmarks.send_throughput [--messages 20000] [--senders 10] [--profile]

Ten staff members (each with their own device session and token) share one channel. Each
sender runs a closed loop on its own keep-alive connection: POST
/api/v1/conversations/{id}/messages, wait for the 201, send the next. Every send takes the
full path: bearer-token authentication, membership check, idempotency check, sequence
number, envelope encryption, audit-chain append, group commit (fsync) and event
publication. The result is messages per second over a fixed count, after a warm-up.

``--listeners N`` also connects N of the members' WebSockets, which then receive every
message live (the fan-out cost on top of the send). ``--profile`` attaches py-spy to the
server for the measured phase and prints where its CPU time went.
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
    ServerProcess,
    loop_name,
    raise_nofile,
    run_async,
    start_server,
    summarize_ms,
    wait_for_quiet,
)
from benchmarks.fixtures import Member, channel_with_members
from benchmarks.profile_report import summarize_profile

FILLER = "Client in room 3 is running ten minutes late; please hold the 2pm slot. "


def prepare(data_dir: Path, senders: int) -> tuple[UUID, list[Member]]:
    return channel_with_members(
        data_dir, senders, "sender", "Send benchmark", owner_signed_in=False
    )


async def _sender(
    client: HttpClient,
    path: str,
    n: int,
    count: int,
    tag: str,
    body_chars: int,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    text = (FILLER * (body_chars // len(FILLER) + 1))[:body_chars]
    for i in range(count):
        if time.perf_counter() > deadline:
            return
        payload = {"body": f"{tag} {n}/{i}: {text}", "idempotency_key": f"{tag}-{n}-{i:07d}"}
        started = time.perf_counter()
        status, raw = await client.request("POST", path, payload)
        latencies.append(time.perf_counter() - started)
        if status != 201:
            errors.append(f"{status} {raw[:200]!r}")
            if len(errors) > 20:
                raise RuntimeError(f"too many failed sends: {errors[:3]}")


async def send_phase(
    clients: list[HttpClient],
    path: str,
    total: int,
    tag: str,
    body_chars: int,
    max_seconds: float,
) -> tuple[float, list[float], list[str]]:
    per_sender = total // len(clients)
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(
        *(
            _sender(c, path, n, per_sender, tag, body_chars, deadline, latencies, errors)
            for n, c in enumerate(clients)
        )
    )
    return time.perf_counter() - started, latencies, errors


async def _listen(
    ws: ClientConnection, counter: list[int], stop: asyncio.Event, closed: list[str]
) -> None:
    while not stop.is_set():
        try:
            raw = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            continue
        except ConnectionClosed:
            closed.append(f"{ws.close_code} {ws.close_reason}")
            return
        if b'"message.created"' in (raw if isinstance(raw, bytes) else raw.encode()):
            counter[0] += 1


async def _open_ws(port: int, token: str) -> ClientConnection:
    ws = await connect(f"ws://{HOST}:{port}/api/v1/ws", open_timeout=10, ping_interval=None)
    await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
    ready = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    if ready.get("type") != "ready":
        raise RuntimeError(f"websocket not ready: {ready}")
    return ws


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_nofile()
    data_dir: Path = args.data_dir
    t0 = time.perf_counter()
    conversation, members = prepare(data_dir, args.senders)
    setup_seconds = time.perf_counter() - t0
    server: ServerProcess = start_server(data_dir, log_level=args.log_level)
    profiler: PySpy | None = None
    listeners: list[ClientConnection] = []
    stop = asyncio.Event()
    received = [0]
    try:
        path = f"/api/v1/conversations/{conversation}/messages"
        clients = [HttpClient(server.port, m.token) for m in members]
        for c in clients:
            await c.connect()
        for m in members[: args.listeners]:
            listeners.append(await _open_ws(server.port, m.token))
        closed: list[str] = []
        listen_tasks = [
            asyncio.ensure_future(_listen(ws, received, stop, closed)) for ws in listeners
        ]
        rss_before = server.rss_kib()
        quiet = await wait_for_quiet([os.getpid(), server.pid], max_wait=args.quiet_wait)
        await send_phase(clients, path, args.warmup, "warmup", args.body_chars, args.max_seconds)
        own = [os.getpid(), server.pid]
        if args.profile:
            profiler = PySpy(server.pid, data_dir / "send-profile.raw")
            profiler.start()
            own.append(profiler.pid)
        background = BackgroundLoad(own)
        background.start()
        cpu_before = server.cpu_seconds()
        elapsed, latencies, errors = await send_phase(
            clients, path, args.messages, "bench", args.body_chars, args.max_seconds
        )
        cpu_used = server.cpu_seconds() - cpu_before
        other_cores = background.cores()
        if profiler is not None:
            profiler.stop()
        rss_after = server.rss_kib()
        await asyncio.sleep(1.0)  # let the listeners drain
        stop.set()
        await asyncio.gather(*listen_tasks)
        for c in clients:
            await c.close()
        sent_ok = len(latencies) - len(errors)
        result: dict[str, Any] = {
            "setup_seconds": round(setup_seconds, 1),
            "senders": args.senders,
            "conversation_members": args.senders + 1,
            "websocket_listeners": args.listeners,
            "body_chars": args.body_chars,
            "warmup_messages": args.warmup,
            "messages_requested": args.messages,
            "messages_sent": sent_ok,
            "errors": len(errors),
            "error_samples": errors[:3],
            "elapsed_seconds": round(elapsed, 3),
            "messages_per_second": round(sent_ok / elapsed, 1),
            "target_messages_per_second": 1500,
            "send_latency_ms": summarize_ms(latencies),
            "server_cpu_seconds": round(cpu_used, 2),
            "server_cpu_cores_busy": round(cpu_used / elapsed, 2),
            "server_cpu_ms_per_message": round(cpu_used / max(sent_ok, 1) * 1000, 3),
            "server_rss_kib": {"before": rss_before, "after": rss_after},
            "live_deliveries_received": received[0],
            "listeners_closed_by_server": len(closed),
            "close_reasons": sorted(set(closed)),
            "client_loop": loop_name(),
            "background_cpu_cores_before": quiet,
            "background_cpu_cores_during": other_cores,
        }
        if profiler is not None:
            result["profile_raw"] = str(profiler.out)
            result["profile"] = summarize_profile(profiler.out, top=args.profile_top)
        return result
    finally:
        stop.set()
        for ws in listeners:
            with contextlib.suppress(Exception):
                await ws.close()
        if profiler is not None:
            profiler.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=1_000)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--listeners", type=int, default=0, help="members with a WebSocket open")
    parser.add_argument("--body-chars", type=int, default=120)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cap per phase")
    parser.add_argument("--log-level", default="INFO", help="server log level (INFO=default)")
    parser.add_argument("--profile", action="store_true", help="py-spy the measured phase")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--quiet-wait", type=float, default=180.0, help="max wait for idle CPU")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "send")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_ROOT / "results")
    args = parser.parse_args()
    if args.listeners > args.senders:
        parser.error("--listeners cannot exceed --senders")
    result = run_async(run(args))
    name = "send-throughput" + (f"-listeners{args.listeners}" if args.listeners else "")
    Report(name, result).write(args.results_dir)


if __name__ == "__main__":
    main()
