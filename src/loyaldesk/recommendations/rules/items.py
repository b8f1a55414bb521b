"""What is recommended: the item key of an order line (see ``models``' docstring)."""

from __future__ import annotations


def item_key(product_external_id: str | None, sku: str | None) -> str | None:
    """The line's ``product_external_id`` when the store sends one, else its ``sku``; None when the line
    has neither (such a line cannot be recommended and is skipped)."""
    for value in (product_external_id, sku):
        if value is not None:
            text = str(value).strip()
            if text:
                return text[:255]
    return None
