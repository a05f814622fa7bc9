"""Webhooks the SMS provider calls: incoming texts and delivery reports (Twilio).

Both are public (Twilio holds no session) and proven instead by ``X-Twilio-Signature``: an
HMAC, keyed by the account's auth token, of the exact URL Twilio was told to call
(``QUIETLINE_PUBLIC_ORIGIN`` + the path, + the query if any) and the form fields. A request
whose signature is missing or wrong gets a 403 problem and leaves no trace: no row in any
table, not even an audit entry (anyone can send one; storing it would let anyone fill the
database), and one log line without content. Cookie CSRF does not apply: these routes read no
cookie and act for nobody's session.

Incoming texts go to ``actions.client_messages.receive_sms``, which finds the practice by the
number texted and the client by the sender's number, stores the message, and deduplicates on
the provider's ``MessageSid`` (Twilio repeats a webhook that timed out). A signed text whose
sender (``From``) is not a phone number is refused with a 422 problem: nothing is stored and
the number is neither echoed nor logged. Replies are never given in the webhook's answer
(an empty TwiML ``<Response/>``): they go through the outbox, so they are durable, retried
and audited like every other message to a client.
"""

from __future__ import annotations

import logging
from functools import partial
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from quietline.actions.client_messages import assess_inbound, receive_sms
from quietline.actions.outbox import record_delivery_report
from quietline.api.access import Public, ServicesDep
from quietline.app import Services
from quietline.domain.errors import Forbidden, InvalidInput
from quietline.gateways.outbox_worker import TWILIO_STATUS_PATH

log = logging.getLogger(__name__)

router = APIRouter(tags=["provider webhooks"], include_in_schema=False)

INBOUND_PATH = "/hooks/twilio/sms"
STATUS_PATH = TWILIO_STATUS_PATH.removeprefix("/api/v1")  # the worker names it to Twilio
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_FIELDS = 100
SIGNATURE_HEADER = "x-twilio-signature"


class SignatureRefused(Forbidden):
    code = "bad-signature"
    title = "Signature refused"


REFUSED = (
    "This request is not signed by the SMS provider for this server, so it was refused and "
    "nothing was stored. Check the webhook URL and the auth token."
)


def public_origin(svc: Services) -> str:
    return svc.settings.link_origin


async def _signed_form(request: Request, svc: Services) -> dict[str, str]:
    """The webhook's form fields, if Twilio signed them for this URL; otherwise a 403."""
    route = request.scope.get("route")
    where = str(getattr(route, "path", "webhook"))
    verifier = svc.twilio_webhooks
    if verifier is None or not svc.settings.public_origin:
        log.warning("%s refused: this server has no Twilio account set up", where)
        raise SignatureRefused(REFUSED)
    try:
        text = (await request.body()).decode("utf-8")
        params = dict(
            parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
        )
    except (UnicodeDecodeError, ValueError):
        log.warning("%s refused: the body is not a form", where)
        raise SignatureRefused(REFUSED) from None
    url = svc.settings.public_origin.rstrip("/") + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    if not verifier.valid(url, params, request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("%s refused: missing or wrong X-Twilio-Signature", where)
        raise SignatureRefused(REFUSED)
    if any("\x00" in value for value in params.values()):
        raise InvalidInput("A field contains a NUL character.")
    return params


@router.post(INBOUND_PATH, dependencies=[Public])
async def twilio_inbound_sms(request: Request, svc: ServicesDep) -> Response:
    """An SMS to one of the practices' numbers (Twilio's messaging webhook)."""
    params = await _signed_form(request, svc)
    provider_ref = params.get("MessageSid") or params.get("SmsSid") or ""
    to_number = params.get("To", "")
    from_number = params.get("From", "")
    if not provider_ref or not to_number or not from_number:
        raise InvalidInput("An SMS webhook names MessageSid, From and To.")
    # Off the single writer: the crisis detector's meaning tier takes milliseconds.
    assessed = await run_in_threadpool(assess_inbound, params.get("Body", ""), "sms")
    result = await svc.db.write(
        partial(
            receive_sms,
            lookup_key=svc.lookup_key,
            public_origin=public_origin(svc),
            to_number=to_number,
            from_number=from_number,
            body=params.get("Body", ""),
            assessed=assessed,
            provider_ref=provider_ref[:64],
        )
    )
    if result is None:
        log.info("an SMS to a number no practice uses was dropped")
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post(STATUS_PATH, dependencies=[Public])
async def twilio_status(request: Request, svc: ServicesDep) -> Response:
    """A delivery report for an SMS the outbox sent (its ``StatusCallback``)."""
    params = await _signed_form(request, svc)
    provider_ref = params.get("MessageSid") or params.get("SmsSid") or ""
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    if not provider_ref or not status:
        raise InvalidInput("A status report names MessageSid and MessageStatus.")
    await svc.db.write(
        partial(
            record_delivery_report,
            provider_ref=provider_ref,
            status=status,
            error_code=params.get("ErrorCode"),
        )
    )
    return Response(status_code=204)
