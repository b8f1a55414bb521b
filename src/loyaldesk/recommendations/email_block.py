"""Recommendations' side of journeys' ``recommendations`` email block: ``cards_for_email`` is the
``journeys.ProductPicker`` the composition root registers. It serves the recipient's picks for the email
placement (``picks_for`` with ``Placement.EMAIL``: the store's filters, then the block's categories or a
campaign's items) as cards with the price written in the recipient's language. A read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from loyaldesk.journeys import ProductAsk, ProductCard
from loyaldesk.kernel.i18n import format_money
from loyaldesk.recommendations.ports import PickFilters, PickRequest
from loyaldesk.recommendations.queries import picks_for
from loyaldesk.recommendations.vocab import Placement


def cards_for_email(session: Session, ask: ProductAsk) -> list[ProductCard]:
    """Up to ``ask.count`` products for the recipient, best first; [] when they have no picks (the block
    then renders nothing). Products without a web address are kept, shown without a link."""
    picks = picks_for(
        session,
        PickRequest(
            ask.store_id,
            ask.customer_id,
            placement=Placement.EMAIL,
            limit=ask.count,
            language=ask.language,
            filters=PickFilters(categories=ask.categories, item_keys=ask.item_keys),
        ),
    )
    return [
        ProductCard(
            item_key=pick.item_key,
            title=pick.title,
            url=pick.url,
            image_url=pick.image_url,
            price=format_money(pick.price, pick.currency, ask.language)
            if pick.price is not None and pick.currency
            else "",
            reason=pick.reason,
        )
        for pick in picks
    ]
