"""In-process set-up of benchmark installations, through the project's own actions.

Runs in the benchmark's own process, before the server subprocess starts, against the same
data folder (keys and SQLite file). Staff, sessions and conversations are made with the same
actions the API calls, in batches inside ``services.db.write_sync``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from benchmarks.common import PASSWORD, PRACTICE_SLUG, bench_settings, fresh_dir
from quietline.actions.auth import SignedIn, SignInRequest, do_sign_in
from quietline.actions.context import Actor
from quietline.actions.conversations import do_create_direct, do_create_group
from quietline.actions.practices import do_create_practice
from quietline.actions.users import do_create_user
from quietline.app import Services, build_services, ensure_key_files
from quietline.config import Settings
from quietline.domain.roles import Role
from quietline.storage.migrate import upgrade
from quietline.storage.unit import Unit

OWNER_EMAIL = f"owner@{PRACTICE_SLUG}.test"


@dataclass(frozen=True)
class Member:
    user_id: UUID
    email: str
    token: str


def new_installation(data_dir: Path) -> Settings:
    """An empty data folder with keys and a migrated SQLite database."""
    fresh_dir(data_dir)
    settings = bench_settings(data_dir)
    ensure_key_files(settings)
    upgrade(settings.resolved_database_url())
    return settings


def open_services(settings: Settings) -> Services:
    return build_services(settings)


def create_practice(services: Services) -> Actor:
    """The practice and its owner; returns the owner as an actor."""
    services.db.write_sync(
        lambda unit: do_create_practice(
            unit,
            services.passwords,
            slug=PRACTICE_SLUG,
            name="Benchmark Practice",
            owner_email=OWNER_EMAIL,
            owner_name="Bench Owner",
            owner_password=PASSWORD,
        )
    )
    return actor_for(services, OWNER_EMAIL)


def actor_for(services: Services, email: str) -> Actor:
    """Someone as an actor (a fresh session) for in-process actions."""
    req = SignInRequest(PRACTICE_SLUG, email, PASSWORD, "bench seeding", "127.0.0.1")
    result = services.db.write_sync(
        lambda unit: do_sign_in(unit, services.passwords, services.lookup_key, req)
    )
    if not isinstance(result, SignedIn):
        raise RuntimeError(f"owner sign-in refused: {result.error}")
    return result.actor


def create_staff(
    services: Services, owner: Actor, count: int, prefix: str, batch: int = 250
) -> list[tuple[UUID, str]]:
    """``count`` clinicians ``{prefix}{n}@bench.test``; returns (id, email) pairs."""
    emails = [f"{prefix}{n:05d}@{PRACTICE_SLUG}.test" for n in range(count)]
    made: list[tuple[UUID, str]] = []
    secret = services.passwords.new_secret(PASSWORD)  # one hash for all: they share it
    for start in range(0, count, batch):
        chunk = emails[start : start + batch]

        def job(unit: Unit, chunk: list[str] = chunk) -> list[tuple[UUID, str]]:
            out = []
            for email in chunk:
                user = do_create_user(
                    unit,
                    owner,
                    email=email,
                    display_name=email.split("@")[0],
                    role=Role.CLINICIAN,
                    password=secret,
                )
                out.append((user.id, email))
            return out

        made.extend(services.db.write_sync(job))
    return made


def sign_in(
    services: Services, emails: Sequence[str], devices_each: int = 1, batch: int = 250
) -> list[Member]:
    """Open ``devices_each`` device sessions per email through the sign-in action."""
    requests = [
        SignInRequest(PRACTICE_SLUG, email, PASSWORD, f"bench device {d}", "127.0.0.1")
        for email in emails
        for d in range(devices_each)
    ]
    members: list[Member] = []
    for start in range(0, len(requests), batch):
        chunk = requests[start : start + batch]

        def job(unit: Unit, chunk: list[SignInRequest] = chunk) -> list[Member]:
            out = []
            for req in chunk:
                result = do_sign_in(unit, services.passwords, services.lookup_key, req)
                if not isinstance(result, SignedIn):
                    raise RuntimeError(f"sign-in refused: {result.error}")
                out.append(Member(result.actor.user_id, req.email, result.token))
            return out

        members.extend(services.db.write_sync(job))
    return members


def create_group(services: Services, owner: Actor, title: str, member_ids: Sequence[UUID]) -> UUID:
    view = services.db.write_sync(
        lambda unit: do_create_group(unit, owner, title, list(member_ids))
    )
    return view.id


def create_direct(services: Services, actor: Actor, other: UUID) -> UUID:
    return services.db.write_sync(lambda unit: do_create_direct(unit, actor, other)).id


def channel_with_members(
    data_dir: Path, count: int, prefix: str, title: str, *, owner_signed_in: bool
) -> tuple[UUID, list[Member]]:
    """A fresh installation with ``count`` signed-in people in one channel.

    With ``owner_signed_in`` the owner is one of the ``count`` (and ``count - 1`` staff are
    made); otherwise ``count`` staff are made and the owner only creates the channel.
    """
    settings = new_installation(data_dir)
    services = open_services(settings)
    try:
        owner = create_practice(services)
        staff = create_staff(services, owner, count - 1 if owner_signed_in else count, prefix)
        emails = [email for _, email in staff]
        people = sign_in(services, [OWNER_EMAIL, *emails] if owner_signed_in else emails)
        conversation = create_group(services, owner, title, [uid for uid, _ in staff])
    finally:
        services.close()
    return conversation, people
