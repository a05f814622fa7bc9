"""Sign-in, throttling, password hashing, second factors and the audit trail they leave.

Everything goes through the HTTP API; the ManualClock stands in for waiting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx2
import pyotp
import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quietline.actions.auth import (
    PasswordVerdict,
    SignedIn,
    SignInRefused,
    SignInRequest,
    do_sign_in,
)
from quietline.actions.staff_lifecycle import InviteAcceptance
from quietline.app import Services, build_services, create_app
from quietline.config import Settings
from quietline.crypto.passwords import PasswordCheck
from quietline.domain.clock import ManualClock
from quietline.storage.tables import recovery_codes
from quietline.storage.unit import Unit
from tests.conftest import PASSWORD, Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.test_staff_lifecycle import invite, join, token_of

SIGN_IN = "/api/v1/auth/sign-in"
PROBLEM_JSON = "application/problem+json"
NEW_PASSWORD = "a brand new passphrase 42"


# -- helpers ------------------------------------------------------------------------------
def attempt(
    client: TestClient,
    practice: str,
    email: str,
    password: str = PASSWORD,
    **extra: Any,
) -> httpx2.Response:
    """One sign-in attempt, whatever its outcome."""
    return client.post(
        SIGN_IN,
        json={
            "practice": practice,
            "email": email,
            "password": password,
            "device_name": "laptop",
            **extra,
        },
    )


def audit(owner: Api, kind: str) -> list[dict[str, Any]]:
    response = owner.get("/audit", params={"kind": kind, "limit": 1000})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    assert all(e["kind"] == kind for e in entries)
    return entries


def stored_hash(services: Services, practice_id: UUID, user_id: UUID) -> str:
    def read(unit: Unit) -> str:
        user = unit.users.get(practice_id, user_id)
        assert user is not None
        value: str = user.password_hash
        return value

    return services.db.read_sync(read)


def totp_now(secret: str, clock: ManualClock) -> str:
    return str(pyotp.TOTP(secret).at(clock.now()))


def enroll_totp(api: Api, clock: ManualClock) -> tuple[str, list[str]]:
    """Set up an authenticator for ``api``'s user; returns the secret and recovery codes."""
    begun = api.post("/me/second-factor/totp")
    assert begun.status_code == 200, begun.text
    secret: str = begun.json()["secret"]
    confirmed = api.post("/me/second-factor/totp/confirm", {"code": totp_now(secret, clock)})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


def assert_problem(response: httpx2.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:quietline:problem:{slug}"
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


# -- signing in -----------------------------------------------------------------------------
def test_right_password_signs_in_and_the_token_works(
    client: TestClient, practice: PracticeHandle
) -> None:
    response = attempt(client, practice.slug, practice.owner_email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == str(practice.owner_id)
    assert body["user"]["email"] == practice.owner_email
    assert body["practice_id"] == str(practice.id)
    assert body["restricted"] is False
    assert body["policy"]["session_idle_minutes"] == 30
    assert len(body["token"]) >= 32
    me = client.get("/api/v1/me", headers={"authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["session_id"] == body["session_id"]
    assert me.json()["user"]["id"] == str(practice.owner_id)


def test_email_and_practice_code_are_not_case_sensitive(
    client: TestClient, practice: PracticeHandle
) -> None:
    response = attempt(client, " RiverBend ", "  OWNER@Riverbend.TEST ")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(practice.owner_id)


def test_every_refusal_looks_the_same(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    """Wrong password, unknown account, unknown practice and inactive account must be
    indistinguishable to the caller: no account enumeration."""
    gone_id = add_staff(owner, "gone@riverbend.test")
    assert owner.post(f"/users/{gone_id}/deactivate").status_code == 200
    make_practice(services, "elsewhere")

    refusals = {
        "bad_password": attempt(client, practice.slug, practice.owner_email, "not the password!"),
        "unknown_account": attempt(client, practice.slug, "nobody@riverbend.test"),
        "unknown_practice": attempt(client, "no-such-practice", practice.owner_email),
        "account_in_other_practice": attempt(client, "elsewhere", practice.owner_email),
        "inactive_account": attempt(client, practice.slug, "gone@riverbend.test"),
        "inactive_wrong_password": attempt(client, practice.slug, "gone@riverbend.test", "x" * 13),
    }
    bodies = {name: assert_problem(r, 401, "unauthenticated") for name, r in refusals.items()}
    first = bodies["bad_password"]
    for name, body in bodies.items():
        assert body == first, name
    headers = {
        name: {k for k in r.headers if k != "content-length"} for name, r in refusals.items()
    }
    assert all(h == headers["bad_password"] for h in headers.values())
    assert "retry-after" not in headers["bad_password"]
    # Nothing in the answer names the account or says which part was wrong.
    assert "owner@riverbend.test" not in str(first)

    failed = audit(owner, "auth.sign_in_failed")
    reasons = sorted(e["details"]["reason"] for e in failed)
    # The unknown practice has no audit trail to write to; the rest are recorded here.
    assert reasons == sorted(
        ["bad_password", "unknown_account", "inactive_account", "bad_password"]
    )
    inactive = [e for e in failed if e["details"]["reason"] == "inactive_account"]
    assert inactive[0]["subject_id"] == str(gone_id)


def test_invalid_sign_in_body_gets_a_readable_422(client: TestClient) -> None:
    response = client.post(SIGN_IN, json={"practice": "riverbend", "email": "a@b.test"})
    body = assert_problem(response, 422, "invalid-input")
    assert "password is required" in body["detail"]


# -- throttling -----------------------------------------------------------------------------
def test_account_is_throttled_after_five_failures_without_revealing_it_exists(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "sam@riverbend.test")
    for _ in range(5):
        assert_problem(
            attempt(client, practice.slug, "sam@riverbend.test", "wrong guess 1"),
            401,
            "unauthenticated",
        )
    throttled = attempt(client, practice.slug, "sam@riverbend.test", "wrong guess 1")
    body = assert_problem(throttled, 429, "too-many-requests")
    retry_after = int(throttled.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    # While throttled even the right password is refused.
    right = attempt(client, practice.slug, "sam@riverbend.test")
    assert right.status_code == 429
    assert right.json() == body

    # An account that does not exist is throttled in exactly the same way.
    for _ in range(5):
        assert attempt(client, practice.slug, "ghost@riverbend.test", "guess").status_code == 401
    ghost = attempt(client, practice.slug, "ghost@riverbend.test", "guess")
    assert ghost.status_code == 429
    assert ghost.json() == body
    assert ghost.headers["retry-after"] == throttled.headers["retry-after"]
    # Even in a practice that does not exist.
    for _ in range(5):
        assert attempt(client, "nowhere", "ghost@nowhere.test", "guess").status_code == 401
    nowhere = attempt(client, "nowhere", "ghost@nowhere.test", "guess")
    assert nowhere.status_code == 429
    assert nowhere.json() == body

    # Other accounts are not affected.
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    throttled_events = audit(owner, "auth.sign_in_throttled")
    assert len(throttled_events) == 3  # sam twice, ghost once; 'nowhere' has no trail


def test_throttle_cannot_be_dodged_by_changing_letter_case(
    client: TestClient, practice: PracticeHandle
) -> None:
    variants = [
        ("riverbend", "owner@riverbend.test"),
        ("RIVERBEND", "owner@riverbend.test"),
        ("Riverbend", "Owner@Riverbend.test"),
        (" riverbend ", "OWNER@RIVERBEND.TEST"),
        ("riverBend", " owner@riverbend.test"),
    ]
    for slug, email in variants:
        assert attempt(client, slug, email, "wrong password!").status_code == 401
    assert attempt(client, "rIvErBeNd", practice.owner_email).status_code == 429
    assert attempt(client, practice.slug, practice.owner_email).status_code == 429


def test_throttle_window_ends_after_fifteen_minutes(
    client: TestClient, practice: PracticeHandle, clock: ManualClock
) -> None:
    for _ in range(5):
        assert (
            attempt(client, practice.slug, practice.owner_email, "wrong!wrong!").status_code == 401
        )
    assert attempt(client, practice.slug, practice.owner_email).status_code == 429
    clock.advance(timedelta(minutes=14, seconds=59))
    assert attempt(client, practice.slug, practice.owner_email).status_code == 429
    clock.advance(timedelta(seconds=2))
    # A fresh window: four failures do not throttle, the right password then works.
    for _ in range(4):
        assert (
            attempt(client, practice.slug, practice.owner_email, "wrong!wrong!").status_code == 401
        )
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    # Success clears the account counter: five more failures are needed to throttle again.
    for _ in range(4):
        assert (
            attempt(client, practice.slug, practice.owner_email, "wrong!wrong!").status_code == 401
        )
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200


def test_address_is_throttled_after_thirty_failures(
    client: TestClient, practice: PracticeHandle, clock: ManualClock
) -> None:
    # Spread over many accounts so that no single account reaches its own limit.
    for i in range(29):
        assert (
            attempt(client, practice.slug, f"guess{i}@riverbend.test", "guess").status_code == 401
        )
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    assert attempt(client, practice.slug, "guess-last@riverbend.test", "guess").status_code == 401
    from_here = attempt(client, practice.slug, practice.owner_email)
    assert_problem(from_here, 429, "too-many-requests")
    assert "retry-after" in from_here.headers

    # The same account from another address is fine: the limit is per address.
    elsewhere = TestClient(client.app, client=("203.0.113.7", 40000))
    try:
        assert attempt(elsewhere, practice.slug, practice.owner_email).status_code == 200
    finally:
        elsewhere.close()

    clock.advance(timedelta(minutes=15, seconds=1))
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200


# -- password hashing and rules --------------------------------------------------------------
def test_passwords_are_stored_as_argon2id(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    staff_id = add_staff(owner, "kim@riverbend.test")
    for user_id in (practice.owner_id, staff_id):
        value = stored_hash(services, practice.id, user_id)
        assert value.startswith("$argon2id$")
        assert PASSWORD not in value
        assert extract_parameters(value).type is Type.ID
    changed = owner.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text
    after = stored_hash(services, practice.id, practice.owner_id)
    assert after.startswith("$argon2id$")
    assert PasswordHasher().verify(after, NEW_PASSWORD)


@pytest.fixture
def stronger_services(settings: Settings, clock: ManualClock) -> Iterator[Services]:
    """The same installation restarted with a higher argon2 time cost."""
    raised = settings.model_copy(update={"argon2_time_cost": settings.argon2_time_cost + 1})
    svc = build_services(raised, clock=clock)
    yield svc
    svc.close()


def test_hash_is_upgraded_at_sign_in_when_parameters_were_raised(
    services: Services, stronger_services: Services, practice: PracticeHandle
) -> None:
    before = stored_hash(services, practice.id, practice.owner_id)
    old_cost = extract_parameters(before).time_cost
    with TestClient(create_app(stronger_services)) as upgraded:
        # A wrong password never rewrites the hash.
        assert (
            attempt(upgraded, practice.slug, practice.owner_email, "wrong password").status_code
            == 401
        )
        assert stored_hash(services, practice.id, practice.owner_id) == before
        assert attempt(upgraded, practice.slug, practice.owner_email).status_code == 200
        after = stored_hash(services, practice.id, practice.owner_id)
        assert after != before
        assert after.startswith("$argon2id$")
        assert extract_parameters(after).time_cost == old_cost + 1
        assert PasswordHasher().verify(after, PASSWORD)
        # Once upgraded it is left alone.
        assert attempt(upgraded, practice.slug, practice.owner_email).status_code == 200
        assert stored_hash(services, practice.id, practice.owner_id) == after


def test_password_rules_are_enforced_with_a_readable_message(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    short = owner.post(
        "/users",
        {
            "email": "lee@riverbend.test",
            "display_name": "Lee",
            "role": "clinician",
            "password": "short pw",
        },
    )
    body = assert_problem(short, 422, "invalid-input")
    assert "at least 12 characters" in body["detail"]
    assert "short pw" not in str(body)
    assert attempt(client, practice.slug, "lee@riverbend.test", "short pw").status_code == 401

    dull = owner.post(
        "/users",
        {
            "email": "lee@riverbend.test",
            "display_name": "Lee",
            "role": "clinician",
            "password": "abababababababab",
        },
    )
    assert "variety" in assert_problem(dull, 422, "invalid-input")["detail"]

    change = owner.post("/me/password", {"current_password": PASSWORD, "new_password": "tiny"})
    assert "at least 12 characters" in assert_problem(change, 422, "invalid-input")["detail"]
    same = owner.post("/me/password", {"current_password": PASSWORD, "new_password": PASSWORD})
    assert_problem(same, 422, "invalid-input")
    wrong = owner.post(
        "/me/password", {"current_password": "not my password", "new_password": NEW_PASSWORD}
    )
    assert_problem(wrong, 403, "forbidden")

    staff_id = add_staff(owner, "lee@riverbend.test")
    reset = owner.post(f"/users/{staff_id}/password", {"new_password": "too short"})
    assert "at least 12 characters" in assert_problem(reset, 422, "invalid-input")["detail"]
    # None of the refused changes took effect.
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    assert attempt(client, practice.slug, "lee@riverbend.test").status_code == 200


# -- second factor ---------------------------------------------------------------------------
def test_totp_enrollment_and_sign_in(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    begun = owner.post("/me/second-factor/totp")
    assert begun.status_code == 200, begun.text
    secret = begun.json()["secret"]
    uri = begun.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "Quietline" in uri
    assert f"secret={secret}" in uri
    # Not on until confirmed: signing in still needs the password only.
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200

    wrong = owner.post("/me/second-factor/totp/confirm", {"code": "000000"})
    if totp_now(secret, clock) != "000000":
        assert_problem(wrong, 422, "invalid-input")
    confirmed = owner.post("/me/second-factor/totp/confirm", {"code": totp_now(secret, clock)})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(c.replace("-", "")) == 16 for c in codes)
    assert owner.get("/me").json()["user"]["has_second_factor"] is True
    again = owner.post("/me/second-factor/totp")
    assert_problem(again, 409, "conflict")

    missing = attempt(client, practice.slug, practice.owner_email)
    body = assert_problem(missing, 401, "second-factor-required")
    assert "token" not in body
    # Asking for the code is not a failure: it never throttles the account.
    for _ in range(6):
        assert attempt(client, practice.slug, practice.owner_email).status_code == 401
    bad = attempt(client, practice.slug, practice.owner_email, otp_code="12345x")
    assert_problem(bad, 401, "second-factor-required")
    # The wrong password with a code is the generic refusal, not a second-factor prompt.
    clock.advance(timedelta(seconds=30))
    code = totp_now(secret, clock)
    no_pw = attempt(client, practice.slug, practice.owner_email, "wrong password", otp_code=code)
    assert_problem(no_pw, 401, "unauthenticated")

    signed = attempt(client, practice.slug, practice.owner_email, otp_code=code)
    assert signed.status_code == 200, signed.text
    assert signed.json()["restricted"] is False
    # The same code in the same time step cannot be used twice.
    replay = attempt(client, practice.slug, practice.owner_email, otp_code=code)
    assert_problem(replay, 401, "second-factor-required")
    # The next step's code works.
    clock.advance(timedelta(seconds=30))
    later = attempt(client, practice.slug, practice.owner_email, otp_code=totp_now(secret, clock))
    assert later.status_code == 200, later.text

    enabled = audit(owner, "auth.second_factor_enabled")
    assert [e["subject_id"] for e in enabled] == [str(practice.owner_id)]
    sign_ins = audit(owner, "auth.sign_in")
    assert sign_ins[0]["details"] == {"second_factor": True}


def test_recovery_code_works_once(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    _, codes = enroll_totp(owner, clock)
    first = attempt(client, practice.slug, practice.owner_email, recovery_code=codes[0])
    assert first.status_code == 200, first.text
    reused = attempt(client, practice.slug, practice.owner_email, recovery_code=codes[0])
    assert_problem(reused, 401, "second-factor-required")
    # Codes are accepted however they are typed.
    sloppy = codes[1].replace("-", "").upper()
    assert (
        attempt(client, practice.slug, practice.owner_email, recovery_code=sloppy).status_code
        == 200
    )
    made_up = attempt(
        client, practice.slug, practice.owner_email, recovery_code="aaaa-bbbb-cccc-dddd"
    )
    assert_problem(made_up, 401, "second-factor-required")
    used = audit(owner, "auth.recovery_code_used")
    assert len(used) == 2


def test_regenerating_recovery_codes_invalidates_the_old_ones(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    secret, old = enroll_totp(owner, clock)
    clock.advance(timedelta(seconds=30))
    fresh = owner.post("/me/second-factor/recovery-codes", {"code": totp_now(secret, clock)})
    assert fresh.status_code == 200, fresh.text
    new = fresh.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert (
        attempt(client, practice.slug, practice.owner_email, recovery_code=old[0]).status_code
        == 401
    )
    assert (
        attempt(client, practice.slug, practice.owner_email, recovery_code=new[0]).status_code
        == 200
    )


def test_turning_the_second_factor_off_needs_the_password(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    enroll_totp(owner, clock)
    refused = owner.post("/me/second-factor/disable", {"password": "not the password"})
    assert_problem(refused, 403, "forbidden")
    assert owner.get("/me").json()["user"]["has_second_factor"] is True
    assert attempt(client, practice.slug, practice.owner_email).status_code == 401

    off = owner.post("/me/second-factor/disable", {"password": PASSWORD})
    assert off.status_code == 204, off.text
    assert owner.get("/me").json()["user"]["has_second_factor"] is False
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    assert len(audit(owner, "auth.second_factor_disabled")) == 1


def test_required_second_factor_restricts_until_enrolled(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    enroll_totp(owner, clock)
    add_staff(owner, "ana@riverbend.test")
    changed = owner.patch("/practice/policy", {"require_second_factor": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["require_second_factor"] is True
    # The owner proved a second factor in this session, so stays unrestricted.
    assert owner.get("/conversations").status_code == 200

    signed = attempt(client, practice.slug, "ana@riverbend.test")
    assert signed.status_code == 200, signed.text
    assert signed.json()["restricted"] is True
    ana = Api(
        client,
        signed.json()["token"],
        UUID(signed.json()["user"]["id"]),
        UUID(signed.json()["session_id"]),
    )
    other_device = sign_in(client, practice.slug, "ana@riverbend.test", device="tablet")

    body = assert_problem(ana.get("/conversations"), 403, "forbidden")
    assert "second factor" in body["detail"]
    assert ana.post("/conversations", {"kind": "group", "title": "x"}).status_code == 403
    assert ana.get("/users").status_code == 403
    me = ana.get("/me")
    assert me.status_code == 200
    assert me.json()["restricted"] is True
    assert ana.get("/me/devices").status_code == 200
    assert ana.get("/practice/policy").status_code == 200

    secret, _ = enroll_totp(ana, clock)
    assert ana.get("/me").json()["restricted"] is False
    assert ana.get("/conversations").status_code == 200
    # Another device that never showed a second factor stays restricted.
    assert other_device.get("/conversations").status_code == 403
    # Turning the factor off is not allowed under this policy.
    assert_problem(ana.post("/me/second-factor/disable", {"password": PASSWORD}), 403, "forbidden")
    # From now on a sign-in needs the code, and is then unrestricted.
    assert attempt(client, practice.slug, "ana@riverbend.test").status_code == 401
    clock.advance(timedelta(seconds=30))
    full = attempt(client, practice.slug, "ana@riverbend.test", otp_code=totp_now(secret, clock))
    assert full.status_code == 200, full.text
    assert full.json()["restricted"] is False


# -- the password check and the single writer ----------------------------------------------
def test_the_password_is_checked_off_the_writer_thread(
    client: TestClient, practice: PracticeHandle, password_check_threads: list[str]
) -> None:
    """argon2id takes tens of milliseconds: in the group-commit writer it would hold up every
    write queued behind a sign-in (decision 0003)."""
    threads = password_check_threads
    assert attempt(client, practice.slug, practice.owner_email).status_code == 200
    assert (
        attempt(client, practice.slug, practice.owner_email, password="not it at all").status_code
        == 401
    )
    assert attempt(client, practice.slug, "nobody@riverbend.test").status_code == 401
    assert len(threads) == 3
    assert not [name for name in threads if name.startswith("quietline-writer")]


def test_a_password_changed_after_the_early_check_is_checked_again(
    practice: PracticeHandle, services: Services
) -> None:
    """The early verdict names the hash it was made against; if the password changed in
    between, the transaction checks the password again."""
    old_hash = stored_hash(services, practice.id, practice.owner_id)
    req = SignInRequest(
        practice_slug=practice.slug,
        email=practice.owner_email,
        password=PASSWORD,
        device_name="laptop",
        address="127.0.0.1",
    )
    early = PasswordVerdict(old_hash, services.passwords.verify(old_hash, PASSWORD))
    assert early.check.ok

    def change(unit: Unit) -> None:
        unit.users.update(
            practice.id, practice.owner_id, password_hash=services.passwords.hash(NEW_PASSWORD)
        )

    services.db.write_sync(change)
    result = services.db.write_sync(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, req, early)
    )
    assert isinstance(result, SignInRefused)  # the old password no longer opens a session
    # A verdict that says no, against the current hash, is taken as it is.
    current = stored_hash(services, practice.id, practice.owner_id)
    wrong = PasswordVerdict(current, PasswordCheck(ok=False))
    new_req = dataclasses.replace(req, password=NEW_PASSWORD)
    refused = services.db.write_sync(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, new_req, wrong)
    )
    assert isinstance(refused, SignInRefused)
    fresh = PasswordVerdict(current, services.passwords.verify(current, NEW_PASSWORD))
    opened = services.db.write_sync(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, new_req, fresh)
    )
    assert isinstance(opened, SignedIn)


# -- account recovery --------------------------------------------------------------------------
def test_an_admin_resets_a_lost_second_factor(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    """Ana lost the phone with her authenticator and her recovery codes."""
    ana_id = add_staff(owner, "ana@riverbend.test")
    admin_id = add_staff(owner, "adi@riverbend.test", "admin")
    ana = sign_in(client, practice.slug, "ana@riverbend.test")
    secret, codes = enroll_totp(ana, clock)
    adi = sign_in(client, practice.slug, "adi@riverbend.test")
    enroll_totp(adi, clock)
    enroll_totp(owner, clock)
    assert owner.patch("/practice/policy", {"require_second_factor": True}).status_code == 200
    # Without the code, Ana cannot sign in.
    assert attempt(client, practice.slug, "ana@riverbend.test").status_code == 401

    # Only an owner or an admin may; not for oneself; an admin not for an owner.
    clock.advance(timedelta(seconds=30))  # a code is good once
    clinician = sign_in(
        client,
        practice.slug,
        "ana@riverbend.test",
        device="tablet",
        otp_code=totp_now(secret, clock),
    )
    assert_problem(clinician.post(f"/users/{admin_id}/second-factor/reset"), 403, "forbidden")
    assert_problem(adi.post(f"/users/{admin_id}/second-factor/reset"), 403, "forbidden")
    body = assert_problem(adi.post(f"/users/{owner.user_id}/second-factor/reset"), 403, "forbidden")
    assert "owner" in body["detail"]
    assert_problem(adi.post(f"/users/{uuid4()}/second-factor/reset"), 404, "not-found")

    reset = adi.post(f"/users/{ana_id}/second-factor/reset")
    assert reset.status_code == 204, reset.text
    # Every device of hers is signed out; the old code and recovery codes are gone.
    assert ana.get("/me").status_code == 401
    assert clinician.get("/me").status_code == 401
    services = client.app.state.services  # type: ignore[attr-defined]

    def factors(unit: Unit) -> tuple[bool, int]:
        user = unit.users.get(practice.id, ana_id)
        assert user is not None
        left = unit.conn.execute(
            select(func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == ana_id)
        ).scalar_one()
        return user.totp_secret_sealed is not None, int(left)

    assert services.db.read_sync(factors) == (False, 0)
    assert len(codes) > 0
    fresh = attempt(client, practice.slug, "ana@riverbend.test")
    assert fresh.status_code == 200, fresh.text
    # The practice requires a second factor: she must set up a new one before anything else.
    assert fresh.json()["restricted"] is True
    [entry] = audit(owner, "auth.second_factor_disabled")
    assert entry["subject_id"] == str(ana_id)
    assert entry["actor_user_id"] == str(admin_id)
    assert entry["details"] == {"by_admin": True, "authenticator_app": True, "passkeys_removed": 0}


# -- the audit trail ---------------------------------------------------------------------------
def test_auth_flows_write_their_audit_events(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    staff_id = add_staff(owner, "rey@riverbend.test")
    rey_a = sign_in(client, practice.slug, "rey@riverbend.test", device="desk")
    rey_b = sign_in(client, practice.slug, "rey@riverbend.test", device="phone")
    rey_c = sign_in(client, practice.slug, "rey@riverbend.test", device="tablet")
    for _ in range(5):
        attempt(client, practice.slug, "rey@riverbend.test", "wrong password")
    assert attempt(client, practice.slug, "rey@riverbend.test").status_code == 429
    assert rey_a.delete(f"/devices/{rey_b.session_id}").status_code == 204
    changed = rey_a.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204
    enroll_totp(rey_a, clock)
    assert rey_a.post("/auth/sign-out").status_code == 204
    assert owner.post(f"/users/{staff_id}/deactivate").status_code == 200

    sign_ins = audit(owner, "auth.sign_in")
    assert {e["subject_id"] for e in sign_ins} >= {
        str(rey_a.session_id),
        str(rey_b.session_id),
        str(rey_c.session_id),
        str(owner.session_id),
    }
    assert all(e["actor_user_id"] in (str(staff_id), str(practice.owner_id)) for e in sign_ins)

    failed = audit(owner, "auth.sign_in_failed")
    assert len(failed) == 5
    assert all(e["subject_id"] == str(staff_id) for e in failed)
    assert all(e["details"] == {"reason": "bad_password"} for e in failed)

    throttled = audit(owner, "auth.sign_in_throttled")
    assert len(throttled) == 1

    revoked = audit(owner, "device.revoked")
    by_session = {e["subject_id"]: e["details"]["reason"] for e in revoked}
    assert by_session[str(rey_b.session_id)] == "revoked_by_owner"
    assert by_session[str(rey_c.session_id)] == "password_changed"
    assert str(rey_a.session_id) not in by_session  # it signed out instead
    assert revoked[-1]["actor_session_id"] == str(rey_a.session_id)

    changed_events = audit(owner, "auth.password_changed")
    assert [e["subject_id"] for e in changed_events] == [str(staff_id)]
    assert changed_events[0]["actor_user_id"] == str(staff_id)

    enabled = audit(owner, "auth.second_factor_enabled")
    assert [e["subject_id"] for e in enabled] == [str(staff_id)]

    out = audit(owner, "auth.sign_out")
    assert [e["subject_id"] for e in out] == [str(rey_a.session_id)]

    deactivated = audit(owner, "user.deactivated")
    assert [e["subject_id"] for e in deactivated] == [str(staff_id)]
    assert deactivated[0]["actor_user_id"] == str(practice.owner_id)

    verify = owner.get("/audit/verify")
    assert verify.status_code == 200
    assert verify.json()["ok"] is True


def test_audit_log_is_for_admins_only(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "cal@riverbend.test")
    cal = sign_in(client, practice.slug, "cal@riverbend.test")
    assert_problem(cal.get("/audit", params={"kind": "auth.sign_in"}), 403, "forbidden")
    unknown = owner.get("/audit", params={"kind": f"no.such.kind.{uuid4().hex[:6]}"})
    assert_problem(unknown, 422, "invalid-input")


def test_new_passwords_and_pins_are_hashed_off_the_writer_thread(
    client: TestClient,
    practice: PracticeHandle,
    owner: Api,
    password_check_threads: list[str],
    password_hash_threads: list[str],
) -> None:
    """Setting a password or PIN hashes it, and changing one checks the current password:
    both on worker threads before the write, never in the writer that every send waits on."""
    staff = add_staff(owner, "ana@riverbend.test")  # a new account's first password
    ana = sign_in(client, practice.slug, "ana@riverbend.test")
    reset = owner.post(f"/users/{staff}/password", {"new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    ana = sign_in(client, practice.slug, "ana@riverbend.test", password=NEW_PASSWORD)
    changed = ana.post(
        "/me/password", {"current_password": NEW_PASSWORD, "new_password": PASSWORD + " again"}
    )
    assert changed.status_code == 204, changed.text
    pin = client.put(
        "/api/v1/me/pin", json={"pin": "482915", "password": PASSWORD}, headers=owner.headers
    )
    assert pin.status_code == 204, pin.text
    joined = join(client, token_of(invite(owner, "kai@riverbend.test")), password=NEW_PASSWORD)
    assert joined.status_code == 200, joined.text
    assert len(password_hash_threads) == 5
    assert len(password_check_threads) >= 4  # the sign-ins, the change and the PIN's password
    everything = password_hash_threads + password_check_threads
    assert not [name for name in everything if name.startswith("quietline-writer")]
    # A guess at an invitation link costs no hashing at all.
    before = len(password_hash_threads)
    assert join(client, "qli_" + "x" * 40, password=NEW_PASSWORD).status_code == 410
    assert len(password_hash_threads) == before


# -- wrong secrets on a signed-in device ---------------------------------------------------
def _wrong_tries(owner: Api, session_id: UUID) -> list[tuple[str, str, int]]:
    """(what for, method, failures) of the device's counted wrong secrets, oldest first."""
    entries = audit(owner, "device.secret_check_failed")
    mine = [e for e in entries if e["subject_id"] == str(session_id)]
    return [
        (e["details"]["for"], e["details"]["method"], e["details"]["failures"])
        for e in sorted(mine, key=lambda e: e["seq"])
    ]


def _a_wrong_code(secret: str, clock: ManualClock) -> str:
    """Six digits that no time step near ``clock`` accepts."""
    near = {pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=d)) for d in range(-120, 121, 30)}
    return next(code for code in (f"{n}" * 6 for n in range(10)) if code not in near)


def test_wrong_passwords_on_a_signed_in_device_are_counted_and_the_fifth_signs_it_out(
    client: TestClient,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
    password_check_threads: list[str],
    password_hash_threads: list[str],
) -> None:
    """Someone holding an unlocked device must not get unlimited guesses at the password (or
    the authenticator code) through the forms that ask for it again. Every such form counts
    toward the same five wrong tries as the app lock; the fifth signs the device out."""
    add_staff(owner, "ivy@riverbend.test")
    ivy = sign_in(client, practice.slug, "ivy@riverbend.test", device="held phone")
    laptop = sign_in(client, practice.slug, "ivy@riverbend.test", device="laptop")
    secret, _ = enroll_totp(ivy, clock)
    hashes_before = len(password_hash_threads)

    wrong = "not my password at all"
    change = ivy.post("/me/password", {"current_password": wrong, "new_password": NEW_PASSWORD})
    body = assert_problem(change, 403, "forbidden")
    assert body["tries_left"] == 4
    assert "4 more tries" in body["detail"]
    pin = client.put(
        "/api/v1/me/pin", json={"pin": "482915", "password": wrong}, headers=ivy.headers
    )
    assert assert_problem(pin, 403, "forbidden")["tries_left"] == 3
    off = ivy.post("/me/second-factor/disable", {"password": wrong})
    assert assert_problem(off, 403, "forbidden")["tries_left"] == 2
    codes = ivy.post("/me/second-factor/recovery-codes", {"code": _a_wrong_code(secret, clock)})
    body = assert_problem(codes, 422, "invalid-input")
    assert body["tries_left"] == 1
    assert "1 more try" in body["detail"]
    # A wrong guess costs one argon2id check, off the writer, and no hashing of the new secret.
    assert len(password_hash_threads) == hashes_before
    assert not [t for t in password_check_threads if t.startswith("quietline-writer")]
    assert ivy.get("/me").status_code == 200  # still signed in: four of five

    last = ivy.post("/me/password", {"current_password": wrong, "new_password": NEW_PASSWORD})
    assert "signed out" in assert_problem(last, 401, "unauthenticated")["detail"]
    assert_problem(ivy.get("/me"), 401, "unauthenticated")
    assert laptop.get("/me").status_code == 200  # the count is this device's, not the person's

    assert _wrong_tries(owner, ivy.session_id) == [
        ("password_change", "password", 1),
        ("pin_set", "password", 2),
        ("second_factor_off", "password", 3),
        ("recovery_codes", "authenticator_code", 4),
        ("password_change", "password", 5),
    ]
    revoked = {e["subject_id"]: e["details"]["reason"] for e in audit(owner, "device.revoked")}
    assert revoked[str(ivy.session_id)] == "secret_check_failed"
    # The guesses changed nothing: the password is still the one it was.
    still = laptop.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert still.status_code == 204, still.text


def test_a_right_password_after_wrong_ones_is_hashed_once_and_gives_the_tries_back(
    client: TestClient,
    practice: PracticeHandle,
    owner: Api,
    password_hash_threads: list[str],
) -> None:
    """As unlocking does, a right password that confirms a change gives the device its five
    tries back: a slip on Monday does not cost a try on Friday."""
    add_staff(owner, "jo@riverbend.test")
    jo = sign_in(client, practice.slug, "jo@riverbend.test")
    before = len(password_hash_threads)
    for left in (4, 3):
        wrong = jo.post(
            "/me/password", {"current_password": "not it, not it", "new_password": NEW_PASSWORD}
        )
        assert assert_problem(wrong, 403, "forbidden")["tries_left"] == left
    right = jo.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert right.status_code == 204, right.text
    assert len(password_hash_threads) == before + 1  # the new password only

    def set_pin(pin: str, password: str) -> httpx2.Response:
        return client.put(
            "/api/v1/me/pin", json={"pin": pin, "password": password}, headers=jo.headers
        )

    again = set_pin("482915", "still not it")
    assert assert_problem(again, 403, "forbidden")["tries_left"] == 4
    assert [t[2] for t in _wrong_tries(owner, jo.session_id)] == [1, 2, 1]
    # A right password whose change is refused (a PIN that is a run) gives nothing back.
    run = set_pin("123456", NEW_PASSWORD)
    assert_problem(run, 422, "invalid-input")
    still = set_pin("482915", "still not it")
    assert assert_problem(still, 403, "forbidden")["tries_left"] == 3


def test_requests_carrying_secrets_never_print_them() -> None:
    """A sign-in or an invitation's acceptance printed (in a log line, an error message)
    shows no password, code or link token."""
    secrets = ("pw-marker-5d1c9", "otp-marker-77", "rc-marker-31", "qli_tokenmarker42")
    sign_in_request = SignInRequest(
        practice_slug="riverbend",
        email="ana@riverbend.test",
        password=secrets[0],
        device_name="phone",
        address="127.0.0.1",
        otp_code=secrets[1],
        recovery_code=secrets[2],
    )
    acceptance = InviteAcceptance(
        token=secrets[3], password=secrets[0], device_name="phone", address="127.0.0.1"
    )
    for printed in (repr(sign_in_request), str(acceptance)):
        assert not [s for s in secrets if s in printed], printed
