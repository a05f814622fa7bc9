"""Right of access (HIPAA 45 CFR 164.524): everything Quietline holds about one client, as a
readable document (HTML, signed) and as structured data (JSON).

What is in an export: the client's record (name, preferred name, phone, e-mail, date of birth,
assigned clinicians, STOP, archiving), the whole consent history (channel, granted or
withdrawn, when, how, the exact warning shown, who recorded it), every message of the client's
thread (time, direction, who, channel, delivery state, text) and every appointment (start,
length, room, clinician, status, confirmation, reminder, running late).

Rules:

* **Who may export.** Owners and admins only, through the API or the web app; the server's
  operator through ``quietline clients export``. An assigned clinician may not: answering a
  right-of-access request is the practice's act (it must check who is asking, answer within
  the legal time limit, decide what is withheld and say so in writing), and the export holds
  what colleagues wrote too. A clinician asks an owner or admin.
* **The read path's rules hold.** Text is shown only for a message that
  :meth:`StoredMessage.readable_at` allows now and that is not past the practice's retention.
  A recalled, expired or past-retention message is listed with its time, direction and
  channel and the word for its state, never its content (usually erased already). One that
  fails to decrypt is listed as ``unreadable`` (and logged by id).
* **Staff notes** (the record's "notes for staff" and the thread's staff-only notes,
  ``internal``) are left out unless ``include_staff_notes``. Under HIPAA they are usually part
  of the designated record set and so within the right of access (psychotherapy notes, kept
  apart from the record, are not; neither is information a licensed professional judges
  would endanger someone). Whether they go out is a decision someone must make for each
  request, after reading them: so the default is *not* to include them, and the document says
  how many were left out, because a partial denial must be given to the client in writing.
* **Bounded.** At most :data:`MAX_EXPORT_MESSAGES` messages (and
  :data:`MAX_EXPORT_APPOINTMENTS` appointments); beyond that the export is refused with a
  409 that says what to do (the operator's command takes a higher limit). The export runs in
  one write transaction: about 15 microseconds of decryption per message.
* **Recorded.** ``client.exported`` in the same transaction (ids, format and counts; never a
  name), and ``message.viewed`` entries (``via: export``, message ids in chunks of
  :data:`VIEW_CHUNK`) for the messages whose text went out, so the access report shows the
  export like any other reading.

The HTML document is signed like the offboarding record (:mod:`quietline.crypto.documents`:
its last line is an HMAC under the practice-bound record key), so a filed copy can be
checked with ``POST /api/v1/documents/verify`` (up to 60,000 characters) or
``quietline documents verify``. The JSON is not signed: a signature line would make it
invalid JSON.
"""

from __future__ import annotations

import html
import logging
import unicodedata
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from quietline.actions.appointments import MAX_DAYS_AHEAD
from quietline.actions.clients import FieldOpener, check_client, open_client
from quietline.actions.context import Actor, check_admin
from quietline.actions.outbox import failure_text
from quietline.crypto.documents import sign_document
from quietline.crypto.envelope import DecryptionError
from quietline.crypto.fields import SealedMessage, open_message_body
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, InvalidInput, NotFound
from quietline.domain.models import Practice, StoredClient, StoredMessage, User
from quietline.storage.stores.messages import EPOCH
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # the "format" field of the JSON; bump on an incompatible change
FORMATS = ("json", "html")
Format = Literal["json", "html"]
MAX_EXPORT_MESSAGES = 50_000
MAX_OPERATOR_MESSAGES = 1_000_000  # quietline clients export --max-messages
MAX_EXPORT_APPOINTMENTS = 10_000
VIEW_CHUNK = 1_000  # message ids per message.viewed entry
# Outbound rows per message are few (the text or a notice, a retry is the same row); codes
# and keyword answers have no message. Bounded all the same.
_OUTBOUND_PER_MESSAGE = 4

Direction = Literal["from_client", "to_client", "staff_note"]
State = Literal["included", "expired", "recalled", "past_retention", "unreadable"]

STATE_WORDS: dict[str, str] = {
    "included": "",
    "expired": "expired: its content was erased when its time ran out",
    "recalled": "recalled: the sender took it back and its content was erased",
    "past_retention": "past the practice's retention period: its content is not kept",
    "unreadable": "unreadable: the stored content could not be decrypted",
}
DIRECTION_WORDS: dict[str, str] = {
    "from_client": "From the client",
    "to_client": "To the client",
    "staff_note": "Staff-only note",
}
CHANNEL_WORDS: dict[str, str] = {
    "sms": "text message (SMS)",
    "email": "e-mail",
    "page": "secure page",
    "link": "secure page (a notice and a link were sent)",
    "auto": "automatic reply",
}


# -- what an export holds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A member of staff as the export names them (the name as it is now)."""

    id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class ExportedClient:
    id: UUID
    name: str
    preferred_name: str | None
    phone: str | None
    email: str | None
    date_of_birth: str | None
    notes: str | None  # None unless staff notes are included
    created_at: datetime
    archived_at: datetime | None
    sms_opted_out_at: datetime | None
    clinicians: list[Person]

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.name

    def __repr__(self) -> str:  # never print what identifies the person
        return f"ExportedClient(id={self.id})"


@dataclass(frozen=True, slots=True)
class ExportedConsent:
    id: UUID
    channel: str
    granted: bool
    recorded_at: datetime
    method: str
    warning_text: str | None
    recorded_by: Person | None  # None: the client's own doing (secure page, keyword)


@dataclass(frozen=True, slots=True)
class ExportedDelivery:
    """One SMS or e-mail that carried a message (or the notice of it) to the client."""

    channel: str
    purpose: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    problem: str | None  # a fixed sentence, never content


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    id: UUID
    seq: int
    at: datetime
    direction: Direction
    sender: str  # as the document shows it
    sender_user_id: UUID | None
    sender_client_id: UUID | None
    channel: str | None
    urgent: bool
    state: State
    text: str | None  # only when state is "included"
    deliveries: list[ExportedDelivery]

    def __repr__(self) -> str:
        return f"ExportedMessage(id={self.id}, state={self.state})"


@dataclass(frozen=True, slots=True)
class ExportedAppointment:
    id: UUID
    starts_at: datetime
    length_minutes: int
    room: str | None
    clinician: Person
    status: str
    confirmation_requested_at: datetime | None
    responded_at: datetime | None
    reminder_sent_at: datetime | None
    late_minutes: int | None
    late_sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExportCounts:
    messages: int
    messages_with_text: int
    expired: int
    recalled: int
    past_retention: int
    unreadable: int
    staff_notes_included: int
    staff_notes_withheld: int
    consents: int
    appointments: int

    def as_dict(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ClientExport:
    """Everything exported about one client, opened. Built only after the access check."""

    fmt: Format
    practice: Practice
    timezone: str
    exported_at: datetime
    exported_by: Person | None  # None: the server's operator (quietline clients export)
    include_staff_notes: bool
    conversation_id: UUID | None
    client: ExportedClient
    consents: list[ExportedConsent]
    messages: list[ExportedMessage]
    appointments: list[ExportedAppointment]
    counts: ExportCounts
    record_notes_withheld: bool = False  # the record has notes for staff, left out

    def __repr__(self) -> str:
        return f"ClientExport(client={self.client.id}, fmt={self.fmt})"


# -- the actions ---------------------------------------------------------------------------


def check_format(fmt: str) -> Format:
    if fmt == "json":
        return "json"
    if fmt == "html":
        return "html"
    raise InvalidInput("format must be 'json' or 'html'.")


def do_export_client(
    unit: Unit,
    actor: Actor,
    client_id: UUID,
    fmt: str,
    *,
    include_staff_notes: bool = False,
) -> ClientExport:
    """One client's records for a right-of-access request (see the module docstring).
    Owners and admins; another practice's client, or a missing one, is the same 404.
    Recorded as ``client.exported`` in this transaction (a write)."""
    check_admin(actor)
    chosen = check_format(fmt)
    client = check_client(unit, actor, client_id)
    export = _collect(
        unit,
        actor.practice,
        client,
        chosen,
        exported_by=Person(actor.user_id, actor.user.display_name),
        include_staff_notes=include_staff_notes,
        max_messages=MAX_EXPORT_MESSAGES,
    )
    _record(unit, export, actor, via="api")
    return export


def do_export_client_as_operator(
    unit: Unit,
    practice_code: str,
    client_id: UUID,
    fmt: str,
    *,
    include_staff_notes: bool = False,
    max_messages: int = MAX_EXPORT_MESSAGES,
) -> ClientExport:
    """The same export for the server's operator (``quietline clients export``), who holds
    the keys and so is trusted like the other server commands; recorded with no actor and
    ``via: cli``. The practice is named by its code; a client of another practice is the
    same 404 as a missing one."""
    chosen = check_format(fmt)
    if not 1 <= max_messages <= MAX_OPERATOR_MESSAGES:
        raise InvalidInput(f"max_messages must be between 1 and {MAX_OPERATOR_MESSAGES}.")
    practice = unit.practices.get_by_slug(practice_code.strip().lower())
    if practice is None:
        raise InvalidInput("No practice has that code ('quietline keys status' lists them).")
    client = unit.clients.get(practice.id, client_id)
    if client is None:
        raise NotFound("client")
    export = _collect(
        unit,
        practice,
        client,
        chosen,
        exported_by=None,
        include_staff_notes=include_staff_notes,
        max_messages=max_messages,
    )
    _record(unit, export, None, via="cli")
    return export


def _too_many(what: str, limit: int) -> Conflict:
    more = (
        " The server's operator can export them with: quietline clients export CLIENT_ID "
        "--practice CODE --max-messages N."
        if what == "messages"
        else " Ask whoever runs your server."
    )
    return Conflict(
        f"This client has more than {limit:,} {what}, more than one export holds.{more}"
    )


def _collect(
    unit: Unit,
    practice: Practice,
    client: StoredClient,
    fmt: Format,
    *,
    exported_by: Person | None,
    include_staff_notes: bool,
    max_messages: int,
) -> ClientExport:
    pid = practice.id
    policy = unit.practice_messaging.policy(pid)
    staff = {u.id: u for u in unit.users.list_for_practice(pid)}
    opener = FieldOpener(unit, pid)
    opened = open_client(unit, client, opener)

    def person(user_id: UUID) -> Person:
        return _person(staff, user_id)

    exported_client = ExportedClient(
        id=client.id,
        name=opened.name,
        preferred_name=opened.preferred_name,
        phone=opened.phone,
        email=opened.email,
        date_of_birth=opened.date_of_birth,
        notes=opened.notes if include_staff_notes else None,
        created_at=client.created_at,
        archived_at=client.archived_at,
        sms_opted_out_at=client.sms_opted_out_at,
        clinicians=[person(u) for u in unit.clients.clinician_ids(pid, client.id)],
    )
    consents = [
        ExportedConsent(
            id=c.id,
            channel=c.channel,
            granted=c.granted,
            recorded_at=c.recorded_at,
            method=c.method,
            warning_text=c.warning_text,
            recorded_by=person(c.recorded_by) if c.recorded_by is not None else None,
        )
        for c in sorted(
            unit.clients.consent_history(pid, client.id), key=lambda c: (c.recorded_at, str(c.id))
        )
    ]
    thread = unit.conversations.for_client(pid, client.id)
    rows: list[StoredMessage] = []
    if thread is not None:
        rows = unit.messages.all_rows(pid, thread.id, max_messages + 1)
        if len(rows) > max_messages:
            raise _too_many("messages", max_messages)
    deliveries: dict[UUID, list[ExportedDelivery]] = {}
    if rows:
        outbound = unit.outbox.for_client(
            pid, client.id, limit=_OUTBOUND_PER_MESSAGE * len(rows) + 100
        )
        for row in sorted(outbound, key=lambda r: (r.created_at, str(r.id))):
            if row.message_id is None:
                continue
            deliveries.setdefault(row.message_id, []).append(
                ExportedDelivery(
                    channel=row.channel,
                    purpose=row.purpose,
                    status=row.status,
                    created_at=row.created_at,
                    sent_at=row.sent_at,
                    delivered_at=row.delivered_at,
                    problem=failure_text(row.status, row.last_error),
                )
            )
    not_before = practice.policy.retention_cutoff(unit.now) or EPOCH
    messages: list[ExportedMessage] = []
    withheld = 0
    key = unit.conversation_key(thread) if thread is not None and rows else b""
    for m in rows:
        if m.internal and not include_staff_notes:
            withheld += 1
            continue
        state, text = _content(m, key, unit.now, not_before)
        messages.append(
            ExportedMessage(
                id=m.id,
                seq=m.seq,
                at=m.created_at,
                direction=_direction(m),
                sender=_sender(m, staff, opened.display_name),
                sender_user_id=m.sender_id if m.channel != "auto" else None,
                sender_client_id=m.sender_client_id,
                channel=m.channel,
                urgent=m.urgent,
                state=state,
                text=text,
                deliveries=deliveries.get(m.id, []),
            )
        )
    booked = unit.appointments.between(
        pid,
        EPOCH,
        unit.now + timedelta(days=MAX_DAYS_AHEAD + 366),
        client_id=client.id,
        limit=MAX_EXPORT_APPOINTMENTS + 1,
    )
    if len(booked) > MAX_EXPORT_APPOINTMENTS:
        raise _too_many("appointments", MAX_EXPORT_APPOINTMENTS)
    appointments = [
        ExportedAppointment(
            id=a.id,
            starts_at=a.starts_at,
            length_minutes=a.length_minutes,
            room=a.room,
            clinician=person(a.clinician_id),
            status=a.status,
            confirmation_requested_at=a.confirmation_requested_at,
            responded_at=a.responded_at,
            reminder_sent_at=a.reminder_sent_at,
            late_minutes=a.late_minutes,
            late_sent_at=a.late_sent_at,
            created_at=a.created_at,
        )
        for a in booked
    ]

    def count(state: str) -> int:
        return sum(1 for m in messages if m.state == state)

    counts = ExportCounts(
        messages=len(messages),
        messages_with_text=count("included"),
        expired=count("expired"),
        recalled=count("recalled"),
        past_retention=count("past_retention"),
        unreadable=count("unreadable"),
        staff_notes_included=sum(1 for m in messages if m.direction == "staff_note"),
        staff_notes_withheld=withheld,
        consents=len(consents),
        appointments=len(appointments),
    )
    return ClientExport(
        fmt=fmt,
        practice=practice,
        timezone=policy.timezone,
        exported_at=unit.now,
        exported_by=exported_by,
        include_staff_notes=include_staff_notes,
        conversation_id=thread.id if thread is not None else None,
        client=exported_client,
        consents=consents,
        messages=messages,
        appointments=appointments,
        counts=counts,
        record_notes_withheld=not include_staff_notes and client.notes_sealed is not None,
    )


def _person(staff: dict[UUID, User], user_id: UUID) -> Person:
    user = staff.get(user_id)
    return Person(user_id, user.display_name if user is not None else "a former staff member")


def _direction(m: StoredMessage) -> Direction:
    if m.sender_client_id is not None:
        return "from_client"
    if m.internal:
        return "staff_note"
    return "to_client"


def _sender(m: StoredMessage, staff: dict[UUID, User], client_name: str) -> str:
    if m.sender_client_id is not None:
        return client_name
    if m.channel == "auto":
        return "Automatic reply"
    if m.sender_id is None:
        return "The care team"
    return _person(staff, m.sender_id).name


def _content(
    m: StoredMessage, key: bytes, now: datetime, not_before: datetime
) -> tuple[State, str | None]:
    """The read path's rule (readable now, not past retention), then decryption."""
    if m.recalled_at is not None:
        return "recalled", None
    if not m.readable_at(now):
        return "expired", None
    if m.created_at < not_before:
        return "past_retention", None
    if m.body_sealed is None or m.dek_wrapped is None:  # readable_at checked this already
        return "expired", None
    try:
        text = open_message_body(
            key, m.practice_id, m.conversation_id, m.id, SealedMessage(m.body_sealed, m.dek_wrapped)
        )
    except DecryptionError:
        log.error("message %s of a client thread cannot be decrypted; exported without it", m.id)
        return "unreadable", None
    return "included", text


def _record(unit: Unit, export: ClientExport, actor: Actor | None, *, via: str) -> None:
    """``client.exported`` (ids, format, counts) and the views of the messages whose text
    went out, in the caller's transaction."""
    pid = export.practice.id
    by: dict[str, Any] = {
        "actor_user_id": actor.user_id if actor else None,
        "actor_session_id": actor.session_id if actor else None,
    }
    details: dict[str, object] = {
        "format": export.fmt,
        "via": via,
        "staff_notes": export.include_staff_notes,
        **export.counts.as_dict(),
    }
    if export.conversation_id is not None:
        details["conversation"] = str(export.conversation_id)
    unit.audit(
        AuditKind.CLIENT_EXPORTED,
        pid,
        **by,
        subject_type="client",
        subject_id=export.client.id,
        details=details,
    )
    shown = [str(m.id) for m in export.messages if m.state == "included"]
    for start in range(0, len(shown), VIEW_CHUNK):
        unit.audit(
            AuditKind.MESSAGES_VIEWED,
            pid,
            **by,
            subject_type="conversation",
            subject_id=export.conversation_id,
            details={"via": "export", "messages": shown[start : start + VIEW_CHUNK]},
        )


# -- files -----------------------------------------------------------------------------------


def export_filename(export: ClientExport) -> str:
    """``client-<id>-records-<date>.<fmt>``: never the client's name (file names end up in
    download lists, backups and mail subjects)."""
    return f"client-{export.client.id}-records-{export.exported_at:%Y-%m-%d}.{export.fmt}"


def media_type(fmt: Format) -> str:
    return "application/json" if fmt == "json" else "text/html; charset=utf-8"


def render_export(export: ClientExport, record_key: bytes) -> bytes:
    """The file: JSON, or the HTML document signed with the practice-bound record key."""
    if export.fmt == "json":
        return render_export_json(export)
    body = render_export_html(export)
    return sign_document(record_key, export.practice.id, body).encode("utf-8")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _person_json(p: Person | None) -> dict[str, str] | None:
    return None if p is None else {"id": str(p.id), "name": p.name}


def export_data(export: ClientExport) -> dict[str, Any]:
    """The JSON document as a dict: times in UTC (ISO 8601), ids as strings."""
    c = export.client
    client: dict[str, Any] = {
        "id": str(c.id),
        "name": c.name,
        "preferred_name": c.preferred_name,
        "phone": c.phone,
        "email": c.email,
        "date_of_birth": c.date_of_birth,
        "created_at": _iso(c.created_at),
        "archived_at": _iso(c.archived_at),
        "sms_opted_out_at": _iso(c.sms_opted_out_at),
        "clinicians": [_person_json(p) for p in c.clinicians],
    }
    if export.include_staff_notes:
        client["notes_for_staff"] = c.notes
    return {
        "format": EXPORT_FORMAT,
        "kind": "quietline.client_export",
        "basis": "Right of access (HIPAA 45 CFR 164.524)",
        "exported_at": _iso(export.exported_at),
        "exported_by": _person_json(export.exported_by),
        "via": "api" if export.exported_by is not None else "cli",
        "practice": {
            "id": str(export.practice.id),
            "name": export.practice.name,
            "code": export.practice.slug,
            "timezone": export.timezone,
        },
        "include_staff_notes": export.include_staff_notes,
        "client": client,
        "consents": [
            {
                "id": str(r.id),
                "channel": r.channel,
                "granted": r.granted,
                "recorded_at": _iso(r.recorded_at),
                "method": r.method,
                "warning_text": r.warning_text,
                "recorded_by": _person_json(r.recorded_by),
            }
            for r in export.consents
        ],
        "conversation_id": str(export.conversation_id) if export.conversation_id else None,
        "messages": [
            {
                "id": str(m.id),
                "seq": m.seq,
                "at": _iso(m.at),
                "direction": m.direction,
                "sender": m.sender,
                "sender_user_id": str(m.sender_user_id) if m.sender_user_id else None,
                "sender_client_id": str(m.sender_client_id) if m.sender_client_id else None,
                "channel": m.channel,
                "urgent": m.urgent,
                "state": m.state,
                "text": m.text,
                "deliveries": [
                    {
                        "channel": d.channel,
                        "purpose": d.purpose,
                        "status": d.status,
                        "created_at": _iso(d.created_at),
                        "sent_at": _iso(d.sent_at),
                        "delivered_at": _iso(d.delivered_at),
                        "problem": d.problem,
                    }
                    for d in m.deliveries
                ],
            }
            for m in export.messages
        ],
        "appointments": [
            {
                "id": str(a.id),
                "starts_at": _iso(a.starts_at),
                "length_minutes": a.length_minutes,
                "room": a.room,
                "clinician": _person_json(a.clinician),
                "status": a.status,
                "confirmation_requested_at": _iso(a.confirmation_requested_at),
                "responded_at": _iso(a.responded_at),
                "reminder_sent_at": _iso(a.reminder_sent_at),
                "late_minutes": a.late_minutes,
                "late_sent_at": _iso(a.late_sent_at),
                "created_at": _iso(a.created_at),
            }
            for a in export.appointments
        ],
        "counts": export.counts.as_dict(),
        "left_out": _left_out(export),
    }


def render_export_json(export: ClientExport) -> bytes:
    return orjson.dumps(export_data(export), option=orjson.OPT_INDENT_2) + b"\n"


def _left_out(export: ClientExport) -> list[str]:
    """What the export does not hold, in sentences the client can read."""
    notes: list[str] = []
    withheld = export.counts.staff_notes_withheld
    if not export.include_staff_notes and (withheld or export.record_notes_withheld):
        parts = []
        if withheld:
            parts.append(
                f"{withheld} staff-only {'note' if withheld == 1 else 'notes'} in the thread"
            )
        if export.record_notes_withheld:
            parts.append("the notes for staff on the client's record")
        notes.append(
            f"Not included: {' and '.join(parts)}. The practice decides whether to provide "
            "them; ask the practice if you want them or want this decision reviewed."
        )
    notes.append(
        "Messages whose content was erased (recalled, expired, or past the practice's "
        "retention period) are listed without their content. Erased messages are removed "
        "entirely after a while, and are then not listed at all."
    )
    notes.append(
        "One-time sign-in codes and the texts that only announced a new message with a link "
        "are not kept after they are sent: each appears as a delivery of the message it "
        "announced."
    )
    return notes


# -- the readable document -----------------------------------------------------------------

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;
max-width:52rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;
border-bottom:1px solid #c9d1d9;padding-bottom:.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;
vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #e3e8ec}
th{font-weight:600;width:14rem}thead th{width:auto;background:#f3f5f7}
.meta{color:#52606d;font-size:.9rem}.msg{border:1px solid #d6dde3;border-radius:6px;
padding:.5rem .75rem;margin:.5rem 0;page-break-inside:avoid}.msg.from_client{background:#f4f8fb}
.msg.staff_note{background:#fff8e6}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.35rem 0 0}
.gone{font-style:italic;color:#52606d;margin:.35rem 0 0}blockquote{margin:.25rem 0;
padding:.25rem .75rem;border-left:3px solid #c9d1d9;white-space:pre-wrap}
ul.notes li{margin:.25rem 0}td.when{white-space:nowrap}
@media print{body{margin:0;max-width:none}.msg{border-color:#999}}
""".strip()


# Direction overrides and isolates could make a line read differently from what was sent.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean(text: str) -> str:
    """Text typed by people or sent by clients: control characters (except line breaks and
    tabs), lone surrogates and direction overrides become '?'. Joiners stay (emoji)."""
    return "".join(
        "?"
        if (unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t") or c in _BIDI_CONTROLS
        else c
        for c in text
    )


def _e(value: object) -> str:
    return html.escape(_clean(str(value)), quote=True)


class _Clock:
    """Times in the practice's time zone, with the zone's abbreviation."""

    def __init__(self, timezone: str) -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")

    def __call__(self, at: datetime | None) -> str:
        if at is None:
            return "—"
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")


def _row(label: str, value: str) -> str:
    """One row of a fact table; ``value`` is already escaped."""
    return f'<tr><th scope="row">{_e(label)}</th><td>{value}</td></tr>'


def _or_dash(value: object | None) -> str:
    return "—" if value is None or value == "" else _e(value)


def render_export_html(export: ClientExport) -> str:
    """A self-contained, printable HTML document (no scripts, no external files; a strict
    Content-Security-Policy in the page as well). Every value is escaped. Ends with a line
    break, ready for :func:`quietline.crypto.documents.sign_document`."""
    when = _Clock(export.timezone)
    c = export.client
    out: list[str] = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex">',
        f"<title>Records of {_e(c.name)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Records of {_e(c.name)}</h1>",
        f'<p class="meta">From {_e(export.practice.name)}, as held in Quietline on '
        f"{_e(when(export.exported_at))}. Prepared for a request to see one's own records "
        "(right of access, HIPAA 45 CFR 164.524). Times are in the practice's time zone, "
        f"{_e(export.timezone)}.</p>",
        "<h2>The client's record</h2>",
        "<table>",
        _row("Name", _e(c.name)),
        _row("Preferred name", _or_dash(c.preferred_name)),
        _row("Phone", _or_dash(c.phone)),
        _row("E-mail", _or_dash(c.email)),
        _row("Date of birth", _or_dash(c.date_of_birth)),
        _row("Clinicians", _e(", ".join(p.name for p in c.clinicians)) or "—"),
        _row("On file since", _e(when(c.created_at))),
        _row(
            "Text messages",
            _e(f"turned off (STOP) on {when(c.sms_opted_out_at)}") if c.sms_opted_out_at else "on",
        ),
    ]
    if c.archived_at is not None:
        out.append(_row("Archived", _e(when(c.archived_at))))
    if export.include_staff_notes:
        notes = f'<div class="text">{_e(c.notes)}</div>' if c.notes else "—"
        out.append(_row("Notes for staff", notes))
    out.append("</table>")

    out.append("<h2>Consent to plain text messages and e-mail</h2>")
    if export.consents:
        out.append(
            "<table><thead><tr><th>When</th><th>Channel</th><th>Answer</th><th>How</th>"
            "<th>Recorded by</th></tr></thead><tbody>"
        )
        for r in export.consents:
            by = r.recorded_by.name if r.recorded_by else "the client"
            channel = CHANNEL_WORDS.get(r.channel, r.channel)
            out.append(
                f'<tr><td class="when">{_e(when(r.recorded_at))}</td>'
                f"<td>{_e(channel)}</td>"
                f"<td>{'agreed' if r.granted else 'withdrawn'}</td><td>{_e(r.method)}</td>"
                f"<td>{_e(by)}</td></tr>"
            )
            if r.warning_text:
                out.append(
                    '<tr><td></td><td colspan="4">The warning shown, word for word:'
                    f"<blockquote>{_e(r.warning_text)}</blockquote></td></tr>"
                )
        out.append("</tbody></table>")
    else:
        out.append("<p>No answer was recorded.</p>")

    n = export.counts
    out.append("<h2>Messages</h2>")
    out.append(
        f'<p class="meta">{n.messages} {"message" if n.messages == 1 else "messages"}, oldest '
        f"first; {n.messages_with_text} with their text.</p>"
    )
    for m in export.messages:
        out.append(_message_html(m, when))
    if not export.messages:
        out.append("<p>No messages.</p>")

    out.append("<h2>Appointments</h2>")
    if export.appointments:
        out.append(
            "<table><thead><tr><th>Starts</th><th>Length</th><th>Room</th><th>Clinician</th>"
            "<th>Status</th></tr></thead><tbody>"
        )
        for a in export.appointments:
            out.append(
                f'<tr><td class="when">{_e(when(a.starts_at))}</td>'
                f"<td>{a.length_minutes} min</td>"
                f"<td>{_or_dash(a.room)}</td><td>{_e(a.clinician.name)}</td>"
                f"<td>{_e(_appointment_status(a, when))}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No appointments.</p>")

    out.append("<h2>What this document does not include</h2>")
    out.append('<ul class="notes">')
    out.extend(f"<li>{_e(line)}</li>" for line in _left_out(export))
    out.append("</ul>")
    by = export.exported_by.name if export.exported_by else "the server's operator"
    out.append(
        f'<p class="meta">Prepared by {_e(by)}. Client record {_e(c.id)}; format '
        f"{EXPORT_FORMAT}. The line below is the practice's signature: the practice can check "
        "that this file is exactly as it was prepared.</p>"
    )
    # No closing </body></html> (both are optional in HTML): the signature line that
    # sign_document appends must be the document's last line, and is shown as text.
    return "\n".join(out) + "\n"


def _message_html(m: ExportedMessage, when: _Clock) -> str:
    head = [DIRECTION_WORDS[m.direction], m.sender]
    if m.channel:
        head.append(f"by {CHANNEL_WORDS.get(m.channel, m.channel)}")
    if m.urgent:
        head.append("urgent")
    delivered = "; ".join(_delivery_words(d, when) for d in m.deliveries)
    body = (
        f'<p class="text">{_e(m.text)}</p>'
        if m.state == "included" and m.text is not None
        else f'<p class="gone">({_e(STATE_WORDS[m.state])})</p>'
    )
    return (
        f'<div class="msg {m.direction}"><div class="meta">{_e(when(m.at))} · '
        f"{_e(' · '.join(head))}</div>{body}"
        + (f'<div class="meta">Delivery: {_e(delivered)}</div>' if delivered else "")
        + "</div>"
    )


def _delivery_words(d: ExportedDelivery, when: _Clock) -> str:
    channel = "SMS" if d.channel == "sms" else "e-mail"
    what = "a notice with a link" if d.purpose == "notice" else "the text"
    if d.status == "delivered":
        state = f"delivered {when(d.delivered_at)}"
    elif d.status == "sent":
        state = f"sent {when(d.sent_at)}"
    else:
        state = d.status
    words = f"{what} by {channel}, {state}"
    return f"{words} ({d.problem})" if d.problem else words


def _appointment_status(a: ExportedAppointment, when: _Clock) -> str:
    words = {
        "scheduled": "booked",
        "confirmed": "confirmed by the client",
        "reschedule_requested": "the client asked to reschedule",
        "cancelled": "cancelled",
    }.get(a.status, a.status)
    extra = []
    if a.confirmation_requested_at:
        extra.append(f"confirmation asked {when(a.confirmation_requested_at)}")
    if a.responded_at:
        extra.append(f"answered {when(a.responded_at)}")
    if a.reminder_sent_at:
        extra.append(f"reminder sent {when(a.reminder_sent_at)}")
    if a.late_minutes:
        extra.append(f"clinician running {a.late_minutes} min late")
    return f"{words} ({'; '.join(extra)})" if extra else words
