"""The SMS gateway interface. Implementations: :mod:`.twilio_sms` (Twilio's REST API) and
:mod:`.console` (the demo: keeps what would have been sent in memory).

A gateway's ``send`` blocks (it runs on the outbox worker's thread, never on the event loop)
and either returns the provider's id for the message or raises one of the two errors of
:mod:`.errors`: :class:`GatewayUnavailable` (retry later) or :class:`GatewayRejected` (final).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from quietline.gateways.errors import GatewayError, GatewayRejected, GatewayUnavailable

__all__ = [
    "GatewayError",
    "GatewayRejected",
    "GatewayUnavailable",
    "ReportsOnSend",
    "SmsGateway",
]


class SmsGateway(Protocol):
    def send(
        self,
        to: str,
        body: str,
        *,
        status_callback: str | None,
        from_number: str | None = None,
    ) -> str:
        """Send ``body`` to the E.164 number ``to`` and return the provider's message id.

        ``from_number`` is the practice's own number when it has one; otherwise the gateway
        uses the server's default (``QUIETLINE_SMS_FROM_NUMBER``) and raises
        ``GatewayRejected("no_sender")`` when there is none. ``status_callback`` is the URL the
        provider reports delivery to (None: no reports).
        """
        ...


@runtime_checkable
class ReportsOnSend(Protocol):
    """A gateway that knows its delivery report the moment it sends (the console: the
    pretend phone has the text at once). The outbox worker records that report right after
    the send itself, through the action a provider's status callback goes through
    (:func:`quietline.actions.outbox.record_delivery_report`)."""

    def report_on_send(self, provider_ref: str) -> str:
        """The status a provider's callback would report for ``provider_ref`` (a Twilio
        ``MessageStatus``: ``delivered``, ``undelivered`` or ``failed``)."""
        ...
