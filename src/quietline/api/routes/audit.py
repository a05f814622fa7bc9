from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from quietline.actions.audit import AuditFilter, check_verify, query_audit
from quietline.api import schemas as s
from quietline.api.access import Public, ServicesDep, SignedIn
from quietline.storage.audit_anchor import ANCHOR_DAMAGED, AuditAnchorError

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[s.AuditEntryOut])
async def audit_log(
    actor: SignedIn,
    svc: ServicesDep,
    kind: Annotated[list[str] | None, Query(max_length=40)] = None,
    actor_user_id: Annotated[UUID | None, Query()] = None,
    subject_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
    before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[s.AuditEntryOut]:
    """Owners and admins: the practice's audit log, newest first, filtered."""
    query = AuditFilter(
        kinds=kind,
        actor_user_id=actor_user_id,
        subject_id=subject_id,
        since=since,
        until=until,
        before_seq=before_seq,
        limit=limit,
    )
    entries = await svc.db.write(lambda unit: query_audit(unit, actor, query))
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
        return s.AuditVerifyOut(ok=False, entries=0, first_bad_seq=None, problem=ANCHOR_DAMAGED)
    report = await svc.db.read(lambda unit: check_verify(unit, actor, svc.audit_key, anchors))
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
