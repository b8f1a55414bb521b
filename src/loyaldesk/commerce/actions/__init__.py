"""Every write to orders, lines, refunds and products. Each runs inside the caller's unit of work.

Ingestion is idempotent on the store's own ids: an order, refund or product sent twice is stored once,
and sending an order again with a later status moves it forward (emitting that stage's event).
"""

from loyaldesk.commerce.actions.erasure import erase_order_personal_data
from loyaldesk.commerce.actions.ingest import IngestOutcome, ingest_orders, ingest_orders_and_react
from loyaldesk.commerce.actions.products import (
    ProductUpsertResult,
    set_products_active,
    update_product,
    upsert_products,
)
from loyaldesk.commerce.actions.refunds import RefundOutcome, record_refund
from loyaldesk.commerce.actions.status import change_order_status

__all__ = [
    "IngestOutcome",
    "ProductUpsertResult",
    "RefundOutcome",
    "change_order_status",
    "erase_order_personal_data",
    "ingest_orders",
    "ingest_orders_and_react",
    "record_refund",
    "set_products_active",
    "update_product",
    "upsert_products",
]
