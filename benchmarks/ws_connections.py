"""Benchmark 4: thousands of concurrent authenticated WebSockets on one server process.

    python -m benchmarks.ws_connections [--connections 5000] [--compression deflate|none]

2,500 staff with two devices each (5,000 device sessions). Every person is in a 10-person
team channel and in one of five 500-member announcement channels. All 5,000 devices connect
(``{"type": "auth"}``, then ``ready``) and stay connected. Measured:

* the server's resident memory (VmRSS from /proc/<pid>/status) before the connections
  (after a warm-up of a few connections), once all are connected, after holding them, and
  after they closed; memory per connection = (connected - before) / connections;
* how long connecting took, and the server's CPU use while the sockets sit idle (each
  connection re-checks its session every 15 s);
* the fan-out: one message into each announcement channel (a few seconds apart), and the
  time until each of its ~1,000 connected devices has it (``--profile``: py-spy over this
  phase).

Both processes raise their open-file limit (``resource.setrlimit``). The client offers
permessage-deflate as browsers do, unless ``--compression none``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import time
from dataclasses import dataclass, field
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
    rss_kib,
    run_async,
    start_server,
    summarize_ms,
    wait_for_quiet,
)
from benchmarks.fixtures import (
    Member,
    create_group,
    create_practice,
    create_staff,
    new_installation,
    open_services,
    sign_in,
)
from benchmarks.profile_report import summarize_profile

ANNOUNCE_MEMBERS = 499  # plus the owner who creates it: the 500-member maximum


@dataclass
class Plan:
    devices: list[Member]
    announcements: list[UUID]
    senders: list[Member]  # one device per announcement channel, used to post into it
    teams: int
    users: int


@dataclass
class Fanout:
    sent_at: dict[str, float] = field(default_factory=dict)
    received: dict[str, list[float]] = field(default_factory=dict)
    other_frames: int = 0


def prepare(data_dir: Path, connections: int, devices_per_user: int, team_size: int) -> Plan:
    settings = new_installation(data_dir)
    services = open_services(settings)
    try:
        owner = create_practice(services)
        users = connections // devices_per_user
        staff = create_staff(services, owner, users, "staff")
        ids = [uid for uid, _ in staff]
        teams = 0
        for start in range(0, users, team_size):
            create_group(services, owner, f"Team {teams}", ids[start : start + team_size])
            teams += 1
        announcements: list[UUID] = []
        for start in range(0, users, ANNOUNCE_MEMBERS):
            chunk = ids[start : start + ANNOUNCE_MEMBERS]
            announcements.append(
                create_group(services, owner, f"Announcements {len(announcements)}", chunk)
            )
        devices = sign_in(services, [email for _, email in staff], devices_per_user)
        senders = [devices[start * devices_per_user] for start in range(0, users, ANNOUNCE_MEMBERS)]
    finally:
        services.close()
    return Plan(devices, announcements, senders, teams, users)


async def _open(
    port: int, token: str, compression: str | None, fanout: Fanout
) -> tuple[ClientConnection, asyncio.Task[None]]:
    ws = await connect(
        f"ws://{HOST}:{port}/api/v1/ws",
        open_timeout=30,
        ping_interval=None,
        compression=compression,
        max_queue=64,
    )
    await ws.send(orjson.dumps({"type": "auth", "token": token}).decode())
    ready = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
    if ready.get("type") != "ready":
        await ws.close()
        raise RuntimeError(f"not ready: {ready.get('type')}")
    return ws, asyncio.ensure_future(_drain(ws, fanout))


async def _drain(ws: ClientConnection, fanout: Fanout) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for raw in ws:
            received = time.perf_counter()
            frame = orjson.loads(raw)
            if frame.get("type") == "message.created":
                tag = frame["message"]["body"]
                fanout.received.setdefault(tag, []).append(received)
            else:
                fanout.other_frames += 1


async def run(args: argparse.Namespace) -> dict[str, Any]:
    client_nofile = raise_nofile(max(65_536, args.connections * 2 + 1000))
    started = time.perf_counter()
    plan = prepare(args.data_dir, args.connections, args.devices_per_user, args.team_size)
    setup_seconds = time.perf_counter() - started
    server = start_server(args.data_dir, log_level=args.log_level)
    compression = None if args.compression == "none" else "deflate"
    fanout = Fanout()
    opened: list[tuple[ClientConnection, asyncio.Task[None]]] = []
    try:
        # Warm-up: a few connections load every lazily imported part of the server.
        for device in plan.devices[:20]:
            ws, task = await _open(server.port, device.token, compression, fanout)
            await ws.close()
            task.cancel()
        await asyncio.sleep(2)
        own = [os.getpid(), server.pid]
        quiet = await wait_for_quiet(own, max_wait=args.quiet_wait)
        background = BackgroundLoad(own)
        background.start()
        rss_before = server.rss_kib()

        semaphore = asyncio.Semaphore(args.concurrency)
        failures: list[str] = []

        async def open_one(device: Member) -> None:
            async with semaphore:
                try:
                    opened.append(await _open(server.port, device.token, compression, fanout))
                except (OSError, TimeoutError, RuntimeError, ConnectionClosed) as exc:
                    failures.append(exc.__class__.__name__)

        connect_started = time.perf_counter()
        cpu_before_connect = server.cpu_seconds()
        await asyncio.wait_for(
            asyncio.gather(*(open_one(d) for d in plan.devices[: args.connections])),
            timeout=args.connect_timeout,
        )
        connect_seconds = time.perf_counter() - connect_started
        connect_cpu = server.cpu_seconds() - cpu_before_connect
        await asyncio.sleep(5)
        rss_connected = server.rss_kib()

        cpu_before_hold = server.cpu_seconds()
        await asyncio.sleep(args.hold_seconds)
        idle_cpu = (server.cpu_seconds() - cpu_before_hold) / args.hold_seconds
        rss_held = server.rss_kib()
        other_cores = background.cores()
        still_open = sum(1 for ws, _ in opened if ws.state.name == "OPEN")

        fanout_results = []
        profiler: PySpy | None = None
        if args.profile:
            profiler = PySpy(server.pid, args.data_dir / "fanout-profile.raw")
            profiler.start()
        for n, (conversation, sender) in enumerate(
            zip(plan.announcements, plan.senders, strict=True)
        ):
            if n >= args.fanout_messages:
                break
            tag = f"announcement {n}"
            client = HttpClient(server.port, sender.token)
            fanout.sent_at[tag] = time.perf_counter()
            await client.json(
                "POST",
                f"/api/v1/conversations/{conversation}/messages",
                {"body": tag, "idempotency_key": f"fanout-{n:04d}"},
            )
            await client.close()
            deadline = time.perf_counter() + args.fanout_timeout
            expected = min(ANNOUNCE_MEMBERS, plan.users - n * ANNOUNCE_MEMBERS)
            expected *= args.devices_per_user
            while len(fanout.received.get(tag, [])) < expected and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            arrivals = [t - fanout.sent_at[tag] for t in fanout.received.get(tag, [])]
            fanout_results.append(
                {"expected": expected, "received": len(arrivals), **summarize_ms(arrivals)}
            )
            await asyncio.sleep(args.fanout_gap)
        profile: dict[str, Any] | None = None
        if profiler is not None:
            profiler.stop()
            profile = summarize_profile(profiler.out)

        client_rss = rss_kib(os.getpid())
        close_started = time.perf_counter()
        await _close_all(opened)
        close_seconds = time.perf_counter() - close_started
        opened.clear()
        gc.collect()
        await asyncio.sleep(5)
        rss_closed = server.rss_kib()
        connected = args.connections - len(failures)
        return {
            "setup_seconds": round(setup_seconds, 1),
            "users": plan.users,
            "devices_per_user": args.devices_per_user,
            "team_channels": plan.teams,
            "announcement_channels": len(plan.announcements),
            "compression": args.compression,
            "connections_requested": args.connections,
            "connections_ready": connected,
            "connection_failures": len(failures),
            "failure_kinds": sorted(set(failures)),
            "still_open_after_hold": still_open,
            "connect_seconds": round(connect_seconds, 2),
            "connections_per_second": round(connected / connect_seconds, 1),
            "server_cpu_seconds_connecting": round(connect_cpu, 2),
            "server_rss_kib": {
                "before": rss_before,
                "connected": rss_connected,
                "after_hold": rss_held,
                "after_close": rss_closed,
            },
            "server_kib_per_connection": round((rss_connected - rss_before) / max(connected, 1), 1),
            "server_idle_cpu_cores_while_held": round(idle_cpu, 3),
            "hold_seconds": args.hold_seconds,
            "fanout_ms": fanout_results,
            "fanout_gap_seconds": args.fanout_gap,
            "fanout_profile": profile,
            "close_seconds": round(close_seconds, 2),
            "client_rss_kib": client_rss,
            "client_nofile_limit": client_nofile,
            "client_loop": loop_name(),
            "background_cpu_cores_before": quiet,
            "background_cpu_cores_during_connect_and_hold": other_cores,
        }
    finally:
        await _close_all(opened)
        server.stop()


async def _close_all(opened: list[tuple[ClientConnection, asyncio.Task[None]]]) -> None:
    async def close(ws: ClientConnection, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
        task.cancel()

    for start in range(0, len(opened), 500):
        await asyncio.gather(*(close(ws, t) for ws, t in opened[start : start + 500]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--devices-per-user", type=int, default=2)
    parser.add_argument("--team-size", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, default=300.0)
    parser.add_argument("--hold-seconds", type=float, default=35.0)
    parser.add_argument("--fanout-messages", type=int, default=5)
    parser.add_argument("--fanout-timeout", type=float, default=30.0)
    parser.add_argument("--fanout-gap", type=float, default=3.0, help="seconds between fan-outs")
    parser.add_argument("--profile", action="store_true", help="py-spy the fan-out phase")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--quiet-wait", type=float, default=180.0, help="max wait for idle CPU")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "ws-connections")
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_ROOT / "results")
    args = parser.parse_args()
    result = run_async(run(args))
    suffix = "" if args.compression == "deflate" else "-no-compression"
    Report("ws-connections" + suffix, result).write(args.results_dir)


if __name__ == "__main__":
    main()
