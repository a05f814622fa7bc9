"""Appointments (booking, the one-tap messages to the client, the list), on-call shifts, and
the reminder loop the server runs. The actions check who may do what."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from pydantic_core import PydanticCustomError

from quietline.actions.appointments import (
    SentToClient,
    do_cancel_appointment,
    do_create_appointment,
    do_request_confirmation,
    do_running_late,
    do_send_reminder,
    do_update_appointment,
    due_reminders,
    get_appointment,
    list_appointments,
)
from quietline.actions.on_call import (
    do_create_shift,
    do_delete_shift,
    do_update_shift,
    list_shifts,
    on_call_now,
)
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.schemas import Strict
from quietline.app import Services
from quietline.config import Settings
from quietline.domain.models import Appointment, OnCallShift

log = logging.getLogger(__name__)
router = APIRouter(tags=["appointments and on-call"])
REMINDER_INTERVAL_SECONDS = 60.0


def _in_range(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise PydanticCustomError("time_range", "must be a time between the years 2000 and 2100")
    return value


When = Annotated[AwareDatetime, AfterValidator(_in_range)]


def public_origin(settings: Settings) -> str:
    return settings.link_origin


# -- bodies ------------------------------------------------------------------------------------
class AppointmentIn(Strict):
    client_id: UUID
    starts_at: When = Field(description="With a time zone, e.g. 2025-12-03T15:10:00-05:00")
    length_minutes: int = Field(description="5 to 480")
    clinician_id: UUID | None = Field(default=None, description="Default: the person booking")
    room: str | None = Field(default=None, max_length=200)


class AppointmentPatchIn(Strict):
    starts_at: When | None = None
    length_minutes: int | None = None
    room: str | None = Field(default=None, max_length=200)
    clinician_id: UUID | None = None


class RunningLateIn(Strict):
    minutes: int = Field(description="1 to 120")
    clinician_id: UUID | None = Field(
        default=None, description="Whose next appointment (default: your own)"
    )


class AppointmentOut(BaseModel):
    id: UUID
    client_id: UUID
    clinician_id: UUID
    starts_at: datetime
    length_minutes: int
    room: str | None
    status: str = Field(description="scheduled, confirmed, reschedule_requested or cancelled")
    confirmation_requested_at: datetime | None
    responded_at: datetime | None
    reminder_sent_at: datetime | None
    late_minutes: int | None
    late_sent_at: datetime | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class SentToClientOut(BaseModel):
    appointment: AppointmentOut
    channel: str | None = Field(
        description="sms or email; null when nothing could be sent (the text waits on the "
        "secure page)"
    )
    in_the_clear: bool = Field(description="False: the client got a notice and a secure link")
    message_id: UUID | None = Field(description="The message in the client's thread")


class ShiftIn(Strict):
    user_id: UUID
    starts_at: When
    ends_at: When


class ShiftPatchIn(Strict):
    user_id: UUID | None = None
    starts_at: When | None = None
    ends_at: When | None = None


class ShiftOut(BaseModel):
    id: UUID
    user_id: UUID
    starts_at: datetime
    ends_at: datetime
    created_by: UUID | None
    created_at: datetime


class OnCallNowOut(BaseModel):
    user_id: UUID
    display_name: str


def _out(appointment: Appointment) -> AppointmentOut:
    fields: dict[str, Any] = {
        name: getattr(appointment, name) for name in AppointmentOut.model_fields
    }
    return AppointmentOut(**fields)


def _sent_out(sent: SentToClient) -> SentToClientOut:
    return SentToClientOut(
        appointment=_out(sent.appointment),
        channel=sent.delivery.channel,
        in_the_clear=sent.delivery.clear,
        message_id=sent.message_id,
    )


def _shift_out(shift: OnCallShift) -> ShiftOut:
    fields: dict[str, Any] = {name: getattr(shift, name) for name in ShiftOut.model_fields}
    return ShiftOut(**fields)


# -- appointments ------------------------------------------------------------------------------
@router.post("/appointments", response_model=AppointmentOut, status_code=201)
async def create_appointment(
    body: AppointmentIn, actor: SignedIn, svc: ServicesDep
) -> AppointmentOut:
    """Book an appointment. Clinicians book their own (with clients assigned to them); the
    front desk and admins book for anyone."""
    created = await svc.db.write(
        lambda unit: do_create_appointment(
            unit,
            actor,
            client_id=body.client_id,
            starts_at=body.starts_at,
            length_minutes=body.length_minutes,
            clinician_id=body.clinician_id,
            room=body.room,
        )
    )
    return _out(created)


@router.get("/appointments", response_model=list[AppointmentOut])
async def appointments(
    actor: SignedIn,
    svc: ServicesDep,
    day: Annotated[date | None, Query(description="A day in the practice's time zone")] = None,
    start: Annotated[When | None, Query(alias="from")] = None,
    end: Annotated[When | None, Query(alias="to")] = None,
    clinician_id: UUID | None = None,
    client_id: UUID | None = None,
) -> list[AppointmentOut]:
    """Appointments of one day (``day``, the practice's local day; default today) or between
    ``from`` and ``to``, soonest first; by clinician or client. Clinicians see their own."""

    found = await svc.db.read(
        lambda unit: list_appointments(
            unit,
            actor,
            day=day,
            start=start,
            end=end,
            clinician_id=clinician_id,
            client_id=client_id,
        )
    )
    return [_out(a) for a in found]


@router.post("/running-late", response_model=SentToClientOut)
async def running_late(body: RunningLateIn, actor: SignedIn, svc: ServicesDep) -> SentToClientOut:
    """Tell the client of the next appointment today that the clinician is running about
    ``minutes`` late. Only that client is told. (Not under /appointments/: a fixed name
    there would be shadowed by, and shadow, /appointments/{appointment_id}.)"""
    sent = await svc.db.write(
        lambda unit: do_running_late(
            unit,
            actor,
            minutes=body.minutes,
            clinician_id=body.clinician_id,
            lookup_key=svc.lookup_key,
            public_origin=public_origin(svc.settings),
        )
    )
    return _sent_out(sent)


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut)
async def appointment(appointment_id: UUID, actor: SignedIn, svc: ServicesDep) -> AppointmentOut:
    return _out(await svc.db.read(lambda unit: get_appointment(unit, actor, appointment_id)))


@router.patch("/appointments/{appointment_id}", response_model=AppointmentOut)
async def update_appointment(
    appointment_id: UUID, body: AppointmentPatchIn, actor: SignedIn, svc: ServicesDep
) -> AppointmentOut:
    """Move it, change its length, room or clinician (the fields sent). A new time clears the
    confirmation and reminder: ask again."""
    changes = body.model_dump(exclude_unset=True)
    updated = await svc.db.write(
        lambda unit: do_update_appointment(unit, actor, appointment_id, changes)
    )
    return _out(updated)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut)
async def cancel_appointment(
    appointment_id: UUID, actor: SignedIn, svc: ServicesDep
) -> AppointmentOut:
    """Cancel it (nothing is sent to the client)."""
    return _out(await svc.db.write(lambda unit: do_cancel_appointment(unit, actor, appointment_id)))


@router.post("/appointments/{appointment_id}/confirmation-request", response_model=SentToClientOut)
async def request_confirmation(
    appointment_id: UUID, actor: SignedIn, svc: ServicesDep
) -> SentToClientOut:
    """Ask the client to reply C to confirm or R to reschedule (or tap on the secure page)."""
    sent = await svc.db.write(
        lambda unit: do_request_confirmation(
            unit,
            actor,
            appointment_id,
            lookup_key=svc.lookup_key,
            public_origin=public_origin(svc.settings),
        )
    )
    return _sent_out(sent)


# -- on call -------------------------------------------------------------------------------------
@router.get("/on-call", response_model=list[ShiftOut])
async def shifts(
    actor: SignedIn,
    svc: ServicesDep,
    start: Annotated[When | None, Query(alias="from")] = None,
    end: Annotated[When | None, Query(alias="to")] = None,
) -> list[ShiftOut]:
    """On-call shifts overlapping ``from``..``to`` (default: the next four weeks)."""
    found = await svc.db.read(lambda unit: list_shifts(unit, actor, start=start, end=end))
    return [_shift_out(s) for s in found]


@router.get("/on-call/now", response_model=list[OnCallNowOut])
async def who_is_on_call(actor: SignedIn, svc: ServicesDep) -> list[OnCallNowOut]:
    """Who is on call right now (nobody, one person or several)."""
    found = await svc.db.read(lambda unit: on_call_now(unit, actor))
    return [OnCallNowOut(user_id=p.user_id, display_name=p.display_name) for p in found]


@router.post("/on-call", response_model=ShiftOut, status_code=201)
async def create_shift(body: ShiftIn, actor: SignedIn, svc: ServicesDep) -> ShiftOut:
    """Owners and admins: put someone on call. Crisis alerts go to them while it lasts."""
    created = await svc.db.write(
        lambda unit: do_create_shift(
            unit, actor, user_id=body.user_id, starts_at=body.starts_at, ends_at=body.ends_at
        )
    )
    return _shift_out(created)


@router.patch("/on-call/shifts/{shift_id}", response_model=ShiftOut)
async def update_shift(
    shift_id: UUID, body: ShiftPatchIn, actor: SignedIn, svc: ServicesDep
) -> ShiftOut:
    """Owners and admins: change who or when (the fields sent). (Under /shifts/: an id right
    after /on-call/ would shadow /on-call/now.)"""
    updated = await svc.db.write(
        lambda unit: do_update_shift(
            unit,
            actor,
            shift_id,
            user_id=body.user_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
        )
    )
    return _shift_out(updated)


@router.delete("/on-call/shifts/{shift_id}", status_code=204)
async def delete_shift(shift_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    await svc.db.write(lambda unit: do_delete_shift(unit, actor, shift_id))
    return Response(status_code=204)


# -- the reminder loop ---------------------------------------------------------------------------
async def send_reminders_once(services: Services) -> int:
    """Send the reminders due now, each in a write of its own (one failing appointment does
    not hold up the others); returns how many were sent."""
    origin = public_origin(services.settings)
    sent = 0
    for practice_id, appointment_id in await services.db.read(due_reminders):
        try:
            if await services.db.write(
                partial(
                    do_send_reminder,
                    practice_id=practice_id,
                    appointment_id=appointment_id,
                    lookup_key=services.lookup_key,
                    public_origin=origin,
                )
            ):
                sent += 1
        except Exception as exc:
            log.error(
                "reminder for appointment %s failed: %s", appointment_id, exc.__class__.__name__
            )
    return sent


async def reminder_loop(services: Services, interval: float = REMINDER_INTERVAL_SECONDS) -> None:
    """Runs for the server's life (started in the app's lifespan)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await send_reminders_once(services)
        except Exception as exc:
            log.error("appointment reminders failed: %s", exc.__class__.__name__)
