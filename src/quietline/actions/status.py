"""Status in one tap: "In session until 2:50". Colleagues see it; notifications wait."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from quietline.actions.context import Actor
from quietline.actions.notifications import status_changed
from quietline.domain.errors import InvalidInput
from quietline.storage.unit import Unit

MAX_SESSION = timedelta(hours=8)


def do_set_in_session(
    unit: Unit, actor: Actor, *, minutes: int | None, until: datetime | None
) -> datetime:
    if (minutes is None) == (until is None):
        raise InvalidInput("Give either minutes or until (the time the session ends).")
    end = unit.now
    if minutes is not None:
        end = unit.now + timedelta(minutes=minutes)
    elif until is not None:
        end = until
    if end.tzinfo is None:
        raise InvalidInput("Give 'until' with a time zone, like 2026-03-01T14:50:00Z.")
    if end <= unit.now:
        raise InvalidInput("The session must end in the future.")
    if end - unit.now > MAX_SESSION:
        raise InvalidInput("A session can last at most 8 hours.")
    unit.status.set(actor.practice_id, actor.user_id, end, unit.now)
    unit.emit(status_changed(actor.practice_id, actor.user_id, end))
    return end


def do_end_session(unit: Unit, actor: Actor) -> None:
    """End "in session" now. Held notifications go out (the notifier sees the event)."""
    unit.status.clear(actor.practice_id, actor.user_id)
    unit.emit(status_changed(actor.practice_id, actor.user_id, None))


def statuses(unit: Unit, actor: Actor) -> dict[UUID, datetime]:
    """Who in the practice is in session now, and until when."""
    return unit.status.for_practice(actor.practice_id, unit.now)
