"""The outbox worker: takes due rows from ``outbound_messages`` and hands them to the gateways.

One row at a time: claim it (a write transaction: 'sending', a lease, ``attempts + 1``),
call the gateway on this worker's thread (never on the event loop), and record the outcome in
a second write transaction, right away: 'sent', a retry with backoff, or 'failed'. See
:mod:`quietline.actions.outbox` for the states and for the one window in which a message can
go out twice (the provider accepted it, and our commit of 'sent' was lost).

In the server, :meth:`OutboxWorker.run` is an asyncio task (started in the API's lifespan):
it runs at start-up (rows left by a previous process), whenever something is queued (the
``outbox`` topic of the event hub, after commit), when the earliest retry or lease comes due,
and at least every ``QUIETLINE_OUTBOX_POLL_SECONDS``. Tests call :meth:`OutboxWorker.run_once`
directly and move a ``ManualClock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from dataclasses import dataclass
from functools import partial

from quietline.actions.outbox import (
    OUTBOX_TOPIC,
    ClaimedSend,
    OutboxLimits,
    Settled,
    claim_next,
    next_due_at,
    record_delivery_report,
    record_sent,
    record_unsent,
)
from quietline.app import Services
from quietline.gateways.email import EmailGateway, message_id_for
from quietline.gateways.errors import GatewayError, GatewayRejected, GatewayUnavailable
from quietline.gateways.sms import ReportsOnSend, SmsGateway

log = logging.getLogger(__name__)

BATCH = 50  # rows one run handles before it looks at the clock and the stop flag again
TWILIO_STATUS_PATH = "/api/v1/hooks/twilio/status"  # api/routes/provider_hooks.py
MIN_WAIT_SECONDS = 0.05
STOP_WAIT_SECONDS = 90.0  # how long shutdown waits for the send in progress to be recorded


@dataclass
class OutboxRun:
    """What one run did (counts only)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0

    @property
    def processed(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled + self.lost


class OutboxWorker:
    def __init__(
        self,
        services: Services,
        *,
        sms: SmsGateway | None = None,
        email: EmailGateway | None = None,
        batch: int = BATCH,
        limits: OutboxLimits | None = None,
    ) -> None:
        """The gateways default to the configured ones (``services.sms``, ``.email``), the
        limits to the settings' (``QUIETLINE_OUTBOX_MAX_*``)."""
        settings = services.settings
        self._services = services
        self._sms = sms if sms is not None else services.sms
        self._email = email if email is not None else services.email
        self._batch = batch
        self._limits = limits or OutboxLimits.from_settings(settings)
        self._status_callback = (
            f"{settings.public_origin.rstrip('/')}{TWILIO_STATUS_PATH}"
            if settings.sms_gateway == "twilio" and settings.public_origin
            else None
        )
        self._random = secrets.SystemRandom()
        self._stopping = threading.Event()
        self._one_at_a_time = threading.Lock()
        self._inflight: asyncio.Future[OutboxRun] | None = None

    # -- one pass (any thread but the event loop's) -------------------------------------------
    def run_once(self, limit: int | None = None) -> OutboxRun:
        """Send every due row, up to ``limit`` (default: the batch size). Blocks."""
        report = OutboxRun()
        db = self._services.db
        with self._one_at_a_time:
            for _ in range(limit or self._batch):
                if self._stopping.is_set():
                    break
                claimed = db.write_sync(partial(claim_next, limits=self._limits))
                if claimed is None:
                    break
                if isinstance(claimed, Settled):
                    if claimed.status == "failed":
                        report.failed += 1
                    else:
                        report.cancelled += 1
                    continue
                self._deliver(claimed, report)
        return report

    def _deliver(self, send: ClaimedSend, report: OutboxRun) -> None:
        db = self._services.db
        try:
            provider_ref = self._call_gateway(send)
        except GatewayError as exc:
            outcome = db.write_sync(
                partial(
                    record_unsent,
                    send=send,
                    error=exc,
                    limits=self._limits,
                    jitter=self._random.random(),
                )
            )
            if outcome == "retry":
                report.retried += 1
            elif outcome == "failed":
                report.failed += 1
            else:
                report.lost += 1
            log.info(
                "outbound %s %s not sent (%s): %s",
                send.channel,
                send.id,
                exc.reason,
                outcome,
            )
            return
        # The window of decision 0017 is from here to the commit below: nothing in between.
        if db.write_sync(partial(record_sent, send=send, provider_ref=provider_ref)):
            report.sent += 1
            if send.channel == "sms" and isinstance(self._sms, ReportsOnSend):
                # A gateway that knows its delivery report at once (the console): recorded
                # as the provider's status callback would be, now that the row is 'sent'.
                status = self._sms.report_on_send(provider_ref)
                db.write_sync(
                    partial(record_delivery_report, provider_ref=provider_ref, status=status)
                )
        else:
            report.lost += 1

    def _call_gateway(self, send: ClaimedSend) -> str:
        try:
            if send.channel == "sms":
                if self._sms is None:
                    raise GatewayRejected("no_gateway")
                return self._sms.send(
                    send.to,
                    send.body,
                    status_callback=self._status_callback,
                    from_number=send.sms_from,
                )
            if self._email is None:
                raise GatewayRejected("no_gateway")
            sender = send.email_from or self._services.settings.smtp_from or ""
            return self._email.send(
                send.to,
                send.body,
                message_id=message_id_for(send.id.hex, sender),
                from_address=send.email_from,
            )
        except GatewayError:
            raise
        except Exception as exc:  # a gateway's own bug: the message waits and is retried
            log.error("the %s gateway failed: %s", send.channel, exc.__class__.__name__)
            raise GatewayUnavailable("gateway_error") from None

    # -- the server's task --------------------------------------------------------------------
    async def run(self) -> None:
        """Run until cancelled (or :meth:`stop`). Errors are logged by type and retried.
        The queue is read first, so an idle server writes nothing."""
        subscription = self._services.hub.subscribe()
        subscription.add(OUTBOX_TOPIC)
        loop = asyncio.get_running_loop()
        poll = self._services.settings.outbox_poll_seconds
        try:
            while not self._stopping.is_set():
                try:
                    due_in = await self._due_in()
                    if due_in is not None and due_in <= 0:
                        self._inflight = loop.run_in_executor(None, self.run_once)
                        report = await asyncio.shield(self._inflight)
                        if report.processed >= self._batch:
                            continue  # more may be due already
                        due_in = await self._due_in()
                    wait = poll if due_in is None else min(poll, max(MIN_WAIT_SECONDS, due_in))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.error("the outbox run failed: %s", exc.__class__.__name__)
                    wait = poll
                finally:
                    self._inflight = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(subscription.queue.get(), timeout=wait)
                while not subscription.queue.empty():
                    subscription.queue.get_nowait()
        finally:
            subscription.close()

    async def _due_in(self) -> float | None:
        """Seconds until the earliest row comes due (<= 0: due now); None: the queue is empty."""
        due = await self._services.db.read(next_due_at)
        if due is None:
            return None
        return (due - self._services.clock.now()).total_seconds()

    async def stop(self) -> None:
        """Stop taking rows and wait (bounded) until the send in progress is recorded, so a
        shutdown does not leave a sent message looking unsent. Then cancel :meth:`run`."""
        self._stopping.set()
        inflight = self._inflight
        if inflight is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(inflight), timeout=STOP_WAIT_SECONDS)
