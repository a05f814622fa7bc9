"""Shared parts of the benchmarks: data folders, the server subprocess, a lean HTTP/1.1
client, statistics, profiling and result files.

Everything here talks to 127.0.0.1 only, and every wait is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
import uvicorn

from quietline.api.http_protocol import CoalescingHttpToolsProtocol
from quietline.config import Settings

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = Path(
    os.environ.get("QL_BENCH_ROOT", str(Path(tempfile.gettempdir()) / "quietline-bench"))
)
PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark account's password
PRACTICE_SLUG = "bench"
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_TIMEOUT = 30.0
T = TypeVar("T")


# -- process limits and measurements ----------------------------------------------------
def raise_nofile(target: int = 65_536) -> int:
    """Raise this process's open-file limit as far as allowed; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            # Root may raise the hard limit too.
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(target, hard)))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    """VmRSS of a process from /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def _system_busy_seconds() -> float:
    """CPU seconds all processes have used (every core), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class BackgroundLoad:
    """CPU used by processes other than the benchmark's own (client, server, profiler).

    The machine is shared: anything else running skews the numbers, so every benchmark
    records how busy the rest of the machine was while it measured.
    """

    own_pids: list[int]
    _start: float = 0.0
    _own_start: float = 0.0
    _wall: float = 0.0

    def _own(self) -> float:
        total = 0.0
        for pid in self.own_pids:
            with contextlib.suppress(OSError, ValueError):
                total += cpu_seconds(pid)
        return total

    def start(self) -> None:
        self._start, self._own_start = _system_busy_seconds(), self._own()
        self._wall = time.monotonic()

    def cores(self) -> float:
        """Average cores used by other processes since start()."""
        wall = max(time.monotonic() - self._wall, 1e-6)
        other = (_system_busy_seconds() - self._start) - (self._own() - self._own_start)
        return round(max(other, 0.0) / wall, 2)


async def wait_for_quiet(
    own_pids: list[int], threshold: float = 0.25, max_wait: float = 180.0, window: float = 3.0
) -> float:
    """Wait (bounded) until other processes use less than ``threshold`` cores over a window;
    returns the last measured background load, whether or not it got quiet. Open sockets
    keep being served meanwhile (the server pings WebSockets and expects answers)."""
    deadline = time.monotonic() + max_wait
    while True:
        load = BackgroundLoad(own_pids)
        load.start()
        await asyncio.sleep(window)
        cores = load.cores()
        if cores < threshold or time.monotonic() > deadline:
            if cores >= threshold:
                print(f"warning: machine still busy ({cores} cores used by others)", flush=True)
            return cores
        print(f"waiting for a quiet machine: others use {cores} cores", flush=True)


def uvicorn_config(app: Any, port: int, *, quietline_http: bool = False) -> uvicorn.Config:
    """The uvicorn settings of ``quietline serve`` for a benchmark server, on 127.0.0.1 only
    (whatever the caller), with uvloop and httptools when installed. One place, so that the
    calibration's reference servers run as the Quietline server does, but for
    ``quietline_http``: Quietline's own HTTP protocol (head and body of a response sent
    together, ``quietline.api.http_protocol``) is part of what the send benchmark measures,
    while the reference servers stand for plain frameworks on plain uvicorn."""
    have = importlib.util.find_spec
    http: Any = "httptools" if have("httptools") else "h11"
    if quietline_http:
        http = CoalescingHttpToolsProtocol
    return uvicorn.Config(
        app,
        host=HOST,
        port=port,
        loop="uvloop" if have("uvloop") else "asyncio",
        http=http,
        ws="auto",
        access_log=False,
        log_config=None,
        server_header=False,
        ws_max_size=65536,
        backlog=8192,
        timeout_graceful_shutdown=5,
        lifespan="on",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# -- settings and data folders -------------------------------------------------------------
def bench_settings(data_dir: Path, log_level: str = "INFO") -> Settings:
    """Settings for a benchmark installation: SQLite in data_dir, cheap password hashing
    (sign-in cost is not what any benchmark measures), everything else at its default."""
    return Settings(
        data_dir=data_dir,
        database_url=None,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        log_level=log_level,
    )


# -- the server subprocess -------------------------------------------------------------------
@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> int | None:
        """Ask uvicorn to shut down (SIGINT), then kill it if it does not within the limit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def _health_ok(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_server(
    data_dir: Path,
    *,
    port: int | None = None,
    log_level: str = "INFO",
    pyinstrument_out: Path | None = None,
    env: dict[str, str] | None = None,
    module: str = "benchmarks.server",
    extra_args: Sequence[str] = (),
) -> ServerProcess:
    """Start ``python -m benchmarks.server`` (or another server ``module`` taking the same
    options) on 127.0.0.1 and wait until /health answers."""
    port = port or free_port()
    log_path = data_dir / "server.log"
    command = [
        sys.executable,
        "-m",
        module,
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--log-level",
        log_level,
        *extra_args,
    ]
    child_env = {**os.environ, **(env or {})}
    if pyinstrument_out is not None:
        child_env["QL_BENCH_PYINSTRUMENT"] = str(pyinstrument_out)
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            command, cwd=REPO, env=child_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    server = ServerProcess(proc, port, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not _health_ok(port):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited during start-up; see {log_path}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"server did not start within {SERVER_START_TIMEOUT}s")
        time.sleep(0.1)
    return server


# -- profiling with py-spy --------------------------------------------------------------------
@dataclass
class PySpy:
    """``py-spy record`` attached to the server for the measured phase (all threads)."""

    target: int
    out: Path
    rate: int = 100
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("py-spy")
        if not exe.exists():
            found = shutil.which("py-spy")
            if found is None:
                raise RuntimeError("py-spy is not installed: .venv/bin/pip install -e '.[bench]'")
            exe = Path(found)
        self.proc = subprocess.Popen(
            [
                str(exe),
                "record",
                "--pid",
                str(self.target),
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                "--threads",
                "--output",
                str(self.out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # let it attach before the measured phase begins

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


# -- a lean HTTP/1.1 keep-alive client --------------------------------------------------------
class HttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body


class HttpClient:
    """One keep-alive connection. Much cheaper per request than a full-featured client, so
    the load generator takes as little as possible of the CPU the server shares with it."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self._headers = f"Host: {HOST}:{port}\r\n{auth}".encode()

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
            self._writer = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        try:
            return await self._request(method, path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            # The server closes a keep-alive connection idle for longer than its keep-alive
            # timeout (5 s), e.g. while a benchmark waits for a quiet machine between phases.
            # A GET is safe to send again on a new connection; anything else is reported.
            partial = isinstance(exc, asyncio.IncompleteReadError) and exc.partial
            if method != "GET" or partial:
                raise
            await self.close()
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        if self._writer is None or self._reader is None:
            await self.connect()
        if self._writer is None or self._reader is None:
            raise ConnectionError("not connected")
        if body is None:
            head = f"{method} {path} HTTP/1.1\r\n".encode() + self._headers + b"\r\n"
            self._writer.write(head)
        else:
            payload = orjson.dumps(body)
            head = (
                f"{method} {path} HTTP/1.1\r\n".encode()
                + self._headers
                + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(payload)).encode()
                + b"\r\n\r\n"
            )
            self._writer.write(head + payload)
        return await self._read_response(self._reader)

    @staticmethod
    async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length: int | None = None
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            return status, b"".join(parts)
        if length:
            return status, await reader.readexactly(length)
        return status, b""

    async def json(
        self, method: str, path: str, body: Any = None, expect: Sequence[int] = (200, 201)
    ) -> Any:
        status, raw = await self.request(method, path, body)
        if status not in expect:
            raise HttpError(status, raw)
        return orjson.loads(raw) if raw else None


async def sign_in_http(port: int, email: str, device: str = "benchmark") -> str:
    """A token through the real sign-in route."""
    client = HttpClient(port)
    try:
        body = await client.json(
            "POST",
            "/api/v1/auth/sign-in",
            {
                "practice": PRACTICE_SLUG,
                "email": email,
                "password": PASSWORD,
                "device_name": device,
            },
        )
    finally:
        await client.close()
    token: str = body["token"]
    return token


# -- statistics and results ------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize_ms(values_s: Sequence[float]) -> dict[str, float | int]:
    """count, mean, p50, p90, p95, p99, p99.9 and max of durations given in seconds, in ms."""
    ordered = sorted(v * 1000 for v in values_s)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "mean": round(sum(ordered) / len(ordered), 3),
        "p50": round(percentile(ordered, 50), 3),
        "p90": round(percentile(ordered, 90), 3),
        "p95": round(percentile(ordered, 95), 3),
        "p99": round(percentile(ordered, 99), 3),
        "p99.9": round(percentile(ordered, 99.9), 3),
        "max": round(ordered[-1], 3),
    }


def cpu_steadiness(rounds: int = 300, spins: int = 100_000) -> dict[str, Any]:
    """How steady this machine's CPU is: the CPU time of one fixed piece of pure-Python
    arithmetic (no allocation, the cyclic collector off), repeated ``rounds`` times.

    Identical work should take the same CPU time each round; on a shared host whose cores are
    oversubscribed it does not, and the guest sees it as its own user time, not as steal
    (session 16: p99 2.8x the median, max 3.6x). Latency percentiles measured on such a
    machine carry that factor: read ``p99_over_p50`` before a benchmark's tail."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        rounds_s = []
        for _ in range(rounds):
            started = time.thread_time()
            total = 0
            for i in range(spins):
                total += i * i % 7
            rounds_s.append(time.thread_time() - started)
    finally:
        if collecting:
            gc.enable()
    summary = summarize_ms(rounds_s)
    return {
        "spins_per_round": spins,
        "round_cpu_ms": summary,
        "p99_over_p50": round(float(summary["p99"]) / float(summary["p50"]), 2),
        "max_over_p50": round(float(summary["max"]) / float(summary["p50"]), 2),
    }


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "quietline_source": quietline_source(),
        "server_experiments": {
            k: v
            for k, v in os.environ.items()
            if k in ("QL_BENCH_GC_TUNE", "QL_BENCH_PYINSTRUMENT", "QL_BENCH_SWITCH_INTERVAL")
        },
        "packages": {
            name: _version(name)
            for name in (
                "uvicorn",
                "uvloop",
                "httptools",
                "websockets",
                "fastapi",
                "starlette",
                "pydantic",
                "sqlalchemy",
                "cryptography",
            )
        },
    }


def quietline_source() -> dict[str, Any]:
    """Which Quietline code is measured: a snapshot's commit, or the work tree's state."""
    import quietline  # noqa: PLC0415

    src = Path(quietline.__file__).resolve().parent.parent
    info: dict[str, Any] = {"path": str(src)}
    marker = src.parent / "COMMIT"
    if marker.exists():
        info["commit"] = marker.read_text().strip()
        info["snapshot"] = True
        return info
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=src, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=src,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        info.update(commit=head, snapshot=False, uncommitted_changes_in_src=bool(dirty))
    return info


@dataclass
class Report:
    """A benchmark's result: printed as JSON and written to the results folder."""

    name: str
    results: dict[str, Any] = field(default_factory=dict)

    def write(self, results_dir: Path) -> Path:
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = results_dir / f"{self.name}-{stamp}.json"
        document = {"benchmark": self.name, "machine": machine_info(), **self.results}
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(json.dumps(document, indent=2, default=str))
        print(f"results written to {path}")
        return path


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    return path


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run the load generator's coroutine on uvloop when it is installed."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]
