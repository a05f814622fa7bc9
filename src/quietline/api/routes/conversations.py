from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, ClassVar
from uuid import UUID

from fastapi import APIRouter, Query, Response

from quietline.actions.auth import (
    Authenticated,
    SessionToken,
    authorize,
    authorize_read,
    do_touch,
)
from quietline.actions.clinical_guard import ClinicalContentRefused, do_record_guard_block
from quietline.actions.conversations import (
    ConversationView,
    do_add_member,
    do_create_direct,
    do_create_group,
    do_remove_member,
    do_update_conversation,
    get_conversation,
    list_conversations,
)
from quietline.actions.messages import (
    SendResult,
    conversation_receipts,
    do_mark,
    do_recall,
    do_send_message,
    fetch_messages,
    message_receipts,
    search_messages,
)
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn, SignedInToken
from quietline.api.views import conversation_out, conversations_json, message_json, message_out
from quietline.app import Services
from quietline.domain.errors import InvalidInput
from quietline.storage.unit import Unit

router = APIRouter(tags=["conversations and messages"])


@router.get("/conversations", response_model=list[s.ConversationOut])
async def conversations(token: SignedInToken, svc: ServicesDep) -> Response:
    """Your conversations, most recent activity first, with unread counts."""

    def read(unit: Unit) -> tuple[Authenticated, list[ConversationView]]:
        auth = authorize_read(unit, token)  # the session check and the list: one snapshot
        return auth, list_conversations(unit, auth.actor)

    auth, views = await svc.db.read(read)
    if auth.needs_touch:
        await svc.db.write(lambda unit: do_touch(unit, auth.actor))
    return conversations_json(views)


@router.post("/conversations", response_model=s.ConversationOut, status_code=201)
async def create_conversation(
    body: s.ConversationCreateIn, actor: SignedIn, svc: ServicesDep
) -> s.ConversationOut:
    """A direct conversation with one colleague (found if it exists), or a named channel."""
    if body.kind == "direct":
        if body.user_id is None:
            raise InvalidInput("A direct conversation needs user_id: the colleague to write to.")
        user_id = body.user_id
        view = await svc.db.write(lambda unit: do_create_direct(unit, actor, user_id))
    else:
        if not body.title:
            raise InvalidInput("A channel needs a title.")
        title = body.title
        view = await svc.db.write(
            lambda unit: do_create_group(
                unit, actor, title, body.member_ids, body.default_ttl_seconds
            )
        )
    return conversation_out(view)


@router.get("/conversations/{conversation_id}", response_model=s.ConversationOut)
async def read_conversation(
    conversation_id: UUID, actor: SignedIn, svc: ServicesDep
) -> s.ConversationOut:
    view = await svc.db.read(lambda unit: get_conversation(unit, actor, conversation_id))
    return conversation_out(view)


@router.patch("/conversations/{conversation_id}", response_model=s.ConversationOut)
async def update_conversation(
    conversation_id: UUID, body: s.ConversationPatch, actor: SignedIn, svc: ServicesDep
) -> s.ConversationOut:
    fields = body.model_dump(exclude_unset=True)
    title = fields.get("title")
    logistics_only = fields.get("logistics_only")
    if "default_ttl_seconds" in fields:
        ttl = fields["default_ttl_seconds"]
        view = await svc.db.write(
            lambda unit: do_update_conversation(
                unit,
                actor,
                conversation_id,
                title=title,
                default_ttl_seconds=ttl,
                logistics_only=logistics_only,
            )
        )
    else:
        view = await svc.db.write(
            lambda unit: do_update_conversation(
                unit, actor, conversation_id, title=title, logistics_only=logistics_only
            )
        )
    return conversation_out(view)


@router.post("/conversations/{conversation_id}/members", response_model=s.ConversationOut)
async def add_member(
    conversation_id: UUID, body: s.MemberIn, actor: SignedIn, svc: ServicesDep
) -> s.ConversationOut:
    view = await svc.db.write(
        lambda unit: do_add_member(unit, actor, conversation_id, body.user_id)
    )
    return conversation_out(view)


@router.delete("/conversations/{conversation_id}/members/{user_id}", status_code=204)
async def remove_member(
    conversation_id: UUID, user_id: UUID, actor: SignedIn, svc: ServicesDep
) -> Response:
    """Leave a channel, or remove someone. Their access ends immediately."""
    await svc.db.write(lambda unit: do_remove_member(unit, actor, conversation_id, user_id))
    return Response(status_code=204)


@router.get("/conversations/{conversation_id}/messages", response_model=s.MessagePageOut)
async def history(
    conversation_id: UUID,
    token: SignedInToken,
    svc: ServicesDep,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="Older than this seq")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="Newer than this seq")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> s.MessagePageOut:
    """Messages oldest first. Page back with 'before', catch up with 'after'."""
    page = await svc.db.write(
        lambda unit: fetch_messages(
            unit,
            authorize(unit, token),
            conversation_id,
            before_seq=before,
            after_seq=after,
            limit=limit,
        )
    )
    return s.MessagePageOut(
        messages=[message_out(m) for m in page.messages],
        has_more=page.has_more,
        next_before=page.messages[0].seq
        if page.has_more and page.messages and after is None
        else None,
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=s.MessageOut,
    status_code=201,
    responses={200: {"model": s.MessageOut, "description": "A retry of an earlier send"}},
)
async def send(
    conversation_id: UUID,
    body: s.SendIn,
    token: SignedInToken,
    svc: ServicesDep,
) -> Response:
    """Send a message. Retrying with the same idempotency_key never sends it twice."""
    return await send_and_answer(svc, conversation_id, body, token)


@dataclass(frozen=True, slots=True)
class SendJob:
    """The write job of one send: the session checked inside the transaction, then the send.

    One definition for the route, its fast lane and ``benchmarks.write_path``."""

    token: SessionToken
    conversation_id: UUID
    body: s.SendIn
    # A send reads no conversation's last_seq except the number it takes, so the writer may
    # keep sequence numbers in memory across the sends of a batch (storage.deferred).
    defers_sequence_numbers: ClassVar[bool] = True

    def __call__(self, unit: Unit) -> SendResult:
        body = self.body
        return do_send_message(
            unit,
            authorize(unit, self.token),
            self.conversation_id,
            body=body.body,
            idempotency_key=body.idempotency_key,
            urgent=body.urgent,
            ttl_seconds=body.ttl_seconds,
            acknowledge_clinical=body.acknowledge_clinical,
        )


async def send_and_answer(
    svc: Services, conversation_id: UUID, body: s.SendIn, token: SessionToken
) -> Response:
    """The send route's work, shared with its fast lane (:mod:`quietline.api.send_lane`),
    which answers API clients' sends without FastAPI's routing and dependencies."""
    try:
        result = await svc.db.write(SendJob(token, conversation_id, body))
    except ClinicalContentRefused as refused:
        await svc.db.write(partial(do_record_guard_block, refused=refused))
        raise
    return message_json(result.message, 201 if result.created else 200)


@router.delete("/conversations/{conversation_id}/messages/{message_id}", status_code=204)
async def recall(
    conversation_id: UUID, message_id: UUID, token: SignedInToken, svc: ServicesDep
) -> Response:
    """Unsend: the content is erased for everyone and open devices remove it."""
    await svc.db.write(
        lambda unit: do_recall(unit, authorize(unit, token), conversation_id, message_id)
    )
    return Response(status_code=204)


@router.get(
    "/conversations/{conversation_id}/messages/{message_id}/receipts",
    response_model=list[s.ReceiptOut],
)
async def receipts(
    conversation_id: UUID, message_id: UUID, actor: SignedIn, svc: ServicesDep
) -> list[s.ReceiptOut]:
    rows = await svc.db.read(
        lambda unit: message_receipts(unit, actor, conversation_id, message_id)
    )
    return [
        s.ReceiptOut(user_id=r.user_id, delivered_at=r.delivered_at, seen_at=r.seen_at)
        for r in rows
    ]


@router.get("/conversations/{conversation_id}/receipts", response_model=s.ConversationReceiptsOut)
async def conversation_receipts_route(
    conversation_id: UUID,
    actor: SignedIn,
    svc: ServicesDep,
    since_seq: Annotated[int, Query(ge=0, le=2**62, description="Marks covering this seq on")] = 0,
) -> s.ConversationReceiptsOut:
    """Each member's delivered and seen cursors, and the receipt marks with their times."""
    found = await svc.db.read(
        lambda unit: conversation_receipts(unit, actor, conversation_id, since_seq)
    )
    return s.ConversationReceiptsOut(
        members=[
            s.MemberReceiptOut(
                user_id=m.user_id, delivered_seq=m.delivered_seq, seen_seq=m.seen_seq
            )
            for m in found.memberships
        ],
        marks=[
            s.ReceiptMarkOut(user_id=k.user_id, kind=k.kind, up_to_seq=k.up_to_seq, at=k.at)
            for k in found.marks
        ],
    )


@router.post("/conversations/{conversation_id}/receipts", response_model=s.MarkOut)
async def mark(
    conversation_id: UUID, body: s.MarkIn, token: SignedInToken, svc: ServicesDep
) -> s.MarkOut:
    """Report messages delivered to this device, or seen in the open conversation."""
    cursor = await svc.db.write(
        lambda unit: do_mark(
            unit, authorize(unit, token), conversation_id, body.kind, body.up_to_seq
        )
    )
    return s.MarkOut(kind=body.kind, up_to_seq=cursor)


@router.post("/search", response_model=list[s.MessageOut])
async def search(body: s.SearchIn, actor: SignedIn, svc: ServicesDep) -> list[s.MessageOut]:
    """Search your messages. A POST, so the words never appear in a URL or an access log."""
    views = await svc.db.write(
        lambda unit: search_messages(
            unit, actor, body.query, conversation_id=body.conversation_id, limit=body.limit
        )
    )
    return [message_out(v) for v in views]
