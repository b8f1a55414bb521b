"""Creating and updating products of the catalogue, by the store's product id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.commerce.events import (
    ProductCreated,
    ProductUpdated,
)
from loyaldesk.commerce.models import Product
from loyaldesk.commerce.schemas import ProductIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.stores import authorize


@dataclass(frozen=True)
class ProductUpsertResult:
    """The products as stored, and how many were created, updated or left unchanged."""

    products: list[Product]
    created: int
    updated: int
    unchanged: int


_PRODUCT_FIELDS = ("sku", "title", "category", "price", "currency", "attributes")


def upsert_products(
    uow: UnitOfWork, actor: Actor, store_id: int, products: Sequence[ProductIn]
) -> ProductUpsertResult:
    """Create or update products by the store's ``external_id``; the last of duplicates in a batch wins."""
    authorize(actor, store_id, scope="products:write", permission=None)
    latest = {product.external_id: product for product in products}
    existing = {
        product.external_id: product
        for product in uow.session.scalars(
            select(Product).where(Product.store_id == store_id, Product.external_id.in_(list(latest)))
        )
    }
    now = uow.now()
    created = updated = unchanged = 0
    result: list[Product] = []
    for external_id, data in latest.items():
        values = data.model_dump(exclude={"external_id"})
        product = existing.get(external_id)
        if product is None:
            product = Product(
                store_id=store_id, external_id=external_id, created_at=now, updated_at=now, **values
            )
            uow.session.add(product)
            uow.session.flush()
            uow.emit(ProductCreated(store_id=store_id, product_id=product.id, sku=product.sku))
            created += 1
        else:
            changed = [name for name in _PRODUCT_FIELDS if getattr(product, name) != values[name]]
            for name in changed:
                setattr(product, name, values[name])
            if changed:
                product.updated_at = now
                uow.emit(ProductUpdated(store_id=store_id, product_id=product.id, changed_fields=changed))
                updated += 1
            else:
                unchanged += 1
        result.append(product)
    return ProductUpsertResult(result, created, updated, unchanged)
