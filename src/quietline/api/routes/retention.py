"""Retention report and legal holds (owners and admins; the actions check the role)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from quietline.actions.retention import (
    MAX_REPORT_RUNS,
    LegalHoldView,
    RecordedRun,
    do_place_hold,
    do_release_hold,
    list_holds,
    retention_report,
)
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn

router = APIRouter(tags=["retention and legal holds"])


def _hold_out(view: LegalHoldView) -> s.LegalHoldOut:
    return s.LegalHoldOut(
        id=view.id,
        conversation_id=view.conversation_id,
        client_id=view.client_id,
        reason=view.reason,
        placed_by=view.placed_by,
        placed_at=view.placed_at,
        released_by=view.released_by,
        released_at=view.released_at,
        active=view.active,
    )


def _counts(counts: dict[UUID, int]) -> list[s.RetentionCountOut]:
    return [
        s.RetentionCountOut(conversation_id=cid, messages=n) for cid, n in sorted(counts.items())
    ]


def _client_counts(counts: dict[UUID, int]) -> list[s.RetentionClientCountOut]:
    return [
        s.RetentionClientCountOut(client_id=cid, messages=n) for cid, n in sorted(counts.items())
    ]


def _run_out(run: RecordedRun) -> s.RetentionRunOut:
    return s.RetentionRunOut(
        seq=run.seq,
        at=run.at,
        retention_days=run.retention_days,
        cutoff=run.cutoff,
        erased=run.erased,
        conversations=_counts(run.conversations),
        held=_counts(run.held),
        held_clients=_client_counts(run.held_clients),
        tombstones_deleted=run.tombstones_deleted,
    )


@router.post(
    "/conversations/{conversation_id}/legal-hold",
    response_model=s.LegalHoldOut,
    status_code=201,
)
async def place_legal_hold(
    conversation_id: UUID, body: s.LegalHoldIn, actor: SignedIn, svc: ServicesDep
) -> s.LegalHoldOut:
    """Keep every message of this conversation from deletion (retention and expiry purges)
    until the hold is released. Nothing becomes readable that was not."""
    view = await svc.db.write(lambda unit: do_place_hold(unit, actor, conversation_id, body.reason))
    return _hold_out(view)


@router.post("/legal-holds", response_model=s.LegalHoldOut, status_code=201)
async def place_legal_hold_on(
    body: s.LegalHoldNewIn, actor: SignedIn, svc: ServicesDep
) -> s.LegalHoldOut:
    """Hold a client (client_id): every thread of theirs, including one created later, is
    kept from deletion until the hold is released; or a conversation (conversation_id), like
    the route above. Exactly one of the two."""
    view = await svc.db.write(
        lambda unit: do_place_hold(
            unit, actor, body.conversation_id, body.reason, client_id=body.client_id
        )
    )
    return _hold_out(view)


@router.delete("/legal-holds/{hold_id}", status_code=204)
async def release_legal_hold(hold_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """Release a hold: the next purge runs may delete what the policy says."""
    await svc.db.write(lambda unit: do_release_hold(unit, actor, hold_id))
    return Response(status_code=204)


@router.get("/legal-holds", response_model=list[s.LegalHoldOut])
async def legal_holds(actor: SignedIn, svc: ServicesDep) -> list[s.LegalHoldOut]:
    """The practice's legal holds, active ones first, with their reasons."""
    views = await svc.db.read(lambda unit: list_holds(unit, actor))
    return [_hold_out(v) for v in views]


@router.get("/retention/report", response_model=s.RetentionReportOut)
async def read_retention_report(
    actor: SignedIn,
    svc: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORT_RUNS, description="Runs to show")] = 20,
) -> s.RetentionReportOut:
    """The retention setting, the conversations and clients under hold, and the last purge
    runs."""
    report = await svc.db.read(lambda unit: retention_report(unit, actor, limit))
    return s.RetentionReportOut(
        retention_days=report.retention_days,
        held_conversations=report.held_conversations,
        held_clients=report.held_clients,
        runs=[_run_out(r) for r in report.runs],
    )
