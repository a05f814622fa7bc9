"""Request and response bodies of the HTTP API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from quietline.domain.roles import Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """PostgreSQL cannot store NUL in text and no person types one: refuse it everywhere."""
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("nul_character", "contains a NUL character")
        return value


class SignInIn(Strict):
    practice: str = Field(min_length=1, max_length=64, description="The practice code")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(default="", max_length=200)
    otp_code: str | None = Field(default=None, max_length=16)
    recovery_code: str | None = Field(default=None, max_length=64)


class UserOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    is_active: bool
    has_second_factor: bool
    in_session_until: datetime | None = Field(
        default=None, description="In session until this time (null when not in session)"
    )


class PolicyOut(BaseModel):
    require_second_factor: bool
    session_idle_minutes: int
    session_absolute_hours: int
    app_lock_minutes: int
    default_message_ttl_seconds: int | None
    recall_window_minutes: int
    retention_days: int | None = Field(
        default=None,
        description="Messages older than this many days are erased (null: kept until their "
        "time-to-live, if any). A legal hold keeps a conversation's messages past it.",
    )
    notification_text: str | None = Field(
        default=None,
        description="The words of every push notification (null: 'New secure message'). "
        "Never content: no sender, channel or message text is ever added.",
    )
    supervisor_visibility: bool = False


class PolicyPatch(Strict):
    require_second_factor: bool | None = None
    session_idle_minutes: int | None = Field(default=None, ge=1, le=1440)
    session_absolute_hours: int | None = Field(default=None, ge=1, le=720)
    app_lock_minutes: int | None = Field(default=None, ge=1, le=240)
    default_message_ttl_seconds: int | None = Field(default=None, ge=60, le=315360000)
    recall_window_minutes: int | None = Field(default=None, ge=1, le=43200)
    retention_days: int | None = Field(
        default=None, ge=1, le=36500, strict=True, description="null: no retention limit"
    )
    notification_text: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="Plain words on one line, no placeholders or { } [ ] < > % $ \\ ` "
        "(null: the default 'New secure message')",
    )
    supervisor_visibility: bool | None = Field(default=None, strict=True)


class SignInOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown once.")
    session_id: UUID
    user: UserOut
    practice_id: UUID
    restricted: bool = Field(
        description="True when the practice requires a second factor the person has not set "
        "up: only second-factor set-up and sign-out are allowed until they do."
    )
    policy: PolicyOut


class MeOut(BaseModel):
    user: UserOut
    session_id: UUID
    practice_id: UUID
    practice_name: str
    restricted: bool
    policy: PolicyOut


class DeviceOut(BaseModel):
    id: UUID
    device_name: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class TotpBeginOut(BaseModel):
    secret: str
    otpauth_uri: str


class CodeIn(Strict):
    code: str = Field(min_length=1, max_length=16)


class PasswordIn(Strict):
    password: str = Field(min_length=1, max_length=1024)


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works one time.")


class UserCreateIn(Strict):
    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=1024)


class UserPatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None


class PasswordResetIn(Strict):
    new_password: str = Field(min_length=1, max_length=1024)


class ConversationCreateIn(Strict):
    kind: Literal["direct", "group"]
    user_id: UUID | None = Field(default=None, description="The colleague, for a direct one")
    title: str | None = Field(default=None, max_length=200, description="Channel name")
    member_ids: list[UUID] = Field(default_factory=list, max_length=500)
    default_ttl_seconds: int | None = Field(default=None, ge=10, le=315360000)


class ConversationPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    default_ttl_seconds: int | None = Field(default=None, ge=10, le=315360000)
    logistics_only: bool | None = Field(
        default=None,
        strict=True,
        description="A channel for scheduling only (owners and admins set it)",
    )


class MemberIn(Strict):
    user_id: UUID


class ConversationOut(BaseModel):
    id: UUID
    kind: str
    title: str | None
    member_ids: list[UUID]
    unread: int = Field(
        description="Unread messages from others, counted up to 100 (100 means 100 or more)"
    )
    urgent_unread: bool = Field(
        default=False,
        description="An unread urgent message is waiting (the list shows these first)",
    )
    last_seq: int
    last_activity_at: datetime
    default_ttl_seconds: int | None
    created_at: datetime
    logistics_only: bool = Field(
        default=False, description="A channel for scheduling only, not clinical content"
    )
    client_id: UUID | None = Field(
        default=None, description="Set on a client's thread (kind 'client')"
    )
    may_message_client: bool | None = Field(
        default=None,
        description="A client's thread: whether you may send to the client now (your practice "
        "lets your role message clients); false: staff-only notes only. Null elsewhere",
    )


class SendIn(Strict):
    body: str = Field(min_length=1, max_length=4000)
    idempotency_key: str = Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    urgent: bool = False
    ttl_seconds: int | None = Field(default=None, ge=10, le=315360000)
    acknowledge_clinical: bool = Field(
        default=False,
        description="Send even though the clinical-content guard warned (channels marked "
        "logistics-only; audited)",
    )


class MessageOut(BaseModel):
    id: UUID
    conversation_id: UUID
    seq: int
    sender_id: UUID | None = Field(
        description="The staff member who wrote it; null when the client of a client thread did"
    )
    sender_client_id: UUID | None = None
    body: str
    urgent: bool
    created_at: datetime
    expires_at: datetime | None
    internal: bool = Field(default=False, description="A staff-only note in a client thread")
    channel: str | None = Field(
        default=None,
        description="Client threads: how it came in or reached the client "
        "(sms, email, page, link, auto)",
    )


class MessagePageOut(BaseModel):
    messages: list[MessageOut]
    has_more: bool
    next_before: int | None = Field(description="Pass as 'before' for older messages")


class MarkIn(Strict):
    kind: Literal["delivered", "seen"]
    up_to_seq: int = Field(ge=0, le=2**62)


class MarkOut(BaseModel):
    kind: str
    up_to_seq: int


class ReceiptOut(BaseModel):
    user_id: UUID
    delivered_at: datetime | None
    seen_at: datetime | None


class SearchIn(Strict):
    query: str = Field(min_length=2, max_length=200)
    conversation_id: UUID | None = None
    limit: int = Field(default=50, ge=1, le=200)


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor_user_id: UUID | None
    actor_session_id: UUID | None
    subject_type: str | None
    subject_id: str | None
    details: dict[str, object]


class AuditVerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None


class HealthOut(BaseModel):
    status: Literal["ok"]


# -- the staff web app ---------------------------------------------------------------------
class WebSignInIn(SignInIn):
    passkey: dict[str, Any] | None = Field(
        default=None, description="The PublicKeyCredential (JSON form) answering passkey_options"
    )


class WebSignInOut(BaseModel):
    session_id: UUID
    user: UserOut
    practice_id: UUID
    practice_name: str
    restricted: bool
    policy: PolicyOut
    csrf_token: str = Field(description="Send as X-CSRF-Token with every write")


class WebSessionOut(BaseModel):
    csrf_token: str
    locked: bool
    me: MeOut


class UnlockIn(Strict):
    pin: str | None = Field(default=None, max_length=12)
    password: str | None = Field(default=None, max_length=1024)
    passkey: dict[str, Any] | None = None


class PinIn(Strict):
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")
    password: str = Field(min_length=1, max_length=1024)


class StatusIn(Strict):
    minutes: int | None = Field(default=None, ge=1, le=480)
    until: datetime | None = None


class StatusOut(BaseModel):
    in_session_until: datetime | None


class PushKeysIn(Strict):
    p256dh: str = Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_=-]+$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_=-]+$")


class PushSubscriptionIn(Strict):
    endpoint: str = Field(min_length=10, max_length=2048)
    keys: PushKeysIn
    expirationTime: float | None = Field(default=None)  # noqa: N815 - the browser's name


class VapidKeyOut(BaseModel):
    public_key: str = Field(description="applicationServerKey for pushManager.subscribe")


class PasskeyCreateIn(Strict):
    name: str = Field(default="Passkey", max_length=100)
    credential: dict[str, Any]


class PasskeyOut(BaseModel):
    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


class QuickRepliesBody(Strict):
    # Blank entries are dropped before the limit of 20 is applied (by the action).
    replies: list[str] = Field(max_length=100)


class MemberReceiptOut(BaseModel):
    user_id: UUID
    delivered_seq: int
    seen_seq: int


class ReceiptMarkOut(BaseModel):
    user_id: UUID
    kind: str
    up_to_seq: int
    at: datetime


class ConversationReceiptsOut(BaseModel):
    members: list[MemberReceiptOut]
    marks: list[ReceiptMarkOut]


# -- staff joining and leaving: invitations, offboarding, the admin's device list ----------
class InviteIn(Strict):
    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    valid_hours: int = Field(
        default=72, ge=1, le=336, description="How long the link works (default 72 hours)"
    )


class InviteOut(BaseModel):
    id: UUID
    email: str
    display_name: str
    role: Role
    state: Literal["pending", "used", "expired", "revoked"]
    created_by: UUID
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: UUID | None = Field(description="The account the invitation created")
    revoked_at: datetime | None


class InviteCreatedOut(InviteOut):
    link: str = Field(
        description="The single-use link to pass on privately (<origin>/app/#/join/<token>). "
        "Shown once: the server keeps only a hash of its token."
    )


class InviteAcceptIn(Strict):
    token: str = Field(min_length=1, max_length=200, description="The token of the link")
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(default="", max_length=200)


class OffboardIn(Strict):
    hand_to: UUID = Field(
        description="An active colleague who becomes a member of every group conversation "
        "the person leaving was in, and takes over their clients, client threads, upcoming "
        "appointments and on-call shifts (a clinician, supervisor, owner or admin when there "
        "are any)"
    )


class OffboardingSummaryOut(BaseModel):
    format: int
    role: str
    account_deactivated: bool
    was_active: bool
    devices_revoked: int
    device_ids: list[UUID]
    push_subscriptions_removed: int
    conversations_left: int
    conversation_ids_left: list[UUID]
    conversations_handed_over: int = Field(description="Group conversations only")
    conversation_ids_handed_over: list[UUID]
    colleague_added_to: int = Field(
        description="Of those handed over, the ones the colleague was not yet a member of"
    )
    ownership_transferred: int = Field(
        description="Channels the person had created: their creator rights moved to the colleague"
    )
    status_cleared: bool
    held_notifications_cleared: int
    client_threads: int = Field(
        description="Threads of the clients handed over: the colleague is a member of each"
    )
    client_thread_ids: list[UUID] = Field(default_factory=list)
    assignments: int = Field(description="Clients the colleague is now assigned to instead")
    client_ids: list[UUID] = Field(default_factory=list)
    appointments: int = Field(
        default=0, description="Upcoming appointments (not cancelled) moved to the colleague"
    )
    appointment_ids: list[UUID] = Field(default_factory=list)
    on_call_duties: int = Field(
        description="On-call shifts the colleague now holds (current and future ones)"
    )
    on_call_shift_ids: list[UUID] = Field(default_factory=list)
    on_call_shifts_split: int = Field(
        default=0,
        description="Shifts under way, split at the time of offboarding: the shift goes on "
        "under the colleague, and the part already served stays with the person leaving",
    )
    on_call_served_shift_ids: list[UUID] = Field(
        default_factory=list,
        description="The parts already served of the shifts under way: new shifts, of the "
        "person leaving, ending at the time of offboarding",
    )
    note: str | None = Field(
        default=None, description="Format 1 records only (before client messaging existed)"
    )


class OffboardingPreviewOut(BaseModel):
    """What offboarding the person would hand over if it ran now (counts only)."""

    user_id: UUID
    conversations: int = Field(description="Every conversation they would leave")
    group_conversations: int = Field(description="Handed to the colleague")
    client_threads: int = Field(description="Their clients' threads, which the colleague joins")
    clients: int = Field(description="Client assignments that pass to the colleague")
    appointments: int = Field(description="Upcoming appointments, not cancelled")
    on_call_shifts: int = Field(description="Current and future on-call shifts")
    already_offboarded: bool


class OffboardingRecordOut(BaseModel):
    id: UUID
    user_id: UUID
    performed_by: UUID
    performed_at: datetime
    handed_to: UUID | None
    summary: OffboardingSummaryOut


class PracticeDeviceOut(BaseModel):
    id: UUID
    user_id: UUID
    display_name: str
    device_name: str
    client: Literal["web", "api"]
    created_at: datetime
    last_seen_at: datetime
    locked: bool = Field(description="The web app on this device is locked")
    current: bool


# -- oversight: emergency access, access report, audit export (issue 5) --------------------
class EmergencyAccessIn(Strict):
    reason: str = Field(
        min_length=10,
        max_length=500,
        description="Why this conversation must be read now. Stored encrypted; shown to the "
        "conversation's members and to admins, never put in the audit log or an event.",
    )
    minutes: int = Field(default=60, ge=1, le=240, description="How long the access lasts")


class EmergencyAccessOut(BaseModel):
    id: UUID
    conversation_id: UUID
    user_id: UUID = Field(description="Who opened it (and holds the access)")
    opened_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    live: bool = Field(description="Not closed and not yet expired")
    reason: str | None = Field(description="Null only if the stored reason cannot be decrypted")


class AccessReportRowOut(BaseModel):
    seq: int = Field(description="The audit entry's sequence number")
    at: datetime
    user_id: UUID | None
    user_name: str | None
    device_session_id: UUID | None
    device_name: str | None
    conversation_id: UUID | None
    via: str | None = Field(description="history, backlog, live, search or seen")
    message_ids: list[UUID]
    up_to_seq: int | None = Field(description="For 'seen': messages up to this seq were seen")
    emergency_access: bool = Field(description="Read under emergency access, not membership")
    grant_id: UUID | None
    client_id: UUID | None = Field(description="The client whose thread this is, if any")
    supervision: bool = Field(description="Read as a supervisor, not as a member")


class AccessReportSummaryOut(BaseModel):
    entries: int = Field(description="Every matching entry in the range, not only this page")
    emergency_entries: int
    people: int
    devices: int


class AccessReportOut(BaseModel):
    since: datetime
    until: datetime
    conversation_id: UUID | None
    client_id: UUID | None
    user_id: UUID | None
    rows: list[AccessReportRowOut]
    summary: AccessReportSummaryOut
    next_after_seq: int | None = Field(description="Pass as 'after_seq' for the next page")


class AccessExportRowOut(BaseModel):
    """One view in the access report's file (JSON; the CSV has the same columns)."""

    seq: int
    at: datetime
    user_id: UUID | None
    user_name: str | None
    device_session_id: UUID | None
    device_name: str | None
    conversation_id: UUID | None
    client_id: UUID | None
    via: str | None
    message_ids: list[UUID]
    up_to_seq: int | None
    emergency_access: bool
    grant_id: UUID | None
    supervision: bool


class AuditExportRowOut(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor_user_id: UUID | None
    actor_session_id: UUID | None
    subject_type: str | None
    subject_id: str | None
    emergency_access: UUID | None = Field(description="The grant a read was made under")
    details: dict[str, Any]


# -- retention and legal holds (issue 5) -------------------------------------------------------
class LegalHoldIn(Strict):
    reason: str = Field(
        min_length=10,
        max_length=500,
        description="Why (the case or request the hold is for); stored encrypted",
    )


class LegalHoldNewIn(LegalHoldIn):
    conversation_id: UUID | None = Field(default=None, description="Hold this conversation")
    client_id: UUID | None = Field(
        default=None, description="Or hold this client: every thread of theirs, now and later"
    )


class LegalHoldOut(BaseModel):
    id: UUID
    conversation_id: UUID | None = Field(description="Set for a hold on a conversation")
    client_id: UUID | None = Field(description="Set for a hold on a client")
    reason: str | None = Field(description="Null only if the stored reason cannot be decrypted")
    placed_by: UUID
    placed_at: datetime
    released_by: UUID | None
    released_at: datetime | None
    active: bool


class RetentionCountOut(BaseModel):
    conversation_id: UUID
    messages: int


class RetentionClientCountOut(BaseModel):
    client_id: UUID
    messages: int


class RetentionRunOut(BaseModel):
    seq: int = Field(description="The run's entry in the audit trail")
    at: datetime
    retention_days: int | None
    cutoff: datetime | None = Field(description="Messages created before this were due")
    erased: int = Field(description="Messages whose content and key were destroyed")
    conversations: list[RetentionCountOut] = Field(description="Erased, per conversation")
    held: list[RetentionCountOut] = Field(
        description="Conversations skipped for a legal hold, with the messages past "
        "retention the hold keeps"
    )
    held_clients: list[RetentionClientCountOut] = Field(
        description="Clients under legal hold, with the messages past retention kept in "
        "their threads (those threads are in 'held' too)"
    )
    tombstones_deleted: int = Field(description="Emptied rows deleted a day after erasure")


class RetentionReportOut(BaseModel):
    retention_days: int | None
    held_conversations: list[UUID] = Field(description="Conversations held on their own")
    held_clients: list[UUID] = Field(description="Clients held: every thread of theirs")
    runs: list[RetentionRunOut] = Field(
        description="The last purge runs that found something, newest first"
    )


# -- compliance page ------------------------------------------------------------------------
class ComplianceCheckOut(BaseModel):
    key: str
    title: str
    state: Literal["ok", "warning", "problem", "unknown"]
    summary: str
    explanation: str


class ComplianceOut(BaseModel):
    checks: list[ComplianceCheckOut]
    generated_at: datetime


class DocumentCheckIn(Strict):
    document: str = Field(min_length=1, max_length=60_000, description="The downloaded text")


class DocumentCheckOut(BaseModel):
    valid: bool
    detail: str


# -- client messaging: outbound SMS and e-mail (decision 0017) --------------------------------
class ClientDeliveryOut(BaseModel):
    outbound_id: UUID
    message_id: UUID | None = Field(
        description="The thread message this SMS or e-mail carried (or announced); null for "
        "codes and keyword answers"
    )
    channel: Literal["sms", "email"]
    purpose: str
    status: Literal["queued", "sending", "sent", "delivered", "undelivered", "failed", "cancelled"]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None = Field(description="When the provider reported it delivered")
    failure: str | None = Field(
        description="Why it has not arrived (yet), in a sentence; null when nothing is wrong"
    )
