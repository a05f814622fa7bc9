"""Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC 8291) through
``pywebpush``. The payload is fixed by :func:`generic_payload`; nothing else is ever sent."""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from quietline.domain.policy import DEFAULT_NOTIFICATION_TEXT

log = logging.getLogger(__name__)

PUSH_TIMEOUT_SECONDS = 10.0
PUSH_TTL_SECONDS = 12 * 60 * 60


def generic_payload(count: int, text: str | None = None) -> str:
    """The only notification there is: the practice's generic words (``text``, checked by
    :func:`~quietline.domain.policy.check_notification_text`; None: the default) and a count.
    No setting adds a sender, a title or content."""
    count = max(count, 1)
    if text is None or text == DEFAULT_NOTIFICATION_TEXT:
        body = DEFAULT_NOTIFICATION_TEXT if count == 1 else f"{count} new secure messages"
    else:
        body = text if count == 1 else f"{text} ({count})"
    return json.dumps({"title": "Quietline", "body": body, "count": count})


class EndpointRefused(ValueError):
    """A subscription endpoint the server will not send to (says why, without the URL)."""


def check_endpoint(endpoint: str, allowed_hosts: tuple[str, ...]) -> None:
    """Only known push services: the endpoint comes from a browser, and the server must not
    be usable to send requests to arbitrary addresses."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise EndpointRefused("The push endpoint is not a valid URL.")
    if not any(host == h or (h.startswith("*.") and host.endswith(h[1:])) for h in allowed_hosts):
        raise EndpointRefused(
            "This browser's push service is not on the server's list "
            "(QUIETLINE_PUSH_ENDPOINT_HOSTS)."
        )
    if parts.scheme == "https":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if parts.scheme != "http" or not loopback:
        raise EndpointRefused("Push endpoints must use https.")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class PushTarget:
    """One device's subscription, opened from its sealed form just before sending."""

    subscription: dict[str, Any]


class WebPushSender:
    def __init__(self, private_key: ec.EllipticCurvePrivateKey, contact: str) -> None:
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._vapid = Vapid02.from_pem(pem)
        self._contact = contact
        self.public_key = _b64url(
            private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        self._session: aiohttp.ClientSession | None = None

    async def send(self, target: PushTarget, count: int, text: str | None = None) -> bool:
        """Send one notification (the practice's generic ``text`` and the count). False when
        the subscription is gone (delete it)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            await webpush_async(
                target.subscription,
                data=generic_payload(count, text),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._contact},  # a new dict: the call writes into it
                timeout=PUSH_TIMEOUT_SECONDS,
                ttl=PUSH_TTL_SECONDS,
                aiohttp_session=self._session,
            )
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                return False
            log.warning("push delivery refused (status %s)", status)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("push service unreachable: %s", exc.__class__.__name__)
        return True

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
