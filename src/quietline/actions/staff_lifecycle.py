"""Staff joining and leaving: invitations by single-use link, one-step offboarding with its
record, and the admin's list of every device in the practice.

Invitations: the link carries a random token; only its SHA-256 is stored (like session
tokens), the link is shown once, to the admin who made it. Accepting creates the account
with the invited role, marks the invitation used and opens a device session, all in one
transaction. Every link that does not work (unknown, used, expired, withdrawn) gets the same
answer, and failed attempts are counted per client address like sign-in failures.

Offboarding: one transaction deactivates the person, signs out (and so wipes) every device,
removes their push subscriptions, takes them out of every conversation, hands every group
conversation to a colleague, hands their client work to the same colleague (their clients'
assignments, so the colleague joins those clients' threads; their upcoming appointments;
their on-call shifts that have not ended), clears their status and held notifications, and
writes a record of what was done (ids and counts only) and the audit entries. A colleague
who may not take client work (a front-desk account) is refused before anything changes
when there is client work to hand over.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from quietline.actions.auth import THROTTLE_WINDOW, SignedIn, SignInRefused, revoke_sessions
from quietline.actions.clients import CLINICAL_ROLES, thread_member_ids
from quietline.actions.context import Actor, check_admin
from quietline.actions.notifications import status_changed
from quietline.actions.on_call import ON_CALL_ROLES, hand_over_shifts
from quietline.actions.users import check_new_user, get_user
from quietline.crypto.passwords import NewSecret, Passwords, password_problem
from quietline.crypto.tokens import keyed_hash, new_token, token_hash
from quietline.domain.audit import AuditKind
from quietline.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    TooManyRequests,
    present,
)
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.models import Appointment, OnCallShift, Practice, StoredClient, User
from quietline.domain.roles import Role, may_assign_role
from quietline.storage.stores.staff_lifecycle import (
    HeldConversation,
    InviteState,
    OffboardingRecord,
    PracticeDevice,
    StoredInvite,
)
from quietline.storage.unit import Unit

INVITE_TOKEN_PREFIX = "qli_"  # noqa: S105 - a marker that names the kind of token, not a secret
DEFAULT_INVITE_HOURS = 72
MAX_INVITE_HOURS = 14 * 24
MAX_INVITE_ADDRESS_FAILURES = 10
INVITE_LINK_NOT_VALID = (
    "This invitation link does not work any more: it was used already, it expired, or it was "
    "withdrawn. If you already joined, sign in with your email and password; otherwise ask "
    "your practice admin for a new link."
)
_INVITE_THROTTLED = (
    "Too many attempts with invitation links from this network. Wait 15 minutes and try "
    "again, or ask your practice admin for a new link."
)
# 1: before client messaging (client work listed as 0 with NOT_APPLICABLE_YET); 2: client
# threads, assignments, appointments and on-call shifts handed over, with their ids.
OFFBOARDING_RECORD_FORMAT = 2
NOT_APPLICABLE_YET = "not applicable until client messaging exists"  # format 1 records only
OFFBOARDING_REASON = "offboarded"


# -- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedInvite:
    invite: StoredInvite
    token: str  # shown once, in the link; never stored


@dataclass(frozen=True, slots=True)
class InviteView:
    invite: StoredInvite
    state: InviteState


@dataclass(frozen=True, slots=True)
class InviteAcceptance:
    # Secrets stay out of any printed value (a log line, an error's message).
    token: str = field(repr=False)
    password: str = field(repr=False)
    device_name: str
    address: str
    client: str = "api"  # "web": the staff web app, with its cookie and app lock
    # The password hashed before the write, once invite_open said the link works (the
    # writer hashes it only if this is missing or not this password's).
    new_secret: NewSecret | None = field(default=None, repr=False)


def do_create_invite(
    unit: Unit,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: Role,
    valid_hours: int = DEFAULT_INVITE_HOURS,
) -> CreatedInvite:
    """Owners and admins invite someone with a role; the answer's token is shown only once."""
    check_admin(actor)
    if not may_assign_role(actor.user.role, role):
        raise Forbidden("Only an owner can invite someone as an owner.")
    if not 1 <= valid_hours <= MAX_INVITE_HOURS:
        raise InvalidInput(f"An invitation is valid for 1 to {MAX_INVITE_HOURS} hours.")
    email, display = check_new_user(email, display_name)
    if unit.users.get_by_email(actor.practice_id, email) is not None:
        raise Conflict(
            "Someone in this practice already has an account with that email address. If it "
            "is deactivated, reactivate it instead (POST /api/v1/users/{id}/reactivate)."
        )
    if unit.staff_lifecycle.pending_invite_for_email(actor.practice_id, email, unit.now):
        raise Conflict(
            "An invitation to that email address is still waiting to be accepted. Withdraw it "
            "first (DELETE /api/v1/invites/{id}) to send a new link."
        )
    token = new_token(INVITE_TOKEN_PREFIX)
    invite_id = uuid4()
    unit.staff_lifecycle.insert_invite(
        invite_id=invite_id,
        practice_id=actor.practice_id,
        email=email,
        display_name=display,
        role=role,
        token_hash=token_hash(token),
        created_by=actor.user_id,
        now=unit.now,
        expires_at=unit.now + timedelta(hours=valid_hours),
    )
    unit.audit(
        AuditKind.INVITE_CREATED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="invite",
        subject_id=invite_id,
        details={"role": role.value, "valid_hours": valid_hours},
    )
    invite = present(unit.staff_lifecycle.invite(actor.practice_id, invite_id), "new invite")
    return CreatedInvite(invite, token)


def list_invites(unit: Unit, actor: Actor) -> list[InviteView]:
    """Every invitation of the practice, newest first, with its state now. Never a token."""
    check_admin(actor)
    return [
        InviteView(invite, invite.state(unit.now))
        for invite in unit.staff_lifecycle.invites_for_practice(actor.practice_id)
    ]


def do_revoke_invite(unit: Unit, actor: Actor, invite_id: UUID) -> None:
    """Withdraw an invitation: its link stops working. Withdrawing twice is harmless."""
    check_admin(actor)
    invite = unit.staff_lifecycle.invite(actor.practice_id, invite_id)
    if invite is None:
        raise NotFound("invitation")
    if invite.used_at is not None:
        raise Conflict(
            "This invitation was already accepted. To remove the person, deactivate or "
            "offboard their account instead."
        )
    if unit.staff_lifecycle.revoke_invite(actor.practice_id, invite_id, unit.now):
        unit.audit(
            AuditKind.INVITE_REVOKED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="invite",
            subject_id=invite_id,
        )


def _invite_throttle_key(lookup_key: bytes, address: str) -> bytes:
    # The same keyed-hash scheme as sign-in's counters, in a namespace of its own: failed
    # links do not count against signing in, nor the other way round.
    return keyed_hash(lookup_key, f"invite-address|{address}")


def _address_throttled(unit: Unit, address_key: bytes) -> bool:
    failures = unit.throttle.failures(address_key, unit.now, THROTTLE_WINDOW)
    return failures >= MAX_INVITE_ADDRESS_FAILURES


def invite_open(unit: Unit, lookup_key: bytes, req: InviteAcceptance) -> bool:
    """Read only, before an acceptance: whether its address is not throttled, its link is
    pending and its password is acceptable, i.e. whether hashing the password first is worth
    it. A stranger's guess at a link costs no hashing."""
    if _address_throttled(unit, _invite_throttle_key(lookup_key, req.address)):
        return False
    invite = unit.staff_lifecycle.invite_by_token_hash(token_hash(req.token))
    return (
        invite is not None
        and invite.state(unit.now) == "pending"
        and password_problem(req.password) is None
    )


def do_accept_invite(
    unit: Unit, passwords: Passwords, lookup_key: bytes, req: InviteAcceptance
) -> SignedIn | SignInRefused:
    """Create the invited account, use up the invitation and sign the person in.

    Refusals that must still commit (the failure count, the audit entry) are returned, not
    raised, like :func:`quietline.actions.auth.do_sign_in`'s.
    """
    address_key = _invite_throttle_key(lookup_key, req.address)
    if _address_throttled(unit, address_key):
        return SignInRefused(TooManyRequests(_INVITE_THROTTLED, headers={"Retry-After": "900"}))
    invite = unit.staff_lifecycle.invite_by_token_hash(token_hash(req.token))
    state = invite.state(unit.now) if invite is not None else None
    if invite is None or state != "pending":
        unit.throttle.record_failure(address_key, unit.now, THROTTLE_WINDOW)
        if invite is not None:
            unit.audit(
                AuditKind.INVITE_REFUSED,
                invite.practice_id,
                subject_type="invite",
                subject_id=invite.id,
                details={"reason": state},
            )
        return SignInRefused(Gone(INVITE_LINK_NOT_VALID))
    problem = password_problem(req.password)
    if problem:
        raise InvalidInput(problem)
    practice = present(unit.practices.get(invite.practice_id), "practice of an invite")
    if unit.users.get_by_email(practice.id, invite.email) is not None:
        raise Conflict(
            "Someone in this practice already signs in with this invitation's email address. "
            "Sign in instead, or ask your practice admin."
        )
    user_id = uuid4()
    unit.users.insert(
        user_id=user_id,
        practice_id=practice.id,
        email=invite.email,
        display_name=invite.display_name,
        role=invite.role,
        password_hash=(
            req.new_secret.hashed
            if req.new_secret is not None and req.new_secret.plain == req.password
            else passwords.hash(req.password)
        ),
        now=unit.now,
    )
    if not unit.staff_lifecycle.use_invite(practice.id, invite.id, user_id, unit.now):
        # Unreachable with one writer; with several, the other transaction won: undo ours.
        raise Gone(INVITE_LINK_NOT_VALID)
    user = present(unit.users.get(practice.id, user_id), "new user")
    return _open_session(unit, practice, user, invite, req)


def _open_session(
    unit: Unit, practice: Practice, user: User, invite: StoredInvite, req: InviteAcceptance
) -> SignedIn:
    token = new_token()
    session_id = uuid4()
    unit.sessions.insert(
        session_id=session_id,
        practice_id=practice.id,
        user_id=user.id,
        token_hash=token_hash(token),
        device_name=" ".join(req.device_name.split())[:100] or "Unnamed device",
        now=unit.now,
        second_factor_verified=False,
        client=req.client,
    )
    common: dict[str, Any] = {"actor_user_id": user.id, "actor_session_id": session_id}
    unit.audit(
        AuditKind.USER_CREATED,
        practice.id,
        **common,
        subject_type="user",
        subject_id=user.id,
        details={"role": user.role.value, "invite": str(invite.id)},
    )
    unit.audit(
        AuditKind.INVITE_ACCEPTED,
        practice.id,
        **common,
        subject_type="invite",
        subject_id=invite.id,
        details={"user": str(user.id), "invited_by": str(invite.created_by)},
    )
    unit.audit(
        AuditKind.SIGN_IN,
        practice.id,
        **common,
        subject_type="session",
        subject_id=session_id,
        details={"second_factor": False, "via": "invite"},
    )
    session = present(unit.sessions.get(practice.id, session_id), "new session")
    restricted = practice.policy.require_second_factor
    return SignedIn(token, Actor(user, session, practice), restricted)


# -- the admin's device list ---------------------------------------------------------------


def list_practice_devices(unit: Unit, actor: Actor) -> list[PracticeDevice]:
    """Every live device in the practice with its person (to find and revoke a lost one)."""
    check_admin(actor)
    policy = actor.practice.policy
    return [
        d
        for d in unit.staff_lifecycle.unrevoked_devices(actor.practice_id)
        if d.user_active
        and unit.now < d.created_at + policy.absolute_lifetime
        and unit.now - d.last_seen_at < policy.idle_timeout
    ]


# -- offboarding ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientWork:
    """What a person holds of the practice's client work (read before offboarding)."""

    clients: list[StoredClient]  # assigned to them, archived ones too
    appointments: list[Appointment]  # theirs, not cancelled, starting now or later
    shifts: list[OnCallShift]  # their on-call shifts that have not ended

    @property
    def empty(self) -> bool:
        return not (self.clients or self.appointments or self.shifts)


def _client_work(unit: Unit, practice_id: UUID, user_id: UUID) -> ClientWork:
    return ClientWork(
        clients=unit.clients.list_for_clinician(practice_id, user_id, include_archived=True),
        appointments=unit.appointments.upcoming_for_clinician(practice_id, user_id, unit.now),
        shifts=unit.appointments.shifts_not_ended_for(practice_id, user_id, unit.now),
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _check_colleague_takes(colleague: User, work: ClientWork) -> None:
    """Refuse (409) a colleague who may not take what the person leaving holds."""
    clinical = [
        _plural(count, what)
        for count, what in (
            (len(work.clients), "client"),
            (len(work.appointments), "upcoming appointment"),
        )
        if count
    ]
    if (work.clients or work.appointments) and colleague.role not in CLINICAL_ROLES:
        raise Conflict(
            f"The person leaving has {' and '.join(clinical)}, and a front-desk account cannot "
            "be a client's clinician. Hand over to a clinician, supervisor, owner or admin "
            "instead; nothing was changed."
        )
    if work.shifts and colleague.role not in ON_CALL_ROLES:
        raise Conflict(
            f"The person leaving has {_plural(len(work.shifts), 'on-call shift')} still to "
            "serve, and a front-desk account cannot be on call. Hand over to a clinician, "
            "supervisor, owner or admin instead; nothing was changed."
        )


@dataclass(frozen=True, slots=True)
class OffboardingPreview:
    """What offboarding someone would hand over now (counts only), for the admin's dialog."""

    user_id: UUID
    conversations: int  # every conversation they would leave
    group_conversations: int  # handed to the colleague
    client_threads: int  # their clients' threads, which the colleague joins
    clients: int  # assignments that pass to the colleague
    appointments: int  # upcoming, not cancelled
    on_call_shifts: int  # current and future
    already_offboarded: bool


def offboarding_preview(unit: Unit, actor: Actor, user_id: UUID) -> OffboardingPreview:
    """Owners and admins: what :func:`do_offboard` would hand over if it ran now. Changes
    nothing and records nothing (counts only, like the list pages)."""
    check_admin(actor)
    pid = actor.practice_id
    target = get_user(unit, actor, user_id)
    held = unit.staff_lifecycle.conversations_of(pid, target.id)
    work = _client_work(unit, pid, target.id)
    threads = unit.clients.thread_ids(pid, [c.id for c in work.clients])
    done = not target.is_active and unit.staff_lifecycle.latest_record_for_user(pid, target.id)
    return OffboardingPreview(
        user_id=target.id,
        conversations=len(held),
        group_conversations=sum(1 for h in held if h.kind == "group"),
        client_threads=len(threads),
        clients=len(work.clients),
        appointments=len(work.appointments),
        on_call_shifts=len(work.shifts),
        already_offboarded=bool(done),
    )


def do_offboard(unit: Unit, actor: Actor, user_id: UUID, hand_to: UUID) -> OffboardingRecord:
    """Someone leaves the practice, in one transaction (see the module docstring).

    Their tokens stop working at commit; open pages get ``session.revoked`` and wipe.
    Direct conversations are left to the other person; group conversations are handed to
    ``hand_to`` (made a member, and the owner of the ones the person had created). Their
    client work goes to ``hand_to`` too: each client assigned to them is assigned to the
    colleague instead (and the client's thread follows, see
    :func:`quietline.actions.clients.thread_member_ids`), their upcoming appointments move to
    the colleague (past ones stay as history), and their on-call shifts that have not ended
    pass to the colleague (:func:`quietline.actions.on_call.hand_over_shifts`).
    """
    check_admin(actor)
    pid = actor.practice_id
    target = get_user(unit, actor, user_id)
    if target.id == actor.user_id:
        raise Conflict("You cannot offboard your own account. Ask another owner or admin.")
    if not may_assign_role(actor.user.role, target.role):
        raise Forbidden("Only an owner can offboard an owner.")
    if hand_to == target.id:
        raise InvalidInput("Hand the conversations to a colleague, not to the person leaving.")
    colleague = unit.users.get(pid, hand_to)
    if colleague is None:
        raise NotFound("user")
    if not colleague.is_active:
        raise Conflict(
            "The colleague to hand the conversations to is deactivated. Choose an active colleague."
        )
    if not target.is_active and unit.staff_lifecycle.latest_record_for_user(pid, target.id):
        raise Conflict(
            "This person was already offboarded. The record is in GET /api/v1/offboarding-records."
        )
    work = _client_work(unit, pid, target.id)
    _check_colleague_takes(colleague, work)
    by: dict[str, Any] = {"actor_user_id": actor.user_id, "actor_session_id": actor.session_id}

    if target.is_active:
        unit.users.update(pid, target.id, is_active=False, deactivated_at=unit.now)
        unit.audit(
            AuditKind.USER_DEACTIVATED,
            pid,
            **by,
            subject_type="user",
            subject_id=target.id,
            details={"reason": OFFBOARDING_REASON},
        )
    # Before the devices: revoking deletes the subscriptions of the devices it revokes, and
    # this counts every subscription the person had.
    push_removed = unit.staff_lifecycle.delete_push_subscriptions_of(pid, target.id)
    devices = unit.sessions.live_ids_for_user(pid, target.id)
    revoked = revoke_sessions(unit, pid, devices, reason=OFFBOARDING_REASON, by=actor)

    left: list[UUID] = []
    handed: list[UUID] = []
    colleague_added: list[UUID] = []
    owner_moved: list[UUID] = []
    client_threads_left: list[HeldConversation] = []
    for held in unit.staff_lifecycle.conversations_of(pid, target.id):
        # Leave first: the colleague then takes the leaver's place, so a channel at its
        # member limit (MAX_GROUP_MEMBERS) never goes over it.
        unit.conversations.remove_member(pid, held.id, target.id)
        left.append(held.id)
        _membership_changed(unit, pid, held.id, target.id, by, added=False)
        if held.kind == "client":
            client_threads_left.append(held)
        if held.kind != "group":
            continue
        handed.append(held.id)
        if unit.conversations.membership(pid, held.id, colleague.id) is None:
            unit.conversations.add_member(pid, held.id, colleague.id, unit.now, held.last_seq)
            colleague_added.append(held.id)
            _membership_changed(unit, pid, held.id, colleague.id, by, added=True)
        if held.created_by == target.id:
            unit.conversations.update(pid, held.id, created_by=colleague.id)
            owner_moved.append(held.id)

    clients = [c.id for c in work.clients]
    _hand_over_clients(unit, pid, target.id, colleague.id, clients, by)
    client_threads = _settle_client_threads(
        unit, pid, colleague.id, clients, client_threads_left, by
    )
    appointments = _hand_over_appointments(unit, pid, colleague.id, work.appointments, by)
    shifts = hand_over_shifts(unit, actor, target.id, colleague.id, reason=OFFBOARDING_REASON)

    status_cleared = unit.status.clear(pid, target.id)
    if status_cleared:
        unit.emit(status_changed(pid, target.id, None))
    held_dropped = unit.notifications.take_held(pid, target.id)

    record = OffboardingRecord(
        id=uuid4(),
        practice_id=pid,
        user_id=target.id,
        performed_by=actor.user_id,
        performed_at=unit.now,
        handed_to=colleague.id,
        summary={
            "format": OFFBOARDING_RECORD_FORMAT,
            "role": target.role.value,
            "account_deactivated": True,
            "was_active": target.is_active,
            "devices_revoked": len(revoked),
            "device_ids": [str(i) for i in revoked],
            "push_subscriptions_removed": push_removed,
            "conversations_left": len(left),
            "conversation_ids_left": [str(i) for i in left],
            "conversations_handed_over": len(handed),
            "conversation_ids_handed_over": [str(i) for i in handed],
            "colleague_added_to": len(colleague_added),
            "ownership_transferred": len(owner_moved),
            "status_cleared": status_cleared,
            "held_notifications_cleared": held_dropped,
            "client_threads": len(client_threads),
            "client_thread_ids": [str(i) for i in client_threads],
            "assignments": len(clients),
            "client_ids": [str(i) for i in clients],
            "appointments": len(appointments),
            "appointment_ids": [str(i) for i in appointments],
            "on_call_duties": len(shifts.shift_ids),
            "on_call_shift_ids": [str(i) for i in shifts.shift_ids],
            "on_call_shifts_split": len(shifts.served_ids),
            "on_call_served_shift_ids": [str(i) for i in shifts.served_ids],
        },
    )
    unit.staff_lifecycle.insert_record(record)
    unit.audit(
        AuditKind.USER_OFFBOARDED,
        pid,
        **by,
        subject_type="user",
        subject_id=target.id,
        details={
            "record": str(record.id),
            "handed_to": str(colleague.id),
            "devices_revoked": len(revoked),
            "conversations_left": len(left),
            "conversations_handed_over": len(handed),
            "client_threads": len(client_threads),
            "assignments": len(clients),
            "appointments": len(appointments),
            "on_call_duties": len(shifts.shift_ids),
        },
    )
    return record


def _hand_over_clients(
    unit: Unit,
    practice_id: UUID,
    leaver_id: UUID,
    colleague_id: UUID,
    client_ids: list[UUID],
    by: dict[str, Any],
) -> None:
    """The colleague is assigned to each client instead of the leaver (taken off first, so a
    client at MAX_CLINICIANS stays within it). Each change audited, as assigning does."""
    for client_id in client_ids:
        changes = [(leaver_id, False)]
        unit.clients.unassign(practice_id, client_id, leaver_id)
        if unit.clients.assign(
            practice_id, client_id, colleague_id, now=unit.now, assigned_by=by["actor_user_id"]
        ):
            changes.append((colleague_id, True))
        for user_id, assigned in changes:
            unit.audit(
                AuditKind.CLIENT_CLINICIAN_ASSIGNED
                if assigned
                else AuditKind.CLIENT_CLINICIAN_UNASSIGNED,
                practice_id,
                **by,
                subject_type="client",
                subject_id=client_id,
                details={"user": str(user_id), "reason": OFFBOARDING_REASON},
            )


def _settle_client_threads(
    unit: Unit,
    practice_id: UUID,
    colleague_id: UUID,
    client_ids: list[UUID],
    left: list[HeldConversation],
    by: dict[str, Any],
) -> list[UUID]:
    """Bring the members of every client thread the offboarding touched (the threads of the
    clients handed over, and the client threads the leaver left) in line with the rule of
    :func:`quietline.actions.clients.thread_member_ids`, now that the leaver is inactive and
    the colleague assigned: the colleague joins their new clients' threads, and a thread
    the leaver alone kept staffed falls back to the owners and admins. Each change audited
    and announced. Returns the threads handed over: the new clients' threads, with the
    colleague in them."""
    threads = unit.clients.thread_ids(practice_id, client_ids)
    for held in left:
        if held.client_id is not None:
            threads.setdefault(held.client_id, held.id)
    if not threads:
        return []
    policy = unit.practice_messaging.policy(practice_id)
    staff = [u for u in unit.users.list_for_practice(practice_id) if u.is_active]
    for client_id, thread_id in threads.items():
        want = thread_member_ids(unit, practice_id, client_id, policy, staff)
        have = set(unit.conversations.member_ids(practice_id, thread_id))
        if want - have:
            thread = present(unit.conversations.get(practice_id, thread_id), "client thread")
            for user_id in sorted(want - have):
                unit.conversations.add_member(
                    practice_id, thread_id, user_id, unit.now, thread.last_seq
                )
                _membership_changed(
                    unit, practice_id, thread_id, user_id, by, added=True, client_id=client_id
                )
        for user_id in sorted(have - want):
            unit.conversations.remove_member(practice_id, thread_id, user_id)
            _membership_changed(
                unit, practice_id, thread_id, user_id, by, added=False, client_id=client_id
            )
    return [
        threads[c]
        for c in client_ids
        if c in threads and unit.conversations.membership(practice_id, threads[c], colleague_id)
    ]


def _hand_over_appointments(
    unit: Unit,
    practice_id: UUID,
    colleague_id: UUID,
    upcoming: list[Appointment],
    by: dict[str, Any],
) -> list[UUID]:
    """Move the leaver's upcoming appointments to the colleague, as a change of clinician
    does (audited; both clinicians' devices and the client thread told). The confirmation
    and reminder state stay: the time did not change."""
    moved: list[UUID] = []
    for appointment in upcoming:
        unit.appointments.update(
            practice_id, appointment.id, clinician_id=colleague_id, updated_at=unit.now
        )
        unit.audit(
            AuditKind.APPOINTMENT_UPDATED,
            practice_id,
            **by,
            subject_type="appointment",
            subject_id=appointment.id,
            details={
                "client": str(appointment.client_id),
                "fields": ["clinician_id"],
                "reason": OFFBOARDING_REASON,
            },
        )
        topics = [user_topic(colleague_id), user_topic(appointment.clinician_id)]
        thread = unit.conversations.for_client(practice_id, appointment.client_id)
        if thread is not None:
            topics.append(conversation_topic(thread.id))
        unit.emit(
            Event(
                practice_id,
                "appointment.updated",
                tuple(topics),
                {
                    "appointment_id": str(appointment.id),
                    "client_id": str(appointment.client_id),
                    "clinician_id": str(colleague_id),
                    "status": appointment.status,
                },
            )
        )
        moved.append(appointment.id)
    return moved


def _membership_changed(
    unit: Unit,
    practice_id: UUID,
    conversation_id: UUID,
    user_id: UUID,
    by: dict[str, Any],
    *,
    added: bool,
    client_id: UUID | None = None,
) -> None:
    """Audit and announce one membership change, as adding and removing members do."""
    details: dict[str, object] = {"user": str(user_id), "reason": OFFBOARDING_REASON}
    if client_id is not None:
        details["client"] = str(client_id)
    unit.audit(
        AuditKind.MEMBER_ADDED if added else AuditKind.MEMBER_REMOVED,
        practice_id,
        **by,
        subject_type="conversation",
        subject_id=conversation_id,
        details=details,
    )
    unit.emit(
        Event(
            practice_id,
            "membership.added" if added else "membership.removed",
            (user_topic(user_id), conversation_topic(conversation_id)),
            {"conversation_id": str(conversation_id), "user_id": str(user_id)},
        )
    )


def list_offboarding_records(unit: Unit, actor: Actor) -> list[OffboardingRecord]:
    check_admin(actor)
    return unit.staff_lifecycle.records_for_practice(actor.practice_id)


def get_offboarding_record(unit: Unit, actor: Actor, record_id: UUID) -> OffboardingRecord:
    check_admin(actor)
    record = unit.staff_lifecycle.record(actor.practice_id, record_id)
    if record is None:
        raise NotFound("offboarding record")
    return record


# -- the downloadable record -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OffboardingDocument:
    record: OffboardingRecord
    practice: Practice
    person: User | None
    performed_by: User | None
    handed_to: User | None


def offboarding_document(unit: Unit, actor: Actor, record_id: UUID) -> OffboardingDocument:
    """The record with the names of the people in it (read now: the record keeps ids)."""
    record = get_offboarding_record(unit, actor, record_id)

    def person(user_id: UUID | None) -> User | None:
        return None if user_id is None else unit.users.get(actor.practice_id, user_id)

    return OffboardingDocument(
        record,
        actor.practice,
        person(record.user_id),
        person(record.performed_by),
        person(record.handed_to),
    )


def _clean(text: str) -> str:
    """Names are typed by people: keep control characters out of the document."""
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)


def _who(user: User | None, user_id: UUID | None) -> str:
    if user_id is None:
        return "nobody"
    if user is None:
        return f"user {user_id}"
    return f"{_clean(user.display_name)} <{_clean(user.email)}> (user {user_id})"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ids(values: object) -> list[str]:
    return [f"    - {v}" for v in values] if isinstance(values, list) else []


def _client_work_lines(s: dict[str, Any], count: Callable[[str], int]) -> list[str]:
    """What the record says of client work: real numbers and ids from format 2 on; format 1
    records (written before client messaging existed) keep their note."""
    if count("format") < 2:
        note = str(s.get("note", NOT_APPLICABLE_YET))
        return [
            f"Client threads handed over: {count('client_threads')} ({note})",
            f"Assignments handed over: {count('assignments')} ({note})",
            f"On-call duties handed over: {count('on_call_duties')} ({note})",
        ]
    split = count("on_call_shifts_split")
    return [
        f"Client threads handed over: {count('client_threads')} "
        "(the colleague is a member of each)",
        *_ids(s.get("client_thread_ids")),
        f"Client assignments handed over: {count('assignments')} "
        "(the colleague is assigned to each client instead)",
        *_ids(s.get("client_ids")),
        f"Upcoming appointments moved to the colleague: {count('appointments')} "
        "(past appointments stay as they were)",
        *_ids(s.get("appointment_ids")),
        f"On-call shifts handed over: {count('on_call_duties')}"
        + (
            f" ({split} under way, split at the time of offboarding: the part already served "
            "stays with the person leaving, the rest goes to the colleague)"
            if split
            else ""
        ),
        *_ids(s.get("on_call_shift_ids")),
        *(["Parts already served, kept with the person leaving:"] if split else []),
        *_ids(s.get("on_call_served_shift_ids")),
    ]


def render_offboarding_text(doc: OffboardingDocument) -> str:
    """A plain-text document an office can file: who, when, by whom, what was done."""
    r = doc.record
    s = r.summary

    def count(key: str) -> int:
        value = s.get(key, 0)
        return value if isinstance(value, int) else 0

    lines = [
        "Quietline offboarding record",
        "============================",
        "",
        f"Practice:      {_clean(doc.practice.name)} ({doc.practice.slug})",
        f"Record:        {r.id}",
        f"Person:        {_who(doc.person, r.user_id)}",
        f"Role:          {s.get('role', 'unknown')}",
        f"When:          {_when(r.performed_at)}",
        f"By:            {_who(doc.performed_by, r.performed_by)}",
        f"Handed to:     {_who(doc.handed_to, r.handed_to)}",
        "",
        "What was done",
        "-------------",
        "Account deactivated: yes (signing in is refused from now on)",
        f"Devices signed out and wiped: {count('devices_revoked')}",
        *_ids(s.get("device_ids")),
        f"Push subscriptions removed: {count('push_subscriptions_removed')}",
        f"Conversations left: {count('conversations_left')}",
        *_ids(s.get("conversation_ids_left")),
        f"Group conversations handed over: {count('conversations_handed_over')} "
        f"(the colleague was added to {count('colleague_added_to')}; "
        f"ownership moved for {count('ownership_transferred')})",
        *_ids(s.get("conversation_ids_handed_over")),
        "Direct conversations: left with the other person, not handed over",
        f"'In session' status cleared: {'yes' if s.get('status_cleared') else 'none was set'}",
        f"Held notifications cleared: {count('held_notifications_cleared')}",
        *_client_work_lines(s, count),
        "",
        "Every step is also in the practice's audit trail, at the same time as this record",
        f"(the entry 'user.offboarded' names it: GET /api/v1/audit?subject_id={r.user_id}).",
        "",
    ]
    return "\n".join(lines)
