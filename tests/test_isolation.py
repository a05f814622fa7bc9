"""Practices are isolated from each other, and conversations from non-members.

* A generated matrix over every route with path parameters: practice A's people, given
  practice B's real ids, get exactly the answer (status and bytes) that a random id gets.
  The route list comes from the app, so a new route is covered without editing this file,
  and an unknown path parameter name fails the test until the id table below knows it.
* Lists (and search, and the audit log) never show B's ids, names or content to A, clients
  and their threads, templates, appointments and on-call shifts included.
* The secure client page's routes, as A's client signed in there, likewise.
* A's WebSocket never receives a frame caused by activity in B.
* Inside one practice, a conversation someone is not a member of answers 404, not 403.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, get_type_hints
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from websockets.sync.client import ClientConnection, connect

from quietline.actions.client_access import ClientSignedIn, do_send_code, do_verify, issue_link
from quietline.actions.clients import FieldOpener
from quietline.api.routes.client_page import client_cookie_name, client_csrf_token
from quietline.app import Services
from quietline.domain.models import Passkey
from quietline.storage.unit import Unit
from tests.conftest import Api, LiveServer, add_staff, make_practice, sign_in

PREFIX = "/api/v1"
CLIENT_PREFIX = "/client-api"  # the secure client page: its actor is a client, not staff
B_MARKER = "bravo"  # every name and text in practice B contains it; nothing in A does
CLIENT_PHONES = {"alpha": "+14155550123", B_MARKER: "+14155550124"}  # numbers carry no marker


# -- two practices with people, devices, conversations and messages ---------------------------


@dataclass
class ClientPage:
    """A client signed in on the secure page (its cookie and CSRF token), used like an Api."""

    client: Any
    cookie: str  # name=value
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "origin": str(self.client.base_url).rstrip("/"),
            "sec-fetch-site": "same-origin",
            "cookie": self.cookie,
            "x-csrf-token": self.csrf,
        }

    def get(self, path: str) -> Any:
        return self.client.get(f"{CLIENT_PREFIX}{path}", headers=self.headers)

    def post(self, path: str, json: Any = None) -> Any:
        return self.client.post(f"{CLIENT_PREFIX}{path}", json=json, headers=self.headers)


@dataclass
class Practice:
    slug: str
    id: UUID
    owner: Api
    clinician: Api
    outsider: Api  # a clinician in no conversation with the owner
    group: str  # owner + clinician
    direct: str  # owner <-> clinician
    side: str  # clinician <-> outsider: the owner is not a member
    owner_message: str  # sent by the owner in the group
    clinician_message: str  # sent by the clinician in the group
    side_message: str  # sent by the clinician in the side conversation
    texts: list[str] = field(default_factory=list)  # names, titles and bodies
    passkeys: list[str] = field(default_factory=list)  # the owner's and the clinician's
    leaver: str = ""  # a clinician who was in the group, offboarded to the clinician
    invite: str = ""  # a pending invitation
    record: str = ""  # the leaver's offboarding record
    grants: list[str] = field(default_factory=list)  # the owner's emergency access: group, side
    holds: list[str] = field(default_factory=list)  # legal holds: group, side
    # client messaging (see _client_messaging)
    client: str = ""  # assigned to the owner and the clinician; the outsider may not see it
    client_phone: str = ""
    client_thread: str = ""  # the client's thread: a conversation of kind 'client'
    client_messages: list[str] = field(default_factory=list)  # all of the thread, oldest first
    consent: str = ""  # the client's consent to plain SMS
    templates: list[str] = field(default_factory=list)  # the practice's own first, then defaults
    # booked (nothing asked yet), asked (to confirm, by the owner), spare (cancelled by a route)
    appointments: list[str] = field(default_factory=list)
    shift: str = ""  # the clinician on call, now
    page_session: ClientPage | None = None
    supervision: str = ""  # the owner supervises the clinician (decision 0021)

    @property
    def page(self) -> ClientPage:
        assert self.page_session is not None
        return self.page_session

    def ids(self) -> list[str]:
        return [
            str(self.id),
            *(str(a.user_id) for a in (self.owner, self.clinician, self.outsider)),
            *(str(a.session_id) for a in (self.owner, self.clinician, self.outsider)),
            self.group,
            self.direct,
            self.side,
            self.owner_message,
            self.clinician_message,
            self.side_message,
            *self.passkeys,
            self.leaver,
            self.invite,
            self.record,
            *self.grants,
            *self.holds,
            self.client,
            self.client_thread,
            *self.client_messages,
            self.consent,
            *self.templates,
            *self.appointments,
            self.shift,
            self.supervision,
        ]


def _created(response: Any, status: int = 201) -> str:
    assert response.status_code == status, response.text
    value: str = response.json()["id"]
    return value


def _send(api: Api, conversation: str, body: str) -> str:
    return _created(
        api.post(
            f"/conversations/{conversation}/messages",
            {"body": body, "idempotency_key": uuid.uuid4().hex},
        )
    )


def build_practice(services: Services, client: Any, slug: str) -> Practice:
    handle = make_practice(services, slug)
    title = slug.capitalize()
    owner = sign_in(client, slug, handle.owner_email, device=f"{slug} front desk pc")
    add_staff(owner, f"clinician@{slug}.test", "clinician", f"{title} Clinician")
    add_staff(owner, f"outsider@{slug}.test", "clinician", f"{title} Outsider")
    clinician = sign_in(client, slug, f"clinician@{slug}.test", device=f"{slug} phone")
    outsider = sign_in(client, slug, f"outsider@{slug}.test", device=f"{slug} tablet")
    group = _created(
        owner.post(
            "/conversations",
            {"kind": "group", "title": f"{slug} team", "member_ids": [str(clinician.user_id)]},
        )
    )
    direct = _created(
        owner.post("/conversations", {"kind": "direct", "user_id": str(clinician.user_id)})
    )
    side = _created(
        clinician.post("/conversations", {"kind": "direct", "user_id": str(outsider.user_id)})
    )
    texts = [
        f"Practice {slug}",
        f"Owner of {slug}",
        f"{title} Clinician",
        f"{title} Outsider",
        f"{slug} team",
        f"{slug} phone",
        f"{slug} secret note from the owner",
        f"{slug} secret note from the clinician",
        f"{slug} secret aside",
    ]
    practice = Practice(
        slug=slug,
        id=owner.get("/me").json()["practice_id"],
        owner=owner,
        clinician=clinician,
        outsider=outsider,
        group=group,
        direct=direct,
        side=side,
        owner_message=_send(owner, group, texts[6]),
        clinician_message=_send(clinician, group, texts[7]),
        side_message=_send(clinician, side, texts[8]),
        texts=texts,
    )
    _send(owner, direct, f"{slug} secret direct note")
    practice.passkeys = [_passkey(services, api) for api in (owner, clinician)]
    _leaver_and_invitee(client, practice)
    practice.grants = [_closed_grant(owner, c) for c in (group, side)]
    practice.holds = [_legal_hold(practice, c) for c in (group, side)]
    _client_messaging(services, client, practice)
    practice.supervision = _created(
        owner.post(
            "/supervisions",
            {"supervisor_id": str(owner.user_id), "supervisee_id": str(clinician.user_id)},
        )
    )
    return practice


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _client_messaging(services: Services, http: Any, p: Practice) -> None:
    """A client of the owner and the clinician, with consent to plain SMS, a thread holding a
    staff message, a staff-only note and the client's own reply from the secure page; the
    practice's own template; three appointments, one asked to confirm; the clinician on call
    now. The client is signed in on the secure page (``p.page``)."""
    title = p.slug.capitalize()
    owner, clinician = p.owner, p.clinician
    names = {
        "name": f"{title} Client Person",
        "preferred_name": f"{title} Client",
        "notes": f"{p.slug} staff notes about the client",
    }
    p.client_phone = CLIENT_PHONES[p.slug]
    body = {
        **names,
        "phone": p.client_phone,
        "email": f"client@{p.slug}.test",
        "clinician_ids": [str(owner.user_id), str(clinician.user_id)],
    }
    created = owner.post("/clients", body)
    p.client = _created(created)
    p.client_thread = created.json()["conversation_id"]
    p.consent = _created(
        owner.post(
            f"/clients/{p.client}/consents", {"channel": "sms", "granted": True, "method": "verbal"}
        )
    )
    template = {"name": f"{title} reminder", "body": f"{title} office: see you at {{time}}."}
    own_template = _created(owner.post("/message-templates", template))
    templates = [t["id"] for t in owner.get("/message-templates").json()]
    assert own_template in templates, templates
    p.templates = [own_template, *(t for t in templates if t != own_template)]
    for text, internal in ((f"{p.slug} client thread note", False), (f"{p.slug} aside", True)):
        sent = clinician.post(
            f"/conversations/{p.client_thread}/client-messages",
            {"text": text, "idempotency_key": uuid.uuid4().hex, "internal": internal},
        )
        assert sent.status_code == 201, sent.text
    now = services.clock.now()
    p.appointments = [
        _created(
            owner.post(
                "/appointments",
                {
                    "client_id": p.client,
                    "clinician_id": str(clinician.user_id),
                    "starts_at": _iso(now + timedelta(days=days)),
                    "length_minutes": 50,
                },
            )
        )
        for days in (2, 3, 4)
    ]
    asked = owner.post(f"/appointments/{p.appointments[1]}/confirmation-request")
    assert asked.status_code == 200, asked.text
    shift = {
        "user_id": str(clinician.user_id),
        "starts_at": _iso(now - timedelta(hours=1)),
        "ends_at": _iso(now + timedelta(hours=12)),
    }
    p.shift = _created(owner.post("/on-call", shift))
    p.page_session = client_page_session(services, http, UUID(str(p.id)), UUID(p.client))
    replied = p.page.post(
        "/messages", {"body": f"{p.slug} client asks about parking", "idempotency_key": "k" * 16}
    )
    assert replied.status_code == 201, replied.text
    thread = owner.get(f"/conversations/{p.client_thread}/messages").json()["messages"]
    p.client_messages = [m["id"] for m in thread]
    assert len(p.client_messages) >= 4, thread  # the two above, the request, the reply
    p.texts += [*names.values(), template["name"]]


def client_page_session(
    services: Services, http: Any, practice_id: UUID, client_id: UUID
) -> ClientPage:
    """The client signs in on the secure page: a link, a code sent by SMS (read from the
    queue in the same transaction, before the outbox can send it), the code checked."""

    def run(unit: Unit) -> str:
        token = issue_link(
            unit,
            practice_id=practice_id,
            client_id=client_id,
            created_by=None,
            ttl=timedelta(hours=1),
        )
        do_send_code(unit, services.lookup_key, token)
        (row,) = [r for r in unit.outbox.for_client(practice_id, client_id) if r.purpose == "code"]
        text = FieldOpener(unit, practice_id).open(
            "outbound_messages", "body_sealed", row.id, row.body_sealed
        )
        code = re.search(r"\b\d{6}\b", text or "")
        assert code is not None, "no code in the text"
        signed = do_verify(unit, services.lookup_key, token, code.group(0))
        assert isinstance(signed, ClientSignedIn), signed
        return signed.token

    session: str = services.db.write_sync(run)
    return ClientPage(
        http,
        f"{client_cookie_name(services.settings)}={session}",
        client_csrf_token(services.lookup_key, session),
    )


def _legal_hold(p: Practice, conversation: str) -> str:
    """A legal hold the owner placed (on the side conversation too: the owner is no member)."""
    reason = f"{p.slug} records request for {conversation}"
    p.texts.append(reason)
    return _created(p.owner.post(f"/conversations/{conversation}/legal-hold", {"reason": reason}))


def _closed_grant(owner: Api, conversation: str) -> str:
    """An emergency access grant, closed again at once: the owner's access is as before."""
    grant = _created(
        owner.post(
            f"/conversations/{conversation}/emergency-access",
            {"reason": "isolation seed: covering a colleague", "minutes": 5},
        )
    )
    closed = owner.delete(f"/conversations/{conversation}/emergency-access/{grant}")
    assert closed.status_code == 204, closed.text
    return grant


def _leaver_and_invitee(client: Any, p: Practice) -> None:
    """Staff joining and leaving: someone who was in the group and left (offboarded to the
    clinician, with a record), and someone invited who has not joined yet."""
    title = p.slug.capitalize()
    leaver = add_staff(p.owner, f"leaver@{p.slug}.test", "clinician", f"{title} Leaver")
    sign_in(client, p.slug, f"leaver@{p.slug}.test", device=f"{p.slug} old phone")
    joined = p.owner.post(f"/conversations/{p.group}/members", {"user_id": str(leaver)})
    assert joined.status_code == 200, joined.text
    p.leaver = str(leaver)
    hand_over = {"hand_to": str(p.clinician.user_id)}
    p.record = _created(p.owner.post(f"/users/{leaver}/offboard", hand_over))
    invitee = {
        "email": f"invitee@{p.slug}.test",
        "display_name": f"{title} Invitee",
        "role": "admin",
    }
    p.invite = _created(p.owner.post("/invites", invitee))
    p.texts += [f"{title} Leaver", f"{title} Invitee"]


def _passkey(services: Services, api: Api) -> str:
    """A stored passkey (registering a real one needs a browser: tests/browser does that)."""
    me = api.get("/me").json()
    passkey = Passkey(
        id=uuid.uuid4(),
        practice_id=UUID(me["practice_id"]),
        user_id=UUID(me["user"]["id"]),
        credential_id=uuid.uuid4().bytes,
        public_key=b"not used here",
        sign_count=0,
        name="Phone",
        created_at=datetime.now(UTC),
        last_used_at=None,
    )
    services.db.write_sync(lambda unit: unit.passkeys.insert(passkey))
    return str(passkey.id)


@pytest.fixture
def alpha(services: Services, client: TestClient) -> Practice:
    return build_practice(services, client, "alpha")


@pytest.fixture
def bravo(services: Services, client: TestClient, alpha: Practice) -> Practice:
    return build_practice(services, client, B_MARKER)


# -- the route matrix -------------------------------------------------------------------------

# Every path parameter the API uses, and how to fill it: with practice B's real ids (each
# one tried), and with an id that is valid for the acting person in A (for the other
# parameters of a route while one is being tested). A new parameter name fails the matrix
# until it is added here.
ID_TABLE: dict[str, tuple[Callable[[Practice], list[str]], Callable[[Practice], str]]] = {
    "conversation_id": (
        lambda p: [p.group, p.direct, p.side, p.client_thread],
        lambda p: p.group,
    ),
    "message_id": (
        lambda p: [p.owner_message, p.clinician_message, p.side_message, *p.client_messages],
        lambda p: p.owner_message,
    ),
    "user_id": (
        lambda p: [str(p.owner.user_id), str(p.clinician.user_id), str(p.outsider.user_id)],
        lambda p: str(p.clinician.user_id),
    ),
    "passkey_id": (lambda p: p.passkeys, lambda p: p.passkeys[0]),
    "device_id": (
        lambda p: [str(p.owner.session_id), str(p.clinician.session_id)],
        lambda p: str(p.clinician.session_id),
    ),
    "invite_id": (lambda p: [p.invite], lambda p: p.invite),
    "record_id": (lambda p: [p.record], lambda p: p.record),
    # grants[0] belongs to the group, the conversation the other parameters default to
    "grant_id": (lambda p: p.grants, lambda p: p.grants[0]),
    "hold_id": (lambda p: p.holds, lambda p: p.holds[0]),
    "client_id": (lambda p: [p.client], lambda p: p.client),
    "template_id": (lambda p: p.templates, lambda p: p.templates[0]),
    "appointment_id": (lambda p: p.appointments, lambda p: p.appointments[0]),
    "shift_id": (lambda p: [p.shift], lambda p: p.shift),
    "supervision_id": (lambda p: [p.supervision], lambda p: p.supervision),
}
# Routes whose valid id in A is not the default above (the control test shows each works).
OWN_ID_OVERRIDES: dict[tuple[str, str], dict[str, Callable[[Practice], str]]] = {
    # only a client's thread has a client to write to, and deliveries to show
    ("POST", f"{PREFIX}/conversations/{{conversation_id}}/client-messages"): {
        "conversation_id": lambda p: p.client_thread
    },
    ("GET", f"{PREFIX}/conversations/{{conversation_id}}/client-deliveries"): {
        "conversation_id": lambda p: p.client_thread
    },
    # the booked appointment is asked to confirm by a later route: cancel the spare one
    ("POST", f"{PREFIX}/appointments/{{appointment_id}}/cancel"): {
        "appointment_id": lambda p: p.appointments[2]
    },
    # offboarding the clinician (an earlier route) handed the client to the outsider, whom
    # POST .../clinicians assigns again: take the outsider off
    ("DELETE", f"{PREFIX}/clients/{{client_id}}/clinicians/{{user_id}}"): {
        "user_id": lambda p: str(p.outsider.user_id)
    },
    # the client can answer only an appointment they were asked to confirm
    ("POST", f"{CLIENT_PREFIX}/appointments/{{appointment_id}}/answer"): {
        "appointment_id": lambda p: p.appointments[1]
    },
}


def own_ids(endpoint: Endpoint, a: Practice) -> dict[str, str]:
    """Ids valid in A for every path parameter of the endpoint."""
    overrides = OWN_ID_OVERRIDES.get((endpoint.method, endpoint.path), {})
    return {p: overrides.get(p, ID_TABLE[p][1])(a) for p in endpoint.params}


def request_body(route: APIRoute, a: Practice) -> dict[str, Any] | None:
    """A valid body for the route, so that only the ids decide the answer."""
    models = [
        hint
        for name, hint in get_type_hints(route.endpoint).items()
        if name != "return" and isinstance(hint, type) and issubclass(hint, BaseModel)
    ]
    if route.body_field is None:
        assert not models, route.path
        return None
    assert len(models) == 1, (route.path, models)
    name = models[0].__name__
    bodies: dict[str, dict[str, Any]] = {
        "ConversationPatch": {"title": "renamed"},
        "MemberIn": {"user_id": str(a.outsider.user_id)},
        "SendIn": {"body": "probe", "idempotency_key": uuid.uuid4().hex},
        "MarkIn": {"kind": "seen", "up_to_seq": 1},
        "UserPatch": {"display_name": "Renamed"},
        "PasswordResetIn": {"new_password": "another long password"},
        "OffboardIn": {"hand_to": str(a.outsider.user_id)},
        "EmergencyAccessIn": {"reason": "isolation probe: on-call review", "minutes": 5},
        "LegalHoldIn": {"reason": "isolation probe: records request"},
        "ClientPatch": {"notes": "isolation probe"},
        "ClinicianIn": {"user_id": str(a.outsider.user_id)},
        "ConsentIn": {"channel": "email", "granted": True, "method": "written"},
        "TemplatePatch": {"name": "Renamed"},
        "ClientMessageIn": {"text": "isolation probe", "idempotency_key": uuid.uuid4().hex},
        "AppointmentPatchIn": {"room": "Room 9"},
        "ShiftPatchIn": {"user_id": str(a.owner.user_id)},
        "AnswerIn": {"answer": "confirm"},
    }
    assert name in bodies, f"{route.path}: add a valid example of {name} to request_body()"
    return bodies[name]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with the /api/v1 prefix
    route: APIRoute

    @property
    def params(self) -> list[str]:
        return list(self.route.param_convertors)


def endpoints_with_ids(app: FastAPI) -> list[Endpoint]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.param_convertors:
            for method in sorted(context.methods or ()):
                found.append(Endpoint(method, str(context.path), route))
    return found


def fill(endpoint: Endpoint, values: dict[str, str]) -> str:
    path = endpoint.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def actors(endpoint: Endpoint, a: Practice) -> list[tuple[str, Api | ClientPage]]:
    """Who acts in A: staff, or on the secure page's routes A's client."""
    if endpoint.path.startswith(CLIENT_PREFIX):
        return [("client", a.page)]
    return [("owner", a.owner), ("clinician", a.clinician)]


def call(api: Api | ClientPage, endpoint: Endpoint, values: dict[str, str], body: Any) -> Any:
    url = fill(endpoint, values)
    return api.client.request(endpoint.method, url, headers=api.headers, json=body)


def cross_practice_cases(
    endpoint: Endpoint, a: Practice, b: Practice
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """(description, B's ids, random ids) pairs for one endpoint."""
    params = endpoint.params
    unknown = [p for p in params if p not in ID_TABLE]
    assert not unknown, f"{endpoint.method} {endpoint.path}: add {unknown} to ID_TABLE"
    # Every parameter from B at once, for each combination of B's ids.
    for combo in itertools.product(*(ID_TABLE[p][0](b) for p in params)):
        yield (
            "all from B",
            dict(zip(params, combo, strict=True)),
            {p: str(uuid.uuid4()) for p in params},
        )
    # One parameter from B, the others valid in A.
    if len(params) > 1:
        for tested in params:
            own = {p: v for p, v in own_ids(endpoint, a).items() if p != tested}
            for value in ID_TABLE[tested][0](b):
                yield f"{tested} from B", {**own, tested: value}, {**own, tested: str(uuid.uuid4())}


def test_other_practices_ids_get_the_same_404_as_random_ids(
    client: TestClient, alpha: Practice, bravo: Practice
) -> None:
    endpoints = endpoints_with_ids(client.app)  # type: ignore[arg-type]
    assert len(endpoints) >= 15, endpoints
    mismatches: list[str] = []
    compared = 0
    for endpoint in endpoints:
        for actor_name, actor in actors(endpoint, alpha):
            for description, theirs, random_ids in cross_practice_cases(endpoint, alpha, bravo):
                body = request_body(endpoint.route, alpha)
                got = call(actor, endpoint, theirs, body)
                expected = call(actor, endpoint, random_ids, request_body(endpoint.route, alpha))
                compared += 1
                where = f"{actor_name}: {endpoint.method} {endpoint.path} ({description})"
                # The owner is an admin, the client acts on their own page: only the id can
                # refuse them. A clinician may also be refused for its role (403), but then
                # for a random id just the same.
                allowed = (403, 404) if actor_name == "clinician" else (404,)
                if got.status_code not in allowed:
                    mismatches.append(f"{where}: {got.status_code} {got.text}")
                elif (got.status_code, got.content, got.headers["content-type"]) != (
                    expected.status_code,
                    expected.content,
                    expected.headers["content-type"],
                ):
                    mismatches.append(f"{where}: {got.text} differs from {expected.text}")
    assert not mismatches, "\n".join(mismatches)
    assert compared > 100
    # B is untouched: nothing above changed B's data.
    assert_practice_intact(bravo)


def assert_practice_intact(p: Practice) -> None:
    users = {u["id"]: u for u in p.owner.get("/users").json()}
    assert len(users) == 4
    assert [u["id"] for u in users.values() if not u["is_active"]] == [p.leaver]
    invites = p.owner.get("/invites").json()
    assert [(i["id"], i["state"]) for i in invites] == [(p.invite, "pending")]
    assert [r["id"] for r in p.owner.get("/offboarding-records").json()] == [p.record]
    holds = p.owner.get("/legal-holds").json()
    assert sorted(h["id"] for h in holds if h["active"]) == sorted(p.holds)  # none released
    assert users[str(p.clinician.user_id)]["display_name"] == f"{p.slug.capitalize()} Clinician"
    group = p.owner.get(f"/conversations/{p.group}").json()
    assert group["title"] == f"{p.slug} team"
    assert sorted(group["member_ids"]) == sorted([str(p.owner.user_id), str(p.clinician.user_id)])
    messages = p.clinician.get(f"/conversations/{p.group}/messages").json()["messages"]
    assert [m["id"] for m in messages] == [p.owner_message, p.clinician_message]
    assert p.clinician.get("/me").status_code == 200  # the device was not revoked
    assert_client_messaging_intact(p)
    assert [s["id"] for s in p.owner.get("/supervisions").json()] == [p.supervision]


def assert_client_messaging_intact(p: Practice) -> None:
    title = p.slug.capitalize()
    found = p.owner.get(f"/clients/{p.client}").json()
    assert (found["name"], found["notes"], found["archived_at"]) == (
        f"{title} Client Person",
        f"{p.slug} staff notes about the client",
        None,
    )
    assert sorted(found["clinician_ids"]) == sorted(
        [str(p.owner.user_id), str(p.clinician.user_id)]
    )
    assert (found["conversation_id"], found["phone"]) == (p.client_thread, p.client_phone)
    assert found["consent"] == {"sms": True, "email": False}
    consents = p.owner.get(f"/clients/{p.client}/consents").json()["history"]
    assert [c["id"] for c in consents] == [p.consent]
    thread = p.owner.get(f"/conversations/{p.client_thread}/messages").json()["messages"]
    assert [m["id"] for m in thread] == p.client_messages
    assert sorted(p.clinician.get(f"/conversations/{p.client_thread}").json()["member_ids"]) == (
        sorted([str(p.owner.user_id), str(p.clinician.user_id)])
    )
    templates = {t["id"]: t for t in p.owner.get("/message-templates").json()}
    assert sorted(templates) == sorted(p.templates)
    assert (templates[p.templates[0]]["name"], templates[p.templates[0]]["body"]) == (
        f"{title} reminder",
        f"{title} office: see you at {{time}}.",
    )
    appointments = [p.owner.get(f"/appointments/{a}").json() for a in p.appointments]
    assert [(a["status"], a["room"], a["client_id"]) for a in appointments] == [
        ("scheduled", None, p.client)
    ] * 3
    assert [a["confirmation_requested_at"] is not None for a in appointments] == [
        False,
        True,
        False,
    ]
    assert appointments[1]["responded_at"] is None  # not answered
    shifts = p.owner.get("/on-call").json()
    assert [(s["id"], s["user_id"]) for s in shifts] == [(p.shift, str(p.clinician.user_id))]
    page = p.page.get("/thread")  # the client's page session was not ended
    assert page.status_code == 200, page.text


def test_the_matrix_ids_and_bodies_work_in_their_own_practice(
    client: TestClient, alpha: Practice, bravo: Practice
) -> None:
    """Control for the matrix: the same requests with A's own ids are not 404 for A's owner
    (for A's client on the secure page's routes), so the 404s above come from the practice
    scoping, not from a malformed request."""
    endpoints = endpoints_with_ids(client.app)  # type: ignore[arg-type]
    assert set(OWN_ID_OVERRIDES) <= {(e.method, e.path) for e in endpoints}, "a stale override"
    for endpoint in endpoints:
        actor = actors(endpoint, alpha)[0][1]  # the owner, or the client on the page
        response = call(
            actor, endpoint, own_ids(endpoint, alpha), request_body(endpoint.route, alpha)
        )
        assert response.status_code < 400, (endpoint.method, endpoint.path, response.text)


def test_ids_in_bodies_and_queries_are_scoped_too(alpha: Practice, bravo: Practice) -> None:
    a = alpha.owner
    b_user = str(bravo.clinician.user_id)
    random_user = str(uuid.uuid4())
    pairs: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (
            "POST",
            "/conversations",
            {"kind": "direct", "user_id": b_user},
            {"kind": "direct", "user_id": random_user},
        ),
        (
            "POST",
            "/conversations",
            {"kind": "group", "title": "x", "member_ids": [b_user]},
            {"kind": "group", "title": "x", "member_ids": [random_user]},
        ),
        (
            "POST",
            f"/conversations/{alpha.group}/members",
            {"user_id": b_user},
            {"user_id": random_user},
        ),
        (
            "POST",
            "/search",
            {"query": "secret", "conversation_id": bravo.group},
            {"query": "secret", "conversation_id": str(uuid.uuid4())},
        ),
        (
            "POST",
            f"/users/{alpha.outsider.user_id}/offboard",
            {"hand_to": b_user},
            {"hand_to": random_user},
        ),
        *_client_messaging_pairs(alpha, bravo),
        *_legal_hold_pairs(bravo),
        (
            "POST",
            "/supervisions",
            {"supervisor_id": str(alpha.owner.user_id), "supervisee_id": b_user},
            {"supervisor_id": str(alpha.owner.user_id), "supervisee_id": random_user},
        ),
    ]
    for method, path, theirs, random_body in pairs:
        got = a.client.request(method, f"{PREFIX}{path}", headers=a.headers, json=theirs)
        expected = a.client.request(method, f"{PREFIX}{path}", headers=a.headers, json=random_body)
        assert got.status_code == expected.status_code, (path, got.text)
        assert got.status_code >= 400 or got.json() == [], (path, got.text)
        assert got.content == expected.content, (path, got.text, expected.text)
    for query in (
        f"actor_user_id={bravo.owner.user_id}",
        f"subject_id={bravo.group}",
        f"subject_id={bravo.clinician.user_id}",
        f"subject_id={bravo.client}",
        f"subject_id={bravo.appointments[1]}",
    ):
        response = a.get(f"/audit?{query}")
        assert response.status_code == 200, response.text
        assert response.json() == [], query
    # A client filter or scope naming B's client: the same 404 as a random client.
    for path in ("/audit", "/audit/export", "/audit/access-report", "/audit/access-report/export"):
        found = a.get(f"{path}?client_id={bravo.client}")
        none = a.get(f"{path}?client_id={uuid.uuid4()}")
        assert found.status_code == none.status_code == 404, (path, found.text)
        assert found.content == none.content, (path, found.text, none.text)
    window = f"from={_iso(_days(-1))}&to={_iso(_days(7))}"
    for their_query, random_query in (
        (f"client_id={bravo.client}", f"client_id={uuid.uuid4()}"),
        (f"clinician_id={b_user}", f"clinician_id={uuid.uuid4()}"),
    ):
        found = a.get(f"/appointments?{window}&{their_query}")
        none = a.get(f"/appointments?{window}&{random_query}")
        assert found.status_code == none.status_code, (their_query, found.text)
        assert found.status_code >= 400 or found.json() == [], (their_query, found.text)
        assert found.content == none.content, (their_query, found.text, none.text)


def _days(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=n)


def _legal_hold_pairs(bravo: Practice) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """A hold on B's client or conversation (POST /legal-holds names it in the body)."""
    reason = {"reason": "Records request 2026-114"}
    return [
        ("POST", "/legal-holds", {**reason, name: theirs}, {**reason, name: str(uuid.uuid4())})
        for name, theirs in (
            ("client_id", bravo.client),
            ("conversation_id", bravo.group),
            ("conversation_id", bravo.client_thread),
        )
    ]


def _client_messaging_pairs(
    alpha: Practice, bravo: Practice
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """B's ids in the bodies of the client-messaging routes, and random ones."""
    b_user = str(bravo.clinician.user_id)
    random_id = str(uuid.uuid4())
    booking = {"starts_at": _iso(_days(5)), "length_minutes": 50}
    shift = {"starts_at": _iso(_days(1)), "ends_at": _iso(_days(1.5))}
    key = uuid.uuid4().hex
    swaps: list[tuple[str, str, dict[str, Any], str, str]] = [
        ("POST", "/clients", {"name": "Probe Client"}, "clinician_ids", b_user),
        ("POST", f"/clients/{alpha.client}/clinicians", {}, "user_id", b_user),
        ("POST", "/appointments", booking, "client_id", bravo.client),
        ("POST", "/appointments", {**booking, "client_id": alpha.client}, "clinician_id", b_user),
        ("PATCH", f"/appointments/{alpha.appointments[0]}", {}, "clinician_id", b_user),
        ("POST", "/running-late", {"minutes": 5}, "clinician_id", b_user),
        ("POST", "/on-call", shift, "user_id", b_user),
        ("PATCH", f"/on-call/shifts/{alpha.shift}", {}, "user_id", b_user),
        (
            "POST",
            f"/conversations/{alpha.client_thread}/client-messages",
            {"idempotency_key": key},
            "template_id",
            bravo.templates[0],
        ),
        ("POST", "/guard/check", {"text": "see you then"}, "conversation_id", bravo.client_thread),
    ]
    pairs = []
    for method, path, base, name, theirs in swaps:
        as_list = name.endswith("_ids")
        pairs.append(
            (
                method,
                path,
                {**base, name: [theirs] if as_list else theirs},
                {**base, name: [random_id] if as_list else random_id},
            )
        )
    return pairs


# -- lists never show the other practice ------------------------------------------------------


def assert_nothing_of(b: Practice, text: str, where: str) -> None:
    lowered = text.lower()
    assert B_MARKER not in lowered, f"{where} shows practice B's names or content: {text}"
    assert b.client_phone not in text, f"{where} shows the phone of practice B's client: {text}"
    for value in b.ids():
        assert value.lower() not in lowered, f"{where} shows practice B's id {value}: {text}"


def test_lists_show_nothing_of_another_practice(
    client: TestClient, alpha: Practice, bravo: Practice
) -> None:
    # Every GET without path parameters (the lists, /me, policy, audit...), generated.
    list_paths = sorted(
        str(c.path)
        for c in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(c.original_route, APIRoute)
        and "GET" in (c.methods or ())
        and not c.original_route.param_convertors
        and str(c.path).startswith(PREFIX)
    )
    for required in (
        "/conversations",
        "/users",
        "/audit",
        "/me/devices",
        "/devices",
        "/invites",
        "/offboarding-records",
        "/clients",
        "/message-templates",
        "/appointments",
        "/on-call",
        "/on-call/now",
        "/practice/client-messaging",
        "/supervisions",
        "/supervision/threads",
    ):
        assert f"{PREFIX}{required}" in list_paths
    window = f"from={_iso(_days(-1))}&to={_iso(_days(7))}"
    for actor in (alpha.owner, alpha.clinician, alpha.outsider):
        for path in list_paths:
            response = client.get(path, headers=actor.headers)
            assert response.status_code in (200, 403), (path, response.text)
            assert_nothing_of(bravo, response.text, path)
        for path in (
            f"/users/{alpha.clinician.user_id}/devices",
            f"/conversations/{alpha.group}/messages",
            f"/conversations/{alpha.side}/messages",
            f"/conversations/{alpha.client_thread}/messages",
            f"/conversations/{alpha.client_thread}/client-deliveries",
            f"/clients/{alpha.client}",
            f"/clients/{alpha.client}/consents",
            f"/appointments?{window}",
            f"/on-call?{window}",
        ):
            assert_nothing_of(bravo, actor.get(path).text, path)
        for path, body in (
            ("/search", {"query": "secret"}),
            ("/search", {"query": "client"}),
            ("/client-search", {"query": "client"}),
            ("/client-search", {"query": B_MARKER}),
            ("/client-search", {}),
        ):
            found = actor.post(path, body)
            assert found.status_code == 200, found.text
            assert_nothing_of(bravo, found.text, path)
    # The client on the secure page sees only their own thread and appointments.
    page = alpha.page.get("/thread").text
    assert_nothing_of(bravo, page, "the client page")
    assert "alpha client asks about parking" in page
    assert alpha.appointments[1] in page
    # The lists do show A's own records (so the checks above looked at real content).
    owner = alpha.owner
    assert alpha.client in owner.get("/clients").text
    assert alpha.client_phone in owner.get(f"/clients/{alpha.client}").text
    assert alpha.client in owner.post("/client-search", {"query": "client"}).text
    assert alpha.client in alpha.clinician.post("/client-search", {"query": "client"}).text
    assert owner.post("/client-search", {"query": B_MARKER}).json() == []
    assert alpha.client not in alpha.outsider.get("/clients").text  # not assigned
    assert all(t in owner.get("/message-templates").text for t in alpha.templates)
    assert all(a in owner.get(f"/appointments?{window}").text for a in alpha.appointments)
    assert alpha.shift in owner.get(f"/on-call?{window}").text
    assert [p["user_id"] for p in owner.get("/on-call/now").json()] == [
        str(alpha.clinician.user_id)
    ]
    assert (
        alpha.client_messages[-1]
        in owner.get(f"/conversations/{alpha.client_thread}/messages").text
    )
    assert "alpha client asks about parking" in owner.post("/search", {"query": "parking"}).text
    owner_view = {
        "/conversations": alpha.owner.get("/conversations").text,
        "/users": alpha.owner.get("/users").text,
        "/me/devices": alpha.owner.get("/me/devices").text,
        "/audit": alpha.owner.get("/audit?limit=1000").text,
        "search": alpha.owner.post("/search", {"query": "secret"}).text,
    }
    assert alpha.group in owner_view["/conversations"]
    assert alpha.side not in owner_view["/conversations"]  # not a member
    assert "Alpha Outsider" in owner_view["/users"]
    assert alpha.invite in alpha.owner.get("/invites").text
    assert alpha.record in alpha.owner.get("/offboarding-records").text
    assert all(hold in alpha.owner.get("/legal-holds").text for hold in alpha.holds)
    assert str(alpha.clinician.session_id) in alpha.owner.get("/devices").text
    assert str(alpha.owner.session_id) in owner_view["/me/devices"]
    assert alpha.owner_message in owner_view["/audit"]
    assert "alpha secret note from the clinician" in owner_view["search"]
    assert "alpha secret aside" not in owner_view["search"]  # not a member


# -- non-members inside one practice ----------------------------------------------------------


def test_a_non_member_gets_404_not_403_on_every_conversation_route(
    client: TestClient, alpha: Practice, bravo: Practice
) -> None:
    """The owner (an admin) and the outsider are not in these conversations: every route
    answers as if they did not exist, byte for byte."""
    cases = [
        (alpha.owner, alpha.side, alpha.side_message),  # an admin is no member either
        (alpha.outsider, alpha.group, alpha.clinician_message),
        (alpha.outsider, alpha.direct, alpha.owner_message),
        (alpha.outsider, alpha.client_thread, alpha.client_messages[0]),  # not assigned
    ]
    checked = 0
    for endpoint in endpoints_with_ids(client.app):  # type: ignore[arg-type]
        if (
            "conversation_id" not in endpoint.params
            or "/emergency-access" in endpoint.path
            or endpoint.path.endswith("/legal-hold")
        ):
            continue
        for actor, conversation, message in cases:
            own = own_ids(endpoint, alpha)
            theirs = {**own, "conversation_id": conversation}
            if "message_id" in endpoint.params:
                theirs["message_id"] = message
            random_ids = {**theirs, "conversation_id": str(uuid.uuid4())}
            got = call(actor, endpoint, theirs, request_body(endpoint.route, alpha))
            expected = call(actor, endpoint, random_ids, request_body(endpoint.route, alpha))
            where = (endpoint.method, endpoint.path, str(actor.user_id))
            assert got.status_code == 404, (*where, got.text)
            assert got.content == expected.content, where
            checked += 1
    assert checked >= 12 * 4  # conversation routes x cases
    assert alpha.outsider.get(f"/conversations/{alpha.side}").status_code == 200
    assert_emergency_access_routes_answer_non_members(alpha)
    assert_legal_hold_route_answers_non_members(alpha)


def assert_emergency_access_routes_answer_non_members(alpha: Practice) -> None:
    """The break-glass routes are the deliberate exception above: an owner or admin may open
    (and list, and close) emergency access to any conversation of the practice without being
    a member (tests/test_oversight.py). Anyone else: listing is the same 404 as for a missing
    conversation, and opening or closing is refused for the role, whatever the id."""
    for conversation in (alpha.group, alpha.direct):
        random_id = str(uuid.uuid4())
        outsider = alpha.outsider
        got = outsider.get(f"/conversations/{conversation}/emergency-access")
        expected = outsider.get(f"/conversations/{random_id}/emergency-access")
        assert got.status_code == 404, got.text
        assert got.content == expected.content
        body = {"reason": "not allowed to do this", "minutes": 5}
        for cid in (conversation, random_id):
            opened = outsider.post(f"/conversations/{cid}/emergency-access", body)
            assert opened.status_code == 403, opened.text
            closed = outsider.delete(f"/conversations/{cid}/emergency-access/{alpha.grants[0]}")
            assert closed.status_code == 403, closed.text
    # the owner is no member of the side conversation, yet may list its (closed) grant
    listed = alpha.owner.get(f"/conversations/{alpha.side}/emergency-access")
    assert listed.status_code == 200, listed.text
    assert [g["id"] for g in listed.json()] == [alpha.grants[1]]


def assert_legal_hold_route_answers_non_members(alpha: Practice) -> None:
    """Placing a legal hold is another deliberate exception: an owner or admin may hold any
    conversation of the practice (a case may need one they are not in; the audit trail
    already shows them its id). Anyone else is refused for the role, whatever the id."""
    body = {"reason": "not allowed to do this"}
    for conversation in (alpha.group, alpha.direct):
        random_id = str(uuid.uuid4())
        got = alpha.outsider.post(f"/conversations/{conversation}/legal-hold", body)
        expected = alpha.outsider.post(f"/conversations/{random_id}/legal-hold", body)
        assert got.status_code == 403, got.text
        assert got.content == expected.content
    # The owner is no member of the side conversation, and held it in build_practice.
    holds = {h["id"]: h for h in alpha.owner.get("/legal-holds").json()}
    assert holds[alpha.holds[1]]["conversation_id"] == alpha.side
    missing = alpha.owner.post(f"/conversations/{uuid.uuid4()}/legal-hold", body)
    assert missing.status_code == 404, missing.text


# -- the WebSocket ----------------------------------------------------------------------------


def open_socket(stack: contextlib.ExitStack, live: LiveServer, api: Api) -> ClientConnection:
    ws = stack.enter_context(connect(live.ws_url, open_timeout=10))
    ws.send(json.dumps({"type": "auth", "token": api.token}))
    ready = json.loads(ws.recv(timeout=10))
    assert ready["type"] == "ready", ready
    return ws


def next_frame(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return frame


def frames_until(ws: ClientConnection, done: Callable[[dict[str, Any]], bool]) -> list[Any]:
    frames = []
    while True:
        frame = next_frame(ws)
        frames.append(frame)
        if done(frame):
            return frames


def ok(response: Any, status: int = 200) -> None:
    assert response.status_code == status, response.text


def test_a_socket_never_receives_another_practices_events(live_server: LiveServer) -> None:
    with (
        httpx.Client(base_url=live_server.url, timeout=30) as http,
        contextlib.ExitStack() as stack,
    ):
        alpha = build_practice(live_server.services, http, "alpha")
        bravo = build_practice(live_server.services, http, B_MARKER)
        a_owner = open_socket(stack, live_server, alpha.owner)
        a_clinician = open_socket(stack, live_server, alpha.clinician)
        a_outsider = open_socket(stack, live_server, alpha.outsider)
        b_owner = open_socket(stack, live_server, bravo.owner)
        b_clinician = open_socket(stack, live_server, bravo.clinician)

        # Everything that makes events in B: messages, membership, receipts, recall, policy,
        # revocation, deactivation, a new channel.
        b, bo, bc = bravo, bravo.owner, bravo.clinician
        _send(bc, b.group, "bravo message one")
        _send(bo, b.direct, "bravo message two")
        # ... client messaging: a client, their thread (both ways), appointments, on call
        client_body = {"name": "Bravo Newcomer", "clinician_ids": [str(bc.user_id)]}
        ok(bo.post("/clients", client_body), 201)
        note = {"text": "bravo to the client", "idempotency_key": uuid.uuid4().hex}
        ok(bc.post(f"/conversations/{b.client_thread}/client-messages", note), 201)
        reply = {"body": "bravo client again", "idempotency_key": uuid.uuid4().hex}
        ok(b.page.post("/messages", reply), 201)
        ok(b.page.post(f"/appointments/{b.appointments[1]}/answer", {"answer": "confirm"}))
        ok(bo.post(f"/appointments/{b.appointments[2]}/cancel"))
        ok(bo.patch(f"/on-call/shifts/{b.shift}", {"user_id": str(bo.user_id)}))
        outsider = {"user_id": str(b.outsider.user_id)}
        ok(bo.post(f"/conversations/{b.group}/members", outsider))
        ok(bo.patch(f"/conversations/{b.group}", {"title": "bravo renamed"}))
        ok(bc.post(f"/conversations/{b.group}/receipts", {"kind": "seen", "up_to_seq": 3}))
        ok(bo.delete(f"/conversations/{b.group}/members/{b.outsider.user_id}"), 204)
        ok(bo.delete(f"/conversations/{b.group}/messages/{b.owner_message}"), 204)
        ok(bo.patch("/practice/policy", {"recall_window_minutes": 30}))
        ok(bo.delete(f"/devices/{bc.session_id}"), 204)
        ok(bo.post(f"/users/{b.outsider.user_id}/deactivate"))
        reason = {"reason": "bravo emergency review", "minutes": 5}
        ok(bo.post(f"/conversations/{b.side}/emergency-access", reason), 201)
        hold = {"reason": "bravo records request"}
        ok(bo.post(f"/conversations/{b.group}/legal-hold", hold), 201)
        ok(bo.delete(f"/legal-holds/{b.holds[0]}"), 204)
        channel = {"kind": "group", "title": "bravo new", "member_ids": [str(bc.user_id)]}
        ok(bo.post("/conversations", channel), 201)
        last = _send(bo, b.group, "bravo final message")

        # B's own sockets did get B's events (so the activity above made events, and they
        # were all dispatched: the hub delivers in commit order) ...
        b_seen = frames_until(
            b_owner, lambda f: f.get("type") == "message.created" and f["message"]["id"] == last
        )
        kinds = {f["type"] for f in b_seen}
        assert {
            "message.created",
            "membership.added",
            "membership.removed",
            "conversation.updated",
            "receipt.updated",
            "message.recalled",
            "policy.changed",
        } <= kinds, kinds
        revoked = frames_until(b_clinician, lambda f: f.get("type") == "session.revoked")
        assert revoked[-1]["type"] == "session.revoked"

        # ... and A's sockets got none: their next frame is A's own next message.
        mine = _send(alpha.clinician, alpha.group, "alpha after all that")
        for ws in (a_owner, a_clinician):
            frame = next_frame(ws)
            assert frame["type"] == "message.created", frame
            assert frame["message"]["id"] == mine
        for ws in (a_owner, a_clinician, a_outsider):
            ws.send(json.dumps({"type": "ping"}))
            assert next_frame(ws) == {"type": "pong"}
