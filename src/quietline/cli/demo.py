"""Seeds the demo practice: staff of every role, a few conversations, Maya's clients
(scenario 1), and Dr. Lee supervising Priya, who has a client of her own (scenario 2).
Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from quietline.actions.appointments import do_create_appointment, local_day_bounds
from quietline.actions.auth import SignedIn, SignInRequest, do_sign_in, do_sign_out
from quietline.actions.client_messages import do_send_client_message
from quietline.actions.client_settings import do_update_client_messaging, zone
from quietline.actions.clients import ClientInput, do_create_client
from quietline.actions.consent import do_record_consent
from quietline.actions.context import Actor
from quietline.actions.conversations import do_create_direct, do_create_group
from quietline.actions.messages import do_send_message
from quietline.actions.practices import do_create_practice, do_update_policy
from quietline.actions.supervision import do_assign_supervisee
from quietline.actions.users import do_create_user
from quietline.app import Services
from quietline.domain.roles import Role

DEMO_SLUG = "demo"
# Client messaging in the demo goes to the pretend phone (/demo/phone), never out: the
# console gateways' default sender number (a fictional 555-01xx one) and address.
DEMO_SMS_NUMBER = "+12025550100"
DEMO_EMAIL_FROM = "care@riverbend.demo.quietline.test"
STAFF = [
    ("maya@demo.quietline.test", "Maya Chen", Role.OWNER),
    ("ops@demo.quietline.test", "Alex Rivera", Role.ADMIN),
    ("lee@demo.quietline.test", "Dr. Lee", Role.SUPERVISOR),
    ("okafor@demo.quietline.test", "Dr. Okafor", Role.CLINICIAN),
    ("priya@demo.quietline.test", "Priya Shah", Role.CLINICIAN),
    ("dana@demo.quietline.test", "Dana Brooks", Role.FRONT_DESK),
]


def seed_demo(services: Services, password: str) -> list[tuple[str, str]]:
    accounts = [(email, role.value) for email, _, role in STAFF]
    db = services.db
    if db.read_sync(lambda unit: unit.practices.get_by_slug(DEMO_SLUG)) is not None:
        return accounts
    owner_email, owner_name, _ = STAFF[0]
    db.write_sync(
        lambda unit: do_create_practice(
            unit,
            services.passwords,
            slug=DEMO_SLUG,
            name="Riverbend Counseling (demo)",
            owner_email=owner_email,
            owner_name=owner_name,
            owner_password=password,
        )
    )

    def sign_in(email: str) -> Actor:
        req = SignInRequest(DEMO_SLUG, email, password, "demo seeding", "127.0.0.1")
        result = db.write_sync(
            lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, req)
        )
        if not isinstance(result, SignedIn):
            raise RuntimeError("demo sign-in failed")
        return result.actor

    owner = sign_in(owner_email)
    ids = {owner_email: owner.user_id}
    secret = services.passwords.new_secret(password)
    for email, name, role in STAFF[1:]:
        user = db.write_sync(
            partial(
                do_create_user,
                actor=owner,
                email=email,
                display_name=name,
                role=role,
                password=secret,
            )
        )
        ids[email] = user.id
    everyone = list(ids.values())
    front = db.write_sync(lambda unit: do_create_group(unit, owner, "Front desk", everyone))
    team = db.write_sync(lambda unit: do_create_group(unit, owner, "Clinical team", everyone))
    dana = sign_in("dana@demo.quietline.test")
    direct = db.write_sync(lambda unit: do_create_direct(unit, owner, ids[STAFF[5][0]]))
    script = [
        (dana, front.id, "Good morning! Room 2 is booked solid today, room 3 is free after 1."),
        (owner, front.id, "Thanks Dana. Can you hold room 3 for me at 2?"),
        (dana, front.id, "Done, room 3 is yours at 2."),
        (owner, team.id, "Reminder: case consultation moves to Thursday at 12:30."),
        (dana, direct.id, "Your 3:00 called, running 10 minutes late."),
    ]
    for n, (actor, conversation_id, body) in enumerate(script):
        db.write_sync(
            partial(
                do_send_message,
                actor=actor,
                conversation_id=conversation_id,
                body=body,
                idempotency_key=f"demo-seed-{n:04d}",
            )
        )
    _seed_client_messaging(services, owner)
    priya = sign_in("priya@demo.quietline.test")
    _seed_supervision(services, owner, priya, ids["lee@demo.quietline.test"])
    for actor in (owner, dana, priya):
        db.write_sync(partial(do_sign_out, actor=actor))
    return accounts


# Scenario 2: Dr. Lee supervises Priya. Supervisor visibility is on, so Dr. Lee may read the
# thread of Priya's client Riley (no phone or e-mail: nothing leaves); each read is recorded
# and Priya sees it in the thread.
SUPERVISED_CLIENT = "Riley Morgan"


def _seed_supervision(services: Services, owner: Actor, priya: Actor, lee_id: UUID) -> None:
    db = services.db
    db.write_sync(partial(do_update_policy, actor=owner, changes={"supervisor_visibility": True}))
    db.write_sync(
        partial(
            do_assign_supervisee, actor=owner, supervisor_id=lee_id, supervisee_id=priya.user_id
        )
    )
    entered = ClientInput(name=SUPERVISED_CLIENT, clinician_ids=[priya.user_id])
    client = db.write_sync(
        partial(do_create_client, actor=owner, lookup_key=services.lookup_key, data=entered)
    )
    if client.conversation_id is None:
        return
    thread = client.conversation_id
    db.write_sync(
        partial(
            do_send_client_message,
            actor=priya,
            conversation_id=thread,
            public_origin="http://localhost:8000",
            idempotency_key="demo-seed-supervision-0001",
            text="Riley asked to move to Thursdays. To talk over in supervision on Friday.",
            internal=True,
        )
    )


# Scenario 1 (../shared/SCENARIOS.md): Maya's clients. Jordan agreed to plain texts for
# scheduling; Sam did not, so Sam's texts carry only a notice and a secure link. Fictional
# 555-01xx numbers: everything goes to the pretend phone at /demo/phone.
DEMO_CLIENTS = [
    ("Jordan Avery", "Jordan", "+12025550142", True),
    ("Sam Ortiz", "Sam", "+12025550177", False),
]


def _first_appointment_start(services: Services, owner: Actor) -> datetime:
    """Jordan's appointment: at the next full hour, but still today in the practice's time
    zone, so that Jordan's "running late" text gets the running-late reply (it needs an
    appointment today) whatever the hour the demo is first run. Late in the evening that is
    10 to midnight, or earlier: a client may write that they are late up to an hour after
    the start."""
    now = services.clock.now()
    policy = services.db.read_sync(lambda unit: unit.practice_messaging.policy(owner.practice_id))
    _, midnight = local_day_bounds(policy, now.astimezone(zone(policy)).date())
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return min(next_hour, midnight - timedelta(minutes=50))


def _seed_client_messaging(services: Services, owner: Actor) -> None:
    db = services.db
    lookup_key = services.lookup_key
    db.write_sync(
        lambda unit: do_update_client_messaging(
            unit,
            owner,
            lookup_key,
            {
                "sms_number": DEMO_SMS_NUMBER,
                "email_from": DEMO_EMAIL_FROM,
                # The demo lets free logistics text go in the clear to a consenting client,
                # so the clinical-content guard can be seen at work (the default is
                # approved templates only).
                "plain_messages": "logistics",
            },
        )
    )
    start = _first_appointment_start(services, owner)
    for n, (name, preferred, phone, consented) in enumerate(DEMO_CLIENTS):
        entered = ClientInput(name=name, preferred_name=preferred, phone=phone)
        client = db.write_sync(
            partial(do_create_client, actor=owner, lookup_key=lookup_key, data=entered)
        )
        if consented:
            db.write_sync(
                partial(
                    do_record_consent,
                    actor=owner,
                    client_id=client.id,
                    channel="sms",
                    granted=True,
                    method="verbal",
                )
            )
        db.write_sync(
            partial(
                do_create_appointment,
                actor=owner,
                client_id=client.id,
                starts_at=start + timedelta(days=n),
                length_minutes=50,
                room="Room 3",
            )
        )
