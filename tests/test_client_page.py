"""The secure client page's API (/client-api), on SQLite and PostgreSQL: the link in the SMS
notice, the one-time code, the client session and what the client may read and do.

The code and the link arrive the way a client gets them: staff write in the client's thread,
the delivery rule sends a notice with a link by SMS, the client asks for a code, and the
outbox hands both texts to the console SMS gateway, whose in-memory record is the client's
phone here. Nothing is stubbed.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from starlette.types import ASGIApp, Receive, Scope, Send

from quietline.actions.client_access import (
    CODE_LOCKED,
    LINK_EXPIRED,
    LINK_LOCKED,
    NO_LIVE_CODE,
    TOO_MANY_CODES,
    WRONG_CODE,
    WRONG_CODE_OR_DOB,
    client_page_url,
    client_seen,
    do_revoke_client_links,
    issue_link,
)
from quietline.app import Services, create_app
from quietline.config import Settings
from quietline.domain.audit import AuditKind
from quietline.domain.clock import ManualClock
from quietline.domain.models import AuditEntry
from quietline.gateways.console import ConsoleItem
from quietline.storage.tables import metadata
from tests.conftest import Api, Capture, PracticeHandle, add_staff, make_practice, sign_in

API = "/client-api"
COOKIE = "quietline_client"  # plain HTTP: no __Host- prefix
LINK_RE = re.compile(r"/c/#(qlc_[A-Za-z0-9_-]+)")
CODE_RE = re.compile(r"\b(\d{6})\b")
WAIT_SECONDS = 10.0


def marker(label: str) -> str:
    return f"QlPage{label}{uuid.uuid4().hex}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with the console gateways: what is "sent" stays in memory
    (``services.console_record``), which plays the client's phone and mailbox."""
    return Settings(
        **{
            **settings.model_dump(),
            "sms_gateway": "console",
            "email_gateway": "console",
            "sms_from_number": "+15550100999",
        }
    )


# -- the client's phone ----------------------------------------------------------------------


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Poll ``check()`` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Phone:
    """What the console gateways handed over for one address, read once each."""

    services: Services
    address: str
    read: set[int] = field(default_factory=set)

    def _new(self, pattern: re.Pattern[str]) -> ConsoleItem | None:
        record = self.services.console_record
        assert record is not None
        for item in record.items():
            if item.to == self.address and item.seq not in self.read and pattern.search(item.body):
                self.read.add(item.seq)
                return item
        return None

    def next_link(self) -> str:
        item = wait_for(lambda: self._new(LINK_RE), "the SMS with the link")
        found = LINK_RE.search(item.body)
        assert found is not None
        return found.group(1)

    def next_code(self) -> str:
        item = wait_for(lambda: self._new(re.compile(r"code for the secure page")), "a code")
        assert "care" not in item.body.lower()  # nothing but the code and how long it lasts
        found = CODE_RE.search(item.body)
        assert found is not None
        return found.group(1)

    def bodies(self) -> list[str]:
        record = self.services.console_record
        assert record is not None
        return [i.body for i in record.items() if i.to == self.address]


# -- the page, as the client's browser uses it ---------------------------------------------------


@dataclass
class Page:
    """One browser's client page: the link token in memory, the cookie, the CSRF token."""

    http: TestClient
    token: str | None = None
    cookie: str | None = None
    csrf: str | None = None
    set_cookie: str = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"origin": str(self.http.base_url).rstrip("/"), "sec-fetch-site": "same-origin"}
        if self.cookie:
            headers["cookie"] = f"{COOKIE}={self.cookie}"
        if self.csrf:
            headers["x-csrf-token"] = self.csrf
        return headers | (extra or {})

    def _done(self, response: Any) -> Any:
        self.http.cookies.clear()  # each page keeps its own cookie, in self.cookie
        return response

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self._done(self.http.post(API + path, json=body, headers=self._headers(headers)))

    def get(self, path: str, **headers: str) -> Any:
        return self._done(self.http.get(API + path, headers=self._headers(headers)))

    def start(self) -> dict[str, Any]:
        response = self.post("/start", {"token": self.token})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def send_code(self, channel: str | None = None) -> Any:
        return self.post("/code", {"token": self.token, "channel": channel})

    def verify(self, code: str, date_of_birth: str | None = None) -> Any:
        response = self.post(
            "/verify", {"token": self.token, "code": code, "date_of_birth": date_of_birth}
        )
        if response.status_code == 200:
            self.set_cookie = response.headers["set-cookie"]
            found = re.match(rf"{COOKIE}=([^;]+);", self.set_cookie)
            assert found is not None, self.set_cookie
            self.cookie = found.group(1)
            self.csrf = response.json()["csrf_token"]
        return response

    def sign_in(self, phone: Phone) -> None:
        assert self.send_code().status_code == 202
        response = self.verify(phone.next_code())
        assert response.status_code == 200, response.text

    def thread(self, after: int | None = None, *, active: bool = False) -> Any:
        query = f"?active={'true' if active else 'false'}"
        if after is not None:
            query += f"&after={after}"
        return self.get(f"/thread{query}")


@dataclass
class Person:
    id: UUID
    conversation_id: UUID
    phone: Phone
    email: str


class Practice:
    def __init__(self, services: Services, client: TestClient, handle: PracticeHandle) -> None:
        self.services = services
        self.client = client
        self.handle = handle
        self.owner: Api = sign_in(client, handle.slug, handle.owner_email)

    def add_person(
        self, name: str, phone: str, email: str | None = None, dob: str | None = None
    ) -> Person:
        email = email or f"{uuid.uuid4().hex[:10]}@client.test"
        response = self.owner.post(
            "/clients", {"name": name, "phone": phone, "email": email, "date_of_birth": dob}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Person(
            UUID(body["id"]),
            UUID(body["conversation_id"]),
            Phone(self.services, body["phone"]),
            email,
        )

    def write(
        self, person: Person, text: str, *, internal: bool = False, by: Api | None = None
    ) -> Any:
        response = (by or self.owner).post(
            f"/conversations/{person.conversation_id}/client-messages",
            {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": internal},
        )
        assert response.status_code == 201, response.text
        return response.json()

    def page_for(self, person: Person) -> Page:
        """Staff write; the SMS notice brings the link; the page takes its token."""
        self.write(person, f"Please see your appointment note {uuid.uuid4().hex[:6]}")
        return Page(self.client, token=person.phone.next_link())

    def link(self, person: Person, ttl: timedelta = timedelta(hours=72)) -> Page:
        token = self.services.db.write_sync(
            lambda unit: issue_link(
                unit,
                practice_id=self.handle.id,
                client_id=person.id,
                created_by=self.handle.owner_id,
                ttl=ttl,
            )
        )
        return Page(self.client, token=token)

    def audit(self, *kinds: AuditKind) -> list[AuditEntry]:
        """The entries of these kinds, oldest first."""
        entries = self.services.db.read_sync(
            lambda unit: unit.audit_log.query(
                self.handle.id, kinds=[k.value for k in kinds], limit=1000
            )
        )
        return list(reversed(entries))

    def staff_thread(self, person: Person) -> list[dict[str, Any]]:
        response = self.owner.get(f"/conversations/{person.conversation_id}/messages?limit=200")
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages


@pytest.fixture
def office(services: Services, client: TestClient, practice: PracticeHandle) -> Practice:
    return Practice(services, client, practice)


def _phone(n: int) -> str:
    return f"+1202555{n:04d}"


# -- the verification flow ---------------------------------------------------------------------


def test_a_client_opens_the_link_proves_who_they_are_reads_and_replies(office: Practice) -> None:
    clinician = add_staff(office.owner, "avery@riverbend.test", "clinician", "Avery Quinn")
    avery = sign_in(office.client, office.handle.slug, "avery@riverbend.test")
    person = office.add_person("Jordan Client", _phone(123))
    assign = office.owner.post(f"/clients/{person.id}/clinicians", {"user_id": str(clinician)})
    assert assign.status_code == 200, assign.text
    hello = marker("Hello")
    office.write(person, f"Hi Jordan, {hello}", by=avery)
    page = Page(office.client, token=person.phone.next_link())
    # The SMS carried the notice and a link with the token in the fragment, not the text.
    assert all(hello not in body for body in person.phone.bodies())

    start = page.start()
    assert start["practice_name"] == "Practice riverbend"
    assert start["date_of_birth_required"] is False
    assert start["destinations"][0] == {"channel": "sms", "label": "text to •••• 0123"}
    assert start["destinations"][1]["channel"] == "email"
    assert re.fullmatch(r"e-mail to .•••@.•••\.test", start["destinations"][1]["label"])

    sent = page.send_code()
    assert sent.status_code == 202, sent.text
    assert sent.json()["destination"]["label"] == "text to •••• 0123"
    code = person.phone.next_code()
    wrong = page.verify(f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == WRONG_CODE
    assert "set-cookie" not in wrong.headers

    assert page.verify(code).status_code == 200
    # A session cookie of its own: HttpOnly, SameSite=Strict, Path=/, dies with the browser.
    flags = [f.strip().lower() for f in page.set_cookie.split(";")[1:]]
    assert set(flags) == {"path=/", "httponly", "samesite=strict"}
    assert not any(f.startswith(("max-age", "expires")) for f in flags)
    # The code works once.
    again = Page(office.client, token=page.token)
    assert again.verify(code).status_code == 403

    thread = page.thread()
    assert thread.status_code == 200, thread.text
    assert thread.headers["cache-control"] == "no-store"
    body = thread.json()
    staff_message = next(m for m in body["messages"] if hello in m["body"])
    assert staff_message["author"] == "Avery"  # first name only
    assert staff_message["from_client"] is False
    assert body["practice_name"] == "Practice riverbend"
    assert body["idle_minutes"] == 10

    reply = marker("Reply")
    sent_reply = page.post(
        "/messages",
        {"body": f"Thanks, see you {reply}", "idempotency_key": "page-key-0001", "after_seq": 0},
    )
    assert sent_reply.status_code == 201, sent_reply.text
    mine = [m for m in sent_reply.json()["messages"] if reply in m["body"]]
    assert len(mine) == 1
    assert mine[0]["from_client"] is True
    assert mine[0]["author"] == "You"
    # A retry with the same key stores nothing twice.
    retry = page.post(
        "/messages",
        {"body": f"Thanks, see you {reply}", "idempotency_key": "page-key-0001", "after_seq": 0},
    )
    assert retry.status_code == 201, retry.text
    staff_view = [m for m in office.staff_thread(person) if reply in m["body"]]
    assert len(staff_view) == 1
    assert staff_view[0]["sender_id"] is None
    assert staff_view[0]["sender_client_id"] == str(person.id)
    assert staff_view[0]["channel"] == "page"

    # Seen: the client's receipt, for the staff app.
    last = max(m["seq"] for m in retry.json()["messages"])
    seen = page.post("/seen", {"up_to_seq": last + 50})
    assert seen.status_code == 200, seen.text
    assert seen.json()["seen_seq"] == last  # never past the thread's end
    seq, at = office.services.db.read_sync(
        lambda unit: client_seen(unit, office.handle.id, person.id)
    )
    assert (seq, at) == (last, office.services.clock.now())

    kinds = [e.kind for e in office.audit(*CLIENT_PAGE_KINDS)]
    assert kinds[:4] == [
        AuditKind.CLIENT_LINK_ISSUED.value,
        AuditKind.CLIENT_CODE_SENT.value,
        AuditKind.CLIENT_CODE_FAILED.value,
        AuditKind.CLIENT_PAGE_SIGNED_IN.value,
    ]
    assert AuditKind.CLIENT_PAGE_VIEWED.value in kinds

    out = page.post("/sign-out")
    assert out.status_code == 204
    assert f"{COOKIE}=;" in out.headers["set-cookie"]
    assert "max-age=0" in out.headers["set-cookie"].lower()
    ended = page.thread()
    assert ended.status_code == 401
    signed_out = office.audit(AuditKind.CLIENT_PAGE_SIGNED_OUT)
    assert [e.details["reason"] for e in signed_out] == ["signed_out"]


CLIENT_PAGE_KINDS = (
    AuditKind.CLIENT_LINK_ISSUED,
    AuditKind.CLIENT_CODE_SENT,
    AuditKind.CLIENT_CODE_FAILED,
    AuditKind.CLIENT_PAGE_SIGNED_IN,
    AuditKind.CLIENT_PAGE_VIEWED,
    AuditKind.CLIENT_PAGE_SIGNED_OUT,
)


def test_the_link_url_keeps_the_token_in_the_fragment() -> None:
    assert client_page_url("https://q.example/", "qlc_abc") == "https://q.example/c/#qlc_abc"


def test_an_expired_link_says_so_plainly(office: Practice, clock: ManualClock) -> None:
    person = office.add_person("Sam Expired", _phone(201))
    page = office.link(person, ttl=timedelta(hours=2))
    assert page.start()["destinations"]
    clock.advance(timedelta(hours=2, seconds=1))
    for response in (
        page.post("/start", {"token": page.token}),
        page.send_code(),
        page.verify("123456"),
    ):
        assert response.status_code == 410, response.text
        assert response.json()["detail"] == LINK_EXPIRED
    assert office.audit(AuditKind.CLIENT_CODE_SENT) == []


def test_an_unknown_or_revoked_link_does_not_work(office: Practice) -> None:
    person = office.add_person("Rae Revoked", _phone(202))
    unknown = Page(office.client, token="qlc_" + "x" * 43)
    assert unknown.post("/start", {"token": unknown.token}).status_code == 410
    page = office.link(person)
    page.sign_in(person.phone)
    assert page.thread().status_code == 200
    revoked = office.services.db.write_sync(
        lambda unit: do_revoke_client_links(
            unit,
            practice_id=office.handle.id,
            client_id=person.id,
            revoked_by=office.handle.owner_id,
            reason="number changed",
        )
    )
    assert revoked == 1
    assert page.post("/start", {"token": page.token}).status_code == 410
    assert page.thread().status_code == 401  # the open page is signed out too
    assert office.audit(AuditKind.CLIENT_LINK_REVOKED)[0].details == {
        "links_revoked": 1,
        "sessions_ended": 1,
        "reason": "number changed",
    }


def test_another_clients_link_or_code_cannot_open_this_thread(office: Practice) -> None:
    """A family on one phone: each link is bound to its client, each code to its link."""
    shared = _phone(300)
    parent = office.add_person("Pat Parent", shared)
    teen = office.add_person("Tay Teen", shared)
    parent_secret, teen_secret = marker("ParentOnly"), marker("TeenOnly")
    office.write(parent, parent_secret)
    office.write(teen, teen_secret)
    phone = Phone(office.services, parent.phone.address)
    links = [phone.next_link(), phone.next_link()]
    assert len(set(links)) == 2
    parent_page, teen_page = (office.link(parent), office.link(teen))

    assert parent_page.send_code().status_code == 202
    parent_code = phone.next_code()
    assert teen_page.send_code().status_code == 202
    teen_code = phone.next_code()
    if teen_code != parent_code:  # one in a million they are equal; the hash still differs
        refused = parent_page.verify(teen_code)
        assert refused.status_code == 403
        assert refused.json()["detail"] == WRONG_CODE

    assert teen_page.verify(teen_code).status_code == 200
    seen_by_teen = " ".join(m["body"] for m in teen_page.thread().json()["messages"])
    assert teen_secret in seen_by_teen
    assert parent_secret not in seen_by_teen
    # The teen's session is the teen's: nothing of the parent's thread, whatever is asked.
    for after in (0, 1, 2):
        polled = teen_page.thread(after).json()
        assert parent_secret not in " ".join(m["body"] for m in polled["messages"])
    seen = teen_page.post("/seen", {"up_to_seq": 10**6})
    assert seen.status_code == 200
    parent_seen = office.services.db.read_sync(
        lambda unit: client_seen(unit, office.handle.id, parent.id)
    )
    assert parent_seen == (0, None)


def test_code_guesses_are_throttled_and_ten_failures_lock_the_link(office: Practice) -> None:
    person = office.add_person("Gus Guess", _phone(400))
    page = office.link(person)
    assert page.send_code().status_code == 202
    first = person.phone.next_code()
    wrong = f"{(int(first) + 7) % 10**6:06d}"
    for _ in range(4):
        answer = page.verify(wrong)
        assert answer.status_code == 403
        assert answer.json()["detail"] == WRONG_CODE  # never how close a guess was
    fifth = page.verify(wrong)
    assert fifth.status_code == 429
    assert fifth.json()["detail"] == CODE_LOCKED
    # After 5 wrong guesses even the right code is refused: ask for a new one.
    locked = page.verify(first)
    assert locked.status_code == 429
    assert locked.json()["detail"] == CODE_LOCKED

    assert page.send_code().status_code == 202
    second = person.phone.next_code()
    stale = page.verify(first)  # the old code ended when the new one was sent
    assert stale.status_code == 403
    assert stale.json()["detail"] == WRONG_CODE
    wrong = f"{(int(second) + 7) % 10**6:06d}"
    for _ in range(2):
        assert page.verify(wrong).status_code == 403
    tenth = page.verify(wrong)
    assert tenth.status_code == 403
    assert tenth.json()["detail"] == LINK_LOCKED
    assert tenth.json()["link_locked"] is True
    # The link is revoked: even the right code no longer opens anything.
    after = page.verify(second)
    assert after.status_code == 410
    assert after.json()["detail"] == LINK_LOCKED
    assert page.post("/start", {"token": page.token}).status_code == 410

    failures = office.audit(AuditKind.CLIENT_CODE_FAILED)
    assert len(failures) == 10
    assert [f.details["link_failures"] for f in failures] == list(range(1, 11))
    assert failures[-1].details["link_revoked"] is True
    assert failures[5].details["reason"] == "code_locked"
    assert failures[6].details["reason"] == "wrong"
    assert failures[6].details["code_failures"] == 1  # a guess against the new code
    assert office.audit(AuditKind.CLIENT_PAGE_SIGNED_IN) == []
    # Another link for the same client still works (the client asked the office).
    fresh = office.link(person)
    fresh.sign_in(person.phone)


def test_at_most_three_codes_per_link_in_fifteen_minutes(
    office: Practice, clock: ManualClock
) -> None:
    person = office.add_person("Cody Codes", _phone(401), email="cody@client.test")
    page = office.link(person)
    assert page.send_code().status_code == 202
    assert page.send_code("email").status_code == 202
    assert page.send_code().status_code == 202
    fourth = page.send_code()
    assert fourth.status_code == 429
    assert fourth.json()["detail"] == TOO_MANY_CODES
    assert fourth.headers["retry-after"] == "900"
    clock.advance(timedelta(minutes=15, seconds=1))
    assert page.send_code().status_code == 202
    codes = office.audit(AuditKind.CLIENT_CODE_SENT)
    assert [c.details["channel"] for c in codes] == ["sms", "email", "sms", "sms"]


def test_a_code_expires_after_ten_minutes(office: Practice, clock: ManualClock) -> None:
    person = office.add_person("Ed Expiry", _phone(402))
    page = office.link(person)
    assert page.send_code().status_code == 202
    code = person.phone.next_code()
    clock.advance(timedelta(minutes=10))
    late = page.verify(code)
    assert late.status_code == 403
    assert late.json()["detail"] == NO_LIVE_CODE


def test_a_client_who_sent_stop_gets_the_code_by_email(office: Practice) -> None:
    person = office.add_person("Stella Stop", _phone(403), email="stella@client.test")
    office.services.db.write_sync(
        lambda unit: unit.clients.set_sms_opted_out(
            office.handle.id, person.id, office.services.clock.now()
        )
    )
    page = office.link(person)
    assert [d["channel"] for d in page.start()["destinations"]] == ["email"]
    refused = page.send_code("sms")
    assert refused.status_code == 422
    sent = page.send_code()
    assert sent.status_code == 202
    assert sent.json()["destination"]["channel"] == "email"
    mailbox = Phone(office.services, "stella@client.test")
    assert page.verify(mailbox.next_code()).status_code == 200


def test_the_practice_may_ask_for_the_date_of_birth(office: Practice) -> None:
    person = office.add_person("Dee Dob", _phone(404), dob="1990-02-03")
    office.services.db.write_sync(
        lambda unit: unit.practice_messaging.save_policy(
            office.handle.id,
            _with(unit.practice_messaging.policy(office.handle.id), require_date_of_birth=True),
            now=unit.now,
        )
    )
    page = office.link(person)
    assert page.start()["date_of_birth_required"] is True
    assert page.send_code().status_code == 202
    code = person.phone.next_code()
    missing = page.verify(code)
    assert missing.status_code == 422
    wrong_dob = page.verify(code, "02/04/1990")
    assert wrong_dob.status_code == 403
    assert wrong_dob.json()["detail"] == WRONG_CODE_OR_DOB
    assert page.verify(code, " 2/3/1990 ").status_code == 200
    signed_in = office.audit(AuditKind.CLIENT_PAGE_SIGNED_IN)
    assert signed_in[0].details["date_of_birth_checked"] is True
    # A client without a date of birth on file is not asked for one.
    other = office.add_person("Nod Dob", _phone(405))
    assert office.link(other).start()["date_of_birth_required"] is False


def _with(policy: Any, **changes: Any) -> Any:
    return replace(policy, **changes)


# -- the session ---------------------------------------------------------------------------------


def test_the_session_ends_when_idle_and_polling_alone_does_not_keep_it(
    office: Practice, clock: ManualClock
) -> None:
    person = office.add_person("Ida Idle", _phone(500))
    page = office.link(person)
    page.sign_in(person.phone)
    clock.advance(timedelta(minutes=9))
    assert page.thread(active=True).status_code == 200  # the client did something
    clock.advance(timedelta(minutes=9))
    assert page.thread(active=False).status_code == 200  # only polling
    clock.advance(timedelta(minutes=1))
    idle = page.thread(active=False)
    assert idle.status_code == 401
    assert "10 minutes without activity" in idle.json()["detail"]
    assert f"{COOKIE}=;" in idle.headers["set-cookie"]
    assert idle.headers["clear-site-data"] == '"cache"'  # never the staff app's storage
    assert [e.details["reason"] for e in office.audit(AuditKind.CLIENT_PAGE_SIGNED_OUT)] == ["idle"]
    assert page.thread(active=True).status_code == 401  # ended stays ended


def test_the_session_has_an_absolute_limit(office: Practice, clock: ManualClock) -> None:
    person = office.add_person("Abe Absolute", _phone(501))
    page = office.link(person)
    page.sign_in(person.phone)
    for _ in range(5):
        clock.advance(timedelta(minutes=5))
        assert page.thread(active=True).status_code == 200
    clock.advance(timedelta(minutes=5))
    over = page.thread(active=True)
    assert over.status_code == 401
    assert "30 minutes" in over.json()["detail"]
    assert [e.details["reason"] for e in office.audit(AuditKind.CLIENT_PAGE_SIGNED_OUT)] == [
        "time_limit"
    ]


def test_client_requests_need_the_page_csrf_token_and_this_site(office: Practice) -> None:
    person = office.add_person("Cy Csrf", _phone(502))
    page = office.link(person)
    page.sign_in(person.phone)
    csrf = page.csrf
    page.csrf = None
    missing = page.thread()
    assert missing.status_code == 403
    assert missing.json()["type"].endswith(":csrf")
    page.csrf = csrf
    other_site = page.get(
        "/thread", origin="https://evil.example", **{"sec-fetch-site": "cross-site"}
    )
    assert other_site.status_code == 403
    assert (
        page.post("/start", {"token": page.token}, origin="https://evil.example").status_code == 403
    )
    # The staff cookie is no client session, and the client cookie no staff session.
    as_staff = office.client.get(
        "/api/v1/conversations", headers={"cookie": f"quietline={page.cookie}"}
    )
    assert as_staff.status_code == 401
    office.client.cookies.clear()
    assert page.thread().status_code == 200
    # The page's sign-out beacon: no custom header, the CSRF token in a text/plain body.
    page.csrf = None
    beacon = page.http.post(
        API + "/sign-out",
        content=f'{{"csrf_token": "{csrf}", "reason": "page_closed"}}'.encode(),
        headers={
            "content-type": "text/plain;charset=UTF-8",
            "cookie": f"{COOKIE}={page.cookie}",
            "origin": str(page.http.base_url).rstrip("/"),
        },
    )
    assert beacon.status_code == 204
    page.csrf = csrf
    assert page.thread().status_code == 401
    assert [e.details["reason"] for e in office.audit(AuditKind.CLIENT_PAGE_SIGNED_OUT)] == [
        "page_closed"
    ]


# -- what the client sees ------------------------------------------------------------------------


def test_internal_notes_never_reach_the_page(office: Practice) -> None:
    person = office.add_person("Nia Notes", _phone(600))
    note = marker("InternalNote")
    visible = marker("Visible")
    office.write(person, f"For the client: {visible}")
    page = Page(office.client, token=person.phone.next_link())
    office.write(person, f"Staff only: {note}", internal=True)
    page.sign_in(person.phone)
    first = page.thread().json()
    assert visible in " ".join(m["body"] for m in first["messages"])
    staff_seqs = {m["seq"] for m in office.staff_thread(person) if m["internal"]}
    assert staff_seqs
    assert not staff_seqs & {m["seq"] for m in first["messages"]}
    assert not staff_seqs & set(first["readable_seqs"])
    office.write(person, f"Another staff-only note {note}", internal=True)
    for after in (0, first["last_seq"]):
        polled = page.thread(after).json()
        assert note not in str(polled)
    assert all(note not in body for body in person.phone.bodies())


def test_a_recalled_message_leaves_the_page(office: Practice) -> None:
    person = office.add_person("Rex Recall", _phone(601))
    sent = office.write(person, "Oops, wrong client")
    page = Page(office.client, token=person.phone.next_link())
    page.sign_in(person.phone)
    before = page.thread().json()
    seq = sent["message"]["seq"]
    assert seq in before["readable_seqs"]
    recall = office.owner.delete(
        f"/conversations/{person.conversation_id}/messages/{sent['message']['id']}"
    )
    assert recall.status_code == 204, recall.text
    after = page.thread(before["last_seq"]).json()
    assert seq not in after["readable_seqs"]


def test_every_view_is_audited_with_the_highest_seq_shown(office: Practice) -> None:
    person = office.add_person("Vi Views", _phone(602))
    office.write(person, "First")
    page = Page(office.client, token=person.phone.next_link())
    page.sign_in(person.phone)
    first = page.thread().json()
    views = office.audit(AuditKind.CLIENT_PAGE_VIEWED)
    assert len(views) == 1
    assert views[0].details["up_to_seq"] == first["last_seq"]
    assert views[0].details["messages"] == len(first["messages"]) == 1
    assert views[0].subject_id == str(person.id)
    # A poll that shows nothing new shows nothing: no entry.
    assert page.thread(first["last_seq"]).json()["messages"] == []
    assert len(office.audit(AuditKind.CLIENT_PAGE_VIEWED)) == 1
    second = office.write(person, "Second")
    polled = page.thread(first["last_seq"]).json()
    assert [m["seq"] for m in polled["messages"]] == [second["message"]["seq"]]
    views = office.audit(AuditKind.CLIENT_PAGE_VIEWED)
    assert len(views) == 2
    assert views[1].details["up_to_seq"] == second["message"]["seq"]
    for entry in views:
        assert set(entry.details) == {
            "client_session",
            "conversation",
            "up_to_seq",
            "messages",
            "appointments",
        }


def test_appointment_confirmation_from_the_page(office: Practice, clock: ManualClock) -> None:
    person = office.add_person("Ann Appointment", _phone(603))
    starts = (clock.now() + timedelta(days=2)).replace(hour=15, minute=0, second=0)
    made = office.owner.post(
        "/appointments",
        {"client_id": str(person.id), "starts_at": starts.isoformat(), "length_minutes": 50},
    )
    assert made.status_code == 201, made.text
    appointment_id = made.json()["id"]
    page = office.link(person)
    page.sign_in(person.phone)
    listed = page.thread().json()["appointments"]
    assert [(a["id"], a["may_answer"]) for a in listed] == [(appointment_id, False)]
    no_request = page.post(f"/appointments/{appointment_id}/answer", {"answer": "confirm"})
    assert no_request.status_code == 404

    asked = office.owner.post(f"/appointments/{appointment_id}/confirmation-request")
    assert asked.status_code == 200, asked.text
    shown = page.thread(active=True).json()["appointments"][0]
    assert shown["may_answer"] is True
    assert shown["clinician"] == "Owner"
    assert re.fullmatch(
        r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2} at \d{1,2}:00 [AP]M", shown["starts_label"]
    )
    answered = page.post(
        f"/appointments/{appointment_id}/answer", {"answer": "reschedule", "after_seq": 0}
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["appointments"][0]["status"] == "reschedule_requested"
    staff = office.owner.get(f"/appointments/{appointment_id}")
    assert staff.json()["status"] == "reschedule_requested"
    stranger = office.add_person("Sid Stranger", _phone(604))
    other = office.link(stranger)
    other.sign_in(stranger.phone)
    refused = other.post(f"/appointments/{appointment_id}/answer", {"answer": "confirm"})
    assert refused.status_code == 404


def test_a_link_of_another_practice_names_only_its_own_client(
    office: Practice, services: Services
) -> None:
    mine = office.add_person("Mo Mine", _phone(700))
    elsewhere = Practice(services, office.client, make_practice(services, "elsewhere"))
    theirs = elsewhere.add_person("Tia Theirs", _phone(701))
    secret = marker("Elsewhere")
    elsewhere.write(theirs, secret)
    page = office.link(mine)
    page.sign_in(mine.phone)
    assert secret not in str(page.thread().json())


# -- nothing readable where it should not be ---------------------------------------------------


class RecordPaths:
    """Records the path and query of every request the app receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            query = scope.get("query_string", b"").decode("latin-1")
            self.seen.append(f"{scope['path']}?{query}")
        await self.app(scope, receive, send)


def _database_text(services: Services) -> str:
    """Every row of every table, as text (both backends)."""

    def dump(unit: Any) -> str:
        parts = []
        names = set(inspect(unit.conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name in names:
                for row in unit.conn.execute(select(table)):
                    parts.append(repr(tuple(row)))
        return "\n".join(parts)

    text: str = services.db.read_sync(dump)
    return text


def _sqlite_bytes(settings: Settings) -> bytes:
    database = make_url(str(settings.database_url)).database
    assert database
    path = Path(database)
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


@pytest.fixture
def recorded(debug_logs: Capture, services: Services) -> Iterator[tuple[Practice, RecordPaths]]:
    recorder = RecordPaths(create_app(services))
    with TestClient(recorder) as http:
        office = Practice(services, http, make_practice(services, "riverbend"))
        yield office, recorder


def test_tokens_codes_and_text_stay_out_of_urls_logs_and_the_database(
    recorded: tuple[Practice, RecordPaths], debug_logs: Capture, settings: Settings
) -> None:
    office, recorder = recorded
    name, email = marker("Name"), f"{marker('Mail').lower()}@client.test"
    staff_text, reply_text, note = marker("Staff"), marker("ClientReply"), marker("Note")
    response = office.owner.post("/clients", {"name": name, "phone": _phone(800), "email": email})
    assert response.status_code == 201, response.text
    body = response.json()
    person = Person(
        UUID(body["id"]),
        UUID(body["conversation_id"]),
        Phone(office.services, body["phone"]),
        email,
    )
    office.write(person, staff_text)
    office.write(person, note, internal=True)
    page = Page(office.client, token=person.phone.next_link())
    page.start()
    assert page.send_code().status_code == 202
    code = person.phone.next_code()
    assert page.verify(code).status_code == 200
    thread = page.thread().json()
    reply = page.post(
        "/messages",
        {"body": reply_text, "idempotency_key": "page-key-marker", "after_seq": thread["last_seq"]},
    )
    assert reply.status_code == 201, reply.text
    assert page.post("/seen", {"up_to_seq": reply.json()["last_seq"]}).status_code == 200
    assert page.post("/sign-out").status_code == 204
    assert page.token
    assert page.cookie
    assert page.csrf

    secrets = {"link token": page.token, "session token": page.cookie, "csrf": page.csrf}
    markers = {"name": name, "email": email, "staff": staff_text, "reply": reply_text, "note": note}
    # Canary: the recorder saw the client API, the log has its access lines.
    assert any(p.startswith(f"{API}/verify") for p in recorder.seen)
    assert "POST /client-api/verify 200" in debug_logs.text
    urls = "\n".join(recorder.seen)
    for label, value in (secrets | {"code": code, "phone": person.phone.address}).items():
        assert value not in urls, f"the {label} was in a URL the server saw"
    logs = debug_logs.text
    for label, value in (secrets | markers | {"phone": person.phone.address}).items():
        assert value.lower() not in logs.lower(), f"the {label} reached a log"
    assert f"code for the secure page: {code}" not in logs
    stored = _database_text(office.services)
    assert str(person.id) in stored  # canary: the dump holds the rows
    for label, value in (secrets | markers | {"phone": person.phone.address}).items():
        assert value.lower() not in stored.lower(), f"the {label} is readable in the database"
    assert f"code for the secure page: {code}" not in stored
    if str(settings.database_url).startswith("sqlite"):
        raw = _sqlite_bytes(settings)
        for label, value in (secrets | markers).items():
            assert value.encode() not in raw, f"the {label} is in the SQLite file"


def test_the_page_itself_is_served_with_a_strict_csp_and_no_store(client: TestClient) -> None:
    page = client.get("/c/")
    assert page.status_code == 200
    assert "client.js" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "require-trusted-types-for 'script'" in csp
    assert "form-action 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    script = client.get("/c/client.js")
    assert script.status_code == 200
    for forbidden in (
        "localStorage.",
        "sessionStorage.",
        "indexedDB.",
        "navigator.serviceWorker",
        "caches.",
        "document.cookie",
        ".innerHTML",
        "insertAdjacentHTML",
    ):
        assert forbidden not in script.text


def test_a_reply_is_assessed_off_the_writer_and_only_for_a_live_session(
    office: Practice, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crisis detector's meaning tier takes milliseconds (decision 0022): a client's
    reply is assessed on a worker thread before the write job, and only once the cookie names
    a live session, so a stranger cannot make the server run it."""
    from quietline.actions import client_messages  # noqa: PLC0415
    from quietline.safety import crisis  # noqa: PLC0415

    threads: list[str] = []

    def spy(text: str) -> crisis.CrisisAssessment:
        threads.append(threading.current_thread().name)
        return crisis.assess(text)

    monkeypatch.setattr(client_messages, "assess", spy)
    person = office.add_person("Rae Reply", _phone(700))
    page = office.link(person)
    page.sign_in(person.phone)
    text = f"{marker('Crisis')} I can't do this anymore, I want to kill myself tonight"
    sent = page.post(
        "/messages", {"body": text, "idempotency_key": "page-key-0700", "after_seq": 0}
    )
    assert sent.status_code == 201, sent.text
    assert len(threads) == 1
    assert not threads[0].startswith("quietline-writer")
    [stored] = [m for m in office.staff_thread(person) if m["body"] == text]
    assert stored["urgent"] is True

    clock.advance(timedelta(hours=2))  # the session is over
    late = page.post(
        "/messages", {"body": text, "idempotency_key": "page-key-0701", "after_seq": 0}
    )
    assert late.status_code == 401
    assert len(threads) == 1  # nothing assessed for it
