"""Oversight: emergency ("break-glass") access to a conversation, the access report (who
viewed which messages, by conversation, client, person and time, and its CSV/JSON file), the
audit export, and the record of audit-chain verifications.

Emergency access (decision 0014). An owner or admin opens a grant on one conversation of
their practice for a stated reason and a limited time; so does whoever is on call now (an
on-call shift covers this moment), on a client's thread. While the grant is live and its
holder still qualifies (:func:`quietline.actions.on_call.may_break_glass`: still an owner or
admin, or still on call), the read path
(:func:`quietline.actions.conversations.check_reader`) lets them read that conversation's
history without being a member. Never to send, mark or recall: those stay member-only. An
on-call clinician's grant ends at the latest when their shift does. Every read under a grant
is audited as usual and names the grant; opening and closing are audited; the
conversation's members are told by an event. The reason is sealed with the practice key: it
is in no audit entry, event, log line or export.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson

from quietline.actions.audit import AuditFilter, find_audit_entries
from quietline.actions.context import Actor, check_admin
from quietline.actions.on_call import is_on_call_now, may_break_glass
from quietline.crypto.audit_chain import ChainReport
from quietline.crypto.envelope import DecryptionError, read_header
from quietline.crypto.fields import open_emergency_reason, seal_emergency_reason
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Forbidden, InvalidInput, NotFound
from quietline.domain.events import Event, conversation_topic
from quietline.domain.models import AuditEntry
from quietline.storage.stores.oversight import EmergencyGrant, ViewEntry, ViewSummary
from quietline.storage.unit import Unit

log = logging.getLogger(__name__)

MIN_REASON = 10
MAX_REASON = 500
DEFAULT_GRANT_MINUTES = 60
MAX_GRANT_MINUTES = 240
MAX_LISTED_GRANTS = 200
REPORT_DEFAULT_DAYS = 30
MAX_REPORT_ROWS = 5000
MAX_EXPORT_ROWS = 10_000
VERIFY_MAINTENANCE_KIND = "audit_verify"
WITHHELD = "[withheld]"
NOT_ON_CALL = (
    "Only a practice owner or admin, or whoever is on call now, can open emergency access. "
    "You are not on call now: ask an owner or admin, or the person on call."
)
ON_CALL_CLIENT_THREADS_ONLY = (
    "On call, you can open emergency access to a client's thread only. For a conversation "
    "between staff, ask a practice owner or admin."
)


# -- emergency access ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrantView:
    id: UUID
    conversation_id: UUID
    user_id: UUID
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    live: bool
    reason: str | None  # None only when the stored reason cannot be decrypted


def _check_reason(reason: str) -> str:
    clean = reason.strip()
    if not MIN_REASON <= len(clean) <= MAX_REASON:
        raise InvalidInput(
            f"Give the reason for emergency access in {MIN_REASON} to {MAX_REASON} characters."
        )
    if "\x00" in clean:
        raise InvalidInput("The reason contains a character that cannot be stored (NUL).")
    return clean


def _open_reason(unit: Unit, grant: EmergencyGrant) -> str | None:
    try:
        key_id = read_header(grant.reason_sealed).key_id
        key = unit.keyring.practice_key(
            grant.practice_id, unit.practices.key(grant.practice_id, key_id)
        )
        return open_emergency_reason(
            key, grant.practice_id, grant.conversation_id, grant.id, grant.reason_sealed
        )
    except (DecryptionError, ValueError):
        log.error("reason of emergency access grant %s cannot be decrypted", grant.id)
        return None


def _end_of_duty(unit: Unit, actor: Actor) -> datetime:
    """When the actor's on-call duty now ends: the latest end of their shifts under way."""
    under_way = [
        s.ends_at
        for s in unit.appointments.shifts_not_ended_for(actor.practice_id, actor.user_id, unit.now)
        if s.starts_at <= unit.now
    ]
    return max(under_way, default=unit.now)


def _grant_view(grant: EmergencyGrant, reason: str | None, now: datetime) -> GrantView:
    return GrantView(
        id=grant.id,
        conversation_id=grant.conversation_id,
        user_id=grant.user_id,
        opened_at=grant.opened_at,
        expires_at=grant.expires_at,
        closed_at=grant.closed_at,
        live=grant.live_at(now),
        reason=reason,
    )


def do_open_emergency_access(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    *,
    reason: str,
    minutes: int = DEFAULT_GRANT_MINUTES,
) -> GrantView:
    """Open break-glass read access to one conversation for ``minutes``. Owners and admins,
    and whoever is on call now (on a client's thread; the grant then ends at the latest
    when their shift does).

    Audited (the grant id and its length, never the reason) and announced to the
    conversation's members with an ``emergency_access.opened`` event after commit.
    """
    on_call = not actor.is_admin
    if on_call and not is_on_call_now(unit, actor):
        raise Forbidden(NOT_ON_CALL)
    clean = _check_reason(reason)
    if not 1 <= minutes <= MAX_GRANT_MINUTES:
        raise InvalidInput(
            f"Emergency access lasts 1 to {MAX_GRANT_MINUTES} minutes; open another when it ends."
        )
    conversation = unit.conversations.get(actor.practice_id, conversation_id)
    if conversation is None:
        raise NotFound("conversation")
    if not may_break_glass(unit, actor, conversation):
        raise Forbidden(ON_CALL_CLIENT_THREADS_ONLY)
    expires_at = unit.now + timedelta(minutes=minutes)
    if on_call:
        expires_at = min(expires_at, _end_of_duty(unit, actor))
    grant_id = uuid4()
    stored, key = unit.practice_key(actor.practice_id)
    grant = EmergencyGrant(
        id=grant_id,
        practice_id=actor.practice_id,
        conversation_id=conversation_id,
        user_id=actor.user_id,
        reason_sealed=seal_emergency_reason(
            key, stored.key_id, actor.practice_id, conversation_id, grant_id, clean
        ),
        opened_at=unit.now,
        expires_at=expires_at,
        closed_at=None,
    )
    unit.oversight.insert_grant(grant)
    details: dict[str, object] = {
        "grant": str(grant_id),
        "minutes": minutes,
        "expires_at": grant.expires_at.isoformat(),
    }
    if on_call:
        details["via"] = "on_call"
    unit.audit(
        AuditKind.EMERGENCY_ACCESS_OPENED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="conversation",
        subject_id=conversation_id,
        details=details,
    )
    unit.emit(
        Event(
            actor.practice_id,
            "emergency_access.opened",
            (conversation_topic(conversation_id),),
            {
                "conversation_id": str(conversation_id),
                "grant_id": str(grant_id),
                "opened_by": str(actor.user_id),
                "expires_at": grant.expires_at.isoformat(),
            },
        )
    )
    return _grant_view(grant, clean, unit.now)


def do_close_emergency_access(
    unit: Unit, actor: Actor, conversation_id: UUID, grant_id: UUID
) -> None:
    """End a grant before its time: owners and admins, any grant; anyone else, a grant of
    their own (an on-call clinician done reading). Closing one that has already ended
    changes nothing and records nothing."""
    grant = unit.oversight.grant(actor.practice_id, conversation_id, grant_id)
    if not actor.is_admin and (grant is None or grant.user_id != actor.user_id):
        raise Forbidden(
            "Only a practice owner or admin, or the person who opened it, can end emergency access."
        )
    if grant is None:
        raise NotFound("emergency access grant")
    if not unit.oversight.close_grant(actor.practice_id, grant_id, unit.now):
        return
    unit.audit(
        AuditKind.EMERGENCY_ACCESS_CLOSED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="conversation",
        subject_id=conversation_id,
        details={"grant": str(grant_id), "opened_by": str(grant.user_id)},
    )
    unit.emit(
        Event(
            actor.practice_id,
            "emergency_access.closed",
            (conversation_topic(conversation_id),),
            {
                "conversation_id": str(conversation_id),
                "grant_id": str(grant_id),
                "closed_by": str(actor.user_id),
            },
        )
    )


def list_emergency_access(unit: Unit, actor: Actor, conversation_id: UUID) -> list[GrantView]:
    """The conversation's grants, newest first, reasons included: for its members (who are
    entitled to know who read their conversation, and why), for owners and admins, and for
    whoever reads it under a live grant of their own (an on-call clinician). Anyone else
    gets the same 404 as for a missing conversation."""
    pid = actor.practice_id
    conversation = unit.conversations.get_if_member(pid, conversation_id, actor.user_id)
    if conversation is None and actor.is_admin:
        conversation = unit.conversations.get(pid, conversation_id)
    elif conversation is None and unit.oversight.live_grant(
        pid, conversation_id, actor.user_id, unit.now
    ):
        held = unit.conversations.get(pid, conversation_id)
        if held is not None and may_break_glass(unit, actor, held):
            conversation = held
    if conversation is None:
        raise NotFound("conversation")
    grants = unit.oversight.grants_for_conversation(
        actor.practice_id, conversation_id, MAX_LISTED_GRANTS
    )
    return [_grant_view(g, _open_reason(unit, g), unit.now) for g in grants]


# -- the access report --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessReportQuery:
    """The report's scope: one conversation, one client (every thread of theirs), one person,
    any of these together (each narrows), or none (the whole practice)."""

    conversation_id: UUID | None = None
    user_id: UUID | None = None
    since: datetime | None = None  # default: REPORT_DEFAULT_DAYS before ``until``
    until: datetime | None = None  # default: now (included)
    after_seq: int = 0
    limit: int = 500
    client_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One recorded view: who, when, on which device, which messages, and under what."""

    seq: int
    at: datetime
    user_id: UUID | None
    user_name: str | None
    device_session_id: UUID | None
    device_name: str | None
    conversation_id: UUID | None
    via: str | None
    message_ids: list[UUID]
    up_to_seq: int | None  # for "seen" marks, which name a sequence number, not messages
    emergency_access: bool
    grant_id: UUID | None
    client_id: UUID | None = None  # the client whose thread it is, if it is one
    supervision: bool = False  # read as the member's supervisor (a "supervision" detail)


@dataclass(frozen=True, slots=True)
class AccessReport:
    since: datetime
    until: datetime
    conversation_id: UUID | None
    user_id: UUID | None
    rows: list[AccessRow]
    summary: ViewSummary
    next_after_seq: int | None
    client_id: UUID | None = None


def _uuid(value: object) -> UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def _access_row(entry: ViewEntry, clients: dict[UUID, UUID]) -> AccessRow:
    details = entry.details
    raw_messages = details.get("messages")
    message_ids = [
        m
        for m in (_uuid(v) for v in (raw_messages if isinstance(raw_messages, list) else []))
        if m is not None
    ]
    up_to = details.get("up_to_seq")
    via = details.get("via")
    grant_id = _uuid(details.get("emergency_access"))
    conversation_id = _uuid(entry.conversation_id)
    return AccessRow(
        seq=entry.seq,
        at=entry.at,
        user_id=entry.user_id,
        user_name=entry.user_name,
        device_session_id=entry.session_id,
        device_name=entry.device_name,
        conversation_id=conversation_id,
        via=via if isinstance(via, str) else None,
        message_ids=message_ids,
        up_to_seq=up_to if isinstance(up_to, int) and not isinstance(up_to, bool) else None,
        emergency_access="emergency_access" in details,
        grant_id=grant_id,
        client_id=clients.get(conversation_id) if conversation_id else None,
        # A supervisor's read is marked by a "supervision" detail (true, or the id of what
        # allowed it) or by its "via".
        supervision=bool(details.get("supervision")) or via == "supervision",
    )


def _scope_details(query: AccessReportQuery) -> dict[str, object]:
    """The scope as an audit entry records it: ids only (never a client's name)."""
    details: dict[str, object] = {}
    if query.conversation_id is not None:
        details["conversation"] = str(query.conversation_id)
    if query.client_id is not None:
        details["client"] = str(query.client_id)
    if query.user_id is not None:
        details["user"] = str(query.user_id)
    return details


def _read_access_report(
    unit: Unit, actor: Actor, query: AccessReportQuery, max_rows: int
) -> AccessReport:
    """The report without recording it: checks, scope, one page of rows and the counts."""
    check_admin(actor)
    if not 1 <= query.limit <= max_rows:
        raise InvalidInput(f"limit must be between 1 and {max_rows}.")
    until = query.until or unit.now
    since = query.since or until - timedelta(days=REPORT_DEFAULT_DAYS)
    if since >= until:
        raise InvalidInput("'from' must be before 'to'.")
    threads: list[UUID] | None = None
    if query.client_id is not None:
        # Owners and admins see every client; another practice's gets the same 404.
        if unit.clients.get(actor.practice_id, query.client_id) is None:
            raise NotFound("client")
        threads = unit.oversight.client_threads(actor.practice_id, query.client_id)
    scope: dict[str, Any] = {
        "conversation_id": query.conversation_id,
        "user_id": query.user_id,
        "since": since,
        "until": query.until,  # without one, everything up to this moment
        "conversation_ids": threads,
    }
    entries = unit.oversight.views(
        actor.practice_id, after_seq=query.after_seq, limit=query.limit + 1, **scope
    )
    more = len(entries) > query.limit
    entries = entries[: query.limit]
    summary = unit.oversight.views_summary(actor.practice_id, **scope)
    seen = {c for c in (_uuid(e.conversation_id) for e in entries) if c is not None}
    clients = unit.oversight.thread_clients(actor.practice_id, sorted(seen))
    return AccessReport(
        since=since,
        until=until,
        conversation_id=query.conversation_id,
        user_id=query.user_id,
        rows=[_access_row(e, clients) for e in entries],
        summary=summary,
        next_after_seq=entries[-1].seq if more and entries else None,
        client_id=query.client_id,
    )


def access_report(unit: Unit, actor: Actor, query: AccessReportQuery) -> AccessReport:
    """Exactly the recorded ``message.viewed`` entries in ``[since, until)``, oldest first,
    for one conversation, one client's threads, one person, or (none given) the whole
    practice. Owners and admins; the reading is itself recorded, like every query of the
    audit trail.

    A client's scope is every conversation whose ``client_id`` is theirs when the report
    runs: views by members, under emergency access and by supervisors alike. The client's own
    reading on the secure page (``client.page_viewed``) and staff opening the client's record
    (``client.viewed``) are not message views: the audit log's client filter shows them."""
    report = _read_access_report(unit, actor, query, MAX_REPORT_ROWS)
    unit.audit(
        AuditKind.AUDIT_QUERIED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        details={"report": "access", "results": len(report.rows), **_scope_details(query)},
    )
    return report


ACCESS_EXPORT_COLUMNS = (
    "seq",
    "at",
    "user_id",
    "user_name",
    "device_session_id",
    "device_name",
    "conversation_id",
    "client_id",
    "via",
    "message_ids",
    "up_to_seq",
    "emergency_access",
    "grant_id",
    "supervision",
)


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def access_export_row(row: AccessRow) -> dict[str, Any]:
    """One view as exported: ids, times, the person's and device's names, flags. A client
    appears by id only (see :func:`do_export_access_report`)."""
    via = export_value(row.via)
    return {
        "seq": row.seq,
        "at": _iso(row.at),
        "user_id": _id(row.user_id),
        "user_name": row.user_name,
        "device_session_id": _id(row.device_session_id),
        "device_name": row.device_name,
        "conversation_id": _id(row.conversation_id),
        "client_id": _id(row.client_id),
        "via": via if isinstance(via, str) else None,
        "message_ids": [str(m) for m in row.message_ids],
        "up_to_seq": row.up_to_seq,
        "emergency_access": row.emergency_access,
        "grant_id": _id(row.grant_id),
        "supervision": row.supervision,
    }


@dataclass(frozen=True, slots=True)
class AccessExport:
    rows: list[dict[str, Any]]
    next_after_seq: int | None  # pass as after_seq for the next file (later views)


def do_export_access_report(
    unit: Unit, actor: Actor, query: AccessReportQuery, fmt: str
) -> AccessExport:
    """The access report's rows for a file (oldest first, at most ``MAX_EXPORT_ROWS``).
    Owners and admins; recorded as ``audit.exported`` with the scope's ids.

    The file names a client by id, never by name: it leaves Quietline (mail, a shared
    drive), and the practice ties the id to the person in the app, where looking it up is
    recorded. It is the answer to the request, never written on the server."""
    if fmt not in ("csv", "json"):
        raise InvalidInput("format must be 'csv' or 'json'.")
    report = _read_access_report(unit, actor, query, MAX_EXPORT_ROWS)
    unit.audit(
        AuditKind.AUDIT_EXPORTED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        details={
            "report": "access",
            "format": fmt,
            "rows": len(report.rows),
            **_scope_details(query),
        },
    )
    return AccessExport([access_export_row(r) for r in report.rows], report.next_after_seq)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A cell no spreadsheet reads as a formula: names are people's own words, so one that
    starts like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def access_export_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """CSV with a header row; message ids separated by spaces; flags ``true``/``false``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ACCESS_EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in ACCESS_EXPORT_COLUMNS])
    return out.getvalue().encode("utf-8")


# -- the audit export ---------------------------------------------------------------------

EXPORT_COLUMNS = (
    "seq",
    "at",
    "kind",
    "actor_user_id",
    "actor_session_id",
    "subject_type",
    "subject_id",
    "emergency_access",
    "details",
)
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)?$")
_MAX_DEPTH = 4


def export_value(value: object, depth: int = 0) -> object:
    """A details value as it may leave the server: numbers, booleans, ids, timestamps and
    machine words (``history``, ``clinician``) pass; any other text is withheld.

    Audit details hold ids and counts by design; this makes sure an export cannot carry
    content even if some future entry put text there (free text has spaces or capitals)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if _uuid(value) is not None or _TIMESTAMP.match(value) or _TOKEN.match(value):
            return value
        return WITHHELD
    if depth >= _MAX_DEPTH:
        return WITHHELD
    if isinstance(value, list):
        return [export_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): export_value(v, depth + 1) for k, v in value.items() if _KEY.match(str(k))}
    return WITHHELD


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_row(entry: AuditEntry) -> dict[str, Any]:
    """One entry as exported. The emergency-access grant id (never its reason) gets its own
    column, so reads under a grant stand out in a spreadsheet."""
    details = export_value(entry.details)
    assert isinstance(details, dict)  # noqa: S101 - a dict maps to a dict
    grant = _uuid(entry.details.get("emergency_access"))
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "kind": entry.kind,
        "actor_user_id": str(entry.actor_user_id) if entry.actor_user_id else None,
        "actor_session_id": str(entry.actor_session_id) if entry.actor_session_id else None,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "emergency_access": str(grant) if grant else None,
        "details": details,
    }


@dataclass(frozen=True, slots=True)
class AuditExport:
    rows: list[dict[str, Any]]
    next_before_seq: int | None  # pass as before_seq for the next file (older entries)


def do_export_audit(unit: Unit, actor: Actor, query: AuditFilter, fmt: str) -> AuditExport:
    """The entries the viewer's filter selects (newest first, at most ``MAX_EXPORT_ROWS``),
    ready for a file. Owners and admins; recorded as ``audit.exported``."""
    check_admin(actor)
    if fmt not in ("csv", "json"):
        raise InvalidInput("format must be 'csv' or 'json'.")
    if not 1 <= query.limit <= MAX_EXPORT_ROWS:
        raise InvalidInput(f"limit must be between 1 and {MAX_EXPORT_ROWS}.")
    entries = find_audit_entries(unit, actor, query)
    details: dict[str, object] = {"format": fmt, "rows": len(entries)}
    if query.conversation_id is not None:
        details["conversation"] = str(query.conversation_id)
    if query.client_id is not None:
        details["client"] = str(query.client_id)
    if query.actor_user_id is not None:
        details["user"] = str(query.actor_user_id)
    if query.kinds:
        details["kinds"] = sorted(set(query.kinds))
    unit.audit(
        AuditKind.AUDIT_EXPORTED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        details=details,
    )
    full = len(entries) == query.limit
    return AuditExport(
        [export_row(e) for e in entries], entries[-1].seq if full and entries else None
    )


def export_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """CSV with a header row; details as compact JSON. Every cell is an id, a number, a
    timestamp, a machine word or JSON starting with ``{``: none can start a spreadsheet
    formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                orjson.dumps(row[c], option=orjson.OPT_SORT_KEYS).decode()
                if c == "details"
                else ("" if row[c] is None else row[c])
                for c in EXPORT_COLUMNS
            ]
        )
    return out.getvalue().encode("utf-8")


def export_json(rows: list[dict[str, Any]]) -> bytes:
    return orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)


# -- chain verifications for the compliance page ------------------------------------------


def record_verification(
    unit: Unit, reports: list[ChainReport], *, via: str, anchor_damaged: bool = False
) -> None:
    """Record one verification of the audit chain (``quietline audit verify`` or the API)
    as a maintenance event: when, by which path, which practices, whether all was intact.
    Ids and counts only."""
    unit.maintenance.record(
        VERIFY_MAINTENANCE_KIND,
        unit.now,
        ok=not anchor_damaged and all(r.ok for r in reports),
        details={
            "via": via,
            "practices": sorted(str(r.practice_id) for r in reports),
            "entries": sum(r.entries for r in reports),
            "broken": sorted(str(r.practice_id) for r in reports if not r.ok),
            "anchor_damaged": anchor_damaged,
        },
    )


def do_record_api_verification(unit: Unit, actor: Actor, report: ChainReport | None) -> None:
    """``GET /api/v1/audit/verify`` for the actor's practice; ``report`` is None when the
    anchor file outside the database could not be read (a failed verification too)."""
    check_admin(actor)
    if report is None:
        damaged = ChainReport(actor.practice_id, 0, False, None, "anchor damaged")
        record_verification(unit, [damaged], via="api", anchor_damaged=True)
    else:
        record_verification(unit, [report], via="api")
