"""Consent to plain (unencrypted) SMS or e-mail for scheduling, per client and channel.

The history is append-only: each row says granted or revoked, for which channel, how it was
given (``verbal``, ``written``, ``secure_page``, ``keyword``, ``staff``), who recorded it and
when, and, for a grant, the exact warning the client was shown (the practice's
``ClientMessagingPolicy.consent_warning`` at that moment, stored word for word). The newest
row per channel is the answer in force.

Consent decides only whether scheduling text may go *in the clear*; without it, a client still
gets the notice and a secure link. STOP is a different thing (no SMS at all): see
:mod:`quietline.actions.client_messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args
from uuid import UUID, uuid4

from quietline.actions.clients import check_client
from quietline.actions.context import Actor
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, InvalidInput
from quietline.domain.models import ConsentRecord
from quietline.storage.unit import Unit

Channel = Literal["sms", "email"]
Method = Literal["verbal", "written", "secure_page", "keyword", "staff"]
CHANNELS: tuple[str, ...] = get_args(Channel)
METHODS: tuple[str, ...] = get_args(Method)
# How staff record what a client told them; the other two are the client's own doing.
STAFF_METHODS = ("verbal", "written", "staff")


def consent_in_force(
    unit: Unit, practice_id: UUID, client_id: UUID, channel: str
) -> ConsentRecord | None:
    """The grant in force for this client and channel, or None (never asked, or revoked)."""
    latest = unit.clients.latest_consent(practice_id, client_id, channel)
    return latest if latest is not None and latest.granted else None


def record_consent(
    unit: Unit,
    *,
    practice_id: UUID,
    client_id: UUID,
    channel: str,
    granted: bool,
    method: str,
    recorded_by: UUID | None,
    actor_session_id: UUID | None = None,
) -> ConsentRecord:
    """Append a consent row and its audit entry. No access check: the caller has one (staff
    through :func:`do_record_consent`, the client through the secure page, the client's own
    STOP). A grant stores the practice's current warning text word for word."""
    if channel not in CHANNELS:
        raise InvalidInput("channel must be 'sms' or 'email'.")
    if method not in METHODS:
        raise InvalidInput(f"method must be one of: {', '.join(METHODS)}.")
    warning = unit.practice_messaging.policy(practice_id).consent_warning if granted else None
    # The newest row is the answer in force: never let two answers share an instant.
    latest = unit.clients.latest_consent(practice_id, client_id, channel)
    at = unit.now
    if latest is not None and latest.recorded_at >= at:
        at = latest.recorded_at + timedelta(microseconds=1)
    record = ConsentRecord(
        id=uuid4(),
        practice_id=practice_id,
        client_id=client_id,
        channel=channel,
        granted=granted,
        warning_text=warning,
        method=method,
        recorded_by=recorded_by,
        recorded_at=at,
    )
    unit.clients.insert_consent(record)
    unit.audit(
        AuditKind.CONSENT_RECORDED if granted else AuditKind.CONSENT_REVOKED,
        practice_id,
        actor_user_id=recorded_by,
        actor_session_id=actor_session_id,
        subject_type="client",
        subject_id=client_id,
        details={"channel": channel, "method": method, "consent": str(record.id)},
    )
    return record


def do_record_consent(
    unit: Unit,
    actor: Actor,
    client_id: UUID,
    *,
    channel: str,
    granted: bool,
    method: str,
    warning_shown: str | None = None,
) -> ConsentRecord:
    """Staff record a client's answer: granted or revoked, for one channel, and how it was
    given (``verbal``, ``written`` or ``staff``). Anyone who may see the client.

    ``warning_shown``, when sent, must be the warning the practice shows now: an answer to an
    older wording is refused, so the stored text is always the text the client saw.
    """
    client = check_client(unit, actor, client_id)
    if method not in STAFF_METHODS:
        raise InvalidInput(
            f"Staff record consent as one of: {', '.join(STAFF_METHODS)} "
            "(the secure page and text keywords record their own)."
        )
    if channel not in CHANNELS:
        raise InvalidInput("channel must be 'sms' or 'email'.")
    if granted:
        if channel == "sms" and client.phone_sealed is None:
            raise InvalidInput("Add the client's phone number before recording consent to texts.")
        if channel == "email" and client.email_sealed is None:
            raise InvalidInput(
                "Add the client's e-mail address before recording consent to e-mail."
            )
        current = unit.practice_messaging.policy(actor.practice_id).consent_warning
        if warning_shown is not None and warning_shown.strip() != current.strip():
            raise Conflict(
                "The practice's consent warning changed since it was shown. Show the client "
                "the current warning and record their answer again."
            )
    return record_consent(
        unit,
        practice_id=actor.practice_id,
        client_id=client_id,
        channel=channel,
        granted=granted,
        method=method,
        recorded_by=actor.user_id,
        actor_session_id=actor.session_id,
    )


@dataclass(frozen=True, slots=True)
class ConsentHistory:
    warning_text: str  # what the practice shows now, for the next answer
    in_force: dict[str, ConsentRecord | None]  # channel -> the grant in force
    history: list[ConsentRecord]  # newest first


def consent_history(unit: Unit, actor: Actor, client_id: UUID) -> ConsentHistory:
    """Every consent answer of a client the actor may see, newest first, with what is in
    force and the warning the practice shows now."""
    check_client(unit, actor, client_id)
    history = unit.clients.consent_history(actor.practice_id, client_id)
    in_force = {
        channel: consent_in_force(unit, actor.practice_id, client_id, channel)
        for channel in CHANNELS
    }
    return ConsentHistory(
        warning_text=unit.practice_messaging.policy(actor.practice_id).consent_warning,
        in_force=in_force,
        history=history,
    )
