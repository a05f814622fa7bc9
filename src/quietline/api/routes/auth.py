from __future__ import annotations

import asyncio
from typing import Any, NoReturn
from uuid import UUID

from fastapi import APIRouter, Request, Response

from quietline.actions.auth import (
    PasswordVerdict,
    SignInRequest,
    WrongSecret,
    do_begin_totp,
    do_change_password,
    do_confirm_totp,
    do_disable_totp,
    do_regenerate_recovery_codes,
    do_revoke_device,
    do_sign_in,
    do_sign_out,
    list_devices,
    sign_in_hash,
)
from quietline.actions.auth import (
    SignedIn as SignedInResult,
)
from quietline.api import schemas as s
from quietline.api.access import Public, ServicesDep, SignedIn, SignedInAny, SignedInEvenLocked
from quietline.api.views import me_out, policy_out, signed_in_out
from quietline.api.web_session import clear_cookie_headers
from quietline.app import Services
from quietline.crypto.passwords import NewSecret
from quietline.domain.errors import Forbidden, InvalidInput, QuietlineError, Unauthenticated

router = APIRouter(tags=["sign-in and devices"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def check_password_first(svc: Services, req: SignInRequest) -> PasswordVerdict | None:
    """The sign-in's argon2id check, on a worker thread (it releases the GIL) against the hash
    read on the read pool, so that it does not run in the single writer and hold up every send
    behind it; the write re-checks that the hash is unchanged. None when throttled: a throttled
    guess costs no hashing."""
    throttled, stored = await svc.db.read(lambda unit: sign_in_hash(unit, svc.lookup_key, req))
    if throttled:
        return None
    check = await asyncio.to_thread(svc.passwords.verify, stored, req.password)
    rehashed = None
    if check.ok and check.needs_rehash:
        rehashed = await asyncio.to_thread(svc.passwords.hash, req.password)
    return PasswordVerdict(stored, check, rehashed)


async def checked_first(svc: Services, stored: str, given: str) -> tuple[str, bool]:
    """Before a write that needs the password: ``given`` checked against ``stored`` on a
    worker thread, so that the writer does not (decision 0003). The write uses the verdict
    only if ``stored`` is still the stored hash."""
    return stored, (await asyncio.to_thread(svc.passwords.verify, stored, given)).ok


async def checked_and_hashed(
    svc: Services, stored: str, given: str, new: str
) -> tuple[tuple[str, bool], NewSecret | None]:
    """Before a write that needs the password and sets a new password or PIN: the password
    checked (:func:`checked_first`), then the new secret hashed on a worker thread, only if
    the password was right: a wrong guess costs one argon2id check, not two."""
    checked = await checked_first(svc, stored, given)
    secret = await asyncio.to_thread(svc.passwords.new_secret, new) if checked[1] else None
    return checked, secret


def refuse(
    wrong: WrongSecret, svc: Services, request: Request, status: type[QuietlineError]
) -> NoReturn:
    """Raise a counted refusal (:class:`WrongSecret`) once its write has committed: ``status``
    with the tries left, or 401 when it signed this device out (and the web app's cookie is
    dropped)."""
    if wrong.signed_out:
        headers = clear_cookie_headers(svc.settings) if request.state.from_cookie else None
        raise Unauthenticated(wrong.detail, headers=headers)
    raise status(wrong.detail, extra={"tries_left": wrong.tries_left})


async def open_session(
    svc: Services, body: s.SignInIn, request: Request, **extra: Any
) -> SignedInResult:
    """Run the sign-in for an API or a web app request; raises the refusal (after it
    committed its failure count and audit row)."""
    req = SignInRequest(
        practice_slug=body.practice,
        email=body.email,
        password=body.password,
        device_name=body.device_name or request.headers.get("user-agent", "")[:60],
        address=client_address(request),
        otp_code=body.otp_code,
        recovery_code=body.recovery_code,
        **extra,
    )
    verdict = await check_password_first(svc, req)
    result = await svc.db.write(
        lambda unit: do_sign_in(unit, svc.passwords, svc.lookup_key, req, verdict)
    )
    if not isinstance(result, SignedInResult):
        raise result.error
    return result


@router.post("/auth/sign-in", response_model=s.SignInOut, dependencies=[Public])
async def sign_in(body: s.SignInIn, request: Request, svc: ServicesDep) -> s.SignInOut:
    """Open a device session. The answer is the same whether or not the account exists."""
    return signed_in_out(await open_session(svc, body, request))


@router.post("/auth/sign-out", status_code=204)
async def sign_out(request: Request, auth: SignedInEvenLocked, svc: ServicesDep) -> Response:
    """End this device's session (also from a locked app). The web app's cookie is dropped
    and the browser told to clear what the site stored."""
    actor = auth.actor
    await svc.db.write(lambda unit: do_sign_out(unit, actor))
    headers = clear_cookie_headers(svc.settings) if request.state.from_cookie else {}
    return Response(status_code=204, headers=headers)


@router.get("/me", response_model=s.MeOut)
async def me(actor: SignedInAny, svc: ServicesDep) -> s.MeOut:
    policy = actor.practice.policy
    restricted = policy.require_second_factor and not actor.session.second_factor_verified
    return me_out(actor, restricted)


@router.post("/me/password", status_code=204)
async def change_password(
    body: s.PasswordChangeIn, request: Request, actor: SignedIn, svc: ServicesDep
) -> Response:
    """Change your password. Every other device is signed out. A wrong current password
    counts toward this device's five wrong tries (as the app lock's do)."""
    checked, new = await checked_and_hashed(
        svc, actor.user.password_hash, body.current_password, body.new_password
    )
    wrong = await svc.db.write(
        lambda unit: do_change_password(
            unit, svc.passwords, actor, body.current_password, new, checked
        )
    )
    if wrong is not None:
        refuse(wrong, svc, request, Forbidden)
    return Response(status_code=204)


@router.get("/me/devices", response_model=list[s.DeviceOut])
async def my_devices(actor: SignedInAny, svc: ServicesDep) -> list[s.DeviceOut]:
    sessions = await svc.db.read(lambda unit: list_devices(unit, actor))
    return [
        s.DeviceOut(
            id=d.id,
            device_name=d.device_name,
            created_at=d.created_at,
            last_seen_at=d.last_seen_at,
            current=d.id == actor.session_id,
        )
        for d in sessions
    ]


@router.delete("/devices/{device_id}", status_code=204)
async def revoke_device(device_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """Sign a device out now: yours, or (admins) anyone's in the practice."""
    await svc.db.write(lambda unit: do_revoke_device(unit, actor, device_id))
    return Response(status_code=204)


@router.post("/me/second-factor/totp", response_model=s.TotpBeginOut)
async def begin_totp(actor: SignedInAny, svc: ServicesDep) -> s.TotpBeginOut:
    """Start setting up an authenticator app; confirm with a code to turn it on."""
    enrollment = await svc.db.write(lambda unit: do_begin_totp(unit, actor, svc.settings.issuer))
    return s.TotpBeginOut(secret=enrollment.secret, otpauth_uri=enrollment.uri)


@router.post("/me/second-factor/totp/confirm", response_model=s.RecoveryCodesOut)
async def confirm_totp(body: s.CodeIn, actor: SignedInAny, svc: ServicesDep) -> s.RecoveryCodesOut:
    codes = await svc.db.write(lambda unit: do_confirm_totp(unit, actor, body.code))
    return s.RecoveryCodesOut(recovery_codes=codes)


@router.post("/me/second-factor/recovery-codes", response_model=s.RecoveryCodesOut)
async def regenerate_codes(
    body: s.CodeIn, request: Request, actor: SignedIn, svc: ServicesDep
) -> s.RecoveryCodesOut:
    """New recovery codes (the old ones stop working). A wrong code counts toward this
    device's five wrong tries."""
    codes = await svc.db.write(lambda unit: do_regenerate_recovery_codes(unit, actor, body.code))
    if isinstance(codes, WrongSecret):
        refuse(codes, svc, request, InvalidInput)
    return s.RecoveryCodesOut(recovery_codes=codes)


@router.post("/me/second-factor/disable", status_code=204)
async def disable_totp(
    body: s.PasswordIn, request: Request, actor: SignedIn, svc: ServicesDep
) -> Response:
    """Turn the authenticator app off (unless the practice requires it). A wrong password
    counts toward this device's five wrong tries."""
    checked = await checked_first(svc, actor.user.password_hash, body.password)
    wrong = await svc.db.write(
        lambda unit: do_disable_totp(unit, svc.passwords, actor, body.password, checked)
    )
    if wrong is not None:
        refuse(wrong, svc, request, Forbidden)
    return Response(status_code=204)


@router.get("/practice/policy", response_model=s.PolicyOut)
async def read_policy(actor: SignedInAny) -> s.PolicyOut:
    return policy_out(actor.practice.policy)
