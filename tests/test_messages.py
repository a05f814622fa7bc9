"""Messages end to end: idempotent sends under concurrency, ordering, unread counts, receipts,
recall, the urgent flag, and membership changes as seen by HTTP and by connected sockets."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from quietline.actions.auth import authenticate
from quietline.actions.conversations import do_remove_member
from quietline.actions.messages import do_send_message
from quietline.app import Services
from quietline.domain.clock import ManualClock
from quietline.storage.stores.conversations import UNREAD_CAP
from quietline.storage.tables import audit_events, messages
from quietline.storage.unit import Unit
from tests.conftest import (
    Api,
    LiveServer,
    PracticeHandle,
    add_staff,
    make_practice,
    sign_in,
)
from tests.live_support import (
    Frame,
    Socket,
    create_direct,
    create_group,
    history,
    raw_message,
    send_message,
)

# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=20) as client:
        yield client


@dataclass
class Team:
    """A practice on the live server with an owner and three colleagues, all signed in."""

    live: LiveServer
    http: httpx.Client
    practice: PracticeHandle
    owner: Api
    dana: Api
    eli: Api
    fay: Api

    def socket(self, api: Api) -> Socket:
        return Socket(self.live.ws_url, api.token)


@pytest.fixture
def team(live_server: LiveServer, http: httpx.Client) -> Team:
    practice = make_practice(live_server.services, "riverbend")
    owner = sign_in(http, practice.slug, practice.owner_email)
    members = []
    for name in ("dana", "eli", "fay"):
        add_staff(owner, f"{name}@riverbend.test", "clinician")
        members.append(sign_in(http, practice.slug, f"{name}@riverbend.test"))
    dana, eli, fay = members
    return Team(live_server, http, practice, owner, dana, eli, fay)


def _messages_in(services: Services, conversation_id: str) -> int:
    def count(unit: Unit) -> int:
        return int(
            unit.conn.execute(
                select(func.count())
                .select_from(messages)
                .where(messages.c.conversation_id == UUID(conversation_id))
            ).scalar_one()
        )

    return services.db.read_sync(count)


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _created_in(socket: Socket, conversation_id: str) -> list[Frame]:
    return [
        f["message"]
        for f in socket.of_type("message.created")
        if f["message"]["conversation_id"] == conversation_id
    ]


def _frames_about(frames: list[Frame], conversation_id: str) -> list[Frame]:
    found = []
    for frame in frames:
        inner = frame.get("message")
        about = (
            inner["conversation_id"] if isinstance(inner, dict) else frame.get("conversation_id")
        )
        if about == conversation_id:
            found.append(frame)
    return found


# -- idempotency ------------------------------------------------------------------------------


def test_concurrent_retries_with_one_key_create_one_message(team: Team) -> None:
    cid = create_direct(team.owner, team.dana.user_id)
    key = f"retry-{uuid.uuid4()}"
    payload = {"body": "Please call Mr. K back before 5", "idempotency_key": key}
    attempts = 20
    barrier = threading.Barrier(attempts, timeout=15)

    def attempt(_: int) -> tuple[int, dict[str, Any]]:
        with httpx.Client(base_url=team.live.url, timeout=30) as client:
            barrier.wait()
            response = client.post(
                f"/api/v1/conversations/{cid}/messages", json=payload, headers=team.owner.headers
            )
            return response.status_code, response.json()

    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(attempt, range(attempts), timeout=60))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * (attempts - 1) + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert {body["seq"] for _, body in results} == {1}
    assert {body["body"] for _, body in results} == {payload["body"]}
    message_id = results[0][1]["id"]

    assert [m["id"] for m in history(team.dana, cid)] == [message_id]
    assert _messages_in(team.live.services, cid) == 1
    conversation = team.owner.get(f"/conversations/{cid}").json()
    assert conversation["last_seq"] == 1

    def sent_entries(unit: Unit) -> int:
        return int(
            unit.conn.execute(
                select(func.count())
                .select_from(audit_events)
                .where(audit_events.c.kind == "message.sent")
            ).scalar_one()
        )

    assert team.live.services.db.read_sync(sent_entries) == 1


def test_same_key_with_different_content_is_refused(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    cid = create_direct(owner, dana_id)
    other = create_group(owner, "Front desk", [dana_id])
    key = f"k-{uuid.uuid4()}"
    url = f"/conversations/{cid}/messages"
    first = owner.post(url, {"body": "room 3 at 2pm", "idempotency_key": key})
    assert first.status_code == 201, first.text

    retry = owner.post(url, {"body": "room 3 at 2pm", "idempotency_key": key})
    assert retry.status_code == 200
    assert retry.json() == first.json()

    for changed in (
        {"body": "room 4 at 2pm"},
        {"body": "room 3 at 2pm ", "urgent": False},
        {"body": "room 3 at 2pm", "urgent": True},
    ):
        response = owner.post(url, {"idempotency_key": key, **changed})
        assert response.status_code == 409, response.text
        assert response.json()["type"] == "urn:quietline:problem:conflict"
        assert "room" not in response.json()["detail"]  # never echoes content

    elsewhere = owner.post(
        f"/conversations/{other}/messages", {"body": "room 3 at 2pm", "idempotency_key": key}
    )
    assert elsewhere.status_code == 409, elsewhere.text

    # keys belong to their sender: a colleague's identical key is a new message
    theirs = dana.post(url, {"body": "room 3 at 2pm", "idempotency_key": key})
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != first.json()["id"]
    assert [m["body"] for m in history(owner, cid)] == ["room 3 at 2pm", "room 3 at 2pm"]
    assert [m["seq"] for m in history(owner, cid)] == [1, 2]


# -- ordering ---------------------------------------------------------------------------------


def test_concurrent_senders_get_gapless_order_seen_identically_everywhere(team: Team) -> None:
    add_staff(team.owner, "gus@riverbend.test")
    gus = sign_in(team.http, team.practice.slug, "gus@riverbend.test")
    senders = [team.owner, team.dana, team.eli, team.fay]
    cid = create_group(team.owner, "Case review", [a.user_id for a in [*senders[1:], gus]])
    per_sender = 8
    total = per_sender * len(senders)
    with team.socket(gus) as watcher:
        assert watcher.ready["conversations"] == {cid: 0}
        barrier = threading.Barrier(len(senders), timeout=15)

        def run(index: int) -> list[str]:
            api = senders[index]
            sent = []
            with httpx.Client(base_url=team.live.url, timeout=30) as client:
                barrier.wait()
                for n in range(per_sender):
                    response = client.post(
                        f"/api/v1/conversations/{cid}/messages",
                        json={"body": f"s{index}-m{n}", "idempotency_key": str(uuid.uuid4())},
                        headers=api.headers,
                    )
                    assert response.status_code == 201, response.text
                    sent.append(response.json()["id"])
            return sent

        with ThreadPoolExecutor(len(senders)) as pool:
            sent_by = list(pool.map(run, range(len(senders)), timeout=90))
        live = watcher.collect("message.created", total, timeout=30)

    page = history(gus, cid, limit=200)
    assert [m["seq"] for m in page] == list(range(1, total + 1))
    assert [f["message"]["seq"] for f in live] == list(range(1, total + 1))
    assert [f["message"]["id"] for f in live] == [m["id"] for m in page]
    assert [f["message"]["body"] for f in live] == [m["body"] for m in page]
    assert sorted(m["id"] for m in page) == sorted(i for ids in sent_by for i in ids)
    # each sender's own messages keep the order they were sent in
    for index, ids in enumerate(sent_by):
        assert [m["id"] for m in page if m["body"].startswith(f"s{index}-")] == ids
    assert team.owner.get(f"/conversations/{cid}").json()["last_seq"] == total
    # paging backwards agrees with the single page
    older = history(gus, cid, before=total // 2 + 1, limit=total // 2)
    assert [m["seq"] for m in older] == list(range(1, total // 2 + 1))


# -- the conversation list ------------------------------------------------------------------


def test_unread_counts_and_recent_activity_order(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test")
    eli_id = add_staff(owner, "eli@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    eli = sign_in(client, practice.slug, "eli@riverbend.test")
    tick = timedelta(seconds=1)

    a = create_direct(owner, dana_id)
    clock.advance(tick)
    b = create_direct(owner, eli_id)
    clock.advance(tick)
    c = create_group(owner, "Case review", [dana_id, eli_id])

    def listing(api: Api) -> list[tuple[str, int]]:
        response = api.get("/conversations")
        assert response.status_code == 200, response.text
        return [(conv["id"], conv["unread"]) for conv in response.json()]

    assert listing(dana) == [(c, 0), (a, 0)]

    clock.advance(tick)
    send_message(owner, a, "a1")
    send_message(owner, a, "a2")
    clock.advance(tick)
    send_message(eli, c, "c1")
    clock.advance(tick)
    b_time = clock.now()
    send_message(owner, b, "b1")

    assert listing(owner) == [(b, 0), (c, 1), (a, 0)]
    assert listing(dana) == [(c, 1), (a, 2)]
    assert listing(eli) == [(b, 1), (c, 0)]
    owners_b = next(conv for conv in owner.get("/conversations").json() if conv["id"] == b)
    assert _at(owners_b["last_activity_at"]) == b_time

    # reading history delivers but does not mark seen
    assert len(history(dana, a)) == 2
    assert listing(dana) == [(c, 1), (a, 2)]
    mark = dana.post(f"/conversations/{a}/receipts", {"kind": "seen", "up_to_seq": 1})
    assert mark.json() == {"kind": "seen", "up_to_seq": 1}
    assert listing(dana) == [(c, 1), (a, 1)]

    clock.advance(tick)
    a_time = clock.now()
    reply = send_message(dana, a, "a3 from dana")
    assert listing(dana) == [(a, 1), (c, 1)]  # her own message is not unread
    assert listing(owner) == [(a, 1), (b, 0), (c, 1)]
    single = dana.get(f"/conversations/{a}").json()
    assert single["unread"] == 1
    assert single["last_seq"] == 3
    assert _at(single["last_activity_at"]) == a_time

    dana.post(f"/conversations/{a}/receipts", {"kind": "seen", "up_to_seq": 3})
    assert listing(dana) == [(a, 0), (c, 1)]
    # seen never moves backwards
    back = dana.post(f"/conversations/{a}/receipts", {"kind": "seen", "up_to_seq": 1})
    assert back.json()["up_to_seq"] == 3
    assert listing(dana) == [(a, 0), (c, 1)]

    # one conversation is shown exactly as the list shows it, urgent mark and members included
    send_message(owner, c, "c2 urgent", urgent=True)
    for api in (owner, dana, eli):
        for conv in api.get("/conversations").json():
            single = api.get(f"/conversations/{conv['id']}").json()
            single["member_ids"].sort()
            conv["member_ids"].sort()
            assert single == conv
    assert dana.get(f"/conversations/{c}").json()["urgent_unread"] is True
    assert owner.get(f"/conversations/{c}").json()["urgent_unread"] is False  # his own

    # a recalled message stops counting
    assert owner.get(f"/conversations/{a}").json()["unread"] == 1
    assert dana.delete(f"/conversations/{a}/messages/{reply['id']}").status_code == 204
    assert owner.get(f"/conversations/{a}").json()["unread"] == 0


# -- receipts ---------------------------------------------------------------------------------


def test_receipts_over_http_show_who_and_when_to_the_sender_only(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test")
    eli_id = add_staff(owner, "eli@riverbend.test")
    add_staff(owner, "fay@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    eli = sign_in(client, practice.slug, "eli@riverbend.test")
    fay = sign_in(client, practice.slug, "fay@riverbend.test")
    cid = create_group(owner, "Case review", [dana_id, eli_id])
    m1 = send_message(owner, cid, "first")
    m2 = send_message(owner, cid, "second")

    def receipts(api: Api, message: Frame) -> Any:
        return api.get(f"/conversations/{cid}/messages/{message['id']}/receipts")

    def by_user(message: Frame) -> dict[UUID, tuple[datetime | None, datetime | None]]:
        response = receipts(owner, message)
        assert response.status_code == 200, response.text
        return {
            UUID(r["user_id"]): (_at(r["delivered_at"]), _at(r["seen_at"])) for r in response.json()
        }

    assert by_user(m1) == {dana_id: (None, None), eli_id: (None, None)}

    clock.advance(timedelta(seconds=3))
    t_delivered = clock.now()
    assert len(history(dana, cid)) == 2  # history delivers up to the newest shown
    clock.advance(timedelta(seconds=4))
    t_seen = clock.now()
    dana.post(f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": m1["seq"]})
    clock.advance(timedelta(seconds=5))
    t_eli = clock.now()
    marked = eli.post(f"/conversations/{cid}/receipts", {"kind": "delivered", "up_to_seq": 99})
    assert marked.json() == {"kind": "delivered", "up_to_seq": 2}  # clamped to what exists

    assert by_user(m1) == {dana_id: (t_delivered, t_seen), eli_id: (t_eli, None)}
    assert by_user(m2) == {dana_id: (t_delivered, None), eli_id: (t_eli, None)}

    clock.advance(timedelta(seconds=6))
    t_eli_seen = clock.now()
    eli.post(f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 2})
    assert by_user(m2) == {dana_id: (t_delivered, None), eli_id: (t_eli, t_eli_seen)}

    # only the sender sees receipts; outsiders cannot even tell the conversation exists
    for api in (dana, eli):
        response = receipts(api, m1)
        assert response.status_code == 403, response.text
    assert receipts(fay, m1).status_code == 404
    bogus = {"id": str(uuid.uuid4())}
    assert receipts(owner, bogus).status_code == 404
    assert (
        fay.post(f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 1}).status_code
        == 404
    )

    # a colleague's message: its receipts are hers to see, and the owner's read shows there
    m3 = send_message(dana, cid, "third, from dana")
    clock.advance(timedelta(seconds=1))
    t_owner = clock.now()
    owner.post(f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": m3["seq"]})
    assert receipts(owner, m3).status_code == 403
    mine = {UUID(r["user_id"]): r for r in receipts(dana, m3).json()}
    assert set(mine) == {practice.owner_id, eli_id}
    assert _at(mine[practice.owner_id]["seen_at"]) == t_owner
    assert _at(mine[practice.owner_id]["delivered_at"]) == t_owner  # seen implies delivered
    assert mine[eli_id]["delivered_at"] is None


def test_websocket_ack_and_seen_reach_the_sender_without_polling(team: Team) -> None:
    clock = team.live.services.clock
    assert isinstance(clock, ManualClock)
    cid = create_direct(team.owner, team.dana.user_id)
    with team.socket(team.owner) as owner_ws, team.socket(team.dana) as dana_ws:
        sent = send_message(team.owner, cid, "are you free at 4?")
        live = dana_ws.expect("message.created")["message"]
        assert live["id"] == sent["id"]

        clock.advance(timedelta(seconds=2))
        t_ack = clock.now()
        dana_ws.send(
            {
                "type": "ack",
                "conversation_id": cid,
                "up_to_seq": live["seq"],
                "message_ids": [live["id"]],
            }
        )
        delivered = owner_ws.expect("receipt.updated")
        assert delivered == {
            "type": "receipt.updated",
            "conversation_id": cid,
            "user_id": str(team.dana.user_id),
            "kind": "delivered",
            "up_to_seq": 1,
            "at": t_ack.isoformat(),
        }

        clock.advance(timedelta(seconds=3))
        t_seen = clock.now()
        dana_ws.send({"type": "seen", "conversation_id": cid, "up_to_seq": live["seq"]})
        seen = owner_ws.expect("receipt.updated")
        assert seen["kind"] == "seen"
        assert seen["up_to_seq"] == 1
        assert _at(seen["at"]) == t_seen

        # the same ack again moves nothing and tells nobody (frames are handled in order, so
        # the pong means the ack was processed; the owner's next event is after it)
        dana_ws.send({"type": "ack", "conversation_id": cid, "up_to_seq": 1, "message_ids": []})
        dana_ws.send({"type": "ping"})
        dana_ws.expect("pong")
        later = send_message(team.owner, cid, "later")
        owner_ws.expect("message.created", match=lambda f: f["message"]["id"] == later["id"])
        assert len(owner_ws.of_type("receipt.updated")) == 2

        receipts = team.owner.get(f"/conversations/{cid}/messages/{sent['id']}/receipts")
        assert receipts.status_code == 200, receipts.text
        assert receipts.json() == [
            {
                "user_id": str(team.dana.user_id),
                "delivered_at": t_ack.isoformat().replace("+00:00", "Z"),
                "seen_at": t_seen.isoformat().replace("+00:00", "Z"),
            }
        ]
        forbidden = team.dana.get(f"/conversations/{cid}/messages/{sent['id']}/receipts")
        assert forbidden.status_code == 403

        # an ack for a conversation one is not in is refused on the socket
        dana_ws.send(
            {"type": "ack", "conversation_id": str(uuid.uuid4()), "up_to_seq": 1, "message_ids": []}
        )
        error = dana_ws.expect("error")
        assert error["status"] == 404


def test_websocket_ack_cannot_acknowledge_messages_not_yet_sent(team: Team) -> None:
    """An ack beyond the newest message must not mark later messages as delivered."""
    cid = create_direct(team.owner, team.dana.user_id)
    with team.socket(team.owner) as owner_ws, team.socket(team.dana) as dana_ws:
        first = send_message(team.owner, cid, "one")
        dana_ws.expect("message.created")
        dana_ws.send({"type": "ack", "conversation_id": cid, "up_to_seq": 10**6, "message_ids": []})
        receipt = owner_ws.expect("receipt.updated")
        assert receipt["up_to_seq"] == first["seq"]
        later = send_message(team.owner, cid, "two")
        dana_ws.expect("message.created", match=lambda f: f["message"]["id"] == later["id"])
    receipts = team.owner.get(f"/conversations/{cid}/messages/{later['id']}/receipts").json()
    assert receipts == [{"user_id": str(team.dana.user_id), "delivered_at": None, "seen_at": None}]


# -- recall -----------------------------------------------------------------------------------


def test_recall_erases_content_everywhere_and_tells_every_device(team: Team) -> None:
    services = team.live.services
    owner_phone = sign_in(team.http, team.practice.slug, team.practice.owner_email, device="phone")
    cid = create_group(team.owner, "Case review", [team.dana.user_id, team.eli.user_id])
    secret = f"recall-me-{uuid.uuid4().hex}"
    with (
        team.socket(team.owner) as desk,
        team.socket(owner_phone) as phone,
        team.socket(team.dana) as dana_ws,
    ):
        doomed = send_message(team.owner, cid, secret)
        kept = send_message(team.owner, cid, "this one stays")
        for ws in (desk, phone, dana_ws):
            ws.collect("message.created", 2)
        before = raw_message(services, doomed["id"])
        assert before is not None
        assert before.body_sealed is not None
        assert before.dek_wrapped is not None

        response = team.owner.delete(f"/conversations/{cid}/messages/{doomed['id']}")
        assert response.status_code == 204, response.text
        for ws in (desk, phone, dana_ws):
            recalled = ws.expect("message.recalled")
            assert recalled == {
                "type": "message.recalled",
                "conversation_id": cid,
                "message_id": doomed["id"],
                "seq": doomed["seq"],
            }
            assert secret not in str(recalled)

        # a resumed device gets the survivors only
        dana_ws.send({"type": "resume", "conversation_id": cid, "after_seq": 0})
        backlog = dana_ws.expect("backlog")
        assert [m["id"] for m in backlog["messages"]] == [kept["id"]]

    row = raw_message(services, doomed["id"])
    assert row is not None
    assert row.body_sealed is None
    assert row.dek_wrapped is None
    assert row.recalled_at is not None
    for api in (team.owner, owner_phone, team.dana, team.eli):
        shown = history(api, cid)
        assert [m["id"] for m in shown] == [kept["id"]]
        assert api.post("/search", {"query": secret}).json() == []
    assert team.eli.get(f"/conversations/{cid}").json()["unread"] == 1

    # recalling again is harmless; a resend with the old key is refused
    assert team.owner.delete(f"/conversations/{cid}/messages/{doomed['id']}").status_code == 204
    again = team.owner.post(
        f"/conversations/{cid}/messages", {"body": secret, "idempotency_key": str(uuid.uuid4())}
    )
    assert again.status_code == 201  # a new key is a new message


def test_only_the_sender_can_recall(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    dana_id = add_staff(owner, "dana@riverbend.test", "admin")
    add_staff(owner, "fay@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    fay = sign_in(client, practice.slug, "fay@riverbend.test")
    cid = create_direct(owner, dana_id)
    message = send_message(owner, cid, "only I can take this back")
    url = f"/conversations/{cid}/messages/{message['id']}"

    refused = dana.delete(url)  # an admin, and a member, but not the sender
    assert refused.status_code == 403, refused.text
    assert fay.delete(url).status_code == 404  # not a member: as if it did not exist
    assert owner.delete(f"/conversations/{cid}/messages/{uuid.uuid4()}").status_code == 404
    assert [m["body"] for m in history(dana, cid)] == ["only I can take this back"]

    # and only within the practice's recall window
    policy = owner.patch("/practice/policy", {"recall_window_minutes": 1})
    assert policy.status_code == 200, policy.text
    late = send_message(owner, cid, "too late to take back")
    clock.advance(timedelta(seconds=61))
    response = owner.delete(f"/conversations/{cid}/messages/{late['id']}")
    assert response.status_code == 409, response.text
    assert late["id"] in [m["id"] for m in history(dana, cid)]


# -- urgent -----------------------------------------------------------------------------------


def test_urgent_flag_round_trips(team: Team) -> None:
    cid = create_direct(team.owner, team.dana.user_id)
    key = str(uuid.uuid4())
    with team.socket(team.dana) as dana_ws:
        urgent = team.owner.post(
            f"/conversations/{cid}/messages",
            {"body": "client in crisis, call now", "idempotency_key": key, "urgent": True},
        )
        assert urgent.status_code == 201, urgent.text
        assert urgent.json()["urgent"] is True
        normal = send_message(team.owner, cid, "no rush")
        assert normal["urgent"] is False
        live = dana_ws.collect("message.created", 2)
        assert [f["message"]["urgent"] for f in live] == [True, False]
        dana_ws.send({"type": "resume", "conversation_id": cid, "after_seq": 0})
        backlog = dana_ws.expect("backlog")
        assert [m["urgent"] for m in backlog["messages"]] == [True, False]
    assert [m["urgent"] for m in history(team.dana, cid)] == [True, False]
    found = team.dana.post("/search", {"query": "crisis"}).json()
    assert [m["urgent"] for m in found] == [True]
    retry = team.owner.post(
        f"/conversations/{cid}/messages",
        {"body": "client in crisis, call now", "idempotency_key": key, "urgent": True},
    )
    assert retry.status_code == 200
    assert retry.json()["urgent"] is True


# -- membership -------------------------------------------------------------------------------


def test_removed_member_loses_access_and_live_events_at_once(team: Team) -> None:
    group = create_group(team.owner, "Case review", [team.dana.user_id, team.eli.user_id])
    direct = create_direct(team.owner, team.dana.user_id)
    with team.socket(team.dana) as dana_ws, team.socket(team.eli) as eli_ws:
        before = send_message(team.owner, group, "before removal")
        dana_ws.expect("message.created")
        eli_ws.expect("message.created")

        removed = team.owner.delete(f"/conversations/{group}/members/{team.dana.user_id}")
        assert removed.status_code == 204, removed.text
        notice = dana_ws.expect("membership.removed")
        assert notice["conversation_id"] == group
        assert notice["user_id"] == str(team.dana.user_id)
        cutoff = len(dana_ws.frames)

        # HTTP: gone at once, and indistinguishable from a conversation that never existed
        assert team.dana.get(f"/conversations/{group}/messages").status_code == 404
        assert team.dana.get(f"/conversations/{group}").status_code == 404
        send_message(team.dana, group, "still here?", status=404)
        mark = {"kind": "seen", "up_to_seq": 1}
        assert team.dana.post(f"/conversations/{group}/receipts", mark).status_code == 404
        assert group not in [c["id"] for c in team.dana.get("/conversations").json()]
        assert team.dana.post("/search", {"query": "before removal"}).json() == []
        dana_ws.send({"type": "resume", "conversation_id": group, "after_seq": 0})
        assert dana_ws.expect("error")["status"] == 404

        # live: the group goes on without her
        after = send_message(team.owner, group, "after removal")
        eli_ws.expect("message.created", match=lambda f: f["message"]["id"] == after["id"])
        eli_ws.send({"type": "seen", "conversation_id": group, "up_to_seq": after["seq"]})
        team.owner.patch(f"/conversations/{group}", {"title": "Case review (new)"})
        # a barrier: events reach a socket in commit order, so once this arrives, anything
        # about the group committed before it would have arrived too
        barrier = send_message(team.owner, direct, "barrier")
        dana_ws.expect("message.created", match=lambda f: f["message"]["id"] == barrier["id"])

    leaked = _frames_about(dana_ws.frames[cutoff:], group)
    assert leaked == [], leaked
    assert "after removal" not in str(dana_ws.frames)
    assert [m["id"] for m in _created_in(dana_ws, group)] == [before["id"]]


def test_removal_committed_with_a_send_does_not_leak_that_message(team: Team) -> None:
    """The group-commit writer can publish a removal and a later send in one batch; the
    removed member's socket must not deliver the message even though both events were
    queued before it processed the removal."""
    services = team.live.services
    group = create_group(team.owner, "Case review", [team.dana.user_id, team.eli.user_id])
    direct = create_direct(team.owner, team.dana.user_id)
    owner_actor = services.db.read_sync(lambda unit: authenticate(unit, team.owner.token)).actor
    secret = f"after-removal-{uuid.uuid4().hex}"
    dana_id = team.dana.user_id

    def remove_then_send(unit: Unit) -> None:
        do_remove_member(unit, owner_actor, UUID(group), dana_id)
        do_send_message(
            unit, owner_actor, UUID(group), body=secret, idempotency_key=str(uuid.uuid4())
        )

    with team.socket(team.dana) as dana_ws, team.socket(team.eli) as eli_ws:
        services.db.write_sync(remove_then_send)
        eli_ws.expect("message.created", match=lambda f: f["message"]["body"] == secret)
        dana_ws.expect("membership.removed")
        barrier = send_message(team.owner, direct, "barrier")
        dana_ws.expect("message.created", match=lambda f: f["message"]["id"] == barrier["id"])
    assert secret not in str(dana_ws.frames)
    assert _created_in(dana_ws, group) == []


def test_added_member_starts_receiving_at_once(team: Team) -> None:
    group = create_group(team.owner, "Case review", [team.dana.user_id])
    early = send_message(team.owner, group, "before eli joined")
    with (
        team.socket(team.eli) as eli_ws,
        team.socket(team.dana) as dana_ws,
        team.socket(team.owner) as owner_ws,
    ):
        assert group not in eli_ws.ready["conversations"]
        added = team.owner.post(
            f"/conversations/{group}/members", {"user_id": str(team.eli.user_id)}
        )
        assert added.status_code == 200, added.text
        assert str(team.eli.user_id) in added.json()["member_ids"]
        notice = eli_ws.expect("membership.added")
        assert notice["conversation_id"] == group
        dana_ws.expect("membership.added")  # the members are told too

        message = send_message(team.owner, group, "welcome, eli")
        live = eli_ws.expect("message.created")["message"]
        assert live["id"] == message["id"]
        assert live["body"] == "welcome, eli"
        eli_ws.send({"type": "ack", "conversation_id": group, "up_to_seq": live["seq"]})
        # the receipt goes to the sender of what it covers, not to every member
        receipt = owner_ws.expect(
            "receipt.updated", match=lambda f: f["user_id"] == str(team.eli.user_id)
        )
        assert receipt["kind"] == "delivered"
        dana_ws.send({"type": "ping"})
        dana_ws.expect("pong")
        assert dana_ws.of_type("receipt.updated") == []
    assert early["id"] in [m["id"] for m in history(team.eli, group)]
    send_message(team.eli, group, "thanks")


# -- what the server pushed is on the record ----------------------------------------------


def _live_views(services: Services, session_id: UUID) -> list[str]:
    def read(unit: Unit) -> list[str]:
        rows = unit.conn.execute(
            select(audit_events.c.details).where(
                audit_events.c.kind == "message.viewed",
                audit_events.c.actor_session_id == session_id,
            )
        )
        return [
            m for (details,) in rows if details.get("via") == "live" for m in details["messages"]
        ]

    return services.db.read_sync(read)


def test_content_pushed_to_a_socket_is_audited_without_any_ack(team: Team) -> None:
    """A device that never acknowledges still leaves a record of what it was sent."""
    cid = create_direct(team.owner, team.dana.user_id)
    with team.socket(team.dana) as dana_ws:
        sent = [send_message(team.owner, cid, f"note {n}") for n in range(3)]
        for _ in sent:
            dana_ws.expect("message.created")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if len(_live_views(team.live.services, team.dana.session_id)) == 3:
                break
            time.sleep(0.05)
    assert sorted(_live_views(team.live.services, team.dana.session_id)) == sorted(
        m["id"] for m in sent
    )
    # the sender's own socket was not connected: nothing recorded for it
    assert _live_views(team.live.services, team.owner.session_id) == []


def test_a_busy_socket_is_still_signed_out_when_its_session_times_out(team: Team) -> None:
    """Idle limits apply to sockets that keep receiving events, not only to quiet ones."""
    clock = team.live.services.clock
    assert isinstance(clock, ManualClock)
    cid = create_direct(team.owner, team.dana.user_id)
    policy = team.owner.patch("/practice/policy", {"session_idle_minutes": 5})
    assert policy.status_code == 200, policy.text
    with team.socket(team.dana) as dana_ws:
        # The socket is busy: it receives a message, then more while the clock runs out.
        send_message(team.owner, cid, "are you there?")
        dana_ws.expect("message.created")
        # Dana's device goes quiet; the owner, signing in afresh, keeps writing.
        clock.advance(timedelta(minutes=6))
        owner = sign_in(team.http, team.practice.slug, team.practice.owner_email)
        closed: ConnectionClosed | None = None
        deadline = time.monotonic() + team.live.services.settings.socket_recheck_seconds + 10
        while time.monotonic() < deadline and closed is None:
            send_message(owner, cid, "still there?")
            try:
                while dana_ws.recv(timeout=0.5) is not None:
                    pass
            except ConnectionClosed as exc:
                closed = exc
        assert closed is not None, "the busy socket was never re-checked"
        assert closed.rcvd is not None
        assert closed.rcvd.code == 4401
        assert "session.ended" in [f["type"] for f in dana_ws.frames]
        # It was receiving up to the check (how many more arrive before the next check, at
        # most socket_recheck_seconds later, depends on the machine's load).
        assert len(dana_ws.of_type("message.created")) >= 1


def test_requiring_a_second_factor_closes_sockets_of_people_without_one(team: Team) -> None:
    """A policy change has no event per session: the periodic check ends those sockets."""
    with team.socket(team.dana) as dana_ws:
        changed = team.owner.patch("/practice/policy", {"require_second_factor": True})
        assert changed.status_code == 200, changed.text
        deadline = time.monotonic() + team.live.services.settings.socket_recheck_seconds + 10
        closed: ConnectionClosed | None = None
        while time.monotonic() < deadline and closed is None:
            try:
                dana_ws.recv(timeout=0.5)
            except ConnectionClosed as exc:
                closed = exc
        assert closed is not None, "the socket stayed open under the new policy"
        assert closed.rcvd is not None
        assert closed.rcvd.code == 4401
        assert "session.ended" in [f["type"] for f in dana_ws.frames]


def test_unread_counts_stop_at_the_cap(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    """A long-unread conversation shows "100 or more", and counting it stays cheap."""
    dana_id = add_staff(owner, "dana@riverbend.test")
    dana = sign_in(client, practice.slug, "dana@riverbend.test")
    created = owner.post("/conversations", {"kind": "direct", "user_id": str(dana_id)})
    cid = created.json()["id"]
    for n in range(UNREAD_CAP + 5):
        sent = owner.post(
            f"/conversations/{cid}/messages",
            {"body": f"reminder {n}", "idempotency_key": f"cap-test-{n:04d}"},
        )
        assert sent.status_code == 201, sent.text
    listed = {c["id"]: c for c in dana.get("/conversations").json()}
    assert listed[cid]["unread"] == UNREAD_CAP
    seen = dana.post(f"/conversations/{cid}/receipts", {"kind": "seen", "up_to_seq": 100})
    assert seen.status_code == 200, seen.text
    listed = {c["id"]: c for c in dana.get("/conversations").json()}
    assert listed[cid]["unread"] == 5
