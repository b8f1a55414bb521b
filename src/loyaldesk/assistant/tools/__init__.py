"""What the assistant can do for a shopper on the store's real data: one module per tool, each checking
that the asker may see what they ask (``access``). ``registry`` holds the contract every tool keeps;
``catalogue.register_product_tools`` registers them by intent; ``order_proof`` lets an anonymous visitor
prove an order by a one-time code (``verified_orders`` builds ``Asker.verified_order_ids``); ``queries``
lists the return requests for the team."""

from loyaldesk.assistant.tools.access import verified_orders
from loyaldesk.assistant.tools.catalogue import product_tools, register_product_tools
from loyaldesk.assistant.tools.models import OrderProof, ReturnRequest
from loyaldesk.assistant.tools.order_proof import OrderCodeMail, OrderCodeMailer, provide_order_code_mailer
from loyaldesk.assistant.tools.queries import ReturnRequestRow, return_requests
from loyaldesk.assistant.tools.return_actions import NEXT_STATUSES, change_return_status
from loyaldesk.assistant.tools.vocab import OrderChangeKind, ReturnStatus

__all__ = [
    "NEXT_STATUSES",
    "OrderChangeKind",
    "OrderCodeMail",
    "OrderCodeMailer",
    "OrderProof",
    "ReturnRequest",
    "ReturnRequestRow",
    "ReturnStatus",
    "change_return_status",
    "product_tools",
    "provide_order_code_mailer",
    "register_product_tools",
    "return_requests",
    "verified_orders",
]
