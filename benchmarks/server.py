"""Run one Quietline server process for a benchmark.

    python -m benchmarks.server --data-dir DIR --port 8123 [--log-level INFO]

Builds the services and the app from the data folder exactly as ``quietline serve`` does
(same uvicorn settings: access log off, the app's own access log at the chosen level), on
127.0.0.1 only, with uvloop and httptools when installed. Raises its own open-file limit so
it can hold thousands of WebSockets.

Experiments: ``QL_BENCH_SWITCH_INTERVAL=0.0005`` sets the GIL switch interval
(``sys.setswitchinterval``); with ``QL_BENCH_GC_TUNE=1`` the launcher freezes the start-up heap
(``gc.freeze()``) and raises the collection threshold, to measure what garbage-collection
pauses cost the tail latencies. Results record whether it was set.

Profiling: with ``QL_BENCH_PYINSTRUMENT=/path/out.txt`` the server runs under pyinstrument
(event-loop thread only) and writes its text report there at shutdown. For all threads
(the group-commit writer and the read pool too), attach ``py-spy record`` instead: the
benchmarks do that with ``--profile``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn

from benchmarks.common import bench_settings, raise_nofile, uvicorn_config
from quietline.app import build_services, create_app
from quietline.logging_setup import configure_logging
from quietline.storage.migrate import is_current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    args = parser.parse_args()

    nofile = raise_nofile()
    settings = bench_settings(args.data_dir, args.log_level)
    if not is_current(settings.resolved_database_url()):
        # As `quietline serve` refuses it: a benchmark of code against a schema it was not
        # written for measures neither (a data set kept from another revision, say).
        raise SystemExit("benchmark server: the database schema is not this code's; reseed it")
    configure_logging(settings.log_level)
    services = build_services(settings)
    config = uvicorn_config(create_app(services), args.port, quietline_http=True)
    print(
        f"benchmark server: pid {os.getpid()}, nofile {nofile}, loop {config.loop}, "
        f"http {config.http}"
    )
    server = uvicorn.Server(config)
    if os.environ.get("QL_BENCH_GC_TUNE"):
        # Experiment, not what `quietline serve` does: keep the start-up heap out of the
        # collector's full passes and collect the young generation less often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        print("benchmark server: gc frozen after start-up, threshold (20000, 20, 20)")
    switch = os.environ.get("QL_BENCH_SWITCH_INTERVAL")
    if switch:
        # Experiment: how long a thread that released the GIL (SQLite, fsync) may wait to
        # get it back from a busy thread (CPython's default is 0.005 s).
        sys.setswitchinterval(float(switch))
        print(f"benchmark server: GIL switch interval {sys.getswitchinterval()} s")
    profile_out = os.environ.get("QL_BENCH_PYINSTRUMENT")
    try:
        if profile_out:
            # Imported by name: pyinstrument is in the optional `bench` extra, which CI's
            # type check does not install.
            pyinstrument: Any = importlib.import_module("pyinstrument")
            profiler = pyinstrument.Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
            try:
                server.run()
            finally:
                profiler.stop()
                Path(profile_out).write_text(profiler.output_text(unicode=True, show_all=False))
        else:
            server.run()
    except KeyboardInterrupt:
        # The benchmarks stop the server with SIGINT; uvicorn shuts down gracefully, then
        # raises it again. The log needs no traceback for a requested stop.
        pass
    finally:
        services.close()


if __name__ == "__main__":
    main()
