"""The send route's fast lane (decision 0023).

``POST /api/v1/conversations/{id}/messages`` is the busiest route by far, and FastAPI's own
work around it (matching the path against every route, the middleware layers, resolving the
access rule, the services and the body as dependencies) cost more CPU than everything else
the send does on the event loop; in one server process that work queues in front of the
single writer. This layer takes the plain API form of a send and answers it straight from
the handler the FastAPI route uses (``routes.conversations.send_and_answer``): the same
access check inside the write (the bearer token, as ``signed_in_in_transaction`` reads it),
the same body model, the same action, the same answers.

It takes a request only when everything about it is plain: ``POST``, the id in its
canonical form, ``Authorization: Bearer <token>``, a JSON body that the route's model
accepts. Anything else goes on to FastAPI untouched, with the body it already read handed
back, so every refusal of malformed input (and every cookie-authenticated send from the web
app, whose CSRF checks live in :mod:`quietline.api.access`) keeps its one implementation.

It sits inside :class:`~quietline.api.middleware.EdgeMiddleware`, so the body limit, the
security headers and the access log (with the route's template, never the path) apply to
it as to every route. Both stand in front of FastAPI's own layers (its error handler, its
telemetry hooks, its body limit; :class:`quietline.api.app.EdgeFirstFastAPI`), so the lane
answers an unexpected error itself, with the app's 500 problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quietline.actions.auth import SessionToken
from quietline.api import schemas as s
from quietline.api.problems import domain_problem, unexpected_problem
from quietline.api.routes.conversations import send_and_answer
from quietline.domain.errors import QuietlineError

if TYPE_CHECKING:
    from quietline.app import Services

# The route as its router declares it (the API prefix is added where the router is included).
SEND_TEMPLATE = "/conversations/{conversation_id}/messages"
_SEND_PATH = re.compile(
    r"/api/v1/conversations/"
    r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/messages"
)
# The token as signed_in_in_transaction accepts it: printable, no spaces, at most 200.
_BEARER = re.compile(rb"Bearer ([!-~]{1,200})")


def _plain_send(scope: Scope) -> tuple[UUID, SessionToken] | None:
    """The conversation and token of a send this lane takes, or None to pass it on."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path = _SEND_PATH.fullmatch(scope["path"])
    if path is None:
        return None
    token = None
    content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization" and token is None:
            bearer = _BEARER.fullmatch(value)
            if bearer is None:
                return None
            token = bearer.group(1).decode("ascii")
        elif name == b"content-type" and content_type is None:
            content_type = value
    if token is None:
        return None  # the web app's cookie: FastAPI's access rule checks its CSRF proof
    if content_type is not None and content_type.split(b";")[0].strip().lower() != (
        b"application/json"
    ):
        return None
    return UUID(path.group(1)), SessionToken(token)


class SendLane:
    """Pure ASGI, between :class:`EdgeMiddleware` and FastAPI."""

    def __init__(self, app: ASGIApp, *, services: Services, route: APIRoute) -> None:
        self.app = app
        self.services = services
        self.route = route  # for the access log's template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = _plain_send(scope)
        if plain is None:
            await self.app(scope, receive, send)
            return
        conversation_id, token = plain
        raw, ended = await _read_body(receive)
        body = None if ended else _parse(raw)
        if body is None:
            # Not a body this lane answers: FastAPI reads it again and gives its refusal.
            await self.app(scope, _replay(raw, ended, receive), send)
            return
        scope["route"] = self.route
        try:
            response = await send_and_answer(self.services, conversation_id, body, token)
        except QuietlineError as refusal:
            response = domain_problem(refusal)
        except Exception as exc:  # the lane runs in front of FastAPI's error handler
            response = unexpected_problem(exc)
        await response(scope, receive, send)


def _parse(raw: bytes) -> s.SendIn | None:
    """The body as the FastAPI route reads it (the standard library's JSON, then the model
    in Python mode), or None when that would be refused."""
    try:
        return s.SendIn.model_validate(json.loads(raw))
    except (ValueError, ValidationError):  # ValueError covers JSON and UTF-8 errors
        return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client went away before it ended."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(raw: bytes, ended: bool, receive: Receive) -> Receive:
    """A ``receive`` that hands back the body already read, then listens as before."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given or ended:
            return await receive()
        given = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return replay


def send_route(routes: Sequence[object]) -> APIRoute:
    """The FastAPI route this lane stands in front of, from its router's routes (its template
    names the access log's entries, as FastAPI's router does for the routes it matches)."""
    for route in routes:
        if (
            isinstance(route, APIRoute)
            and route.path == SEND_TEMPLATE
            and "POST" in (route.methods or ())
        ):
            return route
    raise LookupError("the send route is not mounted")
