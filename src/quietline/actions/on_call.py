"""On-call shifts: who answers when a client's message reads as a crisis outside (or inside)
office hours. Owners and admins plan the shifts; every member of staff may see them and who
is on call now. Shifts may overlap (two people on call); the urgent alert goes to everyone on
call at that moment (see :func:`quietline.actions.boundaries.alert_recipients`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from quietline.actions.context import Actor, check_admin
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound, present
from quietline.domain.events import Event
from quietline.domain.models import OnCallShift
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

MAX_SHIFT = timedelta(days=31)
MAX_LIST = timedelta(days=92)
MAX_DAYS_AHEAD = 366


@dataclass(frozen=True, slots=True)
class OnCallNow:
    user_id: UUID
    display_name: str


def _check_shift(
    unit: Unit, actor: Actor, user_id: UUID, starts_at: datetime, ends_at: datetime
) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("Shift times need a time zone (for example 2025-12-03T17:00-05:00).")
    if ends_at <= starts_at:
        raise InvalidInput("A shift must end after it starts.")
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidInput("A shift can be at most 31 days long; add several for longer.")
    if ends_at <= unit.now:
        raise InvalidInput("This shift would already be over; on-call shifts are planned ahead.")
    if starts_at > unit.now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput("Shifts can be planned at most a year ahead.")
    user = unit.users.get(actor.practice_id, user_id)
    if user is None or not user.is_active:
        raise NotFound("user")
    if user.role == Role.FRONT_DESK:
        raise InvalidInput(
            "The person on call answers crisis alerts: choose a clinician, supervisor, owner or "
            "admin, not a front-desk account."
        )


def _audit_and_tell(unit: Unit, actor: Actor, shift: OnCallShift, action: str) -> None:
    unit.audit(
        AuditKind.ON_CALL_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="on_call_shift",
        subject_id=shift.id,
        details={
            "action": action,
            "user": str(shift.user_id),
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        },
    )
    unit.emit(
        Event(
            actor.practice_id,
            "on_call.changed",
            (f"practice:{actor.practice_id}",),
            {"shift_id": str(shift.id), "user_id": str(shift.user_id), "action": action},
        )
    )


def do_create_shift(
    unit: Unit, actor: Actor, *, user_id: UUID, starts_at: datetime, ends_at: datetime
) -> OnCallShift:
    """Owners and admins: put someone on call from ``starts_at`` until ``ends_at``."""
    check_admin(actor)
    _check_shift(unit, actor, user_id, starts_at, ends_at)
    shift = OnCallShift(
        id=uuid4(),
        practice_id=actor.practice_id,
        user_id=user_id,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        created_by=actor.user_id,
        created_at=unit.now,
    )
    unit.appointments.insert_shift(shift)
    _audit_and_tell(unit, actor, shift, "created")
    return shift


def do_update_shift(
    unit: Unit,
    actor: Actor,
    shift_id: UUID,
    *,
    user_id: UUID | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> OnCallShift:
    """Owners and admins: change who or when (the fields given)."""
    check_admin(actor)
    current = unit.appointments.shift(actor.practice_id, shift_id)
    if current is None:
        raise NotFound("on-call shift")
    who = user_id or current.user_id
    start = starts_at or current.starts_at
    end = ends_at or current.ends_at
    _check_shift(unit, actor, who, start, end)
    unit.appointments.update_shift(
        actor.practice_id,
        shift_id,
        user_id=who,
        starts_at=start.astimezone(UTC),
        ends_at=end.astimezone(UTC),
    )
    updated = present(unit.appointments.shift(actor.practice_id, shift_id), "shift")
    _audit_and_tell(unit, actor, updated, "updated")
    return updated


def do_delete_shift(unit: Unit, actor: Actor, shift_id: UUID) -> None:
    """Owners and admins: remove a shift."""
    check_admin(actor)
    current = unit.appointments.shift(actor.practice_id, shift_id)
    if current is None:
        raise NotFound("on-call shift")
    unit.appointments.delete_shift(actor.practice_id, shift_id)
    _audit_and_tell(unit, actor, current, "deleted")


def list_shifts(
    unit: Unit, actor: Actor, *, start: datetime | None = None, end: datetime | None = None
) -> list[OnCallShift]:
    """Every member of staff: the shifts overlapping ``[start, end)`` (default: from now,
    four weeks), at most 92 days at a time."""
    start = start or unit.now
    end = end or start + timedelta(days=28)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("from and to need a time zone (for example 2025-12-03T00:00Z).")
    if end <= start or end - start > MAX_LIST:
        raise InvalidInput("List at most 92 days of shifts at a time, from before to.")
    return unit.appointments.shifts_between(actor.practice_id, start, end)


def on_call_now(unit: Unit, actor: Actor) -> list[OnCallNow]:
    """Every member of staff: who is on call right now (may be nobody, or several)."""
    found = []
    for user_id in unit.appointments.on_call_at(actor.practice_id, unit.now):
        user = unit.users.get(actor.practice_id, user_id)
        if user is not None:
            found.append(OnCallNow(user_id, user.display_name))
    return found
