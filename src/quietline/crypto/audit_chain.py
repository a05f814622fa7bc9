"""The keyed hash chain over the audit log.

Each entry's MAC is HMAC-SHA256(audit key, previous MAC || canonical entry). Without the
audit key (kept outside the database), someone with only database access cannot edit,
delete, insert or reorder entries without ``quietline audit verify`` naming the first
broken one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from quietline.domain.models import AuditEntry


def genesis_mac(key: bytes, practice_id: UUID) -> bytes:
    return hmac.new(
        key, b"quietline audit genesis\x00" + str(practice_id).encode(), "sha256"
    ).digest()


def canonical(
    *,
    entry_id: UUID,
    practice_id: UUID,
    seq: int,
    at: datetime,
    kind: str,
    actor_user_id: UUID | None,
    actor_session_id: UUID | None,
    subject_type: str | None,
    subject_id: str | None,
    details: dict[str, object],
) -> bytes:
    document = {
        "id": str(entry_id),
        "practice": str(practice_id),
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "kind": kind,
        "actor": str(actor_user_id) if actor_user_id else None,
        "session": str(actor_session_id) if actor_session_id else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_mac(key: bytes, prev_mac: bytes, body: bytes) -> bytes:
    return hmac.new(key, prev_mac + hashlib.sha256(body).digest(), "sha256").digest()


def mac_of(key: bytes, entry: AuditEntry) -> bytes:
    body = canonical(
        entry_id=entry.id,
        practice_id=entry.practice_id,
        seq=entry.seq,
        at=entry.at,
        kind=entry.kind,
        actor_user_id=entry.actor_user_id,
        actor_session_id=entry.actor_session_id,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        details=entry.details,
    )
    return entry_mac(key, entry.prev_mac, body)


@dataclass(frozen=True, slots=True)
class ChainReport:
    practice_id: UUID
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(
    key: bytes,
    practice_id: UUID,
    entries: Iterable[AuditEntry],
    head: tuple[int, bytes] | None,
    anchor: tuple[int, bytes] | None = None,
) -> ChainReport:
    """Walk the chain in stored sequence order; name the first entry that does not fit.

    ``anchor`` is the (seq, MAC) of a head recorded outside the database: the chain must
    still contain exactly that entry, which catches entries removed from the end even when
    the head row was rewound to match.
    """
    prev = genesis_mac(key, practice_id)
    anchored_mac: bytes | None = None
    expected_seq = 1
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            missing = "missing" if entry.seq > expected_seq else "out of order"
            return ChainReport(
                practice_id, count, False, expected_seq, f"entry {expected_seq} is {missing}"
            )
        if not hmac.compare_digest(entry.prev_mac, prev):
            return ChainReport(
                practice_id,
                count,
                False,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                "(an entry was removed, inserted or swapped)",
            )
        if not hmac.compare_digest(mac_of(key, entry), entry.mac):
            return ChainReport(
                practice_id, count, False, entry.seq, f"entry {entry.seq} was altered"
            )
        prev = entry.mac
        if anchor is not None and entry.seq == anchor[0]:
            anchored_mac = entry.mac
        expected_seq += 1
    last_seq = expected_seq - 1
    if anchor is not None:
        anchor_seq, anchor_mac = anchor
        if last_seq < anchor_seq:
            return ChainReport(
                practice_id,
                count,
                False,
                last_seq + 1,
                f"the log ends at entry {last_seq} but the anchor kept outside the database "
                f"records entry {anchor_seq} (entries were removed from the end)",
            )
        if anchored_mac is None or not hmac.compare_digest(anchored_mac, anchor_mac):
            return ChainReport(
                practice_id,
                count,
                False,
                anchor_seq,
                f"entry {anchor_seq} differs from the copy anchored outside the database",
            )
    if head is not None:
        head_seq, head_mac = head
        if head_seq != last_seq or not hmac.compare_digest(head_mac, prev):
            return ChainReport(
                practice_id,
                count,
                False,
                last_seq + 1,
                f"the log ends at entry {last_seq} but its head records entry {head_seq} "
                "(entries were removed from the end)",
            )
    elif last_seq:
        return ChainReport(practice_id, count, False, 1, "the chain head is missing")
    return ChainReport(practice_id, count, True)
