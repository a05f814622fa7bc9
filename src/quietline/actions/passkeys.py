"""Passkeys (WebAuthn) through the ``webauthn`` package: a second factor at sign-in and a
quick way to reopen a locked app. Challenges are stored and used once."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from quietline.actions.context import Actor
from quietline.domain.audit import AuditKind
from quietline.domain.errors import InvalidInput, NotFound
from quietline.domain.models import Passkey
from quietline.storage.unit import Unit

CHALLENGE_LIFETIME = timedelta(minutes=5)
MAX_PASSKEYS = 10


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the passkeys belong to: the domain (rp_id) and the exact origin of the app."""

    rp_id: str
    origin: str
    name: str


def _new_challenge(unit: Unit, practice_id: UUID, user_id: UUID, purpose: str) -> bytes:
    challenge = secrets.token_bytes(32)
    unit.passkeys.add_challenge(
        practice_id, user_id, purpose, challenge, unit.now + CHALLENGE_LIFETIME
    )
    return challenge


def passkey_registration_options(unit: Unit, actor: Actor, rp: RelyingParty) -> dict[str, Any]:
    existing = unit.passkeys.for_user(actor.practice_id, actor.user_id)
    if len(existing) >= MAX_PASSKEYS:
        raise InvalidInput(f"You can have at most {MAX_PASSKEYS} passkeys. Remove one first.")
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_id=actor.user_id.bytes,
        user_name=actor.user.email,
        user_display_name=actor.user.display_name,
        challenge=_new_challenge(unit, actor.practice_id, actor.user_id, "register"),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def _client_challenge(credential: dict[str, Any]) -> bytes:
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        return base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("The passkey answer is not complete. Try again.") from exc


@dataclass(frozen=True, slots=True)
class RegistrationRefused:
    """Returned, not raised, so the transaction commits: the challenge stays used up."""

    detail: str


def do_register_passkey(
    unit: Unit, actor: Actor, rp: RelyingParty, name: str, credential: dict[str, Any]
) -> Passkey | RegistrationRefused:
    name = " ".join(name.split())[:100] or "Passkey"
    challenge = _client_challenge(credential)
    if not unit.passkeys.take_challenge(
        actor.practice_id, actor.user_id, "register", challenge, unit.now
    ):
        raise InvalidInput("That passkey request has expired. Start again.")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        return RegistrationRefused("The passkey could not be verified. Try again.")
    if unit.passkeys.by_credential(actor.practice_id, actor.user_id, verified.credential_id):
        return RegistrationRefused("This passkey is already registered.")
    passkey = Passkey(
        id=uuid4(),
        practice_id=actor.practice_id,
        user_id=actor.user_id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        created_at=unit.now,
        last_used_at=None,
    )
    unit.passkeys.insert(passkey)
    # A passkey is a second factor: a session restricted for the lack of one is freed.
    unit.sessions.mark_second_factor(actor.practice_id, actor.session_id)
    unit.audit(
        AuditKind.SECOND_FACTOR_ENABLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
        details={"method": "passkey", "passkey_id": str(passkey.id)},
    )
    return passkey


def list_passkeys(unit: Unit, actor: Actor) -> list[Passkey]:
    return unit.passkeys.for_user(actor.practice_id, actor.user_id)


def do_delete_passkey(unit: Unit, actor: Actor, passkey_id: UUID) -> None:
    if not unit.passkeys.delete(actor.practice_id, actor.user_id, passkey_id):
        raise NotFound("passkey")
    unit.audit(
        AuditKind.SECOND_FACTOR_DISABLED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=actor.user_id,
        details={"method": "passkey", "passkey_id": str(passkey_id)},
    )


def passkey_request_options(
    unit: Unit, practice_id: UUID, user_id: UUID, purpose: str, rp: RelyingParty
) -> dict[str, Any] | None:
    """Options for ``navigator.credentials.get``; None when the person has no passkey."""
    existing = unit.passkeys.for_user(practice_id, user_id)
    if not existing:
        return None
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=_new_challenge(unit, practice_id, user_id, purpose),
        allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def check_passkey(
    unit: Unit,
    practice_id: UUID,
    user_id: UUID,
    purpose: str,
    rp: RelyingParty,
    credential: dict[str, Any],
) -> bool:
    """Verify an assertion against a challenge issued for this person and purpose (used
    once). Records the use. False for anything that does not verify."""
    try:
        challenge = _client_challenge(credential)
        credential_id = base64url_to_bytes(credential["rawId"])
    except (InvalidInput, KeyError, TypeError, ValueError):
        return False
    if not unit.passkeys.take_challenge(practice_id, user_id, purpose, challenge, unit.now):
        return False
    passkey = unit.passkeys.by_credential(practice_id, user_id, credential_id)
    if passkey is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return False
    unit.passkeys.record_use(practice_id, passkey.id, verified.new_sign_count, unit.now)
    return True
