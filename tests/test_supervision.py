"""Clinical supervision (issue 5, decision 0021): a supervisor reads their supervisees' client
threads while the practice's supervisor_visibility policy is on; every read is audited with
the supervision, and the thread's members see who read it and when.

Scenario 2: Priya, a clinician in supervision, has her supervisor Dr. Lee. Dr. Lee may read
Priya's client threads; each time she does, it is recorded and Priya can see it.

Every test runs on SQLite and PostgreSQL. Time is the ManualClock of the ``clock`` fixture.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from quietline.actions.supervision import VIEW_GAP
from quietline.app import Services
from quietline.cli.demo import DEMO_SLUG, SUPERVISED_CLIENT, seed_demo
from quietline.domain.clock import ManualClock
from tests.conftest import Api, LiveServer, PracticeHandle, add_staff, make_practice, sign_in
from tests.live_support import Socket, create_direct, history, send_message

PROBLEM_JSON = "application/problem+json"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    return body


def _created(response: Any) -> str:
    assert response.status_code == 201, response.text
    value: str = response.json()["id"]
    return value


# -- a practice: Dr. Lee supervises Priya; Omar is a clinician she does not supervise --------


@dataclass
class Clinic:
    services: Services
    client: Any
    practice: PracticeHandle
    owner: Api
    lee: Api  # supervisor
    priya: Api  # clinician, Dr. Lee's supervisee
    omar: Api  # clinician, nobody's supervisee
    jordan: str  # Priya's client
    jordan_thread: str
    sam_thread: str  # Omar's client's thread
    notes: list[str]  # the message ids in Jordan's thread, oldest first
    supervision: str = ""

    def thread_paths(self, thread: str | None = None) -> tuple[str, ...]:
        base = f"/conversations/{thread or self.jordan_thread}"
        return (base, f"{base}/messages", f"{base}/receipts")

    def policy(self, on: bool) -> None:
        response = self.owner.patch("/practice/policy", {"supervisor_visibility": on})
        assert response.status_code == 200, response.text

    def assign(self, supervisor: Api | None = None, supervisee: Api | None = None) -> str:
        body = {
            "supervisor_id": str((supervisor or self.lee).user_id),
            "supervisee_id": str((supervisee or self.priya).user_id),
        }
        return _created(self.owner.post("/supervisions", body))

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        response = self.owner.get("/audit", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries

    def views(self, api: Api | None = None) -> list[dict[str, Any]]:
        response = (api or self.priya).get(f"/conversations/{self.jordan_thread}/supervision-views")
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found


def _client_thread(owner: Api, name: str, clinician: Api) -> tuple[str, str]:
    created = owner.post("/clients", {"name": name, "clinician_ids": [str(clinician.user_id)]})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["conversation_id"]


def _note(api: Api, thread: str, text: str, *, internal: bool = False) -> str:
    sent = api.post(
        f"/conversations/{thread}/client-messages",
        {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": internal},
    )
    assert sent.status_code == 201, sent.text
    value: str = sent.json()["message"]["id"]
    return value


def build_clinic(services: Services, client: Any, slug: str = "riverbend") -> Clinic:
    practice = make_practice(services, slug)
    owner = sign_in(client, slug, practice.owner_email, device="front desk")
    # Long idle limits: tests move the clock past a view's gap.
    assert owner.patch("/practice/policy", {"session_idle_minutes": 600}).status_code == 200
    people = {}
    for name, role in (("lee", "supervisor"), ("priya", "clinician"), ("omar", "clinician")):
        add_staff(owner, f"{name}@{slug}.test", role, name.capitalize())
        people[name] = sign_in(client, slug, f"{name}@{slug}.test", device=f"{name} phone")
    priya, omar = people["priya"], people["omar"]
    jordan, jordan_thread = _client_thread(owner, "Jordan Rivers", priya)
    _, sam_thread = _client_thread(owner, "Sam Lake", omar)
    notes = [
        _note(priya, jordan_thread, "See you Tuesday at 3."),
        _note(priya, jordan_thread, "Staff note: discuss in supervision", internal=True),
    ]
    _note(omar, sam_thread, "See you Monday.")
    return Clinic(
        services,
        client,
        practice,
        owner,
        people["lee"],
        priya,
        omar,
        jordan,
        jordan_thread,
        sam_thread,
        notes,
    )


@pytest.fixture
def clinic(services: Services, client: TestClient) -> Clinic:
    return build_clinic(services, client)


def _same_404(api: Api, path: str) -> None:
    """``path`` (with a conversation id in it) answers exactly as a random id does."""
    got = api.get(path)
    parts = path.split("/")
    parts[2] = str(uuid.uuid4())
    expected = api.get("/".join(parts))
    assert got.status_code == 404, (path, got.text)
    assert got.content == expected.content, path


# -- the policy decides ---------------------------------------------------------------------


def test_with_the_policy_off_a_supervision_gives_no_access(clinic: Clinic) -> None:
    c = clinic
    c.supervision = c.assign()
    # recorded and listed ...
    listed = c.owner.get("/supervisions").json()
    assert [(s["id"], s["supervisor_id"], s["supervisee_id"], s["in_effect"]) for s in listed] == [
        (c.supervision, str(c.lee.user_id), str(c.priya.user_id), True)
    ]
    # ... but no reading while supervisor_visibility is off
    for path in c.thread_paths():
        _same_404(c.lee, path)
    threads = c.lee.get("/supervision/threads").json()
    assert threads == {"supervisor_visibility": False, "may_supervise": True, "threads": []}
    assert c.views() == []
    # on: reading works; off again: it stops at once
    c.policy(True)
    assert c.lee.get(f"/conversations/{c.jordan_thread}/messages").status_code == 200
    c.policy(False)
    for path in c.thread_paths():
        _same_404(c.lee, path)


def test_a_supervisor_reads_a_supervisees_client_thread_audited_and_shown(
    clinic: Clinic, clock: ManualClock
) -> None:
    c = clinic
    c.policy(True)
    for path in c.thread_paths():
        _same_404(c.lee, path)  # no supervision yet
    c.supervision = c.assign()

    listed = c.lee.get("/supervision/threads")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["supervisor_visibility"], body["may_supervise"]) == (True, True)
    [thread] = body["threads"]
    assert thread["conversation_id"] == c.jordan_thread
    assert thread["client_id"] == c.jordan
    assert thread["title"] == "Jordan Rivers"
    assert thread["supervisee_ids"] == [str(c.priya.user_id)]
    assert thread["archived"] is False
    # the list names the client to someone outside her care: recorded as a view of it
    [listed_entry] = [
        e for e in c.audit(kind="client.viewed") if e["details"]["via"] == "supervision_list"
    ]
    assert listed_entry["actor_user_id"] == str(c.lee.user_id)
    assert listed_entry["details"]["clients"] == [c.jordan]

    # reading: the history (staff notes included), the conversation, the receipt cursors
    read = history(c.lee, c.jordan_thread)
    assert [m["id"] for m in read] == c.notes
    conversation = c.lee.get(f"/conversations/{c.jordan_thread}").json()
    assert conversation["member_ids"] == [str(c.priya.user_id)]  # she did not join
    assert conversation["unread"] == 0
    receipts = c.lee.get(f"/conversations/{c.jordan_thread}/receipts")
    assert receipts.status_code == 200, receipts.text
    assert {m["user_id"] for m in receipts.json()["members"]} == {str(c.priya.user_id)}

    # every read is a message.viewed entry naming the supervision
    [viewed] = c.audit(kind="message.viewed", actor_user_id=str(c.lee.user_id))
    assert viewed["subject_id"] == c.jordan_thread
    assert viewed["details"]["supervision"] == c.supervision
    assert viewed["details"]["messages"] == c.notes
    assert "emergency_access" not in viewed["details"]
    [assigned] = c.audit(kind="supervision.assigned")
    assert assigned["subject_id"] == str(c.priya.user_id)
    assert assigned["details"] == {"supervision": c.supervision, "supervisor": str(c.lee.user_id)}

    # Priya sees the view: who, when, how many reads
    [view] = c.views()
    assert view["viewer_id"] == str(c.lee.user_id)
    assert _at(view["started_at"]) == clock.now()
    assert view["reads"] == 1
    # more pages soon after are the same view; after a gap, a new one
    clock.advance(VIEW_GAP - timedelta(minutes=1))
    history(c.lee, c.jordan_thread, limit=1)
    [view] = c.views()
    assert (view["reads"], _at(view["last_read_at"])) == (2, clock.now())
    clock.advance(VIEW_GAP)
    history(c.lee, c.jordan_thread)
    newest, first = c.views()
    assert (newest["reads"], first["reads"]) == (1, 2)
    assert _at(newest["started_at"]) == clock.now()
    assert len(c.audit(kind="message.viewed", actor_user_id=str(c.lee.user_id))) == 3
    # Priya's own reads are not marked, and the supervision-views list is members' only
    history(c.priya, c.jordan_thread)
    mine = c.audit(kind="message.viewed", actor_user_id=str(c.priya.user_id))[0]
    assert "supervision" not in mine["details"]
    for api in (c.lee, c.omar, c.owner):
        _same_404(api, f"/conversations/{c.jordan_thread}/supervision-views")


def test_a_supervisor_only_reads(clinic: Clinic) -> None:
    c = clinic
    c.policy(True)
    c.supervision = c.assign()
    base = f"/conversations/{c.jordan_thread}"
    assert c.lee.get(f"{base}/messages").status_code == 200
    refused = [
        c.lee.post(f"{base}/messages", {"body": "hi", "idempotency_key": uuid.uuid4().hex}),
        c.lee.post(f"{base}/client-messages", {"text": "hi", "idempotency_key": uuid.uuid4().hex}),
        c.lee.post(f"{base}/receipts", {"kind": "seen", "up_to_seq": 1}),
        c.lee.delete(f"{base}/messages/{c.notes[0]}"),
        c.lee.patch(base, {"title": "renamed"}),
        c.lee.post(f"{base}/members", {"user_id": str(c.lee.user_id)}),
        c.lee.get(f"{base}/messages/{c.notes[0]}/receipts"),
        c.lee.get(f"{base}/client-deliveries"),
    ]
    for response in refused:
        _problem(response, 404)
    assert c.lee.post("/search", {"query": "Tuesday"}).json() == []
    search_one = {"query": "Tuesday", "conversation_id": c.jordan_thread}
    _problem(c.lee.post("/search", search_one), 404)
    assert c.lee.get("/conversations").json() == []  # not in her list either
    assert [m["id"] for m in history(c.priya, c.jordan_thread)] == c.notes  # nothing changed


def test_only_the_supervisees_client_threads(clinic: Clinic) -> None:
    c = clinic
    c.policy(True)
    c.supervision = c.assign()
    direct = create_direct(c.priya, c.omar.user_id)
    send_message(c.priya, direct, "lunch?")
    for thread in (c.sam_thread, direct):
        for path in c.thread_paths(thread):
            _same_404(c.lee, path)
    # Omar added to Jordan's care: still through Priya only
    added = c.owner.post(f"/clients/{c.jordan}/clinicians", {"user_id": str(c.omar.user_id)})
    assert added.status_code == 200, added.text
    [thread] = c.lee.get("/supervision/threads").json()["threads"]
    assert thread["supervisee_ids"] == [str(c.priya.user_id)]
    # Priya taken off Jordan's care: Dr. Lee loses the thread
    removed = c.owner.delete(f"/clients/{c.jordan}/clinicians/{c.priya.user_id}")
    assert removed.status_code in (200, 204), removed.text
    for path in c.thread_paths():
        _same_404(c.lee, path)
    assert c.lee.get("/supervision/threads").json()["threads"] == []


def test_ending_a_supervision_ends_access_at_once(clinic: Clinic) -> None:
    c = clinic
    c.policy(True)
    c.supervision = c.assign()
    history(c.lee, c.jordan_thread)
    ended = c.owner.delete(f"/supervisions/{c.supervision}")
    assert ended.status_code == 204, ended.text
    for path in c.thread_paths():
        _same_404(c.lee, path)
    assert c.lee.get("/supervision/threads").json()["threads"] == []
    assert c.owner.get("/supervisions").json() == []
    _problem(c.owner.delete(f"/supervisions/{c.supervision}"), 404)
    [removed] = c.audit(kind="supervision.removed")
    assert removed["details"]["supervision"] == c.supervision
    # the record of what she read stays with the members
    assert [v["viewer_id"] for v in c.views()] == [str(c.lee.user_id)]


def test_roles_and_accounts_decide_at_every_read(clinic: Clinic) -> None:
    c = clinic
    c.policy(True)
    c.supervision = c.assign()
    path = f"/conversations/{c.jordan_thread}/messages"
    assert c.lee.get(path).status_code == 200
    # Dr. Lee becomes a clinician: no access; a supervisor again: access
    for role, status in (("clinician", 404), ("supervisor", 200)):
        changed = c.owner.patch(f"/users/{c.lee.user_id}", {"role": role})
        assert changed.status_code == 200, changed.text
        assert c.lee.get(path).status_code == status, role
    # Priya's account deactivated: her clients are no longer Dr. Lee's to read
    assert c.owner.post(f"/users/{c.priya.user_id}/deactivate").status_code == 200
    _same_404(c.lee, path)
    [listed] = c.owner.get("/supervisions").json()
    assert listed["in_effect"] is False
    assert c.owner.post(f"/users/{c.priya.user_id}/reactivate").status_code == 200
    assert c.lee.get(path).status_code == 200
    # Dr. Lee's account deactivated: her sessions end
    assert c.owner.post(f"/users/{c.lee.user_id}/deactivate").status_code == 200
    assert c.lee.get(path).status_code == 401


def test_an_owner_may_supervise(clinic: Clinic) -> None:
    c = clinic
    c.policy(True)
    c.assign(supervisor=c.owner, supervisee=c.omar)
    assert [m["body"] for m in history(c.owner, c.sam_thread)] == ["See you Monday."]
    views = c.omar.get(f"/conversations/{c.sam_thread}/supervision-views").json()
    assert [v["viewer_id"] for v in views] == [str(c.owner.user_id)]


def test_who_may_assign_and_whom(clinic: Clinic) -> None:
    c = clinic
    add_staff(c.owner, "ada@riverbend.test", "admin", "Ada")
    add_staff(c.owner, "flo@riverbend.test", "front_desk", "Flo")
    ada = sign_in(c.client, c.practice.slug, "ada@riverbend.test")
    flo = next(u["id"] for u in c.owner.get("/users").json() if u["display_name"] == "Flo")
    body = {"supervisor_id": str(c.lee.user_id), "supervisee_id": str(c.priya.user_id)}
    for api in (c.lee, c.priya):
        refused = _problem(api.post("/supervisions", body), 403)
        assert refused["detail"] == "Only a practice owner or admin can do this."
    cases = [
        ({"supervisor_id": str(c.omar.user_id), "supervisee_id": str(c.priya.user_id)}, 422),
        ({"supervisor_id": str(ada.user_id), "supervisee_id": str(c.priya.user_id)}, 422),
        ({"supervisor_id": str(c.lee.user_id), "supervisee_id": flo}, 422),
        ({"supervisor_id": str(c.lee.user_id), "supervisee_id": str(c.lee.user_id)}, 422),
        ({"supervisor_id": str(c.lee.user_id), "supervisee_id": str(uuid.uuid4())}, 404),
        ({"supervisor_id": str(c.lee.user_id)}, 422),
        ({**body, "extra": 1}, 422),
        ({"supervisor_id": "not-an-id", "supervisee_id": str(c.priya.user_id)}, 422),
    ]
    for case, status in cases:
        _problem(ada.post("/supervisions", case), status)
    assert c.owner.get("/supervisions").json() == []
    made = _created(ada.post("/supervisions", body))  # an admin may
    duplicate = _problem(ada.post("/supervisions", body), 409)
    assert duplicate["detail"] == "This supervisor already supervises this person."
    # a supervisee may be supervised by two people, and a supervisor may be supervised
    c.assign(supervisor=c.owner, supervisee=c.priya)
    c.assign(supervisor=c.owner, supervisee=c.lee)
    # who sees which supervisions
    assert len(c.owner.get("/supervisions").json()) == 3
    assert {s["id"] for s in c.lee.get("/supervisions").json()} >= {made}
    assert len(c.lee.get("/supervisions").json()) == 2  # she supervises one, is supervised once
    assert c.omar.get("/supervisions").json() == []
    assert c.omar.get("/supervision/threads").json()["may_supervise"] is False
    _problem(c.lee.delete(f"/supervisions/{made}"), 403)
    _problem(c.owner.delete("/supervisions/not-an-id"), 422)


def test_another_practices_supervisions_and_threads_are_404(
    services: Services, client: TestClient
) -> None:
    a = build_clinic(services, client, "alpha")
    b = build_clinic(services, client, "bravo")
    for clinic in (a, b):
        clinic.policy(True)
        clinic.supervision = clinic.assign()
    # A's supervisor, given B's thread ids: the same answers as random ids
    for path in b.thread_paths():
        _same_404(a.lee, path)
    _same_404(a.priya, f"/conversations/{b.jordan_thread}/supervision-views")
    # A's owner: B's supervision and people are not found
    missing = a.owner.delete(f"/supervisions/{uuid.uuid4()}")
    theirs = a.owner.delete(f"/supervisions/{b.supervision}")
    assert (theirs.status_code, theirs.content) == (404, missing.content)
    for body in (
        {"supervisor_id": str(b.lee.user_id), "supervisee_id": str(a.priya.user_id)},
        {"supervisor_id": str(a.lee.user_id), "supervisee_id": str(b.priya.user_id)},
    ):
        theirs_ids = (str(b.lee.user_id), str(b.priya.user_id))
        random_body = {k: str(uuid.uuid4()) if v in theirs_ids else v for k, v in body.items()}
        got = a.owner.post("/supervisions", body)
        expected = a.owner.post("/supervisions", random_body)
        assert (got.status_code, got.content) == (404, expected.content)
    # the lists show only A's own
    assert [s["id"] for s in a.owner.get("/supervisions").json()] == [a.supervision]
    assert [t["conversation_id"] for t in a.lee.get("/supervision/threads").json()["threads"]] == [
        a.jordan_thread
    ]
    assert [s["id"] for s in b.owner.get("/supervisions").json()] == [b.supervision]


# -- the members are told -------------------------------------------------------------------


def test_members_are_told_once_per_view_and_the_supervisor_gets_no_pushes(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=20) as http:
        c = build_clinic(live_server.services, http)
        c.policy(True)
        c.supervision = c.assign()
        url = live_server.ws_url
        with Socket(url, c.priya.token) as priya_ws, Socket(url, c.lee.token) as lee_ws:
            history(c.lee, c.jordan_thread)
            frame = priya_ws.expect("supervision.viewed")
            assert set(frame) == {"type", "conversation_id", "view_id", "viewer_id", "started_at"}
            assert frame["conversation_id"] == c.jordan_thread
            assert frame["viewer_id"] == str(c.lee.user_id)
            [view] = c.views()
            assert frame["view_id"] == view["id"]
            # more reads in the same view, over HTTP and the socket's resume: no more events
            history(c.lee, c.jordan_thread, limit=1)
            lee_ws.send({"type": "resume", "conversation_id": c.jordan_thread, "after_seq": 0})
            backlog = lee_ws.expect("backlog")
            assert [m["id"] for m in backlog["messages"]] == c.notes
            # the members' activity is not pushed to her
            _note(c.priya, c.jordan_thread, "Running 5 minutes late")
            priya_ws.expect("message.created")
            priya_ws.drain(0.3)
            lee_ws.drain(0.3)
            assert len(priya_ws.of_type("supervision.viewed")) == 1
            assert not lee_ws.of_type("message.created")
            assert not lee_ws.of_type("supervision.viewed")
        [view] = c.views()
        assert view["reads"] == 3
        entries = c.audit(kind="message.viewed", actor_user_id=str(c.lee.user_id))
        assert sorted(e["details"]["via"] for e in entries) == ["backlog", "history", "history"]
        assert {e["details"]["supervision"] for e in entries} == {c.supervision}
        # supervision changes reach the two people's apps (ids only)
        with Socket(url, c.lee.token) as lee_ws, Socket(url, c.priya.token) as priya_ws:
            assert c.owner.delete(f"/supervisions/{c.supervision}").status_code == 204
            for ws in (lee_ws, priya_ws):
                changed = ws.expect("supervision.changed")
                assert changed == {
                    "type": "supervision.changed",
                    "supervision_id": c.supervision,
                    "supervisor_id": str(c.lee.user_id),
                    "supervisee_id": str(c.priya.user_id),
                    "assigned": False,
                }
        assert "Jordan" not in json.dumps(priya_ws.frames + lee_ws.frames)


# -- the demo ---------------------------------------------------------------------------------


def test_the_demo_seeds_scenario_2(services: Services, client: TestClient) -> None:
    """Dr. Lee supervises Priya in the demo, with supervisor visibility on: she can read the
    thread of Priya's client, and Priya sees that she did."""
    password = "a demo password"
    seed_demo(services, password)
    lee = sign_in(client, DEMO_SLUG, "lee@demo.quietline.test", password)
    priya = sign_in(client, DEMO_SLUG, "priya@demo.quietline.test", password)
    [thread] = lee.get("/supervision/threads").json()["threads"]
    assert thread["title"] == SUPERVISED_CLIENT
    assert thread["supervisee_ids"] == [str(priya.user_id)]
    [note] = history(lee, thread["conversation_id"])
    assert note["internal"] is True
    views = priya.get(f"/conversations/{thread['conversation_id']}/supervision-views").json()
    assert [v["viewer_id"] for v in views] == [str(lee.user_id)]
