"""Real-time events. They carry ids and ciphertext only, never plaintext: the hub may be
Redis, and nothing readable should pass through it.

Topics route events: ``conversation:<id>``, ``user:<id>``, ``session:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Event:
    practice_id: UUID
    kind: str
    topics: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)


def conversation_topic(conversation_id: UUID) -> str:
    return f"conversation:{conversation_id}"


def user_topic(user_id: UUID) -> str:
    return f"user:{user_id}"


def session_topic(session_id: UUID) -> str:
    return f"session:{session_id}"
