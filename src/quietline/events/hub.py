"""The event hub interface and its in-process implementation.

The writer thread hands committed events to :meth:`EventHub.publish` (thread-safe, in commit
order). Subscribers are asyncio queues on the server's event loop, registered by topic. A
Redis implementation will carry events between server processes behind the same interface:
nothing here may be the only copy of any state, since a restart loses it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from quietline.domain.events import Event

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE_LIMIT = 1000


class Subscription:
    """One subscriber's topics and inbox. Created and used on the event loop."""

    def __init__(self, hub: InProcessHub) -> None:
        self._hub = hub
        self.topics: set[str] = set()
        self.queue: asyncio.Queue[Event] = asyncio.Queue(SUBSCRIBER_QUEUE_LIMIT)
        self.overflowed = False

    def add(self, *topics: str) -> None:
        for topic in topics:
            if topic not in self.topics:
                self.topics.add(topic)
                self._hub._index[topic].add(self)

    def remove(self, *topics: str) -> None:
        for topic in topics:
            if topic in self.topics:
                self.topics.discard(topic)
                subscribers = self._hub._index.get(topic)
                if subscribers is not None:
                    subscribers.discard(self)
                    if not subscribers:
                        del self._hub._index[topic]

    def close(self) -> None:
        self.remove(*list(self.topics))

    def _deliver(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A stalled client: mark it so its connection closes and the client resyncs
            # from history, instead of the server buffering without bound.
            self.overflowed = True


class EventHub(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Called after commit, from any thread, in commit order."""

    def subscribe(self) -> Subscription:
        """Called on the event loop."""


class InProcessHub:
    def __init__(self) -> None:
        self._index: defaultdict[str, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Attach to the server's event loop (None detaches, for shutdown)."""
        with self._lock:
            self._loop = loop

    def publish(self, events: Sequence[Event]) -> None:
        with self._lock:
            loop = self._loop
        if loop is None or loop.is_closed():
            return  # no server running (CLI use): there is nobody to tell
        try:
            loop.call_soon_threadsafe(self._dispatch, list(events))
        except RuntimeError:
            log.debug("event loop closed; events dropped")

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            targets: set[Subscription] = set()
            for topic in event.topics:
                targets |= self._index.get(topic, set())
            for subscriber in targets:
                subscriber._deliver(event)

    def subscribe(self) -> Subscription:
        return Subscription(self)
