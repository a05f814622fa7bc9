"""Creating a practice and changing its policy."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace
from typing import Any
from uuid import uuid4

from quietline.actions.auth import revoke_sessions
from quietline.actions.context import Actor, check_admin
from quietline.actions.users import check_new_user
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import open_user_secret, seal_user_secret
from quietline.crypto.passwords import Passwords, password_problem
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, InvalidInput, present
from quietline.domain.events import Event
from quietline.domain.models import Practice, User
from quietline.domain.policy import (
    POLICY_BOUNDS,
    POLICY_NULLABLE,
    PracticePolicy,
    check_notification_text,
)
from quietline.domain.roles import Role
from quietline.storage.unit import Unit

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "A practice code uses lowercase letters, digits and dashes (for example "
            "'riverbend'), at most 64 characters."
        )
    return slug


def do_create_practice(
    unit: Unit,
    passwords: Passwords,
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_name: str,
    owner_password: str,
    policy: PracticePolicy | None = None,
) -> tuple[Practice, User]:
    """Create a practice, its key and its first owner. Used by ``quietline init`` and the demo."""
    slug = check_slug(slug)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInput("Give the practice a name of 1 to 200 characters.")
    if unit.practices.get_by_slug(slug) is not None:
        raise Conflict(f"A practice with the code '{slug}' already exists. Choose another code.")
    problem = password_problem(owner_password)
    if problem:
        raise InvalidInput(problem)
    email, display = check_new_user(owner_email, owner_name)
    practice_id = uuid4()
    unit.practices.insert(practice_id, slug, name, unit.now, policy or PracticePolicy())
    unit.practices.insert_key(practice_id, unit.keyring.new_practice_key(practice_id), unit.now)
    user_id = uuid4()
    unit.users.insert(
        user_id=user_id,
        practice_id=practice_id,
        email=email,
        display_name=display,
        role=Role.OWNER,
        password_hash=passwords.hash(owner_password),
        now=unit.now,
    )
    unit.audit(
        AuditKind.PRACTICE_CREATED,
        practice_id,
        subject_type="practice",
        subject_id=practice_id,
        details={"owner": str(user_id)},
    )
    unit.audit(
        AuditKind.USER_CREATED,
        practice_id,
        subject_type="user",
        subject_id=user_id,
        details={"role": Role.OWNER.value},
    )
    practice = present(unit.practices.get(practice_id), "practice")
    return practice, present(unit.users.get(practice_id, user_id), "owner")


def get_policy(unit: Unit, actor: Actor) -> PracticePolicy:
    return present(unit.practices.get(actor.practice_id), "practice").policy


def do_update_policy(unit: Unit, actor: Actor, changes: dict[str, Any]) -> PracticePolicy:
    """Change policy fields; takes effect for every session at the next request, for the next
    notification (``notification_text``) and for the next retention purge (``retention_days``).

    A null clears the settings of :data:`POLICY_NULLABLE` and is refused for the others.
    """
    check_admin(actor)
    current = get_policy(unit, actor)
    allowed = set(asdict(current))
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Unknown policy setting: {', '.join(sorted(unknown))}.")
    changes = dict(changes)
    for field, value in changes.items():
        if value is None:
            if field not in POLICY_NULLABLE:
                raise InvalidInput(
                    f"The setting {field} cannot be empty; leave it out to keep it as it is."
                )
            continue
        bounds = POLICY_BOUNDS.get(field)
        if bounds is not None:
            low, high = bounds
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidInput(
                    f"The setting {field} must be a whole number from {low} to {high}."
                )
        if isinstance(getattr(current, field), bool) and not isinstance(value, bool):
            raise InvalidInput(f"The setting {field} must be true or false.")
        if field == "notification_text":
            if not isinstance(value, str):
                raise InvalidInput("The setting notification_text must be text.")
            changes[field] = check_notification_text(value)
    updated = replace(current, **changes)
    if updated == current:
        return current
    _end_expired_sessions(unit, actor, current)
    unit.practices.update_policy(actor.practice_id, updated)
    before, after = asdict(current), asdict(updated)
    unit.audit(
        AuditKind.POLICY_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="practice",
        subject_id=actor.practice_id,
        details={k: {"from": before[k], "to": after[k]} for k in changes if before[k] != after[k]},
    )
    unit.emit(
        Event(
            actor.practice_id,
            "policy.changed",
            (f"practice:{actor.practice_id}",),
            {"policy": after},
        )
    )
    return updated


def _end_expired_sessions(unit: Unit, actor: Actor, policy: PracticePolicy) -> None:
    """Revoke the sessions that have already timed out under ``policy``, so that relaxing the
    time limits cannot bring a signed-out session back to life."""
    expired = [
        s.id
        for user in unit.users.list_for_practice(actor.practice_id)
        for s in unit.sessions.list_for_user(actor.practice_id, user.id)
        if unit.now >= s.created_at + policy.absolute_lifetime
        or unit.now - s.last_seen_at >= policy.idle_timeout
    ]
    revoke_sessions(
        unit,
        actor.practice_id,
        expired,
        reason="expired",
        by=None,
        audit_kind=AuditKind.SESSION_EXPIRED,
    )


DEFAULT_QUICK_REPLIES = (
    "Running 5 minutes late",
    "Is room 2 free?",
    "Can we check in at 3?",
    "On my way",
    "Thanks, got it",
)
MAX_QUICK_REPLIES = 20
MAX_QUICK_REPLY_LENGTH = 200
_QUICK_REPLIES_PURPOSE = "quick-replies"


def quick_replies(unit: Unit, actor: Actor) -> list[str]:
    sealed = unit.practices.quick_replies_sealed(actor.practice_id)
    if sealed is None:
        return list(DEFAULT_QUICK_REPLIES)
    key_id = read_header(sealed).key_id
    key = unit.keyring.practice_key(
        actor.practice_id, unit.practices.key(actor.practice_id, key_id)
    )
    # Sealed like a per-user secret, bound to the practice id in both places.
    opened = open_user_secret(
        key, actor.practice_id, actor.practice_id, _QUICK_REPLIES_PURPOSE, sealed
    )
    replies: list[str] = json.loads(opened)
    return replies


def do_set_quick_replies(unit: Unit, actor: Actor, replies: list[str]) -> list[str]:
    """Owners and admins edit the practice's quick replies (they may name people: sealed)."""
    check_admin(actor)
    cleaned = [" ".join(r.split()) for r in replies]
    cleaned = [r for r in cleaned if r]
    if len(cleaned) > MAX_QUICK_REPLIES:
        raise InvalidInput(f"Keep at most {MAX_QUICK_REPLIES} quick replies.")
    if any(len(r) > MAX_QUICK_REPLY_LENGTH for r in cleaned):
        raise InvalidInput(f"Each quick reply can be at most {MAX_QUICK_REPLY_LENGTH} characters.")
    stored, key = unit.practice_key(actor.practice_id)
    sealed = seal_user_secret(
        key,
        stored.key_id,
        actor.practice_id,
        actor.practice_id,
        _QUICK_REPLIES_PURPOSE,
        json.dumps(cleaned),
    )
    unit.practices.set_quick_replies_sealed(actor.practice_id, sealed)
    unit.audit(
        AuditKind.QUICK_REPLIES_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="practice",
        subject_id=actor.practice_id,
        details={"count": len(cleaned)},
    )
    return cleaned
