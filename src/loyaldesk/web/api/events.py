"""``GET /api/v1/events``: a store's event stream, for backends that poll instead of subscribing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.events import EventRecord, StoredEvent
from loyaldesk.web.deps import DatabaseDep, scope

router = APIRouter(prefix="/api/v1", tags=["events"])


class EventsPage(BaseModel):
    data: list[dict]  # type: ignore[type-arg]
    last_id: int


@router.get("/events", response_model=EventsPage, summary="The store's events after an id, oldest first")
def list_events(
    actor: Annotated[Actor, Depends(scope("events:read"))],
    database: DatabaseDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Return events with a larger id.")] = 0,
    type: Annotated[str | None, Query(max_length=64, description="Only this event type.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventsPage:
    assert actor.store_id is not None
    query = select(EventRecord).where(EventRecord.store_id == actor.store_id, EventRecord.id > after)
    if type:
        query = query.where(EventRecord.event_type == type)
    with database.read() as session:
        records = list(session.scalars(query.order_by(EventRecord.id).limit(limit)))
    events = [StoredEvent.from_record(record).as_message() for record in records]
    return EventsPage(data=events, last_id=records[-1].id if records else after)
