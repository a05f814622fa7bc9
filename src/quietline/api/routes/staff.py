from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response

from quietline.actions.auth import list_user_devices
from quietline.actions.practices import do_set_quick_replies, do_update_policy, quick_replies
from quietline.actions.status import statuses
from quietline.actions.users import (
    do_create_user,
    do_deactivate_user,
    do_reactivate_user,
    do_reset_password,
    do_reset_second_factor,
    do_update_user,
    get_user,
    list_users,
)
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.views import policy_out, user_out
from quietline.domain.models import User
from quietline.storage.unit import Unit

router = APIRouter(tags=["staff and policy"])


@router.get("/users", response_model=list[s.UserOut])
async def staff_directory(actor: SignedIn, svc: ServicesDep) -> list[s.UserOut]:
    """Everyone in the practice, with who is in session now."""

    def read(unit: Unit) -> tuple[list[User], dict[UUID, datetime]]:
        return list_users(unit, actor), statuses(unit, actor)

    users, in_session = await svc.db.read(read)
    return [user_out(u, in_session.get(u.id)) for u in users]


@router.post("/users", response_model=s.UserOut, status_code=201)
async def create_user(body: s.UserCreateIn, actor: SignedIn, svc: ServicesDep) -> s.UserOut:
    """Admins add staff with a first password they pass on privately."""
    secret = await asyncio.to_thread(svc.passwords.new_secret, body.password)  # off the writer
    user = await svc.db.write(
        lambda unit: do_create_user(
            unit,
            actor,
            email=body.email,
            display_name=body.display_name,
            role=body.role,
            password=secret,
        )
    )
    return user_out(user)


@router.get("/users/{user_id}", response_model=s.UserOut)
async def read_user(user_id: UUID, actor: SignedIn, svc: ServicesDep) -> s.UserOut:
    return user_out(await svc.db.read(lambda unit: get_user(unit, actor, user_id)))


@router.patch("/users/{user_id}", response_model=s.UserOut)
async def update_user(
    user_id: UUID, body: s.UserPatch, actor: SignedIn, svc: ServicesDep
) -> s.UserOut:
    user = await svc.db.write(
        lambda unit: do_update_user(
            unit, actor, user_id, display_name=body.display_name, role=body.role
        )
    )
    return user_out(user)


@router.post("/users/{user_id}/deactivate", response_model=s.UserOut)
async def deactivate_user(user_id: UUID, actor: SignedIn, svc: ServicesDep) -> s.UserOut:
    """The account stops working everywhere at once: every device is signed out."""
    return user_out(await svc.db.write(lambda unit: do_deactivate_user(unit, actor, user_id)))


@router.post("/users/{user_id}/reactivate", response_model=s.UserOut)
async def reactivate_user(user_id: UUID, actor: SignedIn, svc: ServicesDep) -> s.UserOut:
    return user_out(await svc.db.write(lambda unit: do_reactivate_user(unit, actor, user_id)))


@router.post("/users/{user_id}/password", status_code=204)
async def reset_password(
    user_id: UUID, body: s.PasswordResetIn, actor: SignedIn, svc: ServicesDep
) -> Response:
    secret = await asyncio.to_thread(svc.passwords.new_secret, body.new_password)
    await svc.db.write(lambda unit: do_reset_password(unit, actor, user_id, secret))
    return Response(status_code=204)


@router.post("/users/{user_id}/second-factor/reset", status_code=204)
async def reset_second_factor(user_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """For someone who lost their authenticator and recovery codes: their authenticator app,
    recovery codes and passkeys are removed and every device of theirs is signed out. They
    sign in with their password and set up a new second factor."""
    await svc.db.write(lambda unit: do_reset_second_factor(unit, actor, user_id))
    return Response(status_code=204)


@router.get("/users/{user_id}/devices", response_model=list[s.DeviceOut])
async def user_devices(user_id: UUID, actor: SignedIn, svc: ServicesDep) -> list[s.DeviceOut]:
    sessions = await svc.db.read(lambda unit: list_user_devices(unit, actor, user_id))
    return [
        s.DeviceOut(
            id=d.id,
            device_name=d.device_name,
            created_at=d.created_at,
            last_seen_at=d.last_seen_at,
            current=d.id == actor.session_id,
        )
        for d in sessions
    ]


@router.patch("/practice/policy", response_model=s.PolicyOut)
async def update_policy(body: s.PolicyPatch, actor: SignedIn, svc: ServicesDep) -> s.PolicyOut:
    """Owners and admins change the rules; they apply to everyone at the next request.
    Only the fields sent change; null clears a setting that can be empty (a TTL, retention,
    the notification text) and is refused for the others."""
    changes = body.model_dump(exclude_unset=True)
    policy = await svc.db.write(lambda unit: do_update_policy(unit, actor, changes))
    return policy_out(policy)


@router.get("/practice/quick-replies", response_model=s.QuickRepliesBody)
async def read_quick_replies(actor: SignedIn, svc: ServicesDep) -> s.QuickRepliesBody:
    """The practice's one-tap replies ("Running 5 minutes late", ...)."""
    return s.QuickRepliesBody(replies=await svc.db.read(lambda unit: quick_replies(unit, actor)))


@router.put("/practice/quick-replies", response_model=s.QuickRepliesBody)
async def edit_quick_replies(
    body: s.QuickRepliesBody, actor: SignedIn, svc: ServicesDep
) -> s.QuickRepliesBody:
    """Owners and admins edit the quick replies (at most 20, each at most 200 characters)."""
    replies = await svc.db.write(lambda unit: do_set_quick_replies(unit, actor, body.replies))
    return s.QuickRepliesBody(replies=replies)
