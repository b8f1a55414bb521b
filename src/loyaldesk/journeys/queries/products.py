"""The products an email's ``{{ recommendations }}`` block shows its recipient, read at send time through
the product picker (``ports.pick_products``: recommendations fills it; journeys never imports it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.models import MessageTemplate
from loyaldesk.journeys.ports import ProductAsk, pick_products
from loyaldesk.journeys.rendering import recommendations
from loyaldesk.journeys.vocab import Channel


def product_blocks(
    session: Session, template: MessageTemplate, customer: Customer, language: str
) -> list[dict[str, Any]]:
    """``[block]`` with the recipient's products for an email whose template has ``{{ recommendations }}``;
    [] for other templates and channels, and when the picker has nothing for them (no block at all).
    Options a store saved before they were checked count as the defaults."""
    if template.channel != Channel.EMAIL.value:
        return []
    try:
        options = recommendations.block_options(template.body, template.mjml)
    except ValueError:
        options = recommendations.BlockOptions()
    if options is None:
        return []
    ask = ProductAsk(
        customer.store_id,
        customer.id,
        count=options.count,
        categories=options.categories,
        item_keys=options.item_keys,
        language=language,
    )
    cards = pick_products(session, ask)
    return [recommendations.block_of(cards)] if cards else []
