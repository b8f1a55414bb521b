"""API routes of the stores domain: who am I."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from loyaldesk.stores import queries
from loyaldesk.web.deps import ApiActor, DatabaseDep

router = APIRouter(prefix="/api/v1", tags=["store"])


class StoreOut(BaseModel):
    id: int
    slug: str
    name: str
    currency: str
    timezone: str
    locale: str
    api_key: str
    scopes: list[str]


@router.get("/store", response_model=StoreOut, summary="The store this API key belongs to")
def get_store(actor: ApiActor, database: DatabaseDep) -> StoreOut:
    assert actor.store_id is not None
    with database.read() as session:
        store = queries.store_by_id(session, actor.store_id)
    return StoreOut(
        id=store.id,
        slug=store.slug,
        name=store.name,
        currency=store.currency,
        timezone=store.timezone,
        locale=store.locale,
        api_key=actor.label,
        scopes=sorted(actor.scopes),
    )
