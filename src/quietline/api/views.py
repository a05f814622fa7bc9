"""Domain objects to response bodies."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import orjson
from starlette.responses import Response

from quietline.actions.auth import SignedIn
from quietline.actions.context import Actor
from quietline.actions.conversations import ConversationView
from quietline.actions.messages import MessageView
from quietline.api import schemas as s
from quietline.api.web_session import csrf_token_for, set_cookie_header
from quietline.config import Settings
from quietline.domain.models import User
from quietline.domain.policy import PracticePolicy


def user_out(user: User, in_session_until: datetime | None = None) -> s.UserOut:
    return s.UserOut(
        in_session_until=in_session_until,
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        is_active=user.is_active,
        has_second_factor=user.has_second_factor,
    )


def policy_out(policy: PracticePolicy) -> s.PolicyOut:
    return s.PolicyOut(**asdict(policy))


def me_out(actor: Actor, restricted: bool) -> s.MeOut:
    return s.MeOut(
        user=user_out(actor.user),
        session_id=actor.session_id,
        practice_id=actor.practice_id,
        practice_name=actor.practice.name,
        restricted=restricted,
        policy=policy_out(actor.practice.policy),
    )


def _conversation_fields(view: ConversationView) -> dict[str, Any]:
    # Field by field: dataclasses.asdict deep-copies every member list (measured: 14 ms for a
    # list of 200 conversations).
    return {
        "id": view.id,
        "kind": view.kind,
        "title": view.title,
        "member_ids": view.member_ids,
        "unread": view.unread,
        "urgent_unread": view.urgent_unread,
        "last_seq": view.last_seq,
        "last_activity_at": view.last_activity_at,
        "default_ttl_seconds": view.default_ttl_seconds,
        "created_at": view.created_at,
        "logistics_only": view.logistics_only,
        "client_id": view.client_id,
        "may_message_client": view.may_message_client,
    }


def _message_fields(view: MessageView) -> dict[str, Any]:
    return {
        "id": view.id,
        "conversation_id": view.conversation_id,
        "seq": view.seq,
        "sender_id": view.sender_id,
        "sender_client_id": view.sender_client_id,
        "body": view.body,
        "urgent": view.urgent,
        "created_at": view.created_at,
        "expires_at": view.expires_at,
        "internal": view.internal,
        "channel": view.channel,
    }


def conversation_out(view: ConversationView) -> s.ConversationOut:
    return s.ConversationOut(**_conversation_fields(view))


def conversations_json(views: list[ConversationView]) -> Response:
    """The conversation list as the JSON of ``list[ConversationOut]``, built directly: with
    200 conversations, response-model validation and serialisation of every member id cost
    more than the database work. The contract tests check the shape against the schema."""
    payload = orjson.dumps([_conversation_fields(v) for v in views], option=orjson.OPT_UTC_Z)
    return Response(payload, media_type="application/json")


def message_json(view: MessageView, status_code: int) -> Response:
    """A message as the JSON of :class:`~quietline.api.schemas.MessageOut`, built directly for
    the send route, the hottest in the API (FastAPI's response-model validation and
    serialisation cost more than the rest of the handler)."""
    payload = orjson.dumps(_message_fields(view), option=orjson.OPT_UTC_Z)
    return Response(payload, status_code=status_code, media_type="application/json")


def message_out(view: MessageView) -> s.MessageOut:
    return s.MessageOut(**_message_fields(view))


def signed_in_out(result: SignedIn) -> s.SignInOut:
    """An API client's new session (the token is shown this once)."""
    actor = result.actor
    return s.SignInOut(
        token=result.token,
        session_id=actor.session_id,
        user=user_out(actor.user),
        practice_id=actor.practice_id,
        restricted=result.restricted,
        policy=policy_out(actor.practice.policy),
    )


def web_signed_in(
    result: SignedIn, response: Response, settings: Settings, lookup_key: bytes
) -> s.WebSignInOut:
    """A web app's new session: the token goes only into the HttpOnly cookie."""
    actor = result.actor
    response.headers["set-cookie"] = set_cookie_header(settings, result.token)
    return s.WebSignInOut(
        session_id=actor.session_id,
        user=user_out(actor.user),
        practice_id=actor.practice_id,
        practice_name=actor.practice.name,
        restricted=result.restricted,
        policy=policy_out(actor.practice.policy),
        csrf_token=csrf_token_for(lookup_key, result.token),
    )
