"""``delivery_options``: the store's own delivery information, as it wrote it in the desk settings.
Without it the tool says ``NOT_FOUND`` and the dialogue falls back to the help center's articles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.assistant.tools.common import in_language
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _
from loyaldesk.support import SupportSettings


def answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    info = uow.session.scalar(
        select(SupportSettings.shipping_info).where(SupportSettings.store_id == asker.store_id)
    )
    info = (info or "").strip()
    if not info:
        return ToolResult(
            DeliveryOptionsTool.name,
            ToolStatus.NOT_FOUND,
            _("I do not have the store's delivery information at hand."),
            {"reason": "no_shipping_info"},
        )
    # The store's own words, as it wrote them (data is not translated).
    return ToolResult(DeliveryOptionsTool.name, ToolStatus.ANSWERED, info, {"shipping_info": info})


@dataclass
class DeliveryOptionsTool:
    """The store's delivery options; anyone may read them."""

    name: str = "delivery_options"
    intents: tuple[str, ...] = ("delivery_options",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(answer)(uow, asker, request)
