"""Access rules. Every route depends on exactly one of :func:`public`, :func:`signed_in`
or :func:`signed_in_any`; a test fails for any route that has none. Finer rules (admin,
membership) are checked by the action the route calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quietline.actions.auth import Authenticated, authenticate, do_touch
from quietline.actions.context import Actor
from quietline.app import Services
from quietline.domain.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/sign-in")


async def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


async def public() -> None:
    """No sign-in needed (sign-in itself, health, the API schema).

    Dependencies are ``async`` so FastAPI does not hop to a worker thread to call them.
    """


async def _authenticated(
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Sign in first, then send 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    if len(token) > 200:
        raise Unauthenticated("Your session has ended. Sign in again.")
    auth = await svc.db.read(lambda unit: authenticate(unit, token))
    if auth.needs_touch:
        actor = auth.actor
        await svc.db.write(lambda unit: do_touch(unit, actor))
    return auth


async def signed_in_any(
    auth: Annotated[Authenticated, Depends(_authenticated)],
) -> Actor:
    """A live session, even one that still has to set up a required second factor."""
    return auth.actor


async def signed_in(
    auth: Annotated[Authenticated, Depends(_authenticated)],
) -> Actor:
    """A live, unrestricted session."""
    if auth.restricted:
        raise Forbidden(
            "Your practice requires a second factor. Set up an authenticator app "
            "(POST /api/v1/me/second-factor/totp) to continue."
        )
    return auth.actor


SignedIn = Annotated[Actor, Depends(signed_in)]
SignedInAny = Annotated[Actor, Depends(signed_in_any)]
Public = Depends(public)
ACCESS_RULES = (public, signed_in, signed_in_any)
