"""Helpers for tests that talk to the real server (the ``live_server`` fixture).

* :class:`Socket`: a WebSocket client whose every wait is bounded in time and frame count,
  and which keeps every frame it received (so a test can check what never arrived);
* :func:`send_message`, :func:`raw_message`: sending through the API, reading the stored row.

HTTP goes through ``httpx.Client(base_url=live.url)``, which the conftest ``Api`` and
``sign_in`` helpers accept as their client.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from websockets.sync.client import ClientConnection, connect

from quietline.app import Services
from quietline.storage.tables import messages
from quietline.storage.unit import Unit
from tests.conftest import Api

Frame = dict[str, Any]
MAX_FRAMES_PER_WAIT = 10_000
DEFAULT_WAIT = 5.0


class Socket:
    """One device's WebSocket, signed in and past the ``ready`` frame."""

    def __init__(self, ws_url: str, token: str) -> None:
        self._stack = contextlib.ExitStack()
        self.conn: ClientConnection = self._stack.enter_context(
            connect(ws_url, open_timeout=5, close_timeout=2, legacy=False)
        )
        self.frames: list[Frame] = []
        try:
            self.send({"type": "auth", "token": token})
            self.ready = self.expect("ready")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()

    def send(self, frame: Frame) -> None:
        self.conn.send(json.dumps(frame))

    def recv(self, timeout: float) -> Frame | None:
        """The next frame, or None when none arrives within ``timeout`` seconds."""
        try:
            raw = self.conn.recv(timeout=max(timeout, 0.001))
        except TimeoutError:
            return None
        frame = json.loads(raw)
        assert isinstance(frame, dict), raw
        self.frames.append(frame)
        return frame

    def expect(
        self,
        kind: str,
        timeout: float = DEFAULT_WAIT,
        match: Callable[[Frame], bool] | None = None,
    ) -> Frame:
        """Receive until a frame of type ``kind`` (and ``match``) arrives; fail after timeout."""
        for frame in self._arrivals(timeout):
            if frame.get("type") == kind and (match is None or match(frame)):
                return frame
        raise AssertionError(
            f"no {kind!r} frame within {timeout}s; received {[f.get('type') for f in self.frames]}"
        )

    def collect(self, kind: str, count: int, timeout: float = DEFAULT_WAIT) -> list[Frame]:
        """Receive until ``count`` frames of type ``kind`` arrived (in arrival order)."""
        found: list[Frame] = []
        if count == 0:
            return found
        for frame in self._arrivals(timeout):
            if frame.get("type") == kind:
                found.append(frame)
                if len(found) == count:
                    return found
        raise AssertionError(f"{len(found)} of {count} {kind!r} frames arrived within {timeout}s")

    def drain(self, duration: float) -> list[Frame]:
        """Every frame that arrives within ``duration`` seconds."""
        return list(self._arrivals(duration))

    def _arrivals(self, timeout: float) -> Iterator[Frame]:
        """Frames as they arrive, until ``timeout`` has passed (bounded in count too)."""
        deadline = time.monotonic() + timeout
        for _ in range(MAX_FRAMES_PER_WAIT):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            frame = self.recv(remaining)
            if frame is None:
                return
            yield frame

    def of_type(self, kind: str) -> list[Frame]:
        """Every frame of type ``kind`` received so far."""
        return [f for f in self.frames if f.get("type") == kind]


def send_message(
    api: Api, conversation_id: UUID | str, body: str, *, status: int = 201, **extra: Any
) -> Frame:
    """Send through the API with a fresh idempotency key; assert the status; the message JSON."""
    payload = {"body": body, "idempotency_key": str(uuid.uuid4()), **extra}
    response = api.post(f"/conversations/{conversation_id}/messages", payload)
    assert response.status_code == status, response.text
    result: Frame = response.json()
    return result


def create_group(api: Api, title: str, members: list[UUID], **extra: Any) -> str:
    response = api.post(
        "/conversations",
        {"kind": "group", "title": title, "member_ids": [str(m) for m in members], **extra},
    )
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


def create_direct(api: Api, other: UUID) -> str:
    response = api.post("/conversations", {"kind": "direct", "user_id": str(other)})
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


def history(api: Api, conversation_id: UUID | str, **params: Any) -> list[Frame]:
    response = api.get(f"/conversations/{conversation_id}/messages", params=params)
    assert response.status_code == 200, response.text
    page: list[Frame] = response.json()["messages"]
    return page


@dataclass(frozen=True)
class RawMessage:
    """A ``messages`` row as stored, read with SQL (no action, no decryption)."""

    id: UUID
    conversation_id: UUID
    seq: int
    body_sealed: bytes | None
    dek_wrapped: bytes | None
    expires_at: datetime | None
    recalled_at: datetime | None


def raw_message(services: Services, message_id: UUID | str) -> RawMessage | None:
    wanted = UUID(str(message_id))

    def read(unit: Unit) -> RawMessage | None:
        row = unit.conn.execute(
            select(
                messages.c.id,
                messages.c.conversation_id,
                messages.c.seq,
                messages.c.body_sealed,
                messages.c.dek_wrapped,
                messages.c.expires_at,
                messages.c.recalled_at,
            ).where(messages.c.id == wanted)
        ).first()
        if row is None:
            return None
        return RawMessage(
            row.id,
            row.conversation_id,
            int(row.seq),
            None if row.body_sealed is None else bytes(row.body_sealed),
            None if row.dek_wrapped is None else bytes(row.dek_wrapped),
            row.expires_at,
            row.recalled_at,
        )

    return services.db.read_sync(read)
