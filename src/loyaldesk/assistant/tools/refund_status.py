"""``refund_status``: the refunds recorded on the asker's order (amount, day, refund or return), and the
return requests still open for it, from commerce's refunds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from loyaldesk.assistant.tools.access import clean_order_number, has_identity, visible_order
from loyaldesk.assistant.tools.common import (
    day,
    in_language,
    iso,
    order_facts,
    order_name,
    order_not_found,
    orders_need_identity,
)
from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.assistant.tools.registry import Asker, ToolRequest, ToolResult, ToolStatus
from loyaldesk.assistant.tools.vocab import ReturnStatus
from loyaldesk.commerce import Refund
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.i18n import _, format_money
from loyaldesk.stores import store_by_id


def answer(uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
    tool = RefundStatusTool.name
    session = uow.session
    if not has_identity(session, asker):
        return orders_need_identity(tool)
    typed = (request.slots.get("order_number") or "").strip()
    number = clean_order_number(typed)
    # A number that cannot be one answers like any order not found (never "your latest order" instead).
    order = None if typed and number is None else visible_order(session, asker, number)
    if order is None:
        return order_not_found(tool)
    store = store_by_id(session, asker.store_id)
    refunds = list(
        session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.occurred_at, Refund.id)
        )
    )
    open_returns = list(
        session.scalars(
            select(ReturnRequest.id).where(
                ReturnRequest.order_id == order.id,
                ReturnRequest.status.in_((ReturnStatus.REQUESTED.value, ReturnStatus.ACCEPTED.value)),
            )
        )
    )
    name = order_name(order)
    sentences: list[str] = []
    for refund in refunds:
        amount = format_money(refund.amount, order.currency)
        if refund.kind == "return":
            sentences.append(
                _(
                    "{amount} was refunded for returned items on {day}.",
                    amount=amount,
                    day=day(refund.occurred_at, store),
                )
            )
        else:
            sentences.append(
                _("{amount} was refunded on {day}.", amount=amount, day=day(refund.occurred_at, store))
            )
    if refunds:
        sentences.insert(
            0,
            _(
                "Order {order}: {refunded} of {total} has been refunded.",
                order=name,
                refunded=format_money(order.refunded_total, order.currency),
                total=format_money(order.total, order.currency),
            ),
        )
        sentences.append(_("Your bank may take a few days to show it."))
    else:
        sentences.append(_("No refund has been recorded for order {order} yet.", order=name))
    if open_returns:
        reference = "R-" + str(open_returns[-1])
        sentences.append(_("Your return request {request} is being handled by the team.", request=reference))
    facts = {
        **order_facts(order),
        "currency": order.currency,
        "total": order.total,
        "refunded_total": order.refunded_total,
        "refund_status": order.refund_status,
        "refunds": [
            {"kind": refund.kind, "amount": refund.amount, "occurred_at": iso(refund.occurred_at)}
            for refund in refunds
        ],
        "open_return_request_ids": open_returns,
    }
    return ToolResult(tool, ToolStatus.ANSWERED, " ".join(sentences), facts, (order.id,))


@dataclass
class RefundStatusTool:
    """The refunds of an order the asker may see (``order_number`` slot, else their latest order)."""

    name: str = "refund_status"
    intents: tuple[str, ...] = ("refund_status",)

    def __call__(self, uow: UnitOfWork, asker: Asker, request: ToolRequest) -> ToolResult:
        return in_language(answer)(uow, asker, request)
