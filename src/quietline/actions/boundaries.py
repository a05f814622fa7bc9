"""Boundaries: what happens by itself after a client's message came in.

:func:`respond_to_inbound` is called by
:func:`quietline.actions.client_messages.receive_from_client` in the same transaction, after
the client's message is stored. In this order, and only the first that applies:

1. **Crisis** (``crisis``: :func:`quietline.safety.crisis.assess` flagged the message, which is
   already marked urgent): the practice's crisis reply goes to the client at once, in the clear
   even without consent (it holds no client information; STOP is still honoured, then it is on
   the secure page only); the clinicians assigned to the client and whoever is on call now get
   an urgent alert that is never held for "in session" (no one assigned and no one on call:
   the owners and admins). This is a safety net, not a clinical assessment.
2. **An answer to a confirmation request**: a lone C / R / confirm / reschedule, when an
   appointment awaits one: the appointment is confirmed or marked for rescheduling and the
   client gets a short acknowledgement.
3. **Running late** ("running 10 min late", "stuck in traffic, be there in 15"), when the
   client has an appointment today: the practice's running-late reply, and the clinician's
   devices are told.
4. **After hours** (the practice's time zone, weekly hours and holidays): the practice's
   after-hours reply, at most once per client in 12 hours.

Every automatic reply is also written into the client's thread as an automatic message
(channel ``auto``), so staff see exactly what the client was sent and the client sees it on
the secure page (docs/decisions/0020-boundaries-and-auto-replies.md).
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from uuid import UUID

from quietline.actions.appointments import (
    Answer,
    answer_text,
    auto_sender_id,
    note_client_late,
    respond_to_appointment,
)
from quietline.actions.client_messages import deliver_and_record
from quietline.actions.client_settings import is_open
from quietline.actions.notifications import urgent_alert
from quietline.domain.audit import AuditKind
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

AFTER_HOURS_EVERY = timedelta(hours=12)

_ANSWERS: dict[str, Answer] = {
    "c": "confirm",
    "confirm": "confirm",
    "confirmed": "confirm",
    "r": "reschedule",
    "reschedule": "reschedule",
}
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_MINUTES = r"(?:m|mins?|minutes?)"
_ABOUT = r"(?:about\s+|around\s+|like\s+|maybe\s+|~\s*)?"
_LATE = [
    re.compile(p)
    for p in (
        rf"\brunning\s+(?:a\s+(?:bit|little)\s+|a\s+few\s+{_MINUTES}\s+)?(?:late|behind)\b",
        rf"\brunning\s+{_ABOUT}\d{{1,3}}\s*{_MINUTES}\s+(?:late|behind)\b",
        rf"\b\d{{1,3}}\s*{_MINUTES}\s+late\b",
        r"\b(?:i'?m|i\s+am|will\s+be|i'?ll\s+be|gonna\s+be|going\s+to\s+be)\s+"
        rf"(?:a\s+(?:bit|little)\s+|a\s+few\s+{_MINUTES}\s+|{_ABOUT}\d{{1,3}}\s*{_MINUTES}\s+)?"
        r"late\b",
        r"\bstuck\s+in\s+traffic\b",
        rf"\b(?:be|get|getting|arrive|arriving)\s+there\s+in\s+{_ABOUT}\d{{1,3}}\b",
    )
]
_NOT_LATE = re.compile(
    r"\b(?:not|never|no\s+longer)\s+(?:\w+\s+){0,2}(?:late|running|behind)\b"
    r"|n't\s+(?:\w+\s+){0,2}(?:late|behind)\b"
)
_LATE_MINUTES = (
    re.compile(rf"\b(\d{{1,3}})\s*{_MINUTES}\b"),
    re.compile(rf"\bin\s+{_ABOUT}(\d{{1,3}})\b"),
)


def appointment_answer(body: str) -> Answer | None:
    """A lone C, R, confirm or reschedule (case, spaces, quotes and a full stop aside)."""
    text = body.strip().strip(_QUOTES).strip().rstrip(".!").strip().lower()
    return _ANSWERS.get(text)


def running_late(body: str) -> tuple[bool, int | None]:
    """Whether the client says they are running late, and by how many minutes if they say."""
    text = body.lower().replace("\u2019", "'")
    text = re.sub(r"\s+", " ", text)
    if not any(p.search(text) for p in _LATE) or _NOT_LATE.search(text):
        return False, None
    for pattern in _LATE_MINUTES:
        found = pattern.search(text)
        if found and 1 <= int(found.group(1)) <= 180:
            return True, int(found.group(1))
    return True, None


def alert_recipients(unit: Unit, practice_id: UUID, client_id: UUID) -> list[UUID]:
    """Who gets the urgent alert: the client's assigned clinicians and whoever is on call
    now (active accounts); when that is nobody, the practice's owners and admins."""
    assigned = unit.clients.clinician_ids(practice_id, client_id)
    active = unit.users.active_ids(practice_id, set(assigned))
    people = [u for u in assigned if u in active]
    people += unit.appointments.on_call_at(practice_id, unit.now)
    if not people:
        people = [
            u.id
            for u in unit.users.list_for_practice(practice_id)
            if u.is_active and u.role in (Role.OWNER, Role.ADMIN)
        ]
    return list(dict.fromkeys(people))


def _auto_reply(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    practice_id: UUID,
    client_id: UUID,
    inbound_id: UUID,
    inbound_channel: str,
    text: str,
    purpose: str,
    name: str,
) -> bool:
    """Send one automatic reply to an inbound message and record it in the thread. False
    when this reply to this message was sent already (the inbound message was retried)."""
    sender = auto_sender_id(unit, practice_id)
    key = f"auto.{name}.{inbound_id}"
    if sender is not None and unit.messages.by_idempotency_key(practice_id, sender, key):
        return False
    # A client writing on the secure page reads the reply there; only crisis resources also
    # go to their phone (they may close the page).
    posted, delivery = deliver_and_record(
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=practice_id,
        client_id=client_id,
        text=text,
        purpose=purpose,
        sender_id=sender,
        idempotency_key=key,
        created_by=None,
        thread_channel="auto",
        deliver=inbound_channel != "page" or purpose == "crisis_reply",
    )
    unit.audit(
        AuditKind.AUTO_REPLY_SENT,
        practice_id,
        subject_type="client",
        subject_id=client_id,
        details={
            "purpose": purpose,
            "in_reply_to": str(inbound_id),
            "channel": delivery.channel or "page",
            "message": str(posted) if posted else None,
        },
    )
    return True


def respond_to_inbound(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    practice_id: UUID,
    client_id: UUID,
    conversation_id: UUID,
    message_id: UUID,
    body: str,
    crisis: bool,
    channel: str,
    spanish: bool = False,
) -> list[str]:
    """Answer a client's message that was just stored (see the module docstring); returns the
    purposes of what was sent (empty: nothing). The caller holds the write transaction.
    ``spanish``: the crisis detector's Spanish rules raised the flag, so the crisis reply goes
    in the practice's Spanish words."""
    policy = unit.practice_messaging.policy(practice_id)
    reply = partial(
        _auto_reply,
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=practice_id,
        client_id=client_id,
        inbound_id=message_id,
        inbound_channel=channel,
    )
    if crisis:
        words = policy.crisis_reply_spanish if spanish else policy.crisis_reply
        if not reply(text=words, purpose="crisis_reply", name="crisis"):
            return []
        recipients = alert_recipients(unit, practice_id, client_id)
        unit.audit(
            AuditKind.CRISIS_DETECTED,
            practice_id,
            subject_type="message",
            subject_id=message_id,
            details={
                "client": str(client_id),
                "conversation": str(conversation_id),
                "channel": channel,
                "alerted": [str(u) for u in recipients],
            },
        )
        for user_id in recipients:
            unit.emit(
                urgent_alert(
                    practice_id,
                    user_id,
                    client_id=client_id,
                    conversation_id=conversation_id,
                    message_id=message_id,
                )
            )
        return ["crisis_reply"]

    answer = appointment_answer(body)
    if answer is not None:
        appointment = respond_to_appointment(
            unit,
            practice_id=practice_id,
            client_id=client_id,
            appointment_id=None,
            answer=answer,
            via=channel,
        )
        if appointment is not None:
            text = answer_text(policy, appointment)
            if reply(text=text, purpose="keyword", name="answer"):
                return ["keyword"]
            return []

    late, minutes = running_late(body)
    if late and note_client_late(
        unit, practice_id=practice_id, client_id=client_id, minutes=minutes, via=channel
    ):
        if reply(text=policy.late_reply, purpose="late_ack", name="late"):
            return ["late_ack"]
        return []

    if is_open(policy, unit.now) or unit.practice_messaging.auto_reply_since(
        practice_id, conversation_id, "auto.afterhours.", unit.now - AFTER_HOURS_EVERY
    ):
        return []
    if reply(text=policy.after_hours_reply, purpose="after_hours", name="afterhours"):
        return ["after_hours"]
    return []
