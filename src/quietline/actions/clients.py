"""Clients: the people in care a practice writes to. Create, read, change, archive, search
by name, assign clinicians; and each client's thread (a conversation of kind ``'client'``).

Who may see a client (the rule every function here applies through :func:`check_client`):

* owners, admins and the front desk see every client of the practice;
* clinicians and supervisors see the clients assigned to them. (Supervisors reading their
  supervisees' client threads is a separate rule, not made here.)

A client nobody may see gets the same 404 as one that does not exist or belongs to another
practice.

Everything that identifies a person (name, preferred name, phone, e-mail, date of birth,
staff notes) is sealed by the practice key with
``seal_record_field(..., "clients", "<column>", client_id, value)``. Inbound texts find
their client through ``phone_lookup = keyed_hash(lookup_key, e164)`` (``email_lookup``
likewise, on the lower-cased address). Names have no blind index: a search opens the names
of the clients the actor may see, in memory (decision 0018).

The client's thread: its members are the assigned clinicians and, when the practice's
``ClientMessagingPolicy.front_desk_in_client_threads`` is on, every front-desk user; when
that leaves nobody, the owners and admins, so that what a client writes always reaches
someone. :func:`sync_thread_members` restores that set after every change.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

import phonenumbers

from quietline.actions.auth import normalize_email
from quietline.actions.context import Actor
from quietline.actions.users import EMAIL_RE
from quietline.crypto.envelope import DecryptionError, read_header
from quietline.crypto.fields import (
    open_record_field,
    seal_conversation_title,
    seal_record_field,
)
from quietline.crypto.tokens import keyed_hash
from quietline.domain.audit import AuditKind
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.models import Conversation, StoredClient, User
from quietline.domain.roles import Role
from quietline.storage.stores.clients import MAX_CLIENTS_SCANNED
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

TABLE = "clients"
DEFAULT_REGION = "US"
MAX_NAME = 200
MAX_PREFERRED_NAME = 100
MAX_NOTES = 4000
MAX_PAGE = 500
MAX_CLINICIANS = 20
# Roles that see every client of the practice; the others see their assigned clients.
SEES_ALL = frozenset({Role.OWNER, Role.ADMIN, Role.FRONT_DESK})
# Roles that may manage who is assigned to a client.
ASSIGNS = SEES_ALL
# Roles that may be a client's clinician (the front desk may not).
CLINICAL_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.CLINICIAN})
_NOT_FOUND = "client"


# -- normalising what staff type --------------------------------------------------------------


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 (``+14155550100``). A number without a country code is read
    as a number of ``region`` (the United States unless said otherwise)."""
    text = raw.strip()
    if not text or len(text) > 40:
        raise InvalidInput(
            "Enter a phone number like (415) 555-0100, or with its country code like "
            "+44 20 7946 0958."
        )
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            "That is not a phone number that can receive texts. Enter it like (415) 555-0100, "
            "or with its country code like +44 20 7946 0958."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_client_email(raw: str) -> str:
    email = normalize_email(raw)
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise InvalidInput("Enter an e-mail address like name@example.org.")
    return email


def phone_lookup(lookup_key: bytes, e164: str) -> bytes:
    return keyed_hash(lookup_key, e164)


def email_lookup(lookup_key: bytes, email: str) -> bytes:
    return keyed_hash(lookup_key, email)


def _name(value: str, *, what: str = "name", limit: int = MAX_NAME) -> str:
    clean = " ".join(value.split())
    if not 1 <= len(clean) <= limit:
        raise InvalidInput(f"Enter a {what} of 1 to {limit} characters.")
    return clean


def _optional_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return _name(value, what="preferred name", limit=MAX_PREFERRED_NAME)


def _notes(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_NOTES:
        raise InvalidInput(f"Notes can be at most {MAX_NOTES} characters.")
    return value.strip()


def _date_of_birth(value: str | None, today: date) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        born = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Enter the date of birth as year-month-day, like 1984-07-21.") from None
    if not date(1900, 1, 1) <= born <= today:
        raise InvalidInput("The date of birth must be a past date after 1900.")
    return born.isoformat()


# -- opening sealed fields ----------------------------------------------------------------------


class FieldOpener:
    """Opens sealed record fields of one practice, fetching each practice key once (values
    sealed before a key rotation name their own key in the envelope header)."""

    def __init__(self, unit: Unit, practice_id: UUID) -> None:
        self._unit = unit
        self._practice_id = practice_id
        self._keys: dict[str, bytes] = {}

    def key(self, sealed: bytes) -> bytes:
        key_id = read_header(sealed).key_id
        raw = self._keys.get(key_id)
        if raw is None:
            stored = self._unit.practices.key(self._practice_id, key_id)
            raw = self._unit.keyring.practice_key(self._practice_id, stored)
            self._keys[key_id] = raw
        return raw

    def open(self, table: str, column: str, row_id: UUID, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        return open_record_field(
            self.key(sealed), self._practice_id, table, column, row_id, bytes(sealed)
        )


Sealer = Callable[[str, str | None], bytes | None]


def _sealer(unit: Unit, practice_id: UUID, client_id: UUID) -> Sealer:
    """Seals values of one client's columns with the practice's active key."""
    stored, key = unit.practice_key(practice_id)

    def seal(column: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        return seal_record_field(key, stored.key_id, practice_id, TABLE, column, client_id, value)

    return seal


# -- views ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenedClient:
    """A client's fields, opened. Only built after an access check."""

    id: UUID
    name: str
    preferred_name: str | None
    phone: str | None
    email: str | None
    date_of_birth: str | None
    notes: str | None

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.name

    def __repr__(self) -> str:  # never print what identifies the person
        return f"OpenedClient(id={self.id})"


def open_client(
    unit: Unit, client: StoredClient, opener: FieldOpener | None = None
) -> OpenedClient:
    """Open every sealed field of a client the caller has checked access to."""
    o = opener or FieldOpener(unit, client.practice_id)
    return OpenedClient(
        id=client.id,
        name=o.open(TABLE, "name_sealed", client.id, client.name_sealed) or "",
        preferred_name=o.open(
            TABLE, "preferred_name_sealed", client.id, client.preferred_name_sealed
        ),
        phone=o.open(TABLE, "phone_sealed", client.id, client.phone_sealed),
        email=o.open(TABLE, "email_sealed", client.id, client.email_sealed),
        date_of_birth=o.open(TABLE, "date_of_birth_sealed", client.id, client.date_of_birth_sealed),
        notes=o.open(TABLE, "notes_sealed", client.id, client.notes_sealed),
    )


def client_address(unit: Unit, client: StoredClient, channel: str) -> str | None:
    """The client's phone number (``sms``) or e-mail address (``email``), opened."""
    opener = FieldOpener(unit, client.practice_id)
    if channel == "sms":
        return opener.open(TABLE, "phone_sealed", client.id, client.phone_sealed)
    return opener.open(TABLE, "email_sealed", client.id, client.email_sealed)


@dataclass(frozen=True, slots=True)
class ClientView:
    id: UUID
    name: str
    preferred_name: str | None
    display_name: str
    phone: str | None
    email: str | None
    date_of_birth: str | None
    notes: str | None
    sms_opted_out_at: datetime | None
    archived_at: datetime | None
    created_at: datetime
    created_by: UUID | None
    clinician_ids: list[UUID]
    conversation_id: UUID | None
    consent: dict[str, bool]  # channel -> consent to plain messages in force

    def __repr__(self) -> str:
        return f"ClientView(id={self.id})"


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """One line of the client list (no contact details, no notes)."""

    id: UUID
    name: str
    preferred_name: str | None
    display_name: str
    archived_at: datetime | None
    clinician_ids: list[UUID]
    conversation_id: UUID | None
    has_phone: bool
    has_email: bool
    sms_opted_out: bool
    consent: dict[str, bool]  # channel -> consent to plain messages in force

    def __repr__(self) -> str:
        return f"ClientSummary(id={self.id})"


def _view(unit: Unit, client: StoredClient) -> ClientView:
    opened = open_client(unit, client)
    thread = unit.conversations.for_client(client.practice_id, client.id)
    consent = {}
    for channel in ("sms", "email"):
        latest = unit.clients.latest_consent(client.practice_id, client.id, channel)
        consent[channel] = bool(latest is not None and latest.granted)
    return ClientView(
        id=client.id,
        name=opened.name,
        preferred_name=opened.preferred_name,
        display_name=opened.display_name,
        phone=opened.phone,
        email=opened.email,
        date_of_birth=opened.date_of_birth,
        notes=opened.notes,
        sms_opted_out_at=client.sms_opted_out_at,
        archived_at=client.archived_at,
        created_at=client.created_at,
        created_by=client.created_by,
        clinician_ids=unit.clients.clinician_ids(client.practice_id, client.id),
        conversation_id=thread.id if thread else None,
        consent=consent,
    )


# -- access ------------------------------------------------------------------------------------


def sees_every_client(actor: Actor) -> bool:
    return actor.user.role in SEES_ALL


def check_client(unit: Unit, actor: Actor, client_id: UUID) -> StoredClient:
    """The client, if the actor may see them; otherwise the same 404 as a missing one."""
    client = unit.clients.get(actor.practice_id, client_id)
    if client is None:
        raise NotFound(_NOT_FOUND)
    if not sees_every_client(actor) and not unit.clients.is_assigned(
        actor.practice_id, client_id, actor.user_id
    ):
        raise NotFound(_NOT_FOUND)
    return client


def _visible(unit: Unit, actor: Actor, *, include_archived: bool) -> list[StoredClient]:
    if sees_every_client(actor):
        return unit.clients.list_all(actor.practice_id, include_archived=include_archived)
    return unit.clients.list_for_clinician(
        actor.practice_id, actor.user_id, include_archived=include_archived
    )


def _audit(
    unit: Unit,
    kind: AuditKind,
    practice_id: UUID,
    actor: Actor | None,
    subject_id: UUID,
    details: dict[str, object] | None = None,
) -> None:
    unit.audit(
        kind,
        practice_id,
        actor_user_id=actor.user_id if actor else None,
        actor_session_id=actor.session_id if actor else None,
        subject_type="client",
        subject_id=subject_id,
        details=details,
    )


# -- the client's thread -----------------------------------------------------------------------


def _emit_membership(
    unit: Unit, practice_id: UUID, conversation_id: UUID, user_id: UUID, *, added: bool
) -> None:
    unit.emit(
        Event(
            practice_id,
            "membership.added" if added else "membership.removed",
            (user_topic(user_id), conversation_topic(conversation_id)),
            {"conversation_id": str(conversation_id), "user_id": str(user_id)},
        )
    )


def thread_member_ids(
    unit: Unit,
    practice_id: UUID,
    client_id: UUID,
    policy: ClientMessagingPolicy,
    staff: list[User] | None = None,
) -> set[UUID]:
    """Who belongs in a client's thread now (see the module docstring). ``staff``: the
    practice's active accounts, when the caller has them already."""
    if staff is None:
        staff = [u for u in unit.users.list_for_practice(practice_id) if u.is_active]
    assigned = set(unit.clients.clinician_ids(practice_id, client_id))
    members = {u.id for u in staff if u.id in assigned}
    if policy.front_desk_in_client_threads:
        members |= {u.id for u in staff if u.role == Role.FRONT_DESK}
    if not members:
        members = {u.id for u in staff if u.role in (Role.OWNER, Role.ADMIN)}
    return members


def sync_thread_members(
    unit: Unit,
    practice_id: UUID,
    client_id: UUID,
    actor: Actor | None = None,
    *,
    policy: ClientMessagingPolicy | None = None,
    staff: list[User] | None = None,
) -> Conversation:
    """Bring the client's thread's members in line with :func:`thread_member_ids` (each
    change audited and announced). Call after anything that changes who belongs: an
    assignment, the practice's front-desk setting, a change of role."""
    thread = present(unit.conversations.for_client(practice_id, client_id), "client thread")
    want = thread_member_ids(
        unit,
        practice_id,
        client_id,
        policy or unit.practice_messaging.policy(practice_id),
        staff,
    )
    have = set(unit.conversations.member_ids(practice_id, thread.id))
    for user_id in sorted(want - have):
        unit.conversations.add_member(practice_id, thread.id, user_id, unit.now, thread.last_seq)
    for user_id in sorted(have - want):
        unit.conversations.remove_member(practice_id, thread.id, user_id)
    for user_id, added in [(u, True) for u in sorted(want - have)] + [
        (u, False) for u in sorted(have - want)
    ]:
        unit.audit(
            AuditKind.MEMBER_ADDED if added else AuditKind.MEMBER_REMOVED,
            practice_id,
            actor_user_id=actor.user_id if actor else None,
            actor_session_id=actor.session_id if actor else None,
            subject_type="conversation",
            subject_id=thread.id,
            details={"user": str(user_id), "client": str(client_id)},
        )
        _emit_membership(unit, practice_id, thread.id, user_id, added=added)
    return thread


def do_sync_client_threads(unit: Unit, practice_id: UUID, actor: Actor | None = None) -> int:
    """Re-check the members of every client thread of the practice (after its front-desk
    setting changed, or someone's role did). Returns the number of threads checked."""
    policy = unit.practice_messaging.policy(practice_id)
    staff = [u for u in unit.users.list_for_practice(practice_id) if u.is_active]
    clients = unit.clients.list_all(practice_id, include_archived=True)
    threads = unit.clients.thread_ids(practice_id, [c.id for c in clients])
    for client_id in threads:
        sync_thread_members(unit, practice_id, client_id, actor, policy=policy, staff=staff)
    return len(threads)


def _create_thread(
    unit: Unit, practice_id: UUID, client_id: UUID, title: str, actor: Actor | None
) -> Conversation:
    conversation_id = uuid4()
    stored, _ = unit.practice_key(practice_id)
    key_wrapped = unit.keyring.new_conversation_key(practice_id, conversation_id, stored)
    key = unit.keyring.conversation_key(practice_id, conversation_id, key_wrapped, stored)
    unit.conversations.insert(
        conversation_id=conversation_id,
        practice_id=practice_id,
        kind="client",
        title_sealed=seal_conversation_title(key, practice_id, conversation_id, title),
        key_wrapped=key_wrapped,
        practice_key_id=stored.key_id,
        direct_pair=None,
        default_ttl_seconds=None,
        created_by=actor.user_id if actor else None,
        now=unit.now,
        client_id=client_id,
    )
    unit.audit(
        AuditKind.CONVERSATION_CREATED,
        practice_id,
        actor_user_id=actor.user_id if actor else None,
        actor_session_id=actor.session_id if actor else None,
        subject_type="conversation",
        subject_id=conversation_id,
        details={"kind": "client", "client": str(client_id)},
    )
    return sync_thread_members(unit, practice_id, client_id, actor)


def _retitle_thread(unit: Unit, practice_id: UUID, client_id: UUID, title: str) -> None:
    thread = unit.conversations.for_client(practice_id, client_id)
    if thread is None:
        return
    sealed = seal_conversation_title(unit.conversation_key(thread), practice_id, thread.id, title)
    unit.conversations.update(practice_id, thread.id, title_sealed=sealed)
    unit.emit(
        Event(
            practice_id,
            "conversation.updated",
            (conversation_topic(thread.id),),
            {"conversation_id": str(thread.id), "fields": ["title"]},
        )
    )


# -- create ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientInput:
    """What staff type for a new client (validated by :func:`do_create_client`)."""

    name: str
    preferred_name: str | None = None
    phone: str | None = None
    email: str | None = None
    date_of_birth: str | None = None
    notes: str | None = None
    clinician_ids: list[UUID] | None = None  # None: the creator, unless front desk

    def __repr__(self) -> str:
        return "ClientInput(...)"


def _check_clinicians(unit: Unit, practice_id: UUID, user_ids: set[UUID]) -> None:
    if len(user_ids) > MAX_CLINICIANS:
        raise InvalidInput(f"A client can have at most {MAX_CLINICIANS} assigned clinicians.")
    if not user_ids:
        return
    found = {u.id: u for u in unit.users.list_for_practice(practice_id) if u.id in user_ids}
    if set(found) != user_ids or not all(u.is_active for u in found.values()):
        raise NotFound("user")
    if any(u.role not in CLINICAL_ROLES for u in found.values()):
        raise InvalidInput(
            "Front-desk staff cannot be a client's clinician. Assign a clinician; the front "
            "desk joins client threads through the practice's setting."
        )


def create_client_record(
    unit: Unit,
    *,
    practice_id: UUID,
    lookup_key: bytes,
    name: str,
    preferred_name: str | None = None,
    phone_e164: str | None = None,
    email: str | None = None,
    date_of_birth: str | None = None,
    notes: str | None = None,
    clinician_ids: set[UUID] | None = None,
    actor: Actor | None = None,
    via: str = "staff",
) -> StoredClient:
    """Insert a client with validated values, assign clinicians, create the thread, audit.
    No access check: :func:`do_create_client` (staff) and inbound texts from an unknown
    number call it."""
    client_id = uuid4()
    seal = _sealer(unit, practice_id, client_id)
    client = StoredClient(
        id=client_id,
        practice_id=practice_id,
        name_sealed=present(seal("name_sealed", name), "name"),
        preferred_name_sealed=seal("preferred_name_sealed", preferred_name),
        phone_sealed=seal("phone_sealed", phone_e164),
        email_sealed=seal("email_sealed", email),
        date_of_birth_sealed=seal("date_of_birth_sealed", date_of_birth),
        notes_sealed=seal("notes_sealed", notes),
        phone_lookup=phone_lookup(lookup_key, phone_e164) if phone_e164 else None,
        email_lookup=email_lookup(lookup_key, email) if email else None,
        sms_opted_out_at=None,
        page_seen_seq=0,
        page_seen_at=None,
        archived_at=None,
        created_by=actor.user_id if actor else None,
        created_at=unit.now,
    )
    unit.clients.insert(client)
    for user_id in sorted(clinician_ids or ()):
        unit.clients.assign(
            practice_id,
            client_id,
            user_id,
            now=unit.now,
            assigned_by=actor.user_id if actor else None,
        )
    _audit(
        unit,
        AuditKind.CLIENT_CREATED,
        practice_id,
        actor,
        client_id,
        {
            "via": via,
            "clinicians": sorted(str(u) for u in clinician_ids or ()),
            "fields": sorted(
                f
                for f, v in (
                    ("preferred_name", preferred_name),
                    ("phone", phone_e164),
                    ("email", email),
                    ("date_of_birth", date_of_birth),
                    ("notes", notes),
                )
                if v is not None
            ),
        },
    )
    _create_thread(unit, practice_id, client_id, preferred_name or name, actor)
    return client


def do_create_client(unit: Unit, actor: Actor, lookup_key: bytes, data: ClientInput) -> ClientView:
    """Any staff member adds a client. Without ``clinician_ids`` the creator is assigned
    (unless front desk); a clinician or supervisor is always assigned to a client they add,
    so they can see it."""
    if unit.clients.count(actor.practice_id) >= MAX_CLIENTS_SCANNED:
        raise Conflict(
            f"This practice has {MAX_CLIENTS_SCANNED} clients on file, the most Quietline "
            "keeps. Ask your administrator for help."
        )
    clinicians = set(data.clinician_ids) if data.clinician_ids is not None else set()
    if data.clinician_ids is None and actor.user.role != Role.FRONT_DESK:
        clinicians.add(actor.user_id)
    if not sees_every_client(actor):
        clinicians.add(actor.user_id)
    _check_clinicians(unit, actor.practice_id, clinicians)
    created = create_client_record(
        unit,
        practice_id=actor.practice_id,
        lookup_key=lookup_key,
        name=_name(data.name),
        preferred_name=_optional_name(data.preferred_name),
        phone_e164=normalise_phone(data.phone) if data.phone and data.phone.strip() else None,
        email=normalise_client_email(data.email) if data.email and data.email.strip() else None,
        date_of_birth=_date_of_birth(data.date_of_birth, unit.now.date()),
        notes=_notes(data.notes),
        clinician_ids=clinicians,
        actor=actor,
    )
    return _view(unit, created)


# -- read, list, search ------------------------------------------------------------------------


def get_client(unit: Unit, actor: Actor, client_id: UUID) -> ClientView:
    """One client's record. Recorded as viewed (a write)."""
    client = check_client(unit, actor, client_id)
    view = _view(unit, client)
    _audit(unit, AuditKind.CLIENT_VIEWED, actor.practice_id, actor, client_id, {"via": "record"})
    return view


def _folded(text: str) -> str:
    """Case- and accent-insensitive form for matching names ("José" matches "jose")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def list_clients(
    unit: Unit,
    actor: Actor,
    *,
    query: str | None = None,
    include_archived: bool = False,
    limit: int = 100,
) -> list[ClientSummary]:
    """The clients the actor may see, by display name; with ``query``, those whose name or
    preferred name contains it (ignoring case and accents).

    Names are sealed and have no blind index, so the names of the visible clients (at most
    ``MAX_CLIENTS_SCANNED``) are opened in memory and matched here (decision 0018). Which
    clients were shown is recorded (ids only; never the query). A write.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}.")
    needle = _folded(" ".join(query.split())) if query is not None else ""
    if query is not None and not 1 <= len(needle) <= 100:
        raise InvalidInput("Search for 1 to 100 characters of a name.")
    visible = _visible(unit, actor, include_archived=include_archived)
    opener = FieldOpener(unit, actor.practice_id)
    named: list[tuple[StoredClient, str, str | None]] = []
    for client in visible:
        try:
            name = opener.open(TABLE, "name_sealed", client.id, client.name_sealed) or ""
            preferred = opener.open(
                TABLE, "preferred_name_sealed", client.id, client.preferred_name_sealed
            )
        except DecryptionError:
            log.error("name of client %s cannot be decrypted; left out", client.id)
            continue
        if needle and needle not in _folded(name) and needle not in _folded(preferred or ""):
            continue
        named.append((client, name, preferred))
    named.sort(key=lambda item: (_folded(item[2] or item[1]), str(item[0].id)))
    named = named[:limit]
    ids = [c.id for c, _, _ in named]
    clinicians = unit.clients.clinicians_of(actor.practice_id, ids)
    threads = unit.clients.thread_ids(actor.practice_id, ids)
    consents = unit.clients.consent_in_force_of(actor.practice_id, ids)
    summaries = []
    for client, name, preferred in named:
        summaries.append(
            ClientSummary(
                id=client.id,
                name=name,
                preferred_name=preferred,
                display_name=preferred or name,
                archived_at=client.archived_at,
                clinician_ids=clinicians.get(client.id, []),
                conversation_id=threads.get(client.id),
                has_phone=client.phone_sealed is not None,
                has_email=client.email_sealed is not None,
                sms_opted_out=client.sms_opted_out_at is not None,
                consent=consents[client.id],
            )
        )
    if summaries:
        record_clients_shown(unit, actor, ids, via="search" if query is not None else "list")
    return summaries


def record_clients_shown(unit: Unit, actor: Actor, client_ids: list[UUID], *, via: str) -> None:
    """Audit a list that named these clients to ``actor`` (one entry for the whole list), so
    each client's access report shows who saw them listed, and where (``via``)."""
    unit.audit(
        AuditKind.CLIENT_VIEWED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="practice",
        subject_id=actor.practice_id,
        details={"via": via, "clients": [str(i) for i in client_ids]},
    )


# -- change ---------------------------------------------------------------------------------


def do_update_client(
    unit: Unit,
    actor: Actor,
    lookup_key: bytes,
    client_id: UUID,
    changes: dict[str, str | None],
) -> ClientView:
    """Change fields of a client the actor may see. ``changes`` holds only the fields to
    change (``name``, ``preferred_name``, ``phone``, ``email``, ``date_of_birth``,
    ``notes``); ``None`` (or blank) clears a field, except the name. A new name re-titles
    the client's thread."""
    client = check_client(unit, actor, client_id)
    known = {"name", "preferred_name", "phone", "email", "date_of_birth", "notes"}
    if set(changes) - known:
        raise InvalidInput(
            "Only name, preferred_name, phone, email, date_of_birth and notes change."
        )
    seal = _sealer(unit, actor.practice_id, client_id)
    values: dict[str, object] = {}
    if "name" in changes:
        if changes["name"] is None:
            raise InvalidInput("A client needs a name.")
        values["name_sealed"] = seal("name_sealed", _name(changes["name"]))
    if "preferred_name" in changes:
        values["preferred_name_sealed"] = seal(
            "preferred_name_sealed", _optional_name(changes["preferred_name"])
        )
    if "phone" in changes:
        raw = changes["phone"]
        e164 = normalise_phone(raw) if raw and raw.strip() else None
        values["phone_sealed"] = seal("phone_sealed", e164)
        values["phone_lookup"] = phone_lookup(lookup_key, e164) if e164 else None
    if "email" in changes:
        raw = changes["email"]
        email = normalise_client_email(raw) if raw and raw.strip() else None
        values["email_sealed"] = seal("email_sealed", email)
        values["email_lookup"] = email_lookup(lookup_key, email) if email else None
    if "date_of_birth" in changes:
        values["date_of_birth_sealed"] = seal(
            "date_of_birth_sealed", _date_of_birth(changes["date_of_birth"], unit.now.date())
        )
    if "notes" in changes:
        values["notes_sealed"] = seal("notes_sealed", _notes(changes["notes"]))
    if values:
        unit.clients.update(actor.practice_id, client_id, **values)
        _audit(
            unit,
            AuditKind.CLIENT_UPDATED,
            actor.practice_id,
            actor,
            client_id,
            {"fields": sorted(changes)},
        )
        if {"name", "preferred_name"} & set(changes):
            updated = present(unit.clients.get(actor.practice_id, client_id), "client")
            opened = open_client(unit, updated)
            _retitle_thread(unit, actor.practice_id, client_id, opened.display_name)
    return _view(unit, present(unit.clients.get(actor.practice_id, client.id), "client"))


def do_archive_client(
    unit: Unit, actor: Actor, client_id: UUID, *, archived: bool = True
) -> ClientView:
    """Archive a client (they leave the client list; their thread and history stay), or
    restore them. Anyone who may see the client."""
    client = check_client(unit, actor, client_id)
    if (client.archived_at is not None) != archived:
        unit.clients.update(
            actor.practice_id, client_id, archived_at=unit.now if archived else None
        )
        _audit(
            unit,
            AuditKind.CLIENT_ARCHIVED if archived else AuditKind.CLIENT_UPDATED,
            actor.practice_id,
            actor,
            client_id,
            {"archived": archived} if archived else {"fields": ["archived"], "archived": False},
        )
    return _view(unit, present(unit.clients.get(actor.practice_id, client_id), "client"))


def do_assign_clinician(
    unit: Unit, actor: Actor, client_id: UUID, user_id: UUID, *, assigned: bool = True
) -> ClientView:
    """Assign a clinician to a client, or take them off; the client's thread follows.
    Owners, admins and the front desk."""
    if actor.user.role not in ASSIGNS:
        raise Forbidden(
            "Only a practice owner, an admin or the front desk can change who a client's "
            "clinicians are."
        )
    check_client(unit, actor, client_id)
    if assigned:
        _check_clinicians(unit, actor.practice_id, {user_id})
        current = unit.clients.clinician_ids(actor.practice_id, client_id)
        if user_id not in current and len(current) >= MAX_CLINICIANS:
            raise InvalidInput(f"A client can have at most {MAX_CLINICIANS} assigned clinicians.")
        changed = unit.clients.assign(
            actor.practice_id, client_id, user_id, now=unit.now, assigned_by=actor.user_id
        )
    else:
        changed = unit.clients.unassign(actor.practice_id, client_id, user_id)
        if not changed:
            raise NotFound("assigned clinician")
    if changed:
        _audit(
            unit,
            AuditKind.CLIENT_CLINICIAN_ASSIGNED
            if assigned
            else AuditKind.CLIENT_CLINICIAN_UNASSIGNED,
            actor.practice_id,
            actor,
            client_id,
            {"user": str(user_id)},
        )
        sync_thread_members(unit, actor.practice_id, client_id, actor)
    return _view(unit, present(unit.clients.get(actor.practice_id, client_id), "client"))
