"""Sending, reading, recalling and acknowledging messages."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from quietline.actions.clinical_guard import guard_logistics_channel, record_override
from quietline.actions.context import Actor
from quietline.actions.conversations import check_member, check_reader, check_ttl
from quietline.actions.notifications import PUSH_TOPIC
from quietline.actions.supervision import note_supervision_view
from quietline.crypto.envelope import DecryptionError
from quietline.crypto.fields import SealedMessage, open_message_body, seal_message_body
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.ids import time_ordered_id
from quietline.domain.models import Conversation, Membership, ReceiptMark, StoredMessage
from quietline.domain.policy import PracticePolicy
from quietline.storage.unit import Unit

MAX_BODY = 4000
MAX_PAGE = 200
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
SEARCH_SCAN_LIMIT = 2000
# How long an expired message's tombstone (ids, sequence, idempotency key; no content, no
# key) is kept so that late retries are recognised.
TOMBSTONE_RETENTION = timedelta(days=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MessageView:
    id: UUID
    conversation_id: UUID
    seq: int
    sender_id: UUID | None  # None: the client of a client thread wrote it
    body: str
    urgent: bool
    created_at: datetime
    expires_at: datetime | None
    sender_client_id: UUID | None = None
    internal: bool = False
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    message: MessageView
    created: bool


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[MessageView]
    has_more: bool


@dataclass(frozen=True, slots=True)
class RecipientReceipt:
    user_id: UUID
    delivered_at: datetime | None
    seen_at: datetime | None


def _open(unit: Unit, conversation: Conversation, message: StoredMessage) -> MessageView:
    if message.body_sealed is None or message.dek_wrapped is None:
        raise RuntimeError("opening a message whose content was erased")
    body = open_message_body(
        unit.conversation_key(conversation),
        message.practice_id,
        message.conversation_id,
        message.id,
        SealedMessage(message.body_sealed, message.dek_wrapped),
    )
    return MessageView(
        message.id,
        message.conversation_id,
        message.seq,
        message.sender_id,
        body,
        message.urgent,
        message.created_at,
        message.expires_at,
        message.sender_client_id,
        message.internal,
        message.channel,
    )


def _open_readable(
    unit: Unit, conversation: Conversation, rows: list[StoredMessage]
) -> list[MessageView]:
    """Open each message, leaving out (and logging, by id) any whose ciphertext fails
    authentication: damaged, or copied from another row. One bad row must neither hide the
    whole conversation behind an error nor show another row's text."""
    views = []
    for message in rows:
        try:
            views.append(_open(unit, conversation, message))
        except DecryptionError:
            log.error(
                "message %s in conversation %s cannot be decrypted; left out",
                message.id,
                message.conversation_id,
            )
    return views


def check_body(body: str) -> str:
    if not body.strip():
        raise InvalidInput("Write something before sending.")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"A message can be at most {MAX_BODY} characters; split it in two.")
    if "\x00" in body:
        raise InvalidInput("The message contains a character that cannot be sent (NUL).")
    return body


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message :func:`store_thread_message` stored: the row (id, seq, expiry) and the
    time-to-live it was given (None or 0: it does not expire)."""

    message: StoredMessage
    ttl_seconds: int | None


def store_thread_message(
    unit: Unit,
    conversation: Conversation,
    *,
    body: str,
    idempotency_key: str,
    sender_user_id: UUID | None = None,
    sender_client_id: UUID | None = None,
    urgent: bool = False,
    internal: bool = False,
    channel: str | None = None,
    ttl_seconds: int | None = None,
    policy: PracticePolicy | None = None,
    message_id: UUID | None = None,
    push: bool = True,
) -> NewMessage:
    """Seal and store one message in ``conversation``, and emit ``message.created`` (after
    commit): the one way every message is written, whoever wrote it.

    Exactly one sender: a staff member (``sender_user_id``) or the client of a client thread
    (``sender_client_id``). The next sequence number is taken here; the body is sealed under
    a fresh data key with the practice, conversation and message ids as associated data.
    ``ttl_seconds`` is a checked time-to-live; None takes the conversation's default, else
    the practice's (``policy``: the practice's, when the caller has it already; otherwise it
    is read). ``push=False`` leaves the practice's push topic out (a record of what the
    client was sent: nobody needs to act on it). ``message_id``: an id the caller already
    gave to what went out with it.

    The caller holds the write transaction, has checked access and the idempotency key, and
    writes its own audit entry (what happened differs: sent, received, sent by itself).
    Raises IntegrityError when the key is being used for another message at this moment.
    """
    if (sender_user_id is None) == (sender_client_id is None):
        raise ValueError("a thread message has exactly one sender: a user or a client")
    practice_id = conversation.practice_id
    ttl = ttl_seconds
    if ttl is None:
        ttl = conversation.default_ttl_seconds
        if not ttl:
            if policy is None:
                policy = present(unit.practices.get(practice_id), "practice").policy
            ttl = policy.default_message_ttl_seconds
    message_id = message_id or time_ordered_id()
    seq = unit.conversations.next_seq(practice_id, conversation.id, unit.now)
    sealed = seal_message_body(
        unit.conversation_key(conversation), practice_id, conversation.id, message_id, body
    )
    stored = StoredMessage(
        id=message_id,
        practice_id=practice_id,
        conversation_id=conversation.id,
        seq=seq,
        sender_id=sender_user_id,
        idempotency_key=idempotency_key,
        body_sealed=sealed.body,
        dek_wrapped=sealed.wrapped_dek,
        urgent=urgent,
        created_at=unit.now,
        expires_at=unit.now + timedelta(seconds=ttl) if ttl else None,
        recalled_at=None,
        sender_client_id=sender_client_id,
        internal=internal,
        channel=channel,
    )
    unit.messages.insert(stored)
    topic = conversation_topic(conversation.id)
    unit.emit(
        Event(
            practice_id,
            "message.created",
            (topic, PUSH_TOPIC) if push else (topic,),
            {
                "conversation_id": str(conversation.id),
                "message_id": str(message_id),
                "seq": seq,
                "sender_id": str(sender_user_id) if sender_user_id is not None else None,
                **(
                    {"sender_client_id": str(sender_client_id)}
                    if sender_client_id is not None
                    else {}
                ),
                "urgent": urgent,
            },
        )
    )
    return NewMessage(stored, ttl)


def do_send_message(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    *,
    body: str,
    idempotency_key: str,
    urgent: bool = False,
    ttl_seconds: int | None = None,
    internal: bool = False,
    channel: str | None = None,
    acknowledge_clinical: bool = False,
) -> SendResult:
    """Send once per idempotency key: a retry returns the first message, unchanged.

    The same key with different content is refused, so a client bug cannot silently drop text.
    ``internal`` (a staff-only note) and ``channel`` (how it reaches the client) only apply
    in client threads; :mod:`quietline.actions.client_messages` sets them, and a message to
    the client must come through it (it decides how the client is told). In a channel marked
    logistics-only the clinical-content guard applies (``acknowledge_clinical`` overrides a
    warning; see :mod:`quietline.actions.clinical_guard`).
    """
    if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        raise InvalidInput(
            "idempotency_key must be 8 to 128 letters, digits or '_.:-' (a UUID works)."
        )
    body = check_body(body)
    # The lock orders concurrent senders (and retries from other server processes): once
    # held, a committed message with this key is visible to the check below.
    conversation = check_member(unit, actor, conversation_id, lock=True)
    existing = unit.messages.by_idempotency_key(actor.practice_id, actor.user_id, idempotency_key)
    if existing is not None:
        return _replay(unit, actor, conversation, existing, body, urgent)
    if conversation.is_client_thread and channel is None and not internal:
        raise Conflict(
            "This is a client's thread: send to the client with POST "
            "/api/v1/conversations/{id}/client-messages (it decides how the client is told), "
            "or write a staff-only note there with internal set to true."
        )
    overridden = guard_logistics_channel(
        unit, actor, conversation, body, acknowledged=acknowledge_clinical
    )
    try:
        new = store_thread_message(
            unit,
            conversation,
            body=body,
            idempotency_key=idempotency_key,
            sender_user_id=actor.user_id,
            urgent=urgent,
            internal=internal,
            channel=channel,
            ttl_seconds=check_ttl(ttl_seconds),
            policy=actor.practice.policy,
        )
    except IntegrityError:
        # Only possible when the same key is sent to another conversation at the same moment.
        raise Conflict(
            "This idempotency key is being used for another message right now. "
            "Use a new key for a new message."
        ) from None
    stored = new.message
    unit.audit(
        AuditKind.MESSAGE_SENT,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="message",
        subject_id=stored.id,
        details={
            "conversation": str(conversation_id),
            "seq": stored.seq,
            "urgent": urgent,
            "ttl_seconds": new.ttl_seconds,
            **({"internal": True} if internal else {}),
        },
    )
    if overridden is not None:
        record_override(unit, actor, conversation_id, stored.id, overridden, where="channel")
    return SendResult(
        MessageView(
            stored.id,
            conversation_id,
            stored.seq,
            actor.user_id,
            body,
            urgent,
            unit.now,
            stored.expires_at,
            None,
            internal,
            channel,
        ),
        created=True,
    )


def _replay(
    unit: Unit,
    actor: Actor,
    conversation: Conversation,
    existing: StoredMessage,
    body: str,
    urgent: bool,
) -> SendResult:
    if existing.conversation_id != conversation.id:
        raise Conflict(
            "This idempotency key was already used for a message in another "
            "conversation. Use a new key for a new message."
        )
    if not existing.readable_at(unit.now):
        raise Conflict(
            "This idempotency key belongs to a message that was recalled or has "
            "expired. Use a new key to send again."
        )
    readable = _open_readable(unit, conversation, [existing])
    if not readable:
        raise Conflict(
            "This idempotency key belongs to a message that can no longer be read. "
            "Use a new key to send again."
        )
    view = readable[0]
    if view.body != body or view.urgent != urgent:
        raise Conflict(
            "This idempotency key was already used with different content. "
            "Use a new key for a new message."
        )
    return SendResult(view, created=False)


def fetch_messages(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    *,
    before_seq: int | None = None,
    after_seq: int | None = None,
    limit: int = 50,
    via: str = "history",
) -> MessagePage:
    """A page of readable messages, oldest first; recorded as viewed by this device.

    Members read; so does an admin holding a live emergency-access grant, whose views are
    marked with the grant in the audit trail and move no receipt cursor (not a member), and
    a supervisor reading a supervisee's client thread, whose views are marked with the
    supervision and shown to the members (decision 0021).
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
    if before_seq is not None and after_seq is not None:
        raise InvalidInput("Use either before or after, not both.")
    access = check_reader(unit, actor, conversation_id)
    conversation = access.conversation
    rows = unit.messages.page(
        actor.practice_id,
        conversation_id,
        unit.now,
        before_seq=before_seq,
        after_seq=after_seq,
        limit=limit + 1,
        not_before=actor.practice.policy.retention_cutoff(unit.now),
    )
    has_more = len(rows) > limit
    if has_more:
        rows = rows[:limit] if after_seq is not None else rows[1:]
    views = _open_readable(unit, conversation, rows)
    if views:
        _record_views(
            unit,
            actor,
            conversation_id,
            [v.id for v in views],
            via,
            access.grant_id,
            access.supervision_id,
        )
        if access.is_member:
            _advance(unit, actor, conversation_id, "delivered", max(v.seq for v in views))
        elif access.supervision_id is not None:  # shown to the members (decision 0021)
            note_supervision_view(unit, actor, conversation_id, access.supervision_id)
    return MessagePage(views, has_more)


def _record_views(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    message_ids: list[UUID],
    via: str,
    grant_id: UUID | None = None,
    supervision_id: UUID | None = None,
) -> None:
    """Who saw which messages, when, on which device: one audit entry (naming the emergency
    access grant, or the supervision, when the reader is not a member)."""
    details: dict[str, object] = {"via": via, "messages": [str(m) for m in message_ids]}
    if grant_id is not None:
        details["emergency_access"] = str(grant_id)
    if supervision_id is not None:
        details["supervision"] = str(supervision_id)
    _record_view(unit, actor, conversation_id, details)


def _record_view(
    unit: Unit, actor: Actor, conversation_id: UUID, details: dict[str, object]
) -> None:
    unit.audit(
        AuditKind.MESSAGES_VIEWED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="conversation",
        subject_id=conversation_id,
        details=details,
    )


def read_for_delivery(
    unit: Unit, practice_id: UUID, conversation_id: UUID, message_id: UUID
) -> MessageView | None:
    """The content of a just-sent message for live delivery to connected members.

    The caller (the WebSocket layer) already holds the subscription that membership grants;
    the message is re-checked for recall and expiry at this instant.
    """
    conversation = unit.conversations.get(practice_id, conversation_id)
    message = unit.messages.get(practice_id, conversation_id, message_id)
    if conversation is None or message is None or not message.readable_at(unit.now):
        return None
    readable = _open_readable(unit, conversation, [message])
    return readable[0] if readable else None


@dataclass(frozen=True, slots=True)
class DeviceActivity:
    """One device's socket activity since the last flush."""

    actor: Actor
    pushed: dict[UUID, list[UUID]]  # conversation -> messages the server sent it
    delivered: dict[UUID, int]  # conversation -> highest seq the device acknowledged
    active: bool = False  # the person used the app (counts for the idle limit and app lock)


def record_device_activity(unit: Unit, batch: list[DeviceActivity]) -> None:
    """Record what the server pushed to devices over their WebSockets, and what they
    acknowledged, for many devices in one transaction.

    The pushed content is recorded when the server sends it, not when the device
    acknowledges, so a device that never acknowledges still leaves a record. An
    acknowledgement for a conversation the person has left since is dropped.
    """
    for item in batch:
        if item.active:
            # Never revives a locked app: the touch is refused unless the session is live
            # and unlocked (checked against the current row, not the socket's copy).
            session = unit.sessions.get(item.actor.practice_id, item.actor.session_id)
            lock_after = timedelta(minutes=item.actor.practice.policy.app_lock_minutes)
            if (
                session is not None
                and session.revoked_at is None
                and session.locked_at is None
                and unit.now - session.last_seen_at < lock_after
            ):
                unit.sessions.touch(item.actor.practice_id, item.actor.session_id, unit.now)
        for conversation_id, message_ids in item.pushed.items():
            if message_ids:
                _record_views(unit, item.actor, conversation_id, message_ids, "live")
        for conversation_id, up_to_seq in item.delivered.items():
            conversation = unit.conversations.get_if_member(
                item.actor.practice_id, conversation_id, item.actor.user_id
            )
            if conversation is not None:
                # Never beyond the newest message: later ones must not count as delivered.
                _advance(
                    unit,
                    item.actor,
                    conversation_id,
                    "delivered",
                    min(up_to_seq, conversation.last_seq),
                )


def do_mark(unit: Unit, actor: Actor, conversation_id: UUID, kind: str, up_to_seq: int) -> int:
    """Move the actor's delivered or seen cursor; returns the cursor after the change.

    "seen" must only be sent when the messages were shown in the open conversation.
    """
    if kind not in ("delivered", "seen"):
        raise InvalidInput("kind must be 'delivered' or 'seen'.")
    if up_to_seq < 0:
        raise InvalidInput("up_to_seq cannot be negative.")
    conversation = check_member(unit, actor, conversation_id)
    return _advance(unit, actor, conversation_id, kind, min(up_to_seq, conversation.last_seq))


def _advance(unit: Unit, actor: Actor, conversation_id: UUID, kind: str, up_to_seq: int) -> int:
    """Move the actor's delivered or seen cursor forward; returns the cursor afterwards.

    The receipt event goes to the people whose messages the move covers, not to every member:
    receipts are shown to senders, and telling every device of every member would cost
    members-squared frames per message.
    """
    membership = present(
        unit.conversations.membership(actor.practice_id, conversation_id, actor.user_id),
        "membership",
    )
    before = membership.seen_seq if kind == "seen" else membership.delivered_seq
    if up_to_seq <= before:
        return before
    unit.conversations.advance_cursor(
        actor.practice_id, conversation_id, actor.user_id, kind, up_to_seq
    )
    unit.messages.add_receipt_mark(
        mark_id=time_ordered_id(),
        practice_id=actor.practice_id,
        conversation_id=conversation_id,
        user_id=actor.user_id,
        device_session_id=actor.session_id,
        kind=kind,
        up_to_seq=up_to_seq,
        at=unit.now,
    )
    if kind == "seen":
        _record_view(unit, actor, conversation_id, {"via": "seen", "up_to_seq": up_to_seq})
    senders = {
        sender
        for sender in unit.messages.senders_between(
            actor.practice_id, conversation_id, before, up_to_seq
        )
        if sender is not None and sender != actor.user_id
    }
    if senders:
        unit.emit(
            Event(
                actor.practice_id,
                "receipt.updated",
                tuple(user_topic(sender) for sender in sorted(senders)),
                {
                    "conversation_id": str(conversation_id),
                    "user_id": str(actor.user_id),
                    "kind": kind,
                    "up_to_seq": up_to_seq,
                    "at": unit.now.isoformat(),
                },
            )
        )
    return up_to_seq


@dataclass(frozen=True, slots=True)
class ConversationReceipts:
    memberships: list[Membership]
    marks: list[ReceiptMark]


# Per member, the marks a page needs are at most one per message on it (cursors only move
# forward), plus one: 50 messages x 2 kinds x 20 members fit.
MAX_MARKS = 2000


def conversation_receipts(
    unit: Unit, actor: Actor, conversation_id: UUID, since_seq: int
) -> ConversationReceipts:
    """Every member's delivered and seen cursors, and the marks (with their times) from
    ``since_seq`` on: enough for the app to show receipts under each message of a page.
    Readable under emergency access too (who saw what is part of the history)."""
    check_reader(unit, actor, conversation_id)
    return ConversationReceipts(
        unit.conversations.memberships(actor.practice_id, conversation_id),
        unit.messages.marks_since(actor.practice_id, conversation_id, since_seq, MAX_MARKS),
    )


def message_receipts(
    unit: Unit, actor: Actor, conversation_id: UUID, message_id: UUID
) -> list[RecipientReceipt]:
    """Who has received and who has seen a message, and when. Shown to its sender."""
    check_member(unit, actor, conversation_id)
    message = unit.messages.get(actor.practice_id, conversation_id, message_id)
    if message is None:
        raise NotFound("message")
    if message.sender_id != actor.user_id:
        raise Forbidden("Receipts are shown to the person who sent the message.")
    marks = unit.messages.receipts_for(actor.practice_id, conversation_id, message.seq)
    delivered: dict[UUID, datetime] = {}
    seen: dict[UUID, datetime] = {}
    for mark in marks:
        target = seen if mark.kind == "seen" else delivered
        if mark.user_id not in target or mark.at < target[mark.user_id]:
            target[mark.user_id] = mark.at
    result = []
    for uid in unit.conversations.member_ids(actor.practice_id, conversation_id):
        if uid == message.sender_id:
            continue
        seen_at = seen.get(uid)
        delivered_at = delivered.get(uid)
        if seen_at and (delivered_at is None or seen_at < delivered_at):
            delivered_at = seen_at  # seen implies delivered
        result.append(RecipientReceipt(uid, delivered_at, seen_at))
    return result


def do_recall(unit: Unit, actor: Actor, conversation_id: UUID, message_id: UUID) -> None:
    """The sender unsends: content and its key are erased for everyone; devices are told."""
    check_member(unit, actor, conversation_id)
    message = unit.messages.get(actor.practice_id, conversation_id, message_id)
    if message is None:
        raise NotFound("message")
    if message.sender_id != actor.user_id:
        raise Forbidden("Only the person who sent a message can recall it.")
    if message.recalled_at is not None:
        return
    window = timedelta(minutes=actor.practice.policy.recall_window_minutes)
    if unit.now - message.created_at > window:
        raise Conflict(
            f"Messages can be recalled within "
            f"{actor.practice.policy.recall_window_minutes} minutes of sending; "
            "this one is older."
        )
    unit.messages.recall(actor.practice_id, message_id, unit.now)
    unit.audit(
        AuditKind.MESSAGE_RECALLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="message",
        subject_id=message_id,
        details={"conversation": str(conversation_id), "seq": message.seq},
    )
    unit.emit(
        Event(
            actor.practice_id,
            "message.recalled",
            (conversation_topic(conversation_id),),
            {
                "conversation_id": str(conversation_id),
                "message_id": str(message_id),
                "seq": message.seq,
            },
        )
    )


def search_messages(
    unit: Unit, actor: Actor, query: str, *, conversation_id: UUID | None = None, limit: int = 50
) -> list[MessageView]:
    """Case-insensitive search in the actor's conversations.

    Content is encrypted, so the server decrypts and matches the newest
    ``SEARCH_SCAN_LIMIT`` readable messages of each conversation (bounded work).
    """
    needle = query.strip().casefold()
    if not 2 <= len(needle) <= 200:
        raise InvalidInput("Search for 2 to 200 characters.")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
    if conversation_id is not None:
        conversations = [check_member(unit, actor, conversation_id)]
    else:
        conversations = [
            c
            for cid in unit.conversations.conversation_ids_for_user(
                actor.practice_id, actor.user_id
            )
            if (c := unit.conversations.get(actor.practice_id, cid)) is not None
        ]
    hits: list[MessageView] = []
    for conversation in conversations:
        rows = unit.messages.page(
            actor.practice_id,
            conversation.id,
            unit.now,
            limit=SEARCH_SCAN_LIMIT,
            not_before=actor.practice.policy.retention_cutoff(unit.now),
        )
        hits.extend(
            v for v in _open_readable(unit, conversation, rows) if needle in v.body.casefold()
        )
    hits.sort(key=lambda v: v.created_at, reverse=True)
    hits = hits[:limit]
    by_conversation: dict[UUID, list[MessageView]] = {}
    for v in hits:
        by_conversation.setdefault(v.conversation_id, []).append(v)
    for cid, views in by_conversation.items():
        _record_views(unit, actor, cid, [v.id for v in views], "search")
    return hits


def do_purge_expired(unit: Unit, batch: int = 500) -> int:
    """Destroy the content and data key of messages past their time-to-live. Scheduled job.

    Reading never waits for this: expired content is filtered at query time. The erased rows
    stay as tombstones for :data:`TOMBSTONE_RETENTION`, so a phone retrying a send with the
    same idempotency key gets a 409 instead of sending the message again; then they go too.
    Conversations under legal hold are skipped (their expired messages stay stored, and
    unreadable, until the hold is released). Returns the number of messages erased.
    """
    unit.messages.delete_expired_before(unit.now - TOMBSTONE_RETENTION, batch)
    expired = unit.messages.expired_with_content(unit.now, batch)
    by_practice: dict[UUID, dict[UUID, list[UUID]]] = {}
    for practice_id, conversation_id, message_id in expired:
        by_practice.setdefault(practice_id, {}).setdefault(conversation_id, []).append(message_id)
    total = 0
    for practice_id, conversations in by_practice.items():
        ids = [m for ms in conversations.values() for m in ms]
        total += unit.messages.erase(practice_id, ids)
        unit.audit(
            AuditKind.MESSAGES_PURGED,
            practice_id,
            subject_type="practice",
            subject_id=practice_id,
            details={"count": len(ids), "conversations": sorted(str(c) for c in conversations)},
        )
        for conversation_id, message_ids in conversations.items():
            unit.emit(
                Event(
                    practice_id,
                    "message.expired",
                    (conversation_topic(conversation_id),),
                    {
                        "conversation_id": str(conversation_id),
                        "message_ids": [str(m) for m in message_ids],
                    },
                )
            )
    return total
