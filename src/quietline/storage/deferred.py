"""Counters a writer transaction advances in memory and stores once, before it commits.

Every send takes its conversation's next sequence number and appends an entry to its
practice's audit chain; each of those is an UPDATE of one row (``conversations.last_seq``,
``audit_heads``), and together they were about a tenth of a send's cost on the writer. A
batch of the group-commit writer (decision 0003) holds many sends, mostly to the same few
conversations and one practice's chain, so the writer keeps those two counters here for the
length of its transaction (decision 0026):

* the first use in a transaction writes the row as before (which takes the row's lock on
  PostgreSQL, held to the commit, so no other process can move it meanwhile) and notes the
  stored value;
* later uses in the same transaction only count on here;
* :meth:`DeferredCounters.store` writes each moved counter once before the commit, checked
  against the value noted (a row that moved otherwise fails the batch, which the writer then
  runs again job by job);
* a job that fails is rolled back (to its savepoint, or it changed nothing: decision 0027)
  *and* gets the counters put back as they were when it began (:meth:`mark`,
  :meth:`restore`), so sequence numbers stay gap-free.

Only what reads a counter through this class may run while it holds moved values. The audit
chain head is read by :class:`~quietline.storage.stores.audit.AuditStore` alone, which asks
here first. A conversation's ``last_seq`` is read by many actions (unread counts, the seq a
new member starts from, marking read), so before any job that has not declared itself safe
(``defers_sequence_numbers``, the send) the writer stores the sequence numbers first.

Outside the writer's batches (command-line work, migrations, a test's own transaction)
nothing is deferred: :meth:`of` finds no counters and the stores write every time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

# Where a writer transaction's counters live: the connection's own info dictionary, so a
# store on any other connection never sees them.
_KEY = "quietline.deferred_counters"
# A job declares with this attribute, set to True, that it reads no conversation's
# last_seq except through ConversationStore.next_seq (see the module's docstring).
DEFERS_SEQUENCE_NUMBERS = "defers_sequence_numbers"

# conversation -> (practice, value stored in the row, last number taken, time of that send)
_Seqs = dict[UUID, tuple[UUID, int, int, datetime]]
# practice -> (seq stored, MAC stored, seq of the last entry appended, its MAC)
_Heads = dict[UUID, tuple[int, bytes, int, bytes]]
Mark = tuple[_Seqs, _Heads]
# How a moved counter is stored (the stores' functions, wired in by the composition root):
# (conn, practice, conversation, value stored, value now, time of the last send)
StoreSeq = Callable[[Connection, UUID, UUID, int, int, datetime], None]
# (conn, practice, seq stored, MAC stored, seq now, MAC now)
StoreHead = Callable[[Connection, UUID, int, bytes, int, bytes], None]


class CounterMoved(RuntimeError):
    """A deferred counter's row no longer held the value this transaction stored in it."""


class DeferredCounters:
    """One writer transaction's sequence numbers and audit chain heads. Not thread-safe: it
    belongs to the one thread running that transaction."""

    __slots__ = ("_heads", "_seqs", "_store_head", "_store_seq")

    def __init__(self, store_seq: StoreSeq, store_head: StoreHead) -> None:
        self._store_seq = store_seq
        self._store_head = store_head
        self._seqs: _Seqs = {}
        self._heads: _Heads = {}

    # -- the transaction's lifetime (storage.database) --------------------------------
    def attach(self, conn: Connection) -> None:
        """Make these the counters of the transaction ``conn`` has just begun."""
        conn.info[_KEY] = self

    @staticmethod
    def detach(conn: Connection) -> None:
        """End the transaction's deferral (a connection already lost has nothing to end:
        SQLAlchemy resets the info of an invalidated connection)."""
        with contextlib.suppress(SQLAlchemyError):
            conn.info.pop(_KEY, None)

    @staticmethod
    def of(conn: Connection) -> DeferredCounters | None:
        """The counters of the writer transaction ``conn`` is in; None anywhere else."""
        found: DeferredCounters | None = conn.info.get(_KEY)
        return found

    def mark(self) -> Mark:
        return dict(self._seqs), dict(self._heads)

    def restore(self, mark: Mark) -> None:
        self._seqs, self._heads = dict(mark[0]), dict(mark[1])

    @property
    def holds_sequence_numbers(self) -> bool:
        """Whether some conversation's row is behind the numbers taken."""
        return any(stored != taken for _p, stored, taken, _at in self._seqs.values())

    def store(self, conn: Connection) -> None:
        """Write every moved counter (before the commit)."""
        self.store_sequence_numbers(conn)
        for practice_id, (stored_seq, stored_mac, seq, mac) in self._heads.items():
            if seq != stored_seq:
                self._store_head(conn, practice_id, stored_seq, stored_mac, seq, mac)
                self._heads[practice_id] = (seq, mac, seq, mac)

    def store_sequence_numbers(self, conn: Connection) -> None:
        for conversation_id, (practice_id, stored, taken, at) in self._seqs.items():
            if taken != stored:
                self._store_seq(conn, practice_id, conversation_id, stored, taken, at)
                self._seqs[conversation_id] = (practice_id, taken, taken, at)

    # -- sequence numbers (ConversationStore.next_seq) --------------------------------
    def take_seq(self, conversation_id: UUID, now: datetime) -> int | None:
        """The conversation's next number, when this transaction has stored its row already."""
        held = self._seqs.get(conversation_id)
        if held is None:
            return None
        practice_id, stored, taken, _at = held
        self._seqs[conversation_id] = (practice_id, stored, taken + 1, now)
        return taken + 1

    def seq_stored(self, practice_id: UUID, conversation_id: UUID, seq: int, now: datetime) -> None:
        """The row now holds ``seq`` (written in this transaction)."""
        self._seqs[conversation_id] = (practice_id, seq, seq, now)

    # -- audit chain heads (AuditStore.append, AuditStore.head) -----------------------
    def audit_head(self, practice_id: UUID) -> tuple[int, bytes] | None:
        """The chain's head as this transaction left it, when it has stored the head row."""
        held = self._heads.get(practice_id)
        return None if held is None else (held[2], held[3])

    def head_stored(self, practice_id: UUID, seq: int, mac: bytes) -> None:
        self._heads[practice_id] = (seq, mac, seq, mac)

    def head_moved(self, practice_id: UUID, seq: int, mac: bytes) -> None:
        stored_seq, stored_mac, _seq, _mac = self._heads[practice_id]
        self._heads[practice_id] = (stored_seq, stored_mac, seq, mac)

    def __repr__(self) -> str:  # ids and counts only, as everywhere in logs
        return f"DeferredCounters(conversations={len(self._seqs)}, chains={len(self._heads)})"


def defers_sequence_numbers(job: Any) -> bool:
    return getattr(job, DEFERS_SEQUENCE_NUMBERS, False) is True
