"""Conversations and their members. Membership is the access rule for content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from quietline.actions.client_senders import may_message_clients
from quietline.actions.context import Actor
from quietline.actions.on_call import may_break_glass
from quietline.actions.supervision import supervision_read
from quietline.crypto.fields import seal_conversation_title
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, present
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.models import Conversation
from quietline.domain.policy import MAX_TTL_SECONDS, MIN_TTL_SECONDS
from quietline.storage.unit import Unit

MAX_GROUP_MEMBERS = 500
MAX_TITLE = 120


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: UUID
    kind: str
    title: str | None
    member_ids: list[UUID]
    unread: int
    last_seq: int
    last_activity_at: datetime
    default_ttl_seconds: int | None
    created_at: datetime
    urgent_unread: bool = False
    logistics_only: bool = False
    client_id: UUID | None = None  # a client's thread (kind 'client')
    # A client's thread: whether the reader may send to the client now (a member whose role
    # the practice lets message clients); None for other conversations.
    may_message_client: bool | None = None


def check_member(
    unit: Unit, actor: Actor, conversation_id: UUID, *, lock: bool = False
) -> Conversation:
    """The conversation, if the actor is a member of it; otherwise the same 404 as a missing one."""
    conversation = unit.conversations.get_if_member(
        actor.practice_id, conversation_id, actor.user_id, lock=lock
    )
    if conversation is None:
        raise NotFound("conversation")
    return conversation


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """Why the actor may read a conversation: membership, a live emergency grant, or
    supervision of one of the client's clinicians (decision 0021)."""

    conversation: Conversation
    grant_id: UUID | None = None  # set when reading under emergency access, not membership
    supervision_id: UUID | None = None  # set when reading as a supervisor, not membership

    @property
    def is_member(self) -> bool:
        return self.grant_id is None and self.supervision_id is None


def check_reader(unit: Unit, actor: Actor, conversation_id: UUID) -> ReadAccess:
    """The rule for reading a conversation's history (never for writing to it): a member, or
    an owner or admin (or, for a client's thread, someone on call now) holding a live
    emergency-access grant for it (decision 0014). Anyone else gets the same 404 as for a
    missing conversation. Members pay no extra query."""
    conversation = unit.conversations.get_if_member(
        actor.practice_id, conversation_id, actor.user_id
    )
    if conversation is not None:
        return ReadAccess(conversation)
    # A live grant of theirs, while they still qualify (an owner or admin; on call now).
    grant = unit.oversight.live_grant(actor.practice_id, conversation_id, actor.user_id, unit.now)
    if grant is not None:
        granted = unit.conversations.get(actor.practice_id, conversation_id)
        if granted is not None and may_break_glass(unit, actor, granted):
            return ReadAccess(granted, grant.id)
    # A supervisor reading a supervisee's client thread (policy on; decision 0021).
    supervised = supervision_read(unit, actor, conversation_id)
    if supervised is not None:
        return ReadAccess(supervised[0], supervision_id=supervised[1])
    raise NotFound("conversation")


def check_ttl(ttl_seconds: int | None) -> int | None:
    if ttl_seconds is not None and not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInput(
            f"A time-to-live is between {MIN_TTL_SECONDS} seconds and "
            f"{MAX_TTL_SECONDS // 86400} days."
        )
    return ttl_seconds


def _title(title: str) -> str:
    clean = " ".join(title.split())
    if not 1 <= len(clean) <= MAX_TITLE:
        raise InvalidInput(f"Give the channel a name of 1 to {MAX_TITLE} characters.")
    return clean


def _view(
    unit: Unit,
    conversation: Conversation,
    unread: int = 0,
    member_ids: list[UUID] | None = None,
    urgent_unread: bool = False,
    may_message_client: bool | None = None,
) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        kind=conversation.kind,
        title=unit.conversation_title(conversation),
        member_ids=member_ids
        if member_ids is not None
        else unit.conversations.member_ids(conversation.practice_id, conversation.id),
        unread=unread,
        urgent_unread=urgent_unread,
        last_seq=conversation.last_seq,
        last_activity_at=conversation.last_activity_at,
        default_ttl_seconds=conversation.default_ttl_seconds,
        created_at=conversation.created_at,
        logistics_only=conversation.logistics_only,
        client_id=conversation.client_id,
        may_message_client=may_message_client if conversation.is_client_thread else None,
    )


def list_conversations(unit: Unit, actor: Actor) -> list[ConversationView]:
    summaries = unit.conversations.summaries_for_user(actor.practice_id, actor.user_id, unit.now)
    # Read once, and only when a client's thread is listed (the practice's setting, now).
    senders = any(s.conversation.is_client_thread for s in summaries) and may_message_clients(
        unit, actor
    )
    return [
        _view(unit, s.conversation, s.unread, s.member_ids, s.urgent_unread, senders)
        for s in summaries
    ]


def get_conversation(unit: Unit, actor: Actor, conversation_id: UUID) -> ConversationView:
    access = check_reader(unit, actor, conversation_id)
    if not access.is_member:
        # No unread count, and no sending: not a member.
        return _view(unit, access.conversation, may_message_client=False)
    conversation = access.conversation
    summary = unit.conversations.summary_for_user(
        actor.practice_id, actor.user_id, conversation_id, unit.now
    )
    senders = conversation.is_client_thread and may_message_clients(unit, actor)
    if summary is None:  # not expected: membership was checked in this same snapshot
        return _view(unit, conversation, may_message_client=senders)
    return _view(
        unit,
        summary.conversation,
        summary.unread,
        summary.member_ids,
        summary.urgent_unread,
        may_message_client=senders,
    )


def _active_colleagues(unit: Unit, actor: Actor, user_ids: set[UUID]) -> set[UUID]:
    found = unit.users.active_ids(actor.practice_id, user_ids)
    if found != user_ids:
        raise NotFound("user")
    return found


def _create(
    unit: Unit,
    actor: Actor,
    *,
    kind: str,
    title: str | None,
    member_ids: set[UUID],
    direct_pair: str | None,
    default_ttl_seconds: int | None,
) -> Conversation:
    conversation_id = uuid4()
    stored, _ = unit.practice_key(actor.practice_id)
    key_wrapped = unit.keyring.new_conversation_key(actor.practice_id, conversation_id, stored)
    key = unit.keyring.conversation_key(actor.practice_id, conversation_id, key_wrapped, stored)
    sealed = (
        seal_conversation_title(key, actor.practice_id, conversation_id, title) if title else None
    )
    unit.conversations.insert(
        conversation_id=conversation_id,
        practice_id=actor.practice_id,
        kind=kind,
        title_sealed=sealed,
        key_wrapped=key_wrapped,
        practice_key_id=stored.key_id,
        direct_pair=direct_pair,
        default_ttl_seconds=default_ttl_seconds,
        created_by=actor.user_id,
        now=unit.now,
    )
    for uid in sorted(member_ids):
        unit.conversations.add_member(actor.practice_id, conversation_id, uid, unit.now, 0)
    unit.audit(
        AuditKind.CONVERSATION_CREATED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="conversation",
        subject_id=conversation_id,
        details={"kind": kind, "members": sorted(str(u) for u in member_ids)},
    )
    for uid in member_ids:
        _emit_membership(unit, actor.practice_id, conversation_id, uid, added=True)
    return present(unit.conversations.get(actor.practice_id, conversation_id), "conversation")


def _emit_membership(
    unit: Unit, practice_id: UUID, conversation_id: UUID, user_id: UUID, *, added: bool
) -> None:
    kind = "membership.added" if added else "membership.removed"
    unit.emit(
        Event(
            practice_id,
            kind,
            (user_topic(user_id), conversation_topic(conversation_id)),
            {"conversation_id": str(conversation_id), "user_id": str(user_id)},
        )
    )


def do_create_direct(unit: Unit, actor: Actor, other_user_id: UUID) -> ConversationView:
    """Open (or find) the direct conversation between the actor and one colleague."""
    if other_user_id == actor.user_id:
        raise InvalidInput("A direct conversation needs another person. Pick a colleague.")
    _active_colleagues(unit, actor, {other_user_id})
    pair = ":".join(sorted((str(actor.user_id), str(other_user_id))))
    existing = unit.conversations.find_direct(actor.practice_id, pair)
    if existing is not None:
        # Someone offboarded and later reactivated was removed from it: bring them back
        # (with the cursors at the end, as for anyone added).
        members = set(unit.conversations.member_ids(actor.practice_id, existing.id))
        for user_id in sorted({actor.user_id, other_user_id} - members):
            unit.conversations.add_member(
                actor.practice_id, existing.id, user_id, unit.now, existing.last_seq
            )
            unit.audit(
                AuditKind.MEMBER_ADDED,
                actor.practice_id,
                actor_user_id=actor.user_id,
                actor_session_id=actor.session_id,
                subject_type="conversation",
                subject_id=existing.id,
                details={"user": str(user_id), "rejoined": True},
            )
            _emit_membership(unit, actor.practice_id, existing.id, user_id, added=True)
        return _view(unit, existing)
    created = _create(
        unit,
        actor,
        kind="direct",
        title=None,
        member_ids={actor.user_id, other_user_id},
        direct_pair=pair,
        default_ttl_seconds=None,
    )
    return _view(unit, created)


def do_create_group(
    unit: Unit,
    actor: Actor,
    title: str,
    member_ids: list[UUID],
    default_ttl_seconds: int | None = None,
) -> ConversationView:
    members = set(member_ids) | {actor.user_id}
    if len(members) > MAX_GROUP_MEMBERS:
        raise InvalidInput(f"A channel can have at most {MAX_GROUP_MEMBERS} members.")
    _active_colleagues(unit, actor, members)
    created = _create(
        unit,
        actor,
        kind="group",
        title=_title(title),
        member_ids=members,
        direct_pair=None,
        default_ttl_seconds=check_ttl(default_ttl_seconds),
    )
    return _view(unit, created)


_UNSET = object()


def do_update_conversation(
    unit: Unit,
    actor: Actor,
    conversation_id: UUID,
    *,
    title: str | None = None,
    default_ttl_seconds: int | object | None = _UNSET,
    logistics_only: bool | None = None,
) -> ConversationView:
    """Rename a channel, change its default time-to-live, or (owners and admins) mark it as
    logistics-only. Every change is audited and announced to the members."""
    conversation = check_member(unit, actor, conversation_id)
    changed: list[str] = []
    values: dict[str, object] = {}
    details: dict[str, object] = {}
    if title is not None:
        if conversation.kind != "group":
            raise InvalidInput("Only channels have names; a direct conversation shows the person.")
        values["title_sealed"] = seal_conversation_title(
            unit.conversation_key(conversation), actor.practice_id, conversation_id, _title(title)
        )
        changed.append("title")
    if default_ttl_seconds is not _UNSET:
        # How long messages live is a safety setting: the channel's creator or an admin.
        if not (actor.is_admin or conversation.created_by == actor.user_id):
            raise Forbidden(
                "Only the channel's creator or an admin can change how long its messages last."
            )
        ttl = default_ttl_seconds if isinstance(default_ttl_seconds, int) else None
        values["default_ttl_seconds"] = check_ttl(ttl)
        changed.append("default_ttl_seconds")
    if logistics_only is not None:
        # What the channel may be used for is the practice's rule: owners and admins.
        if not actor.is_admin:
            raise Forbidden("Only a practice owner or admin can mark a channel as logistics-only.")
        if conversation.kind != "group":
            raise InvalidInput("Only channels can be logistics-only, not direct conversations.")
        values["logistics_only"] = logistics_only
        changed.append("logistics_only")
        details["logistics_only"] = logistics_only
    if values:
        unit.conversations.update(actor.practice_id, conversation_id, **values)
        unit.audit(
            AuditKind.CONVERSATION_UPDATED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="conversation",
            subject_id=conversation_id,
            details={"fields": changed, **details},
        )
        unit.emit(
            Event(
                actor.practice_id,
                "conversation.updated",
                (conversation_topic(conversation_id),),
                {"conversation_id": str(conversation_id), "fields": changed},
            )
        )
    return get_conversation(unit, actor, conversation_id)


def do_add_member(
    unit: Unit, actor: Actor, conversation_id: UUID, user_id: UUID
) -> ConversationView:
    conversation = check_member(unit, actor, conversation_id)
    if conversation.kind != "group":
        raise Conflict("People cannot be added to a direct conversation. Start a channel instead.")
    _active_colleagues(unit, actor, {user_id})
    if unit.conversations.membership(actor.practice_id, conversation_id, user_id) is None:
        if (
            len(unit.conversations.member_ids(actor.practice_id, conversation_id))
            >= MAX_GROUP_MEMBERS
        ):
            raise Conflict(f"This channel already has {MAX_GROUP_MEMBERS} members.")
        unit.conversations.add_member(
            actor.practice_id, conversation_id, user_id, unit.now, conversation.last_seq
        )
        unit.audit(
            AuditKind.MEMBER_ADDED,
            actor.practice_id,
            actor_user_id=actor.user_id,
            actor_session_id=actor.session_id,
            subject_type="conversation",
            subject_id=conversation_id,
            details={"user": str(user_id)},
        )
        _emit_membership(unit, actor.practice_id, conversation_id, user_id, added=True)
    return get_conversation(unit, actor, conversation_id)


def do_remove_member(unit: Unit, actor: Actor, conversation_id: UUID, user_id: UUID) -> None:
    """Leave a channel, or (creator or admin) remove someone. Access ends with the commit."""
    conversation = check_member(unit, actor, conversation_id)
    if conversation.kind != "group":
        raise Conflict("Nobody can be removed from a direct conversation.")
    if user_id != actor.user_id and not (
        actor.is_admin or conversation.created_by == actor.user_id
    ):
        raise Forbidden("Only the channel's creator or an admin can remove other people.")
    if not unit.conversations.remove_member(actor.practice_id, conversation_id, user_id):
        raise NotFound("member")
    unit.audit(
        AuditKind.MEMBER_REMOVED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="conversation",
        subject_id=conversation_id,
        details={"user": str(user_id)},
    )
    _emit_membership(unit, actor.practice_id, conversation_id, user_id, added=False)
