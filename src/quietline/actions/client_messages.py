"""Messages between a practice and its clients: the delivery rule, staff sending into a
client's thread, and what clients send (SMS keywords, then the message itself).

**The delivery rule** (docs/client-messaging.md), in :func:`plan_delivery` and
:func:`deliver_to_client`, for one piece of text to one client:

1. Channel: SMS when the client has a phone number and has not sent STOP; else e-mail when
   they have an address; else nothing goes out (the text waits on the secure page).
2. In the clear only when the caller says the text may go in the clear (an approved template
   filled with checked values, an automatic reply in the practice's own words, or, with the
   practice's ``plain_messages = "logistics"``, free text the clinical-content guard passes)
   AND the client's consent for that channel is in force.
3. Otherwise the SMS or e-mail carries only the practice's notice with a fresh secure link.
4. Crisis resources go in the clear even without consent (they hold no client information);
   STOP is still honoured.

**Inbound**: :func:`receive_sms` finds the practice by the number texted (keyed hash) and the
client by the number texting (several clients may share a phone: the one whose thread was
active last; an unknown number becomes a new contact). STOP, START and HELP are honoured
before anything else. Then :func:`receive_from_client` stores the message in the client's
thread (urgent when the crisis detector flags it), tells staff, and lets
:func:`quietline.actions.boundaries.respond_to_inbound` answer it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from uuid import UUID

from quietline.actions.client_access import client_page_url, issue_link
from quietline.actions.client_senders import check_client_sender
from quietline.actions.clients import (
    client_address,
    create_client_record,
    normalise_phone,
    phone_lookup,
)
from quietline.actions.clinical_guard import (
    GuardAction,
    check_clinical,
    guard_mode,
    record_override,
)
from quietline.actions.consent import consent_in_force, record_consent
from quietline.actions.context import Actor
from quietline.actions.conversations import check_member
from quietline.actions.messages import (
    MAX_BODY,
    MessageView,
    check_body,
    do_send_message,
    store_thread_message,
)
from quietline.actions.outbox import enqueue_outbound
from quietline.actions.templates import render_template
from quietline.crypto.tokens import keyed_hash
from quietline.domain.audit import AuditKind
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.errors import Conflict, InvalidInput, NotFound, present
from quietline.domain.ids import time_ordered_id
from quietline.domain.models import Conversation, StoredClient
from quietline.safety.clinical import assess_clinical
from quietline.safety.crisis import CrisisAssessment, assess, written_in_spanish
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

Channel = Literal["sms", "email"]
ThreadChannel = Literal["sms", "email", "link", "page"]
# Purposes that go in the clear without consent (rule 4): they hold no client information.
CLEAR_WITHOUT_CONSENT = frozenset({"crisis_reply"})
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
START_WHILE_STOPPED = frozenset({"YES"})  # an ordinary "yes" unless the client sent STOP
HELP_WORDS = frozenset({"HELP", "INFO"})
STOP_CONFIRMATION = (
    "You are unsubscribed and will get no more text messages from us. Reply START to get "
    "them again."
)
START_CONFIRMATION = "You will get text messages from us again. Reply STOP to stop, HELP for help."
EMPTY_INBOUND = "(The message had no text.)"
NEW_CONTACT_NAME = "New contact (…{last4})"
NOT_A_SENDER = (
    "The sender (From) is not a phone number that can receive texts, so the message was "
    "refused and nothing was stored."
)
_PROVIDER_REF = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
# Spaces, end punctuation and quotation marks (straight and curly) around a keyword.
_KEYWORD_TRIM = " \t\r\n.!\"'\u201c\u201d\u2018\u2019"


# -- the delivery rule ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one piece of text for one client.

    ``channel``: how it went out (``sms`` or ``email``), or None when nothing went out;
    ``clear``: the text itself went (otherwise the notice and a link); ``reason``, when
    nothing went out: ``opted_out`` (STOP, and no e-mail address), ``no_address`` or
    ``archived`` (no link is sent to an archived client); None when nothing was meant to go
    out (:func:`deliver_and_record` with ``deliver=False``).
    """

    channel: Channel | None
    clear: bool
    outbound_id: UUID | None = None
    reason: str | None = None

    @property
    def message_channel(self) -> ThreadChannel:
        """For ``messages.channel``: ``sms``/``email`` (in the clear), ``link`` (notice and
        link) or ``page`` (only on the secure page)."""
        if self.channel is None:
            return "page"
        return self.channel if self.clear else "link"


def plan_delivery(
    unit: Unit,
    client: StoredClient,
    *,
    clear_allowed: bool,
    purpose: str,
) -> Delivery:
    """Rules 1 to 4 without sending anything (no outbound id yet)."""
    channel: Channel | None = None
    reason = None
    if client.phone_sealed is not None and client.sms_opted_out_at is None:
        channel = "sms"
    elif client.email_sealed is not None:
        channel = "email"
    else:
        reason = "opted_out" if client.phone_sealed is not None else "no_address"
    if channel is None:
        return Delivery(None, False, None, reason)
    clear = clear_allowed and (
        purpose in CLEAR_WITHOUT_CONSENT
        or consent_in_force(unit, client.practice_id, client.id, channel) is not None
    )
    if not clear and client.archived_at is not None:
        return Delivery(None, False, None, "archived")
    return Delivery(channel, clear)


def _notice(policy: ClientMessagingPolicy, url: str) -> str:
    # Not str.format: the practice's words must not be able to pull in anything else.
    if "{link}" in policy.notice_text:
        return policy.notice_text.replace("{link}", url)
    return f"{policy.notice_text} {url}"


def _execute(
    unit: Unit,
    client: StoredClient,
    plan: Delivery,
    *,
    public_origin: str,
    text: str,
    purpose: str,
    message_id: UUID | None,
    created_by: UUID | None,
) -> Delivery:
    if plan.channel is None:
        return plan
    to_address = present(client_address(unit, client, plan.channel), "client address")
    if plan.clear:
        body = text
    else:
        policy = unit.practice_messaging.policy(client.practice_id)
        token = issue_link(
            unit,
            practice_id=client.practice_id,
            client_id=client.id,
            created_by=created_by,
            ttl=timedelta(hours=policy.link_ttl_hours),
        )
        body = _notice(policy, client_page_url(public_origin, token))
        purpose = "notice"
    outbound_id = enqueue_outbound(
        unit,
        practice_id=client.practice_id,
        client_id=client.id,
        channel=plan.channel,
        to_address=to_address,
        body=body,
        purpose=purpose,
        message_id=message_id,
    )
    return Delivery(plan.channel, plan.clear, outbound_id, None)


def deliver_to_client(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    practice_id: UUID,
    client_id: UUID,
    text: str,
    clear_allowed: bool,
    purpose: str,
    message_id: UUID | None,
    created_by: UUID | None,
) -> Delivery:
    """Send one piece of text to one client by the delivery rule (module docstring): the
    text itself, or the practice's notice and a fresh secure link, or nothing (and why).

    ``clear_allowed``: the caller vouches that the text may go in the clear to a consenting
    client (a template, an automatic reply in the practice's words, or free text the guard
    passed). No access check: callers hold one or act for the practice. The outbound row is
    queued in the caller's transaction (and audited by the outbox).
    """
    client = unit.clients.get(practice_id, client_id)
    if client is None:
        raise NotFound("client")
    plan = plan_delivery(unit, client, clear_allowed=clear_allowed, purpose=purpose)
    return _execute(
        unit,
        client,
        plan,
        public_origin=public_origin,
        text=text,
        purpose=purpose,
        message_id=message_id,
        created_by=created_by,
    )


def deliver_and_record(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    practice_id: UUID,
    client_id: UUID,
    text: str,
    purpose: str,
    sender_id: UUID | None,
    idempotency_key: str,
    created_by: UUID | None,
    thread_channel: str | None = None,
    deliver: bool = True,
) -> tuple[UUID | None, Delivery]:
    """Send fixed text in the practice's own words (a one-tap message, a reminder, an
    automatic reply: allowed in the clear) by :func:`deliver_to_client`, and write it into
    the client's thread under the same id, so staff see exactly what went out and the client
    can read it on the secure page.

    The thread message is from ``sender_id`` (None: not written, e.g. a practice with no
    active owner or admin for an automatic message) with ``thread_channel`` (None: how the
    text reached the client); it makes no push notification (nobody needs to act on it).
    ``deliver=False`` only writes it (nothing goes out; the delivery says so with no
    channel). Returns the thread message's id (the existing one when this idempotency key
    was used already; None when nothing was written or the client has no thread) and the
    delivery. The caller holds the write transaction and writes the audit entry.
    """
    message_id = time_ordered_id()
    delivery = Delivery(None, False)
    if deliver:
        delivery = deliver_to_client(
            unit,
            lookup_key=lookup_key,
            public_origin=public_origin,
            practice_id=practice_id,
            client_id=client_id,
            text=text,
            clear_allowed=True,
            purpose=purpose,
            message_id=message_id,
            created_by=created_by,
        )
    if sender_id is None:
        return None, delivery
    thread = unit.conversations.for_client(practice_id, client_id)
    if thread is None:
        return None, delivery
    existing = unit.messages.by_idempotency_key(practice_id, sender_id, idempotency_key)
    if existing is not None:
        return existing.id, delivery
    stored = store_thread_message(
        unit,
        thread,
        body=text,
        idempotency_key=idempotency_key,
        sender_user_id=sender_id,
        channel=thread_channel or delivery.message_channel,
        message_id=message_id,
        push=False,
    )
    return stored.message.id, delivery


# -- staff sending into a client's thread --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientSendResult:
    message: MessageView
    created: bool  # False: a retry of an earlier send (nothing sent again)
    delivery: Delivery | None  # None for a staff-only note, or a retry

    def __repr__(self) -> str:
        return f"ClientSendResult(message={self.message.id}, created={self.created})"


def _client_thread(unit: Unit, actor: Actor, conversation_id: UUID) -> Conversation:
    conversation = check_member(unit, actor, conversation_id, lock=True)
    if not conversation.is_client_thread or conversation.client_id is None:
        raise InvalidInput(
            "This is not a client's thread. Send to colleagues with POST "
            "/api/v1/conversations/{id}/messages."
        )
    return conversation


def do_send_client_message(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    *,
    public_origin: str,
    idempotency_key: str,
    text: str | None = None,
    template_id: UUID | None = None,
    values: dict[str, object] | None = None,
    internal: bool = False,
    delivery: Literal["auto", "secure_page"] = "auto",
    acknowledge_clinical: bool = False,
) -> ClientSendResult:
    """A member of a client's thread writes in it: free ``text``, or an approved template
    (``template_id`` and ``values``).

    ``internal``: a staff-only note, never sent to or shown to the client. Otherwise the
    message is stored and delivered by the delivery rule in the same transaction: a template
    may go in the clear to a consenting client; free text only when the practice allows
    logistics text in the clear and the clinical-content guard passes it (see
    :mod:`quietline.actions.clinical_guard`); anything else by notice and link.
    ``delivery="secure_page"`` always sends the notice and link. A retry with the same
    ``idempotency_key`` returns the first message and sends nothing again.

    Only staff whose role the practice lets message clients may send to the client
    (:func:`~quietline.actions.client_senders.check_client_sender`, 403 otherwise); every
    member may write a staff-only note.
    """
    conversation = _client_thread(unit, actor, conversation_id)
    client_id = present(conversation.client_id, "client id")
    if (text is None) == (template_id is None):
        raise InvalidInput("Send either text or a template_id (with its values), not both.")
    if template_id is not None:
        if internal:
            raise InvalidInput("Templates are for the client; write a staff-only note as text.")
        body = render_template(unit, actor, template_id, values or {})
    else:
        if values:
            raise InvalidInput("values go with a template_id.")
        body = check_body(present(text, "text"))
    replay = unit.messages.by_idempotency_key(actor.practice_id, actor.user_id, idempotency_key)
    if replay is not None or internal:
        # A retry (answered as the first time, nothing sent again), or a staff-only note.
        sent = do_send_message(
            unit,
            actor,
            conversation_id,
            body=body,
            idempotency_key=idempotency_key,
            internal=internal,
            channel=None if internal else "page",  # unused for a retry: nothing is stored
        )
        return ClientSendResult(sent.message, sent.created, None)
    check_client_sender(unit, actor)
    client = present(unit.clients.get(actor.practice_id, client_id), "client")
    if client.archived_at is not None:
        raise Conflict(
            "This client is archived. Restore them (POST /api/v1/clients/{id}/unarchive) to "
            "send them messages; staff-only notes still work."
        )
    policy = unit.practice_messaging.policy(actor.practice_id)
    if delivery == "secure_page":
        clear_allowed = False
    elif template_id is not None:
        clear_allowed = True
    else:
        clear_allowed = policy.plain_messages == "logistics"
    plan = plan_delivery(unit, client, clear_allowed=clear_allowed, purpose="message")
    overridden = None
    if plan.clear and template_id is None:
        overridden = check_clinical(
            unit,
            actor,
            conversation_id,
            body,
            where="client",
            acknowledged=acknowledge_clinical,
        )
    sent = do_send_message(
        unit,
        actor,
        conversation_id,
        body=body,
        idempotency_key=idempotency_key,
        channel=plan.message_channel,
    )
    done = _execute(
        unit,
        client,
        plan,
        public_origin=public_origin,
        text=body,
        purpose="template" if template_id is not None else "message",
        message_id=sent.message.id,
        created_by=actor.user_id,
    )
    if overridden is not None:
        record_override(unit, actor, conversation_id, sent.message.id, overridden, where="client")
    return ClientSendResult(sent.message, True, done)


@dataclass(frozen=True, slots=True)
class GuardCheck:
    """The composer's live warning (nothing recorded, nothing logged)."""

    clinical: bool
    reasons: list[str]
    action: GuardAction
    would_send_as: ThreadChannel | None  # client threads only


def check_guard(unit: Unit, actor: Actor, conversation_id: UUID, text: str) -> GuardCheck:
    """What the guard would say if ``text`` were sent now as free text (``delivery`` auto)
    in this conversation, and how it would reach the client (client threads).

    ``action`` is ``warn`` or ``block`` (the practice's policy) only where the guard applies:
    text that would go to a client in the clear, or a channel marked logistics-only.
    ``would_send_as`` is how the client would get it: in the clear (``sms``/``email``;
    under ``warn`` once acknowledged), by notice and ``link``, or only on the ``page``; for a
    blocked text, the secure link it would have to take."""
    if len(text) > MAX_BODY:
        raise InvalidInput(f"A message can be at most {MAX_BODY} characters.")
    conversation = check_member(unit, actor, conversation_id)
    assessment = assess_clinical(text)
    reasons = list(assessment.reasons)
    if conversation.is_client_thread and conversation.client_id is not None:
        client = present(unit.clients.get(actor.practice_id, conversation.client_id), "client")
        policy = unit.practice_messaging.policy(actor.practice_id)
        plan = plan_delivery(
            unit,
            client,
            clear_allowed=policy.plain_messages == "logistics",
            purpose="message",
        )
        action: GuardAction = (
            policy.clinical_guard if plan.clear and assessment.clinical else "none"
        )
        would: ThreadChannel = "link" if action == "block" else plan.message_channel
        return GuardCheck(assessment.clinical, reasons, action, would)
    if conversation.logistics_only and assessment.clinical:
        return GuardCheck(True, reasons, guard_mode(unit, actor.practice_id), None)
    return GuardCheck(assessment.clinical, reasons, "none", None)


# -- inbound ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboundResult:
    practice_id: UUID
    client_id: UUID
    conversation_id: UUID
    message_id: UUID
    created: bool  # False: a retry of a message already stored (nothing done again)
    urgent: bool  # the crisis detector flagged it
    keyword: str | None = None  # 'stop' | 'start' | 'help' for an SMS keyword
    replies: tuple[str, ...] = ()  # purposes of what was sent back


def _inbound_text(body: str, channel: str) -> str:
    """What a client sent, as it can be stored: the page's text must be valid like a staff
    message; a text or e-mail is taken as it came (NUL removed, cut at the message limit,
    a placeholder when it had no text, e.g. a picture only)."""
    if channel == "page":
        return check_body(body)
    clean = body.replace("\x00", "")
    if not clean.strip():
        return EMPTY_INBOUND
    if len(clean) > MAX_BODY:
        clean = clean[: MAX_BODY - 1] + "…"
    return clean


@dataclass(frozen=True)
class Assessed:
    """A crisis assessment of an inbound text, made before the write job: the meaning tier
    takes milliseconds of CPU, which must not hold up the single writer (decision 0022).
    Used only if the text it was made of is the text stored."""

    text: str
    assessment: CrisisAssessment


def assess_inbound(body: str, channel: Literal["sms", "email", "page"]) -> Assessed | None:
    """The crisis assessment of what a client sent, as :func:`receive_from_client` will store
    it; None when there is nothing to assess (no text, or a page text it will refuse). Pure:
    run it on a worker thread before the write."""
    try:
        text = _inbound_text(body, channel)
    except InvalidInput:
        return None
    if text == EMPTY_INBOUND:
        return None
    return Assessed(text, assess(text))


def _assessment(text: str, assessed: Assessed | None) -> CrisisAssessment | None:
    if text == EMPTY_INBOUND:
        return None
    if assessed is not None and assessed.text == text:
        return assessed.assessment
    return assess(text)


def _thread_of(unit: Unit, client: StoredClient) -> Conversation:
    thread = unit.conversations.for_client(client.practice_id, client.id)
    return present(thread, "client thread")


def receive_from_client(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    practice_id: UUID,
    client_id: UUID,
    body: str,
    channel: Literal["sms", "email", "page"],
    idempotency_key: str,
    respond: bool = True,
    assessed: Assessed | None = None,
) -> InboundResult:
    """Store what a client wrote in their thread and answer it.

    Once per ``idempotency_key`` (a provider's message id, or the page's key): a retry
    returns the first result and does nothing again. The message is urgent when
    :func:`quietline.safety.crisis.assess` flags it; members are told (``message.created``,
    ids only) and :func:`quietline.actions.boundaries.respond_to_inbound` sends what the
    practice answers by itself (``respond=False`` skips that: SMS keywords). ``assessed``
    is the assessment made before the write (:func:`assess_inbound`); without it, the text is
    assessed here.
    """
    # Imported here: actions.boundaries imports this module (deliver_to_client).
    from quietline.actions.boundaries import respond_to_inbound  # noqa: PLC0415

    client = unit.clients.get(practice_id, client_id)
    if client is None:
        raise NotFound("client")
    text = _inbound_text(body, channel)
    earlier = unit.clients.inbound_message(practice_id, [client_id], idempotency_key)
    if earlier is not None:
        _, conversation_id, message_id, urgent = earlier
        return InboundResult(practice_id, client_id, conversation_id, message_id, False, urgent)
    thread = _thread_of(unit, client)
    assessment = _assessment(text, assessed)
    crisis = assessment is not None and assessment.crisis
    spanish = assessment is not None and written_in_spanish(assessment, text)
    stored = store_thread_message(
        unit,
        thread,
        body=text,
        idempotency_key=idempotency_key,
        sender_client_id=client.id,
        urgent=crisis,
        channel=channel,
    ).message
    unit.audit(
        AuditKind.CLIENT_MESSAGE_RECEIVED,
        practice_id,
        subject_type="message",
        subject_id=stored.id,
        details={
            "client": str(client.id),
            "conversation": str(thread.id),
            "seq": stored.seq,
            "channel": channel,
            "urgent": crisis,
        },
    )
    replies: list[str] = []
    if respond:
        replies = respond_to_inbound(
            unit,
            lookup_key=lookup_key,
            public_origin=public_origin,
            practice_id=practice_id,
            client_id=client_id,
            conversation_id=thread.id,
            message_id=stored.id,
            body=text,
            crisis=crisis,
            spanish=spanish,
            channel=channel,
        )
    return InboundResult(
        practice_id, client_id, thread.id, stored.id, True, crisis, None, tuple(replies)
    )


def sms_keyword(body: str, *, opted_out: bool) -> Literal["stop", "start", "help"] | None:
    """The carrier keyword a whole text is, if any (case, spaces and end punctuation
    aside). ``YES`` restarts texts only for a client who sent STOP; otherwise it is an
    ordinary answer. A lone C or R is an appointment answer, not a keyword."""
    word = body.strip(_KEYWORD_TRIM).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS or (opted_out and word in START_WHILE_STOPPED):
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def _new_contact(unit: Unit, practice_id: UUID, lookup_key: bytes, e164: str) -> StoredClient:
    """A client for a number the practice does not know: named by the number's last four
    digits, no consent, nobody assigned (the thread goes to the front desk or the owners)."""
    return create_client_record(
        unit,
        practice_id=practice_id,
        lookup_key=lookup_key,
        name=NEW_CONTACT_NAME.format(last4=e164[-4:]),
        phone_e164=e164,
        via="inbound_sms",
    )


def _sms_reply(unit: Unit, client: StoredClient, to_number: str, body: str, purpose: str) -> None:
    enqueue_outbound(
        unit,
        practice_id=client.practice_id,
        client_id=client.id,
        channel="sms",
        to_address=to_number,
        body=body,
        purpose=purpose,
    )


def _keyword(
    unit: Unit,
    client: StoredClient,
    keyword: Literal["stop", "start", "help"],
    from_e164: str,
) -> tuple[str, ...]:
    """Honour STOP, START or HELP; returns the purposes of what was sent back."""
    practice_id = client.practice_id
    if keyword == "stop":
        if client.sms_opted_out_at is not None:
            return ()  # one confirmation only
        unit.clients.set_sms_opted_out(practice_id, client.id, unit.now)
        unit.audit(
            AuditKind.SMS_OPTED_OUT,
            practice_id,
            subject_type="client",
            subject_id=client.id,
            details={"channel": "sms"},
        )
        if consent_in_force(unit, practice_id, client.id, "sms") is not None:
            record_consent(
                unit,
                practice_id=practice_id,
                client_id=client.id,
                channel="sms",
                granted=False,
                method="keyword",
                recorded_by=None,
            )
        # The one text a client who sent STOP still gets: the carriers' confirmation.
        _sms_reply(unit, client, from_e164, STOP_CONFIRMATION, "keyword")
        return ("keyword",)
    if keyword == "start":
        if client.sms_opted_out_at is None:
            return ()
        unit.clients.set_sms_opted_out(practice_id, client.id, None)
        unit.audit(
            AuditKind.SMS_OPTED_IN,
            practice_id,
            subject_type="client",
            subject_id=client.id,
            details={"channel": "sms"},
        )
        _sms_reply(unit, client, from_e164, START_CONFIRMATION, "keyword")
        return ("keyword",)
    unit.audit(
        AuditKind.SMS_HELP,
        practice_id,
        subject_type="client",
        subject_id=client.id,
        details={"channel": "sms", "answered": client.sms_opted_out_at is None},
    )
    if client.sms_opted_out_at is not None:
        return ()  # STOP means no text at all until START
    help_reply = unit.practice_messaging.policy(practice_id).help_reply
    _sms_reply(unit, client, from_e164, help_reply, "help")
    return ("help",)


def receive_sms(
    unit: Unit,
    *,
    lookup_key: bytes,
    public_origin: str,
    to_number: str,
    from_number: str,
    body: str,
    provider_ref: str,
    assessed: Assessed | None = None,
) -> InboundResult | None:
    """An inbound text (from the provider's verified webhook). None when the number texted
    is no practice's. A sender that is not a phone number (junk, or a short code) is refused
    with :class:`InvalidInput` before anything is looked up or stored.

    The client is the one with this phone number whose thread was active last (several may
    share a phone); an unknown number becomes a new contact. Keywords first: STOP (no more
    texts of any kind, one confirmation), START, HELP (the practice's help reply); the text
    itself is stored in the thread either way, so staff see it. Idempotent by
    ``provider_ref``: a retried webhook changes nothing and sends nothing.
    """
    if not _PROVIDER_REF.match(provider_ref):
        raise InvalidInput("The provider's message id is malformed.")
    try:
        from_e164 = normalise_phone(from_number)
    except InvalidInput:
        raise InvalidInput(NOT_A_SENDER) from None
    try:
        to_e164 = normalise_phone(to_number)
    except InvalidInput:
        log.warning("inbound text to a number that is not a phone number; ignored")
        return None
    practice_id = unit.practice_messaging.practice_for_sms_number(keyed_hash(lookup_key, to_e164))
    if practice_id is None:
        return None
    key = f"sms:{provider_ref}"
    candidates = unit.clients.by_phone_lookup(practice_id, phone_lookup(lookup_key, from_e164))
    earlier = unit.clients.inbound_message(practice_id, [c.id for c in candidates], key)
    if earlier is not None:
        client_id, conversation_id, message_id, urgent = earlier
        return InboundResult(practice_id, client_id, conversation_id, message_id, False, urgent)
    client = candidates[0] if candidates else _new_contact(unit, practice_id, lookup_key, from_e164)
    keyword = sms_keyword(body, opted_out=client.sms_opted_out_at is not None)
    if keyword is None:
        return receive_from_client(
            unit,
            lookup_key=lookup_key,
            public_origin=public_origin,
            practice_id=practice_id,
            client_id=client.id,
            body=body,
            channel="sms",
            idempotency_key=key,
            assessed=assessed,
        )
    replies = _keyword(unit, client, keyword, from_e164)
    stored = receive_from_client(
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=practice_id,
        client_id=client.id,
        body=body,
        channel="sms",
        idempotency_key=key,
        respond=False,
        assessed=assessed,
    )
    return InboundResult(
        practice_id,
        client.id,
        stored.conversation_id,
        stored.message_id,
        True,
        stored.urgent,
        keyword,
        replies,
    )
