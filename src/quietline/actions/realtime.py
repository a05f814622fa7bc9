"""What a WebSocket connection needs from the database."""

from __future__ import annotations

from uuid import UUID

from quietline.actions.context import Actor
from quietline.storage.unit import Unit


def connection_state(unit: Unit, actor: Actor) -> dict[UUID, int]:
    """The actor's conversations and their latest sequence numbers, for a new connection."""
    return unit.conversations.last_seqs_for_user(actor.practice_id, actor.user_id)
