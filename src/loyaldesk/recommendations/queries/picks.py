"""Serving a customer's picks from storage: the stored candidates in rank order, joined to the catalogue,
filtered and re-ranked by what may have changed since the fit.

The first version (the contract the placements are built on) filters by the store's settings and the
request's filters and keeps the stored order; ``rules.reranking`` refines it.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Product
from loyaldesk.recommendations.models import CustomerPick, RecommendationSettings
from loyaldesk.recommendations.ports import PickRequest, PickView
from loyaldesk.recommendations.vocab import ReasonKind


def picks_for(session: Session, request: PickRequest) -> list[PickView]:
    """Up to ``request.limit`` picks for the customer, best first; [] when the store has recommendations
    off or nothing is stored for the customer. Never raises for an unknown customer."""
    settings = session.get(RecommendationSettings, request.store_id)
    if settings is not None and not settings.enabled:
        return []
    stored = session.scalars(
        select(CustomerPick)
        .where(CustomerPick.store_id == request.store_id, CustomerPick.customer_id == request.customer_id)
        .order_by(CustomerPick.rank)
    ).all()
    if not stored:
        return []
    keys = {pick.item_key for pick in stored}
    products: dict[str, Product] = {}
    for row in session.scalars(
        select(Product).where(
            Product.store_id == request.store_id,
            or_(Product.external_id.in_(keys), Product.sku.in_(keys)),
        )
    ):
        products.setdefault(row.external_id, row)
        if row.sku:
            products.setdefault(row.sku, row)
    in_stock_only = request.filters.in_stock_only
    if in_stock_only is None:
        in_stock_only = settings.in_stock_only if settings is not None else True
    allowed = set(settings.categories) if settings is not None and settings.categories else set()
    wanted = set(request.filters.categories)
    views: list[PickView] = []
    for pick in stored:
        product = products.get(pick.item_key)
        if pick.item_key in request.filters.exclude_item_keys:
            continue
        if request.filters.item_keys and pick.item_key not in request.filters.item_keys:
            continue
        if product is not None and not product.active:
            continue
        if in_stock_only and product is not None and product.in_stock is False:
            continue
        category = product.category if product is not None else pick.reason_params.get("category")
        if allowed and category not in allowed:
            continue
        if wanted and category not in wanted:
            continue
        views.append(
            PickView(
                item_key=pick.item_key,
                title=product.title
                if product is not None
                else str(pick.reason_params.get("title", pick.item_key)),
                reason="",
                reason_kind=ReasonKind(pick.reason_kind),
                score=pick.score,
                product_id=product.id if product is not None else None,
                url=product.url if product is not None else None,
                image_url=product.image_url if product is not None else None,
                price=product.price if product is not None else None,
                currency=product.currency if product is not None else None,
                category=category if isinstance(category, str) else None,
                in_stock=product.in_stock if product is not None else None,
                reason_params=dict(pick.reason_params),
            )
        )
        if len(views) >= request.limit:
            break
    return views
