"""Clinical supervision (``supervisions``) and the record of supervisors' views of client
threads (``supervision_views``). Decision 0021.

Every query filters on ``practice_id``. Ids, times and counts only: nothing here is sealed.
Which roles may supervise or be supervised is the actions' rule
(:mod:`quietline.actions.supervision`); the queries take the roles they should accept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from quietline.domain.models import Conversation
from quietline.storage.tables import (
    client_clinicians,
    clients,
    conversations,
    supervision_views,
    supervisions,
    users,
)


@dataclass(frozen=True, slots=True)
class Supervision:
    id: UUID
    practice_id: UUID
    supervisor_id: UUID
    supervisee_id: UUID
    created_by: UUID | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SupervisionViewRecord:
    """One view: a supervisor's reads of one client thread, less than a gap apart."""

    id: UUID
    practice_id: UUID
    conversation_id: UUID
    viewer_id: UUID
    supervision_id: UUID
    started_at: datetime
    last_read_at: datetime
    reads: int


@dataclass(frozen=True, slots=True)
class SupervisedThread:
    """A client thread a supervisor may read, and which of their supervisees it is through."""

    conversation: Conversation
    supervisee_ids: list[UUID]
    archived: bool = False  # the client's record is archived


def _supervision(m: Any) -> Supervision:
    return Supervision(
        id=m["id"],
        practice_id=m["practice_id"],
        supervisor_id=m["supervisor_id"],
        supervisee_id=m["supervisee_id"],
        created_by=m["created_by"],
        created_at=m["created_at"],
    )


def _view(m: Any) -> SupervisionViewRecord:
    return SupervisionViewRecord(
        id=m["id"],
        practice_id=m["practice_id"],
        conversation_id=m["conversation_id"],
        viewer_id=m["viewer_id"],
        supervision_id=m["supervision_id"],
        started_at=m["started_at"],
        last_read_at=m["last_read_at"],
        reads=int(m["reads"]),
    )


# The conversation's columns as the Conversation record has them.
_CONVERSATION_COLUMNS = tuple(conversations.c[f.name] for f in dataclasses.fields(Conversation))


def _supervisee_path(supervisee_roles: Collection[str]) -> Any:
    """supervisions -> the supervisee (active, in a role that may be supervised) -> the
    clients assigned to them. Joined within the practice on every step."""
    return supervisions.join(
        users,
        and_(
            users.c.id == supervisions.c.supervisee_id,
            users.c.practice_id == supervisions.c.practice_id,
            users.c.is_active.is_(True),
            users.c.role.in_(sorted(supervisee_roles)),
        ),
    ).join(
        client_clinicians,
        and_(
            client_clinicians.c.user_id == supervisions.c.supervisee_id,
            client_clinicians.c.practice_id == supervisions.c.practice_id,
        ),
    )


_GET = select(supervisions).where(
    supervisions.c.practice_id == bindparam("practice_id"),
    supervisions.c.id == bindparam("supervision_id"),
)
_FIND = select(supervisions).where(
    supervisions.c.practice_id == bindparam("practice_id"),
    supervisions.c.supervisor_id == bindparam("supervisor_id"),
    supervisions.c.supervisee_id == bindparam("supervisee_id"),
)
_LATEST_VIEW = (
    select(supervision_views)
    .where(
        supervision_views.c.practice_id == bindparam("practice_id"),
        supervision_views.c.conversation_id == bindparam("conversation_id"),
        supervision_views.c.viewer_id == bindparam("viewer_id"),
    )
    .order_by(supervision_views.c.last_read_at.desc())
    .limit(1)
)
_EXTEND_VIEW = (
    update(supervision_views)
    .where(
        supervision_views.c.practice_id == bindparam("b_practice_id"),
        supervision_views.c.id == bindparam("b_view_id"),
    )
    .values(last_read_at=bindparam("now"), reads=supervision_views.c.reads + 1)
)


class SupervisionStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- supervisions ---------------------------------------------------------------------
    def insert(self, supervision: Supervision) -> None:
        self._conn.execute(supervisions.insert(), dataclasses.asdict(supervision))

    def get(self, practice_id: UUID, supervision_id: UUID) -> Supervision | None:
        row = self._conn.execute(
            _GET, {"practice_id": practice_id, "supervision_id": supervision_id}
        ).first()
        return None if row is None else _supervision(row._mapping)

    def find(
        self, practice_id: UUID, supervisor_id: UUID, supervisee_id: UUID
    ) -> Supervision | None:
        row = self._conn.execute(
            _FIND,
            {
                "practice_id": practice_id,
                "supervisor_id": supervisor_id,
                "supervisee_id": supervisee_id,
            },
        ).first()
        return None if row is None else _supervision(row._mapping)

    def delete(self, practice_id: UUID, supervision_id: UUID) -> bool:
        result = self._conn.execute(
            delete(supervisions).where(
                supervisions.c.practice_id == practice_id, supervisions.c.id == supervision_id
            )
        )
        return result.rowcount == 1

    def count_for_supervisor(self, practice_id: UUID, supervisor_id: UUID) -> int:
        return int(
            self._conn.execute(
                select(func.count()).where(
                    supervisions.c.practice_id == practice_id,
                    supervisions.c.supervisor_id == supervisor_id,
                )
            ).scalar_one()
        )

    def listed(self, practice_id: UUID, *, user_id: UUID | None, limit: int) -> list[Supervision]:
        """Oldest first: every supervision of the practice, or (``user_id``) those in which
        that person supervises or is supervised."""
        query = select(supervisions).where(supervisions.c.practice_id == practice_id)
        if user_id is not None:
            query = query.where(
                or_(
                    supervisions.c.supervisor_id == user_id, supervisions.c.supervisee_id == user_id
                )
            )
        rows = self._conn.execute(
            query.order_by(supervisions.c.created_at, supervisions.c.id).limit(limit)
        )
        return [_supervision(r._mapping) for r in rows]

    def grant_for_client(
        self,
        practice_id: UUID,
        supervisor_id: UUID,
        client_id: UUID,
        supervisee_roles: Collection[str],
    ) -> UUID | None:
        """The supervision through which ``supervisor_id`` reaches the client: one of their
        supervisees, active and in a role that may be supervised, is assigned to the client.
        The oldest such supervision when there are several; None when there is none."""
        row = self._conn.execute(
            select(supervisions.c.id)
            .select_from(_supervisee_path(supervisee_roles))
            .where(
                supervisions.c.practice_id == practice_id,
                supervisions.c.supervisor_id == supervisor_id,
                client_clinicians.c.client_id == client_id,
            )
            .order_by(supervisions.c.created_at, supervisions.c.id)
            .limit(1)
        ).first()
        return None if row is None else row.id

    def supervised_threads(
        self,
        practice_id: UUID,
        supervisor_id: UUID,
        supervisee_roles: Collection[str],
        limit: int,
    ) -> list[SupervisedThread]:
        """The threads of the clients assigned to the supervisor's supervisees (archived ones
        too, marked), most recent activity first, at most ``limit``; each with the
        supervisees it is through (one query)."""
        query = (
            select(*_CONVERSATION_COLUMNS, supervisions.c.supervisee_id, clients.c.archived_at)
            .select_from(
                _supervisee_path(supervisee_roles)
                .join(
                    clients,
                    and_(
                        clients.c.id == client_clinicians.c.client_id,
                        clients.c.practice_id == supervisions.c.practice_id,
                    ),
                )
                .join(
                    conversations,
                    and_(
                        conversations.c.client_id == clients.c.id,
                        conversations.c.practice_id == supervisions.c.practice_id,
                    ),
                )
            )
            .where(
                supervisions.c.practice_id == practice_id,
                supervisions.c.supervisor_id == supervisor_id,
            )
            .order_by(
                conversations.c.last_activity_at.desc(),
                conversations.c.id,
                supervisions.c.created_at,
            )
        )
        found: dict[UUID, SupervisedThread] = {}
        for row in self._conn.execute(query):
            m = row._mapping
            thread = found.get(m["id"])
            if thread is None:
                if len(found) >= limit:
                    break
                conversation = Conversation(
                    **{f.name: m[f.name] for f in dataclasses.fields(Conversation)}
                )
                thread = found[m["id"]] = SupervisedThread(
                    conversation, [], archived=m["archived_at"] is not None
                )
            thread.supervisee_ids.append(m["supervisee_id"])
        return list(found.values())

    # -- views ----------------------------------------------------------------------------
    def latest_view(
        self, practice_id: UUID, conversation_id: UUID, viewer_id: UUID
    ) -> SupervisionViewRecord | None:
        row = self._conn.execute(
            _LATEST_VIEW,
            {
                "practice_id": practice_id,
                "conversation_id": conversation_id,
                "viewer_id": viewer_id,
            },
        ).first()
        return None if row is None else _view(row._mapping)

    def insert_view(self, view: SupervisionViewRecord) -> None:
        self._conn.execute(supervision_views.insert(), dataclasses.asdict(view))

    def extend_view(self, practice_id: UUID, view_id: UUID, now: datetime) -> None:
        """One more read in a view that is still going on."""
        self._conn.execute(
            _EXTEND_VIEW, {"b_practice_id": practice_id, "b_view_id": view_id, "now": now}
        )

    def views_for_conversation(
        self, practice_id: UUID, conversation_id: UUID, limit: int
    ) -> list[SupervisionViewRecord]:
        """Newest first."""
        rows = self._conn.execute(
            select(supervision_views)
            .where(
                supervision_views.c.practice_id == practice_id,
                supervision_views.c.conversation_id == conversation_id,
            )
            .order_by(supervision_views.c.started_at.desc(), supervision_views.c.id)
            .limit(limit)
        )
        return [_view(r._mapping) for r in rows]
