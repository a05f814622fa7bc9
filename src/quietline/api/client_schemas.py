"""Request and response bodies of the client routes (api/routes/clients.py): clients,
consent, scheduling templates, sending into a client's thread and the guard check."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from quietline.api.schemas import MessageOut, Strict


class ClientIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    preferred_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(
        default=None,
        max_length=40,
        description="Any common format; without a country code it is read as a US number. "
        "Stored in E.164.",
    )
    email: str | None = Field(default=None, max_length=320)
    date_of_birth: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    notes: str | None = Field(default=None, max_length=4000, description="For staff only")
    clinician_ids: list[UUID] | None = Field(
        default=None,
        max_length=20,
        description="The assigned clinicians (default: you, unless you are front desk)",
    )


class ClientPatch(Strict):
    """Only the fields sent change; null clears a field (except the name)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    preferred_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    date_of_birth: str | None = Field(default=None, max_length=10)
    notes: str | None = Field(default=None, max_length=4000)


class ConsentStateOut(BaseModel):
    sms: bool = Field(description="Consent to plain SMS for scheduling is in force")
    email: bool = Field(description="Consent to plain e-mail for scheduling is in force")


class ClientOut(BaseModel):
    id: UUID
    name: str
    preferred_name: str | None
    display_name: str
    phone: str | None = Field(description="E.164, like +14155550100")
    email: str | None
    date_of_birth: str | None
    notes: str | None
    sms_opted_out_at: datetime | None = Field(
        description="When the client texted STOP (no SMS goes to them until START)"
    )
    archived_at: datetime | None
    created_at: datetime
    created_by: UUID | None
    clinician_ids: list[UUID]
    conversation_id: UUID | None = Field(description="The client's thread")
    consent: ConsentStateOut


class ClientSummaryOut(BaseModel):
    id: UUID
    name: str
    preferred_name: str | None
    display_name: str
    archived_at: datetime | None
    clinician_ids: list[UUID]
    conversation_id: UUID | None
    has_phone: bool
    has_email: bool
    sms_opted_out: bool
    consent: ConsentStateOut = Field(
        description="Consent to plain messages in force, per channel (the list shows Text OK)"
    )


class ClientSearchIn(Strict):
    query: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Part of a name or preferred name (case and accents ignored)",
    )
    include_archived: bool = False
    limit: int = Field(default=100, ge=1, le=500)


class ClinicianIn(Strict):
    user_id: UUID


class ConsentIn(Strict):
    channel: Literal["sms", "email"]
    granted: bool = Field(description="true: the client agreed; false: they withdrew")
    method: Literal["verbal", "written", "staff"] = Field(
        description="How the client gave their answer"
    )
    warning_shown: str | None = Field(
        default=None,
        max_length=2000,
        description="The warning the client was shown; refused if it is not the practice's "
        "current one. The current warning is stored with a grant either way.",
    )


class ConsentOut(BaseModel):
    id: UUID
    channel: str
    granted: bool
    warning_text: str | None = Field(description="The exact warning shown (grants)")
    method: str
    recorded_by: UUID | None
    recorded_at: datetime


class ConsentHistoryOut(BaseModel):
    warning_text: str = Field(description="The warning to show before asking")
    in_force: dict[str, ConsentOut | None]
    history: list[ConsentOut] = Field(description="Newest first")


class TemplateIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    body: str = Field(
        min_length=1,
        max_length=320,
        description="Scheduling text; placeholders {time}, {date}, {minutes}, {clinician}",
    )
    position: int | None = Field(default=None, ge=0, le=10_000)


class TemplatePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    body: str | None = Field(default=None, min_length=1, max_length=320)
    position: int | None = Field(default=None, ge=0, le=10_000)


class TemplateOut(BaseModel):
    id: UUID
    name: str
    body: str
    placeholders: list[str]
    position: int


class ClientMessageIn(Strict):
    text: str | None = Field(default=None, min_length=1, max_length=4000)
    template_id: UUID | None = None
    values: dict[str, str | int] | None = Field(
        default=None,
        max_length=4,
        description='Template values, e.g. {"time": "3:10 pm", "date": "2026-03-03", '
        '"minutes": 10, "clinician": "<staff id>"}',
    )
    idempotency_key: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    internal: bool = Field(default=False, description="A staff-only note: never sent")
    delivery: Literal["auto", "secure_page"] = Field(
        default="auto",
        description="auto: the delivery rule decides; secure_page: always by notice and link",
    )
    acknowledge_clinical: bool = Field(
        default=False,
        description="Send in the clear even though the clinical-content guard warned (audited)",
    )


class DeliveryOut(BaseModel):
    channel: Literal["sms", "email"] | None = Field(
        description="How it went out; null: nothing went out (see reason)"
    )
    clear: bool = Field(description="The text itself went; false: the notice and a link")
    reason: str | None = Field(
        description="Why nothing went out: opted_out, no_address or archived"
    )
    outbound_id: UUID | None


class ClientMessageOut(BaseModel):
    message: MessageOut
    created: bool = Field(description="false: a retry of an earlier send; nothing sent again")
    delivery: DeliveryOut | None = Field(description="null for a staff-only note or a retry")


class GuardCheckIn(Strict):
    text: str = Field(max_length=4000)
    conversation_id: UUID


class GuardCheckOut(BaseModel):
    clinical: bool
    reasons: list[str]
    action: Literal["none", "warn", "block"]
    would_send_as: Literal["sms", "email", "link", "page"] | None = Field(
        description="Client threads: how the client would get it; null elsewhere"
    )
