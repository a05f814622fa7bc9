"""Staff accounts: create, change, deactivate."""

from __future__ import annotations

import re
from uuid import UUID, uuid4

from quietline.actions.auth import normalize_email, remove_authenticator, sign_out_everywhere
from quietline.actions.context import Actor, check_admin
from quietline.crypto.passwords import NewSecret, password_problem
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from quietline.domain.models import User
from quietline.domain.roles import Role, may_assign_role
from quietline.storage.unit import Unit

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")


def check_new_user(email: str, display_name: str) -> tuple[str, str]:
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise InvalidInput("Enter an email address like name@example.org.")
    display = " ".join(display_name.split())
    if not 1 <= len(display) <= 200:
        raise InvalidInput("Enter a display name of 1 to 200 characters.")
    return email, display


def list_users(unit: Unit, actor: Actor) -> list[User]:
    return unit.users.list_for_practice(actor.practice_id)


def get_user(unit: Unit, actor: Actor, user_id: UUID) -> User:
    user = unit.users.get(actor.practice_id, user_id)
    if user is None:
        raise NotFound("user")
    return user


def do_create_user(
    unit: Unit,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: NewSecret,
) -> User:
    check_admin(actor)
    if not may_assign_role(actor.user.role, role):
        raise Forbidden("Only an owner can make someone an owner.")
    email, display = check_new_user(email, display_name)
    problem = password_problem(password.plain)
    if problem:
        raise InvalidInput(problem)
    if unit.users.get_by_email(actor.practice_id, email) is not None:
        raise Conflict("Someone in this practice already signs in with that email address.")
    user_id = uuid4()
    unit.users.insert(
        user_id=user_id,
        practice_id=actor.practice_id,
        email=email,
        display_name=display,
        role=role,
        password_hash=password.hashed,
        now=unit.now,
    )
    unit.audit(
        AuditKind.USER_CREATED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=user_id,
        details={"role": role.value},
    )
    return present(unit.users.get(actor.practice_id, user_id), "new user")


def do_update_user(
    unit: Unit,
    actor: Actor,
    user_id: UUID,
    *,
    display_name: str | None = None,
    role: Role | None = None,
) -> User:
    """A person may rename themselves; roles are changed by admins."""
    target = get_user(unit, actor, user_id)
    if target.id != actor.user_id or role is not None:
        check_admin(actor)
    if display_name is not None:
        _, display = check_new_user(target.email, display_name)
        if display != target.display_name:
            unit.users.update(actor.practice_id, user_id, display_name=display)
            unit.audit(
                AuditKind.USER_UPDATED,
                actor.practice_id,
                actor_user_id=actor.user_id,
                actor_session_id=actor.session_id,
                subject_type="user",
                subject_id=user_id,
                details={"fields": ["display_name"]},
            )
    if role is not None and role != target.role:
        if not may_assign_role(actor.user.role, role) or not may_assign_role(
            actor.user.role, target.role
        ):
            raise Forbidden("Only an owner can give or take away the owner role.")
        if target.role == Role.OWNER and unit.users.count_role(actor.practice_id, Role.OWNER) <= 1:
            raise Conflict("A practice needs at least one owner. Make someone else owner first.")
        unit.users.update(actor.practice_id, user_id, role=role)
        unit.audit(
            AuditKind.ROLE_CHANGED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="user",
            subject_id=user_id,
            details={"from": target.role.value, "to": role.value},
        )
    return get_user(unit, actor, user_id)


def do_deactivate_user(unit: Unit, actor: Actor, user_id: UUID) -> User:
    """Deactivate an account: it cannot sign in, and every device session ends now."""
    check_admin(actor)
    target = get_user(unit, actor, user_id)
    if target.id == actor.user_id:
        raise Conflict("You cannot deactivate your own account. Ask another admin.")
    if not may_assign_role(actor.user.role, target.role):
        raise Forbidden("Only an owner can deactivate an owner.")
    if target.is_active:
        unit.users.update(actor.practice_id, user_id, is_active=False, deactivated_at=unit.now)
        unit.audit(
            AuditKind.USER_DEACTIVATED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="user",
            subject_id=user_id,
        )
        sign_out_everywhere(unit, actor.practice_id, user_id, reason="user_deactivated", by=actor)
    return get_user(unit, actor, user_id)


def do_reactivate_user(unit: Unit, actor: Actor, user_id: UUID) -> User:
    check_admin(actor)
    target = get_user(unit, actor, user_id)
    if not target.is_active:
        unit.users.update(actor.practice_id, user_id, is_active=True, deactivated_at=None)
        unit.audit(
            AuditKind.USER_REACTIVATED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="user",
            subject_id=user_id,
        )
    return get_user(unit, actor, user_id)


def do_reset_password(unit: Unit, actor: Actor, user_id: UUID, new_password: NewSecret) -> None:
    """An admin sets a new password for someone; all of that person's sessions end."""
    check_admin(actor)
    target = get_user(unit, actor, user_id)
    if not may_assign_role(actor.user.role, target.role):
        raise Forbidden("Only an owner can reset an owner's password.")
    problem = password_problem(new_password.plain)
    if problem:
        raise InvalidInput(problem)
    unit.users.update(
        actor.practice_id,
        user_id,
        password_hash=new_password.hashed,
        password_changed_at=unit.now,
    )
    unit.audit(
        AuditKind.PASSWORD_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=user_id,
        details={"by_admin": True},
    )
    sign_out_everywhere(unit, actor.practice_id, user_id, reason="password_reset", by=actor)


def _remove_second_factors(unit: Unit, user: User) -> dict[str, object]:
    """Take away someone's authenticator app, recovery codes and passkeys; what was there."""
    remove_authenticator(unit, user.practice_id, user.id)
    passkeys = unit.passkeys.for_user(user.practice_id, user.id)
    for passkey in passkeys:
        unit.passkeys.delete(user.practice_id, user.id, passkey.id)
    return {"authenticator_app": user.has_second_factor, "passkeys_removed": len(passkeys)}


def do_reset_second_factor(unit: Unit, actor: Actor, user_id: UUID) -> None:
    """Someone lost the phone with their authenticator and their recovery codes: an admin
    takes away their second factors and signs them out everywhere. They sign in with their
    password and set up a new second factor (at once, where the practice requires one)."""
    check_admin(actor)
    target = get_user(unit, actor, user_id)
    if target.id == actor.user_id:
        raise Forbidden(
            "You cannot reset your own second factor here: change it in your own settings "
            "(it asks for your password), or ask another owner or admin."
        )
    if not may_assign_role(actor.user.role, target.role):
        raise Forbidden("Only an owner can reset an owner's second factor.")
    removed = _remove_second_factors(unit, target)
    unit.audit(
        AuditKind.SECOND_FACTOR_DISABLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=user_id,
        details={"by_admin": True, **removed},
    )
    sign_out_everywhere(unit, actor.practice_id, user_id, reason="second_factor_reset", by=actor)


def do_recover_account(
    unit: Unit,
    *,
    practice_code: str,
    email: str,
    new_password: NewSecret,
    reset_second_factor: bool,
) -> User:
    """From the server's console (``quietline recover-account``): a new password for someone
    who cannot sign in, and no second factor if asked; every session of theirs ends. For the
    owner of a solo practice nobody else can reset. Whoever runs it holds the database and
    the key files, which is all of the practice's data anyway; it is audited as done from the
    console, by no one in the practice."""
    practice = unit.practices.get_by_slug(practice_code.strip().lower())
    user = (
        None if practice is None else unit.users.get_by_email(practice.id, normalize_email(email))
    )
    if practice is None or user is None:
        raise NotFound("account")  # the same answer for either: nothing to tell apart
    problem = password_problem(new_password.plain)
    if problem:
        raise InvalidInput(problem)
    unit.users.update(
        practice.id,
        user.id,
        password_hash=new_password.hashed,
        password_changed_at=unit.now,
    )
    details: dict[str, object] = {"via": "server_console"}
    unit.audit(
        AuditKind.PASSWORD_CHANGED,
        practice.id,
        subject_type="user",
        subject_id=user.id,
        details=details,
    )
    if reset_second_factor:
        removed = _remove_second_factors(unit, user)
        unit.audit(
            AuditKind.SECOND_FACTOR_DISABLED,
            practice.id,
            subject_type="user",
            subject_id=user.id,
            details={**details, **removed},
        )
    sign_out_everywhere(unit, practice.id, user.id, reason="account_recovered", by=None)
    return user  # as it was found: who was recovered
