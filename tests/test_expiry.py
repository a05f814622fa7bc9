"""Message time-to-live: content is unreadable on every path the instant it expires (before
any purge), defaults come from the conversation and the practice, and the purge deletes the
row with its wrapped data key, audits it and tells connected devices."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from quietline.actions.audit import verify_all
from quietline.actions.messages import TOMBSTONE_RETENTION, do_purge_expired, read_for_delivery
from quietline.app import Services
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.storage.tables import audit_events
from quietline.storage.unit import Unit
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import (
    Frame,
    Socket,
    create_direct,
    create_group,
    history,
    raw_message,
    send_message,
)


@dataclass
class Pair:
    live: LiveServer
    clock: ManualClock
    practice: PracticeHandle
    owner: Api
    dana: Api

    @property
    def services(self) -> Services:
        return self.live.services

    def socket(self, api: Api) -> Socket:
        return Socket(self.live.ws_url, api.token)


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=20) as client:
        yield client


@pytest.fixture
def pair(live_server: LiveServer, http: httpx.Client) -> Pair:
    clock = live_server.services.clock
    assert isinstance(clock, ManualClock)
    practice = make_practice(live_server.services, "riverbend")
    owner = sign_in(http, practice.slug, practice.owner_email)
    add_staff(owner, "dana@riverbend.test", "clinician")
    dana = sign_in(http, practice.slug, "dana@riverbend.test")
    return Pair(live_server, clock, practice, owner, dana)


def _ids(page: list[Frame]) -> list[str]:
    return [m["id"] for m in page]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _purge_entries(services: Services, practice_id: UUID) -> list[dict[str, Any]]:
    def read(unit: Unit) -> list[dict[str, Any]]:
        rows = unit.conn.execute(
            select(audit_events.c.details, audit_events.c.actor_user_id)
            .where(
                audit_events.c.practice_id == practice_id,
                audit_events.c.kind == "message.expiry_purged",
            )
            .order_by(audit_events.c.seq)
        )
        return [{"details": r.details, "actor": r.actor_user_id} for r in rows]

    return services.db.read_sync(read)


def _chain_ok(services: Services) -> bool:
    reports = services.db.read_sync(
        lambda unit: verify_all(unit, services.audit_key, services.audit_anchor.read())
    )
    return all(r.ok for r in reports)


class TestBeforeAnyPurge:
    """The server's purge loop is pushed an hour away: only query-time filtering protects."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"purge_interval_seconds": 3600.0})

    def test_expired_message_is_unreadable_on_every_path(self, pair: Pair) -> None:
        assert pair.services.settings.purge_interval_seconds == 3600.0
        cid = create_direct(pair.owner, pair.dana.user_id)
        marker = f"ttl-{uuid.uuid4().hex}"
        key = str(uuid.uuid4())
        sent_at = pair.clock.now()
        short = pair.owner.post(
            f"/conversations/{cid}/messages",
            {"body": f"{marker} gate code 4471", "idempotency_key": key, "ttl_seconds": 30},
        )
        assert short.status_code == 201, short.text
        message = short.json()
        assert _at(message["expires_at"]) == sent_at + timedelta(seconds=30)
        keep = send_message(pair.owner, cid, "this one does not expire")
        assert keep["expires_at"] is None

        with pair.socket(pair.dana) as dana_ws:

            def paths() -> dict[str, bool]:
                """Whether the short-lived message is visible on each reading path."""
                mid = message["id"]
                seen: dict[str, bool] = {}
                seen["history (recipient)"] = mid in _ids(history(pair.dana, cid))
                seen["history (sender)"] = mid in _ids(history(pair.owner, cid))
                seen["history after seq 0"] = mid in _ids(history(pair.dana, cid, after=0))
                found = pair.dana.post("/search", {"query": marker})
                assert found.status_code == 200, found.text
                seen["search"] = mid in _ids(found.json())
                listed = next(c for c in pair.dana.get("/conversations").json() if c["id"] == cid)
                assert listed["unread"] in (1, 2)
                seen["unread (list)"] = listed["unread"] == 2
                single = pair.dana.get(f"/conversations/{cid}").json()
                seen["unread (conversation)"] = single["unread"] == 2
                dana_ws.send({"type": "resume", "conversation_id": cid, "after_seq": 0})
                backlog = dana_ws.expect("backlog")
                assert keep["id"] in _ids(backlog["messages"])
                seen["websocket resume"] = mid in _ids(backlog["messages"])
                view = pair.services.db.read_sync(
                    lambda unit: read_for_delivery(unit, pair.practice.id, UUID(cid), UUID(mid))
                )
                seen["live delivery"] = view is not None
                retry = pair.owner.post(
                    f"/conversations/{cid}/messages",
                    {
                        "body": f"{marker} gate code 4471",
                        "idempotency_key": key,
                        "ttl_seconds": 30,
                    },
                )
                assert retry.status_code in (200, 409), retry.text
                seen["idempotent retry"] = retry.status_code == 200
                return seen

            everywhere = paths()
            assert all(everywhere.values()), everywhere

            pair.clock.advance(timedelta(seconds=29))
            at_29 = paths()
            assert all(at_29.values()), at_29

            pair.clock.advance(timedelta(seconds=1))  # expires_at itself: no longer readable
            at_30 = paths()
            assert not any(at_30.values()), at_30

            pair.clock.advance(timedelta(seconds=1))
            at_31 = paths()
            assert not any(at_31.values()), at_31

            # nothing was purged: the reading paths themselves refused it
            row = raw_message(pair.services, message["id"])
            assert row is not None
            assert row.body_sealed is not None
            assert row.dek_wrapped is not None
            assert _purge_entries(pair.services, pair.practice.id) == []
            assert dana_ws.of_type("message.expired") == []
            assert [m["id"] for m in history(pair.dana, cid)] == [keep["id"]]

    def test_purge_erases_content_and_key_audits_and_tells_sockets(self, pair: Pair) -> None:
        services = pair.services
        direct = create_direct(pair.owner, pair.dana.user_id)
        group = create_group(pair.owner, "Case review", [pair.dana.user_id])
        other = make_practice(services, "lakeside")
        with httpx.Client(base_url=pair.live.url, timeout=20) as http:
            lake = sign_in(http, other.slug, other.owner_email)
            lee_id = add_staff(lake, "lee@lakeside.test")
            lake_direct = create_direct(lake, lee_id)
            lake_short = send_message(lake, lake_direct, "lake short", ttl_seconds=10)

            with pair.socket(pair.owner) as owner_ws, pair.socket(pair.dana) as dana_ws:
                short_direct = send_message(
                    pair.owner, direct, "one", ttl_seconds=10, idempotency_key="late-retry-0001"
                )
                short_group = send_message(pair.owner, group, "two", ttl_seconds=20)
                longer = send_message(pair.owner, group, "three", ttl_seconds=3600)
                forever = send_message(pair.owner, direct, "four")
                dana_ws.collect("message.created", 4)

                assert services.db.write_sync(do_purge_expired) == 0  # nothing due yet
                pair.clock.advance(timedelta(seconds=21))
                assert services.db.write_sync(do_purge_expired) == 3
                assert services.db.write_sync(do_purge_expired) == 0

                for gone in (short_direct, short_group, lake_short):
                    tombstone = raw_message(services, gone["id"])  # content and key destroyed
                    assert tombstone is not None
                    assert tombstone.body_sealed is None
                    assert tombstone.dek_wrapped is None
                for kept in (longer, forever):
                    row = raw_message(services, kept["id"])
                    assert row is not None
                    assert row.dek_wrapped is not None

                for ws in (owner_ws, dana_ws):
                    frames = ws.collect("message.expired", 2)
                    by_conversation = {f["conversation_id"]: f["message_ids"] for f in frames}
                    assert by_conversation == {
                        direct: [short_direct["id"]],
                        group: [short_group["id"]],
                    }
                # the other practice's purge is not announced here
                ws_frames = str(owner_ws.frames) + str(dana_ws.frames)
                assert lake_short["id"] not in ws_frames

            entries = _purge_entries(services, pair.practice.id)
            assert entries == [
                {
                    "details": {"count": 2, "conversations": sorted([direct, group])},
                    "actor": None,
                }
            ]
            lake_entries = _purge_entries(services, other.id)
            assert [e["details"] for e in lake_entries] == [
                {"count": 1, "conversations": [lake_direct]}
            ]
            assert _chain_ok(services)
            assert [m["id"] for m in history(pair.dana, direct)] == [forever["id"]]
            assert [m["id"] for m in history(pair.dana, group)] == [longer["id"]]
            assert history(lake, lake_direct) == []

            # A late retry of an expired send is refused, not sent a second time.
            retry = pair.owner.post(
                f"/conversations/{direct}/messages",
                {"body": "one", "idempotency_key": "late-retry-0001", "ttl_seconds": 10},
            )
            assert retry.status_code == 409, retry.text
            # After the tombstone retention the rows themselves are deleted.
            pair.clock.advance(TOMBSTONE_RETENTION + timedelta(seconds=21))
            services.db.write_sync(do_purge_expired)
            for gone in (short_direct, short_group, lake_short):
                assert raw_message(services, gone["id"]) is None
            for kept in (forever,):
                assert raw_message(services, kept["id"]) is not None

    def test_conversation_default_ttl_applies(self, pair: Pair) -> None:
        created = pair.owner.post(
            "/conversations",
            {
                "kind": "group",
                "title": "Short-lived",
                "member_ids": [str(pair.dana.user_id)],
                "default_ttl_seconds": 45,
            },
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        assert created.json()["default_ttl_seconds"] == 45
        start = pair.clock.now()
        by_default = send_message(pair.owner, cid, "uses the channel default")
        explicit = send_message(pair.owner, cid, "sets its own", ttl_seconds=600)
        assert _at(by_default["expires_at"]) == start + timedelta(seconds=45)
        assert _at(explicit["expires_at"]) == start + timedelta(seconds=600)

        pair.clock.advance(timedelta(seconds=44))
        assert _ids(history(pair.dana, cid)) == [by_default["id"], explicit["id"]]
        pair.clock.advance(timedelta(seconds=2))
        assert _ids(history(pair.dana, cid)) == [explicit["id"]]

        changed = pair.owner.patch(f"/conversations/{cid}", {"default_ttl_seconds": 20})
        assert changed.status_code == 200, changed.text
        now = pair.clock.now()
        later = send_message(pair.owner, cid, "new default")
        assert _at(later["expires_at"]) == now + timedelta(seconds=20)

        cleared = pair.owner.patch(f"/conversations/{cid}", {"default_ttl_seconds": None})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["default_ttl_seconds"] is None
        assert send_message(pair.owner, cid, "no default now")["expires_at"] is None

    def test_practice_default_ttl_applies(self, pair: Pair) -> None:
        refused = pair.dana.patch("/practice/policy", {"default_message_ttl_seconds": 60})
        assert refused.status_code == 403
        policy = pair.owner.patch("/practice/policy", {"default_message_ttl_seconds": 60})
        assert policy.status_code == 200, policy.text
        assert policy.json()["default_message_ttl_seconds"] == 60

        direct = create_direct(pair.owner, pair.dana.user_id)
        channel = create_group(pair.owner, "Own default", [pair.dana.user_id])
        assert pair.owner.patch(
            f"/conversations/{channel}", {"default_ttl_seconds": 300}
        ).is_success
        start = pair.clock.now()
        by_practice = send_message(pair.owner, direct, "practice default")
        by_channel = send_message(pair.owner, channel, "channel default wins")
        own = send_message(pair.dana, direct, "explicit wins", ttl_seconds=15)
        assert _at(by_practice["expires_at"]) == start + timedelta(seconds=60)
        assert _at(by_channel["expires_at"]) == start + timedelta(seconds=300)
        assert _at(own["expires_at"]) == start + timedelta(seconds=15)

        pair.clock.advance(timedelta(seconds=59))
        assert _ids(history(pair.dana, direct)) == [by_practice["id"]]
        pair.clock.advance(timedelta(seconds=2))
        assert _ids(history(pair.dana, direct)) == []
        assert _ids(history(pair.dana, channel)) == [by_channel["id"]]
        assert pair.dana.get(f"/conversations/{direct}").json()["unread"] == 0

        cleared = pair.owner.patch("/practice/policy", {"default_message_ttl_seconds": None})
        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["default_message_ttl_seconds"] is None
        assert send_message(pair.owner, direct, "kept")["expires_at"] is None
        bad = pair.owner.patch("/practice/policy", {"default_message_ttl_seconds": 5})
        assert bad.status_code == 422


def test_server_purge_loop_deletes_and_tells_connected_devices(pair: Pair) -> None:
    """With the server's own schedule (every 0.2 s in tests) and the manual clock."""
    cid = create_direct(pair.owner, pair.dana.user_id)
    with pair.socket(pair.owner) as owner_ws, pair.socket(pair.dana) as dana_ws:
        short = send_message(pair.owner, cid, "expires soon", ttl_seconds=10)
        dana_ws.expect("message.created")
        # before its time, the loop leaves it alone
        assert dana_ws.drain(0.6) == []
        assert raw_message(pair.services, short["id"]) is not None

        pair.clock.advance(timedelta(seconds=11))
        for ws in (owner_ws, dana_ws):
            expired = ws.expect("message.expired", timeout=5)
            assert expired == {
                "type": "message.expired",
                "conversation_id": cid,
                "message_ids": [short["id"]],
            }
    erased = raw_message(pair.services, short["id"])
    assert erased is not None
    assert erased.body_sealed is None
    assert erased.dek_wrapped is None
    assert [e["details"]["count"] for e in _purge_entries(pair.services, pair.practice.id)] == [1]
    assert history(pair.dana, cid) == []
