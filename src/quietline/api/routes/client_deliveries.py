"""How the SMS and e-mail to a client thread's client are doing (queued, sent, delivered to
the phone, failed and why). Members of the thread only, like every conversation route."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from quietline.actions.outbox import ClientDelivery, list_client_deliveries
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn

router = APIRouter(tags=["client messaging"])


def _out(d: ClientDelivery) -> s.ClientDeliveryOut:
    return s.ClientDeliveryOut.model_validate(d, from_attributes=True)


@router.get(
    "/conversations/{conversation_id}/client-deliveries",
    response_model=list[s.ClientDeliveryOut],
)
async def client_deliveries(
    conversation_id: UUID, actor: SignedIn, svc: ServicesDep
) -> list[s.ClientDeliveryOut]:
    """Every SMS and e-mail to this client thread's client, newest first (at most 500), by
    the thread message it carried: its channel, status, when it was sent and delivered, and
    why it failed. Never its text or address. Other conversations have none."""
    found = await svc.db.read(lambda unit: list_client_deliveries(unit, actor, conversation_id))
    return [_out(d) for d in found]
