"""The secure client page: links, one-time codes, the client's short session, and what the
client reads and does on the page (decision 0019).

Links. A link is ``<origin>/c/#<token>``: the token sits in the fragment, which browsers
never send to a server, so it is in no request line and no access log; the page takes it out
of the address bar at once and posts it in a JSON body. A link is bound to one client,
expires (``ClientMessagingPolicy.link_ttl_hours``) and may be revoked. Only the token's
SHA-256 is stored.

Codes. Holding the link is not enough: the client asks for a 6-digit code, sent by SMS (when
they have a phone and did not send STOP) or e-mail through the outbox. Only a keyed hash of
the code is stored (HMAC with the lookup key, bound to the link). A code lives 10 minutes
and only the newest code of a link works; each code allows 5 wrong guesses, a link gets 3
codes per 15 minutes, and a link whose refused attempts reach 10 is revoked (the client asks
the practice for a new message). The practice may also ask for the date of birth.

Sessions. A right code opens a client session: its token goes only into an HttpOnly cookie
(separate from the staff cookie) and is stored as a hash. It ends after
``client_session_idle_minutes`` without activity, ``client_session_absolute_minutes`` after
it began, when the page is closed (the page signs out), or when its link is revoked.

Refusals that must still commit (a failure count, the lockout, the end of an idle session
and their audit entries) are returned as :class:`Refused`, not raised: raising would roll
them back. The route raises ``refused.error`` after the commit.

Every view of the page is audited (``client.page_viewed`` with the highest ``seq`` shown);
audit details carry ids, channels and counts only.

Two functions of other parts are imported where they are used, not at the top:
``actions.client_messages`` imports this module (``issue_link``), and ``actions.appointments``
imports that one, so a top-level import of either would be a cycle.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from quietline.actions.clients import TABLE as CLIENTS_TABLE
from quietline.actions.clients import FieldOpener
from quietline.actions.messages import IDEMPOTENCY_KEY_RE, check_body
from quietline.actions.outbox import enqueue_outbound
from quietline.crypto.envelope import DecryptionError
from quietline.crypto.fields import SealedMessage, open_message_body
from quietline.crypto.tokens import keyed_hash, new_token, token_hash
from quietline.domain.audit import AuditKind
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    QuietlineError,
    TooManyRequests,
    Unauthenticated,
    present,
)
from quietline.domain.events import Event, conversation_topic
from quietline.domain.models import Appointment, Practice, StoredClient, StoredMessage
from quietline.storage.stores.client_access import StoredClientSession, StoredCode, StoredLink
from quietline.storage.unit import Unit

if TYPE_CHECKING:  # a type only: actions.client_messages imports this module
    from quietline.actions.client_messages import Assessed

log = logging.getLogger(__name__)

LINK_TOKEN_PREFIX = "qlc_"  # noqa: S105 - a marker that names the kind of token, not a secret
SESSION_TOKEN_PREFIX = "qlcs_"  # noqa: S105 - likewise
MAX_TOKEN_LENGTH = 200
MAX_LINK_TTL = timedelta(days=30)
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_GUESSES_PER_CODE = 5
MAX_CODES_PER_WINDOW = 3
CODE_WINDOW = timedelta(minutes=15)
MAX_LINK_FAILURES = 10
THREAD_PAGE = 100
# An appointment stays on the page until it has ended.
APPOINTMENT_LOOKBACK = timedelta(hours=12)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CodeChannel = Literal["sms", "email"]
Answer = Literal["confirm", "reschedule"]
SignOutReason = Literal["signed_out", "page_closed", "idle"]

# -- what a client reads: plain words, nothing that helps a guesser ---------------------------
LINK_NOT_VALID = (
    "This link does not work. Check that you opened the whole link from your message, or "
    "call the office for a new one."
)
LINK_EXPIRED = "This link has expired. Reply to the text or call the office for a new one."
LINK_REVOKED = "This link no longer works. Reply to the text or call the office for a new one."
LINK_LOCKED = (
    "This link is locked because of too many wrong codes. To keep your messages safe, call "
    "the office or reply to the text for a new link."
)
NO_CHANNEL = (
    "We cannot send you a code: the office has no mobile number or e-mail address for you "
    "that we may use. Please call the office."
)
TOO_MANY_CODES = (
    "We have already sent you 3 codes in the last 15 minutes. Use the newest code, or wait "
    "15 minutes and ask again."
)
NO_LIVE_CODE = (
    "This code has expired or a newer one was sent. Ask for a new code and use the newest one."
)
CODE_LOCKED = "Too many wrong tries with this code. Ask for a new code."
WRONG_CODE = "That code is not right. Check the newest message from us and try again."
WRONG_CODE_OR_DOB = "The code or the date of birth is not right. Check both and try again."
DOB_NEEDED = "Enter your date of birth as well, for example 03/14/1990."
DOB_UNREADABLE = "Enter your date of birth as month/day/year, for example 03/14/1990."
SESSION_ENDED = (
    "You are signed out. To read your messages again, open the link in your text or e-mail."
)
CODE_TEXT = (
    "Your code for the secure page: {code}. It expires in 10 minutes. Do not share it with anyone."
)


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Refused:
    """A refusal whose writes (counts, lockout, session end, audit) must commit first."""

    error: QuietlineError


@dataclass(frozen=True, slots=True)
class CodeDestination:
    channel: CodeChannel
    label: str  # masked, e.g. "text to •••• 1234"


@dataclass(frozen=True, slots=True)
class LinkStart:
    practice_name: str
    destinations: list[CodeDestination]
    date_of_birth_required: bool


@dataclass(frozen=True, slots=True)
class CodeSent:
    destination: CodeDestination
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ClientSignedIn:
    token: str  # for the cookie only; never stored
    session: StoredClientSession


@dataclass(frozen=True, slots=True)
class ClientContext:
    """A live client session, with what every page action needs."""

    session: StoredClientSession
    client: StoredClient
    practice: Practice
    policy: ClientMessagingPolicy


@dataclass(frozen=True, slots=True)
class PageMessage:
    id: UUID
    seq: int
    from_client: bool
    author: str  # "You", a staff member's first name, or "Automatic reply"
    body: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class PageAppointment:
    id: UUID
    starts_at: datetime
    starts_label: str  # in the practice's time zone, e.g. "Tuesday, March 4 at 2:00 PM"
    length_minutes: int
    clinician: str  # first name
    status: str
    may_answer: bool  # the practice asked for a confirmation and it has not started


@dataclass(frozen=True, slots=True)
class PageThread:
    practice_name: str
    messages: list[PageMessage]  # oldest first
    readable_seqs: list[int]  # the seqs still readable among the newest (recalls vanish)
    last_seq: int
    appointments: list[PageAppointment]
    seen_seq: int
    idle_minutes: int
    ends_at: datetime  # the absolute limit of the session


# -- links -------------------------------------------------------------------------------------


def issue_link(
    unit: Unit, *, practice_id: UUID, client_id: UUID, created_by: UUID | None, ttl: timedelta
) -> str:
    """A new secure-page link for one client; returns the token (put it in a URL with
    :func:`client_page_url`, never in a log). Audited with ids only.

    The caller (sending a notice, usually) has decided the client may get it."""
    if not timedelta(0) < ttl <= MAX_LINK_TTL:
        raise InvalidInput("A secure-page link is valid for a time between 1 minute and 30 days.")
    client = unit.clients.get(practice_id, client_id)
    if client is None:
        raise NotFound("client")
    if client.archived_at is not None:
        raise Conflict("This client is archived: no secure-page link can be sent to them.")
    token = new_token(LINK_TOKEN_PREFIX)
    link_id = uuid4()
    unit.client_access.insert_link(
        link_id=link_id,
        practice_id=practice_id,
        client_id=client_id,
        token_hash=token_hash(token),
        created_by=created_by,
        now=unit.now,
        expires_at=unit.now + ttl,
    )
    unit.audit(
        AuditKind.CLIENT_LINK_ISSUED,
        practice_id,
        actor_user_id=created_by,
        subject_type="client",
        subject_id=client_id,
        details={"link": str(link_id), "valid_minutes": int(ttl.total_seconds() // 60)},
    )
    return token


def client_page_url(public_origin: str, token: str) -> str:
    """The link to send: the token in the fragment, which no browser sends to a server."""
    return f"{public_origin.rstrip('/')}/c/#{token}"


def link_ttl(unit: Unit, practice_id: UUID) -> timedelta:
    """How long the practice's links last (``ClientMessagingPolicy.link_ttl_hours``)."""
    return timedelta(hours=unit.practice_messaging.policy(practice_id).link_ttl_hours)


def do_revoke_client_links(
    unit: Unit, *, practice_id: UUID, client_id: UUID, revoked_by: UUID | None, reason: str
) -> int:
    """Every live link of a client stops working and every open page of theirs is signed
    out (the client was archived, their number changed...). Returns the links revoked."""
    revoked = unit.client_access.revoke_links_of_client(practice_id, client_id, unit.now)
    ended = unit.client_access.end_sessions_of_client(practice_id, client_id, unit.now)
    if revoked or ended:
        unit.audit(
            AuditKind.CLIENT_LINK_REVOKED,
            practice_id,
            actor_user_id=revoked_by,
            subject_type="client",
            subject_id=client_id,
            details={"links_revoked": revoked, "sessions_ended": ended, "reason": reason},
        )
    return revoked


def _link(unit: Unit, token: str) -> StoredLink:
    """The live link a token names, or the plain refusal the client reads."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Gone(LINK_NOT_VALID)
    link = unit.client_access.link_by_token_hash(token_hash(token))
    if link is None:
        raise Gone(LINK_NOT_VALID)
    state = link.state(unit.now)
    if state == "revoked":
        raise Gone(LINK_LOCKED if link.code_failures >= MAX_LINK_FAILURES else LINK_REVOKED)
    if state == "expired":
        raise Gone(LINK_EXPIRED)
    return link


def _linked_client(unit: Unit, link: StoredLink) -> StoredClient:
    client = unit.clients.get(link.practice_id, link.client_id)
    if client is None or client.archived_at is not None:
        raise Gone(LINK_REVOKED)
    return client


# -- opening the client's sealed fields ----------------------------------------------------------


def _open_field(unit: Unit, client: StoredClient, column: str, sealed: bytes | None) -> str | None:
    return FieldOpener(unit, client.practice_id).open(CLIENTS_TABLE, column, client.id, sealed)


def _addresses(unit: Unit, client: StoredClient) -> dict[CodeChannel, str]:
    """Where a code may go: the phone by SMS unless the client sent STOP, and the e-mail
    address, in that order of preference."""
    found: dict[CodeChannel, str] = {}
    phone = _open_field(unit, client, "phone_sealed", client.phone_sealed)
    if phone and client.sms_opted_out_at is None:
        found["sms"] = phone
    email = _open_field(unit, client, "email_sealed", client.email_sealed)
    if email:
        found["email"] = email
    return found


def mask_address(channel: CodeChannel, address: str) -> str:
    """What the page may show of an address before the client proved who they are."""
    if channel == "sms":
        digits = re.sub(r"\D", "", address)
        return f"text to •••• {digits[-4:]}"
    local, _, domain = address.partition("@")
    head, dot, tld = domain.rpartition(".")
    shown_domain = f"{head[:1]}•••{dot}{tld}" if dot else f"{domain[:1]}•••"
    return f"e-mail to {local[:1]}•••@{shown_domain}"


def _dob_required(policy: ClientMessagingPolicy, client: StoredClient) -> bool:
    return policy.require_date_of_birth and client.date_of_birth_sealed is not None


def normalise_date_of_birth(text: str) -> str | None:
    """A date typed by a person (2/3/1990, 02-03-1990, 1990-02-03) as ISO 8601, or None."""
    text = text.strip()
    if not text or len(text) > 20:
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
        if match is None:
            return None
        month, day, year = (int(g) for g in match.groups())
        try:
            parsed = date(year, month, day)
        except ValueError:
            return None
    if not 1880 <= parsed.year <= 2200:
        return None
    return parsed.isoformat()


# -- starting, sending a code, verifying ---------------------------------------------------------


def start_link(unit: Unit, token: str) -> LinkStart:
    """What the page shows first: the practice, where a code can go (masked), and whether
    the date of birth is asked too. Reads only."""
    link = _link(unit, token)
    client = _linked_client(unit, link)
    policy = unit.practice_messaging.policy(link.practice_id)
    practice = present(unit.practices.get(link.practice_id), "practice of a link")
    destinations = [
        CodeDestination(channel, mask_address(channel, address))
        for channel, address in _addresses(unit, client).items()
    ]
    return LinkStart(practice.name, destinations, _dob_required(policy, client))


def _code_hash(lookup_key: bytes, link_id: UUID, code: str) -> bytes:
    return keyed_hash(lookup_key, f"client-code|{link_id}|{code}")


def do_send_code(
    unit: Unit, lookup_key: bytes, token: str, channel: CodeChannel | None = None
) -> CodeSent:
    """Send a one-time code for this link by SMS or e-mail (the first possible one unless
    ``channel`` names another). A new code replaces the link's earlier ones."""
    link = _link(unit, token)
    client = _linked_client(unit, link)
    addresses = _addresses(unit, client)
    if not addresses:
        raise Forbidden(NO_CHANNEL)
    chosen: CodeChannel = channel if channel is not None else next(iter(addresses))
    if chosen not in addresses:
        raise InvalidInput(
            "We cannot send a code that way. Choose one of the ways shown on the page."
        )
    if (
        unit.client_access.codes_since(link.practice_id, link.id, unit.now - CODE_WINDOW)
        >= MAX_CODES_PER_WINDOW
    ):
        raise TooManyRequests(TOO_MANY_CODES, headers={"Retry-After": "900"})
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    code_id = uuid4()
    expires_at = unit.now + CODE_TTL
    unit.client_access.insert_code(
        code_id=code_id,
        practice_id=link.practice_id,
        link_id=link.id,
        code_hash=_code_hash(lookup_key, link.id, code),
        channel=chosen,
        now=unit.now,
        expires_at=expires_at,
    )
    outbound_id = enqueue_outbound(
        unit,
        practice_id=link.practice_id,
        client_id=client.id,
        channel=chosen,
        to_address=addresses[chosen],
        body=CODE_TEXT.format(code=code),
        purpose="code",
    )
    unit.audit(
        AuditKind.CLIENT_CODE_SENT,
        link.practice_id,
        subject_type="client",
        subject_id=client.id,
        details={
            "link": str(link.id),
            "code": str(code_id),
            "channel": chosen,
            "outbound": str(outbound_id),
        },
    )
    return CodeSent(CodeDestination(chosen, mask_address(chosen, addresses[chosen])), expires_at)


def do_verify(
    unit: Unit, lookup_key: bytes, token: str, code: str, date_of_birth: str | None = None
) -> ClientSignedIn | Refused:
    """Check the code (and the date of birth when the practice asks for it) and open a
    client session. Every refused attempt counts against the link."""
    link = _link(unit, token)
    client = _linked_client(unit, link)
    policy = unit.practice_messaging.policy(link.practice_id)
    dob_required = _dob_required(policy, client)
    typed_dob: str | None = None
    if dob_required:
        if not date_of_birth or not date_of_birth.strip():
            raise InvalidInput(DOB_NEEDED)
        typed_dob = normalise_date_of_birth(date_of_birth)
        if typed_dob is None:
            raise InvalidInput(DOB_UNREADABLE)
    typed = re.sub(r"\s", "", code)
    live = unit.client_access.live_code(link.practice_id, link.id, unit.now)
    if live is None:
        return _refuse_attempt(unit, link, None, "no_code", Forbidden(NO_LIVE_CODE))
    if live.failures >= MAX_GUESSES_PER_CODE:
        return _refuse_attempt(
            unit, link, live, "code_locked", TooManyRequests(CODE_LOCKED), count_code=False
        )
    # Both checks run whatever the first one says: the answer does not tell which failed.
    code_ok = hmac.compare_digest(live.code_hash, _code_hash(lookup_key, link.id, typed))
    dob_ok = True
    if dob_required:
        stored = _open_field(unit, client, "date_of_birth_sealed", client.date_of_birth_sealed)
        stored_dob = normalise_date_of_birth(stored or "") or ""
        dob_ok = hmac.compare_digest(stored_dob.encode(), (typed_dob or "").encode())
    if not (code_ok and dob_ok):
        return _refuse_attempt(
            unit, link, live, "wrong", Forbidden(WRONG_CODE_OR_DOB if dob_required else WRONG_CODE)
        )
    if not unit.client_access.use_code(link.practice_id, live.id, unit.now):
        raise Forbidden(NO_LIVE_CODE)  # unreachable with one writer
    session_token = new_token(SESSION_TOKEN_PREFIX)
    session_id = uuid4()
    unit.client_access.insert_session(
        session_id=session_id,
        practice_id=link.practice_id,
        client_id=client.id,
        link_id=link.id,
        token_hash=token_hash(session_token),
        now=unit.now,
        expires_at=unit.now + timedelta(minutes=policy.client_session_absolute_minutes),
    )
    unit.audit(
        AuditKind.CLIENT_PAGE_SIGNED_IN,
        link.practice_id,
        subject_type="client",
        subject_id=client.id,
        details={
            "link": str(link.id),
            "client_session": str(session_id),
            "code": str(live.id),
            "channel": live.channel,
            "date_of_birth_checked": dob_required,
        },
    )
    session = present(
        unit.client_access.session_by_token_hash(token_hash(session_token)), "new client session"
    )
    return ClientSignedIn(session_token, session)


def _refuse_attempt(
    unit: Unit,
    link: StoredLink,
    code: StoredCode | None,
    reason: str,
    error: QuietlineError,
    *,
    count_code: bool = True,
) -> Refused:
    code_failures = (
        unit.client_access.add_code_failure(link.practice_id, code.id)
        if code is not None and count_code
        else (code.failures if code is not None else 0)
    )
    link_failures = unit.client_access.add_link_failure(link.practice_id, link.id)
    locked = link_failures >= MAX_LINK_FAILURES
    if locked:
        unit.client_access.revoke_link(link.practice_id, link.id, unit.now)
        unit.client_access.end_sessions_of_link(link.practice_id, link.id, unit.now)
    unit.audit(
        AuditKind.CLIENT_CODE_FAILED,
        link.practice_id,
        subject_type="client",
        subject_id=link.client_id,
        details={
            "link": str(link.id),
            "code": str(code.id) if code is not None else None,
            "reason": reason,
            "code_failures": code_failures,
            "link_failures": link_failures,
            "link_revoked": locked,
        },
    )
    if locked:
        return Refused(Forbidden(LINK_LOCKED, extra={"link_locked": True}))
    if code is not None and count_code and code_failures >= MAX_GUESSES_PER_CODE:
        return Refused(TooManyRequests(CODE_LOCKED))
    return Refused(error)


# -- the client session -----------------------------------------------------------------------


def _end(unit: Unit, session: StoredClientSession, reason: str) -> None:
    if unit.client_access.end_session(session.practice_id, session.id, unit.now):
        unit.audit(
            AuditKind.CLIENT_PAGE_SIGNED_OUT,
            session.practice_id,
            subject_type="client",
            subject_id=session.client_id,
            details={"client_session": str(session.id), "reason": reason},
        )


def _live_session(unit: Unit, token: str) -> StoredClientSession | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    session = unit.client_access.session_by_token_hash(token_hash(token))
    if session is None or session.ended_at is not None:
        return None
    return session


def _lapsed(
    unit: Unit, session: StoredClientSession, policy: ClientMessagingPolicy
) -> Literal["time_limit", "idle"] | None:
    absolute = timedelta(minutes=policy.client_session_absolute_minutes)
    if unit.now >= min(session.expires_at, session.created_at + absolute):
        return "time_limit"
    if unit.now - session.last_seen_at >= timedelta(minutes=policy.client_session_idle_minutes):
        return "idle"
    return None


def has_client_session(unit: Unit, token: str) -> bool:
    """Whether a cookie names a live client session: a read-only first check, so that work
    done before the write (the crisis assessment of a reply) is done only for a client who is
    signed in. The write checks the session fully again, and ends a lapsed one
    (:func:`_client_session`)."""
    session = _live_session(unit, token)
    if session is None:
        return False
    return _lapsed(unit, session, unit.practice_messaging.policy(session.practice_id)) is None


def _client_session(unit: Unit, token: str, *, active: bool) -> ClientContext | Refused:
    """The live client session a cookie names. An idle or timed-out one is ended (and that
    is audited) on the spot. ``active``: the client did something (typed, tapped, sent),
    so the idle limit counts from now; polling alone does not keep a session alive."""
    ended = Refused(Unauthenticated(SESSION_ENDED))
    session = _live_session(unit, token)
    if session is None:
        return ended
    policy = unit.practice_messaging.policy(session.practice_id)
    lapsed = _lapsed(unit, session, policy)
    if lapsed == "time_limit":
        _end(unit, session, "time_limit")
        return Refused(
            Unauthenticated(
                f"For your privacy, the secure page signs you out after "
                f"{policy.client_session_absolute_minutes} minutes. Open the link in your "
                "message again to continue."
            )
        )
    if lapsed == "idle":
        _end(unit, session, "idle")
        return Refused(
            Unauthenticated(
                f"You were signed out after {policy.client_session_idle_minutes} minutes "
                "without activity. Open the link in your message again to continue."
            )
        )
    link = unit.client_access.link(session.practice_id, session.link_id)
    client = unit.clients.get(session.practice_id, session.client_id)
    if link is None or link.revoked_at is not None or client is None or client.archived_at:
        _end(unit, session, "link_revoked")
        return ended
    if active:
        unit.client_access.touch_session(session.practice_id, session.id, unit.now)
    practice = present(unit.practices.get(session.practice_id), "practice of a client session")
    return ClientContext(session, client, practice, policy)


def _first_name(display_name: str) -> str:
    parts = display_name.split()
    return parts[0] if parts else "Your care team"


def _when(at: datetime, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    hour = local.hour % 12 or 12
    return f"{local:%A, %B} {local.day} at {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def _page_thread(
    unit: Unit, ctx: ClientContext, *, after_seq: int | None, always_audit: bool
) -> PageThread:
    """The client's thread as the page shows it, and the audit entry of the view."""
    pid = ctx.session.practice_id
    client_id = ctx.client.id
    names: dict[UUID, str] = {}

    def author(message: StoredMessage) -> str:
        if message.sender_client_id is not None:
            return "You"
        if message.channel == "auto":
            return "Automatic reply"
        if message.sender_id is None:
            return "Your care team"
        if message.sender_id not in names:
            user = unit.users.get(pid, message.sender_id)
            names[message.sender_id] = _first_name(user.display_name) if user else "Your care team"
        return names[message.sender_id]

    shown: list[PageMessage] = []
    readable: list[int] = []
    conversation = unit.conversations.for_client(pid, client_id)
    conversation_id = conversation.id if conversation is not None else None
    last_seq = after_seq or 0
    if conversation is not None and conversation_id is not None:
        not_before = ctx.practice.policy.retention_cutoff(unit.now) or EPOCH
        rows = unit.client_access.client_messages(
            pid,
            conversation_id,
            unit.now,
            not_before=not_before,
            after_seq=after_seq,
            limit=THREAD_PAGE,
        )
        key = unit.conversation_key(conversation) if rows else b""
        for m in rows:
            if m.body_sealed is None or m.dek_wrapped is None:
                continue
            try:
                body = open_message_body(
                    key, pid, conversation_id, m.id, SealedMessage(m.body_sealed, m.dek_wrapped)
                )
            except DecryptionError:
                log.error("message %s of a client thread cannot be decrypted; left out", m.id)
                continue
            shown.append(
                PageMessage(
                    m.id, m.seq, m.sender_client_id is not None, author(m), body, m.created_at
                )
            )
        if after_seq is not None:
            latest = unit.client_access.client_messages(
                pid,
                conversation_id,
                unit.now,
                not_before=not_before,
                after_seq=None,
                limit=THREAD_PAGE,
            )
            readable = [m.seq for m in latest]
        else:
            readable = [m.seq for m in rows]
        last_seq = max([last_seq, *readable, *(m.seq for m in shown)])
    appointments = [
        _page_appointment(unit, ctx, a)
        for a in unit.client_access.upcoming_appointments(
            pid, client_id, unit.now - APPOINTMENT_LOOKBACK
        )
        if a.starts_at + timedelta(minutes=a.length_minutes) > unit.now
    ]
    if always_audit or shown:
        unit.audit(
            AuditKind.CLIENT_PAGE_VIEWED,
            pid,
            subject_type="client",
            subject_id=client_id,
            details={
                "client_session": str(ctx.session.id),
                "conversation": str(conversation_id) if conversation_id else None,
                "up_to_seq": max((m.seq for m in shown), default=after_seq or 0),
                "messages": len(shown),
                "appointments": len(appointments),
            },
        )
    seen = unit.client_access.page_seen(pid, client_id)
    return PageThread(
        practice_name=ctx.practice.name,
        messages=shown,
        readable_seqs=readable,
        last_seq=last_seq,
        appointments=appointments,
        seen_seq=seen[0] if seen else 0,
        idle_minutes=ctx.policy.client_session_idle_minutes,
        ends_at=min(
            ctx.session.expires_at,
            ctx.session.created_at + timedelta(minutes=ctx.policy.client_session_absolute_minutes),
        ),
    )


def _page_appointment(unit: Unit, ctx: ClientContext, a: Appointment) -> PageAppointment:
    clinician = unit.users.get(a.practice_id, a.clinician_id)
    return PageAppointment(
        id=a.id,
        starts_at=a.starts_at,
        starts_label=_when(a.starts_at, ctx.policy.timezone),
        length_minutes=a.length_minutes,
        clinician=_first_name(clinician.display_name) if clinician else "your clinician",
        status=a.status,
        may_answer=a.confirmation_requested_at is not None and a.starts_at > unit.now,
    )


def view_page_thread(
    unit: Unit, token: str, *, after_seq: int | None = None, active: bool = False
) -> PageThread | Refused:
    """The thread for the page: everything readable the first time (``after_seq`` None),
    then what came after ``after_seq``. Internal notes are never part of it. Audited when
    anything is shown (and always on the first load)."""
    ctx = _client_session(unit, token, active=active)
    if isinstance(ctx, Refused):
        return ctx
    if after_seq is not None and after_seq < 0:
        raise InvalidInput("after must be 0 or more.")
    return _page_thread(unit, ctx, after_seq=after_seq, always_audit=after_seq is None)


def do_page_reply(
    unit: Unit,
    token: str,
    *,
    lookup_key: bytes,
    public_origin: str,
    body: str,
    idempotency_key: str,
    after_seq: int,
    assessed: Assessed | None = None,
) -> PageThread | Refused:
    """The client writes in their thread from the page. A retry with the same
    ``idempotency_key`` stores nothing twice. Answers with what is new after ``after_seq``
    (the reply itself, and any automatic reply it caused). ``assessed``: the crisis
    assessment made before the write (``client_messages.assess_inbound``)."""
    # Imported here: actions.client_messages imports this module (see the module docstring).
    from quietline.actions.client_messages import receive_from_client  # noqa: PLC0415

    ctx = _client_session(unit, token, active=True)
    if isinstance(ctx, Refused):
        return ctx
    check_body(body)
    if not IDEMPOTENCY_KEY_RE.match(idempotency_key):
        raise InvalidInput("The page sent a malformed message key. Reload the page and try again.")
    receive_from_client(
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=ctx.session.practice_id,
        client_id=ctx.client.id,
        body=body,
        channel="page",
        idempotency_key=idempotency_key,
        assessed=assessed,
    )
    return _page_thread(unit, ctx, after_seq=after_seq, always_audit=False)


def do_page_answer_appointment(
    unit: Unit, token: str, *, appointment_id: UUID, answer: Answer, after_seq: int
) -> PageThread | Refused:
    """The client taps "Confirm" or "I need to reschedule" on an appointment the practice
    asked them to confirm."""
    # Imported here: actions.appointments imports client_messages, which imports this module.
    from quietline.actions.appointments import respond_to_appointment  # noqa: PLC0415

    ctx = _client_session(unit, token, active=True)
    if isinstance(ctx, Refused):
        return ctx
    pid = ctx.session.practice_id
    mine = {
        a.id: a
        for a in unit.client_access.upcoming_appointments(pid, ctx.client.id, unit.now)
        if a.confirmation_requested_at is not None
    }
    if appointment_id not in mine:
        raise NotFound("appointment")
    answered = respond_to_appointment(
        unit,
        practice_id=pid,
        client_id=ctx.client.id,
        appointment_id=appointment_id,
        answer=answer,
        via="page",
    )
    if answered is None:
        raise Conflict("This appointment cannot be answered here any more. Please call the office.")
    return _page_thread(unit, ctx, after_seq=after_seq, always_audit=False)


def do_page_seen(unit: Unit, token: str, up_to_seq: int) -> int | Refused:
    """The client has seen their thread up to ``up_to_seq``: staff see it as the client's
    "seen" receipt. Returns the client's cursor (it only moves forward)."""
    ctx = _client_session(unit, token, active=False)
    if isinstance(ctx, Refused):
        return ctx
    pid = ctx.session.practice_id
    conversation = unit.conversations.for_client(pid, ctx.client.id)
    if conversation is None:
        return 0
    conversation_id = conversation.id
    seq = min(max(up_to_seq, 0), conversation.last_seq)
    if unit.client_access.set_page_seen(pid, ctx.client.id, seq, unit.now):
        unit.emit(
            Event(
                pid,
                "client.seen",
                (conversation_topic(conversation_id),),
                {
                    "conversation_id": str(conversation_id),
                    "client_id": str(ctx.client.id),
                    "up_to_seq": seq,
                    "at": unit.now.isoformat(),
                },
            )
        )
    seen = unit.client_access.page_seen(pid, ctx.client.id)
    return seen[0] if seen else seq


def do_page_sign_out(unit: Unit, token: str, reason: SignOutReason = "signed_out") -> None:
    """End the client session (the button, the page closing, the page's idle timer).
    Harmless when it has ended already or the token names nothing."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return
    session = unit.client_access.session_by_token_hash(token_hash(token))
    if session is not None:
        _end(unit, session, reason)


def client_seen(unit: Unit, practice_id: UUID, client_id: UUID) -> tuple[int, datetime | None]:
    """How far the client has read their thread on the secure page, and when: the client's
    "seen" receipt for the staff app. The caller has checked the staff member may see this
    client."""
    seen = unit.client_access.page_seen(practice_id, client_id)
    if seen is None:
        raise NotFound("client")
    return seen
