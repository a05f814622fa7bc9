"""This person and this device: status, notifications, unlock PIN and passkeys."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from quietline.actions.app_lock import do_clear_pin, do_set_pin
from quietline.actions.notifications import do_subscribe_push, do_unsubscribe_push
from quietline.actions.passkeys import (
    RegistrationRefused,
    do_delete_passkey,
    do_register_passkey,
    list_passkeys,
    passkey_registration_options,
)
from quietline.actions.status import do_end_session, do_set_in_session
from quietline.api import schemas as s
from quietline.api.access import Public, ServicesDep, SignedIn, SignedInAny
from quietline.api.routes.auth import checked_and_hashed, refuse
from quietline.api.web_session import relying_party
from quietline.domain.errors import Forbidden, InvalidInput
from quietline.domain.models import Passkey

router = APIRouter(tags=["status, notifications and passkeys"])


@router.put("/me/status", response_model=s.StatusOut)
async def set_status(body: s.StatusIn, actor: SignedIn, svc: ServicesDep) -> s.StatusOut:
    """ "In session" for some minutes or until a time. Colleagues see it; notifications of
    non-urgent messages wait until it ends."""
    until = await svc.db.write(
        lambda unit: do_set_in_session(unit, actor, minutes=body.minutes, until=body.until)
    )
    return s.StatusOut(in_session_until=until)


@router.delete("/me/status", response_model=s.StatusOut)
async def end_status(actor: SignedIn, svc: ServicesDep) -> s.StatusOut:
    """End "in session" now; held notifications are sent."""
    await svc.db.write(lambda unit: do_end_session(unit, actor))
    return s.StatusOut(in_session_until=None)


@router.get("/push/vapid-key", response_model=s.VapidKeyOut, dependencies=[Public])
async def vapid_key(svc: ServicesDep) -> s.VapidKeyOut:
    return s.VapidKeyOut(public_key=svc.push_sender.public_key)


@router.put("/me/push-subscription", status_code=204)
async def subscribe(body: s.PushSubscriptionIn, actor: SignedIn, svc: ServicesDep) -> Response:
    """Notifications for this device. They say only "New secure message" and a count."""
    hosts = svc.settings.push_hosts
    await svc.db.write(
        lambda unit: do_subscribe_push(
            unit, actor, body.endpoint, body.keys.p256dh, body.keys.auth, hosts
        )
    )
    return Response(status_code=204)


@router.delete("/me/push-subscription", status_code=204)
async def unsubscribe(actor: SignedInAny, svc: ServicesDep) -> Response:
    await svc.db.write(lambda unit: do_unsubscribe_push(unit, actor))
    return Response(status_code=204)


@router.put("/me/pin", status_code=204)
async def set_pin(body: s.PinIn, request: Request, actor: SignedIn, svc: ServicesDep) -> Response:
    """The PIN that reopens the locked app (4 to 12 digits). Needs the password; a wrong one
    counts toward this device's five wrong tries."""
    checked, pin = await checked_and_hashed(svc, actor.user.password_hash, body.password, body.pin)
    wrong = await svc.db.write(
        lambda unit: do_set_pin(unit, svc.passwords, actor, pin, body.password, checked)
    )
    if wrong is not None:
        refuse(wrong, svc, request, Forbidden)
    return Response(status_code=204)


@router.delete("/me/pin", status_code=204)
async def clear_pin(actor: SignedIn, svc: ServicesDep) -> Response:
    await svc.db.write(lambda unit: do_clear_pin(unit, actor))
    return Response(status_code=204)


def _passkey_out(p: Passkey) -> s.PasskeyOut:
    return s.PasskeyOut(id=p.id, name=p.name, created_at=p.created_at, last_used_at=p.last_used_at)


@router.post("/me/passkey-options")
async def passkey_options(
    request: Request, actor: SignedInAny, svc: ServicesDep
) -> dict[str, object]:
    """Options for navigator.credentials.create (WebAuthn JSON, base64url fields)."""
    rp = relying_party(request, svc.settings)
    return await svc.db.write(lambda unit: passkey_registration_options(unit, actor, rp))


@router.post("/me/passkeys", response_model=s.PasskeyOut, status_code=201)
async def add_passkey(
    body: s.PasskeyCreateIn, request: Request, actor: SignedInAny, svc: ServicesDep
) -> s.PasskeyOut:
    """Register a passkey: a second factor, and a quick way to unlock the app."""
    rp = relying_party(request, svc.settings)
    passkey = await svc.db.write(
        lambda unit: do_register_passkey(unit, actor, rp, body.name, body.credential)
    )
    if isinstance(passkey, RegistrationRefused):
        raise InvalidInput(passkey.detail)
    return _passkey_out(passkey)


@router.get("/me/passkeys", response_model=list[s.PasskeyOut])
async def my_passkeys(actor: SignedInAny, svc: ServicesDep) -> list[s.PasskeyOut]:
    return [_passkey_out(p) for p in await svc.db.read(lambda unit: list_passkeys(unit, actor))]


@router.delete("/me/passkeys/{passkey_id}", status_code=204)
async def remove_passkey(passkey_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    await svc.db.write(lambda unit: do_delete_passkey(unit, actor, passkey_id))
    return Response(status_code=204)
