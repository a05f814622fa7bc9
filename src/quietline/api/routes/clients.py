"""Clients, their consent, the practice's scheduling templates, sending into a client's
thread, and the clinical-content guard's live check. Thin: each route runs one action.

Names never go in a URL: the name search is a POST (like message search)."""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from quietline.actions.client_messages import (
    ClientSendResult,
    check_guard,
    do_send_client_message,
)
from quietline.actions.clients import (
    ClientInput,
    ClientSummary,
    ClientView,
    do_archive_client,
    do_assign_clinician,
    do_create_client,
    do_update_client,
    get_client,
    list_clients,
)
from quietline.actions.clinical_guard import ClinicalContentRefused, do_record_guard_block
from quietline.actions.consent import consent_history, do_record_consent
from quietline.actions.templates import (
    TemplateView,
    do_create_template,
    do_retire_template,
    do_update_template,
    list_templates,
)
from quietline.api import client_schemas as cs
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.views import message_out
from quietline.app import Services
from quietline.domain.models import ConsentRecord

router = APIRouter(tags=["clients"])


def public_origin(svc: Services) -> str:
    return svc.settings.link_origin


def _client_out(view: ClientView) -> cs.ClientOut:
    return cs.ClientOut(
        id=view.id,
        name=view.name,
        preferred_name=view.preferred_name,
        display_name=view.display_name,
        phone=view.phone,
        email=view.email,
        date_of_birth=view.date_of_birth,
        notes=view.notes,
        sms_opted_out_at=view.sms_opted_out_at,
        archived_at=view.archived_at,
        created_at=view.created_at,
        created_by=view.created_by,
        clinician_ids=view.clinician_ids,
        conversation_id=view.conversation_id,
        consent=cs.ConsentStateOut(
            sms=view.consent.get("sms", False), email=view.consent.get("email", False)
        ),
    )


def _summary_out(view: ClientSummary) -> cs.ClientSummaryOut:
    return cs.ClientSummaryOut(
        id=view.id,
        name=view.name,
        preferred_name=view.preferred_name,
        display_name=view.display_name,
        archived_at=view.archived_at,
        clinician_ids=view.clinician_ids,
        conversation_id=view.conversation_id,
        has_phone=view.has_phone,
        has_email=view.has_email,
        sms_opted_out=view.sms_opted_out,
        consent=cs.ConsentStateOut(
            sms=view.consent.get("sms", False), email=view.consent.get("email", False)
        ),
    )


def _consent_out(record: ConsentRecord) -> cs.ConsentOut:
    return cs.ConsentOut(
        id=record.id,
        channel=record.channel,
        granted=record.granted,
        warning_text=record.warning_text,
        method=record.method,
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
    )


def _template_out(view: TemplateView) -> cs.TemplateOut:
    return cs.TemplateOut(
        id=view.id,
        name=view.name,
        body=view.body,
        placeholders=view.placeholders,
        position=view.position,
    )


# -- clients ------------------------------------------------------------------------------------


@router.get("/clients", response_model=list[cs.ClientSummaryOut])
async def clients(
    actor: SignedIn,
    svc: ServicesDep,
    include_archived: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[cs.ClientSummaryOut]:
    """The clients you may see, by name: every client for owners, admins and the front
    desk; your assigned clients otherwise. Recorded as viewed."""
    views = await svc.db.write(
        lambda unit: list_clients(unit, actor, include_archived=include_archived, limit=limit)
    )
    return [_summary_out(v) for v in views]


@router.post("/client-search", response_model=list[cs.ClientSummaryOut])
async def search_clients(
    body: cs.ClientSearchIn, actor: SignedIn, svc: ServicesDep
) -> list[cs.ClientSummaryOut]:
    """Find clients you may see by part of their name. A POST, so names never appear in a
    URL or an access log."""
    views = await svc.db.write(
        lambda unit: list_clients(
            unit,
            actor,
            query=body.query,
            include_archived=body.include_archived,
            limit=body.limit,
        )
    )
    return [_summary_out(v) for v in views]


@router.post("/clients", response_model=cs.ClientOut, status_code=201)
async def create_client(body: cs.ClientIn, actor: SignedIn, svc: ServicesDep) -> cs.ClientOut:
    """Add a client. Their thread is created with them (assigned clinicians, and the front
    desk when the practice says so). No consent is assumed."""
    data = ClientInput(
        name=body.name,
        preferred_name=body.preferred_name,
        phone=body.phone,
        email=body.email,
        date_of_birth=body.date_of_birth,
        notes=body.notes,
        clinician_ids=body.clinician_ids,
    )
    view = await svc.db.write(lambda unit: do_create_client(unit, actor, svc.lookup_key, data))
    return _client_out(view)


@router.get("/clients/{client_id}", response_model=cs.ClientOut)
async def read_client(client_id: UUID, actor: SignedIn, svc: ServicesDep) -> cs.ClientOut:
    """One client's record. Recorded as viewed."""
    view = await svc.db.write(lambda unit: get_client(unit, actor, client_id))
    return _client_out(view)


@router.patch("/clients/{client_id}", response_model=cs.ClientOut)
async def update_client(
    client_id: UUID, body: cs.ClientPatch, actor: SignedIn, svc: ServicesDep
) -> cs.ClientOut:
    changes = body.model_dump(exclude_unset=True)
    view = await svc.db.write(
        lambda unit: do_update_client(unit, actor, svc.lookup_key, client_id, changes)
    )
    return _client_out(view)


@router.post("/clients/{client_id}/archive", response_model=cs.ClientOut)
async def archive_client(client_id: UUID, actor: SignedIn, svc: ServicesDep) -> cs.ClientOut:
    """Take a client off the list; their thread and history stay."""
    view = await svc.db.write(lambda unit: do_archive_client(unit, actor, client_id))
    return _client_out(view)


@router.post("/clients/{client_id}/unarchive", response_model=cs.ClientOut)
async def unarchive_client(client_id: UUID, actor: SignedIn, svc: ServicesDep) -> cs.ClientOut:
    view = await svc.db.write(
        lambda unit: do_archive_client(unit, actor, client_id, archived=False)
    )
    return _client_out(view)


@router.post("/clients/{client_id}/clinicians", response_model=cs.ClientOut)
async def assign_clinician(
    client_id: UUID, body: cs.ClinicianIn, actor: SignedIn, svc: ServicesDep
) -> cs.ClientOut:
    """Assign a clinician (owners, admins, front desk); they join the client's thread."""
    view = await svc.db.write(
        lambda unit: do_assign_clinician(unit, actor, client_id, body.user_id)
    )
    return _client_out(view)


@router.delete("/clients/{client_id}/clinicians/{user_id}", response_model=cs.ClientOut)
async def unassign_clinician(
    client_id: UUID, user_id: UUID, actor: SignedIn, svc: ServicesDep
) -> cs.ClientOut:
    """Take a clinician off a client; they leave the client's thread."""
    view = await svc.db.write(
        lambda unit: do_assign_clinician(unit, actor, client_id, user_id, assigned=False)
    )
    return _client_out(view)


# -- consent ------------------------------------------------------------------------------------


@router.post("/clients/{client_id}/consents", response_model=cs.ConsentOut, status_code=201)
async def record_consent(
    client_id: UUID, body: cs.ConsentIn, actor: SignedIn, svc: ServicesDep
) -> cs.ConsentOut:
    """Record the client's answer to plain SMS or e-mail for scheduling (granted or
    withdrawn) after showing them the practice's warning (stored word for word)."""
    record = await svc.db.write(
        lambda unit: do_record_consent(
            unit,
            actor,
            client_id,
            channel=body.channel,
            granted=body.granted,
            method=body.method,
            warning_shown=body.warning_shown,
        )
    )
    return _consent_out(record)


@router.get("/clients/{client_id}/consents", response_model=cs.ConsentHistoryOut)
async def consents(client_id: UUID, actor: SignedIn, svc: ServicesDep) -> cs.ConsentHistoryOut:
    """The client's consent answers, newest first, what is in force, and the warning to
    show before asking."""
    found = await svc.db.read(lambda unit: consent_history(unit, actor, client_id))
    return cs.ConsentHistoryOut(
        warning_text=found.warning_text,
        in_force={
            channel: _consent_out(r) if r is not None else None
            for channel, r in found.in_force.items()
        },
        history=[_consent_out(r) for r in found.history],
    )


# -- templates -----------------------------------------------------------------------------------


@router.get("/message-templates", response_model=list[cs.TemplateOut])
async def templates(actor: SignedIn, svc: ServicesDep) -> list[cs.TemplateOut]:
    """The practice's approved scheduling templates (the defaults until an admin changes
    them)."""
    views = await svc.db.write(lambda unit: list_templates(unit, actor))
    return [_template_out(v) for v in views]


@router.post("/message-templates", response_model=cs.TemplateOut, status_code=201)
async def create_template(body: cs.TemplateIn, actor: SignedIn, svc: ServicesDep) -> cs.TemplateOut:
    """Owners and admins approve a new template."""
    view = await svc.db.write(
        lambda unit: do_create_template(
            unit, actor, name=body.name, body=body.body, position=body.position
        )
    )
    return _template_out(view)


@router.patch("/message-templates/{template_id}", response_model=cs.TemplateOut)
async def update_template(
    template_id: UUID, body: cs.TemplatePatch, actor: SignedIn, svc: ServicesDep
) -> cs.TemplateOut:
    view = await svc.db.write(
        lambda unit: do_update_template(
            unit, actor, template_id, name=body.name, body=body.body, position=body.position
        )
    )
    return _template_out(view)


@router.delete("/message-templates/{template_id}", status_code=204)
async def retire_template(template_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """Take a template out of use."""
    await svc.db.write(lambda unit: do_retire_template(unit, actor, template_id))
    return Response(status_code=204)


# -- sending to a client, and the guard ----------------------------------------------------------


@router.post(
    "/conversations/{conversation_id}/client-messages",
    response_model=cs.ClientMessageOut,
    status_code=201,
    responses={200: {"model": cs.ClientMessageOut, "description": "A retry of an earlier send"}},
)
async def send_client_message(
    conversation_id: UUID, body: cs.ClientMessageIn, actor: SignedIn, svc: ServicesDep
) -> JSONResponse:
    """Write in a client's thread: free text or an approved template. Unless it is a
    staff-only note (``internal``), the client is told by the delivery rule: the text itself
    only when allowed and consented to, otherwise a notice with a secure link. A 409 of type
    ``clinical-content`` means the guard stopped it; its detail says what to do."""
    try:
        result: ClientSendResult = await svc.db.write(
            lambda unit: do_send_client_message(
                unit,
                actor,
                conversation_id,
                public_origin=public_origin(svc),
                idempotency_key=body.idempotency_key,
                text=body.text,
                template_id=body.template_id,
                values=dict(body.values) if body.values is not None else None,
                internal=body.internal,
                delivery=body.delivery,
                acknowledge_clinical=body.acknowledge_clinical,
            )
        )
    except ClinicalContentRefused as refused:
        await svc.db.write(partial(do_record_guard_block, refused=refused))
        raise
    d = result.delivery
    out = cs.ClientMessageOut(
        message=message_out(result.message),
        created=result.created,
        delivery=cs.DeliveryOut(
            channel=d.channel, clear=d.clear, reason=d.reason, outbound_id=d.outbound_id
        )
        if d is not None
        else None,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)


@router.post("/guard/check", response_model=cs.GuardCheckOut)
async def guard_check(body: cs.GuardCheckIn, actor: SignedIn, svc: ServicesDep) -> cs.GuardCheckOut:
    """What the clinical-content guard would say if this text were sent now in this
    conversation (the composer's live warning). Nothing is recorded or logged."""
    found = await svc.db.read(
        lambda unit: check_guard(unit, actor, body.conversation_id, body.text)
    )
    return cs.GuardCheckOut(
        clinical=found.clinical,
        reasons=found.reasons,
        action=found.action,
        would_send_as=found.would_send_as,
    )
