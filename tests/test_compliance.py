"""The compliance page's checks: each state follows what really happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from quietline.app import Services
from quietline.domain.clock import ManualClock
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in


def checks(api: Api) -> dict[str, dict[str, Any]]:
    response = api.get("/compliance")
    assert response.status_code == 200, response.text
    found = {c["key"]: c for c in response.json()["checks"]}
    for check in found.values():
        assert check["summary"].endswith("."), check
        assert check["explanation"].endswith((".", ")")), check
    return found


def record(services: Services, kind: str, *, ok: bool, details: dict[str, Any]) -> None:
    services.db.write_sync(
        lambda unit: unit.maintenance.record(kind, unit.now, ok=ok, details=details)
    )


def test_a_new_practice_shows_what_is_missing(owner: Api) -> None:
    found = checks(owner)
    assert list(found) == [
        "second_factor",
        "encryption",
        "backup",
        "restore_test",
        "audit_verification",
        "key_rotation",
        "stale_devices",
    ]
    assert found["second_factor"]["state"] == "problem"
    assert found["second_factor"]["summary"].startswith("0 of 1 active staff")
    assert found["encryption"]["state"] == "ok"
    assert found["backup"]["state"] == "problem"
    assert "quietline backup" in found["backup"]["summary"]
    assert found["restore_test"]["state"] == "unknown"
    assert found["audit_verification"]["state"] == "unknown"
    assert found["key_rotation"]["state"] == "unknown"
    assert found["stale_devices"]["state"] == "ok"


def test_backups_age_and_failures_change_the_state(
    client: TestClient,
    owner: Api,
    practice: PracticeHandle,
    services: Services,
    clock: ManualClock,
) -> None:
    record(services, "backup", ok=True, details={})
    assert checks(owner)["backup"]["state"] == "ok"
    clock.advance(timedelta(hours=30))
    owner = sign_in(client, practice.slug, practice.owner_email)  # sessions last 12 hours
    assert checks(owner)["backup"]["state"] == "warning"
    clock.advance(timedelta(days=7))
    owner = sign_in(client, practice.slug, practice.owner_email)
    assert checks(owner)["backup"]["state"] == "problem"
    record(services, "backup", ok=False, details={})
    backup = checks(owner)["backup"]
    assert backup["state"] == "problem"
    assert "failed" in backup["summary"]
    assert "last good one was 8 days ago" in backup["summary"]
    clock.advance(timedelta(minutes=5))  # a later, successful run
    record(services, "backup", ok=True, details={})
    assert checks(owner)["backup"]["state"] == "ok"


def test_audit_verification_counts_only_this_practices_chain(
    owner: Api, services: Services
) -> None:
    other = make_practice(services, "hillside")
    record(services, "audit_verify", ok=True, details={"practices": [str(other.id)]})
    assert checks(owner)["audit_verification"]["state"] == "unknown"
    verified = owner.get("/audit/verify")
    assert verified.status_code == 200, verified.text
    assert checks(owner)["audit_verification"]["state"] == "ok"


def test_second_factor_coverage_and_forgotten_devices(
    client: TestClient, owner: Api, practice: PracticeHandle, clock: ManualClock
) -> None:
    add_staff(owner, "lee@riverbend.test")
    sign_in(client, practice.slug, "lee@riverbend.test")
    assert checks(owner)["second_factor"]["summary"].startswith("0 of 2 active staff")
    clock.advance(timedelta(days=31))
    owner = sign_in(client, practice.slug, practice.owner_email)
    stale = checks(owner)["stale_devices"]
    assert stale["state"] == "warning"
    assert stale["summary"].startswith("2 device sessions unused for 30 days")


def test_only_owners_and_admins_see_it(
    client: TestClient, owner: Api, practice: PracticeHandle
) -> None:
    add_staff(owner, "lee@riverbend.test")
    lee = sign_in(client, practice.slug, "lee@riverbend.test")
    refused = lee.get("/compliance")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
