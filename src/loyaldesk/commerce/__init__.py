"""Orders, order lines, refunds and returns, products; ingestion by API, Shopify webhooks and import."""

from loyaldesk.commerce import customer_data as _customer_data  # noqa: F401  (registers with customers)
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
from loyaldesk.commerce.schemas import OrderIn, OrderOut
from loyaldesk.commerce.vocab import OrderStatus

__all__ = [
    "CustomerOrderStats",
    "LineFacts",
    "Order",
    "OrderFacts",
    "OrderIn",
    "OrderLine",
    "OrderOut",
    "OrderStatus",
    "Product",
    "PurchaseSummary",
    "Refund",
    "RefundFacts",
    "get_order",
    "order_facts",
    "order_stats_for_customers",
    "purchase_summary",
    "recent_orders_of_customer",
    "shipping_addresses_of_customer",
]
