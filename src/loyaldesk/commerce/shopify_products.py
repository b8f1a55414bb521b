"""Shopify product webhooks mapped to the catalogue: products/create, products/update, products/delete and
inventory_levels/update. Pure functions, no I/O.

One catalogue product per Shopify product: ``external_id`` is the product's id, ``sku`` its first variant's,
``price`` its lowest variant price (Shopify sends no currency with a product: the store's currency is
used), ``category`` its ``product_type``. It is in stock when any variant can be bought: a tracked variant
with ``inventory_quantity > 0``, a variant that sells on when out (``inventory_policy: "continue"``) or one
whose stock Shopify does not track (``inventory_management: null``); the quantity is the sum of the tracked
variants'. A payload without variants says nothing about price or stock: the price is refused (a product
needs one), the stock stays unknown. ``status`` other than ``active`` (archived, draft) makes it inactive.

Each variant's inventory item is kept in the product's ``attributes`` (``inventory_item:<id>``: its
quantity, or ``"continue"`` / ``"untracked"``), so that an ``inventory_levels/update`` (which names only
the inventory item) finds its product and recomputes the stock. Its ``available`` is taken as the item's
quantity, as for a store with one location; the next products/update (whose quantities are totals over
every location) corrects a store with several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from loyaldesk.commerce.schemas import ProductIn
from loyaldesk.commerce.shopify_fields import identifier, money, text, whole_number
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.validation import invalid_from

PRODUCT_TOPICS = frozenset({"products/create", "products/update"})
PRODUCT_DELETE_TOPICS = frozenset({"products/delete"})
INVENTORY_TOPICS = frozenset({"inventory_levels/update"})

INVENTORY_KEY = "inventory_item:"
CONTINUE, UNTRACKED = "continue", "untracked"
MAX_TRACKED_ITEMS = 40  # attributes hold at most 50 values; the rest of a huge product is not tracked
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@dataclass
class MappedProduct:
    product: ProductIn
    notes: list[str] = field(default_factory=list)


def product_url(shop_domain: str | None, handle: str | None) -> str | None:
    """``https://{shop}/products/{handle}`` when the shop's domain (``X-Shopify-Shop-Domain``) is a
    plain host name and the product has a handle; else None (the store's page is not known)."""
    if not shop_domain or not handle:
        return None
    host = shop_domain.strip().lower()
    if not _HOST.fullmatch(host) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", handle):
        return None
    return f"https://{host}/products/{handle}"


def _variant_stock(variant: dict[str, Any]) -> int | str:
    if variant.get("inventory_policy") == CONTINUE:
        return CONTINUE
    if "inventory_management" in variant and variant.get("inventory_management") in (None, ""):
        return UNTRACKED
    quantity = whole_number(variant.get("inventory_quantity"))
    return UNTRACKED if quantity is None else quantity


def stock_of(items: dict[str, int | str]) -> tuple[bool | None, int | None]:
    """(in_stock, inventory_quantity) of a product from its inventory items' stock; (None, None) when
    there is none to go by."""
    if not items:
        return None, None
    counted = [value for value in items.values() if isinstance(value, int)]
    quantity = sum(counted) if counted else None
    buyable = any(
        value in (CONTINUE, UNTRACKED) or (isinstance(value, int) and value > 0) for value in items.values()
    )
    return buyable, quantity


def _image(payload: dict[str, Any]) -> str | None:
    image = payload.get("image")
    if not isinstance(image, dict):
        images = payload.get("images")
        image = images[0] if isinstance(images, list) and images and isinstance(images[0], dict) else None
    source = text(image.get("src"), 2000) if isinstance(image, dict) else None
    return source if source and re.fullmatch(r"https?://[^\s/?#]+[^\s]*", source) else None


def product_from_payload(payload: Any, currency: str, shop_domain: str | None = None) -> MappedProduct:
    """A ``ProductIn`` from a Shopify product payload, or ``Invalid`` naming what is missing or wrong."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify product)")
    notes: list[str] = []
    external_id = identifier(payload.get("id"), "id")
    variants = [variant for variant in payload.get("variants") or [] if isinstance(variant, dict)]
    prices = [
        money(variant["price"], currency, f"variants.{index}.price")
        for index, variant in enumerate(variants)
        if variant.get("price") not in (None, "")
    ]
    if not prices:
        raise Invalid.field("variants", "the product has no variant with a price")
    items: dict[str, int | str] = {}
    for index, variant in enumerate(variants):
        item = variant.get("inventory_item_id")
        key = (
            str(item) if item not in (None, "") and not isinstance(item, bool | dict | list) else f"v{index}"
        )
        items[key] = _variant_stock(variant)
    in_stock, quantity = stock_of(items) if variants else (None, None)
    tracked = {
        f"{INVENTORY_KEY}{key}": value
        for key, value in list(items.items())[:MAX_TRACKED_ITEMS]
        if key[0] != "v"
    }
    if len(items) > MAX_TRACKED_ITEMS:
        notes.append(
            f"stock of {len(items) - MAX_TRACKED_ITEMS} variants beyond the first {MAX_TRACKED_ITEMS} is "
            "counted from products/update only"
        )
    handle = text(payload.get("handle"), 255)
    status = text(payload.get("status"), 20) or "active"
    attributes: dict[str, Any] = {"shopify_status": status, **tracked}
    if handle:
        attributes["handle"] = handle
    vendor = text(payload.get("vendor"), 200)
    if vendor:
        attributes["vendor"] = vendor
    data = {
        "external_id": external_id,
        "sku": text(variants[0].get("sku"), 255) if variants else None,
        "title": text(payload.get("title"), 500) or f"Product {external_id}",
        "category": text(payload.get("product_type"), 200),
        "price": min(prices),
        "currency": currency,
        "attributes": attributes,
        "url": product_url(shop_domain, handle),
        "image_url": _image(payload),
        "in_stock": in_stock,
        "inventory_quantity": quantity,
        "active": status == "active",
    }
    if not text(payload.get("title"), 500):
        notes.append("title missing: the product's id stands in")
    try:
        return MappedProduct(ProductIn.model_validate(data), notes)
    except ValidationError as error:
        raise invalid_from(error, message="the Shopify product payload is not valid") from None


def deleted_product_id(payload: Any) -> str:
    """The id of a products/delete payload (``{"id": ...}``)."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a deleted Shopify product)")
    return identifier(payload.get("id"), "id")


def inventory_level(payload: Any) -> tuple[str, int | None]:
    """(inventory_item_id, available) of an inventory_levels/update payload; available None: untracked."""
    if not isinstance(payload, dict):
        raise Invalid.field("body", "must be a JSON object (a Shopify inventory level)")
    item = identifier(payload.get("inventory_item_id"), "inventory_item_id")
    available = payload.get("available")
    if available is not None and whole_number(available) is None:
        raise Invalid.field("available", "must be a whole number or null")
    return item, available
