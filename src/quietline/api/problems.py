"""RFC 9457 problem responses for every error, including the ones no code anticipated.

Nothing here echoes input values back: a rejected field may hold message text.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from quietline.api.web_session import clear_cookie_headers
from quietline.domain.errors import QuietlineError, Unauthenticated

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    423: "App locked",
    429: "Too many attempts",
    500: "Something went wrong",
}
# The OpenAPI description of every error answer (added to each route by the app), so the
# published schema says what clients really get instead of FastAPI's default 422 body.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    for code, description in (
        ("4XX", "The request was refused; the problem's detail says why (RFC 9457)."),
        ("5XX", "The server failed; nothing the client sent is repeated back (RFC 9457)."),
    )
}
_DETAILS = {
    # FastAPI's own answer when a body cannot be decoded (e.g. it is not UTF-8).
    400: "The request body could not be read. Send a JSON object encoded as UTF-8.",
    404: "There is nothing at this address. Check the URL.",
    405: "This address does not accept that method. Check the API schema at /api/v1/openapi.json.",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    slug = code or _TITLES.get(status, "error").lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": f"urn:quietline:problem:{slug}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(exc: QuietlineError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The answer to an action's refusal: its status, code, title and sentence."""
    return problem(
        exc.status,
        exc.detail,
        code=exc.code,
        title=exc.title,
        headers=exc.headers if headers is None else headers,
        extra=exc.extra,
    )


_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # Only the first item names where the value was (a field may itself be called "body").
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in _LOCATIONS else [str(p) for p in loc]
    return ".".join(parts) or "request"


def _error_field(error: dict[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type")
    if kind == "json_invalid":
        return "request"  # the location is a character position, not a field
    if kind == "extra_forbidden":
        loc = loc[:-1]  # the unknown name is the client's own text: never repeat it
    return _field(loc)


def _validation_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": "is required",
        "string_too_short": f"must be at least {ctx.get('min_length')} characters",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "uuid_parsing": "must be an id like 3f2b8c1e-...",
        "uuid_type": "must be an id like 3f2b8c1e-...",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "string_type": "must be text",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "enum": f"must be one of: {ctx.get('expected')}",
        "literal_error": f"must be one of: {ctx.get('expected')}",
        "json_invalid": "is not valid JSON",
        "model_attributes_type": "must be a JSON object",
        "dict_type": "must be a JSON object",
        "list_type": "must be a list",
        "nul_character": "contains a character that cannot be stored (NUL)",
        "extra_forbidden": "has a field that is not accepted here; check the field names",
        "datetime_parsing": "must be a date and time like 2026-03-01T09:00:00Z",
        "datetime_type": "must be a date and time like 2026-03-01T09:00:00Z",
        "datetime_from_date_parsing": "must be a date and time like 2026-03-01T09:00:00Z",
        "timezone_aware": "must include a time zone, like 2026-03-01T09:00:00Z",
    }
    return messages.get(kind, "is not valid")


def install(app: FastAPI) -> None:
    @app.exception_handler(QuietlineError)
    async def _domain(request: Request, exc: QuietlineError) -> JSONResponse:
        headers = exc.headers
        if isinstance(exc, Unauthenticated) and getattr(request.state, "ended_drops_cookie", False):
            # A web app's session was found ended inside the route's own transaction
            # (api/access.py: signed_in_in_transaction): drop the cookie and what the site
            # stored, as the other access rules do when they find it ended.
            settings = request.app.state.services.settings
            headers = {**headers, **clear_cookie_headers(settings)}
        return domain_problem(exc, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _error_field(e), "problem": _validation_message(e)} for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']} {e['problem']}" for e in errors[:5])
        return problem(
            422, f"Check the request: {summary}.", code="invalid-input", extra={"errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = _DETAILS.get(exc.status_code) or (
            exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        )
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return unexpected_problem(exc)


def unexpected_problem(exc: Exception) -> JSONResponse:
    """The 500 answer to an error nothing expected (the app's handler, and the send lane's,
    which runs in front of it)."""
    # The type only: an exception's message may carry data from the request.
    log.error("unhandled error: %s", exc.__class__.__name__, exc_info=False)
    return problem(
        500,
        "Something went wrong on the server. Nothing was lost; "
        "try again, and tell your practice admin if it keeps happening.",
    )
