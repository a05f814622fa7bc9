"""Device sessions: listing, revoking, what password changes and deactivation end, and the
idle and absolute time limits under the practice's current policy (on the ManualClock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx2
from fastapi.testclient import TestClient

from quietline.app import Services
from quietline.crypto.tokens import token_hash
from quietline.domain.clock import ManualClock
from tests.conftest import PASSWORD, Api, PracticeHandle, add_staff, make_practice, sign_in

NEW_PASSWORD = "a brand new passphrase 42"


# -- helpers ------------------------------------------------------------------------------
def probes(api: Api, other_session: UUID) -> dict[str, httpx2.Response]:
    """One request to each kind of route a signed-in device uses."""
    return {
        "GET /me": api.get("/me"),
        "GET /me/devices": api.get("/me/devices"),
        "GET /conversations": api.get("/conversations"),
        "POST /conversations": api.post("/conversations", {"kind": "group", "title": "Notes"}),
        "GET /users": api.get("/users"),
        "GET /practice/policy": api.get("/practice/policy"),
        "POST /me/password": api.post(
            "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        ),
        "POST /me/second-factor/totp": api.post("/me/second-factor/totp"),
        "DELETE /devices/{id}": api.delete(f"/devices/{other_session}"),
        "POST /auth/sign-out": api.post("/auth/sign-out"),
    }


def assert_signed_out(api: Api, other_session: UUID | None = None) -> None:
    for route, response in probes(api, other_session or uuid4()).items():
        assert response.status_code == 401, f"{route}: {response.status_code} {response.text}"
        body = response.json()
        assert body["type"] == "urn:quietline:problem:unauthenticated", route


def alive(api: Api) -> bool:
    status: int = api.get("/me").status_code
    assert status in (200, 401)
    return status == 200


def devices(api: Api) -> list[dict[str, Any]]:
    response = api.get("/me/devices")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def audit(owner: Api, kind: str) -> list[dict[str, Any]]:
    response = owner.get("/audit", params={"kind": kind, "limit": 1000})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def set_policy(owner: Api, **changes: Any) -> dict[str, Any]:
    response = owner.patch("/practice/policy", changes)
    assert response.status_code == 200, response.text
    policy: dict[str, Any] = response.json()
    return policy


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- the device list -----------------------------------------------------------------------
def test_device_list_names_sessions_and_marks_the_current_one(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=2))
    phone = sign_in(client, practice.slug, practice.owner_email, device="  Sam's   phone\n ")
    clock.advance(timedelta(minutes=2))
    laptop = sign_in(client, practice.slug, practice.owner_email, device="Office laptop")
    add_staff(owner, "kai@riverbend.test")
    kai = sign_in(client, practice.slug, "kai@riverbend.test", device="Kai's desktop")

    listed = devices(phone)
    by_id = {UUID(d["id"]): d for d in listed}
    assert set(by_id) == {owner.session_id, phone.session_id, laptop.session_id}
    assert by_id[phone.session_id]["device_name"] == "Sam's phone"
    assert by_id[laptop.session_id]["device_name"] == "Office laptop"
    assert by_id[owner.session_id]["device_name"] == "test device"
    assert [d["current"] for d in listed].count(True) == 1
    assert by_id[phone.session_id]["current"] is True
    assert parse_time(by_id[laptop.session_id]["created_at"]) == clock.now()
    # Someone else's list holds only their own device.
    assert [(d["id"], d["current"]) for d in devices(kai)] == [(str(kai.session_id), True)]
    # From the laptop, the laptop is current.
    assert {UUID(d["id"]) for d in devices(laptop) if d["current"]} == {laptop.session_id}


def test_device_list_shows_last_activity(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    phone = sign_in(client, practice.slug, practice.owner_email, device="phone")
    clock.advance(timedelta(minutes=5))
    assert alive(phone)
    listed = {UUID(d["id"]): d for d in devices(owner)}
    assert parse_time(listed[phone.session_id]["last_seen_at"]) == clock.now()
    assert parse_time(listed[phone.session_id]["created_at"]) == clock.now() - timedelta(minutes=5)


# -- revoking devices --------------------------------------------------------------------------
def test_a_revoked_device_is_refused_on_every_route(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    staff_id = add_staff(owner, "noa@riverbend.test")
    desk = sign_in(client, practice.slug, "noa@riverbend.test", device="desk")
    lost = sign_in(client, practice.slug, "noa@riverbend.test", device="lost phone")
    assert alive(lost)

    revoked = desk.delete(f"/devices/{lost.session_id}")
    assert revoked.status_code == 204, revoked.text
    assert_signed_out(lost, desk.session_id)
    # The revoking device carries on, and the revoked one is gone from its list.
    assert alive(desk)
    assert [UUID(d["id"]) for d in devices(desk)] == [desk.session_id]
    # Revoking twice is harmless.
    assert desk.delete(f"/devices/{lost.session_id}").status_code == 204
    # The password still works: a new sign-in on that device is possible.
    assert alive(sign_in(client, practice.slug, "noa@riverbend.test", device="lost phone"))

    entries = [e for e in audit(owner, "device.revoked") if e["subject_id"] == str(lost.session_id)]
    assert len(entries) == 1
    assert entries[0]["actor_user_id"] == str(staff_id)
    assert entries[0]["actor_session_id"] == str(desk.session_id)
    assert entries[0]["details"]["reason"] == "revoked_by_owner"
    # When the lost device was last used is in the entry itself.
    assert datetime.fromisoformat(entries[0]["details"]["last_seen_at"]) <= datetime.fromisoformat(
        entries[0]["at"]
    )


def test_only_admins_revoke_other_peoples_devices(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "ivy@riverbend.test")
    add_staff(owner, "jo@riverbend.test")
    add_staff(owner, "ada@riverbend.test", role="admin")
    ivy = sign_in(client, practice.slug, "ivy@riverbend.test")
    jo = sign_in(client, practice.slug, "jo@riverbend.test")
    ada = sign_in(client, practice.slug, "ada@riverbend.test")

    refused = ivy.delete(f"/devices/{jo.session_id}")
    assert refused.status_code == 404, refused.text
    nothing = ivy.delete(f"/devices/{uuid4()}")
    # Indistinguishable from a device that does not exist.
    assert refused.json() == nothing.json()
    assert alive(jo)
    assert ivy.get(f"/users/{jo.user_id}/devices").status_code == 403

    # Admins of another practice cannot reach these devices either.
    make_practice(services, "hillside")
    outsider = sign_in(client, "hillside", "owner@hillside.test")
    assert outsider.delete(f"/devices/{jo.session_id}").status_code == 404
    assert alive(jo)

    # An admin sees and revokes anyone's device in the practice.
    listed = ada.get(f"/users/{jo.user_id}/devices")
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [str(jo.session_id)]
    assert ada.delete(f"/devices/{jo.session_id}").status_code == 204
    assert not alive(jo)
    assert owner.delete(f"/devices/{ivy.session_id}").status_code == 204
    assert not alive(ivy)
    assert alive(ada)

    reasons = {e["subject_id"]: e["details"]["reason"] for e in audit(owner, "device.revoked")}
    assert reasons == {
        str(jo.session_id): "revoked_by_admin",
        str(ivy.session_id): "revoked_by_admin",
    }


def test_password_change_ends_every_other_session(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    add_staff(owner, "eli@riverbend.test")
    here = sign_in(client, practice.slug, "eli@riverbend.test", device="here")
    phone = sign_in(client, practice.slug, "eli@riverbend.test", device="phone")
    tablet = sign_in(client, practice.slug, "eli@riverbend.test", device="tablet")

    wrong = here.post(
        "/me/password", {"current_password": "not my password", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 403
    assert alive(phone)
    assert alive(tablet)

    changed = here.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text
    assert alive(here)
    assert_signed_out(phone)
    assert_signed_out(tablet)
    assert [UUID(d["id"]) for d in devices(here)] == [here.session_id]
    assert alive(owner)  # other people are not affected

    old = client.post(
        "/api/v1/auth/sign-in",
        json={"practice": practice.slug, "email": "eli@riverbend.test", "password": PASSWORD},
    )
    assert old.status_code == 401
    assert alive(sign_in(client, practice.slug, "eli@riverbend.test", NEW_PASSWORD))

    reasons = {e["subject_id"]: e["details"]["reason"] for e in audit(owner, "device.revoked")}
    assert reasons == {
        str(phone.session_id): "password_changed",
        str(tablet.session_id): "password_changed",
    }


def test_admin_password_reset_ends_every_session_of_that_person(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    staff_id = add_staff(owner, "max@riverbend.test")
    one = sign_in(client, practice.slug, "max@riverbend.test")
    two = sign_in(client, practice.slug, "max@riverbend.test")
    reset = owner.post(f"/users/{staff_id}/password", {"new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text
    assert not alive(one)
    assert not alive(two)
    assert alive(owner)
    assert alive(sign_in(client, practice.slug, "max@riverbend.test", NEW_PASSWORD))


def test_deactivation_ends_every_session_at_once(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    staff_id = add_staff(owner, "ren@riverbend.test")
    add_staff(owner, "uma@riverbend.test")
    uma = sign_in(client, practice.slug, "uma@riverbend.test")
    one = sign_in(client, practice.slug, "ren@riverbend.test", device="one")
    two = sign_in(client, practice.slug, "ren@riverbend.test", device="two")

    assert uma.post(f"/users/{staff_id}/deactivate").status_code == 403
    assert alive(one)

    done = owner.post(f"/users/{staff_id}/deactivate")
    assert done.status_code == 200, done.text
    assert done.json()["is_active"] is False
    assert_signed_out(one)
    assert_signed_out(two)
    assert alive(uma)
    refused = client.post(
        "/api/v1/auth/sign-in",
        json={"practice": practice.slug, "email": "ren@riverbend.test", "password": PASSWORD},
    )
    assert refused.status_code == 401

    # Reactivating does not bring the old sessions back.
    assert owner.post(f"/users/{staff_id}/reactivate").status_code == 200
    assert not alive(one)
    assert not alive(two)
    assert alive(sign_in(client, practice.slug, "ren@riverbend.test"))

    deactivated = audit(owner, "user.deactivated")
    assert [e["subject_id"] for e in deactivated] == [str(staff_id)]
    reasons = {e["subject_id"]: e["details"]["reason"] for e in audit(owner, "device.revoked")}
    assert reasons == {
        str(one.session_id): "user_deactivated",
        str(two.session_id): "user_deactivated",
    }


def test_sign_out_ends_only_this_session(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    other = sign_in(client, practice.slug, practice.owner_email, device="other")
    out = other.post("/auth/sign-out")
    assert out.status_code == 204, out.text
    assert_signed_out(other)
    assert alive(owner)
    assert [UUID(d["id"]) for d in devices(owner)] == [owner.session_id]
    entries = audit(owner, "auth.sign_out")
    assert [e["subject_id"] for e in entries] == [str(other.session_id)]
    assert entries[0]["details"]["reason"] == "signed_out"


def test_missing_or_malformed_credentials_are_refused(client: TestClient, owner: Api) -> None:
    for headers in (
        {},
        {"authorization": "Bearer "},
        {"authorization": "Bearer not-a-real-token"},
        {"authorization": f"Bearer {'x' * 500}"},
        {"authorization": f"Basic {owner.token}"},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["type"] == "urn:quietline:problem:unauthenticated"
    # The token is only read from the Authorization header, never from the URL.
    for name in ("token", "access_token"):
        assert client.get("/api/v1/me", params={name: owner.token}).status_code == 401
    assert alive(owner)


# -- time limits ------------------------------------------------------------------------------
def test_idle_timeout_signs_out_and_activity_keeps_the_session(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    add_staff(owner, "ola@riverbend.test")
    ola = sign_in(client, practice.slug, "ola@riverbend.test")
    watcher = sign_in(client, practice.slug, "ola@riverbend.test", device="watcher")
    # Default policy: 30 idle minutes. Activity just inside the limit keeps it going.
    for _ in range(4):
        clock.advance(timedelta(minutes=29))
        assert alive(ola)
    clock.advance(timedelta(minutes=30))
    response = ola.get("/me")
    assert response.status_code == 401
    assert "30 minutes" in response.json()["detail"]
    assert not alive(ola)
    # The idle session is no longer listed among the devices (the watcher was idle too).
    fresh = sign_in(client, practice.slug, "ola@riverbend.test", device="fresh")
    assert [UUID(d["id"]) for d in devices(fresh)] == [fresh.session_id]
    assert not alive(watcher)


def test_idle_timeout_with_a_short_policy(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    set_policy(owner, session_idle_minutes=1)
    add_staff(owner, "pia@riverbend.test")
    pia = sign_in(client, practice.slug, "pia@riverbend.test")
    # last_seen is refreshed at most every min(60s, idle/10) = 6 s here; requests 50 s
    # apart keep the session alive for well past the idle limit.
    for _ in range(12):
        clock.advance(timedelta(seconds=50))
        assert alive(pia)
    clock.advance(timedelta(seconds=59))
    assert alive(pia)
    clock.advance(timedelta(seconds=60))
    response = pia.get("/me")
    assert response.status_code == 401
    assert "1 minute" in response.json()["detail"]


def test_last_seen_is_refreshed_only_after_the_touch_interval(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    set_policy(owner, session_idle_minutes=1)
    staff_id = add_staff(owner, "ros@riverbend.test")
    ros = sign_in(client, practice.slug, "ros@riverbend.test")
    start = clock.now()

    def last_seen() -> datetime:
        # Read by the owner, so that reading does not itself count as ros's activity.
        listed = owner.get(f"/users/{staff_id}/devices")
        assert listed.status_code == 200, listed.text
        return parse_time(listed.json()[0]["last_seen_at"])

    # With a 1-minute idle limit last_seen is refreshed at most every 6 s (idle / 10).
    clock.advance(timedelta(seconds=5))
    assert alive(ros)
    assert last_seen() == start
    clock.advance(timedelta(seconds=50))
    assert alive(ros)
    assert last_seen() == start + timedelta(seconds=55)
    clock.advance(timedelta(seconds=59))
    assert alive(ros)
    assert alive(owner)


def test_absolute_lifetime_ends_even_an_active_session(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    add_staff(owner, "tam@riverbend.test")
    tam = sign_in(client, practice.slug, "tam@riverbend.test")
    # Default policy: 12 hours. Active every 20 minutes: 11 h 40 min are fine.
    for _ in range(35):
        clock.advance(timedelta(minutes=20))
        assert alive(tam)
    clock.advance(timedelta(minutes=19, seconds=59))
    assert alive(tam)
    clock.advance(timedelta(seconds=1))
    response = tam.get("/me")
    assert response.status_code == 401
    assert "12 hours" in response.json()["detail"]
    assert alive(sign_in(client, practice.slug, "tam@riverbend.test"))


def test_policy_change_applies_to_existing_sessions_at_once(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    add_staff(owner, "vic@riverbend.test")
    vic = sign_in(client, practice.slug, "vic@riverbend.test")
    clock.advance(timedelta(minutes=10))
    policy = set_policy(owner, session_idle_minutes=5)
    assert policy["session_idle_minutes"] == 5
    response = vic.get("/me")
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]
    assert alive(owner)  # the owner was active when changing it
    assert owner.get("/practice/policy").json()["session_idle_minutes"] == 5

    # A shorter absolute lifetime ends older sessions at once, the owner's own included.
    set_policy(owner, session_idle_minutes=180)
    vic = sign_in(client, practice.slug, "vic@riverbend.test")
    for _ in range(2):
        clock.advance(timedelta(minutes=90))
        assert alive(vic)
        assert alive(owner)
    set_policy(owner, session_absolute_hours=2)
    assert not alive(vic)  # three hours old
    assert not alive(owner)
    newcomer = sign_in(client, practice.slug, "vic@riverbend.test")
    assert alive(newcomer)
    assert newcomer.get("/practice/policy").json()["session_absolute_hours"] == 2
    changes = audit(sign_in(client, practice.slug, practice.owner_email), "policy.changed")
    assert len(changes) == 3


def test_relaxing_the_policy_does_not_revive_expired_sessions(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    add_staff(owner, "wes@riverbend.test")
    idle = sign_in(client, practice.slug, "wes@riverbend.test", device="idle")
    untried = sign_in(client, practice.slug, "wes@riverbend.test", device="untried")
    clock.advance(timedelta(minutes=10))
    set_policy(owner, session_idle_minutes=5)
    assert not alive(idle)
    # Both were told (or would be told) they were signed out; a longer limit must not
    # bring either of them back, whether or not it was used in between.
    set_policy(owner, session_idle_minutes=60)
    assert not alive(idle)
    assert not alive(untried)
    assert alive(owner)

    old = sign_in(client, practice.slug, "wes@riverbend.test", device="old")
    for _ in range(3):
        clock.advance(timedelta(minutes=50))
        assert alive(old)
        assert alive(owner)
    set_policy(owner, session_absolute_hours=2)
    assert not alive(old)
    assert not alive(owner)  # 2 h 40 min old
    first_owner = owner
    owner = sign_in(client, practice.slug, practice.owner_email)
    set_policy(owner, session_absolute_hours=12)
    assert not alive(old)
    assert not alive(first_owner)

    expired = audit(owner, "auth.session_expired")
    assert {e["subject_id"] for e in expired} == {
        str(idle.session_id),
        str(untried.session_id),
        str(old.session_id),
        str(first_owner.session_id),
    }
    assert all(e["details"]["reason"] == "expired" for e in expired)


def test_a_session_read_is_built_once_per_stored_row_and_never_stale(
    client: TestClient, services: Services, owner: Api, practice: PracticeHandle
) -> None:
    """Authentication keeps what a stored session row reads as (storage/stores/sessions.py):
    the same row gives the same objects, and any change to the row gives new ones."""

    def read() -> Any:
        return services.db.read_sync(
            lambda unit: unit.sessions.with_owner_by_token_hash(token_hash(owner.token))
        )

    first, again = read(), read()
    assert first is again  # the same stored row: built once
    assert first[1].role.value == "owner"
    assert first[0].revoked_at is None
    # A policy change, then the sign-out: each is seen by the very next read.
    set_policy(owner, session_idle_minutes=20)
    after_policy = read()
    assert after_policy is not first
    assert after_policy[2].policy.session_idle_minutes == 20
    assert owner.post("/auth/sign-out").status_code == 204
    assert read()[0].revoked_at is not None
