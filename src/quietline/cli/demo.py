"""Seeds the demo practice: staff of every role and a few conversations. Idempotent."""

from __future__ import annotations

from functools import partial

from quietline.actions.auth import SignedIn, SignInRequest, do_sign_in, do_sign_out
from quietline.actions.context import Actor
from quietline.actions.conversations import do_create_direct, do_create_group
from quietline.actions.messages import do_send_message
from quietline.actions.practices import do_create_practice
from quietline.actions.users import do_create_user
from quietline.app import Services
from quietline.domain.roles import Role

DEMO_SLUG = "demo"
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
    for email, name, role in STAFF[1:]:
        user = db.write_sync(
            partial(
                do_create_user,
                passwords=services.passwords,
                actor=owner,
                email=email,
                display_name=name,
                role=role,
                password=password,
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
    for actor in (owner, dana):
        db.write_sync(partial(do_sign_out, actor=actor))
    return accounts
