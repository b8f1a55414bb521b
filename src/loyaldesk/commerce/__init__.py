"""Orders, order lines, refunds and returns, products; ingestion by API, Shopify webhooks and import.

Other packages import commerce through this module only, except the file importer
(``loyaldesk.commerce.importer``), kept apart so that the server does not load pyarrow. By role: writers in
``actions`` (and ``revisions``, ``webhooks``), reads in ``queries``, pure rules in ``rules``, the
vocabularies in ``vocab``.
"""

from loyaldesk.commerce import customer_data as _customer_data  # noqa: F401  (registers with customers)
from loyaldesk.commerce.actions import (
    IngestOutcome,
    RefundOutcome,
    change_order_status,
    ingest_orders,
    ingest_orders_and_react,
    record_refund,
    upsert_products,
)
from loyaldesk.commerce.models import Order, OrderLine, Product, Refund
from loyaldesk.commerce.queries import (
    CustomerOrderStats,
    LineFacts,
    OrderFacts,
    PurchaseSummary,
    RefundFacts,
    get_order,
    order_facts,
    order_stats_for_customers,
    purchase_summary,
    recent_orders_of_customer,
    shipping_addresses_of_customer,
)
from loyaldesk.commerce.schemas import OrderIn, OrderOut, ProductIn, RefundIn, StatusChangeIn
from loyaldesk.commerce.vocab import OrderNoteKind, OrderStatus, RefundKind, RefundStatus, WriteOutcome

__all__ = [
    "CustomerOrderStats",
    "IngestOutcome",
    "LineFacts",
    "Order",
    "OrderFacts",
    "OrderIn",
    "OrderLine",
    "OrderNoteKind",
    "OrderOut",
    "OrderStatus",
    "Product",
    "ProductIn",
    "PurchaseSummary",
    "Refund",
    "RefundFacts",
    "RefundIn",
    "RefundKind",
    "RefundOutcome",
    "RefundStatus",
    "StatusChangeIn",
    "WriteOutcome",
    "change_order_status",
    "get_order",
    "ingest_orders",
    "ingest_orders_and_react",
    "order_facts",
    "order_stats_for_customers",
    "purchase_summary",
    "recent_orders_of_customer",
    "record_refund",
    "shipping_addresses_of_customer",
    "upsert_products",
]
