"""Clinical supervision (decision 0021): who supervises whom (owners and admins change it),
the client threads a supervisor may read, and, for a thread's members, who read it as a
supervisor. The actions check who may do what."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from quietline.actions.supervision import (
    SupervisionView,
    do_assign_supervisee,
    do_remove_supervision,
    list_supervised_threads,
    list_supervision_views,
    list_supervisions,
)
from quietline.api.access import ServicesDep, SignedIn
from quietline.api.schemas import Strict

router = APIRouter(tags=["supervision"])


class SupervisionIn(Strict):
    supervisor_id: UUID = Field(description="Someone with the supervisor role, or an owner")
    supervisee_id: UUID = Field(description="A clinician or a supervisor")


class SupervisionOut(BaseModel):
    id: UUID
    supervisor_id: UUID
    supervisee_id: UUID
    created_by: UUID | None
    created_at: datetime
    in_effect: bool = Field(
        description="Both people are active and in roles that qualify. Access also needs the "
        "practice's supervisor_visibility policy."
    )


class SupervisedThreadOut(BaseModel):
    conversation_id: UUID
    client_id: UUID
    title: str | None = Field(description="The client's name, as the thread shows it")
    supervisee_ids: list[UUID] = Field(description="Your supervisees assigned to the client")
    last_seq: int
    last_activity_at: datetime
    archived: bool = Field(description="The client's record is archived")


class SupervisedThreadsOut(BaseModel):
    supervisor_visibility: bool = Field(
        description="The practice's policy: while it is off, supervision gives no access"
    )
    may_supervise: bool = Field(description="Your role lets you supervise")
    threads: list[SupervisedThreadOut]


class SupervisionViewOut(BaseModel):
    id: UUID
    viewer_id: UUID = Field(description="The supervisor who read the thread")
    started_at: datetime
    last_read_at: datetime
    reads: int = Field(description="Pages of messages read in this view")


def _out(view: SupervisionView) -> SupervisionOut:
    return SupervisionOut(
        id=view.id,
        supervisor_id=view.supervisor_id,
        supervisee_id=view.supervisee_id,
        created_by=view.created_by,
        created_at=view.created_at,
        in_effect=view.in_effect,
    )


@router.get("/supervisions", response_model=list[SupervisionOut])
async def supervisions(actor: SignedIn, svc: ServicesDep) -> list[SupervisionOut]:
    """Who supervises whom. Owners and admins see all of the practice; anyone else the
    supervisions they are part of."""
    views = await svc.db.read(lambda unit: list_supervisions(unit, actor))
    return [_out(v) for v in views]


@router.post("/supervisions", response_model=SupervisionOut, status_code=201)
async def assign_supervisee(
    body: SupervisionIn, actor: SignedIn, svc: ServicesDep
) -> SupervisionOut:
    """Owners and admins: make someone a supervisee of a supervisor. While the practice's
    supervisor_visibility policy is on, the supervisor may read the client threads of the
    supervisee's clients; each read is recorded and shown to the thread's members."""
    view = await svc.db.write(
        lambda unit: do_assign_supervisee(unit, actor, body.supervisor_id, body.supervisee_id)
    )
    return _out(view)


@router.delete("/supervisions/{supervision_id}", status_code=204)
async def remove_supervision(supervision_id: UUID, actor: SignedIn, svc: ServicesDep) -> Response:
    """Owners and admins: end a supervision. The supervisor's access ends at once."""
    await svc.db.write(lambda unit: do_remove_supervision(unit, actor, supervision_id))
    return Response(status_code=204)


@router.get("/supervision/threads", response_model=SupervisedThreadsOut)
async def supervised_threads(actor: SignedIn, svc: ServicesDep) -> SupervisedThreadsOut:
    """Supervisors: the client threads of your supervisees' clients that you may read, most
    recent activity first. Empty while the practice's supervisor_visibility policy is off.
    Listing names clients, so it is audited (client.viewed, via supervision_list)."""
    found = await svc.db.write(lambda unit: list_supervised_threads(unit, actor))
    return SupervisedThreadsOut(
        supervisor_visibility=found.visibility,
        may_supervise=found.may_supervise,
        threads=[
            SupervisedThreadOut(
                conversation_id=t.conversation_id,
                client_id=t.client_id,
                title=t.title,
                supervisee_ids=t.supervisee_ids,
                last_seq=t.last_seq,
                last_activity_at=t.last_activity_at,
                archived=t.archived,
            )
            for t in found.threads
        ],
    )


@router.get(
    "/conversations/{conversation_id}/supervision-views",
    response_model=list[SupervisionViewOut],
)
async def supervision_views(
    conversation_id: UUID, actor: SignedIn, svc: ServicesDep
) -> list[SupervisionViewOut]:
    """The conversation's members: who read it as a supervisor, when, newest first."""
    views = await svc.db.read(lambda unit: list_supervision_views(unit, actor, conversation_id))
    return [
        SupervisionViewOut(
            id=v.id,
            viewer_id=v.viewer_id,
            started_at=v.started_at,
            last_read_at=v.last_read_at,
            reads=v.reads,
        )
        for v in views
    ]
