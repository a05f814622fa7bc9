"""The demo's gateways: nothing leaves the machine, and nothing readable reaches the terminal.

What would have been sent is kept in memory (:class:`ConsoleRecord`, the newest
``RECORD_LIMIT`` items) for the demo's pretend phone at ``/demo/phone``; the terminal (a log)
gets one content-free line per message: ``console SMS #7 queued (42 characters) — see
/demo/phone``. No number, no address, no text: the console gateways may also run outside the
demo, where that terminal is a server log like any other.

A console SMS is reported delivered as soon as it is "sent": the outbox worker records the
report through the same action as a provider's status callback
(:class:`quietline.gateways.sms.ReportsOnSend`). E-mail has no delivery reports, console or
SMTP.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from quietline.domain.clock import Clock
from quietline.gateways.errors import GatewayRejected

log = logging.getLogger(__name__)

RECORD_LIMIT = 200


@dataclass(frozen=True, slots=True)
class ConsoleItem:
    """One text or e-mail, in memory only. ``direction`` 'out' went to a client; 'in' was
    typed on the pretend phone as the client."""

    seq: int
    channel: Literal["sms", "email"]
    direction: Literal["out", "in"]
    to: str
    sender: str | None
    body: str
    at: datetime
    ref: str

    def __repr__(self) -> str:  # never the number or the text
        return f"ConsoleItem(seq={self.seq}, channel={self.channel}, direction={self.direction})"


class ConsoleRecord:
    """The bounded, thread-safe in-memory list of what the console gateways handled."""

    def __init__(self, clock: Clock, limit: int = RECORD_LIMIT) -> None:
        self._clock = clock
        self._items: deque[ConsoleItem] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        # Refs stay unique across restarts of a demo that keeps its database: delivery
        # reports find their row by the ref.
        self._run = secrets.token_hex(4)

    def add(
        self,
        *,
        channel: Literal["sms", "email"],
        direction: Literal["out", "in"],
        to: str,
        sender: str | None,
        body: str,
        ref_prefix: str,
    ) -> ConsoleItem:
        with self._lock:
            seq = next(self._seq)
            item = ConsoleItem(
                seq=seq,
                channel=channel,
                direction=direction,
                to=to,
                sender=sender,
                body=body,
                at=self._clock.now(),
                ref=f"{ref_prefix}{self._run}-{seq:08d}",
            )
            self._items.append(item)
        return item

    def items(self) -> list[ConsoleItem]:
        """Oldest first."""
        with self._lock:
            return list(self._items)


class ConsoleSmsGateway:
    def __init__(self, record: ConsoleRecord, default_from: str | None) -> None:
        self.record = record
        self._default_from = default_from

    def send(
        self,
        to: str,
        body: str,
        *,
        status_callback: str | None,
        from_number: str | None = None,
    ) -> str:
        if not to:
            raise GatewayRejected("invalid_number")
        item = self.record.add(
            channel="sms",
            direction="out",
            to=to,
            sender=from_number or self._default_from,
            body=body,
            ref_prefix="console-sms-",
        )
        log.info("console SMS #%d queued (%d characters) — see /demo/phone", item.seq, len(body))
        return item.ref

    def report_on_send(self, provider_ref: str) -> str:
        """Delivered: the pretend phone has it. The worker records this like a provider's
        status callback, so the staff app shows "Delivered to phone" (see
        :class:`quietline.gateways.sms.ReportsOnSend`)."""
        return "delivered"


class ConsoleEmailGateway:
    def __init__(self, record: ConsoleRecord, default_from: str | None) -> None:
        self.record = record
        self._default_from = default_from

    def send(
        self,
        to: str,
        body: str,
        *,
        message_id: str,
        from_address: str | None = None,
    ) -> str:
        if "@" not in to:
            raise GatewayRejected("recipient_refused")
        item = self.record.add(
            channel="email",
            direction="out",
            to=to,
            sender=from_address or self._default_from,
            body=body,
            ref_prefix="console-email-",
        )
        log.info("console e-mail #%d queued (%d characters) — see /demo/phone", item.seq, len(body))
        return message_id
