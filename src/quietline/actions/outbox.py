"""The durable outbox: every SMS and e-mail to a client is a row first, and leaves later.

Who calls what:

* :func:`enqueue_outbound`: the client-messaging actions, inside their own transaction. The
  address and the text are sealed by the practice key (``seal_record_field`` on
  ``outbound_messages``); the audit entry names ids, channel and purpose only; the worker is
  woken by an event after the commit (a rolled-back action never sends anything).
* :func:`claim_next`, :func:`record_sent`, :func:`record_unsent`: the outbox worker
  (``quietline.gateways.outbox_worker``), one write transaction each, with the gateway call
  between them on the worker's thread.
* :func:`record_delivery_report`: the provider's delivery reports (``/hooks/twilio/status``).
* :func:`list_client_deliveries`: staff, for a client thread they are a member of.

**Never lost, never duplicated, and the one window.** A row is claimed in a write transaction
(status 'sending', a lease of :data:`LEASE`, ``attempts + 1``), sent, and marked in a second
write transaction: 'sent' (address and text erased) or back to 'queued' with a later
``next_attempt_at`` (exponential backoff with jitter), or 'failed'. A crash anywhere before the
provider accepted the message leaves the row 'sending' until its lease ends; then it is
claimed again and sent: delayed, not lost. An unreachable provider is the same, with backoff.
The one window that cannot be closed from our side: **the provider accepted the message, and
our commit of 'sent' did not happen** (the process died, or the database went away, in
between; or the provider's answer was lost on the way back, a read timeout). The row is then
sent again when its lease ends, and the client gets it twice. It is kept tiny: the mark is
the very next thing after the provider's answer (one group commit, milliseconds, with nothing
else in between), the lease is long enough that a live worker never loses a row it is still
sending, e-mail keeps one Message-ID per row (mail programs show a repeat once), and sends
never run on the event loop where a stalled loop could stretch the gap. Decision 0017 has the
whole argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from sqlalchemy.exc import NoResultFound

from quietline.actions.context import Actor
from quietline.actions.conversations import check_member
from quietline.config import Settings
from quietline.crypto.envelope import DecryptionError, read_header
from quietline.crypto.fields import open_record_field, seal_record_field
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput
from quietline.domain.events import Event, conversation_topic
from quietline.domain.ids import time_ordered_id
from quietline.domain.models import OutboundMessage
from quietline.gateways.errors import GatewayError, GatewayRejected
from quietline.storage.unit import Unit

OUTBOX_TOPIC = "outbox"  # the worker's topic: something was queued
DELIVERY_EVENT = "client.delivery"  # to a client thread: a send's status changed
TABLE = "outbound_messages"
CHANNELS = ("sms", "email")
PURPOSES = frozenset(
    {
        "message",  # the clear text of a staff message (consent + allowed)
        "notice",  # the notice and a secure link
        "code",  # a one-time code for the secure page
        "crisis_reply",
        "after_hours",
        "late_ack",
        "help",
        "keyword",  # the answer to STOP / START
        "confirm_request",
        "late_notice",
        "reminder",
        "template",
    }
)
# Sent even to a client who sent STOP: the carrier-required answer to STOP itself.
SENT_AFTER_STOP = frozenset({"keyword"})
MAX_SMS_CHARS = 1600  # Twilio's limit for one message (it splits it into segments)
MAX_EMAIL_CHARS = 20_000
MAX_ADDRESS_CHARS = 320

LEASE = timedelta(minutes=5)  # longer than the slowest send a gateway allows (~3 minutes)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)

# What staff are told for each reason code a row can end (or wait) with. Never content.
FAILURE_REASONS: dict[str, str] = {
    "invalid_number": "The phone number is not a valid mobile number. Check the client's number.",
    "not_mobile": "This number cannot receive text messages (it may be a landline).",
    "opted_out": "The client turned off text messages (they replied STOP).",
    "region_blocked": "The SMS provider account may not send to this number's country.",
    "too_long": "The message is too long for a text message.",
    "recipient_refused": "The client's mail server refused the address. Check the address.",
    "no_sender": "No sender number or address is set up for the practice.",
    "no_gateway": "This server has no SMS or e-mail provider set up. Ask your administrator.",
    "too_many_attempts": "The provider could not be reached after repeated tries.",
    "too_old": "The message could not be sent in time, so it was given up.",
    "unreadable": "The queued message could not be opened (a key problem). Ask your admin.",
    "undelivered": "The phone company could not deliver it (the phone may be off or out of "
    "service).",
    "provider_failed": "The SMS provider could not send it.",
}
_RETRYING = "Not sent yet: the provider could not be reached. It is retried automatically."
_REFUSED = "The provider refused the message."

Status = Literal["queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled"]


def failure_text(status: str, reason: str | None) -> str | None:
    """A sentence for staff about why a row is not (yet) delivered; None when nothing is
    wrong."""
    if status in ("sent", "delivered") or reason is None:
        return None
    if status in ("queued", "sending"):
        return _RETRYING
    # 'undelivered:30003' -> 'undelivered' (the provider's code is kept for the operator)
    return FAILURE_REASONS.get(reason.split(":", 1)[0], _REFUSED)


# -- enqueue ---------------------------------------------------------------------------------


def enqueue_outbound(
    unit: Unit,
    *,
    practice_id: UUID,
    client_id: UUID | None,
    channel: Literal["sms", "email"],
    to_address: str,
    body: str,
    purpose: str,
    message_id: UUID | None = None,
) -> UUID:
    """Queue one SMS or e-mail in the caller's transaction; returns the outbound row's id.

    The caller has decided that this text may go to this address (consent, the delivery rule,
    STOP). Raises InvalidInput for an unknown channel or purpose, an empty or oversized text,
    or an empty address. The address and text are sealed; the audit entry and the wake-up
    event carry ids, channel and purpose only.
    """
    if channel not in CHANNELS:
        raise InvalidInput("A message to a client goes by 'sms' or 'email'.")
    if purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose for a message to a client: {purpose[:24]!r}.")
    if not to_address.strip() or len(to_address) > MAX_ADDRESS_CHARS:
        raise InvalidInput("The client has no usable phone number or e-mail address for this.")
    limit = MAX_SMS_CHARS if channel == "sms" else MAX_EMAIL_CHARS
    if not body.strip():
        raise InvalidInput("There is nothing to send: the text is empty.")
    if len(body) > limit:
        raise InvalidInput(f"A {channel.upper()} to a client can be at most {limit} characters.")
    outbound_id = time_ordered_id()
    stored, key = unit.practice_key(practice_id)

    def sealed(column: str, value: str) -> bytes:
        return seal_record_field(key, stored.key_id, practice_id, TABLE, column, outbound_id, value)

    unit.outbox.insert(
        outbound_id=outbound_id,
        practice_id=practice_id,
        client_id=client_id,
        message_id=message_id,
        channel=channel,
        purpose=purpose,
        to_sealed=sealed("to_sealed", to_address),
        body_sealed=sealed("body_sealed", body),
        now=unit.now,
    )
    unit.audit(
        AuditKind.CLIENT_OUTBOUND_QUEUED,
        practice_id,
        subject_type="outbound_message",
        subject_id=outbound_id,
        details=_ids(client_id, message_id) | {"channel": channel, "purpose": purpose},
    )
    unit.emit(Event(practice_id, "outbox.queued", (OUTBOX_TOPIC,), {"id": str(outbound_id)}))
    return outbound_id


def _ids(client_id: UUID | None, message_id: UUID | None) -> dict[str, object]:
    ids: dict[str, object] = {}
    if client_id is not None:
        ids["client_id"] = str(client_id)
    if message_id is not None:
        ids["message_id"] = str(message_id)
    return ids


# -- the worker's steps ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxLimits:
    max_attempts: int
    max_age: timedelta
    lease: timedelta = LEASE

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxLimits:
        return cls(
            max_attempts=settings.outbox_max_attempts,
            max_age=timedelta(hours=settings.outbox_max_age_hours),
        )


@dataclass(frozen=True, slots=True)
class ClaimedSend:
    """One claimed row, opened, on its way to a gateway. Lives in the worker's memory only."""

    id: UUID
    practice_id: UUID
    client_id: UUID | None
    message_id: UUID | None
    channel: str
    purpose: str
    attempts: int
    created_at: datetime
    to: str
    body: str
    sms_from: str | None  # the practice's own number, if it has one
    email_from: str | None  # the practice's own sender address, if it has one

    def __repr__(self) -> str:  # never the address or the text
        return f"ClaimedSend(id={self.id}, channel={self.channel}, attempts={self.attempts})"


@dataclass(frozen=True, slots=True)
class Settled:
    """A due row that was ended instead of sent (too old, STOP, unreadable)."""

    id: UUID
    status: Literal["failed", "cancelled"]
    reason: str


def claim_next(unit: Unit, limits: OutboxLimits) -> ClaimedSend | Settled | None:
    """Claim the row due longest (write transaction) and open it; None when nothing is due.

    A row that must not go out any more is settled instead, in the same transaction: too old
    ('failed', too_old), an SMS to a client who sent STOP ('cancelled', except the answer to
    STOP itself), or a row that cannot be opened ('failed', unreadable).
    """
    row = unit.outbox.claim_due(unit.now, unit.now + limits.lease)
    if row is None:
        return None
    if unit.now - row.created_at >= limits.max_age:
        return _finish(unit, row, "failed", "too_old")
    if (
        row.channel == "sms"
        and row.client_id is not None
        and row.purpose not in SENT_AFTER_STOP
        and unit.outbox.client_sms_opted_out(row.practice_id, row.client_id)
    ):
        return _finish(unit, row, "cancelled", "opted_out")
    try:
        return _open(unit, row)
    except (DecryptionError, NoResultFound):  # a damaged value, or its key is gone
        return _finish(unit, row, "failed", "unreadable")


def _open(unit: Unit, row: OutboundMessage) -> ClaimedSend:
    if row.to_sealed is None or row.body_sealed is None:
        raise DecryptionError

    def opened(table: str, column: str, row_id: UUID, sealed: bytes) -> str:
        key_id = read_header(sealed).key_id
        key = unit.keyring.practice_key(
            row.practice_id, unit.practices.key(row.practice_id, key_id)
        )
        return open_record_field(key, row.practice_id, table, column, row_id, sealed)

    messaging = unit.practice_messaging.get(row.practice_id)
    sms_from = None
    if row.channel == "sms" and messaging.sms_number_sealed is not None:
        sms_from = opened(
            "practice_messaging", "sms_number_sealed", row.practice_id, messaging.sms_number_sealed
        )
    return ClaimedSend(
        id=row.id,
        practice_id=row.practice_id,
        client_id=row.client_id,
        message_id=row.message_id,
        channel=row.channel,
        purpose=row.purpose,
        attempts=row.attempts,
        created_at=row.created_at,
        to=opened(TABLE, "to_sealed", row.id, row.to_sealed),
        body=opened(TABLE, "body_sealed", row.id, row.body_sealed),
        sms_from=sms_from,
        email_from=messaging.email_from if row.channel == "email" else None,
    )


def record_sent(unit: Unit, send: ClaimedSend, provider_ref: str) -> bool:
    """The provider accepted the message: 'sent', with the provider's id; the sealed address
    and text are erased. False when the row was no longer ours (its lease had ended and it
    was settled elsewhere): nothing changes then."""
    if not unit.outbox.mark_sent(
        send.practice_id, send.id, provider_ref=provider_ref[:64], now=unit.now
    ):
        return False
    unit.audit(
        AuditKind.CLIENT_OUTBOUND_SENT,
        send.practice_id,
        subject_type="outbound_message",
        subject_id=send.id,
        details=_ids(send.client_id, send.message_id)
        | {"channel": send.channel, "purpose": send.purpose, "attempts": send.attempts},
    )
    _tell_thread(
        unit, send.practice_id, send.id, send.client_id, send.message_id, send.channel, "sent", None
    )
    return True


def backoff(attempts: int, jitter: float) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1, 2, 4 ... minutes up to 30,
    each scaled into [50 %, 100 %) by ``jitter`` in [0, 1) so that rows queued together do not
    all come back at the same moment."""
    exponent = min(max(attempts - 1, 0), 16)
    full = min(BACKOFF_CAP, BACKOFF_FIRST * (1 << exponent))
    return full * (0.5 + 0.5 * min(max(jitter, 0.0), 0.999))


def record_unsent(
    unit: Unit, send: ClaimedSend, error: GatewayError, limits: OutboxLimits, jitter: float
) -> Literal["retry", "failed", "lost"]:
    """The send did not happen. Retry later with backoff, or fail for good: rejected by the
    provider, ``max_attempts`` tries made, or the next try would come after ``max_age``.
    'lost': the row was no longer ours; nothing changes."""
    reason = error.reason[:60]
    row = unit.outbox.get(send.practice_id, send.id)
    if row is None or row.status != "sending":
        return "lost"
    final: str | None = None
    if isinstance(error, GatewayRejected):
        final = reason
    elif row.attempts >= limits.max_attempts:
        final = "too_many_attempts"
    next_at = unit.now + backoff(row.attempts, jitter)
    if final is None and next_at - row.created_at >= limits.max_age:
        final = "too_old"
    if final is not None:
        _finish(unit, row, "failed", final)
        return "failed"
    unit.outbox.schedule_retry(
        send.practice_id, send.id, next_attempt_at=next_at, error=f"unavailable:{reason}"
    )
    return "retry"


def _finish(
    unit: Unit, row: OutboundMessage, status: Literal["failed", "cancelled"], reason: str
) -> Settled:
    settled = Settled(row.id, status, reason)
    if not unit.outbox.finish_pending(
        row.practice_id, row.id, status=status, error=reason, now=unit.now
    ):
        return settled
    unit.audit(
        AuditKind.CLIENT_OUTBOUND_FAILED,
        row.practice_id,
        subject_type="outbound_message",
        subject_id=row.id,
        details=_ids(row.client_id, row.message_id)
        | {
            "channel": row.channel,
            "purpose": row.purpose,
            "status": status,
            "reason": reason,
            "attempts": row.attempts,
        },
    )
    _tell_thread(
        unit, row.practice_id, row.id, row.client_id, row.message_id, row.channel, status, reason
    )
    return settled


def _tell_thread(
    unit: Unit,
    practice_id: UUID,
    outbound_id: UUID,
    client_id: UUID | None,
    message_id: UUID | None,
    channel: str,
    status: str,
    reason: str | None,
) -> None:
    """An event to the client's thread (after commit), so its members see the change."""
    if client_id is None:
        return
    conversation_id = unit.outbox.client_thread(practice_id, client_id)
    if conversation_id is None:
        return
    unit.emit(
        Event(
            practice_id,
            DELIVERY_EVENT,
            (conversation_topic(conversation_id),),
            {
                "conversation_id": str(conversation_id),
                "outbound_id": str(outbound_id),
                "message_id": str(message_id) if message_id else None,
                "channel": channel,
                "status": status,
                "reason": reason,
                "failure": failure_text(status, reason),
            },
        )
    )


def next_due_at(unit: Unit) -> datetime | None:
    """When the worker next has something to do (None: the queue is empty)."""
    return unit.outbox.next_due_at()


# -- delivery reports --------------------------------------------------------------------------

# The provider's final statuses we record; others ('queued', 'sending', 'sent', 'accepted',
# ...) say nothing new.
_REPORTED: dict[str, Literal["delivered", "undelivered", "failed"]] = {
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}


def record_delivery_report(
    unit: Unit, *, provider_ref: str, status: str, error_code: str | None = None
) -> bool:
    """A provider's delivery report for the message it knows as ``provider_ref``: 'sent'
    rows become 'delivered' (with the time), 'undelivered' or 'failed'. Reports for unknown
    ids, non-final statuses and rows already reported change nothing (False)."""
    new_status = _REPORTED.get(status.strip().lower())
    if new_status is None or not provider_ref:
        return False
    row = unit.outbox.by_provider_ref(provider_ref[:64])
    if row is None:
        return False
    reason = None
    if new_status != "delivered":
        code = "".join(ch for ch in (error_code or "") if ch.isdigit())[:8]
        reason = "undelivered" if new_status == "undelivered" else "provider_failed"
        reason = f"{reason}:{code}" if code else reason
    if not unit.outbox.record_report(
        row.practice_id,
        row.id,
        status=new_status,
        delivered_at=unit.now if new_status == "delivered" else None,
        error=reason,
    ):
        return False
    kind = (
        AuditKind.CLIENT_OUTBOUND_DELIVERED
        if new_status == "delivered"
        else AuditKind.CLIENT_OUTBOUND_FAILED
    )
    details = _ids(row.client_id, row.message_id) | {
        "channel": row.channel,
        "purpose": row.purpose,
        "status": new_status,
    }
    if reason is not None:
        details["reason"] = reason
    unit.audit(
        kind,
        row.practice_id,
        subject_type="outbound_message",
        subject_id=row.id,
        details=details,
    )
    _tell_thread(
        unit,
        row.practice_id,
        row.id,
        row.client_id,
        row.message_id,
        row.channel,
        new_status,
        reason,
    )
    return True


# -- staff's view ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientDelivery:
    """How one outbound SMS or e-mail is doing. Ids, times and a fixed sentence; no content."""

    outbound_id: UUID
    message_id: UUID | None
    channel: str
    purpose: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failure: str | None


def list_client_deliveries(unit: Unit, actor: Actor, conversation_id: UUID) -> list[ClientDelivery]:
    """The outbound SMS and e-mail of a client thread's client, newest first (at most 500),
    for a member of that thread. Other conversations have none (an empty list); a thread the
    actor is not a member of gets the same 404 as a missing one."""
    conversation = check_member(unit, actor, conversation_id)
    if conversation.client_id is None:
        return []
    return [
        ClientDelivery(
            outbound_id=row.id,
            message_id=row.message_id,
            channel=row.channel,
            purpose=row.purpose,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
            failure=failure_text(row.status, row.last_error),
        )
        for row in unit.outbox.for_client(actor.practice_id, conversation.client_id)
    ]
