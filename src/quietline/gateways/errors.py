"""The two ways a send can fail, shared by every SMS and e-mail gateway.

A gateway never lets a provider's own error text out: it may quote the address or the text
of the message. Each error carries a short ``reason`` from a fixed vocabulary instead (see
``quietline.actions.outbox.FAILURE_REASONS`` for what staff are told), and that reason is
also the exception's whole message.
"""

from __future__ import annotations


class GatewayError(Exception):
    """A send that did not happen. ``reason`` is a short code, never provider text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GatewayUnavailable(GatewayError):
    """Try again later: connection refused or reset, a timeout, the provider's 5xx or 429, an
    SMTP 4xx, or a problem of the server's own set-up (credentials, TLS) that an operator can
    fix. The message itself is fine."""


class GatewayRejected(GatewayError):
    """Final for this message: the provider refused it for a reason retrying cannot change
    (an invalid number, a recipient who opted out, an SMTP 5xx for the recipient, a 4xx)."""
