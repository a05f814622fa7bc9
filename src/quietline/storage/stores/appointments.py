"""Appointments and on-call shifts. Every query filters on ``practice_id``, except
:meth:`AppointmentStore.practices_with_due_reminders`: the reminder job works across
practices on purpose (one practice at a time afterwards, each by its own policy), like the
expiry purge.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import Appointment, OnCallShift
from quietline.storage.tables import appointments, on_call_shifts, users

shifts = on_call_shifts

LIST_LIMIT = 500
ACTIVE_STATUSES = ("scheduled", "confirmed", "reschedule_requested")

_COLUMNS = tuple(appointments.c[name] for name in Appointment.__dataclass_fields__)
_SHIFT_COLUMNS = tuple(on_call_shifts.c[name] for name in OnCallShift.__dataclass_fields__)
# What an update may change (never the ids, the practice or the creation).
_MUTABLE = frozenset(
    {
        "client_id",
        "clinician_id",
        "starts_at",
        "length_minutes",
        "room",
        "status",
        "confirmation_requested_at",
        "responded_at",
        "reminder_sent_at",
        "late_minutes",
        "late_sent_at",
        "updated_at",
    }
)

_GET = select(*_COLUMNS).where(
    appointments.c.practice_id == bindparam("practice_id"),
    appointments.c.id == bindparam("appointment_id"),
)
_NEXT_FOR_CLINICIAN = (
    select(*_COLUMNS)
    .where(
        appointments.c.practice_id == bindparam("practice_id"),
        appointments.c.clinician_id == bindparam("clinician_id"),
        appointments.c.status.in_(ACTIVE_STATUSES),
        appointments.c.starts_at >= bindparam("not_before"),
        appointments.c.starts_at < bindparam("before"),
    )
    .order_by(appointments.c.starts_at, appointments.c.id)
    .limit(1)
)
_AWAITING_ANSWER = (
    select(*_COLUMNS)
    .where(
        appointments.c.practice_id == bindparam("practice_id"),
        appointments.c.client_id == bindparam("client_id"),
        appointments.c.status == "scheduled",
        appointments.c.confirmation_requested_at.is_not(None),
        appointments.c.responded_at.is_(None),
        appointments.c.starts_at > bindparam("now"),
    )
    .order_by(appointments.c.starts_at, appointments.c.id)
    .limit(1)
)
# UPDATE statements cannot bind a name that is also a column name: "b_" marks them.
_MARK_REMINDER_SENT = (
    update(appointments)
    .where(
        appointments.c.practice_id == bindparam("b_practice_id"),
        appointments.c.id == bindparam("b_appointment_id"),
        appointments.c.reminder_sent_at.is_(None),
    )
    .values(reminder_sent_at=bindparam("b_now"))
)
_PRACTICES_WITH_DUE_REMINDERS = (
    select(appointments.c.practice_id)
    .where(
        appointments.c.reminder_sent_at.is_(None),
        appointments.c.starts_at > bindparam("now"),
        appointments.c.starts_at <= bindparam("horizon"),
        appointments.c.status.in_(("scheduled", "confirmed")),
    )
    .distinct()
)
_DUE_REMINDERS = (
    select(*_COLUMNS)
    .where(
        appointments.c.practice_id == bindparam("practice_id"),
        appointments.c.reminder_sent_at.is_(None),
        appointments.c.starts_at > bindparam("now"),
        appointments.c.starts_at <= bindparam("until"),
        appointments.c.status.in_(("scheduled", "confirmed")),
    )
    .order_by(appointments.c.starts_at, appointments.c.id)
    .limit(bindparam("limit"))
)

_SHIFT_GET = select(*_SHIFT_COLUMNS).where(
    shifts.c.practice_id == bindparam("practice_id"), shifts.c.id == bindparam("shift_id")
)
_SHIFTS_BETWEEN = (
    select(*_SHIFT_COLUMNS)
    .where(
        shifts.c.practice_id == bindparam("practice_id"),
        shifts.c.ends_at > bindparam("start"),
        shifts.c.starts_at < bindparam("end"),
    )
    .order_by(shifts.c.starts_at, shifts.c.id)
    .limit(LIST_LIMIT)
)
_ON_CALL_AT = (
    select(shifts.c.user_id)
    .join(users, (users.c.id == shifts.c.user_id) & (users.c.practice_id == shifts.c.practice_id))
    .where(
        shifts.c.practice_id == bindparam("practice_id"),
        shifts.c.starts_at <= bindparam("at"),
        shifts.c.ends_at > bindparam("at"),
        users.c.is_active.is_(True),
    )
    .order_by(shifts.c.starts_at, shifts.c.user_id)
)
_SHIFTS_NOT_ENDED_FOR = (
    select(*_SHIFT_COLUMNS)
    .where(
        shifts.c.practice_id == bindparam("practice_id"),
        shifts.c.user_id == bindparam("user_id"),
        shifts.c.ends_at > bindparam("now"),
    )
    .order_by(shifts.c.starts_at, shifts.c.id)
)
_IS_ON_CALL = (
    select(shifts.c.id)
    .where(
        shifts.c.practice_id == bindparam("practice_id"),
        shifts.c.user_id == bindparam("user_id"),
        shifts.c.starts_at <= bindparam("at"),
        shifts.c.ends_at > bindparam("at"),
    )
    .limit(1)
)
_UPCOMING_FOR_CLINICIAN = (
    select(*_COLUMNS)
    .where(
        appointments.c.practice_id == bindparam("practice_id"),
        appointments.c.clinician_id == bindparam("clinician_id"),
        appointments.c.status.in_(ACTIVE_STATUSES),
        appointments.c.starts_at >= bindparam("now"),
    )
    .order_by(appointments.c.starts_at, appointments.c.id)
)
_SHIFT_UPDATE = (
    update(shifts)
    .where(
        shifts.c.practice_id == bindparam("b_practice_id"), shifts.c.id == bindparam("b_shift_id")
    )
    .values(
        user_id=bindparam("b_user_id"),
        starts_at=bindparam("b_starts_at"),
        ends_at=bindparam("b_ends_at"),
    )
)
_SHIFT_DELETE = delete(shifts).where(
    shifts.c.practice_id == bindparam("practice_id"), shifts.c.id == bindparam("shift_id")
)


def _appointment(m: Mapping[Any, Any]) -> Appointment:
    return Appointment(**{c.name: m[c.name] for c in _COLUMNS})


def _shift(m: Mapping[Any, Any]) -> OnCallShift:
    return OnCallShift(**{c.name: m[c.name] for c in _SHIFT_COLUMNS})


class AppointmentStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- appointments -------------------------------------------------------------------
    def insert(self, appointment: Appointment) -> None:
        self._conn.execute(
            appointments.insert(),
            {c.name: getattr(appointment, c.name) for c in _COLUMNS},
        )

    def get(
        self, practice_id: UUID, appointment_id: UUID, *, lock: bool = False
    ) -> Appointment | None:
        """One appointment; ``lock`` takes a row lock on PostgreSQL (SQLite's writer is
        serial) so a concurrent answer and reschedule cannot interleave."""
        query = _GET.with_for_update() if lock else _GET
        m = (
            self._conn.execute(
                query, {"practice_id": practice_id, "appointment_id": appointment_id}
            )
            .mappings()
            .first()
        )
        return _appointment(m) if m else None

    def update(self, practice_id: UUID, appointment_id: UUID, **values: Any) -> None:
        unknown = set(values) - _MUTABLE
        if unknown:
            raise ValueError(f"appointments: cannot update {sorted(unknown)}")
        self._conn.execute(
            update(appointments)
            .where(
                appointments.c.practice_id == practice_id,
                appointments.c.id == appointment_id,
            )
            .values(**values)
        )

    def between(
        self,
        practice_id: UUID,
        start: datetime,
        end: datetime,
        *,
        clinician_id: UUID | None = None,
        client_id: UUID | None = None,
        include_cancelled: bool = True,
        limit: int = LIST_LIMIT,
    ) -> list[Appointment]:
        """Appointments starting in ``[start, end)``, soonest first (at most ``limit``)."""
        query = select(*_COLUMNS).where(
            appointments.c.practice_id == practice_id,
            appointments.c.starts_at >= start,
            appointments.c.starts_at < end,
        )
        if clinician_id is not None:
            query = query.where(appointments.c.clinician_id == clinician_id)
        if client_id is not None:
            query = query.where(appointments.c.client_id == client_id)
        if not include_cancelled:
            query = query.where(appointments.c.status.in_(ACTIVE_STATUSES))
        query = query.order_by(appointments.c.starts_at, appointments.c.id).limit(limit)
        return [_appointment(m) for m in self._conn.execute(query).mappings()]

    def next_for_clinician(
        self, practice_id: UUID, clinician_id: UUID, not_before: datetime, before: datetime
    ) -> Appointment | None:
        """The clinician's first live appointment starting in ``[not_before, before)``."""
        m = (
            self._conn.execute(
                _NEXT_FOR_CLINICIAN,
                {
                    "practice_id": practice_id,
                    "clinician_id": clinician_id,
                    "not_before": not_before,
                    "before": before,
                },
            )
            .mappings()
            .first()
        )
        return _appointment(m) if m else None

    def awaiting_answer(
        self, practice_id: UUID, client_id: UUID, now: datetime
    ) -> Appointment | None:
        """The client's soonest upcoming appointment whose confirmation was asked for and
        not answered yet."""
        m = (
            self._conn.execute(
                _AWAITING_ANSWER, {"practice_id": practice_id, "client_id": client_id, "now": now}
            )
            .mappings()
            .first()
        )
        return _appointment(m) if m else None

    def mark_reminder_sent(self, practice_id: UUID, appointment_id: UUID, now: datetime) -> bool:
        """Claim the appointment's one reminder; False when it was already sent."""
        result = self._conn.execute(
            _MARK_REMINDER_SENT,
            {"b_practice_id": practice_id, "b_appointment_id": appointment_id, "b_now": now},
        )
        return result.rowcount == 1

    def practices_with_due_reminders(self, now: datetime, horizon: datetime) -> list[UUID]:
        """Practices with a live appointment, no reminder sent, starting in ``(now,
        horizon]`` (across practices: the reminder job's first step)."""
        rows = self._conn.execute(_PRACTICES_WITH_DUE_REMINDERS, {"now": now, "horizon": horizon})
        return [row[0] for row in rows]

    def upcoming_for_clinician(
        self, practice_id: UUID, clinician_id: UUID, now: datetime
    ) -> list[Appointment]:
        """Every live (not cancelled) appointment of the clinician starting at ``now`` or
        later, soonest first (offboarding hands them all over: no limit)."""
        rows = self._conn.execute(
            _UPCOMING_FOR_CLINICIAN,
            {"practice_id": practice_id, "clinician_id": clinician_id, "now": now},
        ).mappings()
        return [_appointment(m) for m in rows]

    def due_reminders(
        self, practice_id: UUID, now: datetime, until: datetime, limit: int
    ) -> list[Appointment]:
        """Live appointments without a reminder that start in ``(now, until]``."""
        rows = self._conn.execute(
            _DUE_REMINDERS,
            {"practice_id": practice_id, "now": now, "until": until, "limit": limit},
        ).mappings()
        return [_appointment(m) for m in rows]

    # -- on-call shifts ------------------------------------------------------------------
    def insert_shift(self, shift: OnCallShift) -> None:
        self._conn.execute(
            on_call_shifts.insert(), {c.name: getattr(shift, c.name) for c in _SHIFT_COLUMNS}
        )

    def shift(self, practice_id: UUID, shift_id: UUID) -> OnCallShift | None:
        m = (
            self._conn.execute(_SHIFT_GET, {"practice_id": practice_id, "shift_id": shift_id})
            .mappings()
            .first()
        )
        return _shift(m) if m else None

    def update_shift(
        self,
        practice_id: UUID,
        shift_id: UUID,
        *,
        user_id: UUID,
        starts_at: datetime,
        ends_at: datetime,
    ) -> None:
        self._conn.execute(
            _SHIFT_UPDATE,
            {
                "b_practice_id": practice_id,
                "b_shift_id": shift_id,
                "b_user_id": user_id,
                "b_starts_at": starts_at,
                "b_ends_at": ends_at,
            },
        )

    def delete_shift(self, practice_id: UUID, shift_id: UUID) -> bool:
        result = self._conn.execute(
            _SHIFT_DELETE, {"practice_id": practice_id, "shift_id": shift_id}
        )
        return result.rowcount == 1

    def shifts_between(
        self, practice_id: UUID, start: datetime, end: datetime
    ) -> list[OnCallShift]:
        """Shifts that overlap ``[start, end)``, earliest first (at most LIST_LIMIT)."""
        rows = self._conn.execute(
            _SHIFTS_BETWEEN, {"practice_id": practice_id, "start": start, "end": end}
        ).mappings()
        return [_shift(m) for m in rows]

    def shifts_not_ended_for(
        self, practice_id: UUID, user_id: UUID, now: datetime
    ) -> list[OnCallShift]:
        """The person's shifts that end after ``now`` (the current one and those to come),
        earliest first."""
        rows = self._conn.execute(
            _SHIFTS_NOT_ENDED_FOR, {"practice_id": practice_id, "user_id": user_id, "now": now}
        ).mappings()
        return [_shift(m) for m in rows]

    def is_on_call(self, practice_id: UUID, user_id: UUID, at: datetime) -> bool:
        """Whether a shift of this person covers ``at`` (one query, at most one row)."""
        row = self._conn.execute(
            _IS_ON_CALL, {"practice_id": practice_id, "user_id": user_id, "at": at}
        ).first()
        return row is not None

    def on_call_at(self, practice_id: UUID, at: datetime) -> list[UUID]:
        """Who is on call at ``at`` (active accounts only; each person once)."""
        rows = self._conn.execute(_ON_CALL_AT, {"practice_id": practice_id, "at": at})
        return list(dict.fromkeys(row[0] for row in rows))
