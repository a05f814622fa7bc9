"""The staff web app's own session routes: cookie sign-in, the session and its CSRF token,
the app lock. See docs/web-app.md."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from quietline.actions.app_lock import (
    do_lock,
    do_unlock,
    unlock_passkey_options,
    unlock_secret,
)
from quietline.api import schemas as s
from quietline.api.access import CsrfRefused, Public, ServicesDep, SignedInEvenLocked
from quietline.api.routes.auth import open_session, refuse
from quietline.api.views import me_out, web_signed_in
from quietline.api.web_session import (
    csrf_token_for,
    relying_party,
    same_origin,
)
from quietline.domain.errors import Unauthenticated

router = APIRouter(prefix="/web", tags=["staff web app"])


@router.post("/sign-in", response_model=s.WebSignInOut, dependencies=[Public])
async def web_sign_in(
    body: s.WebSignInIn, request: Request, response: Response, svc: ServicesDep
) -> s.WebSignInOut:
    """Open a web app session: the token goes only into an HttpOnly cookie."""
    if not same_origin(request, svc.settings):
        raise CsrfRefused("Sign in from the Quietline app itself.")
    result = await open_session(
        svc,
        body,
        request,
        passkey=body.passkey,
        relying_party=relying_party(request, svc.settings),
        client="web",
    )
    return web_signed_in(result, response, svc.settings, svc.lookup_key)


@router.get("/session", response_model=s.WebSessionOut)
async def web_session(
    request: Request, auth: SignedInEvenLocked, svc: ServicesDep
) -> s.WebSessionOut:
    """The current session (also while locked) and the CSRF token for its writes."""
    token: str = request.state.session_token
    return s.WebSessionOut(
        csrf_token=csrf_token_for(svc.lookup_key, token),
        locked=auth.locked,
        me=me_out(auth.actor, auth.restricted),
    )


@router.post("/lock", status_code=204)
async def lock(auth: SignedInEvenLocked, svc: ServicesDep) -> Response:
    """Lock the app on this device now; open sockets are told and closed."""
    actor = auth.actor
    await svc.db.write(lambda unit: do_lock(unit, actor))
    return Response(status_code=204)


@router.post("/unlock/passkey-options")
async def unlock_options(
    request: Request, auth: SignedInEvenLocked, svc: ServicesDep
) -> dict[str, Any]:
    """WebAuthn request options for reopening the app with a passkey."""
    actor = auth.actor
    rp = relying_party(request, svc.settings)
    return await svc.db.write(lambda unit: unlock_passkey_options(unit, actor, rp))


@router.post("/unlock", status_code=204)
async def unlock(
    body: s.UnlockIn, request: Request, auth: SignedInEvenLocked, svc: ServicesDep
) -> Response:
    """Reopen a locked app with the PIN, a passkey or the password. Five wrong tries sign
    this device out."""
    actor = auth.actor
    rp = relying_party(request, svc.settings)
    # The PIN or password is checked on a worker thread, not in the single writer.
    typed = unlock_secret(actor, pin=body.pin, password=body.password)
    checked = None
    if typed is not None and body.passkey is None:
        stored, secret = typed
        checked = (stored, (await asyncio.to_thread(svc.passwords.verify, stored, secret)).ok)
    refused = await svc.db.write(
        lambda unit: do_unlock(
            unit,
            svc.passwords,
            actor,
            pin=body.pin,
            password=body.password,
            passkey=body.passkey,
            rp=rp,
            checked=checked,
        )
    )
    if refused is not None:
        refuse(refused, svc, request, Unauthenticated)
    return Response(status_code=204)
