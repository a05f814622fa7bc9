"""Web Push as the push service sees it: decrypted, and never more than the generic payload.

Each recipient's "phone" is a device signed in through the API whose push subscription points
at the local stand-in (``push_service``); its keys were made by the test, so the stand-in
decrypts exactly what the server sent. Messages are sent from a browser.
"""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser import ui
from tests.browser.push_service import PushService
from tests.browser.seed import Team, subscribe_push, users, vapid_public_key
from tests.browser.support import Devices, check_generic_pushes, generic_payload
from tests.live_support import create_direct, create_group, history, send_message

QUIET = 1.0  # seconds with no push that show nothing more is coming (the server gathers 0.3 s)


def test_in_session_holds_routine_pushes_and_lets_urgent_ones_through(
    devices: Devices, team: Team, push_service: PushService
) -> None:
    avery, blake, slug = team.avery, team.blake, team.practice.slug
    cid = create_direct(team.api(avery), blake.id)
    blakes_phone = team.api(blake, "blake's phone")
    subscription = push_service.subscribe()
    subscribe_push(blakes_phone, subscription)

    sender = devices.open("desktop", "avery's desk")
    therapist = devices.open("desktop", "blake's desk")
    ui.sign_in(sender, slug, avery.email)
    ui.sign_in(therapist, slug, blake.email)
    ui.set_in_session(therapist.page, 50)
    assert users(team.owner)[str(blake.id)]["in_session_until"] is not None

    ui.open_conversation(sender.page, blake.name)
    routine = [ui.marker("routine"), ui.marker("routine")]
    urgent = ui.marker("urgent")
    push_service.forbid(avery.name, blake.name, *routine, urgent)
    for text in routine:
        ui.send(sender.page, text)
    ui.send(sender.page, urgent, urgent=True)
    bodies = [m["body"] for m in history(blakes_phone, cid)]
    assert [*routine, urgent] == bodies[-3:], "the three messages were not all stored"

    # Only the urgent message gets through while Blake is in session.
    (first,) = push_service.wait_for(1, subscription)
    assert first.json() == generic_payload(1)
    assert push_service.quiet_for(QUIET, subscription) == [], "a routine push was not held"

    # Ending the session releases one notification with the count of what was held.
    ui.end_session(therapist.page)
    released = push_service.wait_for(2, subscription)[1]
    assert released.json() == generic_payload(2)
    assert push_service.quiet_for(QUIET, subscription) == []
    assert users(team.owner)[str(blake.id)]["in_session_until"] is None

    # Out of session, a routine message is pushed at once.
    after = ui.marker("after")
    push_service.forbid(after)
    ui.send(sender.page, after)
    latest = push_service.wait_for(3, subscription)[2]
    assert latest.json() == generic_payload(1)


def test_every_push_is_exactly_the_generic_payload(
    devices: Devices, team: Team, push_service: PushService
) -> None:
    avery, blake, casey, slug = team.avery, team.blake, team.casey, team.practice.slug
    title = ui.marker("Title")
    cid = create_group(team.owner, title, [avery.id, blake.id, casey.id])
    subscriptions = {}
    for person in (blake, casey):
        subscription = push_service.subscribe()
        subscribe_push(team.api(person, f"{person.email} phone"), subscription)
        subscriptions[person.email] = subscription
    vapid_key = vapid_public_key(team.owner)

    sender = devices.open("phone", "avery's phone")
    ui.sign_in(sender, slug, avery.email)
    ui.open_conversation(sender.page, title)
    texts = [ui.marker("text"), ui.marker("urgent")]
    burst = [ui.marker("burst") for _ in range(3)]
    push_service.forbid(title, avery.name, blake.name, casey.name, team.owner_name, *texts, *burst)
    ui.send(sender.page, texts[0])
    for subscription in subscriptions.values():
        push_service.wait_for(1, subscription)
    ui.send(sender.page, texts[1], urgent=True)
    for subscription in subscriptions.values():
        push_service.wait_for(2, subscription)
    # A burst sent at once through the API (one push with its count, or a few: 5 in all).
    for text in burst:
        send_message(team.owner, cid, text)
    for subscription in subscriptions.values():
        push_service.wait_for(3, subscription)
    push_service.quiet_for(QUIET)
    expect(ui.messages(sender.page)).to_contain_text(burst[-1], timeout=ui.SHOW)

    captured = push_service.requests()
    assert check_generic_pushes(captured, tuple(push_service.forbidden)) == []
    for subscription in subscriptions.values():
        mine = push_service.requests(subscription)
        counts = [r.json()["count"] for r in mine]
        assert sum(counts) == 5, counts
        assert counts[:2] == [1, 1], counts
        assert mine[-1].json() == generic_payload(counts[-1])
    now = time.time()
    for r in captured:
        assert r.headers.get("content-encoding") == "aes128gcm"
        assert int(r.headers.get("ttl", "-1")) >= 0
        assert r.vapid is not None
        assert r.vapid.signature_valid
        assert r.vapid.public_key == vapid_key
        assert r.vapid.claims["aud"] == push_service.origin
        assert now < r.vapid.claims["exp"] <= now + 24 * 3600 + 60
        assert str(r.vapid.claims.get("sub", "")).startswith(("mailto:", "https://"))
