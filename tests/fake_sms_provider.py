"""A local stand-in for Twilio's Messages API, for tests. Nothing leaves the machine.

:class:`FakeSmsProvider` is a threaded HTTP server on 127.0.0.1 (a free port) that answers
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` the way Twilio does: HTTP Basic auth
with the account SID and auth token, a form with ``To``, ``From``, ``Body`` and optionally
``StatusCallback``, and a ``201`` JSON answer with a fresh ``SM...`` sid. It records every
request (:attr:`FakeSmsProvider.attempts`, accepted or not) and every accepted message
(:attr:`FakeSmsProvider.messages`), and can misbehave on demand:

* :meth:`FakeSmsProvider.outage`: answer ``503`` (or another status, e.g. ``429``) to every
  request, until :meth:`FakeSmsProvider.restore`;
* :meth:`FakeSmsProvider.refuse_connections`: close the listening socket (connection refused)
  until :meth:`FakeSmsProvider.restore` opens it again on the same port;
* :meth:`FakeSmsProvider.reject_number`: answer a Twilio ``400`` error with a given code
  (``21211`` invalid number, ``21610`` the recipient sent STOP) for one number.

The other direction, Twilio calling us, is :func:`sms_webhook` and :func:`status_webhook`:
forms with the fields Twilio sends, and the ``X-Twilio-Signature`` header computed with the
SDK's ``RequestValidator.compute_signature`` over the full URL (the server's public origin +
path) and the fields.

Point a server at it with :func:`twilio_settings` (``QUIETLINE_SMS_GATEWAY=twilio``,
``QUIETLINE_TWILIO_API_BASE`` = the fake's URL). Fixtures: ``tests/sms_fixtures.py``.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from quietline.config import Settings

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-for-tests-0123456789"
PUBLIC_ORIGIN = "https://quietline.test"  # the origin the signatures are computed over
PRACTICE_NUMBER = "+12025550100"
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-fA-F]{32})/Messages\.json$")


@dataclass(frozen=True)
class ProviderRequest:
    """One request the fake received, whatever it answered."""

    path: str
    form: dict[str, str]
    authorized: bool
    status: int
    at: float


@dataclass(frozen=True)
class SentSms:
    """One message the fake accepted (answered 201)."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    form: dict[str, str] = field(repr=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    provider: FakeSmsProvider


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so refusing connections takes effect at once.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: the request line is all it would say."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        status, payload = self.server.provider._answer(
            self.path, form, self.headers.get("authorization", "")
        )
        self._reply(status, payload)

    def do_GET(self) -> None:
        self._reply(404, {"code": 20404, "message": "The requested resource was not found"})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeSmsProvider:
    """Plays Twilio's Messages API on 127.0.0.1. Use as a context manager, or start()/stop()."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Condition()
        self._attempts: list[ProviderRequest] = []
        self._messages: list[SentSms] = []
        self._outage_status: int | None = None
        self._rejections: dict[str, int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- life -------------------------------------------------------------------------------
    def start(self) -> FakeSmsProvider:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.provider = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSmsProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base to configure (``QUIETLINE_TWILIO_API_BASE``)."""
        return f"http://127.0.0.1:{self.port}"

    # -- misbehaving --------------------------------------------------------------------------
    def outage(self, status: int = 503) -> None:
        """Answer every request with ``status`` (5xx or 429) until :meth:`restore`."""
        with self._lock:
            self._outage_status = status

    def refuse_connections(self) -> None:
        """Close the listening socket: connections are refused until :meth:`restore`."""
        self.stop()

    def restore(self) -> None:
        """Back to normal: accepting connections (on the same port) and messages."""
        with self._lock:
            self._outage_status = None
        if self._server is None:
            self.start()

    def reject_number(self, number: str, code: int = 21211) -> None:
        """Refuse messages to ``number`` with Twilio's 400 error ``code``."""
        with self._lock:
            self._rejections[number] = code

    # -- what happened ------------------------------------------------------------------------
    @property
    def messages(self) -> list[SentSms]:
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self) -> list[ProviderRequest]:
        with self._lock:
            return list(self._attempts)

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[SentSms]:
        """Block until at least ``count`` messages were accepted (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} messages at the fake provider, got {len(self._messages)}"
                    )
                self._lock.wait(left)
            return list(self._messages)

    # -- the server side ----------------------------------------------------------------------
    def _authorized(self, authorization: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(authorization, f"Basic {expected}")

    def _answer(
        self, path: str, form: dict[str, str], authorization: str
    ) -> tuple[int, dict[str, Any]]:
        authorized = self._authorized(authorization)
        match = _MESSAGES_PATH.match(urlsplit(path).path)
        with self._lock:
            status, payload = self._decide(match, form, authorized)
            self._attempts.append(ProviderRequest(path, form, authorized, status, time.time()))
            if status == 201:
                self._messages.append(
                    SentSms(
                        sid=payload["sid"],
                        account_sid=self.account_sid,
                        to=form.get("To", ""),
                        from_=form.get("From", ""),
                        body=form.get("Body", ""),
                        status_callback=form.get("StatusCallback"),
                        form=form,
                    )
                )
            self._lock.notify_all()
        return status, payload

    def _decide(
        self, match: re.Match[str] | None, form: dict[str, str], authorized: bool
    ) -> tuple[int, dict[str, Any]]:
        if self._outage_status is not None:
            return self._outage_status, _error(self._outage_status, None, "Service unavailable")
        if match is None:
            return 404, _error(404, 20404, "The requested resource was not found")
        if not authorized or match["sid"] != self.account_sid:
            return 401, _error(401, 20003, "Authenticate")
        to, body = form.get("To", ""), form.get("Body", "")
        if not to or not form.get("From") or not body:
            return 400, _error(400, 21604, "A 'To', 'From' and 'Body' are required")
        if to in self._rejections:
            return 400, _error(400, self._rejections[to], "The message was refused")
        sid = "SM" + secrets.token_hex(16)
        return 201, {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def _error(status: int, code: int | None, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": "", "status": status}


# -- Twilio calling us ------------------------------------------------------------------------


def signature(url: str, form: Mapping[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """The ``X-Twilio-Signature`` Twilio would send with ``form`` posted to ``url``."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(form)))


@dataclass(frozen=True)
class Webhook:
    """A request Twilio would make to us: post ``form`` to ``path`` with ``headers``."""

    path: str
    form: dict[str, str]
    headers: dict[str, str]


def _signed(path: str, form: dict[str, str], origin: str, auth_token: str) -> Webhook:
    headers = {
        "x-twilio-signature": signature(origin.rstrip("/") + path, form, auth_token),
        "content-type": "application/x-www-form-urlencoded",
    }
    return Webhook(path, form, headers)


def sms_webhook(
    *,
    from_number: str,
    body: str,
    to_number: str = PRACTICE_NUMBER,
    message_sid: str | None = None,
    origin: str = PUBLIC_ORIGIN,
    auth_token: str = AUTH_TOKEN,
    account_sid: str = ACCOUNT_SID,
    path: str = "/api/v1/hooks/twilio/sms",
) -> Webhook:
    """An incoming text, as Twilio's messaging webhook posts it, correctly signed."""
    sid = message_sid or "SM" + secrets.token_hex(16)
    form = {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": to_number,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_number,
        "ApiVersion": "2010-04-01",
    }
    return _signed(path, form, origin, auth_token)


def status_webhook(
    message: SentSms,
    status: str,
    *,
    error_code: str | None = None,
    origin: str = PUBLIC_ORIGIN,
    auth_token: str = AUTH_TOKEN,
) -> Webhook:
    """The delivery report Twilio posts to a message's ``StatusCallback``, signed."""
    if not message.status_callback:
        raise AssertionError("the message was sent without a StatusCallback")
    callback = urlsplit(message.status_callback)
    form = {
        "SmsSid": message.sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": message.to,
        "MessageSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        form["ErrorCode"] = error_code
    return _signed(callback.path, form, origin, auth_token)


def twilio_settings(
    base: Settings,
    provider: FakeSmsProvider,
    token_file: Path,
    **changes: Any,
) -> Settings:
    """``base`` with SMS going to the fake provider (the auth token written to ``token_file``)
    and ``PUBLIC_ORIGIN`` as the public origin, validated like any settings."""
    token_file.write_text(provider.auth_token + "\n")
    values = {
        **base.model_dump(exclude_unset=True),
        "sms_gateway": "twilio",
        "twilio_account_sid": provider.account_sid,
        "twilio_auth_token_file": token_file,
        "twilio_api_base": provider.url,
        "sms_from_number": PRACTICE_NUMBER,
        "public_origin": PUBLIC_ORIGIN,
        **changes,
    }
    return Settings(**values)
