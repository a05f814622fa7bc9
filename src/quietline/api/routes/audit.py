from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from quietline.actions.audit import AuditFilter, check_verify, query_audit
from quietline.actions.oversight import do_record_api_verification
from quietline.api import schemas as s
from quietline.api.access import Public, ServicesDep, SignedIn
from quietline.storage.audit_anchor import ANCHOR_DAMAGED, AuditAnchorError

router = APIRouter(tags=["audit"])
NEXT_CURSOR_HEADER = "X-Next-Before-Seq"
NEXT_CURSOR_DOC = {
    NEXT_CURSOR_HEADER: {
        "description": "The page was full: pass this as before_seq for older entries",
        "schema": {"type": "integer"},
    }
}


async def audit_filters(
    kind: Annotated[list[str] | None, Query(max_length=40, description="Event kinds")] = None,
    actor_user_id: Annotated[UUID | None, Query(description="Who acted")] = None,
    conversation_id: Annotated[
        UUID | None, Query(description="Entries about this conversation (subject or details)")
    ] = None,
    client_id: Annotated[
        UUID | None,
        Query(
            description="Entries about this client: the client is their subject, their "
            "details name the client, or they are about one of the client's threads"
        ),
    ] = None,
    subject_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time on")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time")] = None,
    before_seq: Annotated[
        int | None, Query(ge=1, le=2**62, description="The cursor: entries older than this seq")
    ] = None,
) -> AuditFilter:
    """The audit viewer's filters (the export takes the same). Another practice's client is
    the same 404 as a missing one."""
    return AuditFilter(
        kinds=kind,
        actor_user_id=actor_user_id,
        conversation_id=conversation_id,
        client_id=client_id,
        subject_id=subject_id,
        since=since,
        until=until,
        before_seq=before_seq,
    )


AuditFilters = Annotated[AuditFilter, Depends(audit_filters)]


def next_cursor(response: Response, seqs: list[int], limit: int) -> None:
    """Keyset pagination, newest first: a full page names where the next one starts."""
    if seqs and len(seqs) == limit:
        response.headers[NEXT_CURSOR_HEADER] = str(seqs[-1])


@router.get(
    "/audit",
    response_model=list[s.AuditEntryOut],
    responses={200: {"description": "Entries, newest first", "headers": NEXT_CURSOR_DOC}},
)
async def audit_log(
    actor: SignedIn,
    svc: ServicesDep,
    filters: AuditFilters,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[s.AuditEntryOut]:
    """Owners and admins: the practice's audit log, newest first, filtered by person,
    conversation, client, kinds and time; page with before_seq (see the X-Next-Before-Seq
    header)."""
    query = replace(filters, limit=limit)
    entries = await svc.db.write(lambda unit: query_audit(unit, actor, query))
    next_cursor(response, [e.seq for e in entries], limit)
    return [
        s.AuditEntryOut(
            seq=e.seq,
            at=e.at,
            kind=e.kind,
            actor_user_id=e.actor_user_id,
            actor_session_id=e.actor_session_id,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            details=e.details,
        )
        for e in entries
    ]


@router.get("/audit/verify", response_model=s.AuditVerifyOut)
async def audit_verify(actor: SignedIn, svc: ServicesDep) -> s.AuditVerifyOut:
    """Recompute the practice's audit chain and name the first broken entry, if any."""
    try:
        anchors = await asyncio.to_thread(svc.audit_anchor.read)
    except AuditAnchorError:
        await svc.db.write(lambda unit: do_record_api_verification(unit, actor, None))
        return s.AuditVerifyOut(ok=False, entries=0, first_bad_seq=None, problem=ANCHOR_DAMAGED)
    # The walk runs on the read pool; only its record (for the compliance page) is a write.
    report = await svc.db.read(lambda unit: check_verify(unit, actor, svc.audit_key, anchors))
    await svc.db.write(lambda unit: do_record_api_verification(unit, actor, report))
    return s.AuditVerifyOut(
        ok=report.ok,
        entries=report.entries,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )


health_router = APIRouter(tags=["service"])


@health_router.get("/health", response_model=s.HealthOut, dependencies=[Public])
async def health() -> s.HealthOut:
    return s.HealthOut(status="ok")
