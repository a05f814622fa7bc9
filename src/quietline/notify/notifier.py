"""Sends Web Push notifications for new messages, after they commit.

It listens on the hub's ``push`` topic, gathers what arrived in a short window (a burst of
messages becomes one notification per device, with a count), decides in one write who is
notified now and whose notifications are held ("in session"), and sends. Held counts live in
the database, so a restart loses nothing that was held; the release of held notifications
runs on a schedule and when someone ends their session. Urgent alerts (a client's message
read as a crisis) go to the people they name at once and are never held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import partial
from uuid import UUID

from quietline.actions.notifications import (
    PUSH_TOPIC,
    URGENT_ALERT,
    PushJob,
    do_release_ended_sessions,
    forget_subscription,
    plan_notifications,
    plan_urgent_alerts,
    release_held,
)
from quietline.app import Services
from quietline.domain.events import Event
from quietline.notify.webpush import PushTarget, WebPushSender

log = logging.getLogger(__name__)

GATHER_SECONDS = 0.3  # how long a burst is gathered into one notification


class Notifier:
    def __init__(self, services: Services, sender: WebPushSender) -> None:
        self._services = services
        self._sender = sender
        self._sub = services.hub.subscribe()
        self._sub.add(PUSH_TOPIC)

    async def _gather(self) -> list[Event]:
        events = [await self._sub.queue.get()]
        await asyncio.sleep(GATHER_SECONDS)
        while not self._sub.queue.empty():
            events.append(self._sub.queue.get_nowait())
        return events

    async def _handle(self, events: list[Event]) -> None:
        created = [e for e in events if e.kind == "message.created"]
        ended = [
            (e.practice_id, e.data["user_id"])
            for e in events
            if e.kind == "status.changed" and e.data.get("in_session_until") is None
        ]
        alerts = [e for e in events if e.kind == URGENT_ALERT]
        jobs: list[PushJob] = []
        if created:
            jobs += await self._services.db.write(partial(plan_notifications, events=created))
        if alerts:
            # A device already notified of the (urgent) message itself gets no second push.
            notified = {job.session_id for job in jobs}
            planned = await self._services.db.write(partial(plan_urgent_alerts, events=alerts))
            jobs += [job for job in planned if job.session_id not in notified]
        for practice_id, user_id in ended:
            jobs += await self._services.db.write(
                partial(release_held, practice_id=practice_id, user_id=UUID(user_id))
            )
        await self.send(jobs)

    async def send(self, jobs: list[PushJob]) -> None:
        if not jobs:
            return
        results = await asyncio.gather(
            *(self._sender.send(PushTarget(job.subscription), job.count, job.text) for job in jobs)
        )
        for job, alive in zip(jobs, results, strict=True):
            if not alive:
                await self._services.db.write(
                    partial(
                        forget_subscription, practice_id=job.practice_id, session_id=job.session_id
                    )
                )

    async def run(self) -> None:
        try:
            while True:
                events = await self._gather()
                try:
                    await self._handle(events)
                except Exception as exc:
                    log.error("notifications failed: %s", exc.__class__.__name__)
        finally:
            self._sub.close()

    async def run_releases(self) -> None:
        """Release notifications held for sessions whose time has run out."""
        while True:
            await asyncio.sleep(self._services.settings.notification_release_seconds)
            try:
                await self.send(await self._services.db.write(do_release_ended_sessions))
            except Exception as exc:
                log.error("releasing held notifications failed: %s", exc.__class__.__name__)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._sender.close()
