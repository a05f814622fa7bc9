"""Summarize a ``py-spy record --format raw --threads`` profile of the server.

    python -m benchmarks.profile_report PROFILE.raw [--top 25]

py-spy samples every thread that is running (not idle), so the shares below are of the
server's busy CPU time: the event loop, the group-commit writer and the read pool. Time
spent in C code (SQLite, OpenSSL, the JSON encoders) is charged to the Python function that
called it, which is then the leaf of its stack.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
_THREAD = re.compile(r"^thread \((?:0x)?[0-9A-Fa-f]+\)(?::\s*(?P<name>.*))?$")

# Functions worth showing as inclusive shares even when they are not in the top list.
WATCH = (
    "quietline.api.access:_authenticated",
    "quietline.actions.auth:authenticate",
    "quietline.actions.messages:do_send_message",
    "quietline.actions.conversations:check_member",
    "quietline.crypto.fields:seal_message_body",
    "quietline.storage.stores.audit:AuditStore.append",
    "quietline.storage.stores.conversations:ConversationStore.next_seq",
    "quietline.storage.stores.messages:MessageStore.insert",
    "quietline.storage.stores.messages:MessageStore.by_idempotency_key",
    "quietline.storage.database:Database._attempt",
    "quietline.storage.database:Database._settle",
    "quietline.api.websocket:Connection.handle_event",
    "sqlalchemy.engine.default:DefaultDialect.do_execute",
    "sqlalchemy.engine.default:DefaultExecutionContext._exec_default",
    "sqlalchemy.sql.compiler:SQLCompiler.__init__",
    "sqlalchemy.engine.base:Connection._execute_context",
    "sqlalchemy.engine.base:Connection._commit_impl",
    "sqlalchemy.engine.base:Connection._begin_impl",
    "fastapi.routing:serialize_response",
    "fastapi.dependencies.utils:solve_dependencies",
)


def _module(path: str) -> str:
    """A dotted module name for a source path (site-packages, src/ or the standard library)."""
    normal = path.replace("\\", "/")
    for marker in ("/site-packages/", "/src/"):
        if marker in normal:
            rel = normal.split(marker, 1)[1]
            return rel.removesuffix(".py").replace("/__init__", "").replace("/", ".")
    match = re.search(r"/lib/python3\.\d+/(.*)$", normal)
    if match:
        return "stdlib." + match.group(1).removesuffix(".py").replace("/", ".")
    if not normal.startswith("/") and not normal.startswith("<"):
        # py-spy shortens paths to be relative to their sys.path entry.
        return normal.removesuffix(".py").replace("/__init__", "").replace("/", ".")
    return Path(normal).stem


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "quietline" and len(parts) > 1:
        return ".".join(parts[:2])
    if parts[0] == "stdlib" and len(parts) > 1:
        return "stdlib." + parts[1]
    return parts[0]


def _frame_key(frame: str) -> tuple[str, str]:
    """('module:function', package) for one raw frame."""
    match = _FRAME.match(frame)
    if not match:
        return frame, frame
    module = _module(match.group("file"))
    return f"{module}:{match.group('func')}", _package(module)


def _thread_group(frame: str) -> str | None:
    match = _THREAD.match(frame)
    if not match:
        return None
    name = (match.group("name") or "unnamed").strip()
    return re.sub(r"[_-]?\d+$", "", name) or name


def parse(path: Path) -> list[tuple[str, list[str], int]]:
    """(thread group, frames from root to leaf, samples) for every line of the raw file."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        thread = _thread_group(frames[0])
        if thread is not None:
            frames = frames[1:]
        stacks.append((thread or "all", frames, int(count)))
    return stacks


def summarize_profile(path: Path, top: int = 25) -> dict[str, Any]:
    stacks = parse(path)
    total = sum(n for _, _, n in stacks)
    if total == 0:
        return {"samples": 0}
    threads: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    self_package: Counter[str] = Counter()
    for thread, frames, n in stacks:
        threads[thread] += n
        keys = [_frame_key(f) for f in frames]
        for key in {k for k, _ in keys}:
            inclusive[key] += n
        if keys:
            leaf, package = keys[-1]
            self_time[leaf] += n
            self_package[package] += n

    def pct(n: int) -> float:
        return round(100 * n / total, 1)

    return {
        "samples": total,
        "threads_pct": {k: pct(v) for k, v in threads.most_common()},
        "self_by_package_pct": {k: pct(v) for k, v in self_package.most_common(15)},
        "top_self_pct": [[k, pct(v)] for k, v in self_time.most_common(top)],
        "top_inclusive_pct": [[k, pct(v)] for k, v in inclusive.most_common(top)],
        "watched_inclusive_pct": {k: pct(inclusive[k]) for k in WATCH if inclusive[k]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(json.dumps(summarize_profile(args.profile, args.top), indent=2))


if __name__ == "__main__":
    main()
