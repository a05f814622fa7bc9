"""Oversight routes: emergency ("break-glass") access to a conversation, the access report
and the audit export. Owners and admins (listing a conversation's grants: its members too);
the actions check it. Web pages for these come later."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from quietline.actions.oversight import (
    MAX_EXPORT_ROWS,
    MAX_REPORT_ROWS,
    AccessReport,
    AccessReportQuery,
    GrantView,
    access_export_csv,
    access_report,
    do_close_emergency_access,
    do_export_access_report,
    do_export_audit,
    do_open_emergency_access,
    export_csv,
    export_json,
    list_emergency_access,
)
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.routes.audit import NEXT_CURSOR_DOC, NEXT_CURSOR_HEADER, AuditFilters

router = APIRouter(tags=["oversight"])


def _grant_out(view: GrantView) -> s.EmergencyAccessOut:
    return s.EmergencyAccessOut(
        id=view.id,
        conversation_id=view.conversation_id,
        user_id=view.user_id,
        opened_at=view.opened_at,
        expires_at=view.expires_at,
        closed_at=view.closed_at,
        live=view.live,
        reason=view.reason,
    )


@router.post(
    "/conversations/{conversation_id}/emergency-access",
    response_model=s.EmergencyAccessOut,
    status_code=201,
)
async def open_emergency_access(
    conversation_id: UUID, body: s.EmergencyAccessIn, actor: SignedIn, svc: ServicesDep
) -> s.EmergencyAccessOut:
    """Owners and admins, and whoever is on call now (a client's thread only, until the
    shift ends at the latest): read a conversation you are not in, for a stated reason, for
    a limited time (default 60 minutes, at most 240). Every read is audited and marked; the
    members are told. Reading only: sending stays with members."""
    view = await svc.db.write(
        lambda unit: do_open_emergency_access(
            unit, actor, conversation_id, reason=body.reason, minutes=body.minutes
        )
    )
    return _grant_out(view)


@router.get(
    "/conversations/{conversation_id}/emergency-access",
    response_model=list[s.EmergencyAccessOut],
)
async def emergency_access_grants(
    conversation_id: UUID, actor: SignedIn, svc: ServicesDep
) -> list[s.EmergencyAccessOut]:
    """Who opened emergency access to this conversation, when, until when and why, newest
    first. For its members, for owners and admins, and for whoever holds a live grant on it."""
    views = await svc.db.read(lambda unit: list_emergency_access(unit, actor, conversation_id))
    return [_grant_out(v) for v in views]


@router.delete("/conversations/{conversation_id}/emergency-access/{grant_id}", status_code=204)
async def close_emergency_access(
    conversation_id: UUID, grant_id: UUID, actor: SignedIn, svc: ServicesDep
) -> Response:
    """Owners and admins (any grant), or the person who opened it: end emergency access
    early. Ending one that already ended is a no-op."""
    await svc.db.write(
        lambda unit: do_close_emergency_access(unit, actor, conversation_id, grant_id)
    )
    return Response(status_code=204)


NEXT_AFTER_HEADER = "X-Next-After-Seq"


async def access_report_query(
    conversation_id: Annotated[UUID | None, Query(description="Views of this conversation")] = None,
    client_id: Annotated[
        UUID | None, Query(description="Views of this client's threads (all of them)")
    ] = None,
    user_id: Annotated[UUID | None, Query(description="Views by this person")] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="From this time on (default: 30 days before 'to')"),
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(alias="to", description="Before this time (default: now)")
    ] = None,
    after_seq: Annotated[int, Query(ge=0, le=2**62, description="The cursor")] = 0,
) -> AccessReportQuery:
    """The access report's scope (the report and its file take the same)."""
    return AccessReportQuery(
        conversation_id=conversation_id,
        client_id=client_id,
        user_id=user_id,
        since=since,
        until=until,
        after_seq=after_seq,
    )


AccessScope = Annotated[AccessReportQuery, Depends(access_report_query)]


def _access_out(report: AccessReport) -> s.AccessReportOut:
    return s.AccessReportOut(
        since=report.since,
        until=report.until,
        conversation_id=report.conversation_id,
        client_id=report.client_id,
        user_id=report.user_id,
        rows=[
            s.AccessReportRowOut(
                seq=r.seq,
                at=r.at,
                user_id=r.user_id,
                user_name=r.user_name,
                device_session_id=r.device_session_id,
                device_name=r.device_name,
                conversation_id=r.conversation_id,
                via=r.via,
                message_ids=r.message_ids,
                up_to_seq=r.up_to_seq,
                emergency_access=r.emergency_access,
                grant_id=r.grant_id,
                client_id=r.client_id,
                supervision=r.supervision,
            )
            for r in report.rows
        ],
        summary=s.AccessReportSummaryOut(
            entries=report.summary.entries,
            emergency_entries=report.summary.emergency_entries,
            people=report.summary.people,
            devices=report.summary.devices,
        ),
        next_after_seq=report.next_after_seq,
    )


@router.get("/audit/access-report", response_model=s.AccessReportOut)
async def access_report_route(
    actor: SignedIn,
    svc: ServicesDep,
    scope: AccessScope,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORT_ROWS)] = 500,
) -> s.AccessReportOut:
    """Owners and admins: who viewed which messages, when, from which device, and whether
    under emergency access or as a supervisor: exactly the recorded views, oldest first.
    Give a conversation, a client (every thread of theirs), a person, or none (the whole
    practice); another practice's client is the same 404 as a missing one."""
    query = replace(scope, limit=limit)
    report = await svc.db.write(lambda unit: access_report(unit, actor, query))
    return _access_out(report)


@router.get(
    "/audit/access-report/export",
    response_model=list[s.AccessExportRowOut],
    responses={
        200: {
            "description": "A file (Content-Disposition: attachment), oldest views first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": {
                NEXT_AFTER_HEADER: {
                    "description": "The file was full: pass this as after_seq for later views",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
async def export_access_report(
    actor: SignedIn,
    svc: ServicesDep,
    scope: AccessScope,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",  # noqa: A002
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS)] = MAX_EXPORT_ROWS,
) -> Response:
    """Owners and admins: the access report's rows as a CSV (with a header row) or JSON
    file, for an auditor. Ids, times, people's and devices' names and flags; a client by id
    only, never by name. The export is itself recorded (audit.exported)."""
    query = replace(scope, limit=limit)
    export = await svc.db.write(lambda unit: do_export_access_report(unit, actor, query, format))
    headers = {"Content-Disposition": f'attachment; filename="quietline-access-report.{format}"'}
    if export.next_after_seq is not None:
        headers[NEXT_AFTER_HEADER] = str(export.next_after_seq)
    if format == "csv":
        return Response(access_export_csv(export.rows), media_type="text/csv", headers=headers)
    return Response(export_json(export.rows), media_type="application/json", headers=headers)


@router.get(
    "/audit/export",
    response_model=list[s.AuditExportRowOut],
    responses={
        200: {
            "description": "A file (Content-Disposition: attachment), newest entries first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": NEXT_CURSOR_DOC,
        }
    },
)
async def export_audit(
    actor: SignedIn,
    svc: ServicesDep,
    filters: AuditFilters,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",  # noqa: A002
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT_ROWS)] = MAX_EXPORT_ROWS,
) -> Response:
    """Owners and admins: the audit entries the viewer's filters select, as a CSV (with a
    header row) or JSON file. Ids, times, kinds and counts only: details are checked on the
    way out, and an emergency access grant appears by its id, never its reason. The export
    is itself recorded (audit.exported)."""
    query = replace(filters, limit=limit)
    export = await svc.db.write(lambda unit: do_export_audit(unit, actor, query, format))
    headers = {"Content-Disposition": f'attachment; filename="quietline-audit.{format}"'}
    if export.next_before_seq is not None:
        headers[NEXT_CURSOR_HEADER] = str(export.next_before_seq)
    if format == "csv":
        return Response(export_csv(export.rows), media_type="text/csv", headers=headers)
    return Response(export_json(export.rows), media_type="application/json", headers=headers)
