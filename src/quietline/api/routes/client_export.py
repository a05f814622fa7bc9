"""Right of access: one client's records as a file (see :mod:`quietline.actions.client_export`).
Thin: parse, run the action in one write transaction (it is recorded), render off the event
loop, answer with an attachment whose name holds the client's id and the date, never a name."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from quietline.actions.client_export import (
    do_export_client,
    export_filename,
    media_type,
    render_export,
)
from quietline.api.access import ServicesDep, SignedIn

router = APIRouter(tags=["clients"])


@router.get(
    "/clients/{client_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "A file (Content-Disposition: attachment): the client's records as "
            "JSON, or as a signed, self-contained HTML document",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
async def export_client(
    client_id: UUID,
    actor: SignedIn,
    svc: ServicesDep,
    format: Annotated[  # noqa: A002 - the query parameter's name
        Literal["json", "html"], Query(description="json or html")
    ] = "html",
    include_staff_notes: Annotated[
        bool,
        Query(
            description="Also export the record's notes for staff and the thread's staff-only "
            "notes (left out by default: someone must decide, per request, to provide them)"
        ),
    ] = False,
) -> Response:
    """Owners and admins: everything Quietline holds about one client (record, consent
    history, every message of their thread, appointments) for a right-of-access request.
    Expired and recalled messages are listed without content. Recorded (client.exported)."""
    export = await svc.db.write(
        lambda unit: do_export_client(
            unit, actor, client_id, format, include_staff_notes=include_staff_notes
        )
    )
    content = await run_in_threadpool(render_export, export, svc.record_key)
    return Response(
        content,
        media_type=media_type(export.fmt),
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(export)}"',
            "Cache-Control": "no-store",
        },
    )
