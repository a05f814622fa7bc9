"""One pure-ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware) that:

* refuses request bodies over the limit with a 413 problem,
* adds security headers and ``Cache-Control: no-store`` to every API answer,
* writes the access log with the route *template*, never the requested path or query.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("quietline.access")

MAX_BODY_BYTES = 64 * 1024
_TOO_LARGE_DETAIL = f"Requests can be at most {MAX_BODY_BYTES // 1024} KiB. Send less at once."


def _template(scope: Scope) -> str:
    route = scope.get("route")  # set by the router on the scope it passes down
    return str(getattr(route, "path", "<unmatched>"))


# The web app's pages: scripts, styles and connections from this origin only, no inline
# script or style, and Trusted Types so no string can reach an HTML or script sink (the one
# policy, "quietline", only vets the service worker's URL).
APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'; "
    "require-trusted-types-for 'script'; trusted-types quietline"
)
# The secure client page (/c/): the same, stricter still: no workers, no manifest, forms
# post nowhere, and no Trusted Types policy at all (it never writes HTML from strings).
CLIENT_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        common: list[tuple[bytes, bytes]] = [
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if tls:
            common.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        self.headers = [*common, (b"content-security-policy", API_CSP.encode())]
        self.app_headers = [*common, (b"content-security-policy", APP_CSP.encode())]
        self.client_page_headers = [
            *common,
            (b"content-security-policy", CLIENT_PAGE_CSP.encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        extra = self.app_headers if scope["path"].startswith("/app") else self.headers
        if scope["path"].startswith("/c/"):
            extra = self.client_page_headers
        declared = _content_length(scope)
        if declared is not None and declared > MAX_BODY_BYTES:
            await _too_large(send, extra)
            self._log(scope, 413, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *[
                        (k, v)
                        for k, v in message.get("headers", [])
                        if k not in (b"cache-control", b"etag", b"last-modified")
                    ],
                    *extra,
                ]
            await send(message)

        inner = dict(scope)  # the router records the matched route here
        try:
            await self.app(inner, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if status == 0:
                await _too_large(send, extra)
            status = 413
        self._log(inner, status, started)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %d %.1fms",
                scope.get("method"),
                _template(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )


class _BodyTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI, which turns any other error raised while it reads a
    body into a 400, lets it through to the problem handler as a 413."""

    def __init__(self) -> None:
        super().__init__(413, _TOO_LARGE_DETAIL)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await _send_problem(
        send, 413, "request-too-large", "Request too large", _TOO_LARGE_DETAIL, headers
    )


async def _send_problem(
    send: Send,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An RFC 9457 answer written at the ASGI level (outside FastAPI's handlers); ``headers``:
    the edge's security headers, where it answers."""
    body: dict[str, Any] = {
        "type": f"urn:quietline:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or [(b"cache-control", b"no-store")]),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class ContainErrors:
    """The outermost layer in a real server.

    Starlette re-raises unhandled errors after answering so that the server can log them,
    and the server would log the exception's message, which may quote request data. This
    layer logs the exception type only and makes sure the client got a 500 problem.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unhandled error in %s: %s", scope["type"], exc.__class__.__name__)
            if scope["type"] == "http" and not started:
                await _send_problem(
                    send,
                    500,
                    "something-went-wrong",
                    "Something went wrong",
                    "Something went wrong on the server. Try again, and tell your practice admin "
                    "if it keeps happening.",
                )
