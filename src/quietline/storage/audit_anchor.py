"""A copy of each practice's audit chain head kept outside the database.

The chain's own head row lives in the database, so someone with database access alone could
delete the newest entries and rewind the head to the entry before them: every remaining MAC
would still check out. The anchor file closes that gap. After each commit that extended a
chain, the server records (sequence, MAC) of the new head here; ``audit verify`` then insists
that the database still holds that exact entry. The MAC is not secret (forging one needs the
audit key), so the file only has to be out of the database's reach, not hidden.

Writes are batched (at most every ``flush_every`` seconds, and when the writer is idle), made
atomic by rename and durable by fsync, and merged under a file lock, so several server
processes on one host can share one anchor: a higher sequence always wins.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

log = logging.getLogger(__name__)

Head = tuple[int, bytes]
ANCHOR_DAMAGED = (
    "The audit anchor file kept outside the database is damaged or unreadable, so the end of "
    "the audit trail cannot be vouched for. Restore it from backup or investigate."
)


class AuditAnchorError(Exception):
    """The anchor file exists but cannot be read: verification cannot vouch for the tail."""


class AuditAnchor:
    def __init__(self, path: Path, *, flush_every: float = 0.5) -> None:
        self.path = path
        self._flush_every = flush_every
        self._lock = threading.Lock()
        self._pending: dict[UUID, Head] = {}
        self._last_flush = 0.0

    # -- writing (the writer thread) ----------------------------------------------
    def advance(self, heads: Mapping[UUID, Head]) -> None:
        """Note new chain heads (after their commit); written out soon after."""
        if not heads:
            return
        with self._lock:
            for practice_id, head in heads.items():
                known = self._pending.get(practice_id)
                if known is None or head[0] > known[0]:
                    self._pending[practice_id] = head
        if time.monotonic() - self._last_flush >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            try:
                self._merge_into_file(pending)
            except OSError as exc:
                # Keep them for the next attempt; the database commit already stands.
                for practice_id, head in pending.items():
                    self._pending.setdefault(practice_id, head)
                log.error("audit anchor could not be written: %s", exc.__class__.__name__)
            self._last_flush = time.monotonic()

    def replace(self, heads: Mapping[UUID, Head]) -> None:
        """Make the file hold exactly ``heads`` (after a restore: the restored chain heads).

        Unlike :meth:`advance`, nothing is merged: the heads of the database this anchor
        described before are dropped. Raises ``OSError`` if the file cannot be written.
        """
        with self._lock:
            self._pending = {}
            self._merge_into_file(heads, replace=True)

    def _merge_into_file(self, pending: Mapping[UUID, Head], *, replace: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                heads = {} if replace else self._read_file()
            except AuditAnchorError:
                heads = {}  # a damaged anchor is replaced; verify reported it already
            for practice_id, head in pending.items():
                known = heads.get(practice_id)
                if known is None or head[0] > known[0]:
                    heads[practice_id] = head
            document = {
                "version": 1,
                "practices": {
                    str(p): {"seq": seq, "mac": mac.hex()} for p, (seq, mac) in heads.items()
                },
            }
            tmp = self.path.with_name(self.path.name + ".tmp")
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(out, "w", encoding="ascii") as handle:
                json.dump(document, handle, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        finally:
            os.close(fd)

    # -- reading (verification) ---------------------------------------------------
    def read(self) -> dict[UUID, Head]:
        """The anchored heads, including ones not yet flushed by this process."""
        self.flush()
        return self._read_file()

    def _read_file(self) -> dict[UUID, Head]:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditAnchorError(f"audit anchor {self.path} cannot be read") from exc
        try:
            document = json.loads(text)
            return {
                UUID(p): (int(v["seq"]), bytes.fromhex(v["mac"]))
                for p, v in document["practices"].items()
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditAnchorError(f"audit anchor {self.path} is damaged") from exc
