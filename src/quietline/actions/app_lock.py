"""The app lock of the staff web app: lock this device, reopen it with a PIN, a passkey or
the password. Five wrong tries end the session, as if the device had been revoked; wrong
passwords and codes given to confirm a security change count toward the same five
(:func:`quietline.actions.auth.count_wrong_secret`)."""

from __future__ import annotations

import re
from typing import Any

from quietline.actions.auth import WrongSecret, count_wrong_secret, right_secret, wrong_password
from quietline.actions.context import Actor
from quietline.actions.passkeys import RelyingParty, check_passkey, passkey_request_options
from quietline.crypto.passwords import NewSecret, Passwords
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput
from quietline.domain.events import Event, session_topic
from quietline.storage.unit import Unit

_PIN = re.compile(r"^[0-9]{4,12}$")


def do_lock(unit: Unit, actor: Actor) -> None:
    if not actor.session.is_web:
        raise InvalidInput("Only the web app locks; API sessions end with sign-out.")
    if unit.sessions.lock(actor.practice_id, actor.session_id, unit.now):
        unit.audit(
            AuditKind.APP_LOCKED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="session",
            subject_id=actor.session_id,
        )
        unit.emit(
            Event(actor.practice_id, "session.locked", (session_topic(actor.session_id),), {})
        )


def unlock_passkey_options(unit: Unit, actor: Actor, rp: RelyingParty) -> dict[str, Any]:
    options = passkey_request_options(unit, actor.practice_id, actor.user_id, "unlock", rp)
    if options is None:
        raise InvalidInput("You have no passkey yet. Unlock with your PIN or password.")
    return options


def unlock_secret(actor: Actor, *, pin: str | None, password: str | None) -> tuple[str, str] | None:
    """What an unlock with a PIN or the password checks: (stored hash, what was typed).
    None for a passkey, or a PIN when none is set (the action says why)."""
    if pin is not None:
        return (actor.user.pin_hash, pin) if actor.user.pin_hash is not None else None
    return (actor.user.password_hash, password) if password is not None else None


def do_unlock(
    unit: Unit,
    passwords: Passwords,
    actor: Actor,
    *,
    pin: str | None = None,
    password: str | None = None,
    passkey: dict[str, Any] | None = None,
    rp: RelyingParty | None = None,
    checked: tuple[str, bool] | None = None,
) -> WrongSecret | None:
    """Reopen a locked app. ``checked``: (hash, ok), the PIN or password already checked
    against that hash outside the transaction (argon2id would hold up the single writer);
    used only if it is still the hash to check. Failures are counted here, in order."""
    if sum(x is not None for x in (pin, password, passkey)) != 1:
        raise InvalidInput("Unlock with exactly one of: pin, password, passkey.")
    method = "pin" if pin is not None else "password" if password is not None else "passkey"
    # The count as of this transaction, not the copy read when the request was authenticated:
    # tries sent at once must not each be checked against the same stale count.
    current = unit.sessions.get(actor.practice_id, actor.session_id)
    if current is None or current.revoked_at is not None:
        return WrongSecret("This device was signed out. Sign in again.", 0, True)
    user = actor.user
    if pin is not None:
        if user.pin_hash is None:
            raise InvalidInput("You have not set a PIN. Unlock with your password or a passkey.")
        ok = passwords.verified(user.pin_hash, pin, checked)
    elif password is not None:
        ok = passwords.verified(user.password_hash, password, checked)
    else:
        ok = (
            rp is not None
            and passkey is not None
            and check_passkey(unit, actor.practice_id, actor.user_id, "unlock", rp, passkey)
        )
    if ok:
        unit.sessions.unlock(actor.practice_id, actor.session_id, unit.now)
        unit.audit(
            AuditKind.APP_UNLOCKED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="session",
            subject_id=actor.session_id,
            details={"method": method},
        )
        return None
    return count_wrong_secret(
        unit,
        actor,
        kind=AuditKind.APP_UNLOCK_FAILED,
        details={"method": method},
        wrong="That did not match.",
        reason="unlock_failed",
    )


def do_set_pin(
    unit: Unit,
    passwords: Passwords,
    actor: Actor,
    pin: NewSecret | None,
    password: str,
    checked: tuple[str, bool] | None = None,
) -> WrongSecret | None:
    """Set the PIN that reopens the locked app. ``pin`` is hashed and ``password`` checked
    (``checked``: see :meth:`Passwords.verified`) before the write; ``pin`` is None when
    that check failed. A wrong password is counted against this device."""
    if pin is None or not passwords.verified(actor.user.password_hash, password, checked):
        return wrong_password(unit, actor, "pin_set")
    right_secret(unit, actor)
    if not _PIN.match(pin.plain):
        raise InvalidInput("A PIN is 4 to 12 digits.")
    digits = pin.plain
    if len(set(digits)) == 1 or digits in "01234567890123" or digits in "98765432109876":
        raise InvalidInput("Choose a PIN that is not a repeated or consecutive run of digits.")
    unit.users.update(actor.practice_id, actor.user_id, pin_hash=pin.hashed)
    unit.audit(
        AuditKind.PIN_SET,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
    )
    return None


def do_clear_pin(unit: Unit, actor: Actor) -> None:
    unit.users.update(actor.practice_id, actor.user_id, pin_hash=None)
    unit.audit(
        AuditKind.PIN_REMOVED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
    )
