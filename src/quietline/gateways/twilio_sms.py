"""SMS through Twilio's Messages API, with the official ``twilio`` package.

* Sending: ``Client.messages.create(to=, from_=, body=, status_callback=)``. The SDK builds
  every URL on ``https://api.twilio.com`` (or a regional host); :class:`_RebasedHttpClient`
  sends the same path to the configured base instead (``QUIETLINE_TWILIO_API_BASE``), which is
  how the tests talk to a local stand-in. It also logs nothing of a request: the SDK's own
  request log is replaced by nothing at all (it names the account and the URL; never needed).
* Errors: the SDK's exceptions and the network's become :class:`GatewayUnavailable` (5xx,
  429, timeouts, refused connections, our own credentials refused) or
  :class:`GatewayRejected` (other 4xx: an invalid number, a recipient who sent STOP). Only a
  reason code survives: Twilio's error text can quote the number.
* Inbound webhooks: :class:`TwilioWebhookVerifier` checks ``X-Twilio-Signature`` with the
  SDK's ``RequestValidator`` (HMAC-SHA1 of the URL Twilio called and the form fields, keyed by
  the account's auth token).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from quietline.gateways.errors import GatewayRejected, GatewayUnavailable

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.twilio.com"
DEFAULT_TIMEOUT_SECONDS = 20.0

# Twilio error codes that say something about the recipient (final for this message).
_REJECTION_REASONS = {
    21211: "invalid_number",  # the 'To' number is not a valid phone number
    21214: "invalid_number",  # the 'To' number cannot be reached
    21217: "invalid_number",
    21401: "invalid_number",
    21407: "region_blocked",  # the account may not send to that country
    21408: "region_blocked",
    21610: "opted_out",  # the recipient replied STOP to this sender
    21612: "not_mobile",  # the 'To' number cannot receive this message
    21614: "not_mobile",  # the 'To' number is not a mobile number
    21617: "too_long",  # the body is over the 1600-character limit
}
# Codes for our own set-up (credentials, sender): the operator fixes them, the message waits.
_SETUP_CODES = {20003: "provider_auth", 20404: "provider_setup", 21606: "sender_not_allowed"}


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The SDK's HTTP client, sending every request to ``base`` and logging none of it."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self._base = urlsplit(base.rstrip("/"))

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(
            (self._base.scheme, self._base.netloc, self._base.path + parts.path, parts.query, "")
        )

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        return super().request(
            method,
            self.rebase(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Nothing: the request carries the number and the text."""

    def log_response(self, status_code: int, response: Any) -> None:
        """Nothing: the response echoes the number and the text."""


class TwilioSmsGateway:
    """Sends through one Twilio account. Thread-safe enough for the outbox worker, which sends
    one message at a time."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        default_from: str | None,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._default_from = default_from
        self._http = _RebasedHttpClient(api_base, timeout)
        self._client = Client(
            username=account_sid,
            password=auth_token,
            account_sid=account_sid,
            http_client=self._http,
        )

    def send(
        self,
        to: str,
        body: str,
        *,
        status_callback: str | None,
        from_number: str | None = None,
    ) -> str:
        sender = from_number or self._default_from
        if not sender:
            raise GatewayRejected("no_sender")
        kwargs: dict[str, Any] = {"to": to, "from_": sender, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self._client.messages.create(**kwargs)
        except requests.Timeout:
            raise GatewayUnavailable("timeout") from None
        except requests.ConnectionError:
            raise GatewayUnavailable("connection") from None
        except requests.RequestException:
            raise GatewayUnavailable("network") from None
        except TwilioException as exc:
            raise _classify(exc) from None
        except ValueError:  # the answer was not JSON: a proxy's error page, say
            raise GatewayUnavailable("bad_response") from None
        sid = getattr(message, "sid", None)
        if not isinstance(sid, str) or not sid:
            raise GatewayUnavailable("bad_response")
        return sid

    def close(self) -> None:
        session = getattr(self._http, "session", None)
        if session is not None:
            session.close()


def _classify(exc: Exception) -> GatewayUnavailable | GatewayRejected:
    """A Twilio API error as one of ours, by status and Twilio code only (never its text)."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    code = code if isinstance(code, int) else None
    if not isinstance(status, int):
        return GatewayUnavailable("provider_error")
    if status == 429 or status >= 500:
        return GatewayUnavailable(f"http_{status}")
    if code in _SETUP_CODES or status in (401, 403):
        reason = _SETUP_CODES.get(code or 0, "provider_auth")
        log.error(
            "Twilio refused this server's request (%s, HTTP %d): check QUIETLINE_TWILIO_* "
            "settings; messages wait and are retried",
            reason,
            status,
        )
        return GatewayUnavailable(reason)
    if code in _REJECTION_REASONS:
        return GatewayRejected(_REJECTION_REASONS[code])
    return GatewayRejected(f"provider_{code}" if code else f"http_{status}")


class TwilioWebhookVerifier:
    """Checks the ``X-Twilio-Signature`` of a webhook Twilio sent to this server."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)

    def valid(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether ``signature`` is Twilio's for a POST of ``params`` to ``url`` (the full URL
        Twilio was told to call, query string included)."""
        if not signature:
            return False
        try:
            return bool(self._validator.validate(url, dict(params), signature))
        except (ValueError, TypeError):
            return False
