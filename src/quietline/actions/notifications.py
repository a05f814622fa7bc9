"""Push subscriptions, and who gets a notification now, later (in session) or not at all.

A notification says only the practice's generic words ("New secure message" unless the policy's
``notification_text`` says otherwise) and a count (see
:func:`quietline.notify.webpush.generic_payload`); these actions decide *when*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from quietline.actions.context import Actor
from quietline.crypto.envelope import read_header
from quietline.crypto.fields import open_user_secret, seal_user_secret
from quietline.domain.errors import InvalidInput, present
from quietline.domain.events import Event, user_topic
from quietline.notify.webpush import EndpointRefused, check_endpoint
from quietline.storage.unit import Unit

_PURPOSE = "push-subscription"
PUSH_TOPIC = "push"  # the notifier's topic: message events it must consider
URGENT_ALERT = "urgent.alert"  # a client in crisis: named people are alerted, never held


@dataclass(frozen=True, slots=True)
class PushJob:
    """Notify one device of ``count`` new messages, in the practice's generic words."""

    practice_id: UUID
    session_id: UUID
    subscription: dict[str, object]
    count: int
    text: str | None = None  # the policy's notification_text when the job was planned


def do_subscribe_push(
    unit: Unit, actor: Actor, endpoint: str, p256dh: str, auth: str, allowed_hosts: tuple[str, ...]
) -> None:
    """Bind this device's push subscription (one per device; a new one replaces it)."""
    try:
        check_endpoint(endpoint, allowed_hosts)
    except EndpointRefused as exc:
        raise InvalidInput(str(exc)) from None
    stored, key = unit.practice_key(actor.practice_id)
    subscription = json.dumps({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
    sealed = seal_user_secret(
        key, stored.key_id, actor.practice_id, actor.user_id, _PURPOSE, subscription
    )
    unit.notifications.replace_subscription(
        actor.practice_id, actor.user_id, actor.session_id, sealed, unit.now
    )


def do_unsubscribe_push(unit: Unit, actor: Actor) -> None:
    unit.notifications.delete_subscriptions(actor.practice_id, [actor.session_id])


def _jobs_for(unit: Unit, practice_id: UUID, counts: dict[UUID, int]) -> list[PushJob]:
    jobs: list[PushJob] = []
    live_users = [user_id for user_id, n in counts.items() if n > 0]
    text: str | None = None
    for sub in unit.notifications.subscriptions_for(practice_id, live_users):
        if not jobs:  # the policy as it is now: a change applies to the next notification
            text = present(unit.practices.get(practice_id), "practice").policy.notification_text
        key_id = read_header(sub.subscription_sealed).key_id
        key = unit.keyring.practice_key(practice_id, unit.practices.key(practice_id, key_id))
        opened = open_user_secret(key, practice_id, sub.user_id, _PURPOSE, sub.subscription_sealed)
        jobs.append(
            PushJob(practice_id, sub.session_id, json.loads(opened), counts[sub.user_id], text)
        )
    return jobs


def plan_notifications(unit: Unit, events: list[Event]) -> list[PushJob]:
    """For new messages: notify each recipient now, or hold a count while they are in session
    (urgent messages are never held). Runs in one write after the messages committed."""
    per_practice: dict[UUID, dict[UUID, int]] = {}
    held: dict[tuple[UUID, UUID], int] = {}
    members_cache: dict[UUID, list[UUID]] = {}
    # Per practice, once per batch: who has a device to notify, and who is in session.
    subscribed: dict[UUID, set[UUID]] = {}
    in_session: dict[UUID, set[UUID]] = {}
    for event in events:
        if event.kind != "message.created":
            continue
        practice_id = event.practice_id
        if practice_id not in subscribed:
            subscribed[practice_id] = unit.notifications.subscribed_users(practice_id)
            in_session[practice_id] = set(unit.status.for_practice(practice_id, unit.now))
        if not subscribed[practice_id]:
            continue  # nobody in the practice has notifications on: nothing to decide
        conversation_id = UUID(event.data["conversation_id"])
        # None: the client of a client thread wrote it (every staff member is told).
        sender = UUID(event.data["sender_id"]) if event.data.get("sender_id") else None
        if conversation_id not in members_cache:
            members_cache[conversation_id] = unit.conversations.member_ids(
                practice_id, conversation_id
            )
        counts = per_practice.setdefault(practice_id, {})
        for user_id in members_cache[conversation_id]:
            if user_id == sender or user_id not in subscribed[practice_id]:
                continue
            if user_id in in_session[practice_id] and not event.data.get("urgent"):
                held[(practice_id, user_id)] = held.get((practice_id, user_id), 0) + 1
            else:
                counts[user_id] = counts.get(user_id, 0) + 1
    for (practice_id, user_id), n in held.items():
        unit.notifications.hold(practice_id, user_id, n, unit.now)
    jobs: list[PushJob] = []
    for practice_id, counts in per_practice.items():
        jobs.extend(_jobs_for(unit, practice_id, counts))
    return jobs


def urgent_alert(
    practice_id: UUID,
    user_id: UUID,
    *,
    client_id: UUID,
    conversation_id: UUID,
    message_id: UUID,
) -> Event:
    """An urgent alert to one person (a client's message read as a crisis): to their
    devices' sockets (their user topic) and to the notifier, which pushes it at once even
    while they are in session. Ids only; the push says the practice's generic words."""
    return Event(
        practice_id,
        URGENT_ALERT,
        (user_topic(user_id), PUSH_TOPIC),
        {
            "user_id": str(user_id),
            "client_id": str(client_id),
            "conversation_id": str(conversation_id),
            "message_id": str(message_id),
        },
    )


def plan_urgent_alerts(unit: Unit, events: list[Event]) -> list[PushJob]:
    """One notification per alert to each named person's devices, now: an alert is never
    held, whatever their status, and needs no conversation membership."""
    per_practice: dict[UUID, dict[UUID, int]] = {}
    for event in events:
        if event.kind != URGENT_ALERT:
            continue
        counts = per_practice.setdefault(event.practice_id, {})
        user_id = UUID(event.data["user_id"])
        counts[user_id] = counts.get(user_id, 0) + 1
    jobs: list[PushJob] = []
    for practice_id, counts in per_practice.items():
        jobs.extend(_jobs_for(unit, practice_id, counts))
    return jobs


def release_held(unit: Unit, practice_id: UUID, user_id: UUID) -> list[PushJob]:
    """The person's session ended: one notification with everything held meanwhile."""
    held = unit.notifications.take_held(practice_id, user_id)
    return _jobs_for(unit, practice_id, {user_id: held}) if held else []


def do_release_ended_sessions(unit: Unit) -> list[PushJob]:
    """Statuses whose time has passed: clear them, tell colleagues, release what was held."""
    jobs: list[PushJob] = []
    for practice_id, user_id in unit.status.ended(unit.now):
        unit.status.clear(practice_id, user_id)
        unit.emit(status_changed(practice_id, user_id, None))
        jobs.extend(release_held(unit, practice_id, user_id))
    return jobs


def forget_subscription(unit: Unit, practice_id: UUID, session_id: UUID) -> None:
    """The push service says this subscription is gone."""
    unit.notifications.delete_subscriptions(practice_id, [session_id])


def status_changed(practice_id: UUID, user_id: UUID, until: object) -> Event:
    return Event(
        practice_id,
        "status.changed",
        (f"practice:{practice_id}", PUSH_TOPIC),
        {
            "user_id": str(user_id),
            "in_session_until": until.isoformat() if hasattr(until, "isoformat") else None,
        },
    )
