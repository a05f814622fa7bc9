"""Reading and verifying the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from quietline.actions.context import Actor, check_admin
from quietline.crypto.audit_chain import ChainReport, verify_chain
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound
from quietline.domain.models import AuditEntry
from quietline.storage.audit_anchor import Head
from quietline.storage.unit import Unit

_KNOWN_KINDS = {k.value for k in AuditKind}
_KNOWN_FAMILIES = sorted({k.partition(".")[0] for k in _KNOWN_KINDS})


@dataclass(frozen=True, slots=True)
class AuditFilter:
    kinds: list[str] | None = None
    actor_user_id: UUID | None = None
    subject_id: str | None = None
    conversation_id: UUID | None = None  # its subject, or named in its details
    # the client is its subject, its details name the client, or it is about one of the
    # client's threads (see AuditStore.query)
    client_id: UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None
    limit: int = 100


def check_audit_filter(actor: Actor, query: AuditFilter) -> None:
    """Admins only; the filter's values must make sense (the viewer and the export)."""
    check_admin(actor)
    if query.kinds and not set(query.kinds) <= _KNOWN_KINDS:
        # The unknown value is not repeated: nothing the client sent is echoed back.
        # The families, not every kind: the whole list outgrew a readable sentence.
        raise InvalidInput(
            "Each 'kind' must be a known event kind: a family and an event joined by a dot, "
            f"like message.sent. The families are {', '.join(_KNOWN_FAMILIES)}."
        )
    if query.since and query.until and query.since >= query.until:
        raise InvalidInput("'since' must be before 'until'.")


def find_audit_entries(unit: Unit, actor: Actor, query: AuditFilter) -> list[AuditEntry]:
    """The entries a checked filter selects, newest first. Records nothing: the caller does.

    A client of another practice, like a missing one, is the client 404 (so a mistyped
    client is told, not answered with an empty log)."""
    check_audit_filter(actor, query)
    threads: list[UUID] | None = None
    if query.client_id is not None:
        if unit.clients.get(actor.practice_id, query.client_id) is None:
            raise NotFound("client")
        threads = unit.oversight.client_threads(actor.practice_id, query.client_id)
    return unit.audit_log.query(
        actor.practice_id,
        kinds=query.kinds,
        actor_user_id=query.actor_user_id,
        subject_id=query.subject_id,
        conversation_id=query.conversation_id,
        since=query.since,
        until=query.until,
        before_seq=query.before_seq,
        limit=query.limit,
        client_id=query.client_id,
        client_threads=threads,
    )


def query_audit(unit: Unit, actor: Actor, query: AuditFilter) -> list[AuditEntry]:
    """Admins read their practice's log, newest first. The reading is itself recorded."""
    entries = find_audit_entries(unit, actor, query)
    unit.audit(
        AuditKind.AUDIT_QUERIED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        details={"results": len(entries)},
    )
    return entries


def verify_practice_chain(
    unit: Unit, audit_key: bytes, practice_id: UUID, anchors: Mapping[UUID, Head]
) -> ChainReport:
    return verify_chain(
        audit_key,
        practice_id,
        unit.audit_log.iterate_chain(practice_id),
        unit.audit_log.head(practice_id),
        anchors.get(practice_id),
    )


def check_verify(
    unit: Unit, actor: Actor, audit_key: bytes, anchors: Mapping[UUID, Head]
) -> ChainReport:
    check_admin(actor)
    return verify_practice_chain(unit, audit_key, actor.practice_id, anchors)


def verify_all(unit: Unit, audit_key: bytes, anchors: Mapping[UUID, Head]) -> list[ChainReport]:
    """Every practice's chain (the CLI's ``audit verify``), against the outside anchor.

    A practice the anchor knows but the database has lost is reported too.
    """
    known = [p.id for p in unit.practices.list_all()]
    reports = [verify_practice_chain(unit, audit_key, p, anchors) for p in known]
    reports.extend(
        ChainReport(
            practice_id,
            0,
            False,
            1,
            "the anchor kept outside the database records this practice's audit trail, "
            "but the database no longer holds the practice",
        )
        for practice_id in anchors
        if practice_id not in set(known)
    )
    return reports
