"""``/api/v1/customers/{customer_id}/preferences``: what a customer told the store they prefer (sizes,
interests, categories to leave out, channels), read with ``recommendations:read`` and replaced as a whole
with ``recommendations:write`` (the store's backend relaying its own preference centre)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from loyaldesk.kernel.actors import Actor
from loyaldesk.recommendations.actions.preferences import save_preferences
from loyaldesk.recommendations.queries.preferences import preferences_of
from loyaldesk.recommendations.schemas import PreferencesIn, PreferencesOut
from loyaldesk.web.deps import DatabaseDep, scope

router = APIRouter(prefix="/api/v1/customers", tags=["recommendations"])

Reader = Annotated[Actor, Depends(scope("recommendations:read"))]
Writer = Annotated[Actor, Depends(scope("recommendations:write"))]
CustomerId = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/{customer_id}/preferences", response_model=PreferencesOut, summary="A customer's preferences")
def get_preferences(customer_id: CustomerId, actor: Reader, database: DatabaseDep) -> PreferencesOut:
    assert actor.store_id is not None
    with database.read() as session:
        return preferences_of(session, actor.store_id, customer_id)


@router.put(
    "/{customer_id}/preferences",
    response_model=PreferencesOut,
    summary="Replace a customer's preferences (what is left out is cleared)",
)
def put_preferences(
    customer_id: CustomerId, body: PreferencesIn, actor: Writer, database: DatabaseDep
) -> PreferencesOut:
    assert actor.store_id is not None
    database.write(save_preferences, actor, actor.store_id, customer_id, body)
    with database.read() as session:
        return preferences_of(session, actor.store_id, customer_id)
