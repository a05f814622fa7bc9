"""Practice policies for the data lifecycle: retention, legal holds, the notification text,
supervisor visibility and logistics-only channels.

* Policy changes are validated (a bad value is a 422 with a sentence), audited, and in force
  for everyone at once; the notification text is what push notifications say.
* Retention hides messages past the practice's limit at query time, and the purge erases
  them (content and wrapped data key) like the expiry purge, reported in the audit trail.
* A legal hold stops both purges for its conversation, or for every thread of its client,
  without making anything readable; releasing it lets the next purge run.

The purge loop of the app is pushed an hour away (``purge_interval``) so that these tests run
the purges themselves; one test brings it back to 0.2 s to show the server runs retention.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from quietline.actions.audit import verify_all
from quietline.actions.messages import do_purge_expired
from quietline.actions.retention import RetentionRun, do_purge_retention
from quietline.app import Services, build_services
from quietline.cli.main import app as cli_app
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.operations.keys import rotate_keys
from quietline.storage.tables import audit_events, legal_holds
from quietline.storage.unit import Unit
from tests.browser.push_service import PushService
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import (
    create_direct,
    create_group,
    history,
    raw_message,
    send_message,
)

DANA = "dana@riverbend.test"
QUIET = 1.0  # seconds without a push that show none is coming (the server gathers 0.3 s)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# -- settings ---------------------------------------------------------------------------------
@pytest.fixture
def purge_interval() -> float:
    """The app's purge loop interval; parametrise to bring the loop back."""
    return 3600.0


@pytest.fixture
def settings(settings: Settings, purge_interval: float) -> Settings:
    return settings.model_copy(
        update={
            "purge_interval_seconds": purge_interval,
            "push_endpoint_hosts": "127.0.0.1",
            "notification_release_seconds": 0.2,
        }
    )


# -- helpers ------------------------------------------------------------------------------------
def is_a_sentence(text: str) -> bool:
    return len(text) > 15 and text[0].isupper() and text.rstrip().endswith((".", "!", "?"))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert is_a_sentence(body["detail"]), body["detail"]
    detail: str = body["detail"]
    return detail


def put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(f"/api/v1{path}", json=body, headers=api.headers)


def ids(page: list[dict[str, Any]]) -> list[str]:
    return [m["id"] for m in page]


def audit_details(services: Services, practice_id: UUID, kind: str) -> list[dict[str, Any]]:
    def read(unit: Unit) -> list[dict[str, Any]]:
        rows = unit.conn.execute(
            select(audit_events.c.details, audit_events.c.subject_id, audit_events.c.actor_user_id)
            .where(audit_events.c.practice_id == practice_id, audit_events.c.kind == kind)
            .order_by(audit_events.c.seq)
        )
        return [
            {"details": r.details, "subject": r.subject_id, "actor": r.actor_user_id} for r in rows
        ]

    return services.db.read_sync(read)


def chain_ok(services: Services) -> bool:
    reports = services.db.read_sync(
        lambda unit: verify_all(unit, services.audit_key, services.audit_anchor.read())
    )
    return all(r.ok for r in reports)


def erased(services: Services, message: dict[str, Any]) -> bool:
    """The stored row has lost its content and its wrapped data key (or is gone)."""
    row = raw_message(services, message["id"])
    return row is None or (row.body_sealed is None and row.dek_wrapped is None)


def intact(services: Services, message: dict[str, Any]) -> bool:
    row = raw_message(services, message["id"])
    return row is not None and row.body_sealed is not None and row.dek_wrapped is not None


def purge_retention(services: Services) -> list[RetentionRun]:
    return services.db.write_sync(do_purge_retention)


class Clinic:
    """A practice on the TestClient: the owner and Dana (a clinician), signed in again after
    each jump of the clock (sessions end after 30 idle minutes)."""

    def __init__(
        self, client: TestClient, services: Services, practice: PracticeHandle, clock: ManualClock
    ) -> None:
        self.client = client
        self.services = services
        self.practice = practice
        self.clock = clock
        self.owner = sign_in(client, practice.slug, practice.owner_email)
        self.dana_id = add_staff(self.owner, DANA)
        self.dana = sign_in(client, practice.slug, DANA)

    def later(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.owner = sign_in(self.client, self.practice.slug, self.practice.owner_email)
        self.dana = sign_in(self.client, self.practice.slug, DANA)

    def policy(self, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = ok(self.owner.patch("/practice/policy", changes))
        return result

    def hold(self, conversation: str, reason: str = "Records request 2026-114") -> str:
        held = ok(
            self.owner.post(f"/conversations/{conversation}/legal-hold", {"reason": reason}), 201
        )
        hold_id: str = held["id"]
        return hold_id


@pytest.fixture
def clinic(
    client: TestClient, services: Services, practice: PracticeHandle, clock: ManualClock
) -> Clinic:
    return Clinic(client, services, practice, clock)


# -- the policy ---------------------------------------------------------------------------------
def test_new_policy_settings_are_audited_and_in_force_for_everyone_at_once(clinic: Clinic) -> None:
    defaults = ok(clinic.dana.get("/practice/policy"))
    assert defaults["retention_days"] is None
    assert defaults["notification_text"] is None
    assert defaults["supervisor_visibility"] is False

    refused = clinic.dana.patch("/practice/policy", {"retention_days": 30})
    assert refused.status_code == 403, refused.text

    changed = clinic.policy(
        retention_days=30,
        notification_text="  Riverbend:   message   waiting ",
        supervisor_visibility=True,
    )
    assert changed["retention_days"] == 30
    assert changed["notification_text"] == "Riverbend: message waiting"  # spaces tidied
    assert changed["supervisor_visibility"] is True
    # Everyone's next request sees it: no sign-in again, no cache.
    for api in (clinic.dana, clinic.owner):
        policy = ok(api.get("/me"))["policy"]
        assert policy["retention_days"] == 30
        assert policy["notification_text"] == "Riverbend: message waiting"
        assert policy["supervisor_visibility"] is True
    assert ok(clinic.dana.get("/practice/policy")) == changed

    cleared = clinic.policy(retention_days=None, notification_text=None)
    assert cleared["retention_days"] is None
    assert cleared["notification_text"] is None
    assert cleared["supervisor_visibility"] is True  # left out: kept

    entries = audit_details(clinic.services, clinic.practice.id, "policy.changed")
    assert [e["details"] for e in entries] == [
        {
            "retention_days": {"from": None, "to": 30},
            "notification_text": {"from": None, "to": "Riverbend: message waiting"},
            "supervisor_visibility": {"from": False, "to": True},
        },
        {
            "retention_days": {"from": 30, "to": None},
            "notification_text": {"from": "Riverbend: message waiting", "to": None},
        },
    ]
    assert all(e["actor"] == clinic.practice.owner_id for e in entries)
    # The same values again change nothing and are not audited again.
    clinic.policy(supervisor_visibility=True, retention_days=None)
    assert len(audit_details(clinic.services, clinic.practice.id, "policy.changed")) == 2
    assert chain_ok(clinic.services)


MARK = "QlPlaceholder"
POLICY_REFUSALS: dict[str, dict[str, Any]] = {
    "retention-zero": {"retention_days": 0},
    "retention-negative": {"retention_days": -7},
    "retention-over-100-years": {"retention_days": 36501},
    "retention-fraction": {"retention_days": 7.5},
    "retention-text": {"retention_days": "a month"},
    "retention-true": {"retention_days": True},
    "text-braces": {"notification_text": f"New {{{MARK}}} message"},
    "text-double-braces": {"notification_text": f"{{{{{MARK}}}}}"},
    "text-percent": {"notification_text": f"Message from %s {MARK}"},
    "text-dollar": {"notification_text": f"Message from ${MARK}"},
    "text-angle": {"notification_text": f"<{MARK}> wrote"},
    "text-square": {"notification_text": f"[{MARK}] wrote"},
    "text-empty": {"notification_text": ""},
    "text-spaces": {"notification_text": "     "},
    "text-too-long": {"notification_text": MARK + "x" * 60},
    "text-line-break": {"notification_text": f"New\n{MARK}"},
    "text-tab": {"notification_text": f"New\t{MARK}"},
    "text-invisible": {"notification_text": f"New\u200b{MARK}"},
    "text-bidi": {"notification_text": f"New \u202e{MARK}"},
    "text-number": {"notification_text": 12345},
    "visibility-text": {"supervisor_visibility": "yes"},
    "visibility-null": {"supervisor_visibility": None},
    "idle-null": {"session_idle_minutes": None},
    "unknown-field": {"include_sender": True},
}


@pytest.mark.parametrize("case", list(POLICY_REFUSALS))
def test_bad_policy_values_are_422_with_a_sentence_and_change_nothing(
    clinic: Clinic, case: str
) -> None:
    before = ok(clinic.owner.get("/practice/policy"))
    response = clinic.owner.patch("/practice/policy", POLICY_REFUSALS[case])
    problem(response, 422)
    assert response.json()["type"] == "urn:quietline:problem:invalid-input"
    assert MARK not in response.text  # the refused value is never repeated
    assert ok(clinic.owner.get("/practice/policy")) == before
    assert audit_details(clinic.services, clinic.practice.id, "policy.changed") == []


def test_the_refusal_of_a_placeholder_says_content_is_never_shown(clinic: Clinic) -> None:
    detail = problem(
        clinic.owner.patch("/practice/policy", {"notification_text": "From {sender}"}), 422
    )
    assert "placeholders" in detail
    assert "never shown" in detail
    # Words with punctuation are fine.
    text = clinic.policy(notification_text="Riverbend Counseling: you've a message!")
    assert text["notification_text"] == "Riverbend Counseling: you've a message!"


# -- notifications ------------------------------------------------------------------------------
def test_the_practices_notification_text_is_what_pushes_say(
    live_server: LiveServer, practice: PracticeHandle
) -> None:
    with (
        PushService() as push,
        httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as http,
    ):
        owner = sign_in(http, practice.slug, practice.owner_email)
        dana_id = add_staff(owner, DANA)
        phone = sign_in(http, practice.slug, DANA, device="dana phone")
        desk = sign_in(http, practice.slug, DANA, device="dana desk")
        subscription = push.subscribe()
        ok(put(phone, "/me/push-subscription", subscription.as_json()), 204)
        cid = create_direct(owner, dana_id)
        secret = f"QlBody{uuid.uuid4().hex}"

        text = "Riverbend: message waiting"
        assert (
            ok(owner.patch("/practice/policy", {"notification_text": text}))["notification_text"]
            == text
        )
        send_message(owner, cid, f"{secret} first")
        (first,) = push.wait_for(1, subscription)
        assert first.json() == {"title": "Quietline", "body": text, "count": 1}

        # Held while Dana is in session, then released as one notification with the count.
        ok(put(desk, "/me/status", {"minutes": 30}))
        send_message(owner, cid, f"{secret} second")
        send_message(owner, cid, f"{secret} third")
        assert push.quiet_for(QUIET, subscription) == []
        ok(desk.delete("/me/status"))
        released = push.wait_for(2, subscription)[1]
        assert released.json() == {"title": "Quietline", "body": f"{text} (2)", "count": 2}

        # A text with a placeholder is refused, and the words stay as they were.
        problem(owner.patch("/practice/policy", {"notification_text": "From {sender}"}), 422)
        send_message(owner, cid, f"{secret} fourth")
        assert push.wait_for(3, subscription)[2].json()["body"] == text

        # Back to the default words.
        ok(owner.patch("/practice/policy", {"notification_text": None}))
        send_message(owner, cid, f"{secret} fifth")
        assert push.wait_for(4, subscription)[3].json() == {
            "title": "Quietline",
            "body": "New secure message",
            "count": 1,
        }
        assert push.quiet_for(QUIET) == []
        received = push.requests()
        assert len(received) == 4
        for request in received:
            assert request.payload is not None
            assert set(json.loads(request.payload)) == {"title", "body", "count"}
            for never in (secret, "Owner of riverbend", "dana"):
                assert never.encode() not in request.payload + request.body


# -- retention -----------------------------------------------------------------------------------
def test_retention_hides_old_messages_at_once_and_the_purge_erases_them(clinic: Clinic) -> None:
    services = clinic.services
    direct = create_direct(clinic.owner, clinic.dana_id)
    group = create_group(clinic.owner, "Front desk", [clinic.dana_id])
    old = [
        send_message(clinic.owner, direct, "old one"),
        send_message(clinic.dana, direct, "old two"),
        send_message(clinic.owner, group, "old three"),
    ]
    clinic.later(2 * HOUR)
    middle = send_message(clinic.owner, group, "two hours later")
    clinic.later(7 * DAY - HOUR)  # the old ones are 7 days and 1 hour old, middle 7 days - 1 h
    recent = send_message(clinic.owner, direct, "recent")
    # Nothing is past retention while there is none.
    assert ids(history(clinic.dana, direct)) == [old[0]["id"], old[1]["id"], recent["id"]]
    assert purge_retention(services) == []

    clinic.policy(retention_days=7)
    # Hidden at once on every reading path, before any purge ran.
    assert ids(history(clinic.dana, direct)) == [recent["id"]]
    assert ids(history(clinic.owner, group)) == [middle["id"]]
    assert ids(history(clinic.dana, direct, after=0)) == [recent["id"]]
    found = ok(clinic.dana.post("/search", {"query": "old"}))
    assert found == []
    assert all(intact(services, m) for m in old)

    (run,) = purge_retention(services)
    assert run.erased == {UUID(direct): 2, UUID(group): 1}
    assert run.held == {}
    assert run.more is False
    assert all(erased(services, m) for m in old)
    for kept in (middle, recent):
        assert intact(services, kept)
    assert [raw_message(services, m["id"]) is not None for m in old] == [True] * 3  # tombstones

    (entry,) = audit_details(services, clinic.practice.id, "message.retention_purged")
    assert entry["actor"] is None
    assert entry["subject"] == str(clinic.practice.id)
    details = entry["details"]
    assert details["erased"] == 3
    assert details["conversations"] == {direct: 2, group: 1}
    assert details["held"] == {}
    assert details["retention_days"] == 7
    assert datetime.fromisoformat(details["cutoff"]) == clinic.clock.now() - 7 * DAY

    # Nothing more to do: no empty entries pile up.
    (again,) = purge_retention(services)
    assert again.erased == {}
    assert again.tombstones_deleted == 0
    assert len(audit_details(services, clinic.practice.id, "message.retention_purged")) == 1

    # A day later the middle message is due too, and the old tombstones go.
    clinic.later(DAY)
    (later,) = purge_retention(services)
    assert later.erased == {UUID(group): 1}
    assert later.tombstones_deleted == 3
    assert all(raw_message(services, m["id"]) is None for m in old)
    assert erased(services, middle)
    assert intact(services, recent)
    assert ids(history(clinic.owner, group)) == []

    report = ok(clinic.owner.get("/retention/report"))
    assert report["retention_days"] == 7
    assert report["held_conversations"] == []
    assert [(r["erased"], r["tombstones_deleted"]) for r in report["runs"]] == [(1, 3), (3, 0)]
    by_conversation = {
        c["conversation_id"]: c["messages"] for c in report["runs"][1]["conversations"]
    }
    assert by_conversation == {direct: 2, group: 1}
    assert ok(clinic.owner.get("/retention/report", params={"limit": 1}))["runs"] == [
        report["runs"][0]
    ]
    problem(clinic.dana.get("/retention/report"), 403)
    assert chain_ok(services)


def test_retention_applies_per_practice(clinic: Clinic) -> None:
    other = make_practice(clinic.services, "lakeside")
    lake = sign_in(clinic.client, other.slug, other.owner_email)
    lee = add_staff(lake, "lee@lakeside.test")
    lake_direct = create_direct(lake, lee)
    lake_old = send_message(lake, lake_direct, "lakeside keeps everything")
    direct = create_direct(clinic.owner, clinic.dana_id)
    ours = send_message(clinic.owner, direct, "riverbend keeps a week")
    clinic.later(8 * DAY)
    clinic.policy(retention_days=7)
    runs = purge_retention(clinic.services)
    assert [r.practice_id for r in runs] == [clinic.practice.id]
    assert erased(clinic.services, ours)
    assert intact(clinic.services, lake_old)
    assert audit_details(clinic.services, other.id, "message.retention_purged") == []


# -- legal holds ---------------------------------------------------------------------------------
def test_a_legal_hold_stops_both_purges_until_it_is_released(clinic: Clinic) -> None:
    services = clinic.services
    held = create_group(clinic.owner, "Case consult", [clinic.dana_id])
    free = create_direct(clinic.owner, clinic.dana_id)
    held_old = send_message(clinic.dana, held, "held and old")
    free_old = send_message(clinic.dana, free, "free and old")
    held_short = send_message(clinic.owner, held, "held, short-lived", ttl_seconds=60)
    free_short = send_message(clinic.owner, free, "free, short-lived", ttl_seconds=60)

    reason = "Subpoena 2026-114 (Doe v. Riverbend)"
    placed = ok(clinic.owner.post(f"/conversations/{held}/legal-hold", {"reason": reason}), 201)
    assert placed["conversation_id"] == held
    assert placed["reason"] == reason
    assert placed["active"] is True
    assert placed["placed_by"] == str(clinic.practice.owner_id)
    hold_id = placed["id"]

    # The expiry purge leaves the held conversation alone; the message stays unreadable.
    clinic.later(2 * HOUR)
    assert services.db.write_sync(do_purge_expired) == 1
    assert erased(services, free_short)
    assert intact(services, held_short)
    assert held_short["id"] not in ids(history(clinic.dana, held))

    # Retention: the held conversation is skipped and reported.
    clinic.later(8 * DAY)
    clinic.policy(retention_days=7)
    (run,) = purge_retention(services)
    assert run.erased == {UUID(free): 1}
    assert run.held == {UUID(held): 2}  # held_old and held_short are both past retention
    assert erased(services, free_old)
    assert intact(services, held_old)
    assert intact(services, held_short)
    assert history(clinic.dana, held) == []  # kept, not readable
    report = ok(clinic.owner.get("/retention/report"))
    assert report["held_conversations"] == [held]
    assert report["runs"][0]["held"] == [{"conversation_id": held, "messages": 2}]
    # The expiry purge's tombstone clean-up skips it too.
    clinic.later(2 * DAY)
    services.db.write_sync(do_purge_expired)
    purge_retention(services)
    assert intact(services, held_short)
    assert raw_message(services, free_short["id"]) is None

    listed = ok(clinic.owner.get("/legal-holds"))
    assert [(h["id"], h["reason"], h["active"]) for h in listed] == [(hold_id, reason, True)]
    # The reason is stored sealed, and the audit trail names the hold, not the reason.
    sealed = services.db.read_sync(
        lambda unit: unit.conn.execute(select(legal_holds.c.reason_sealed)).scalar_one()
    )
    assert b"Subpoena" not in bytes(sealed)
    (placed_entry,) = audit_details(services, clinic.practice.id, "legal_hold.placed")
    assert placed_entry["subject"] == held
    assert placed_entry["details"] == {"hold": hold_id}
    assert "Subpoena" not in json.dumps(
        audit_details(services, clinic.practice.id, "message.retention_purged")
    )

    # Clinicians can neither see, place nor release holds.
    problem(clinic.dana.get("/legal-holds"), 403)
    problem(clinic.dana.post(f"/conversations/{held}/legal-hold", {"reason": reason}), 403)
    problem(clinic.dana.delete(f"/legal-holds/{hold_id}"), 403)

    # Released: the next runs of both purges do what they would have done.
    ok(clinic.owner.delete(f"/legal-holds/{hold_id}"), 204)
    ok(clinic.owner.delete(f"/legal-holds/{hold_id}"), 204)  # again: nothing happens
    (released_entry,) = audit_details(services, clinic.practice.id, "legal_hold.released")
    assert released_entry["subject"] == held
    assert released_entry["details"] == {"hold": hold_id}
    (after,) = ok(clinic.owner.get("/legal-holds"))
    assert after["active"] is False
    assert after["released_by"] == str(clinic.practice.owner_id)
    assert services.db.write_sync(do_purge_expired) == 1
    assert erased(services, held_short)
    (run,) = purge_retention(services)
    assert run.erased == {UUID(held): 1}
    assert run.held == {}
    assert erased(services, held_old)
    assert ok(clinic.owner.get("/retention/report"))["held_conversations"] == []
    assert chain_ok(services)


def test_two_holds_keep_a_conversation_until_both_are_released(clinic: Clinic) -> None:
    cid = create_group(clinic.owner, "Consult", [clinic.dana_id])
    message = send_message(clinic.dana, cid, "kept for two matters")
    first = clinic.hold(cid, "Records request 2026-001")
    second = clinic.hold(cid, "Licensing board inquiry 77")
    clinic.later(3 * DAY)
    clinic.policy(retention_days=1)
    ok(clinic.owner.delete(f"/legal-holds/{first}"), 204)
    (run,) = purge_retention(clinic.services)
    assert run.held == {UUID(cid): 1}
    assert intact(clinic.services, message)
    listed = {h["id"]: h["active"] for h in ok(clinic.owner.get("/legal-holds"))}
    assert listed == {first: False, second: True}
    assert next(h["id"] for h in ok(clinic.owner.get("/legal-holds"))) == second  # active first
    ok(clinic.owner.delete(f"/legal-holds/{second}"), 204)
    purge_retention(clinic.services)
    assert erased(clinic.services, message)


def test_an_admin_may_hold_a_conversation_they_are_not_in(clinic: Clinic) -> None:
    kai_id = add_staff(clinic.owner, "kai@riverbend.test")
    theirs = create_direct(clinic.dana, kai_id)
    message = send_message(clinic.dana, theirs, "between Dana and Kai")
    clinic.hold(theirs)
    assert clinic.owner.get(f"/conversations/{theirs}").status_code == 404  # still not a member
    clinic.later(2 * DAY)
    clinic.policy(retention_days=1)
    (run,) = purge_retention(clinic.services)
    assert run.held == {UUID(theirs): 1}
    assert intact(clinic.services, message)


@pytest.mark.parametrize(
    "reason",
    ["too short", "          ", "   a    b   c  ", "x" * 501],
    ids=lambda reason: f"{len(reason)}-characters",
)
def test_a_hold_needs_a_reason_of_10_to_500_characters(clinic: Clinic, reason: str) -> None:
    cid = create_direct(clinic.owner, clinic.dana_id)
    problem(clinic.owner.post(f"/conversations/{cid}/legal-hold", {"reason": reason}), 422)
    assert ok(clinic.owner.get("/legal-holds")) == []


def test_a_hold_on_a_missing_or_foreign_conversation_is_the_same_404(clinic: Clinic) -> None:
    other = make_practice(clinic.services, "lakeside")
    lake = sign_in(clinic.client, other.slug, other.owner_email)
    foreign = create_direct(lake, add_staff(lake, "lee@lakeside.test"))
    body = {"reason": "Records request 2026-114"}
    theirs = clinic.owner.post(f"/conversations/{foreign}/legal-hold", body)
    missing = clinic.owner.post(f"/conversations/{uuid.uuid4()}/legal-hold", body)
    problem(theirs, 404)
    assert theirs.content == missing.content
    lake_hold = ok(lake.post(f"/conversations/{foreign}/legal-hold", body), 201)["id"]
    released = clinic.owner.delete(f"/legal-holds/{lake_hold}")
    problem(released, 404)
    assert released.content == clinic.owner.delete(f"/legal-holds/{uuid.uuid4()}").content
    assert ok(lake.get("/legal-holds"))[0]["active"] is True
    assert ok(clinic.owner.get("/legal-holds")) == []


# -- logistics-only channels ---------------------------------------------------------------------
def test_logistics_only_is_set_by_admins_and_shown_in_the_list(clinic: Clinic) -> None:
    channel = create_group(clinic.owner, "Scheduling", [clinic.dana_id])
    own = create_group(clinic.dana, "Dana's channel", [])
    direct = create_direct(clinic.owner, clinic.dana_id)
    listed = {c["id"]: c for c in ok(clinic.dana.get("/conversations"))}
    assert {c["logistics_only"] for c in listed.values()} == {False}

    for cid in (channel, own):  # not even the creator of a channel, unless an admin
        problem(clinic.dana.patch(f"/conversations/{cid}", {"logistics_only": True}), 403)
    problem(clinic.owner.patch(f"/conversations/{direct}", {"logistics_only": True}), 422)

    changed = ok(clinic.owner.patch(f"/conversations/{channel}", {"logistics_only": True}))
    assert changed["logistics_only"] is True
    listed = {c["id"]: c for c in ok(clinic.dana.get("/conversations"))}
    assert listed[channel]["logistics_only"] is True
    assert listed[own]["logistics_only"] is False
    assert ok(clinic.dana.get(f"/conversations/{channel}"))["logistics_only"] is True
    # Renaming leaves it as it is.
    assert (
        ok(clinic.owner.patch(f"/conversations/{channel}", {"title": "Rota"}))["logistics_only"]
        is True
    )
    ok(clinic.owner.patch(f"/conversations/{channel}", {"logistics_only": False}))
    assert ok(clinic.dana.get(f"/conversations/{channel}"))["logistics_only"] is False

    entries = [
        e
        for e in audit_details(clinic.services, clinic.practice.id, "conversation.updated")
        if "logistics_only" in e["details"]["fields"]
    ]
    assert [(e["subject"], e["details"]) for e in entries] == [
        (channel, {"fields": ["logistics_only"], "logistics_only": True}),
        (channel, {"fields": ["logistics_only"], "logistics_only": False}),
    ]


# -- the server's schedule and the command line -----------------------------------------------
@pytest.mark.parametrize("purge_interval", [0.2])
def test_the_servers_purge_loop_applies_retention(
    live_server: LiveServer, practice: PracticeHandle, purge_interval: float
) -> None:
    services = live_server.services
    clock = services.clock
    assert isinstance(clock, ManualClock)
    with httpx.Client(base_url=live_server.url, trust_env=False, timeout=20) as http:
        owner = sign_in(http, practice.slug, practice.owner_email)
        cid = create_direct(owner, add_staff(owner, DANA))
        old = send_message(owner, cid, "a day and more")
        ok(owner.patch("/practice/policy", {"retention_days": 1}))
        time.sleep(4 * purge_interval)
        assert intact(services, old)  # not due yet

        clock.advance(DAY + HOUR)
        deadline = time.monotonic() + 5
        while not erased(services, old) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert erased(services, old)
        owner = sign_in(http, practice.slug, practice.owner_email)
        runs = ok(owner.get("/retention/report"))["runs"]
        assert [(r["erased"], r["conversations"]) for r in runs] == [
            (1, [{"conversation_id": cid, "messages": 1}])
        ]


def test_quietline_purge_applies_retention_and_reports(
    clinic: Clinic, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command runs on the system clock: the messages are sent ten days in the past."""
    for name in ("QUIETLINE_DATA_DIR", "QUIETLINE_DATABASE_URL", "QUIETLINE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    clinic.clock.set(datetime.now(UTC) - timedelta(days=10))
    clinic.later(timedelta(0))
    held = create_group(clinic.owner, "Held", [clinic.dana_id])
    free = create_direct(clinic.owner, clinic.dana_id)
    marker = f"QlCli{uuid.uuid4().hex}"
    kept = send_message(clinic.owner, held, f"{marker} kept")
    gone = [send_message(clinic.owner, free, f"{marker} {n}") for n in range(2)]
    clinic.hold(held)
    rowan, rowan_thread = new_client(clinic, f"Rowan {marker}")
    rowan_kept = note(clinic.dana, rowan_thread, f"{marker} rowan")
    ok(clinic.owner.post("/legal-holds", {"client_id": rowan, "reason": "Records request 7"}), 201)
    clinic.policy(retention_days=7)
    other = make_practice(clinic.services, "lakeside")

    assert settings.database_url is not None
    result = CliRunner().invoke(
        cli_app,
        ["purge", "--report", "--data-dir", str(settings.data_dir)],
        env={"QUIETLINE_DATABASE_URL": settings.database_url},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Purged 0 expired messages." in said
    assert "Erased 2 messages past retention." in said
    assert f"practice riverbend ({clinic.practice.id}): retention 7 days" in said
    assert "erased: 2 messages in 1 conversations" in said
    assert f"conversation {free}: 2" in said
    assert "skipped for a legal hold: 2 conversations" in said
    assert f"conversation {held}: 1 messages past retention kept" in said
    assert f"conversation {rowan_thread}: 1 messages past retention kept" in said
    assert "of those, held with their client: 1 clients" in said
    assert f"client {rowan}: 1 messages past retention kept" in said
    assert f"practice lakeside ({other.id}): no retention limit" in said
    for text in (marker, "Records request", "Held"):
        assert text not in result.output
    assert all(erased(clinic.services, m) for m in gone)
    assert intact(clinic.services, kept)
    assert intact(clinic.services, rowan_kept)


# -- legal holds on a client -------------------------------------------------------------------
def new_client(clinic: Clinic, name: str) -> tuple[str, str]:
    """A client assigned to Dana: (client id, their thread)."""
    created = ok(
        clinic.owner.post("/clients", {"name": name, "clinician_ids": [str(clinic.dana_id)]}),
        201,
    )
    return created["id"], created["conversation_id"]


def note(api: Api, thread: str, text: str) -> dict[str, Any]:
    """A staff-only note in a client's thread (nothing goes to the client)."""
    body = {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": True}
    sent: dict[str, Any] = ok(api.post(f"/conversations/{thread}/client-messages", body), 201)
    message: dict[str, Any] = sent["message"]
    return message


def test_a_client_hold_keeps_every_thread_of_the_client_until_released(clinic: Clinic) -> None:
    services = clinic.services
    rowan_name = f"Rowan Hale QlHold{uuid.uuid4().hex[:12]}"
    rowan, rowan_thread = new_client(clinic, rowan_name)
    _sky, sky_thread = new_client(clinic, "Sky Moss")
    group = create_group(clinic.owner, "Case consult", [clinic.dana_id])
    rowan_old = note(clinic.dana, rowan_thread, "Rowan, first session")
    sky_old = note(clinic.dana, sky_thread, "Sky, first session")
    clinic.policy(default_message_ttl_seconds=60)  # notes take the practice's time-to-live
    rowan_short = note(clinic.dana, rowan_thread, "Rowan, short-lived")
    sky_short = note(clinic.dana, sky_thread, "Sky, short-lived")
    clinic.policy(default_message_ttl_seconds=None)
    group_old = send_message(clinic.dana, group, "consult notes")

    reason = "Subpoena 2027-031 (Hale v. Riverbend)"
    placed = ok(clinic.owner.post("/legal-holds", {"client_id": rowan, "reason": reason}), 201)
    assert placed["client_id"] == rowan
    assert placed["conversation_id"] is None
    assert placed["reason"] == reason
    assert placed["active"] is True
    hold_id = placed["id"]
    # Written after the hold was placed: held all the same (the rule is read at purge time).
    rowan_later = note(clinic.dana, rowan_thread, "Rowan, after the hold")

    # The expiry purge leaves the held client's thread alone, and only it.
    clinic.later(2 * HOUR)
    assert services.db.write_sync(do_purge_expired) == 1
    assert erased(services, sky_short)
    assert intact(services, rowan_short)
    assert rowan_short["id"] not in ids(history(clinic.dana, rowan_thread))  # kept, unreadable

    # Retention: the other client's thread and the group go; Rowan's thread is kept whole.
    clinic.later(8 * DAY)
    clinic.policy(retention_days=7)
    (run,) = purge_retention(services)
    assert run.erased == {UUID(sky_thread): 1, UUID(group): 1}
    assert run.held == {UUID(rowan_thread): 3}
    assert run.held_clients == {UUID(rowan): 3}
    assert erased(services, sky_old)
    assert erased(services, group_old)
    assert all(intact(services, m) for m in (rowan_old, rowan_short, rowan_later))

    report = ok(clinic.owner.get("/retention/report"))
    assert report["held_clients"] == [rowan]
    assert report["held_conversations"] == []  # no conversation is held on its own
    assert report["runs"][0]["held"] == [{"conversation_id": rowan_thread, "messages": 3}]
    assert report["runs"][0]["held_clients"] == [{"client_id": rowan, "messages": 3}]
    (purged,) = audit_details(services, clinic.practice.id, "message.retention_purged")
    assert purged["details"]["held_clients"] == {rowan: 3}

    (listed,) = ok(clinic.owner.get("/legal-holds"))
    assert (listed["id"], listed["client_id"], listed["conversation_id"]) == (hold_id, rowan, None)
    assert listed["reason"] == reason
    (placed_entry,) = audit_details(services, clinic.practice.id, "legal_hold.placed")
    assert placed_entry["subject"] == rowan
    assert placed_entry["details"] == {"hold": hold_id}
    sealed = services.db.read_sync(
        lambda unit: unit.conn.execute(select(legal_holds.c.reason_sealed)).scalar_one()
    )
    assert b"Subpoena" not in bytes(sealed)
    trail = json.dumps(
        [
            audit_details(services, clinic.practice.id, kind)
            for kind in ("legal_hold.placed", "message.retention_purged")
        ],
        default=str,
    )
    assert "Subpoena" not in trail
    assert rowan_name not in trail

    # Released: the next runs of both purges catch up.
    ok(clinic.owner.delete(f"/legal-holds/{hold_id}"), 204)
    (released_entry,) = audit_details(services, clinic.practice.id, "legal_hold.released")
    assert released_entry["subject"] == rowan
    assert released_entry["details"] == {"hold": hold_id}
    assert services.db.write_sync(do_purge_expired) == 1
    assert erased(services, rowan_short)
    (run,) = purge_retention(services)
    assert run.erased == {UUID(rowan_thread): 2}
    assert run.held == {}
    assert run.held_clients == {}
    assert erased(services, rowan_old)
    assert erased(services, rowan_later)
    assert ok(clinic.owner.get("/retention/report"))["held_clients"] == []
    assert chain_ok(services)


def test_a_client_hold_and_a_conversation_hold_each_keep_the_thread(clinic: Clinic) -> None:
    rowan, thread = new_client(clinic, "Rowan Hale")
    message = note(clinic.dana, thread, "kept for two matters")
    on_client = ok(
        clinic.owner.post("/legal-holds", {"client_id": rowan, "reason": "Records request 1"}),
        201,
    )["id"]
    on_thread = ok(
        clinic.owner.post(
            "/legal-holds", {"conversation_id": thread, "reason": "Licensing board inquiry"}
        ),
        201,
    )
    assert (on_thread["conversation_id"], on_thread["client_id"]) == (thread, None)
    clinic.later(3 * DAY)
    clinic.policy(retention_days=1)
    ok(clinic.owner.delete(f"/legal-holds/{on_client}"), 204)
    (run,) = purge_retention(clinic.services)
    assert run.held == {UUID(thread): 1}
    assert run.held_clients == {}
    assert intact(clinic.services, message)
    ok(clinic.owner.delete(f"/legal-holds/{on_thread['id']}"), 204)
    purge_retention(clinic.services)
    assert erased(clinic.services, message)


def test_a_hold_names_exactly_one_of_a_conversation_and_a_client(clinic: Clinic) -> None:
    rowan, thread = new_client(clinic, "Rowan Hale")
    reason = "Records request 2027-031"
    for body in (
        {"reason": reason},
        {"reason": reason, "client_id": rowan, "conversation_id": thread},
        {"reason": reason, "client_id": None, "conversation_id": None},
    ):
        detail = problem(clinic.owner.post("/legal-holds", body), 422)
        assert "either a conversation" in detail
    problem(clinic.owner.post("/legal-holds", {"reason": "short", "client_id": rowan}), 422)
    problem(clinic.owner.post("/legal-holds", {"reason": reason, "client_id": "rowan"}), 422)
    problem(clinic.owner.post("/legal-holds", {"reason": reason, "patient": rowan}), 422)
    problem(clinic.dana.post("/legal-holds", {"reason": reason, "client_id": rowan}), 403)
    assert ok(clinic.owner.get("/legal-holds")) == []


def test_a_hold_on_a_missing_or_foreign_client_is_the_same_404(clinic: Clinic) -> None:
    other = make_practice(clinic.services, "lakeside")
    lake = sign_in(clinic.client, other.slug, other.owner_email)
    theirs = ok(lake.post("/clients", {"name": "Lee Lakeside"}), 201)["id"]
    body = {"reason": "Records request 2027-031"}
    foreign = clinic.owner.post("/legal-holds", {**body, "client_id": theirs})
    missing = clinic.owner.post("/legal-holds", {**body, "client_id": str(uuid.uuid4())})
    problem(foreign, 404)
    assert foreign.content == missing.content
    lake_hold = ok(lake.post("/legal-holds", {**body, "client_id": theirs}), 201)["id"]
    released = clinic.owner.delete(f"/legal-holds/{lake_hold}")
    assert released.content == clinic.owner.delete(f"/legal-holds/{uuid.uuid4()}").content
    assert ok(lake.get("/legal-holds"))[0]["active"] is True
    assert ok(clinic.owner.get("/legal-holds")) == []


def test_a_client_holds_reason_survives_a_practice_key_rotation(
    clinic: Clinic, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("QUIETLINE_"):
            monkeypatch.delenv(name)
    rowan, thread = new_client(clinic, "Rowan Hale")
    clinic.hold(thread, "Records request on the thread")
    ok(clinic.owner.post("/legal-holds", {"client_id": rowan, "reason": "Subpoena on Rowan"}), 201)
    command = build_services(settings, clock=clinic.clock)
    try:
        outcome = rotate_keys(command, practice_codes=[clinic.practice.slug])
    finally:
        command.close()
    assert outcome.practices
    clinic.services.keyring.clear()
    reasons = {(h["client_id"], h["reason"]) for h in ok(clinic.owner.get("/legal-holds"))}
    assert reasons == {(None, "Records request on the thread"), (rowan, "Subpoena on Rowan")}
