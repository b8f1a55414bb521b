"""Orders, order lines, refunds and returns, products; ingestion by API, Shopify webhooks and import."""

from loyaldesk.commerce import customer_data as _customer_data  # noqa: F401  (registers with customers)
from loyaldesk.commerce.models import Order, OrderLine, Product, Refund
from loyaldesk.commerce.queries import (
    CustomerOrderStats,
    PurchaseSummary,
    get_order,
    order_stats_for_customers,
    purchase_summary,
    recent_orders_of_customer,
)
from loyaldesk.commerce.rules import OrderStatus
from loyaldesk.commerce.schemas import OrderIn, OrderOut

__all__ = [
    "CustomerOrderStats",
    "Order",
    "OrderIn",
    "OrderLine",
    "OrderOut",
    "OrderStatus",
    "Product",
    "PurchaseSummary",
    "Refund",
    "get_order",
    "order_stats_for_customers",
    "purchase_summary",
    "recent_orders_of_customer",
]
