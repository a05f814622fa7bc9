"""Staff joining and leaving: invitations by single-use link, one-step offboarding with its
record, and the admin's list of every device in the practice.

Invitations: the link carries a random token; only its SHA-256 is stored (like session
tokens), the link is shown once, to the admin who made it. Accepting creates the account
with the invited role, marks the invitation used and opens a device session, all in one
transaction. Every link that does not work (unknown, used, expired, withdrawn) gets the same
answer, and failed attempts are counted per client address like sign-in failures.

Offboarding: one transaction deactivates the person, signs out (and so wipes) every device,
removes their push subscriptions, takes them out of every conversation, hands every group
conversation to a colleague, clears their status and held notifications, and writes a
record of what was done (ids and counts only) and the audit entries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from quietline.actions.auth import THROTTLE_WINDOW, SignedIn, SignInRefused, revoke_sessions
from quietline.actions.context import Actor, check_admin
from quietline.actions.notifications import status_changed
from quietline.actions.users import check_new_user, get_user
from quietline.crypto.passwords import Passwords, password_problem
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
from quietline.domain.models import Practice, User
from quietline.domain.roles import Role, may_assign_role
from quietline.storage.stores.staff_lifecycle import (
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
OFFBOARDING_RECORD_FORMAT = 1
NOT_APPLICABLE_YET = "not applicable until client messaging exists"
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
    token: str
    password: str
    device_name: str
    address: str
    client: str = "api"  # "web": the staff web app, with its cookie and app lock


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


def do_accept_invite(
    unit: Unit, passwords: Passwords, lookup_key: bytes, req: InviteAcceptance
) -> SignedIn | SignInRefused:
    """Create the invited account, use up the invitation and sign the person in.

    Refusals that must still commit (the failure count, the audit entry) are returned, not
    raised, like :func:`quietline.actions.auth.do_sign_in`'s.
    """
    address_key = _invite_throttle_key(lookup_key, req.address)
    if (
        unit.throttle.failures(address_key, unit.now, THROTTLE_WINDOW)
        >= MAX_INVITE_ADDRESS_FAILURES
    ):
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
        password_hash=passwords.hash(req.password),
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


def do_offboard(unit: Unit, actor: Actor, user_id: UUID, hand_to: UUID) -> OffboardingRecord:
    """Someone leaves the practice, in one transaction (see the module docstring).

    Their tokens stop working at commit; open pages get ``session.revoked`` and wipe.
    Direct conversations are left to the other person; group conversations are handed to
    ``hand_to`` (made a member, and the owner of the ones the person had created).
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
    for held in unit.staff_lifecycle.conversations_of(pid, target.id):
        # Leave first: the colleague then takes the leaver's place, so a channel at its
        # member limit (MAX_GROUP_MEMBERS) never goes over it.
        unit.conversations.remove_member(pid, held.id, target.id)
        left.append(held.id)
        _membership_changed(unit, pid, held.id, target.id, by, added=False)
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
            "client_threads": 0,
            "assignments": 0,
            "on_call_duties": 0,
            "note": NOT_APPLICABLE_YET,
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
        },
    )
    return record


def _membership_changed(
    unit: Unit,
    practice_id: UUID,
    conversation_id: UUID,
    user_id: UUID,
    by: dict[str, Any],
    *,
    added: bool,
) -> None:
    """Audit and announce one membership change, as adding and removing members do."""
    unit.audit(
        AuditKind.MEMBER_ADDED if added else AuditKind.MEMBER_REMOVED,
        practice_id,
        **by,
        subject_type="conversation",
        subject_id=conversation_id,
        details={"user": str(user_id), "reason": OFFBOARDING_REASON},
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


def render_offboarding_text(doc: OffboardingDocument) -> str:
    """A plain-text document an office can file: who, when, by whom, what was done."""
    r = doc.record
    s = r.summary

    def count(key: str) -> int:
        value = s.get(key, 0)
        return value if isinstance(value, int) else 0

    note = str(s.get("note", NOT_APPLICABLE_YET))
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
        f"Client threads handed over: {count('client_threads')} ({note})",
        f"Assignments handed over: {count('assignments')} ({note})",
        f"On-call duties handed over: {count('on_call_duties')} ({note})",
        "",
        "Every step is also in the practice's audit trail, at the same time as this record",
        f"(the entry 'user.offboarded' names it: GET /api/v1/audit?subject_id={r.user_id}).",
        "",
    ]
    return "\n".join(lines)
