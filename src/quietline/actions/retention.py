"""Retention and legal holds.

* **Retention** (the policy's ``retention_days``): messages created more than that many days
  ago are hidden from every reading path at query time (``MessageStore.page``), and the
  scheduled :func:`do_purge_retention` erases them like the expiry purge does (content and
  wrapped data key destroyed, the row kept a day as a tombstone, then deleted), reporting per
  practice in one ``message.retention_purged`` audit entry.
* **Legal holds** stop the server from deleting a conversation's messages: neither this purge
  nor the expiry purge touches a held conversation. A hold is on one conversation or on one
  client; a client's hold covers every thread of that client, present and future (the purge
  queries look the thread's client up when they run: see
  :func:`quietline.storage.stores.retention.under_legal_hold`). A hold does not make anything
  readable: messages past their time-to-live or past retention stay hidden from everyone in
  the app. Reading them for the legal process needs an export that is **not yet** built.

  A hold names exactly one of a conversation and a client. ``legal_holds`` has no check
  constraint for it (adding one needs a migration); :func:`do_place_hold` is the only writer
  and refuses anything else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from quietline.actions.context import Actor, check_admin
from quietline.actions.messages import TOMBSTONE_RETENTION
from quietline.crypto.envelope import DecryptionError, read_header
from quietline.crypto.fields import open_legal_hold_reason, seal_legal_hold_reason
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound
from quietline.domain.events import Event, conversation_topic
from quietline.domain.models import AuditEntry
from quietline.storage.stores.retention import LegalHold
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

RETENTION_BATCH = 500  # messages erased (and tombstones deleted) per practice per run
# How often the server's purge loop runs the retention purge when nothing is left behind.
# Its queries scan a practice's messages (no index on created_at), so not every tick; reads
# hide messages past retention at query time anyway, so the schedule only decides when their
# ciphertext is destroyed.
RETENTION_EVERY = timedelta(hours=1)
MIN_REASON = 10
MAX_REASON = 500
MAX_REPORT_RUNS = 200


# -- the retention purge ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What one run of the retention purge did in one practice."""

    practice_id: UUID
    at: datetime
    retention_days: int
    cutoff: datetime  # messages created before this instant were due
    erased: dict[UUID, int]  # conversation -> messages erased
    held: dict[UUID, int]  # conversation under legal hold -> messages past retention it keeps
    tombstones_deleted: int
    more: bool  # a batch was full: the next run goes on
    # client under legal hold -> messages past retention kept in their threads (these are in
    # ``held`` too, by thread)
    held_clients: dict[UUID, int] = field(default_factory=dict)

    @property
    def erased_total(self) -> int:
        return sum(self.erased.values())

    @property
    def did_something(self) -> bool:
        return bool(self.erased or self.held or self.tombstones_deleted)

    def details(self) -> dict[str, object]:
        """The audit entry's details: ids and counts only."""
        return {
            "retention_days": self.retention_days,
            "cutoff": self.cutoff.isoformat(),
            "erased": self.erased_total,
            "conversations": {str(c): n for c, n in sorted(self.erased.items())},
            "held": {str(c): n for c, n in sorted(self.held.items())},
            "held_clients": {str(c): n for c, n in sorted(self.held_clients.items())},
            "tombstones_deleted": self.tombstones_deleted,
        }


def do_purge_retention(unit: Unit, batch: int = RETENTION_BATCH) -> list[RetentionRun]:
    """Erase the messages past each practice's retention, except in conversations under
    legal hold (their own, or their client's). Scheduled job (the server's purge loop and
    ``quietline purge``); it runs across practices on purpose, reading each practice's policy
    as it is now.

    Per practice with a retention limit, one run:

    1. deletes the emptied rows (tombstones) of messages created more than retention plus
       :data:`TOMBSTONE_RETENTION` ago (held conversations excepted);
    2. erases content and wrapped data key of up to ``batch`` messages created before the
       cutoff, oldest first (the same erase as the expiry purge: crypto-shredding);
    3. counts, per held conversation and per held client, the messages past the cutoff the
       holds keep;
    4. when any of that found something, writes one ``message.retention_purged`` audit entry
       with the counts per conversation, and emits ``message.expired`` per conversation so
       that open devices drop the messages.
    """
    runs = []
    for practice in unit.practices.list_all():
        days = practice.policy.retention_days
        cutoff = practice.policy.retention_cutoff(unit.now)
        if days is None or cutoff is None:
            continue
        deleted = unit.retention.delete_tombstones(practice.id, cutoff - TOMBSTONE_RETENTION, batch)
        due = unit.retention.due(practice.id, cutoff, batch)
        by_conversation: dict[UUID, list[UUID]] = {}
        for conversation_id, message_id in due:
            by_conversation.setdefault(conversation_id, []).append(message_id)
        unit.messages.erase(practice.id, [message_id for _, message_id in due])
        run = RetentionRun(
            practice_id=practice.id,
            at=unit.now,
            retention_days=days,
            cutoff=cutoff,
            erased={c: len(ms) for c, ms in by_conversation.items()},
            held=unit.retention.held_due(practice.id, cutoff),
            tombstones_deleted=deleted,
            more=len(due) >= batch or deleted >= batch,
            held_clients=unit.retention.held_due_by_client(practice.id, cutoff),
        )
        runs.append(run)
        if not run.did_something:
            continue
        unit.audit(
            AuditKind.MESSAGES_RETENTION_PURGED,
            practice.id,
            subject_type="practice",
            subject_id=practice.id,
            details=run.details(),
        )
        for conversation_id, message_ids in by_conversation.items():
            unit.emit(
                Event(
                    practice.id,
                    "message.expired",
                    (conversation_topic(conversation_id),),
                    {
                        "conversation_id": str(conversation_id),
                        "message_ids": [str(m) for m in message_ids],
                    },
                )
            )
    return runs


class RetentionSchedule:
    """When the server's purge loop runs :func:`do_purge_retention`: at its first tick, then
    every :data:`RETENTION_EVERY`, and at every tick while the last run left work behind."""

    def __init__(self, every: timedelta = RETENTION_EVERY) -> None:
        self._every = every
        self._next: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self._next is None or now >= self._next

    def ran(self, now: datetime, runs: list[RetentionRun]) -> None:
        self._next = now if any(r.more for r in runs) else now + self._every


# -- the report ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RecordedRun:
    """One retention purge run as its audit entry recorded it."""

    seq: int
    at: datetime
    retention_days: int | None
    cutoff: datetime | None
    erased: int
    conversations: dict[UUID, int]
    held: dict[UUID, int]
    tombstones_deleted: int
    held_clients: dict[UUID, int]  # empty in runs recorded before client holds existed


@dataclass(frozen=True, slots=True)
class RetentionReport:
    retention_days: int | None
    held_conversations: list[UUID]  # conversations held on their own
    held_clients: list[UUID]  # clients held (every thread of theirs)
    runs: list[RecordedRun]  # newest first


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _counts(value: object) -> dict[UUID, int]:
    if not isinstance(value, dict):
        return {}
    return {UUID(str(k)): _int(v) for k, v in value.items()}


def _recorded(entry: AuditEntry) -> RecordedRun:
    d = entry.details
    days = d.get("retention_days")
    cutoff = d.get("cutoff")
    return RecordedRun(
        seq=entry.seq,
        at=entry.at,
        retention_days=days if isinstance(days, int) else None,
        cutoff=datetime.fromisoformat(cutoff) if isinstance(cutoff, str) else None,
        erased=_int(d.get("erased")),
        conversations=_counts(d.get("conversations")),
        held=_counts(d.get("held")),
        tombstones_deleted=_int(d.get("tombstones_deleted")),
        held_clients=_counts(d.get("held_clients")),
    )


def recorded_runs(unit: Unit, practice_id: UUID, limit: int = 20) -> list[RecordedRun]:
    """The practice's last retention purge runs that found something, newest first (from the
    audit trail). For the server's own tools (the CLI); people use :func:`retention_report`."""
    entries = unit.audit_log.query(
        practice_id, kinds=[AuditKind.MESSAGES_RETENTION_PURGED.value], limit=limit
    )
    return [_recorded(e) for e in entries]


def retention_report(unit: Unit, actor: Actor, limit: int = 20) -> RetentionReport:
    """Owners and admins: the retention setting, the conversations and clients under hold, and
    the last purge runs (counts per conversation, held conversations and clients skipped)."""
    check_admin(actor)
    if not 1 <= limit <= MAX_REPORT_RUNS:
        raise InvalidInput(f"limit must be between 1 and {MAX_REPORT_RUNS}.")
    return RetentionReport(
        retention_days=actor.practice.policy.retention_days,
        held_conversations=sorted(unit.retention.held_conversations(actor.practice_id)),
        held_clients=sorted(unit.retention.held_clients(actor.practice_id)),
        runs=recorded_runs(unit, actor.practice_id, limit),
    )


# -- legal holds ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LegalHoldView:
    id: UUID
    conversation_id: UUID | None  # exactly one of these two is set
    client_id: UUID | None
    reason: str | None  # None only if the sealed reason cannot be opened (logged by id)
    placed_by: UUID
    placed_at: datetime
    released_by: UUID | None
    released_at: datetime | None

    @property
    def active(self) -> bool:
        return self.released_at is None


def check_reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not MIN_REASON <= len(cleaned) <= MAX_REASON:
        raise InvalidInput(
            f"Give the reason for the hold in {MIN_REASON} to {MAX_REASON} characters "
            "(the case or request it is for, for example)."
        )
    return cleaned


def _hold_view(unit: Unit, hold: LegalHold, reason: str | None = None) -> LegalHoldView:
    if reason is None:
        try:
            key_id = read_header(hold.reason_sealed).key_id
            key = unit.keyring.practice_key(
                hold.practice_id, unit.practices.key(hold.practice_id, key_id)
            )
            reason = open_legal_hold_reason(
                key,
                hold.practice_id,
                hold.conversation_id,
                hold.id,
                hold.reason_sealed,
                client_id=hold.client_id,
            )
        except (DecryptionError, ValueError):
            log.error("reason of legal hold %s cannot be decrypted", hold.id)
    return LegalHoldView(
        id=hold.id,
        conversation_id=hold.conversation_id,
        client_id=hold.client_id,
        reason=reason,
        placed_by=hold.placed_by,
        placed_at=hold.placed_at,
        released_by=hold.released_by,
        released_at=hold.released_at,
    )


def _hold_subject(hold: LegalHold) -> tuple[str, UUID | None]:
    if hold.client_id is not None:
        return "client", hold.client_id
    return "conversation", hold.conversation_id


def check_hold_target(
    unit: Unit, actor: Actor, conversation_id: UUID | None, client_id: UUID | None
) -> None:
    """Exactly one of a conversation and a client, of the actor's practice (archived clients
    included: a case may concern a former client). Another practice's id gets the same 404
    as a missing one."""
    if (conversation_id is None) == (client_id is None):
        raise InvalidInput(
            "Name what to hold: either a conversation (conversation_id) or a client "
            "(client_id), not both."
        )
    if conversation_id is not None:
        if unit.conversations.get(actor.practice_id, conversation_id) is None:
            raise NotFound("conversation")
    elif client_id is not None and unit.clients.get(actor.practice_id, client_id) is None:
        raise NotFound("client")


def do_place_hold(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID | None,
    reason: str,
    *,
    client_id: UUID | None = None,
) -> LegalHoldView:
    """Owners and admins put a conversation of their practice under legal hold, member or
    not (a hold must reach every conversation a case may need), or a client: then every
    thread of that client, including one created later, is held. From the commit on, neither
    purge deletes anything held. Several holds may cover one conversation or client (one per
    matter); each is released on its own. Exactly one of ``conversation_id`` and
    ``client_id`` must be given (:func:`check_hold_target`)."""
    check_admin(actor)
    reason = check_reason(reason)
    check_hold_target(unit, actor, conversation_id, client_id)
    hold_id = uuid4()
    stored, key = unit.practice_key(actor.practice_id)
    unit.retention.insert_hold(
        hold_id=hold_id,
        practice_id=actor.practice_id,
        conversation_id=conversation_id,
        client_id=client_id,
        reason_sealed=seal_legal_hold_reason(
            key,
            stored.key_id,
            actor.practice_id,
            conversation_id,
            hold_id,
            reason,
            client_id=client_id,
        ),
        placed_by=actor.user_id,
        now=unit.now,
    )
    hold = unit.retention.get_hold(actor.practice_id, hold_id)
    if hold is None:
        raise RuntimeError("the legal hold just placed is missing")
    subject_type, subject_id = _hold_subject(hold)
    unit.audit(
        AuditKind.LEGAL_HOLD_PLACED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type=subject_type,
        subject_id=subject_id,
        details={"hold": str(hold_id)},
    )
    return _hold_view(unit, hold, reason)


def do_release_hold(unit: Unit, actor: Actor, hold_id: UUID) -> None:
    """Owners and admins release a hold. The next purge runs treat the conversation (or the
    client's threads) like any other, if no other hold covers them. Releasing a released
    hold does nothing."""
    check_admin(actor)
    hold = unit.retention.get_hold(actor.practice_id, hold_id)
    if hold is None:
        raise NotFound("legal hold")
    if not unit.retention.release_hold(actor.practice_id, hold_id, actor.user_id, unit.now):
        return
    subject_type, subject_id = _hold_subject(hold)
    unit.audit(
        AuditKind.LEGAL_HOLD_RELEASED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type=subject_type,
        subject_id=subject_id,
        details={"hold": str(hold_id)},
    )


def list_holds(unit: Unit, actor: Actor) -> list[LegalHoldView]:
    """Owners and admins: the practice's holds with their reasons, active ones first."""
    check_admin(actor)
    return [_hold_view(unit, hold) for hold in unit.retention.holds(actor.practice_id)]
