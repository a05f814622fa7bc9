"""Test data made through the server's own API (the owner adds staff, people sign in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from playwright.sync_api import expect

from tests.browser import ui
from tests.browser.push_service import Subscription
from tests.browser.support import Device
from tests.browser.ui import marker
from tests.conftest import Api, PracticeHandle, add_staff, sign_in
from tests.live_support import create_group, send_message


@dataclass(frozen=True)
class Person:
    id: UUID
    email: str
    name: str


@dataclass(frozen=True)
class Team:
    """A practice with its owner (signed in through the API) and three clinicians."""

    practice: PracticeHandle
    http: httpx.Client
    owner: Api
    owner_name: str
    avery: Person
    blake: Person
    casey: Person

    def api(self, person: Person, device: str = "api device") -> Api:
        """``person`` signed in through the API (a device of its own)."""
        return sign_in(self.http, self.practice.slug, person.email, device=device)


def make_team(http: httpx.Client, practice: PracticeHandle, owner: Api) -> Team:
    people = []
    for first in ("Avery", "Blake", "Casey"):
        name = f"{first} {marker('N')}"
        email = f"{first.lower()}@{practice.slug}.test"
        people.append(Person(add_staff(owner, email, name=name), email, name))
    me = owner.get("/me")
    assert me.status_code == 200, me.text
    return Team(practice, http, owner, me.json()["user"]["display_name"], *people)


def subscribe_push(api: Api, subscription: Subscription) -> None:
    """Bind a push subscription to the API device, as the app does for a browser."""
    response = api.client.put(
        "/api/v1/me/push-subscription", json=subscription.as_json(), headers=api.headers
    )
    assert response.status_code in (200, 201, 204), response.text


def vapid_public_key(api: Api) -> str:
    response = api.get("/push/vapid-key")
    assert response.status_code == 200, response.text
    key: str = response.json()["public_key"]
    return key


def users(api: Api) -> dict[str, dict[str, Any]]:
    response = api.get("/users")
    assert response.status_code == 200, response.text
    return {u["id"]: u for u in response.json()}


def content_on_screen(team: Team, device: Device, person: Person) -> list[str]:
    """Sign ``person`` in on ``device``, open a conversation with a message from the owner,
    and send one; the markers now on screen (title, received text, sent text)."""
    title = ui.marker("Title")
    received = ui.marker("received")
    cid = create_group(team.owner, title, [person.id])
    send_message(team.owner, cid, received)
    ui.sign_in(device, team.practice.slug, person.email)
    ui.open_conversation(device.page, title)
    expect(ui.messages(device.page)).to_contain_text(received, timeout=ui.SHOW)
    sent = ui.marker("sent")
    ui.send(device.page, sent)
    return [title, received, sent]
