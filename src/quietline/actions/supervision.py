"""Clinical supervision (decision 0021): a supervisor may read the client threads of their
supervisees' clients, and every such read is recorded and shown to the thread's members.

* **Who supervises whom.** Owners and admins assign a supervisee to a supervisor and take
  them off again (:func:`do_assign_supervisee`, :func:`do_remove_supervision`), both audited.
  A supervisor is someone with the supervisor role, or an owner (in a small practice the
  owner is often the clinical supervisor); a supervisee is a clinician or a supervisor. Both
  are active people of the practice.
* **When it gives access.** Only while the practice's ``supervisor_visibility`` policy is on.
  Off, supervisions are still recorded and listed, and give no access at all. The rule is
  checked on every read (:func:`supervision_read`, called by
  :func:`quietline.actions.conversations.check_reader`): the policy, the reader's role, and
  one of their supervisees (active, in a role that may be supervised) assigned to the
  thread's client. Taking the supervisee off, or the supervisee off the client, ends access
  with that commit.
* **Reading only.** History (over HTTP and the WebSocket's ``resume``), the conversation and
  its receipt cursors: what ``check_reader`` allows. Never sending, marking, recalling,
  searching or live pushes (those stay with ``check_member``). A supervision read moves no
  cursor: the supervisor is not a member.
* **Never silently.** Each read is the usual ``message.viewed`` audit entry with
  ``"supervision": <supervision id>`` added. Reads of one thread by one supervisor less than
  :data:`VIEW_GAP` apart are one *view* (a row of ``supervision_views``); each new view is
  announced to the thread's members with a ``supervision.viewed`` event (ids and a time),
  and the members list the views (:func:`list_supervision_views`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from quietline.actions.clients import record_clients_shown
from quietline.actions.context import Actor, check_admin
from quietline.domain.audit import AuditKind
from quietline.domain.errors import Conflict, InvalidInput, NotFound
from quietline.domain.events import Event, conversation_topic, user_topic
from quietline.domain.models import Conversation, User
from quietline.domain.roles import Role
from quietline.storage.stores.supervision import Supervision, SupervisionViewRecord
from quietline.storage.unit import Unit

# Who may supervise, and who may be supervised.
SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR, Role.OWNER})
SUPERVISEE_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR})
_SUPERVISEE_ROLE_VALUES = frozenset(r.value for r in SUPERVISEE_ROLES)
MAX_SUPERVISEES = 100  # per supervisor
MAX_LISTED = 2000
MAX_THREADS = 500
MAX_VIEWS_LISTED = 200
# Reads of one thread by one supervisor closer together than this are one view.
VIEW_GAP = timedelta(minutes=30)


# -- who supervises whom ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupervisionView:
    id: UUID
    supervisor_id: UUID
    supervisee_id: UUID
    created_by: UUID | None
    created_at: datetime
    in_effect: bool  # both active and in roles that qualify (the policy is separate)


def may_supervise(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in SUPERVISOR_ROLES


def may_be_supervised(user: User | None) -> bool:
    return user is not None and user.is_active and user.role in SUPERVISEE_ROLES


def _supervision_view(supervision: Supervision, people: dict[UUID, User]) -> SupervisionView:
    return SupervisionView(
        id=supervision.id,
        supervisor_id=supervision.supervisor_id,
        supervisee_id=supervision.supervisee_id,
        created_by=supervision.created_by,
        created_at=supervision.created_at,
        in_effect=may_supervise(people.get(supervision.supervisor_id))
        and may_be_supervised(people.get(supervision.supervisee_id)),
    )


def _emit_changed(unit: Unit, supervision: Supervision, *, assigned: bool) -> None:
    """Both people are told (ids only), so that open apps refresh their lists."""
    unit.emit(
        Event(
            supervision.practice_id,
            "supervision.changed",
            (user_topic(supervision.supervisor_id), user_topic(supervision.supervisee_id)),
            {
                "supervision_id": str(supervision.id),
                "supervisor_id": str(supervision.supervisor_id),
                "supervisee_id": str(supervision.supervisee_id),
                "assigned": assigned,
            },
        )
    )


def do_assign_supervisee(
    unit: Unit, actor: Actor, supervisor_id: UUID, supervisee_id: UUID
) -> SupervisionView:
    """Make ``supervisee_id`` a supervisee of ``supervisor_id``. Owners and admins; audited.
    Someone of another practice, or no one, is the same 404 as a missing person."""
    check_admin(actor)
    if supervisor_id == supervisee_id:
        raise InvalidInput("Nobody can supervise themselves. Choose two different people.")
    supervisor = unit.users.get(actor.practice_id, supervisor_id)
    supervisee = unit.users.get(actor.practice_id, supervisee_id)
    if supervisor is None or supervisee is None:
        raise NotFound("user")
    if not (supervisor.is_active and supervisee.is_active):
        raise InvalidInput(
            "Both people must have active accounts. Reactivate the account first, or choose "
            "someone else."
        )
    if not may_supervise(supervisor):
        raise InvalidInput(
            "Only someone with the supervisor role, or an owner, can supervise. Change their "
            "role under Staff first."
        )
    if not may_be_supervised(supervisee):
        raise InvalidInput("Only clinicians and supervisors can be supervised.")
    if unit.supervision.find(actor.practice_id, supervisor_id, supervisee_id) is not None:
        raise Conflict("This supervisor already supervises this person.")
    if unit.supervision.count_for_supervisor(actor.practice_id, supervisor_id) >= MAX_SUPERVISEES:
        raise Conflict(f"A supervisor can have at most {MAX_SUPERVISEES} supervisees.")
    supervision = Supervision(
        id=uuid4(),
        practice_id=actor.practice_id,
        supervisor_id=supervisor_id,
        supervisee_id=supervisee_id,
        created_by=actor.user_id,
        created_at=unit.now,
    )
    unit.supervision.insert(supervision)
    unit.audit(
        AuditKind.SUPERVISION_ASSIGNED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=supervisee_id,
        details={"supervision": str(supervision.id), "supervisor": str(supervisor_id)},
    )
    _emit_changed(unit, supervision, assigned=True)
    return _supervision_view(supervision, {supervisor.id: supervisor, supervisee.id: supervisee})


def do_remove_supervision(unit: Unit, actor: Actor, supervision_id: UUID) -> None:
    """End a supervision (owners and admins; audited). The supervisor's access through it
    ends with this commit; the views they made stay listed for the threads' members."""
    check_admin(actor)
    supervision = unit.supervision.get(actor.practice_id, supervision_id)
    if supervision is None or not unit.supervision.delete(actor.practice_id, supervision_id):
        raise NotFound("supervision")
    unit.audit(
        AuditKind.SUPERVISION_REMOVED,
        actor.practice_id,
        actor_user_id=actor.user_id,
        actor_session_id=actor.session_id,
        subject_type="user",
        subject_id=supervision.supervisee_id,
        details={
            "supervision": str(supervision.id),
            "supervisor": str(supervision.supervisor_id),
        },
    )
    _emit_changed(unit, supervision, assigned=False)


def list_supervisions(unit: Unit, actor: Actor) -> list[SupervisionView]:
    """Oldest first. Owners and admins see every supervision of the practice; anyone else
    the ones they supervise or are supervised in."""
    found = unit.supervision.listed(
        actor.practice_id, user_id=None if actor.is_admin else actor.user_id, limit=MAX_LISTED
    )
    people = {u.id: u for u in unit.users.list_for_practice(actor.practice_id)} if found else {}
    return [_supervision_view(s, people) for s in found]


# -- reading ------------------------------------------------------------------------------


def supervision_read(
    unit: Unit, actor: Actor, conversation_id: UUID
) -> tuple[Conversation, UUID] | None:
    """The read rule of supervision: the conversation and the supervision that lets the actor
    read it, or None. Checked on every read; the caller has found that the actor is not a
    member. Costs nothing when the policy is off or the actor cannot supervise."""
    if not actor.practice.policy.supervisor_visibility or actor.user.role not in SUPERVISOR_ROLES:
        return None
    conversation = unit.conversations.get(actor.practice_id, conversation_id)
    if conversation is None or not conversation.is_client_thread or conversation.client_id is None:
        return None
    supervision_id = unit.supervision.grant_for_client(
        actor.practice_id, actor.user_id, conversation.client_id, _SUPERVISEE_ROLE_VALUES
    )
    return None if supervision_id is None else (conversation, supervision_id)


def note_supervision_view(
    unit: Unit, actor: Actor, conversation_id: UUID, supervision_id: UUID
) -> None:
    """Record that the actor read the thread under supervision (messages were shown): a new
    view, announced to the members, unless this continues one (less than VIEW_GAP since
    its last read)."""
    latest = unit.supervision.latest_view(actor.practice_id, conversation_id, actor.user_id)
    if latest is not None and unit.now - latest.last_read_at < VIEW_GAP:
        unit.supervision.extend_view(actor.practice_id, latest.id, unit.now)
        return
    view = SupervisionViewRecord(
        id=uuid4(),
        practice_id=actor.practice_id,
        conversation_id=conversation_id,
        viewer_id=actor.user_id,
        supervision_id=supervision_id,
        started_at=unit.now,
        last_read_at=unit.now,
        reads=1,
    )
    unit.supervision.insert_view(view)
    unit.emit(
        Event(
            actor.practice_id,
            "supervision.viewed",
            (conversation_topic(conversation_id),),
            {
                "conversation_id": str(conversation_id),
                "view_id": str(view.id),
                "viewer_id": str(actor.user_id),
                "started_at": view.started_at.isoformat(),
            },
        )
    )


@dataclass(frozen=True, slots=True)
class SupervisedThreadView:
    conversation_id: UUID
    client_id: UUID
    title: str | None  # the client's name (None only if it cannot be decrypted)
    supervisee_ids: list[UUID]
    last_seq: int
    last_activity_at: datetime
    archived: bool


@dataclass(frozen=True, slots=True)
class SupervisedThreads:
    visibility: bool  # the practice's supervisor_visibility policy
    may_supervise: bool  # the actor's role lets them supervise
    threads: list[SupervisedThreadView]


def list_supervised_threads(unit: Unit, actor: Actor) -> SupervisedThreads:
    """The client threads the actor may read as a supervisor, most recent activity first
    (the same rule as :func:`supervision_read`). Empty while the policy is off, or for
    someone who cannot supervise; the flags say which."""
    visibility = actor.practice.policy.supervisor_visibility
    allowed = actor.user.role in SUPERVISOR_ROLES
    if not (visibility and allowed):
        return SupervisedThreads(visibility, allowed, [])
    found = unit.supervision.supervised_threads(
        actor.practice_id, actor.user_id, _SUPERVISEE_ROLE_VALUES, MAX_THREADS
    )
    threads = [
        SupervisedThreadView(
            conversation_id=t.conversation.id,
            client_id=t.conversation.client_id,
            title=unit.conversation_title(t.conversation),
            supervisee_ids=t.supervisee_ids,
            last_seq=t.conversation.last_seq,
            last_activity_at=t.conversation.last_activity_at,
            archived=t.archived,
        )
        for t in found
        if t.conversation.client_id is not None
    ]
    if threads:
        # The list names clients (thread titles) to someone outside their care: recorded
        # like any other list of clients, so each client's access report shows it.
        record_clients_shown(
            unit,
            actor,
            [t.client_id for t in threads if t.client_id is not None],
            via="supervision_list",
        )
    return SupervisedThreads(visibility, allowed, threads)


# -- what the members see -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupervisionViewEntry:
    id: UUID
    conversation_id: UUID
    viewer_id: UUID
    started_at: datetime
    last_read_at: datetime
    reads: int


def list_supervision_views(
    unit: Unit, actor: Actor, conversation_id: UUID
) -> list[SupervisionViewEntry]:
    """Who read this conversation as a supervisor, when, and how many times in that view,
    newest first. Its members only; anyone else gets the same 404 as for a missing one."""
    if unit.conversations.get_if_member(actor.practice_id, conversation_id, actor.user_id) is None:
        raise NotFound("conversation")
    return [
        SupervisionViewEntry(
            id=v.id,
            conversation_id=v.conversation_id,
            viewer_id=v.viewer_id,
            started_at=v.started_at,
            last_read_at=v.last_read_at,
            reads=v.reads,
        )
        for v in unit.supervision.views_for_conversation(
            actor.practice_id, conversation_id, MAX_VIEWS_LISTED
        )
    ]
