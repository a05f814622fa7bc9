"""Ids for rows written in bulk: time-ordered, so the database appends them.

Most rows take a random ``uuid4``. Messages, audit entries, receipt marks and outbound
messages are written hundreds of times a second, and each one's id goes into a primary-key
index: a random id lands on a random page of that index, so every commit rewrote (and, on
SQLite, wrote to the WAL and later checkpointed) one index page per row. A UUID version 7
(RFC 9562) starts with the time in milliseconds, so new ids sort after older ones and a
commit's rows share the index's last page (decision 0024 has the measurements).

What it gives away: the id tells the millisecond it was made, which every reader of these
rows already sees in the row itself (sent at, audited at). Ids grant nothing: every read
checks membership or role first. The other 74 bits are random (``os.urandom``), so ids
stay unique across processes without coordination.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from uuid import UUID

_RAND_A_BITS = 12
_RAND_B_BITS = 62


def _uuid7() -> UUID:
    # Layout (RFC 9562, section 5.7): 48-bit Unix time in ms | version 7 | 12 random bits |
    # variant 0b10 | 62 random bits.
    millis = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    rand_a = random >> (80 - _RAND_A_BITS)
    rand_b = random & ((1 << _RAND_B_BITS) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)


# Python 3.14 has it (with a counter that also orders ids made in the same millisecond).
time_ordered_id: Callable[[], UUID] = getattr(uuid, "uuid7", _uuid7)
