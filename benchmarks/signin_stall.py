"""How long one sign-in holds up a write queued behind it (production argon2id settings).

    python -m benchmarks.signin_stall [--rounds 15]

In-process, SQLite in a fresh data folder: a sign-in starts, and 2 ms later an empty write is
queued, as a send would be; its wait is measured. Two ways of signing in, alternating:
``in-writer`` (the argon2id check inside the write job, as before session 12) and
``checked-first`` (the hash read on the read pool, checked on a worker thread, the verdict
handed to the write: what ``POST /auth/sign-in`` does now; decision 0003).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from benchmarks.common import DEFAULT_ROOT
from quietline.actions.auth import SignInRequest, do_sign_in
from quietline.actions.practices import do_create_practice
from quietline.api.routes.auth import check_password_first
from quietline.app import Services, build_services, ensure_key_files
from quietline.config import Settings
from quietline.storage.migrate import upgrade

PASSWORD = "a long enough passphrase 1"  # noqa: S105 - the benchmark's own account
REQUEST = SignInRequest(
    practice_slug="stall",
    email="owner@stall.test",
    password=PASSWORD,
    device_name="benchmark",
    address="127.0.0.1",
)


def _services(data_dir: Path) -> Services:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    settings = Settings(data_dir=data_dir)  # argon2id at its defaults, as in production
    ensure_key_files(settings)
    upgrade(settings.resolved_database_url())
    services = build_services(settings)
    services.db.write_sync(
        lambda unit: do_create_practice(
            unit,
            services.passwords,
            slug=REQUEST.practice_slug,
            name="Stall",
            owner_email=REQUEST.email,
            owner_name="Owner",
            owner_password=PASSWORD,
        )
    )
    return services


async def _in_writer(services: Services) -> None:
    await services.db.write(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, REQUEST)
    )


async def _checked_first(services: Services) -> None:
    verdict = await check_password_first(services, REQUEST)  # the route's own step
    await services.db.write(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, REQUEST, verdict)
    )


async def _waits(
    services: Services, sign_in: Callable[[Services], Coroutine[Any, Any, None]], rounds: int
) -> list[float]:
    waits = []
    for _ in range(rounds):
        task = asyncio.create_task(sign_in(services))
        await asyncio.sleep(0.002)  # the sign-in is under way
        started = time.perf_counter()
        await services.db.write(lambda unit: None)
        waits.append((time.perf_counter() - started) * 1000)
        await task
    return waits


async def _main(services: Services, rounds: int) -> None:
    services.hub.bind(asyncio.get_running_loop())
    ways = {"in-writer": _in_writer, "checked-first": _checked_first}
    for _ in range(2):
        for name, way in ways.items():
            waits = await _waits(services, way, rounds)
            print(
                f"{name}: a write queued behind a sign-in waited median "
                f"{statistics.median(waits):.1f} ms, max {max(waits):.1f} ms ({rounds} rounds)"
            )
    started = time.perf_counter()
    services.passwords.verify(None, PASSWORD)
    print(f"one argon2id check: {(time.perf_counter() - started) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_ROOT / "signin-stall")
    args = parser.parse_args()
    services = _services(args.data_dir)
    try:
        asyncio.run(_main(services, args.rounds))
    finally:
        services.close()


if __name__ == "__main__":
    main()
