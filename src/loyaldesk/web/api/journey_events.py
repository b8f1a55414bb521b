"""``POST /api/v1/custom-events`` (what the store's site saw: a cart abandoned, a product viewed; rules
trigger on ``custom:<name>``) and ``PUT /api/v1/customers/{id}/consent`` (a customer's marketing choice
per channel, from the store's own forms)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from loyaldesk.journeys import consents_of
from loyaldesk.journeys.actions.custom_events import change_consent, record_custom_event
from loyaldesk.journeys.schemas import ConsentIn, CustomEventIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.web.deps import DatabaseDep, scope

router = APIRouter(prefix="/api/v1", tags=["journeys"])
Writer = Annotated[Actor, Depends(scope("journeys:write"))]


class CustomEventAccepted(BaseModel):
    name: str
    customer_id: int


class ConsentOut(BaseModel):
    customer_id: int
    consent: dict[str, bool]
    changed: bool


@router.post(
    "/custom-events",
    status_code=202,
    response_model=CustomEventAccepted,
    summary="Tell loyaldesk what a customer did on your site (cart_abandoned, product_viewed, ...)",
)
def post_custom_event(body: CustomEventIn, actor: Writer, database: DatabaseDep) -> CustomEventAccepted:
    assert actor.store_id is not None
    event = database.write(record_custom_event, actor, actor.store_id, body)
    assert event.customer_id is not None
    return CustomEventAccepted(name=event.name, customer_id=event.customer_id)


@router.put(
    "/customers/{customer_id}/consent",
    response_model=ConsentOut,
    summary="Record a customer's marketing consent for one channel",
)
def put_consent(
    customer_id: Annotated[int, Path(ge=1, le=2**62)], body: ConsentIn, actor: Writer, database: DatabaseDep
) -> ConsentOut:
    assert actor.store_id is not None
    changed = database.write(change_consent, actor, actor.store_id, customer_id, body)
    with database.read() as session:
        consent = {channel.value: granted for channel, granted in consents_of(session, customer_id).items()}
    return ConsentOut(customer_id=customer_id, consent=consent, changed=changed)
