"""The demo's pretend phone (``quietline demo`` only): ``/demo/phone``.

It shows, per client phone number, the texts the console SMS gateway "sent" (and the e-mails
the console e-mail gateway "sent", per address), and lets you text back as that client. A
text typed here takes exactly the path a real one takes after the provider's webhook:
``actions.client_messages.receive_sms``, so scenario 1 can be tried on a laptop.

The page is plain server-made HTML with no script and no style (it is served under the API's
``default-src 'none'`` policy); everything shown is escaped. It exists only when the server
runs as ``quietline demo`` (``settings.demo``), whose data is invented: the numbers, the
texts. The form is refused from other sites (``Origin``/``Sec-Fetch-Site``), like every
cookie-authenticated write.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import parse_qsl
from uuid import uuid4

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from quietline.actions.client_messages import assess_inbound, receive_sms
from quietline.api.access import CsrfRefused, Public, ServicesDep
from quietline.api.routes.provider_hooks import public_origin
from quietline.api.web_session import same_origin
from quietline.app import Services
from quietline.domain.errors import InvalidInput, NotFound
from quietline.gateways.console import ConsoleItem

router = APIRouter(include_in_schema=False)

PAGE = "/demo/phone"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
NOTES = {
    "sent": "Sent as the client. Replies appear below once the outbox has sent them: reload.",
    "unknown-number": "No practice uses the number you texted. Set the demo practice's SMS "
    "number in its client messaging settings, or text the number its messages come from.",
}


@dataclass
class Phone:
    number: str
    practice_number: str | None = None  # the number it last heard from
    items: list[ConsoleItem] = field(default_factory=list)


def _phones(items: list[ConsoleItem]) -> tuple[list[Phone], dict[str, list[ConsoleItem]]]:
    phones: dict[str, Phone] = {}
    mailboxes: dict[str, list[ConsoleItem]] = {}
    for item in items:
        if item.channel == "email":
            mailboxes.setdefault(item.to, []).append(item)
            continue
        number = item.to if item.direction == "out" else (item.sender or "")
        phone = phones.setdefault(number, Phone(number))
        phone.items.append(item)
        if item.direction == "out" and item.sender:
            phone.practice_number = item.sender
    return list(phones.values()), mailboxes


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


URL = re.compile(r"https?://\S+")


def _text(body: str, origin: str) -> str:
    """The text, escaped; a secure-page link of this server becomes a short, tappable link
    (the demo's way into the client page)."""
    parts: list[str] = []
    last = 0
    for match in URL.finditer(body):
        url = match.group(0)
        if not url.startswith(f"{origin}/c/"):
            continue
        parts.append(_e(body[last : match.start()]))
        parts.append(f'<a href="{_e(url)}">open the secure page</a>')
        last = match.end()
    parts.append(_e(body[last:]))
    return "".join(parts)


def _form(from_number: str | None, to_number: str | None) -> str:
    sender = (
        f'<input type="hidden" name="from" value="{_e(from_number)}">'
        if from_number
        else '<label>Client\'s number <input name="from" required placeholder="+12025550143">'
        "</label><br>"
    )
    return (
        f'<form method="post" action="{PAGE}/send">{sender}'
        f'<label>To <input name="to" required value="{_e(to_number)}"></label><br>'
        '<label>Text <textarea name="body" rows="2" cols="40" required maxlength="1600">'
        "</textarea></label><br>"
        '<button type="submit">Send as this client</button></form>'
    )


def _render(svc: Services, note: str | None) -> str:
    record = svc.console_record
    phones, mailboxes = _phones(record.items() if record is not None else [])
    default_to = svc.settings.sms_from_number
    origin = public_origin(svc)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        # The server's Referrer-Policy (no-referrer) makes a browser post this page's form
        # with "Origin: null", which the same-origin check rightly refuses; this page's own
        # policy lets its form say where it comes from (the links carry nothing: the token
        # is in the fragment).
        "<meta name='referrer' content='same-origin'>",
        "<title>Pretend phone (demo)</title></head><body>",
        "<h1>Pretend phone</h1>",
        "<p>What the demo's console gateways would have sent to clients, and a way to text "
        "back as a client. Demo only: nothing here leaves this computer. "
        f'<a href="{PAGE}">Reload</a></p>',
    ]
    if note in NOTES:
        parts.append(f"<p><strong>{_e(NOTES[note])}</strong></p>")
    if not phones and not mailboxes:
        parts.append("<p>Nothing sent yet.</p>")
    for phone in phones:
        parts.append(f"<section><h2>Phone {_e(phone.number)}</h2><ol>")
        for item in phone.items:
            who = "received" if item.direction == "out" else "sent by the client"
            parts.append(
                f"<li><time>{item.at:%H:%M:%S}</time> {who}: <q>{_text(item.body, origin)}</q></li>"
            )
        parts.append("</ol>")
        parts.append(_form(phone.number, phone.practice_number or default_to))
        parts.append("</section>")
    for address, items in mailboxes.items():
        parts.append(f"<section><h2>Mailbox {_e(address)}</h2><ol>")
        for item in items:
            parts.append(
                f"<li><time>{item.at:%H:%M:%S}</time> <q>{_text(item.body, origin)}</q></li>"
            )
        parts.append("</ol></section>")
    parts.append("<section><h2>Text from another number</h2>")
    parts.append(_form(None, default_to))
    parts.append("</section></body></html>")
    return "".join(parts)


def _check_demo(svc: Services) -> None:
    if not svc.settings.demo:
        raise NotFound("page")


@router.get(PAGE, dependencies=[Public])
async def pretend_phone(request: Request, svc: ServicesDep) -> HTMLResponse:
    _check_demo(svc)
    return HTMLResponse(_render(svc, request.query_params.get("note")))


@router.post(f"{PAGE}/send", dependencies=[Public])
async def text_as_client(request: Request, svc: ServicesDep) -> Response:
    """Text the practice as a client, through the same path as the provider's webhook."""
    _check_demo(svc)
    if not same_origin(request, svc.settings):
        raise CsrfRefused("This form came from another site and was refused.")
    try:
        form = dict(parse_qsl((await request.body()).decode("utf-8"), max_num_fields=10))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("Send the form from the pretend phone page.") from None
    from_number = form.get("from", "").strip()
    to_number = form.get("to", "").strip()
    body = form.get("body", "").strip()
    if not E164.match(from_number) or not E164.match(to_number):
        raise InvalidInput("Write both numbers in international form, like +12025550143.")
    if not body or len(body) > 1600 or "\x00" in body:
        raise InvalidInput("Write a text of 1 to 1600 characters.")
    # Off the single writer: the crisis detector's meaning tier takes milliseconds.
    assessed = await run_in_threadpool(assess_inbound, body, "sms")
    result = await svc.db.write(
        partial(
            receive_sms,
            lookup_key=svc.lookup_key,
            public_origin=public_origin(svc),
            to_number=to_number,
            from_number=from_number,
            body=body,
            assessed=assessed,
            provider_ref=f"demo-{uuid4().hex}",
        )
    )
    if result is None:
        return RedirectResponse(f"{PAGE}?note=unknown-number", status_code=303)
    if svc.console_record is not None:
        svc.console_record.add(
            channel="sms",
            direction="in",
            to=to_number,
            sender=from_number,
            body=body,
            ref_prefix="demo-in-",
        )
    return RedirectResponse(f"{PAGE}?note=sent", status_code=303)
