"""Access rules. Every route depends on exactly one of :func:`public`, :func:`signed_in`,
:func:`signed_in_any` or :func:`signed_in_in_transaction`; a test fails for any route that has
none. Finer rules (admin, membership) are checked by the action the route calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from quietline.actions.auth import (
    SECOND_FACTOR_SETUP_NEEDED,
    Authenticated,
    SessionToken,
    authenticate,
    do_touch,
)
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


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("Sign in first, then send 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    if len(token) > 200:
        raise Unauthenticated("Your session has ended. Sign in again.")
    return token


async def _authenticated(
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    token = _token(credentials)
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
        raise Forbidden(SECOND_FACTOR_SETUP_NEEDED)
    return auth.actor


async def signed_in_in_transaction(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SessionToken:
    """A live, unrestricted session, checked by the write itself.

    The route passes the token to :func:`quietline.actions.auth.authorize` inside the same
    transaction as its action: one trip to the writer instead of a read and then a write, and
    no gap between the session check and the change it allows.
    """
    return SessionToken(_token(credentials))


SignedIn = Annotated[Actor, Depends(signed_in)]
SignedInAny = Annotated[Actor, Depends(signed_in_any)]
SignedInToken = Annotated[SessionToken, Depends(signed_in_in_transaction)]
Public = Depends(public)
ACCESS_RULES = (public, signed_in, signed_in_any, signed_in_in_transaction)
