"""Staff joining and leaving: invitations by single-use link, accepting one (API and web
app), one-step offboarding and its records, and the admin's list of every device."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from quietline.actions.auth import SignedIn as SignedInResult
from quietline.actions.context import check_admin
from quietline.actions.staff_lifecycle import (
    InviteAcceptance,
    InviteView,
    do_accept_invite,
    do_create_invite,
    do_offboard,
    do_revoke_invite,
    get_offboarding_record,
    invite_open,
    list_invites,
    list_offboarding_records,
    list_practice_devices,
    offboarding_document,
    offboarding_preview,
    render_offboarding_text,
)
from quietline.api import schemas as s
from quietline.api.access import CsrfRefused, Public, ServicesDep, SignedIn
from quietline.api.routes.auth import client_address
from quietline.api.views import signed_in_out, web_signed_in
from quietline.api.web_session import (
    relying_party,
    same_origin,
)
from quietline.app import Services
from quietline.crypto.documents import document_signature_valid, sign_document
from quietline.storage.stores.staff_lifecycle import OffboardingRecord

router = APIRouter(tags=["staff joining and leaving"])


def _invite_out(view: InviteView) -> s.InviteOut:
    i = view.invite
    return s.InviteOut(
        id=i.id,
        email=i.email,
        display_name=i.display_name,
        role=i.role,
        state=view.state,
        created_by=i.created_by,
        created_at=i.created_at,
        expires_at=i.expires_at,
        used_at=i.used_at,
        used_by=i.used_by,
        revoked_at=i.revoked_at,
    )


def _record_out(record: OffboardingRecord) -> s.OffboardingRecordOut:
    return s.OffboardingRecordOut(
        id=record.id,
        user_id=record.user_id,
        performed_by=record.performed_by,
        performed_at=record.performed_at,
        handed_to=record.handed_to,
        summary=s.OffboardingSummaryOut.model_validate(record.summary),
    )


# -- invitations ---------------------------------------------------------------------------


@router.post("/invites", response_model=s.InviteCreatedOut, status_code=201)
async def create_invite(
    body: s.InviteIn, request: Request, actor: SignedIn, svc: ServicesDep
) -> s.InviteCreatedOut:
    """Owners and admins invite someone with a role. The answer holds the link once; pass
    it on privately. It works once, until it expires (72 hours unless ``valid_hours``)."""
    created = await svc.db.write(
        lambda unit: do_create_invite(
            unit,
            actor,
            email=body.email,
            display_name=body.display_name,
            role=body.role,
            valid_hours=body.valid_hours,
        )
    )
    # The app's own origin (QUIETLINE_PUBLIC_ORIGIN when set): the link opens the web app,
    # and the token sits in the fragment, which browsers never send to a server.
    origin = relying_party(request, svc.settings).origin
    out = _invite_out(InviteView(created.invite, "pending"))
    return s.InviteCreatedOut(**out.model_dump(), link=f"{origin}/app/#/join/{created.token}")


@router.get("/invites", response_model=list[s.InviteOut])
async def invites(actor: SignedIn, svc: ServicesDep) -> list[s.InviteOut]:
    """Owners and admins: every invitation, newest first, pending, used, expired or
    withdrawn. Links are never shown again."""
    views = await svc.db.read(lambda unit: list_invites(unit, actor))
    return [_invite_out(v) for v in views]


@router.delete("/invites/{invite_id}", status_code=204)
async def revoke_invite(invite_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """Withdraw an invitation: its link stops working at once."""
    await svc.db.write(lambda unit: do_revoke_invite(unit, actor, invite_id))
    return Response(status_code=204)


async def _accept(
    svc: Services, body: s.InviteAcceptIn, request: Request, client: str
) -> SignedInResult:
    req = InviteAcceptance(
        token=body.token,
        password=body.password,
        device_name=body.device_name or request.headers.get("user-agent", "")[:60],
        address=client_address(request),
        client=client,
    )
    if await svc.db.read(lambda unit: invite_open(unit, svc.lookup_key, req)):
        secret = await asyncio.to_thread(svc.passwords.new_secret, req.password)
        req = replace(req, new_secret=secret)
    result = await svc.db.write(
        lambda unit: do_accept_invite(unit, svc.passwords, svc.lookup_key, req)
    )
    if not isinstance(result, SignedInResult):
        raise result.error
    return result


@router.post("/join", response_model=s.SignInOut, dependencies=[Public])
async def accept_invite(body: s.InviteAcceptIn, request: Request, svc: ServicesDep) -> s.SignInOut:
    """Accept an invitation: the token of the link and a new password; the answer is a
    signed-in session like sign-in's. A link that does not work gets the same answer
    whatever the reason. (Not under /invites: /invites/{invite_id} would shadow it.)"""
    return signed_in_out(await _accept(svc, body, request, "api"))


@router.post("/web/join", response_model=s.WebSignInOut, dependencies=[Public])
async def web_accept_invite(
    body: s.InviteAcceptIn, request: Request, response: Response, svc: ServicesDep
) -> s.WebSignInOut:
    """Join from the web app: like POST /join, but the session token goes only
    into the HttpOnly cookie, as with POST /web/sign-in."""
    if not same_origin(request, svc.settings):
        raise CsrfRefused("Open the invitation link in the Quietline app itself.")
    result = await _accept(svc, body, request, "web")
    return web_signed_in(result, response, svc.settings, svc.lookup_key)


# -- offboarding ---------------------------------------------------------------------------


@router.post("/users/{user_id}/offboard", response_model=s.OffboardingRecordOut, status_code=201)
async def offboard(
    user_id: UUID, body: s.OffboardIn, actor: SignedIn, svc: ServicesDep
) -> s.OffboardingRecordOut:
    """Someone leaves, in one step: the account is deactivated, every device signed out and
    wiped, the person taken out of every conversation, group conversations handed to
    ``hand_to``, and so is their client work (their clients' assignments and threads, their
    upcoming appointments, their on-call shifts that have not ended), and a record written.
    Their tokens stop working when this answers. A front-desk colleague is refused (409)
    when there is client work to hand over."""
    record = await svc.db.write(lambda unit: do_offboard(unit, actor, user_id, body.hand_to))
    return _record_out(record)


@router.get("/users/{user_id}/offboarding-preview", response_model=s.OffboardingPreviewOut)
async def offboard_preview(
    user_id: UUID, actor: SignedIn, svc: ServicesDep
) -> s.OffboardingPreviewOut:
    """Owners and admins: what offboarding the person would hand over if done now (counts
    of conversations, client threads, clients, upcoming appointments and on-call shifts).
    Changes nothing."""
    preview = await svc.db.read(lambda unit: offboarding_preview(unit, actor, user_id))
    return s.OffboardingPreviewOut(
        user_id=preview.user_id,
        conversations=preview.conversations,
        group_conversations=preview.group_conversations,
        client_threads=preview.client_threads,
        clients=preview.clients,
        appointments=preview.appointments,
        on_call_shifts=preview.on_call_shifts,
        already_offboarded=preview.already_offboarded,
    )


@router.get("/offboarding-records", response_model=list[s.OffboardingRecordOut])
async def offboarding_records(actor: SignedIn, svc: ServicesDep) -> list[s.OffboardingRecordOut]:
    """Owners and admins: what each offboarding did, newest first."""
    records = await svc.db.read(lambda unit: list_offboarding_records(unit, actor))
    return [_record_out(r) for r in records]


@router.get("/offboarding-records/{record_id}", response_model=s.OffboardingRecordOut)
async def offboarding_record(
    record_id: UUID, actor: SignedIn, svc: ServicesDep
) -> s.OffboardingRecordOut:
    record = await svc.db.read(lambda unit: get_offboarding_record(unit, actor, record_id))
    return _record_out(record)


@router.get(
    "/offboarding-records/{record_id}/download",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The record as a plain-text document (an attachment)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def download_offboarding_record(
    record_id: UUID, actor: SignedIn, svc: ServicesDep
) -> PlainTextResponse:
    """The record as a document to file: who, when, by whom and what was done, signed (its
    last line) so that POST /documents/verify can later show it is unaltered."""
    document = await svc.db.read(lambda unit: offboarding_document(unit, actor, record_id))
    return PlainTextResponse(
        sign_document(svc.record_key, actor.practice_id, render_offboarding_text(document)),
        headers={
            "content-disposition": f'attachment; filename="offboarding-record-{record_id}.txt"'
        },
    )


# -- devices -------------------------------------------------------------------------------


@router.get("/devices", response_model=list[s.PracticeDeviceOut])
async def practice_devices(actor: SignedIn, svc: ServicesDep) -> list[s.PracticeDeviceOut]:
    """Owners and admins: every signed-in device in the practice, with its person and last
    use, to find a lost one (then DELETE /devices/{device_id})."""
    devices = await svc.db.read(lambda unit: list_practice_devices(unit, actor))
    return [
        s.PracticeDeviceOut(
            id=d.id,
            user_id=d.user_id,
            display_name=d.display_name,
            device_name=d.device_name,
            client="web" if d.client == "web" else "api",
            created_at=d.created_at,
            last_seen_at=d.last_seen_at,
            locked=d.locked_at is not None,
            current=d.id == actor.session_id,
        )
        for d in devices
    ]


@router.post("/documents/verify", response_model=s.DocumentCheckOut)
async def verify_offboarding_record(
    body: s.DocumentCheckIn, actor: SignedIn, svc: ServicesDep
) -> s.DocumentCheckOut:
    """Is this downloaded record exactly what the server signed? (Owners and admins.)"""
    check_admin(actor)
    valid = document_signature_valid(svc.record_key, actor.practice_id, body.document)
    return s.DocumentCheckOut(
        valid=valid,
        detail="The record is exactly as Quietline signed it."
        if valid
        else "The record does not match its signature: it was changed, cut short, or not "
        "signed by this server.",
    )
