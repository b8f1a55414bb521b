""" "Picked for you": the signed-in shopper's picks on the member page and in the member API
(``GET /member-api/v1/{store}/me/recommendations``). Identified like the rest of the member API (the
store's signature of the shopper's id); a shopper sees only their own picks, and someone the store has not
signed for sees none (the page refuses them; the API answers 401).

Each pick carries its why in the shopper's language and, where a loyalty reward applies, what it costs
them in points and whether their balance covers it (the member page then offers to redeem it)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from loyaldesk.recommendations import PickRequest, PickView, Placement, picks_for
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.shopper import Shopper, ShopperDep

router = APIRouter(tags=["member"])

MEMBER_PAGE_PICKS = 6


def picked_for_you(
    session: Session, shopper: Shopper, language: str, now: datetime, limit: int = MEMBER_PAGE_PICKS
) -> list[PickView]:
    """The shopper's picks for the member page ([] for a shopper the store has not told us about)."""
    if shopper.customer is None:
        return []
    return picks_for(
        session,
        PickRequest(
            store_id=shopper.store.id,
            customer_id=shopper.customer.id,
            placement=Placement.MEMBER,
            limit=limit,
            language=language,
        ),
        now=now,
    )


def _out(view: PickView) -> dict[str, Any]:
    found = asdict(view)
    found.pop("reason_params", None)
    found["reason_kind"] = view.reason_kind.value
    return found


@router.get("/member-api/v1/{store_slug}/me/recommendations", summary="Products picked for me")
def my_recommendations(
    request: Request,
    shopper: ShopperDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=24)] = MEMBER_PAGE_PICKS,
) -> dict[str, Any]:
    """``{"language", "recommendations": [{"item_key", "title", "reason", "reason_kind", "url",
    "image_url", "price", "currency", "category", "in_stock", "points_cost", "reward_id", "affordable",
    ...}]}``: the shopper's own picks, best first, with why in their language; ``points_cost`` and
    ``affordable`` when a loyalty reward for the item applies."""
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session:
        views = picked_for_you(session, shopper, language, runtime.clock.now(), limit)
    return {"language": language, "recommendations": [_out(view) for view in views]}
