"""The practice's client-messaging settings: hours, holidays, the words of its automatic
replies, who may message clients, its SMS number and e-mail sender. Everyone on staff reads
them; owners and admins change them (the action checks)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from quietline.actions.client_settings import (
    ClientMessagingSettings,
    do_update_client_messaging,
    get_client_messaging,
)
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.schemas import Strict

router = APIRouter(tags=["client messaging settings"])
_TEXT = 5000  # the action gives the real limits, with a sentence


class HoursIn(Strict):
    weekday: int = Field(description="0 Monday .. 6 Sunday")
    opens: str = Field(max_length=8, description="HH:MM, 24-hour clock")
    closes: str = Field(max_length=8, description="HH:MM, after opens")


class HoursOut(BaseModel):
    weekday: int
    opens: str
    closes: str


class ClientMessagingIn(Strict):
    """Only the fields sent change; the others keep their value."""

    timezone: str | None = Field(default=None, max_length=64, description="IANA name")
    hours: list[HoursIn] | None = Field(default=None, max_length=50)
    holidays: list[date] | None = Field(default=None, max_length=500)
    after_hours_reply: str | None = Field(default=None, max_length=_TEXT)
    crisis_reply: str | None = Field(
        default=None, max_length=_TEXT, description="Must keep 988 and 911"
    )
    crisis_reply_spanish: str | None = Field(
        default=None,
        max_length=_TEXT,
        description="Sent instead when the message was in Spanish; must keep 988 and 911",
    )
    late_reply: str | None = Field(default=None, max_length=_TEXT)
    help_reply: str | None = Field(default=None, max_length=_TEXT)
    notice_text: str | None = Field(
        default=None, max_length=_TEXT, description="Must hold {link} exactly once"
    )
    consent_warning: str | None = Field(default=None, max_length=_TEXT)
    front_desk_in_client_threads: bool | None = None
    plain_messages: str | None = Field(
        default=None, max_length=32, description="templates_only or logistics"
    )
    clinical_guard: str | None = Field(default=None, max_length=16, description="warn or block")
    require_date_of_birth: bool | None = None
    reminder_hours_before: int | None = Field(default=None, description="0: no reminders")
    link_ttl_hours: int | None = None
    client_session_idle_minutes: int | None = None
    client_session_absolute_minutes: int | None = None
    client_senders: list[str] | None = Field(
        default=None,
        max_length=10,
        description="Who may message clients: role names (owner, admin, supervisor, clinician, "
        "front_desk); owner must stay in the list. Staff-only notes stay open to every member",
    )
    sms_number: str | None = Field(
        default=None, max_length=40, description="E.164, e.g. +15551234567; null removes it"
    )
    email_from: str | None = Field(default=None, max_length=320, description="null removes it")


class ClientMessagingOut(BaseModel):
    timezone: str
    hours: list[HoursOut]
    holidays: list[date]
    after_hours_reply: str
    crisis_reply: str
    crisis_reply_spanish: str
    late_reply: str
    help_reply: str
    notice_text: str
    consent_warning: str
    front_desk_in_client_threads: bool
    plain_messages: str
    clinical_guard: str
    require_date_of_birth: bool
    reminder_hours_before: int
    link_ttl_hours: int
    client_session_idle_minutes: int
    client_session_absolute_minutes: int
    client_senders: list[str] = Field(
        description="The roles whose members may send to clients (owners always may)"
    )
    sms_number: str | None
    email_from: str | None
    updated_at: datetime | None
    open_now: bool = Field(description="Whether the office is open now by these hours")
    warnings: list[str] = Field(description="Advice, such as a reply long enough for 2 SMS")


def _out(settings: ClientMessagingSettings) -> ClientMessagingOut:
    return ClientMessagingOut(
        **settings.policy.to_json(),
        sms_number=settings.sms_number,
        email_from=settings.email_from,
        updated_at=settings.updated_at,
        open_now=settings.open_now,
        warnings=list(settings.warnings),
    )


@router.get("/practice/client-messaging", response_model=ClientMessagingOut)
async def client_messaging(actor: SignedIn, svc: ServicesDep) -> ClientMessagingOut:
    """The practice's office hours, holidays, automatic replies and client settings."""
    return _out(await svc.db.read(lambda unit: get_client_messaging(unit, actor)))


@router.put("/practice/client-messaging", response_model=ClientMessagingOut)
async def update_client_messaging(
    body: ClientMessagingIn, actor: SignedIn, svc: ServicesDep
) -> ClientMessagingOut:
    """Owners and admins: change the fields sent (the others keep their value). The crisis
    reply must keep 988 and 911; the after-hours reply 911; the notice {link}."""
    changes = body.model_dump(exclude_unset=True)
    updated = await svc.db.write(
        lambda unit: do_update_client_messaging(unit, actor, svc.lookup_key, changes)
    )
    return _out(updated)
