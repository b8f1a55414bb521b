"""The shopper's personal offers on the member page ("Just for you") and in the member API
(``GET /member-api/v1/{store}/me/offers``): the active offers whose offer group they are in, with what
each gives, on what, until when, and their personal code for a discount. The holdout sees nothing (it
must not know an offer exists). Identified like the rest of the member API; a shopper sees only their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from loyaldesk.kernel.i18n import format_day, use_language
from loyaldesk.recommendations.queries.offers import my_offers
from loyaldesk.recommendations.rules.offer_words import applies_to, gives
from loyaldesk.web.deps import RuntimeDep
from loyaldesk.web.i18n import shopper_language
from loyaldesk.web.member.shopper import Shopper, ShopperDep

router = APIRouter(tags=["member"])


def offers_view(
    session: Session, shopper: Shopper, now: datetime, language: str | None = None
) -> list[dict[str, Any]]:
    """The shopper's active offers in their language (``language``, else the active one), soonest end
    first; [] for a visitor not known as a customer and for the holdout."""
    if shopper.customer is None:
        return []
    found = []
    for offer in my_offers(session, shopper.store.id, shopper.customer.id, now):
        found.append(
            {
                "id": offer.offer_id,
                "name": offer.name,
                "description": offer.description,
                "kind": offer.kind,
                "value": offer.value,
                "gives": gives(offer.kind, offer.value, shopper.store.currency, language),
                "target_kind": offer.target_kind,
                "target": offer.target,
                "applies_to": applies_to(offer.target_kind, offer.target, offer.target_title),
                "ends_at": offer.ends_at.isoformat(),
                "ends_on": format_day(offer.ends_at, shopper.store.timezone, language),
                "code": offer.code,
                "used": offer.used,
            }
        )
    return found


@router.get("/member-api/v1/{store_slug}/me/offers", summary="My personal offers")
def my_offers_api(request: Request, shopper: ShopperDep, runtime: RuntimeDep) -> dict[str, Any]:
    """``{"offers": [{"id", "name", "description", "kind", "value", "gives", "target_kind", "target",
    "applies_to", "ends_at", "ends_on", "code", "used"}]}``: the shopper's active personal offers
    (``code``: their personal discount code, None for bonus points; ``used``: a qualifying order was
    placed)."""
    language = shopper_language(request, shopper.store, shopper.customer)
    with runtime.database.read() as session, use_language(language):
        offers = offers_view(session, shopper, runtime.clock.now(), language)
    return {"offers": offers}
