"""The secure client page's API (``/client-api``) and where its files live (served at /c/).

The page is for clients, not staff: no staff sign-in applies, so every route here is
``Public`` for the staff access rules, and the routes after sign-in depend on
:func:`client_session_token` instead: the client-session cookie (``__Host-quietline_client``
over TLS, ``quietline_client`` on plain HTTP; separate from the staff cookie) with the same
defences as the staff web app's cookie writes (``api/access.py``): the request must come from
this site (``Origin``, ``Sec-Fetch-Site``) and carry the ``X-CSRF-Token`` the verification
answered with (derived from the session, kept in the page's memory only). Sign-out also takes
the CSRF token in its body, because ``navigator.sendBeacon`` (the page closing) cannot set
headers.

Tokens never travel in a URL: the link's token is posted in the JSON body, the session's is
the cookie. Every answer is ``Cache-Control: no-store`` (api/middleware.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

import quietline.web
from quietline.actions.client_access import (
    ClientSignedIn,
    PageThread,
    Refused,
    do_page_answer_appointment,
    do_page_reply,
    do_page_seen,
    do_page_sign_out,
    do_send_code,
    do_verify,
    has_client_session,
    start_link,
    view_page_thread,
)
from quietline.actions.client_messages import assess_inbound
from quietline.api.access import CSRF_HEADER, CsrfRefused, Public, ServicesDep
from quietline.api.schemas import Strict
from quietline.api.web_session import same_origin, served_over_tls
from quietline.app import Services
from quietline.config import Settings
from quietline.crypto.tokens import token_hash
from quietline.domain.errors import Unauthenticated

T = TypeVar("T")

CLIENT_PAGE_DIR = Path(quietline.web.__file__).parent / "client"
PREFIX = "/client-api"
_COOKIE_TLS = "__Host-quietline_client"  # __Host-: Secure, Path=/, no Domain: this host only
_COOKIE_PLAIN = "quietline_client"  # plain HTTP on loopback (development and the demo)
_NOT_FROM_PAGE = "Open the link from your message on this site's secure page."

router = APIRouter(prefix=PREFIX, tags=["secure client page"], dependencies=[Public])


# -- the cookie and its CSRF token ------------------------------------------------------------


def client_cookie_name(settings: Settings) -> str:
    return _COOKIE_TLS if served_over_tls(settings) else _COOKIE_PLAIN


def _set_cookie(settings: Settings, token: str) -> str:
    # No Max-Age: the cookie dies with the browser; the server's idle and absolute limits
    # and the page's sign-out on close end the session before that.
    flags = "; Path=/; HttpOnly; SameSite=Strict"
    if served_over_tls(settings):
        flags += "; Secure"
    return f"{client_cookie_name(settings)}={token}{flags}"


def _clear_cookie(settings: Settings) -> dict[str, str]:
    flags = "; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    if served_over_tls(settings):
        flags += "; Secure"
    # Only the cache: the staff app shares this origin, and its storage is not ours to clear.
    return {"set-cookie": f"{client_cookie_name(settings)}={flags}", "clear-site-data": '"cache"'}


def client_csrf_token(lookup_key: bytes, token: str) -> str:
    """Derived from the client session (nothing stored), useless without it."""
    mac = hmac.new(lookup_key, b"client-csrf|" + token_hash(token), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def _csrf_ok(svc: Services, token: str, sent: str) -> bool:
    return hmac.compare_digest(sent.encode(), client_csrf_token(svc.lookup_key, token).encode())


def _from_page(request: Request, svc: Services) -> None:
    if not same_origin(request, svc.settings):
        raise CsrfRefused(_NOT_FROM_PAGE)


async def client_session_token(request: Request, svc: ServicesDep) -> str:
    """The client-session cookie of a request that came from the page itself."""
    _from_page(request, svc)
    token = request.cookies.get(client_cookie_name(svc.settings), "")
    if not token or len(token) > 200:
        raise Unauthenticated(
            "You are signed out. To read your messages again, open the link in your text or "
            "e-mail.",
            headers=_clear_cookie(svc.settings),
        )
    if not _csrf_ok(svc, token, request.headers.get(CSRF_HEADER, "")):
        raise CsrfRefused("The page is out of date. Open the link in your message again.")
    return token


ClientToken = Annotated[str, Depends(client_session_token)]


def _unwrap(result: T | Refused, svc: Services) -> T:
    """Raise a refusal (after its writes committed); a signed-out one drops the cookie."""
    if isinstance(result, Refused):
        error = result.error
        if isinstance(error, Unauthenticated):
            error.headers = {**error.headers, **_clear_cookie(svc.settings)}
        raise error
    return result


def _public_origin(svc: Services) -> str:
    return svc.settings.link_origin


# -- bodies -----------------------------------------------------------------------------------


class LinkIn(Strict):
    token: str = Field(min_length=1, max_length=200, description="The token from the link")


class CodeDestinationOut(BaseModel):
    channel: Literal["sms", "email"]
    label: str = Field(description='Masked, e.g. "text to •••• 1234"')


class LinkStartOut(BaseModel):
    practice_name: str
    destinations: list[CodeDestinationOut]
    date_of_birth_required: bool


class SendCodeIn(Strict):
    token: str = Field(min_length=1, max_length=200)
    channel: Literal["sms", "email"] | None = None


class CodeSentOut(BaseModel):
    destination: CodeDestinationOut
    expires_at: datetime


class VerifyIn(Strict):
    token: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=16)
    date_of_birth: str | None = Field(default=None, max_length=20)


class ClientSignedInOut(BaseModel):
    csrf_token: str = Field(description="Send as X-CSRF-Token with every later request")
    ends_at: datetime = Field(description="The session ends by this time at the latest")


class PageMessageOut(BaseModel):
    id: UUID
    seq: int
    from_client: bool
    author: str = Field(description='"You", a staff member\'s first name, or "Automatic reply"')
    body: str
    sent_at: datetime


class PageAppointmentOut(BaseModel):
    id: UUID
    starts_at: datetime
    starts_label: str = Field(description="The start in the practice's time zone, in words")
    length_minutes: int
    clinician: str
    status: str
    may_answer: bool


class PageThreadOut(BaseModel):
    practice_name: str
    messages: list[PageMessageOut]
    readable_seqs: list[int] = Field(
        description="The seqs still readable among the newest; others on the page are gone"
    )
    last_seq: int
    appointments: list[PageAppointmentOut]
    seen_seq: int
    idle_minutes: int
    ends_at: datetime


class PageReplyIn(Strict):
    body: str = Field(min_length=1, max_length=4000)
    idempotency_key: str = Field(min_length=8, max_length=128)
    after_seq: int = Field(default=0, ge=0, le=2**62)


class AnswerIn(Strict):
    answer: Literal["confirm", "reschedule"]
    after_seq: int = Field(default=0, ge=0, le=2**62)


class SeenIn(Strict):
    up_to_seq: int = Field(ge=0, le=2**62)


class SeenOut(BaseModel):
    seen_seq: int


def _thread_out(thread: PageThread) -> PageThreadOut:
    return PageThreadOut(
        practice_name=thread.practice_name,
        messages=[
            PageMessageOut(
                id=m.id,
                seq=m.seq,
                from_client=m.from_client,
                author=m.author,
                body=m.body,
                sent_at=m.sent_at,
            )
            for m in thread.messages
        ],
        readable_seqs=thread.readable_seqs,
        last_seq=thread.last_seq,
        appointments=[
            PageAppointmentOut(
                id=a.id,
                starts_at=a.starts_at,
                starts_label=a.starts_label,
                length_minutes=a.length_minutes,
                clinician=a.clinician,
                status=a.status,
                may_answer=a.may_answer,
            )
            for a in thread.appointments
        ],
        seen_seq=thread.seen_seq,
        idle_minutes=thread.idle_minutes,
        ends_at=thread.ends_at,
    )


# -- before sign-in -----------------------------------------------------------------------------


@router.post("/start", response_model=LinkStartOut)
async def start(body: LinkIn, request: Request, svc: ServicesDep) -> LinkStartOut:
    """What the page shows for a link: the practice and where a code can be sent (masked).
    An expired or unknown link gets a plain answer (410)."""
    _from_page(request, svc)
    begun = await svc.db.read(lambda unit: start_link(unit, body.token))
    return LinkStartOut(
        practice_name=begun.practice_name,
        destinations=[
            CodeDestinationOut(channel=d.channel, label=d.label) for d in begun.destinations
        ],
        date_of_birth_required=begun.date_of_birth_required,
    )


@router.post("/code", response_model=CodeSentOut, status_code=202)
async def send_code(body: SendCodeIn, request: Request, svc: ServicesDep) -> CodeSentOut:
    """Send a one-time code (valid 10 minutes; a new one replaces the old). At most 3 per
    link in 15 minutes (429)."""
    _from_page(request, svc)
    sent = await svc.db.write(
        lambda unit: do_send_code(unit, svc.lookup_key, body.token, body.channel)
    )
    return CodeSentOut(
        destination=CodeDestinationOut(
            channel=sent.destination.channel, label=sent.destination.label
        ),
        expires_at=sent.expires_at,
    )


@router.post("/verify", response_model=ClientSignedInOut)
async def verify(
    body: VerifyIn, request: Request, response: Response, svc: ServicesDep
) -> ClientSignedInOut:
    """Check the code (and the date of birth when the practice asks for it). The session
    token goes only into the HttpOnly cookie. Wrong answers: 403, and 429 after 5 on one
    code; 10 on one link lock it."""
    _from_page(request, svc)
    result = await svc.db.write(
        lambda unit: do_verify(unit, svc.lookup_key, body.token, body.code, body.date_of_birth)
    )
    signed_in: ClientSignedIn = _unwrap(result, svc)
    response.headers["set-cookie"] = _set_cookie(svc.settings, signed_in.token)
    return ClientSignedInOut(
        csrf_token=client_csrf_token(svc.lookup_key, signed_in.token),
        ends_at=signed_in.session.expires_at,
    )


# -- signed in ----------------------------------------------------------------------------------


@router.get("/thread", response_model=PageThreadOut)
async def thread(
    token: ClientToken,
    svc: ServicesDep,
    after: Annotated[
        int | None, Query(ge=0, le=2**62, description="Only what came after this seq")
    ] = None,
    active: Annotated[
        bool, Query(description="The client did something since the last call")
    ] = False,
) -> PageThreadOut:
    """The client's thread (never internal notes) and upcoming appointments. The page polls
    it with ``after``; ``active`` keeps the session from idling out. Every view is audited."""
    result = await svc.db.write(
        lambda unit: view_page_thread(unit, token, after_seq=after, active=active)
    )
    return _thread_out(_unwrap(result, svc))


@router.post("/messages", response_model=PageThreadOut, status_code=201)
async def reply(body: PageReplyIn, token: ClientToken, svc: ServicesDep) -> PageThreadOut:
    """The client writes to their care team. A retry with the same ``idempotency_key``
    stores nothing twice. The answer holds what is new after ``after_seq``."""
    # Off the single writer: the crisis detector's meaning tier takes milliseconds; and only
    # for a live client session, so a stranger cannot make the server run it.
    assessed = None
    if await svc.db.read(lambda unit: has_client_session(unit, token)):
        assessed = await run_in_threadpool(assess_inbound, body.body, "page")
    result = await svc.db.write(
        lambda unit: do_page_reply(
            unit,
            token,
            lookup_key=svc.lookup_key,
            public_origin=_public_origin(svc),
            body=body.body,
            idempotency_key=body.idempotency_key,
            after_seq=body.after_seq,
            assessed=assessed,
        )
    )
    return _thread_out(_unwrap(result, svc))


@router.post("/appointments/{appointment_id}/answer", response_model=PageThreadOut)
async def answer_appointment(
    appointment_id: UUID, body: AnswerIn, token: ClientToken, svc: ServicesDep
) -> PageThreadOut:
    """Confirm an appointment, or ask to reschedule it (when the practice asked)."""
    result = await svc.db.write(
        lambda unit: do_page_answer_appointment(
            unit,
            token,
            appointment_id=appointment_id,
            answer=body.answer,
            after_seq=body.after_seq,
        )
    )
    return _thread_out(_unwrap(result, svc))


@router.post("/seen", response_model=SeenOut)
async def seen(body: SeenIn, token: ClientToken, svc: ServicesDep) -> SeenOut:
    """The client has seen their thread up to ``up_to_seq`` (their "seen" receipt)."""
    result = await svc.db.write(lambda unit: do_page_seen(unit, token, body.up_to_seq))
    return SeenOut(seen_seq=_unwrap(result, svc))


@router.post("/sign-out", status_code=204)
async def sign_out(request: Request, svc: ServicesDep) -> Response:
    """End the client session and drop the cookie. The page calls it from its button, its
    idle timer and (with ``navigator.sendBeacon``, which cannot set headers) when it is
    closed: the CSRF token may then come in the body, ``{"csrf_token": ..., "reason": ...}``."""
    _from_page(request, svc)
    headers = _clear_cookie(svc.settings)
    token = request.cookies.get(client_cookie_name(svc.settings), "")
    if not token:
        return Response(status_code=204, headers=headers)
    sent = request.headers.get(CSRF_HEADER, "")
    reason: Literal["signed_out", "page_closed", "idle"] = "signed_out"
    raw = await request.body()
    if raw and len(raw) <= 1024:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            if not sent and isinstance(data.get("csrf_token"), str):
                sent = data["csrf_token"]
            if data.get("reason") in ("page_closed", "idle"):
                reason = data["reason"]
    if not _csrf_ok(svc, token, sent):
        raise CsrfRefused("The page is out of date. Close it; your session ends by itself.")
    await svc.db.write(lambda unit: do_page_sign_out(unit, token, reason))
    return Response(status_code=204, headers=headers)
