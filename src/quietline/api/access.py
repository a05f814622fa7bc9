"""Access rules. Every route depends on exactly one of :func:`public`, :func:`signed_in`,
:func:`signed_in_any`, :func:`signed_in_even_locked` or :func:`signed_in_in_transaction`; a
test fails for any route that has none. Finer rules (admin, membership) are checked by the
action the route calls.

Two ways to present a session: ``Authorization: Bearer <token>`` (API clients), or the
session cookie of the staff web app. A cookie is sent by the browser on its own, so every
cookie-authenticated write must also prove it came from the app's own page: the
``X-CSRF-Token`` header (derived from the session, readable only by same-origin script), a
same-origin ``Origin`` and ``Sec-Fetch-Site`` when the browser sends them.
"""

from __future__ import annotations

import hmac
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
from quietline.api.web_session import (
    clear_cookie_headers,
    cookie_name,
    csrf_token_for,
    same_origin,
)
from quietline.app import Services
from quietline.domain.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="The token from POST /api/v1/auth/sign-in")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


class CsrfRefused(Forbidden):
    code = "csrf"
    title = "Request not from the app"


async def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


async def public() -> None:
    """No sign-in needed (sign-in itself, health, the API schema).

    Dependencies are ``async`` so FastAPI does not hop to a worker thread to call them.
    """


def _check_csrf(request: Request, svc: Services, token: str) -> None:
    if request.method in _SAFE_METHODS:
        return
    if not same_origin(request, svc.settings):
        raise CsrfRefused("This request came from another site and was refused.")
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), csrf_token_for(svc.lookup_key, token).encode()):
        raise CsrfRefused("The request is missing its X-CSRF-Token. Reload the app and try again.")


def _token(
    request: Request,
    svc: Services,
    credentials: HTTPAuthorizationCredentials | None,
) -> tuple[str, bool]:
    """The session token and whether it came from the cookie."""
    if credentials is not None and credentials.credentials:
        token = credentials.credentials
        from_cookie = False
    else:
        token = request.cookies.get(cookie_name(svc.settings), "")
        from_cookie = True
        if not token:
            raise Unauthenticated("Sign in first, then send 'Authorization: Bearer <token>'.")
    if len(token) > 200:
        raise Unauthenticated("Your session has ended. Sign in again.")
    if from_cookie:
        _check_csrf(request, svc, token)
    return token, from_cookie


def _ended(exc: Unauthenticated, svc: Services) -> Unauthenticated:
    """For the web app: the same problem, plus headers that drop the dead cookie and tell
    the browser to clear what this site stored (defence in depth behind the app's own wipe)."""
    return Unauthenticated(
        exc.detail, headers={**exc.headers, **clear_cookie_headers(svc.settings)}, extra=exc.extra
    )


async def _authenticate(
    request: Request,
    svc: Services,
    credentials: HTTPAuthorizationCredentials | None,
    *,
    allow_locked: bool,
) -> Authenticated:
    token, from_cookie = _token(request, svc, credentials)
    try:
        auth = await svc.db.read(lambda unit: authenticate(unit, token, allow_locked=allow_locked))
    except Unauthenticated as exc:
        raise _ended(exc, svc) if from_cookie else exc from None
    if auth.needs_touch:
        actor = auth.actor
        await svc.db.write(lambda unit: do_touch(unit, actor))
    request.state.session_token = token
    request.state.from_cookie = from_cookie
    return auth


async def _authenticated(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    return await _authenticate(request, svc, credentials, allow_locked=False)


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


async def signed_in_even_locked(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    """A live session, locked or not: for unlocking, locking and signing out only."""
    return await _authenticate(request, svc, credentials, allow_locked=True)


async def signed_in_in_transaction(
    request: Request,
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SessionToken:
    """A live, unrestricted session, checked by the write itself.

    The route passes the token to :func:`quietline.actions.auth.authorize` inside the same
    transaction as its action: one trip to the writer instead of a read and then a write, and
    no gap between the session check and the change it allows. When that check finds the
    session ended, a web app's cookie is dropped as on every other route: the problem
    handler does it when ``request.state.ended_drops_cookie`` is set (a plain function, not a
    generator dependency that catches the error, which FastAPI runs at several times the
    cost).
    """
    token, from_cookie = _token(request, svc, credentials)
    request.state.from_cookie = from_cookie
    request.state.ended_drops_cookie = from_cookie
    return SessionToken(token)


SignedIn = Annotated[Actor, Depends(signed_in)]
SignedInAny = Annotated[Actor, Depends(signed_in_any)]
SignedInEvenLocked = Annotated[Authenticated, Depends(signed_in_even_locked)]
SignedInToken = Annotated[SessionToken, Depends(signed_in_in_transaction)]
Public = Depends(public)
ACCESS_RULES = (public, signed_in, signed_in_any, signed_in_even_locked, signed_in_in_transaction)
