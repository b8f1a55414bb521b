"""The product's tools, registered by intent name (the intent model is trained with these names)."""

from __future__ import annotations

from loyaldesk.assistant.tools.delivery import DeliveryOptionsTool
from loyaldesk.assistant.tools.membership import PointsTool, ReferralTool, TierProgressTool
from loyaldesk.assistant.tools.order_changes import CancelOrderTool, ChangeAddressTool
from loyaldesk.assistant.tools.order_proof import ConfirmOrderCodeTool, ProveOrderTool
from loyaldesk.assistant.tools.order_status import OrderStatusTool
from loyaldesk.assistant.tools.refund_status import RefundStatusTool
from loyaldesk.assistant.tools.registry import Tool, register_tool
from loyaldesk.assistant.tools.returns import ReturnItemTool
from loyaldesk.assistant.tools.rewards import RedeemRewardTool


def product_tools(public_base_url: str = "") -> list[Tool]:
    """Every tool loyaldesk ships; ``public_base_url`` makes referral links absolute."""
    return [
        OrderStatusTool(),
        DeliveryOptionsTool(),
        CancelOrderTool(),
        ChangeAddressTool(),
        ReturnItemTool(),
        RefundStatusTool(),
        PointsTool(),
        RedeemRewardTool(),
        TierProgressTool(),
        ReferralTool(public_base_url=public_base_url),
        ProveOrderTool(),
        ConfirmOrderCodeTool(),
    ]


def register_product_tools(public_base_url: str = "") -> None:
    """Register every product tool under its intents, and the tools' erasure step with the customer
    record (the composition root calls it; idempotent)."""
    from loyaldesk.assistant.tools import customer_data

    for tool in product_tools(public_base_url):
        register_tool(tool)
    customer_data.register()
