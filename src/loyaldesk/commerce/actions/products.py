"""Creating and updating products of the catalogue, by the store's product id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce.events import (
    ProductCreated,
    ProductUpdated,
)
from loyaldesk.commerce.models import Product
from loyaldesk.commerce.schemas import CATALOGUE_FIELDS, ProductIn, ProductPatchIn
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import authorize


@dataclass(frozen=True)
class ProductUpsertResult:
    """The products as stored, and how many were created, updated or left unchanged."""

    products: list[Product]
    created: int
    updated: int
    unchanged: int


_PRODUCT_FIELDS = ("sku", "title", "category", "price", "currency", "attributes")
# Compared and stored on every statement of a product; the catalogue fields only when sent.
_ALL_FIELDS = (*_PRODUCT_FIELDS, *CATALOGUE_FIELDS)


def upsert_products(
    uow: UnitOfWork, actor: Actor, store_id: int, products: Sequence[ProductIn]
) -> ProductUpsertResult:
    """Create or update products by the store's ``external_id``; the last of duplicates in a batch wins.

    ``sku``, ``category`` and ``attributes`` are replaced by what is sent; a catalogue field (url, image,
    stock, cost, consumable, active) left out keeps its stored value (a new product: unknown, active)."""
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
        values = {name: getattr(data, name) for name in _PRODUCT_FIELDS} | data.catalogue_changes()
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
            if _apply(uow, store_id, product, values):
                updated += 1
            else:
                unchanged += 1
        result.append(product)
    return ProductUpsertResult(result, created, updated, unchanged)


def _apply(uow: UnitOfWork, store_id: int, product: Product, values: dict[str, Any]) -> list[str]:
    """Set what differs; announce it. The names of the fields changed ([] when nothing did)."""
    changed = [name for name in _ALL_FIELDS if name in values and getattr(product, name) != values[name]]
    for name in changed:
        setattr(product, name, values[name])
    if changed:
        product.updated_at = uow.now()
        uow.emit(ProductUpdated(store_id=store_id, product_id=product.id, changed_fields=changed))
    return changed


def update_product(
    uow: UnitOfWork, actor: Actor, store_id: int, external_id: str, changes: ProductPatchIn
) -> Product:
    """Change only the fields sent of a known product (a stock or price update); ``NotFound`` for a
    product the store has not sent yet (create it with all its fields first)."""
    authorize(actor, store_id, scope="products:write", permission=None)
    product = uow.session.scalar(
        select(Product).where(Product.store_id == store_id, Product.external_id == external_id)
    )
    if product is None:
        raise NotFound(
            f"no product with external_id {external_id!r}; send it whole first (POST /api/v1/products)"
        )
    _apply(uow, store_id, product, changes.changes())
    return product


def set_products_active(uow: UnitOfWork, store_id: int, external_ids: Sequence[str], *, active: bool) -> int:
    """Archive (or restore) products by the store's ids, as the store's own feed reported (a deleted or
    archived Shopify product); unknown ids are ignored. How many changed. Callers have authorised."""
    changed = 0
    for product in uow.session.scalars(
        select(Product).where(Product.store_id == store_id, Product.external_id.in_(list(external_ids)))
    ):
        changed += bool(_apply(uow, store_id, product, {"active": active}))
    return changed
