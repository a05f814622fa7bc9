"""Appointments: booking, the one-tap messages to the client (ask for confirmation, running
late), the client's answer (C or R by SMS or e-mail, or a tap on the secure page) and
reminders.

Who sees what: owners, admins and the front desk see and manage every appointment of the
practice; clinicians and supervisors their own (where they are the clinician), and they book
only clients assigned to them. Anything else is "not found", like another practice's records.

What the client is sent is fixed text holding only a date, a time or a number (so it may go in
the clear to a client who consented; without consent :func:`deliver_to_client` sends the
notice and a link instead). Every text sent is also written into the client's thread, so
staff see exactly what went out and the client can read it on the secure page: a one-tap
message as a message from the person who tapped, a reminder as an automatic message
(channel ``auto``; see docs/decisions/0020-boundaries-and-auto-replies.md). Times shown to
clients are in the practice's time zone ("Thu Dec 3 at 3:10 PM").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from uuid import UUID, uuid4

from quietline.actions.client_messages import Delivery, deliver_and_record
from quietline.actions.client_senders import check_client_sender
from quietline.actions.client_settings import zone
from quietline.actions.clients import check_client
from quietline.actions.context import Actor
from quietline.domain.audit import AuditKind
from quietline.domain.client_policy import ClientMessagingPolicy
from quietline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.models import Appointment
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

MIN_LENGTH_MINUTES = 5
MAX_LENGTH_MINUTES = 8 * 60
MAX_ROOM = 40
MAX_DAYS_AHEAD = 2 * 365
MAX_LIST_DAYS = 62
MIN_LATE_MINUTES = 1
MAX_LATE_MINUTES = 120
# "Running late" goes to the clinician's next appointment today: the first one that starts
# from now on, or that was due to start at most this long ago (the client is waiting).
LATE_GRACE = timedelta(minutes=15)
# A client who writes "running late" is matched with today's appointment that started at
# most this long ago, or starts later today.
CLIENT_LATE_GRACE = timedelta(minutes=60)
# A second tap on "ask for confirmation" or the same "running late" within this long sends
# nothing again (phones double-tap; the client would get the text twice).
REPEAT_GUARD = timedelta(minutes=1)
REMINDER_BATCH = 50  # reminders per run of the job; the next run takes the rest
MAX_REMINDER_HOURS = 7 * 24

CONFIRM_TEXT = "Please reply C to confirm your appointment on {date} at {time}, or R to reschedule."
LATE_NOTICE_TEXT = "Your clinician is running about {minutes} minutes late. Sorry for the wait."
REMINDER_TEXT = "Reminder: you have an appointment on {date} at {time}."
CONFIRMED_TEXT = "Thank you: your appointment on {date} at {time} is confirmed."
RESCHEDULE_TEXT = (
    "Thank you: we will be in touch to find a new time for your appointment on {date} at {time}."
)

Answer = Literal["confirm", "reschedule"]
_ALL_APPOINTMENTS = frozenset({Role.OWNER, Role.ADMIN, Role.FRONT_DESK})
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# -- times as clients read them --------------------------------------------------------------
def client_date(policy: ClientMessagingPolicy, at: datetime) -> str:
    """``Thu Dec 3``, in the practice's time zone."""
    local = at.astimezone(zone(policy))
    return f"{_DAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day}"


def client_clock(policy: ClientMessagingPolicy, at: datetime) -> str:
    """``3:10 PM``, in the practice's time zone."""
    local = at.astimezone(zone(policy))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def client_when(policy: ClientMessagingPolicy, at: datetime) -> str:
    """``Thu Dec 3 at 3:10 PM``."""
    return f"{client_date(policy, at)} at {client_clock(policy, at)}"


def local_day_bounds(policy: ClientMessagingPolicy, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the practice's local ``day`` begins and the next one begins
    (23 or 25 hours apart on the days the clocks change)."""
    tz = zone(policy)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _end_of_local_day(policy: ClientMessagingPolicy, at: datetime) -> datetime:
    return local_day_bounds(policy, at.astimezone(zone(policy)).date())[1]


# -- access -----------------------------------------------------------------------------------
def manages_all(actor: Actor) -> bool:
    """Owners, admins and the front desk manage every appointment of the practice."""
    return actor.user.role in _ALL_APPOINTMENTS


def check_appointment(
    unit: Unit, actor: Actor, appointment_id: UUID, *, lock: bool = False
) -> Appointment:
    """The appointment, if it is in the actor's practice and theirs to see."""
    found = unit.appointments.get(actor.practice_id, appointment_id, lock=lock)
    if found is None or not (manages_all(actor) or found.clinician_id == actor.user_id):
        raise NotFound("appointment")
    return found


def _check_client(unit: Unit, actor: Actor, client_id: UUID) -> None:
    """The client is one the actor may see (clinicians: assigned to them) and not archived."""
    client = check_client(unit, actor, client_id)
    if client.archived_at is not None:
        raise Conflict("This client is archived. Restore them first to book an appointment.")


def _check_clinician(unit: Unit, actor: Actor, clinician_id: UUID) -> None:
    if not manages_all(actor) and clinician_id != actor.user_id:
        raise Forbidden(
            "Clinicians book their own appointments only; the front desk or an admin can book "
            "for a colleague."
        )
    user = unit.users.get(actor.practice_id, clinician_id)
    if user is None or not user.is_active:
        raise NotFound("user")
    if user.role == Role.FRONT_DESK:
        raise InvalidInput(
            "An appointment is with a clinician: choose a clinician, not a front-desk account."
        )


def _check_when(unit: Unit, starts_at: datetime, length_minutes: int) -> None:
    if starts_at.tzinfo is None:
        raise InvalidInput("The start time needs a time zone (for example 2025-12-03T15:10Z).")
    if starts_at < unit.now - timedelta(days=1):
        raise InvalidInput("An appointment cannot start more than a day in the past.")
    if starts_at > unit.now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput("An appointment can be booked at most two years ahead.")
    if not MIN_LENGTH_MINUTES <= length_minutes <= MAX_LENGTH_MINUTES:
        raise InvalidInput(
            f"An appointment lasts {MIN_LENGTH_MINUTES} to {MAX_LENGTH_MINUTES} minutes."
        )


def _check_room(room: str | None) -> str | None:
    if room is None or not room.strip():
        return None
    room = room.strip()
    if len(room) > MAX_ROOM or not room.isprintable():
        raise InvalidInput(
            f"The room is a short name on one line (at most {MAX_ROOM} characters), such as "
            "'Room 2'."
        )
    return room


# -- events -----------------------------------------------------------------------------------
def _changed(unit: Unit, appointment: Appointment, kind: str = "appointment.updated") -> None:
    """Tell the clinician's devices and the client thread's members (ids and status only)."""
    topics = [user_topic(appointment.clinician_id)]
    thread = unit.conversations.for_client(appointment.practice_id, appointment.client_id)
    if thread is not None:
        topics.append(conversation_topic(thread.id))
    unit.emit(
        Event(
            appointment.practice_id,
            kind,
            tuple(topics),
            {
                "appointment_id": str(appointment.id),
                "client_id": str(appointment.client_id),
                "clinician_id": str(appointment.clinician_id),
                "status": appointment.status,
            },
        )
    )


def _audit(
    unit: Unit,
    kind: AuditKind,
    appointment: Appointment,
    actor: Actor | None,
    details: dict[str, object] | None = None,
) -> None:
    unit.audit(
        kind,
        appointment.practice_id,
        actor_user_id=actor.user_id if actor else None,
        actor_session_id=actor.session_id if actor else None,
        subject_type="appointment",
        subject_id=appointment.id,
        details={"client": str(appointment.client_id), **(details or {})},
    )


# -- the client thread ------------------------------------------------------------------------
def auto_sender_id(unit: Unit, practice_id: UUID) -> UUID | None:
    """Whose name an automatic message is recorded under: the practice's first active owner
    (else its first active admin). The message itself says ``channel = 'auto'``."""
    people = [u for u in unit.users.list_for_practice(practice_id) if u.is_active]
    for role in (Role.OWNER, Role.ADMIN):
        ranked = sorted((u for u in people if u.role == role), key=lambda u: u.created_at)
        if ranked:
            return ranked[0].id
    return None


# -- booking ----------------------------------------------------------------------------------
def do_create_appointment(
    unit: Unit,
    actor: Actor,
    *,
    client_id: UUID,
    starts_at: datetime,
    length_minutes: int,
    clinician_id: UUID | None = None,
    room: str | None = None,
) -> Appointment:
    """Book an appointment (the clinician defaults to the person booking)."""
    clinician_id = clinician_id or actor.user_id
    _check_client(unit, actor, client_id)
    _check_clinician(unit, actor, clinician_id)
    _check_when(unit, starts_at, length_minutes)
    appointment = Appointment(
        id=uuid4(),
        practice_id=actor.practice_id,
        client_id=client_id,
        clinician_id=clinician_id,
        starts_at=starts_at.astimezone(UTC),
        length_minutes=length_minutes,
        room=_check_room(room),
        status="scheduled",
        confirmation_requested_at=None,
        responded_at=None,
        reminder_sent_at=None,
        late_minutes=None,
        late_sent_at=None,
        created_by=actor.user_id,
        created_at=unit.now,
        updated_at=unit.now,
    )
    unit.appointments.insert(appointment)
    _audit(
        unit,
        AuditKind.APPOINTMENT_CREATED,
        appointment,
        actor,
        {"clinician": str(clinician_id), "length_minutes": length_minutes},
    )
    _changed(unit, appointment, "appointment.created")
    return appointment


APPOINTMENT_FIELDS = frozenset({"starts_at", "length_minutes", "room", "clinician_id"})


def do_update_appointment(
    unit: Unit, actor: Actor, appointment_id: UUID, changes: Mapping[str, object]
) -> Appointment:
    """Move, lengthen, change the room or the clinician. A new time starts afresh: the
    confirmation, reminder and running-late state are cleared."""
    unknown = set(changes) - APPOINTMENT_FIELDS
    if unknown:
        raise InvalidInput(
            "Only starts_at, length_minutes, room and clinician_id of an appointment can be "
            "changed."
        )
    current = check_appointment(unit, actor, appointment_id, lock=True)
    if current.status == "cancelled":
        raise Conflict("This appointment was cancelled; book a new one instead.")
    values: dict[str, object] = {}
    starts_at = changes.get("starts_at", current.starts_at)
    length = changes.get("length_minutes", current.length_minutes)
    if not isinstance(starts_at, datetime) or not isinstance(length, int):
        raise InvalidInput("starts_at must be a date and time, length_minutes a number.")
    if starts_at != current.starts_at or length != current.length_minutes:
        _check_when(unit, starts_at, length)
        values["length_minutes"] = length
    if starts_at != current.starts_at:
        values.update(
            starts_at=starts_at.astimezone(UTC),
            status="scheduled",
            confirmation_requested_at=None,
            responded_at=None,
            reminder_sent_at=None,
            late_minutes=None,
            late_sent_at=None,
        )
    if "room" in changes:
        room = changes["room"]
        if room is not None and not isinstance(room, str):
            raise InvalidInput("The room is a short name, or null for none.")
        values["room"] = _check_room(room)
    clinician = changes.get("clinician_id")
    if clinician is not None and clinician != current.clinician_id:
        if not isinstance(clinician, UUID):
            raise InvalidInput("clinician_id must be a user id.")
        _check_clinician(unit, actor, clinician)
        values["clinician_id"] = clinician
    if not values:
        return current
    unit.appointments.update(actor.practice_id, appointment_id, updated_at=unit.now, **values)
    updated = present(unit.appointments.get(actor.practice_id, appointment_id), "appointment")
    _audit(
        unit,
        AuditKind.APPOINTMENT_UPDATED,
        updated,
        actor,
        {"fields": sorted(k for k in values if k in APPOINTMENT_FIELDS)},
    )
    _changed(unit, updated)
    if current.clinician_id != updated.clinician_id:
        _changed(unit, current)  # the previous clinician's devices drop it
    return updated


def do_cancel_appointment(unit: Unit, actor: Actor, appointment_id: UUID) -> Appointment:
    """Cancel (no message goes to the client; write to them in their thread). Cancelling
    twice is harmless."""
    current = check_appointment(unit, actor, appointment_id, lock=True)
    if current.status == "cancelled":
        return current
    unit.appointments.update(
        actor.practice_id, appointment_id, status="cancelled", updated_at=unit.now
    )
    updated = present(unit.appointments.get(actor.practice_id, appointment_id), "appointment")
    _audit(unit, AuditKind.APPOINTMENT_UPDATED, updated, actor, {"status": "cancelled"})
    _changed(unit, updated)
    return updated


def get_appointment(unit: Unit, actor: Actor, appointment_id: UUID) -> Appointment:
    return check_appointment(unit, actor, appointment_id)


def list_appointments(
    unit: Unit,
    actor: Actor,
    *,
    day: date | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    clinician_id: UUID | None = None,
    client_id: UUID | None = None,
) -> list[Appointment]:
    """Appointments of the practice's local ``day`` (default: today), or starting in
    ``[start, end)`` (at most 62 days), soonest first. Clinicians and supervisors see their
    own only."""
    if start is not None or end is not None:
        if start is None or end is None or day is not None:
            raise InvalidInput("Give either a day, or both from and to.")
        if start.tzinfo is None or end.tzinfo is None:
            raise InvalidInput("from and to need a time zone (for example 2025-12-03T00:00Z).")
        if end <= start or end - start > timedelta(days=MAX_LIST_DAYS):
            raise InvalidInput(f"List at most {MAX_LIST_DAYS} days at a time, from before to.")
    else:
        if day is not None and not 2000 <= day.year <= 2100:
            raise InvalidInput("The day must be a date between the years 2000 and 2100.")
        policy = unit.practice_messaging.policy(actor.practice_id)
        start, end = local_day_bounds(policy, day or unit.now.astimezone(zone(policy)).date())
    if not manages_all(actor):
        if clinician_id not in (None, actor.user_id):
            raise Forbidden("Clinicians see their own appointments only.")
        clinician_id = actor.user_id
    return unit.appointments.between(
        actor.practice_id, start, end, clinician_id=clinician_id, client_id=client_id
    )


# -- asking for confirmation and the client's answer -------------------------------------------
@dataclass(frozen=True, slots=True)
class SentToClient:
    appointment: Appointment
    delivery: Delivery
    message_id: UUID | None  # the message in the client thread


def _send_one_tap(
    unit: Unit,
    actor: Actor,
    appointment: Appointment,
    *,
    text: str,
    purpose: str,
    key_name: str,
    lookup_key: bytes,
    public_origin: str,
    audit_kind: AuditKind,
    audit_details: dict[str, object],
    changes: dict[str, object],
) -> SentToClient:
    """A one-tap message about ``appointment`` (asking for confirmation, running late):
    deliver it, record it in the thread under the staff member's name with the channel it
    took, store ``changes`` on the appointment, audit and tell devices. The caller checked
    that the actor may message clients (:func:`check_client_sender`)."""
    message_id, delivery = deliver_and_record(
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=actor.practice_id,
        client_id=appointment.client_id,
        text=text,
        purpose=purpose,
        sender_id=actor.user_id,
        idempotency_key=f"appt.{key_name}.{appointment.id}.{int(unit.now.timestamp())}",
        created_by=actor.user_id,
    )
    unit.appointments.update(actor.practice_id, appointment.id, **changes, updated_at=unit.now)
    updated = present(unit.appointments.get(actor.practice_id, appointment.id), "appointment")
    _audit(
        unit,
        audit_kind,
        updated,
        actor,
        {
            **audit_details,
            "channel": delivery.channel,
            "message": str(message_id) if message_id else None,
        },
    )
    _changed(unit, updated)
    return SentToClient(updated, delivery, message_id)


def do_request_confirmation(
    unit: Unit, actor: Actor, appointment_id: UUID, *, lookup_key: bytes, public_origin: str
) -> SentToClient:
    """Ask the client to reply C (confirm) or R (reschedule). Asking again resends."""
    appointment = check_appointment(unit, actor, appointment_id, lock=True)
    check_client_sender(unit, actor, one_tap=True)
    if appointment.status != "scheduled":
        raise Conflict(
            {
                "cancelled": "This appointment was cancelled.",
                "confirmed": "The client already confirmed this appointment.",
                "reschedule_requested": "The client asked to reschedule this appointment; "
                "move it to a new time first.",
            }.get(appointment.status, "This appointment cannot be confirmed now.")
        )
    if appointment.starts_at <= unit.now:
        raise Conflict("This appointment has already started.")
    asked = appointment.confirmation_requested_at
    if asked is not None and unit.now - asked < REPEAT_GUARD:
        raise Conflict(
            "The client was asked to confirm less than a minute ago (a second tap?); nothing "
            "was sent again."
        )
    policy = unit.practice_messaging.policy(actor.practice_id)
    text = CONFIRM_TEXT.format(
        date=client_date(policy, appointment.starts_at),
        time=client_clock(policy, appointment.starts_at),
    )
    return _send_one_tap(
        unit,
        actor,
        appointment,
        text=text,
        purpose="confirm_request",
        key_name="confirm",
        lookup_key=lookup_key,
        public_origin=public_origin,
        audit_kind=AuditKind.APPOINTMENT_CONFIRMATION_REQUESTED,
        audit_details={},
        changes={"confirmation_requested_at": unit.now, "responded_at": None},
    )


def respond_to_appointment(
    unit: Unit,
    *,
    practice_id: UUID,
    client_id: UUID,
    appointment_id: UUID | None,
    answer: Answer,
    via: str,
) -> Appointment | None:
    """The client's answer: ``confirm`` or ``reschedule``, by SMS or e-mail (``via``; no
    ``appointment_id``: the soonest appointment awaiting an answer) or by a tap on the secure
    page (``appointment_id``: any upcoming appointment of theirs, and they may change their
    mind). None when there is nothing to answer (the caller treats the text as a message)."""
    if answer not in ("confirm", "reschedule"):
        raise InvalidInput("The answer is confirm or reschedule.")
    if appointment_id is None:
        found = unit.appointments.awaiting_answer(practice_id, client_id, unit.now)
    else:
        found = unit.appointments.get(practice_id, appointment_id, lock=True)
        if (
            found is None
            or found.client_id != client_id
            or found.status == "cancelled"
            or found.starts_at <= unit.now
        ):
            return None
    if found is None:
        return None
    status = "confirmed" if answer == "confirm" else "reschedule_requested"
    unit.appointments.update(
        practice_id, found.id, status=status, responded_at=unit.now, updated_at=unit.now
    )
    updated = present(unit.appointments.get(practice_id, found.id), "appointment")
    _audit(unit, AuditKind.APPOINTMENT_RESPONDED, updated, None, {"answer": answer, "via": via})
    _changed(unit, updated)
    return updated


def answer_text(policy: ClientMessagingPolicy, appointment: Appointment) -> str:
    """The short acknowledgement of a C or R."""
    template = CONFIRMED_TEXT if appointment.status == "confirmed" else RESCHEDULE_TEXT
    return template.format(
        date=client_date(policy, appointment.starts_at),
        time=client_clock(policy, appointment.starts_at),
    )


# -- running late -------------------------------------------------------------------------------
def do_running_late(
    unit: Unit,
    actor: Actor,
    *,
    minutes: int,
    lookup_key: bytes,
    public_origin: str,
    clinician_id: UUID | None = None,
) -> SentToClient:
    """Tell the client of the clinician's next appointment today that the clinician is
    running about ``minutes`` late (1 to 120). Only that one client is told."""
    if isinstance(minutes, bool) or not MIN_LATE_MINUTES <= minutes <= MAX_LATE_MINUTES:
        raise InvalidInput(
            f"Running late is {MIN_LATE_MINUTES} to {MAX_LATE_MINUTES} minutes; for longer, "
            "write to the client or reschedule."
        )
    clinician_id = clinician_id or actor.user_id
    if clinician_id != actor.user_id and not manages_all(actor):
        raise Forbidden("Clinicians send running-late messages for their own appointments.")
    check_client_sender(unit, actor, one_tap=True)
    policy = unit.practice_messaging.policy(actor.practice_id)
    appointment = unit.appointments.next_for_clinician(
        actor.practice_id, clinician_id, unit.now - LATE_GRACE, _end_of_local_day(policy, unit.now)
    )
    if appointment is None:
        raise Conflict(
            "There is no appointment later today to tell (one that was due to start more than "
            "15 minutes ago does not count), so no message was sent."
        )
    told = appointment.late_sent_at
    if told is not None and appointment.late_minutes == minutes and unit.now - told < REPEAT_GUARD:
        raise Conflict(
            "This client was told the same less than a minute ago (a second tap?); nothing was "
            "sent again."
        )
    return _send_one_tap(
        unit,
        actor,
        appointment,
        text=LATE_NOTICE_TEXT.format(minutes=minutes),
        purpose="late_notice",
        key_name="late",
        lookup_key=lookup_key,
        public_origin=public_origin,
        audit_kind=AuditKind.APPOINTMENT_LATE_NOTICE,
        audit_details={"minutes": minutes},
        changes={"late_minutes": minutes, "late_sent_at": unit.now},
    )


def note_client_late(
    unit: Unit, *, practice_id: UUID, client_id: UUID, minutes: int | None, via: str
) -> Appointment | None:
    """The client wrote that they are running late: find today's appointment (started at
    most an hour ago, or later today) and tell the clinician's devices and the thread. None
    when the client has no appointment today."""
    policy = unit.practice_messaging.policy(practice_id)
    candidates = unit.appointments.between(
        practice_id,
        unit.now - CLIENT_LATE_GRACE,
        _end_of_local_day(policy, unit.now),
        client_id=client_id,
        include_cancelled=False,
        limit=1,
    )
    if not candidates:
        return None
    appointment = candidates[0]
    _audit(
        unit,
        AuditKind.APPOINTMENT_UPDATED,
        appointment,
        None,
        {"client_running_late": True, "minutes": minutes, "via": via},
    )
    topics = [user_topic(appointment.clinician_id)]
    thread = unit.conversations.for_client(practice_id, client_id)
    if thread is not None:
        topics.append(conversation_topic(thread.id))
    unit.emit(
        Event(
            practice_id,
            "appointment.client_late",
            tuple(topics),
            {
                "appointment_id": str(appointment.id),
                "client_id": str(client_id),
                "clinician_id": str(appointment.clinician_id),
                "minutes": minutes,
            },
        )
    )
    return appointment


# -- reminders ----------------------------------------------------------------------------------
def due_reminders(unit: Unit, limit: int = REMINDER_BATCH) -> list[tuple[UUID, UUID]]:
    """(practice, appointment) pairs whose reminder is due now, at most ``limit``, across
    practices (each by its own ``reminder_hours_before``; 0 turns reminders off)."""
    found: list[tuple[UUID, UUID]] = []
    horizon = unit.now + timedelta(hours=MAX_REMINDER_HOURS)
    for practice_id in unit.appointments.practices_with_due_reminders(unit.now, horizon):
        hours = unit.practice_messaging.policy(practice_id).reminder_hours_before
        if hours <= 0:
            continue
        until = unit.now + timedelta(hours=hours)
        for appointment in unit.appointments.due_reminders(
            practice_id, unit.now, until, limit - len(found)
        ):
            found.append((practice_id, appointment.id))
        if len(found) >= limit:
            break
    return found


def do_send_reminder(
    unit: Unit, practice_id: UUID, appointment_id: UUID, *, lookup_key: bytes, public_origin: str
) -> bool:
    """Send one appointment's reminder if it is (still) due: from ``reminder_hours_before``
    before the start until the start (so one booked or moved to less than that ahead gets it
    at once), never for a cancelled one; once only. True when sent."""
    appointment = unit.appointments.get(practice_id, appointment_id, lock=True)
    if appointment is None or appointment.status not in ("scheduled", "confirmed"):
        return False
    policy = unit.practice_messaging.policy(practice_id)
    hours = policy.reminder_hours_before
    due_from = appointment.starts_at - timedelta(hours=hours)
    if hours <= 0 or not due_from <= unit.now < appointment.starts_at:
        return False
    if not unit.appointments.mark_reminder_sent(practice_id, appointment.id, unit.now):
        return False
    text = REMINDER_TEXT.format(
        date=client_date(policy, appointment.starts_at),
        time=client_clock(policy, appointment.starts_at),
    )
    posted, delivery = deliver_and_record(
        unit,
        lookup_key=lookup_key,
        public_origin=public_origin,
        practice_id=practice_id,
        client_id=appointment.client_id,
        text=text,
        purpose="reminder",
        sender_id=auto_sender_id(unit, practice_id),
        idempotency_key=f"auto.reminder.{appointment.id}",
        created_by=None,
        thread_channel="auto",
    )
    sent = present(unit.appointments.get(practice_id, appointment.id), "appointment")
    _audit(
        unit,
        AuditKind.APPOINTMENT_REMINDER_SENT,
        sent,
        None,
        {"channel": delivery.channel, "message": str(posted) if posted else None},
    )
    _changed(unit, sent)
    return True


def do_send_due_reminders(
    unit: Unit, *, lookup_key: bytes, public_origin: str, limit: int = REMINDER_BATCH
) -> int:
    """Send every due reminder (at most ``limit``) in this one transaction; the number sent.
    The server's loop sends each in a transaction of its own instead (one failing client
    cannot hold up the others)."""
    sent = 0
    for practice_id, appointment_id in due_reminders(unit, limit):
        if do_send_reminder(
            unit, practice_id, appointment_id, lookup_key=lookup_key, public_origin=public_origin
        ):
            sent += 1
    return sent
