"""``GET /api/v1/customers/{customer_id}/recommendations``: the products picked for a customer, best
first, each with why in the customer's language and what its loyalty reward costs them (scope
``recommendations:read``). Served from storage (``recommendations.picks_for``): the picks the last fit
stored, re-ranked by stock, margin, points and churn risk; a customer without stored picks gets the
store's bestsellers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.kernel import i18n
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.recommendations import PickFilters, PickRequest, Placement, picks_for
from loyaldesk.recommendations.schemas import PickOut, PicksOut
from loyaldesk.stores import Store
from loyaldesk.web.deps import RuntimeDep, scope

router = APIRouter(prefix="/api/v1/customers", tags=["recommendations"])

Reader = Annotated[Actor, Depends(scope("recommendations:read"))]
MAX_FILTER_VALUES = 100


def _list(field: str, values: list[str] | None) -> tuple[str, ...]:
    """Repeated or comma-separated values, trimmed, without empties or repeats; too many is a 422."""
    found = tuple(
        dict.fromkeys(part.strip() for value in values or [] for part in value.split(",") if part.strip())
    )
    if len(found) > MAX_FILTER_VALUES:
        raise Invalid.field(field, f"at most {MAX_FILTER_VALUES} values")
    if any(len(value) > 255 for value in found):
        raise Invalid.field(field, "values of at most 255 characters")
    return found


@router.get(
    "/{customer_id}/recommendations",
    response_model=PicksOut,
    summary="Products picked for a customer",
)
def customer_recommendations(
    actor: Reader,
    runtime: RuntimeDep,
    customer_id: Annotated[int, Path(ge=1, le=2**62, description="loyaldesk's customer id.")],
    limit: Annotated[int, Query(ge=1, le=50, description="How many picks, at most.")] = 10,
    category: Annotated[
        list[str] | None,
        Query(max_length=2000, description="Only these categories (repeat, or comma-separated)."),
    ] = None,
    in_stock_only: Annotated[
        bool | None, Query(description="Only items in stock (the store's setting when not given).")
    ] = None,
    items: Annotated[
        list[str] | None,
        Query(max_length=5000, description="Only these item keys, e.g. a campaign's (comma-separated)."),
    ] = None,
    language: Annotated[
        str | None,
        Query(max_length=35, description="The reasons' language (default: the customer's, the store's)."),
    ] = None,
) -> PicksOut:
    """The customer's picks, best first: ``{"customer_id", "language", "data": [...]}``. Filters only
    narrow what the store's recommendation settings allow. 404 for a customer the store does not have."""
    store_id = actor.store_id
    assert store_id is not None
    filters = PickFilters(
        categories=_list("category", category),
        item_keys=_list("items", items),
        in_stock_only=in_stock_only,
    )
    if language is not None and i18n.shipped_language(language) is None:
        raise Invalid.field("language", f"one of {', '.join(i18n.LANGUAGES)}")
    with runtime.database.read() as session:
        found = session.execute(
            select(Customer.locale, Store.default_language)
            .join(Store, Store.id == Customer.store_id)
            .where(Customer.id == customer_id, Customer.store_id == store_id)
        ).first()
        if found is None:
            raise NotFound(f"no customer {customer_id} in this store")
        chosen = i18n.negotiate(profile=language or found.locale, store_default=found.default_language)
        views = picks_for(
            session,
            PickRequest(
                store_id=store_id,
                customer_id=customer_id,
                placement=Placement.API,
                limit=limit,
                language=chosen,
                filters=filters,
            ),
            now=runtime.clock.now(),
        )
    return PicksOut(customer_id=customer_id, language=chosen, data=[PickOut.of(view) for view in views])
