"""The WebSocket: live events for one signed-in device.

Protocol (JSON text frames):

* client -> ``{"type": "auth", "token": "..."}`` first, within 10 seconds (never in the URL);
  the web app sends ``{"type": "auth"}`` and the session comes from its cookie, which only
  counts when the handshake's ``Origin`` is this server;
* server -> ``{"type": "ready", "session_id", "conversations": {id: last_seq}}``;
* server -> events: ``message.created`` (with the message), ``message.recalled``,
  ``message.expired``, ``receipt.updated``, ``membership.added``, ``membership.removed``,
  ``conversation.updated``, ``emergency_access.opened`` and ``emergency_access.closed``
  (an admin opened or ended break-glass reading of the conversation: the grant id, who,
  until when; never the reason), ``policy.changed``, ``status.changed``, ``session.revoked``,
  ``session.locked`` (then closed with 4423); for client work ``appointment.updated`` and
  ``appointment.client_late`` (ids and status), ``client.seen`` (the client read the thread on
  the secure page), ``client_senders.changed`` and ``on_call.changed`` (practice settings);
  for supervision ``supervision.changed`` (made or ended) and ``supervision.viewed`` (a
  supervisor read this thread). Every event carries ids, never content; the message itself
  comes with ``message.created`` only to devices allowed to read it;
* client -> ``ack`` ``{conversation_id, up_to_seq}`` (delivered to this device), ``seen``
  (shown in the open conversation), ``resume`` ``{conversation_id, after_seq}`` (backlog),
  ``activity`` (the person is using the app: keeps the app lock and idle timeout away),
  ``ping``.

A revoked session's socket is told and closed as soon as the revocation commits. Content the
server pushes is recorded in the audit trail by the server itself (batched per socket), so the
record does not depend on the device acknowledging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocketState

from quietline.actions.auth import authenticate, sessions_still_usable
from quietline.actions.context import Actor
from quietline.actions.messages import (
    DeviceActivity,
    MessageView,
    do_mark,
    fetch_messages,
    read_for_delivery,
    record_device_activity,
)
from quietline.actions.realtime import connection_state
from quietline.api.views import message_out
from quietline.api.web_session import allowed_origins, cookie_name
from quietline.app import Services
from quietline.domain.errors import AppLocked, NotFound, QuietlineError
from quietline.domain.events import Event, conversation_topic, session_topic, user_topic
from quietline.events.hub import Subscription

log = logging.getLogger(__name__)
router = APIRouter()

AUTH_TIMEOUT = 10.0
ACTIVITY_FLUSH_EVERY = 1.0  # seconds between writes of what the sockets pushed and were told
CLOSE_SESSION_ENDED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_RESYNC = 4409
CLOSE_LOCKED = 4423
MAX_FRAME = 16_384


class DeliveryCache:
    """Decrypt each new message once per process, however many sockets receive it."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._pending: dict[UUID, asyncio.Future[MessageView | None]] = {}

    async def get(self, event: Event) -> MessageView | None:
        message_id = UUID(event.data["message_id"])
        future = self._pending.get(message_id)
        if future is None:
            conversation_id = UUID(event.data["conversation_id"])
            future = asyncio.ensure_future(
                self._services.db.read(
                    lambda unit: read_for_delivery(
                        unit, event.practice_id, conversation_id, message_id
                    )
                )
            )
            self._pending[message_id] = future
            asyncio.get_running_loop().call_later(5.0, self._pending.pop, message_id, None)
        return await asyncio.shield(future)


@dataclass
class _Pending:
    actor: Actor
    pushed: dict[UUID, list[UUID]] = field(default_factory=dict)
    delivered: dict[UUID, int] = field(default_factory=dict)
    active: bool = False


class SocketActivity:
    """What this process's sockets pushed to devices, and what devices acknowledged.

    Collected in memory and written once a second in one write job for all sockets: the
    audit record of pushed content (written by the server, so it does not depend on the
    device) and the coalesced delivery acknowledgements.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._pending: dict[UUID, _Pending] = {}

    def pushed(self, actor: Actor, view: MessageView) -> None:
        pending = self._pending.setdefault(actor.session_id, _Pending(actor))
        pending.pushed.setdefault(view.conversation_id, []).append(view.id)

    def delivered(self, actor: Actor, conversation_id: UUID, up_to_seq: int) -> None:
        pending = self._pending.setdefault(actor.session_id, _Pending(actor))
        pending.delivered[conversation_id] = max(
            up_to_seq, pending.delivered.get(conversation_id, 0)
        )

    def used(self, actor: Actor) -> None:
        """The person used the app on this device (counts as activity for the session)."""
        self._pending.setdefault(actor.session_id, _Pending(actor)).active = True

    async def flush(self) -> None:
        if not self._pending:
            return
        batch = [
            DeviceActivity(p.actor, p.pushed, p.delivered, p.active) for p in self._pending.values()
        ]
        self._pending = {}
        try:
            await self._services.db.write(partial(record_device_activity, batch=batch))
        except Exception as exc:
            log.error("recording socket activity failed: %s", exc.__class__.__name__)

    async def run(self) -> None:
        """Flush on a schedule until cancelled; the last flush happens at shutdown."""
        try:
            while True:
                await asyncio.sleep(ACTIVITY_FLUSH_EVERY)
                await self.flush()
        finally:
            await asyncio.shield(self.flush())


class SessionWatch:
    """Re-checks the sessions of every open socket of this process on a schedule.

    Revocation closes a socket at once through its event. Time-based ends (idle and absolute
    limits, a policy change) have no event, so this catches them: one query for all sockets
    of the process every ``socket_recheck_seconds``, instead of one per socket.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._open: dict[UUID, set[Connection]] = {}

    def add(self, connection: Connection) -> None:
        self._open.setdefault(connection.actor.session_id, set()).add(connection)

    def discard(self, connection: Connection) -> None:
        sockets = self._open.get(connection.actor.session_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self._open[connection.actor.session_id]

    async def check(self) -> None:
        session_ids = list(self._open)
        if not session_ids:
            return
        usable = await self._services.db.read(
            partial(sessions_still_usable, session_ids=session_ids)
        )
        for session_id in session_ids:
            state = usable.get(session_id)
            if state == "ok":
                continue
            for connection in list(self._open.get(session_id, ())):
                if state == "locked":
                    await connection.lock()
                else:
                    await connection.end_session()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._services.settings.socket_recheck_seconds)
            try:
                await self.check()
            except Exception as exc:
                log.error("socket session check failed: %s", exc.__class__.__name__)


class _Ack(BaseModel):
    type: str
    conversation_id: UUID
    up_to_seq: int


class _Resume(BaseModel):
    type: str
    conversation_id: UUID
    after_seq: int = 0
    limit: int = 100


def origin_allowed(websocket: WebSocket, services: Services) -> bool:
    """Browsers send Origin: it must be this server. Non-browser clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return origin.rstrip("/") in allowed_origins(websocket, services.settings)


class Connection:
    def __init__(
        self,
        websocket: WebSocket,
        services: Services,
        actor: Actor,
        subscription: Subscription,
        cache: DeliveryCache,
    ) -> None:
        self.ws = websocket
        self.svc = services
        self.actor = actor
        self.sub = subscription
        self.cache = cache
        self.closing = False
        self.activity: SocketActivity = websocket.app.state.socket_activity

    async def send(self, payload: dict[str, Any]) -> None:
        await self.ws.send_json(payload)

    async def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        if self.ws.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code=code, reason=reason)

    async def pump_events(self) -> None:
        while not self.closing:
            event = await self.sub.queue.get()
            if self.sub.overflowed:
                await self.close(CLOSE_RESYNC, "too far behind; reconnect and resume")
                return
            await self.handle_event(event)

    async def end_session(self) -> None:
        """The session timed out or may no longer be used here (see :class:`SessionWatch`)."""
        with contextlib.suppress(Exception):
            await self.send({"type": "session.ended"})
        await self.close(CLOSE_SESSION_ENDED, "session ended")

    async def lock(self) -> None:
        """The app locked on this device: no more content until it is unlocked."""
        with contextlib.suppress(Exception):
            await self.send({"type": "session.locked"})
        await self.close(CLOSE_LOCKED, "app locked")

    async def handle_event(self, event: Event) -> None:
        data = event.data
        if event.kind == "session.revoked":
            await self.send({"type": "session.revoked", "reason": data.get("reason")})
            await self.close(CLOSE_SESSION_ENDED, "session revoked")
            return
        if event.kind == "session.locked":
            await self.lock()
            return
        if event.kind in ("membership.added", "membership.removed") and data["user_id"] == str(
            self.actor.user_id
        ):
            topic = conversation_topic(UUID(data["conversation_id"]))
            if event.kind == "membership.added":
                self.sub.add(topic)
            else:
                self.sub.remove(topic)
        if not self.sub.topics.intersection(event.topics):
            # Queued before this connection left the conversation (a removal and a send
            # published in one batch): the subscription ended with the removal.
            return
        if event.kind == "message.created":
            try:
                view = await self.cache.get(event)
            except Exception as exc:
                # The client will catch up with "resume"; one failed read must not end the socket.
                log.warning("live delivery read failed: %s", exc.__class__.__name__)
                return
            if view is None:
                return  # recalled or expired before it could be delivered
            await self.send(
                {"type": event.kind, "message": message_out(view).model_dump(mode="json")}
            )
            self.activity.pushed(self.actor, view)
            return
        await self.send({"type": event.kind, **data})

    async def pump_client(self) -> None:
        while not self.closing:
            raw = await self.ws.receive_text()
            if len(raw) > MAX_FRAME:
                await self.send({"type": "error", "detail": "Frame too large."})
                continue
            try:
                await self.handle_client(raw)
            except ValidationError:
                await self.send(
                    {"type": "error", "detail": "Frame not understood; check the field names."}
                )
            except QuietlineError as exc:
                await self.send({"type": "error", "status": exc.status, "detail": exc.detail})

    async def handle_client(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            await self.send({"type": "error", "detail": "Frames must be JSON objects."})
            return
        if not isinstance(frame, dict):
            await self.send({"type": "error", "detail": "Frames must be JSON objects."})
            return
        kind = frame.get("type")
        actor = self.actor
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "activity":
            self.activity.used(actor)
        elif kind == "ack":
            # Coalesced: the highest ack per conversation is written with the next activity
            # flush, one write for every socket of the process instead of one per frame.
            ack = _Ack.model_validate(frame)
            if conversation_topic(ack.conversation_id) not in self.sub.topics:
                raise NotFound("conversation")
            self.activity.delivered(actor, ack.conversation_id, ack.up_to_seq)
        elif kind == "seen":
            ack = _Ack.model_validate(frame)
            await self.svc.db.write(
                lambda unit: do_mark(unit, actor, ack.conversation_id, "seen", ack.up_to_seq)
            )
        elif kind == "resume":
            resume = _Resume.model_validate(frame)
            page = await self.svc.db.write(
                lambda unit: fetch_messages(
                    unit,
                    actor,
                    resume.conversation_id,
                    after_seq=max(resume.after_seq, 0),
                    limit=min(max(resume.limit, 1), 200),
                    via="backlog",
                )
            )
            await self.send(
                {
                    "type": "backlog",
                    "conversation_id": str(resume.conversation_id),
                    "messages": [message_out(m).model_dump(mode="json") for m in page.messages],
                    "has_more": page.has_more,
                }
            )
        else:
            await self.send({"type": "error", "detail": "Unknown frame type."})


@router.websocket("/api/v1/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    cache: DeliveryCache = websocket.app.state.delivery_cache
    if not origin_allowed(websocket, services):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive_json(), AUTH_TIMEOUT)
    except TimeoutError:
        await websocket.close(code=CLOSE_AUTH_TIMEOUT, reason="sign-in frame expected")
        return
    except (WebSocketDisconnect, ValueError, KeyError):
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_SESSION_ENDED)
        return
    is_auth = isinstance(first, dict) and first.get("type") == "auth"
    token = first.get("token") if is_auth else None
    if is_auth and token is None and websocket.headers.get("origin") is not None:
        # The web app: its session cookie, which the Origin check above vouched for (a page
        # of another site cannot open a socket that rides on the cookie).
        token = websocket.cookies.get(cookie_name(services.settings))
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        await websocket.close(code=CLOSE_SESSION_ENDED, reason="send {type: auth, token} first")
        return
    try:
        auth = await services.db.read(lambda unit: authenticate(unit, token))
    except AppLocked as exc:
        await websocket.send_json({"type": "session.locked", "detail": exc.detail})
        await websocket.close(code=CLOSE_LOCKED, reason="app locked")
        return
    except QuietlineError as exc:
        await websocket.send_json({"type": "error", "status": exc.status, "detail": exc.detail})
        await websocket.close(code=CLOSE_SESSION_ENDED, reason="session ended")
        return
    if auth.restricted:
        await websocket.close(code=CLOSE_FORBIDDEN, reason="second factor required")
        return
    actor = auth.actor
    sub = services.hub.subscribe()
    sub.add(
        session_topic(actor.session_id), user_topic(actor.user_id), f"practice:{actor.practice_id}"
    )
    conn = Connection(websocket, services, actor, sub, cache)
    watch: SessionWatch = websocket.app.state.session_watch
    watch.add(conn)
    try:
        state = await services.db.read(lambda unit: connection_state(unit, actor))
        sub.add(*(conversation_topic(cid) for cid in state))
        await conn.send(
            {
                "type": "ready",
                "session_id": str(actor.session_id),
                "user_id": str(actor.user_id),
                "conversations": {str(k): v for k, v in state.items()},
            }
        )
        events = asyncio.ensure_future(conn.pump_events())
        client = asyncio.ensure_future(conn.pump_client())
        done, pending = await asyncio.wait({events, client}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for task in done:
            failure = task.exception()
            if failure is not None and not isinstance(failure, WebSocketDisconnect):
                log.warning("websocket closed after %s", failure.__class__.__name__)
    except WebSocketDisconnect:
        pass
    finally:
        watch.discard(conn)
        sub.close()
        await conn.close(1000, "bye")
