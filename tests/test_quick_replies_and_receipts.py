"""Quick replies (who edits them, their limits, sealed at rest), the conversation receipts
endpoint (cursors and marks with ``since_seq``) and urgent-first conversation lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from quietline.actions.practices import DEFAULT_QUICK_REPLIES
from quietline.app import Services
from quietline.config import Settings
from quietline.domain.clock import ManualClock
from quietline.storage.tables import practices
from tests.conftest import Api, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import create_direct, create_group, send_message
from tests.test_no_plaintext import leaks

DEFAULTS = [
    "Running 5 minutes late",
    "Is room 2 free?",
    "Can we check in at 3?",
    "On my way",
    "Thanks, got it",
]


def put(api: Api, path: str, json: Any) -> Any:
    return api.client.put(f"/api/v1{path}", json=json, headers=api.headers)


def replies(api: Api) -> list[str]:
    response = api.get("/practice/quick-replies")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"replies"}
    found: list[str] = response.json()["replies"]
    return found


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def staff(client: TestClient, practice: PracticeHandle, owner: Api, name: str, role: str) -> Api:
    email = f"{name}@{practice.slug}.test"
    add_staff(owner, email, role, name.title())
    return sign_in(client, practice.slug, email)


# -- quick replies --------------------------------------------------------------------------------
def test_quick_replies_start_with_the_default_list(
    client: TestClient, practice: PracticeHandle, owner: Api
) -> None:
    assert replies(owner) == DEFAULTS
    assert list(DEFAULT_QUICK_REPLIES) == DEFAULTS
    clinician = staff(client, practice, owner, "cleo", "clinician")
    assert replies(clinician) == DEFAULTS


def test_owners_and_admins_edit_quick_replies_and_clinicians_cannot(
    client: TestClient, services: Services, practice: PracticeHandle, owner: Api
) -> None:
    admin = staff(client, practice, owner, "ada", "admin")
    others = [
        staff(client, practice, owner, name, role)
        for name, role in (("cleo", "clinician"), ("sam", "supervisor"), ("fred", "front_desk"))
    ]
    edited = put(owner, "/practice/quick-replies", {"replies": ["  Back in 5 ", "", "   ", "Ok"]})
    assert edited.status_code == 200, edited.text
    assert edited.json() == {"replies": ["Back in 5", "Ok"]}  # blank ones dropped, trimmed
    assert replies(others[0]) == ["Back in 5", "Ok"]

    by_admin = put(admin, "/practice/quick-replies", {"replies": ["Room 3 is free"]})
    assert by_admin.status_code == 200, by_admin.text
    for person in others:
        refused = put(person, "/practice/quick-replies", {"replies": ["Mine now"]})
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"] == "urn:quietline:problem:forbidden"
    assert replies(owner) == ["Room 3 is free"]
    # Practices do not share them.
    elsewhere = make_practice(services, "elmwood")
    outsider = sign_in(client, elsewhere.slug, elsewhere.owner_email)
    assert replies(outsider) == DEFAULTS


def test_quick_reply_limits(owner: Api) -> None:
    twenty = [f"Reply number {n}" for n in range(20)]
    longest = "x" * 200
    ok = put(owner, "/practice/quick-replies", {"replies": [*twenty[:19], longest]})
    assert ok.status_code == 200, ok.text
    assert replies(owner) == [*twenty[:19], longest]
    for refused_body in (
        {"replies": [*twenty, "one more"]},
        {"replies": ["fine", "y" * 201]},
        {"replies": ["fine", 42]},
        {"replies": "just one"},
        {},
    ):
        refused = put(owner, "/practice/quick-replies", refused_body)
        assert refused.status_code == 422, (refused_body, refused.text)
        assert refused.json()["type"] == "urn:quietline:problem:invalid-input"
        assert "y" * 50 not in refused.text
    assert replies(owner) == [*twenty[:19], longest], "a refused edit changed the list"
    # An empty list is a choice (no quick replies), not a return to the defaults.
    assert put(owner, "/practice/quick-replies", {"replies": []}).status_code == 200
    assert replies(owner) == []


def _sqlite_files(settings: Settings) -> list[Path]:
    assert settings.database_url is not None
    database = make_url(settings.database_url).database
    assert database
    path = Path(database)
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def test_quick_replies_are_stored_sealed(
    client: TestClient,
    settings: Settings,
    services: Services,
    practice: PracticeHandle,
    owner: Api,
) -> None:
    secret = "QlMarkQuickReply7f3a91c2 call Dr Okafor's patient"
    mark = "QlMarkQuickReply7f3a91c2"
    assert put(owner, "/practice/quick-replies", {"replies": [secret]}).status_code == 200
    assert replies(owner) == [secret]  # stored, and opened again

    stored = services.db.read_sync(
        lambda unit: unit.conn.execute(
            select(practices.c.quick_replies_sealed).where(practices.c.id == practice.id)
        ).scalar_one()
    )
    assert stored is not None
    assert len(stored) > len(secret)
    assert leaks(mark, bytes(stored)) == []
    assert leaks("Okafor", bytes(stored)) == []

    if not str(settings.database_url).startswith("sqlite"):
        return  # PostgreSQL's files belong to its server; the column check above covers it

    def check(moment: str) -> None:
        files = {p.name: p.read_bytes() for p in _sqlite_files(settings) if p.exists()}
        everything = b"".join(files.values())
        assert leaks(practice.owner_email, everything), f"scanner found no canary {moment}"
        found = {name: hit for name, content in files.items() if (hit := leaks(mark, content))}
        assert found == {}, f"quick reply text in the database files {moment}"

    check("while running")
    services.close()
    check("after closing")


# -- conversation receipts ------------------------------------------------------------------------
def mark(api: Api, cid: str, kind: str, up_to_seq: int) -> None:
    response = api.post(f"/conversations/{cid}/receipts", {"kind": kind, "up_to_seq": up_to_seq})
    assert response.status_code == 200, response.text


def receipts(api: Api, cid: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/conversations/{cid}/receipts", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_conversation_receipts_give_cursors_and_marks_since_a_seq(
    client: TestClient,
    services: Services,
    practice: PracticeHandle,
    owner: Api,
    clock: ManualClock,
) -> None:
    dana = staff(client, practice, owner, "dana", "clinician")
    eli = staff(client, practice, owner, "eli", "clinician")
    fay = staff(client, practice, owner, "fay", "clinician")
    cid = create_group(owner, "Case review", [dana.user_id, eli.user_id])
    for n in range(3):
        send_message(owner, cid, f"message {n + 1}")
    assert receipts(owner, cid)["marks"] == []

    times = []
    for api, kind, seq in (
        (dana, "delivered", 2),
        (dana, "seen", 1),
        (dana, "seen", 3),
        (eli, "delivered", 3),
    ):
        clock.advance(timedelta(seconds=7))
        times.append(clock.now())
        mark(api, cid, kind, seq)
    clock.advance(timedelta(seconds=7))
    mark(dana, cid, "seen", 2)  # backwards: moves nothing, no mark
    mark(eli, cid, "delivered", 99)  # beyond the newest message: counts as 3, no new mark

    every = receipts(dana, cid)  # any member may read them
    cursors = {UUID(m["user_id"]): (m["delivered_seq"], m["seen_seq"]) for m in every["members"]}
    assert cursors == {practice.owner_id: (0, 0), dana.user_id: (3, 3), eli.user_id: (3, 0)}
    marks = [(UUID(m["user_id"]), m["kind"], m["up_to_seq"], at(m["at"])) for m in every["marks"]]
    assert marks == [
        (dana.user_id, "delivered", 2, times[0]),
        (dana.user_id, "seen", 1, times[1]),
        (dana.user_id, "seen", 3, times[2]),
        (eli.user_id, "delivered", 3, times[3]),
    ]
    assert receipts(owner, cid, since_seq=0) == every

    since_2 = [(m["kind"], m["up_to_seq"]) for m in receipts(owner, cid, since_seq=2)["marks"]]
    assert since_2 == [("delivered", 2), ("seen", 3), ("delivered", 3)]
    since_3 = receipts(owner, cid, since_seq=3)
    assert [(m["kind"], m["up_to_seq"]) for m in since_3["marks"]] == [
        ("seen", 3),
        ("delivered", 3),
    ]
    assert len(since_3["members"]) == 3  # the cursors do not depend on since_seq
    assert receipts(owner, cid, since_seq=4)["marks"] == []
    # Message 2 was seen by Dana at the first "seen" mark covering it.
    first_seen = next(
        at(m["at"])
        for m in receipts(owner, cid, since_seq=2)["marks"]
        if m["user_id"] == str(dana.user_id) and m["kind"] == "seen"
    )
    assert first_seen == times[2]

    # Not a member, another practice, a bad since_seq.
    assert fay.get(f"/conversations/{cid}/receipts").status_code == 404
    elsewhere = make_practice(services, "elmwood")
    outsider = sign_in(client, elsewhere.slug, elsewhere.owner_email)
    assert outsider.get(f"/conversations/{cid}/receipts").status_code == 404
    bad = owner.get(f"/conversations/{cid}/receipts", params={"since_seq": -1})
    assert bad.status_code == 422, bad.text


# -- urgent first ---------------------------------------------------------------------------------
def listing(api: Api) -> list[tuple[str, bool]]:
    response = api.get("/conversations")
    assert response.status_code == 200, response.text
    return [(c["id"], c["urgent_unread"]) for c in response.json()]


def test_an_unread_urgent_message_puts_its_conversation_first_until_seen(
    client: TestClient, practice: PracticeHandle, owner: Api, clock: ManualClock
) -> None:
    dana = staff(client, practice, owner, "dana", "clinician")
    b = create_direct(owner, dana.user_id)
    a = create_group(owner, "Team A", [dana.user_id])
    c = create_group(owner, "Team C", [dana.user_id])
    d = create_group(owner, "Team D", [dana.user_id])
    tick = timedelta(seconds=5)

    clock.advance(tick)
    urgent_b = send_message(owner, b, "oldest, urgent", urgent=True)
    clock.advance(tick)
    urgent_a = send_message(owner, a, "urgent", urgent=True)
    clock.advance(tick)
    send_message(owner, c, "routine")
    clock.advance(tick)
    send_message(dana, d, "Dana's own urgent one", urgent=True)

    # Urgent first (most recent first among them), then the rest by last activity. Dana's
    # own urgent message does not count for her.
    assert listing(dana) == [(a, True), (b, True), (d, False), (c, False)]
    assert listing(owner) == [(d, True), (c, False), (a, False), (b, False)]

    # Seen: B drops back to its place by activity (the oldest).
    mark(dana, b, "seen", urgent_b["seq"])
    assert listing(dana) == [(a, True), (d, False), (c, False), (b, False)]
    # Seen up to an earlier message does not clear a later urgent one.
    send_message(owner, c, "routine first")
    clock.advance(tick)
    late = send_message(owner, c, "then urgent", urgent=True)
    mark(dana, c, "seen", late["seq"] - 1)
    assert listing(dana)[:2] == [(c, True), (a, True)]
    mark(dana, c, "seen", late["seq"])
    # A recalled urgent message no longer asks for attention.
    recalled = owner.delete(f"/conversations/{a}/messages/{urgent_a['id']}")
    assert recalled.status_code == 204, recalled.text
    assert dict(listing(dana)) == {a: False, b: False, c: False, d: False}
