"""Signing in and out, device sessions, passwords and second factors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NewType
from uuid import UUID, uuid4

from quietline.actions.context import Actor, check_admin
from quietline.actions.passkeys import RelyingParty, check_passkey, passkey_request_options
from quietline.crypto import second_factor
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import open_user_secret, seal_user_secret
from quietline.crypto.passwords import NewSecret, PasswordCheck, Passwords, password_problem
from quietline.crypto.tokens import keyed_hash, new_token, token_hash
from quietline.domain.audit import AuditKind
from quietline.domain.errors import (
    AppLocked,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    SecondFactorRequired,
    TooManyRequests,
    Unauthenticated,
    present,
)
from quietline.domain.events import Event, session_topic
from quietline.domain.models import DeviceSession, Practice, User
from quietline.storage.unit import Unit

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 30
TOUCH_INTERVAL = timedelta(seconds=60)
_GENERIC_FAILURE = "The email or password is not right. Check both and try again."
_THROTTLED = (
    "Too many sign-in attempts. Wait 15 minutes and try again, or ask your practice admin "
    "to reset your password."
)
TOTP_PURPOSE = "totp"
_SESSION_ENDED = "Your session has ended. Sign in again."
APP_LOCKED = "The app is locked. Unlock it with your PIN, a passkey or your password."
SECOND_FACTOR_SETUP_NEEDED = (
    "Your practice requires a second factor. Set up an authenticator app "
    "(POST /api/v1/me/second-factor/totp) to continue."
)


@dataclass(frozen=True, slots=True)
class SignInRequest:
    practice_slug: str
    email: str
    # Secrets stay out of any printed value (a log line, an error's message).
    password: str = field(repr=False)
    device_name: str
    address: str
    otp_code: str | None = field(default=None, repr=False)
    recovery_code: str | None = field(default=None, repr=False)
    passkey: dict[str, Any] | None = None
    relying_party: RelyingParty | None = None  # needed for passkeys (web sign-in)
    client: str = "api"  # "web": the staff web app, with its cookie and app lock


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    actor: Actor
    restricted: bool


@dataclass(frozen=True, slots=True)
class SignInRefused:
    """A refusal that must still commit (failure counters, audit), so it is returned."""

    error: Exception


@dataclass(frozen=True, slots=True)
class Authenticated:
    actor: Actor
    needs_touch: bool
    restricted: bool
    locked: bool = False


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _throttle_keys(lookup_key: bytes, req: SignInRequest) -> tuple[bytes, bytes]:
    slug = req.practice_slug.strip().lower()
    account = keyed_hash(lookup_key, f"account|{slug}|{normalize_email(req.email)}")
    address = keyed_hash(lookup_key, f"address|{req.address}")
    return account, address


@dataclass(frozen=True, slots=True)
class PasswordVerdict:
    """A sign-in's password checked before its transaction, on a worker thread, against the
    stored hash :func:`sign_in_hash` read (``None``: no such account, the dummy hash was used)."""

    stored_hash: str | None
    check: PasswordCheck
    # The password hashed anew when the check says its hash is due an upgrade (made on the
    # same worker thread, so that the writer does not hash either).
    rehashed: str | None = None


def _throttled(unit: Unit, account_key: bytes, address_key: bytes) -> bool:
    return (
        unit.throttle.failures(account_key, unit.now, THROTTLE_WINDOW) >= MAX_ACCOUNT_FAILURES
        or unit.throttle.failures(address_key, unit.now, THROTTLE_WINDOW) >= MAX_ADDRESS_FAILURES
    )


def sign_in_hash(unit: Unit, lookup_key: bytes, req: SignInRequest) -> tuple[bool, str | None]:
    """Read only, before a sign-in: whether it is throttled, and the stored hash its password
    is to be checked against (None for an account that does not exist)."""
    account_key, address_key = _throttle_keys(lookup_key, req)
    if _throttled(unit, account_key, address_key):
        return True, None
    practice = unit.practices.get_by_slug(req.practice_slug.strip().lower())
    user = unit.users.get_by_email(practice.id, normalize_email(req.email)) if practice else None
    return False, user.password_hash if user else None


def do_sign_in(
    unit: Unit,
    passwords: Passwords,
    lookup_key: bytes,
    req: SignInRequest,
    verdict: PasswordVerdict | None = None,
) -> SignedIn | SignInRefused:
    """Check credentials and open a device session.

    Every refusal says the same thing whether or not the account exists, and takes the same
    password-hash time. ``verdict``: the password already checked outside the transaction
    (argon2id takes tens of milliseconds, which would hold up every write queued behind this
    one); used only if the stored hash is still the one it was checked against.
    """
    account_key, address_key = _throttle_keys(lookup_key, req)
    practice = unit.practices.get_by_slug(req.practice_slug.strip().lower())
    if _throttled(unit, account_key, address_key):
        if practice is not None:
            unit.audit(AuditKind.SIGN_IN_THROTTLED, practice.id, details={})
        return SignInRefused(TooManyRequests(_THROTTLED, headers={"Retry-After": "900"}))

    user = unit.users.get_by_email(practice.id, normalize_email(req.email)) if practice else None
    stored = user.password_hash if user else None
    rehashed = None
    if verdict is not None and verdict.stored_hash == stored:
        check, rehashed = verdict.check, verdict.rehashed
    else:  # not checked first, or the password changed in between
        check = passwords.verify(stored, req.password)

    def refuse(reason: str, error: Exception | None = None) -> SignInRefused:
        unit.throttle.record_failure(account_key, unit.now, THROTTLE_WINDOW)
        unit.throttle.record_failure(address_key, unit.now, THROTTLE_WINDOW)
        if practice is not None:
            unit.audit(
                AuditKind.SIGN_IN_FAILED,
                practice.id,
                subject_type="user" if user else None,
                subject_id=user.id if user else None,
                details={"reason": reason},
            )
        return SignInRefused(error or Unauthenticated(_GENERIC_FAILURE))

    if practice is None or user is None:
        return refuse("unknown_account")
    if not check.ok:
        return refuse("bad_password")
    if not user.is_active:
        return refuse("inactive_account")

    verified = False
    has_passkey = unit.passkeys.count_for_user(practice.id, user.id) > 0
    if user.has_second_factor or has_passkey:
        if req.passkey is not None:
            if req.relying_party is None or not check_passkey(
                unit, practice.id, user.id, "sign_in", req.relying_party, req.passkey
            ):
                return refuse(
                    "bad_passkey",
                    SecondFactorRequired("The passkey was not accepted. Try again, or use a code."),
                )
        elif req.recovery_code and user.has_second_factor:
            if not unit.users.use_recovery_code(
                practice.id, user.id, second_factor.recovery_code_hash(req.recovery_code), unit.now
            ):
                return refuse(
                    "bad_recovery_code",
                    SecondFactorRequired("That recovery code is not valid or was already used."),
                )
            unit.audit(
                AuditKind.RECOVERY_CODE_USED,
                practice.id,
                actor_user_id=user.id,
                subject_type="user",
                subject_id=user.id,
            )
        elif req.otp_code and user.has_second_factor:
            if not _consume_totp(
                unit,
                user.practice_id,
                user.id,
                user.totp_secret_sealed,
                user.totp_last_step,
                req.otp_code,
            ):
                return refuse(
                    "bad_second_factor",
                    SecondFactorRequired(
                        "That code is not right. Enter the 6-digit code your authenticator app "
                        "shows now, or a recovery code."
                    ),
                )
        else:
            # The password was right; no failure is counted, the person is asked for the code.
            return SignInRefused(_second_factor_needed(unit, req, user, has_passkey))
        verified = True

    if check.needs_rehash:
        upgraded = rehashed if rehashed is not None else passwords.hash(req.password)
        unit.users.update(practice.id, user.id, password_hash=upgraded)
    unit.throttle.clear(account_key)
    token = new_token()
    session_id = uuid4()
    unit.sessions.insert(
        session_id=session_id,
        practice_id=practice.id,
        user_id=user.id,
        token_hash=token_hash(token),
        device_name=_device_name(req.device_name),
        now=unit.now,
        second_factor_verified=verified,
        client=req.client,
    )
    unit.audit(
        AuditKind.SIGN_IN,
        practice.id,
        actor_user_id=user.id,
        actor_session_id=session_id,
        subject_type="session",
        subject_id=session_id,
        details={"second_factor": verified},
    )
    session = present(unit.sessions.get(practice.id, session_id), "new session")
    restricted = practice.policy.require_second_factor and not verified
    return SignedIn(token, Actor(user, session, practice), restricted)


def _second_factor_needed(
    unit: Unit, req: SignInRequest, user: User, has_passkey: bool
) -> SecondFactorRequired:
    methods: list[str] = []
    extra: dict[str, object] = {"methods": methods}
    if user.has_second_factor:
        methods += ["totp", "recovery_code"]
    if has_passkey and req.relying_party is not None:
        options = passkey_request_options(
            unit, user.practice_id, user.id, "sign_in", req.relying_party
        )
        if options is not None:
            methods.append("passkey")
            extra["passkey_options"] = options
    if methods == ["passkey"]:
        detail = "Confirm with your passkey."
    elif "passkey" in methods:
        detail = (
            "Confirm with your passkey, the code from your authenticator app, or a recovery code."
        )
    elif methods:
        detail = "Enter the 6-digit code from your authenticator app, or a recovery code."
    else:
        detail = "Your second factor is a passkey: sign in from the web app to use it."
    return SecondFactorRequired(detail, extra=extra)


def _device_name(raw: str) -> str:
    name = " ".join(raw.split())[:100]
    return name or "Unnamed device"


def _consume_totp(
    unit: Unit,
    practice_id: UUID,
    user_id: UUID,
    sealed: bytes | None,
    last_step: int | None,
    code: str,
) -> bool:
    if sealed is None:
        return False
    secret = _open_totp(unit, practice_id, user_id, sealed)
    step = second_factor.match_totp(secret, code, unit.now, after_step=last_step)
    if step is None:
        return False
    unit.users.update(practice_id, user_id, totp_last_step=step)
    return True


def _open_totp(unit: Unit, practice_id: UUID, user_id: UUID, sealed: bytes) -> str:
    key_id = read_header(sealed).key_id
    raw = unit.keyring.practice_key(practice_id, unit.practices.key(practice_id, key_id))
    return open_user_secret(raw, practice_id, user_id, TOTP_PURPOSE, sealed)


def authenticate(unit: Unit, token: str, *, allow_locked: bool = False) -> Authenticated:
    """Resolve a session token to an actor, applying the practice's current policy.

    A locked web app gets :class:`AppLocked` unless ``allow_locked`` (unlocking, signing out).
    """
    found = unit.sessions.with_owner_by_token_hash(token_hash(token))
    if found is None:
        raise Unauthenticated(_SESSION_ENDED)
    session, user, practice = found
    auth = check_session(unit, session, user, practice)
    if auth.locked and not allow_locked:
        raise AppLocked(APP_LOCKED)
    return auth


SessionToken = NewType("SessionToken", str)


def authorize(unit: Unit, token: SessionToken) -> Actor:
    """Authenticate inside the caller's write transaction: a live, unrestricted session.

    Refreshes the session's last use when due, in the same transaction.
    """
    auth = authorize_read(unit, token)
    if auth.needs_touch:
        do_touch(unit, auth.actor)
    return auth.actor


def authorize_read(unit: Unit, token: SessionToken) -> Authenticated:
    """Authenticate inside the caller's read transaction: a live, unrestricted session.

    A read cannot refresh the session's last use; the caller does that afterwards when
    ``needs_touch`` says so.
    """
    auth = authenticate(unit, token)
    if auth.restricted:
        raise Forbidden(SECOND_FACTOR_SETUP_NEEDED)
    return auth


def sessions_still_usable(unit: Unit, session_ids: list[UUID]) -> dict[UUID, str]:
    """Of these sessions, the ones a WebSocket may stay open for right now, as "ok", or
    "locked" (alive, but the app must show its lock screen). Sessions not in the answer have
    ended: revoked, deactivated, past the idle or absolute limits, or restricted."""
    usable: dict[UUID, str] = {}
    for session, user, practice in unit.sessions.with_owners_by_ids(session_ids):
        try:
            auth = check_session(unit, session, user, practice)
        except Unauthenticated:
            continue
        if not auth.restricted:
            usable[session.id] = "locked" if auth.locked else "ok"
    return usable


def check_session(
    unit: Unit,
    session: DeviceSession,
    user: User | None = None,
    practice: Practice | None = None,
) -> Authenticated:
    """Is this device session still alive now? Revocation, deactivation, idle and absolute
    limits, all under the practice's current policy. ``user`` and ``practice`` may be passed
    when the caller loaded them with the session."""
    if session.revoked_at is not None:
        raise Unauthenticated(_SESSION_ENDED)
    practice = practice or unit.practices.get(session.practice_id)
    user = user or unit.users.get(session.practice_id, session.user_id)
    if practice is None or user is None or not user.is_active:
        raise Unauthenticated(_SESSION_ENDED)
    policy = practice.policy
    if unit.now >= session.created_at + policy.absolute_lifetime:
        raise Unauthenticated(
            f"Sessions last at most {_count(policy.session_absolute_hours, 'hour')}. Sign in again."
        )
    if unit.now - session.last_seen_at >= policy.idle_timeout:
        raise Unauthenticated(
            f"You were signed out after {_count(policy.session_idle_minutes, 'minute')} without "
            "activity. Sign in again."
        )
    touch_every = min(TOUCH_INTERVAL, policy.idle_timeout / 10)
    locked = False
    if session.is_web:
        # The app lock: explicit (the app locked itself), or the server's own idle count,
        # so a page that stopped running (a sleeping phone) is locked all the same.
        lock_after = timedelta(minutes=policy.app_lock_minutes)
        touch_every = min(touch_every, lock_after / 10)
        locked = session.locked_at is not None or unit.now - session.last_seen_at >= lock_after
    return Authenticated(
        actor=Actor(user, session, practice),
        # A locked session is not refreshed: only unlocking counts as the person's return.
        needs_touch=not locked and unit.now - session.last_seen_at >= touch_every,
        restricted=policy.require_second_factor and not session.second_factor_verified,
        locked=locked,
    )


def do_forget_stale_throttles(unit: Unit) -> int:
    """Drop failure counters whose window has passed (scheduled job)."""
    return unit.throttle.forget_older_than(unit.now - THROTTLE_WINDOW)


def do_touch(unit: Unit, actor: Actor) -> None:
    unit.sessions.touch(actor.practice_id, actor.session_id, unit.now)


def sign_out_everywhere(
    unit: Unit, practice_id: UUID, user_id: UUID, *, reason: str, by: Actor | None
) -> list[UUID]:
    """Revoke every live session of one user (:func:`revoke_sessions`)."""
    return revoke_sessions(
        unit,
        practice_id,
        unit.sessions.live_ids_for_user(practice_id, user_id),
        reason=reason,
        by=by,
    )


def revoke_sessions(
    unit: Unit,
    practice_id: UUID,
    session_ids: list[UUID],
    *,
    reason: str,
    by: Actor | None,
    audit_kind: AuditKind | None = AuditKind.DEVICE_REVOKED,
) -> list[UUID]:
    """Revoke sessions, audit each, and tell their open sockets to close."""
    revoked = unit.sessions.revoke(
        practice_id, session_ids, unit.now, reason, by.user_id if by else None
    )
    # A lost phone must not keep getting notifications, even content-free ones.
    unit.notifications.delete_subscriptions(practice_id, revoked)
    for sid in revoked:
        if audit_kind is not None:
            # When the device was last used: what someone asks about a lost phone.
            session = unit.sessions.get(practice_id, sid)
            last_seen = session.last_seen_at.isoformat() if session is not None else None
            unit.audit(
                audit_kind,
                practice_id,
                actor_user_id=by.user_id if by else None,
                actor_session_id=by.session_id if by else None,
                subject_type="session",
                subject_id=sid,
                details={"reason": reason, "last_seen_at": last_seen},
            )
        unit.emit(
            Event(
                practice_id,
                "session.revoked",
                (session_topic(sid),),
                {"session_id": str(sid), "reason": reason},
            )
        )
    return revoked


def do_sign_out(unit: Unit, actor: Actor) -> None:
    revoke_sessions(
        unit,
        actor.practice_id,
        [actor.session_id],
        reason="signed_out",
        by=actor,
        audit_kind=AuditKind.SIGN_OUT,
    )


def list_devices(unit: Unit, actor: Actor) -> list[DeviceSession]:
    return _live(unit, actor.practice_id, actor.user_id, actor)


def _live(unit: Unit, practice_id: UUID, user_id: UUID, actor: Actor) -> list[DeviceSession]:
    policy = actor.practice.policy
    return [
        s
        for s in unit.sessions.list_for_user(practice_id, user_id)
        if unit.now < s.created_at + policy.absolute_lifetime
        and unit.now - s.last_seen_at < policy.idle_timeout
    ]


def list_user_devices(unit: Unit, actor: Actor, user_id: UUID) -> list[DeviceSession]:
    check_admin(actor)
    if unit.users.get(actor.practice_id, user_id) is None:
        raise NotFound("user")
    return _live(unit, actor.practice_id, user_id, actor)


MAX_WRONG_SECRETS = 5
_SIGNED_OUT_BY_TRIES = "Too many wrong tries: this device was signed out. Sign in again."
_DEVICE_SIGNED_OUT = "This device was signed out. Sign in again."


@dataclass(frozen=True, slots=True)
class WrongSecret:
    """A wrong PIN, password, passkey or authenticator code given on a signed-in device: a
    refusal that must still commit (the count, the audit row, at the last try the sign-out),
    so the action returns it and the route raises it."""

    detail: str
    tries_left: int
    signed_out: bool


def count_wrong_secret(
    unit: Unit,
    actor: Actor,
    *,
    kind: AuditKind,
    details: dict[str, object],
    wrong: str,
    reason: str,
) -> WrongSecret:
    """Count a wrong secret against this device session. Unlocking the app and re-checking
    the password or code before a security change share one count (a held, unlocked device
    must not offer unlimited guesses either way); the fifth signs the device out. The count
    is the session row's as of this transaction, so tries sent at once are each counted."""
    current = unit.sessions.get(actor.practice_id, actor.session_id)
    if current is None or current.revoked_at is not None:
        return WrongSecret(_DEVICE_SIGNED_OUT, 0, True)
    failures = current.unlock_failures + 1
    unit.sessions.count_unlock_failure(actor.practice_id, actor.session_id)
    unit.audit(
        kind,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="session",
        subject_id=actor.session_id,
        details={**details, "failures": failures},
    )
    if failures >= MAX_WRONG_SECRETS:
        revoke_sessions(unit, actor.practice_id, [actor.session_id], reason=reason, by=None)
        return WrongSecret(_SIGNED_OUT_BY_TRIES, 0, True)
    left = MAX_WRONG_SECRETS - failures
    tries = "1 more try" if left == 1 else f"{left} more tries"
    return WrongSecret(f"{wrong} {tries} before this device is signed out.", left, False)


def right_secret(unit: Unit, actor: Actor) -> None:
    """A right password or code confirmed a security change: this device is back to five
    tries, as after unlocking (someone who knows the password gains nothing from a reset)."""
    if actor.session.unlock_failures:
        unit.sessions.forgive_unlock_failures(actor.practice_id, actor.session_id)


def wrong_password(unit: Unit, actor: Actor, purpose: str) -> WrongSecret:
    """A wrong password given to confirm a security change (``purpose``), counted."""
    return count_wrong_secret(
        unit,
        actor,
        kind=AuditKind.SECRET_CHECK_FAILED,
        details={"for": purpose, "method": "password"},
        wrong="The password is not right.",
        reason="secret_check_failed",
    )


def do_revoke_device(unit: Unit, actor: Actor, session_id: UUID) -> None:
    """A person revokes any of their own devices; an admin, any device in the practice."""
    target = unit.sessions.get(actor.practice_id, session_id)
    if target is None or (target.user_id != actor.user_id and not actor.is_admin):
        raise NotFound("device")
    if target.revoked_at is not None:
        return
    reason = "revoked_by_owner" if target.user_id == actor.user_id else "revoked_by_admin"
    revoke_sessions(unit, actor.practice_id, [session_id], reason=reason, by=actor)


def do_change_password(
    unit: Unit,
    passwords: Passwords,
    actor: Actor,
    current: str,
    new: NewSecret | None,
    checked: tuple[str, bool] | None = None,
) -> WrongSecret | None:
    """Change the password; every other session of the person is revoked. ``new`` is hashed
    and ``current`` checked (``checked``: see :meth:`Passwords.verified`) before the write;
    ``new`` is None when that check failed (a wrong guess costs no hashing). A wrong current
    password is counted against this device (:func:`count_wrong_secret`)."""
    if new is None or not passwords.verified(actor.user.password_hash, current, checked):
        return wrong_password(unit, actor, "password_change")
    right_secret(unit, actor)
    problem = password_problem(new.plain)
    if problem:
        raise InvalidInput(problem)
    if current == new.plain:
        raise InvalidInput("Choose a new password that differs from the current one.")
    unit.users.update(
        actor.practice_id,
        actor.user_id,
        password_hash=new.hashed,
        password_changed_at=unit.now,
    )
    unit.audit(
        AuditKind.PASSWORD_CHANGED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
    )
    others = [
        sid
        for sid in unit.sessions.live_ids_for_user(actor.practice_id, actor.user_id)
        if sid != actor.session_id
    ]
    revoke_sessions(unit, actor.practice_id, others, reason="password_changed", by=actor)
    return None


@dataclass(frozen=True, slots=True)
class TotpEnrollment:
    secret: str
    uri: str


def do_begin_totp(unit: Unit, actor: Actor, issuer: str) -> TotpEnrollment:
    if actor.user.has_second_factor:
        raise Conflict("An authenticator app is already set up. Turn it off first to replace it.")
    secret = second_factor.new_totp_secret()
    stored, pk = unit.practice_key(actor.practice_id)
    sealed = seal_user_secret(
        pk, stored.key_id, actor.practice_id, actor.user_id, TOTP_PURPOSE, secret
    )
    unit.users.update(actor.practice_id, actor.user_id, totp_pending_sealed=sealed)
    return TotpEnrollment(secret, second_factor.provisioning_uri(secret, actor.user.email, issuer))


def do_confirm_totp(unit: Unit, actor: Actor, code: str) -> list[str]:
    """Turn the pending authenticator on once it produced a valid code; returns recovery codes."""
    user = present(unit.users.get(actor.practice_id, actor.user_id), "acting user")
    if user.has_second_factor:
        raise Conflict("An authenticator app is already set up.")
    if user.totp_pending_sealed is None:
        raise Conflict("Start the set-up first: no authenticator is waiting for confirmation.")
    secret = _open_totp(unit, actor.practice_id, actor.user_id, user.totp_pending_sealed)
    step = second_factor.match_totp(secret, code, unit.now, after_step=None)
    if step is None:
        raise InvalidInput("That code is not right. Enter the 6-digit code your app shows now.")
    unit.users.update(
        actor.practice_id,
        actor.user_id,
        totp_secret_sealed=user.totp_pending_sealed,
        totp_pending_sealed=None,
        totp_enabled_at=unit.now,
        totp_last_step=step,
    )
    unit.sessions.mark_second_factor(actor.practice_id, actor.session_id)
    codes = _replace_recovery_codes(unit, actor)
    unit.audit(
        AuditKind.SECOND_FACTOR_ENABLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
        details={"method": "totp"},
    )
    return codes


def _replace_recovery_codes(unit: Unit, actor: Actor) -> list[str]:
    codes = second_factor.new_recovery_codes()
    unit.users.replace_recovery_codes(
        actor.practice_id,
        actor.user_id,
        [(uuid4(), second_factor.recovery_code_hash(c)) for c in codes],
    )
    return codes


def do_regenerate_recovery_codes(unit: Unit, actor: Actor, code: str) -> list[str] | WrongSecret:
    """New recovery codes for a code from the authenticator app. A wrong code is counted
    against this device (:func:`count_wrong_secret`): six digits must not be guessable from
    a held device."""
    user = present(unit.users.get(actor.practice_id, actor.user_id), "acting user")
    if not user.has_second_factor:
        raise Conflict("Set up an authenticator app first.")
    if not _consume_totp(
        unit, user.practice_id, user.id, user.totp_secret_sealed, user.totp_last_step, code
    ):
        return count_wrong_secret(
            unit,
            actor,
            kind=AuditKind.SECRET_CHECK_FAILED,
            details={"for": "recovery_codes", "method": "authenticator_code"},
            wrong="That code is not right. Enter the 6-digit code your app shows now.",
            reason="secret_check_failed",
        )
    right_secret(unit, actor)
    codes = _replace_recovery_codes(unit, actor)
    unit.audit(
        AuditKind.RECOVERY_CODES_REGENERATED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
    )
    return codes


def remove_authenticator(unit: Unit, practice_id: UUID, user_id: UUID) -> None:
    """Forget someone's authenticator app (set up or half set up) and recovery codes."""
    unit.users.update(
        practice_id,
        user_id,
        totp_secret_sealed=None,
        totp_pending_sealed=None,
        totp_enabled_at=None,
        totp_last_step=None,
    )
    unit.users.replace_recovery_codes(practice_id, user_id, [])


def do_disable_totp(
    unit: Unit,
    passwords: Passwords,
    actor: Actor,
    password: str,
    checked: tuple[str, bool] | None = None,
) -> WrongSecret | None:
    """Turn the authenticator app off. ``password`` is checked before the write
    (``checked``: see :meth:`Passwords.verified`); a wrong one is counted against this
    device (:func:`count_wrong_secret`)."""
    if actor.practice.policy.require_second_factor:
        raise Forbidden("Your practice requires a second factor, so it cannot be turned off.")
    if not passwords.verified(actor.user.password_hash, password, checked):
        return wrong_password(unit, actor, "second_factor_off")
    right_secret(unit, actor)
    if not actor.user.has_second_factor:
        return None
    remove_authenticator(unit, actor.practice_id, actor.user_id)
    unit.audit(
        AuditKind.SECOND_FACTOR_DISABLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
    )
    return None
