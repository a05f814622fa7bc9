"""On-call shifts: who answers when a client's message reads as a crisis outside (or inside)
office hours. Owners and admins plan the shifts; every member of staff may see them and who
is on call now. Shifts may overlap (two people on call); the urgent alert goes to everyone on
call at that moment (see :func:`quietline.actions.boundaries.alert_recipients`).

Being on call also qualifies someone to open emergency access to a client's thread while
their shift lasts (:func:`may_break_glass`; decision 0014). When someone is offboarded, their shifts
that have not ended pass to a colleague (:func:`hand_over_shifts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from quietline.actions.context import Actor, check_admin
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound, present
from quietline.domain.events import Event
from quietline.domain.models import Conversation, OnCallShift
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

MAX_SHIFT = timedelta(days=31)
MAX_LIST = timedelta(days=92)
MAX_DAYS_AHEAD = 366
# Who may be on call: whoever may answer a crisis alert (never a front-desk account).
ON_CALL_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.CLINICIAN})


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
    if user.role not in ON_CALL_ROLES:
        raise InvalidInput(
            "The person on call answers crisis alerts: choose a clinician, supervisor, owner or "
            "admin, not a front-desk account."
        )


def _audit_and_tell(
    unit: Unit, actor: Actor, shift: OnCallShift, action: str, *, reason: str | None = None
) -> None:
    details: dict[str, object] = {
        "action": action,
        "user": str(shift.user_id),
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }
    if reason is not None:
        details["reason"] = reason
    unit.audit(
        AuditKind.ON_CALL_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="on_call_shift",
        subject_id=shift.id,
        details=details,
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


def is_on_call_now(unit: Unit, actor: Actor) -> bool:
    """Whether a shift of the actor covers this moment (``unit.now``), in a role that may be
    on call. One query."""
    return actor.user.role in ON_CALL_ROLES and unit.appointments.is_on_call(
        actor.practice_id, actor.user_id, unit.now
    )


def may_break_glass(unit: Unit, actor: Actor, conversation: Conversation) -> bool:
    """The one rule for who may hold emergency access to ``conversation`` (decision 0014),
    checked when a grant is opened and again on every read under it: an owner or admin, for
    any conversation; someone on call now, for a client's thread. So a demoted admin's grant
    stops working, and an on-call clinician's grant stops when the shift ends."""
    if actor.is_admin:
        return True
    return conversation.is_client_thread and is_on_call_now(unit, actor)


@dataclass(frozen=True, slots=True)
class ShiftHandover:
    """What :func:`hand_over_shifts` did."""

    shift_ids: list[UUID]  # the shifts that changed hands (the same ids as before)
    served_ids: list[UUID]  # new records of the part of a shift under way already served


def hand_over_shifts(
    unit: Unit, actor: Actor, from_user_id: UUID, to_user_id: UUID, *, reason: str
) -> ShiftHandover:
    """Give ``to_user_id`` every shift of ``from_user_id`` that has not ended, keeping each
    shift's id. A shift still to come changes hands whole. A shift under way is split at
    ``unit.now``: it goes on, under the colleague, from now to its end, and the part already
    served stays on record with the person who served it, as a new shift that ends now (so
    "who was on call at 10:00" keeps its true answer). Each change is audited (with
    ``reason``) and announced.

    The caller has checked the actor (an owner or admin) and that ``to_user_id`` is an active
    colleague in :data:`ON_CALL_ROLES`. Time limits of planning (:func:`_check_shift`) do not
    apply: this moves shifts that were planned already."""
    pid = actor.practice_id
    moved: list[UUID] = []
    served: list[UUID] = []
    for shift in unit.appointments.shifts_not_ended_for(pid, from_user_id, unit.now):
        start = shift.starts_at
        if start < unit.now:
            past = OnCallShift(
                id=uuid4(),
                practice_id=pid,
                user_id=from_user_id,
                starts_at=start,
                ends_at=unit.now,
                created_by=actor.user_id,
                created_at=unit.now,
            )
            unit.appointments.insert_shift(past)
            _audit_and_tell(unit, actor, past, "created", reason=reason)
            served.append(past.id)
            start = unit.now
        unit.appointments.update_shift(
            pid, shift.id, user_id=to_user_id, starts_at=start, ends_at=shift.ends_at
        )
        updated = present(unit.appointments.shift(pid, shift.id), "shift")
        _audit_and_tell(unit, actor, updated, "updated", reason=reason)
        moved.append(shift.id)
    return ShiftHandover(moved, served)
