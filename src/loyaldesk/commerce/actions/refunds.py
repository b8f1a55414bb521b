"""Recording refunds and returns on an order: idempotent on the store's refund id, strict or clamped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce.actions.status import locked_order
from loyaldesk.commerce.events import (
    OrderRefunded,
)
from loyaldesk.commerce.models import Order, OrderLine, Refund, RefundLine
from loyaldesk.commerce.order_notes import NoteIn, add_order_notes
from loyaldesk.commerce.rules import (
    LineRefundRequest,
    LineRefundState,
    allocate_refund,
    refund_status,
)
from loyaldesk.commerce.schemas import RefundIn
from loyaldesk.commerce.vocab import OrderNoteKind, RefundStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid
from loyaldesk.kernel.money import format_money
from loyaldesk.stores import authorize


@dataclass(frozen=True)
class RefundOutcome:
    """The order refunded, the refund recorded (or found again) and what a clamped refund left out."""

    order: Order
    refund: Refund | None  # None only when a clamped refund had nothing left to give back
    created: bool
    clamped: tuple[str, ...] = ()


def record_refund(
    uow: UnitOfWork,
    actor: Actor,
    store_id: int,
    order_id: int,
    refund: RefundIn,
    *,
    source: str = "api",
    clamp: bool = False,
) -> RefundOutcome:
    """Give money (and maybe goods) back on an order. Idempotent on the refund's ``external_id``.

    Strict by default: a refund asking for more than is left is ``Invalid``, naming what was asked and
    what is left. With ``clamp`` (the store has already given the money back: its refund must not be
    lost), each part is cut down to what is left, a line the order does not have is left out, and a
    warning on the order says what was cut; a refund left with nothing to give back records nothing but
    the warning.
    """
    authorize(actor, store_id, scope="orders:write", permission=None)
    order = locked_order(uow, store_id, order_id=order_id)
    known = uow.session.scalar(
        select(Refund).where(Refund.store_id == store_id, Refund.external_id == refund.external_id)
    )
    if known is not None:
        if known.order_id != order.id:
            raise Conflict(f"refund {refund.external_id!r} belongs to another order")
        return RefundOutcome(order, known, created=False)
    lines = list(
        uow.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    )
    left_out: list[str] = []
    requests: list[LineRefundRequest] = []
    for position, request in enumerate(refund.lines):
        try:
            requests.append(_line_request(position, request, lines))
        except Invalid as error:
            if not clamp:
                raise
            left_out.append(f"{error.problems[0].reason}: left out")
    allocation = allocate_refund(
        [
            LineRefundState(line.quantity, line.total, line.refunded_quantity, line.refunded_amount)
            for line in lines
        ],
        requests,
        order_total=order.total,
        order_refunded=order.refunded_total,
        amount=refund.amount,
        clamp=clamp,
        money=lambda minor: format_money(minor, order.currency),
    )
    clamped = (*left_out, *allocation.clamped)
    if clamped:
        given = "nothing was left to refund" if not allocation.gives_back_anything else "recorded"
        add_order_notes(
            uow,
            store_id,
            order.id,
            [
                NoteIn(
                    OrderNoteKind.WARNING,
                    "refund",
                    f"Refund {refund.external_id} asked for more than was left ({given}): "
                    + "; ".join(clamped)
                    + ".",
                    key=f"refund:{refund.external_id}:clamped",
                )
            ],
        )
    if not allocation.gives_back_anything:
        return RefundOutcome(order, None, created=False, clamped=clamped)
    now = uow.now()
    row = Refund(
        store_id=store_id,
        order_id=order.id,
        external_id=refund.external_id,
        kind=refund.kind.value,
        amount=allocation.amount,
        reason=refund.reason,
        source=source,
        occurred_at=refund.occurred_at or now,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    refunded_lines: list[dict[str, int]] = []
    for line_index, quantity, amount in allocation.line_amounts:
        line = lines[line_index]
        line.refunded_quantity += quantity
        line.refunded_amount += amount
        uow.session.add(RefundLine(refund_id=row.id, order_line_id=line.id, quantity=quantity, amount=amount))
        refunded_lines.append({"order_line_id": line.id, "quantity": quantity, "amount": amount})
    order.refunded_total += allocation.amount
    order.refund_status = refund_status(order.total, order.refunded_total).value
    order.updated_at = now
    uow.emit(
        OrderRefunded(
            store_id=store_id,
            customer_id=order.customer_id,
            order_id=order.id,
            number=order.number,
            refund_id=row.id,
            kind=refund.kind.value,
            amount=allocation.amount,
            currency=order.currency,
            refunded_total=order.refunded_total,
            fully_refunded=order.refund_status == RefundStatus.FULL,
            lines=refunded_lines,
            occurred_at=row.occurred_at,
        )
    )
    return RefundOutcome(order, row, created=True, clamped=clamped)


def _line_request(position: int, request: Any, lines: list[OrderLine]) -> LineRefundRequest:
    """Find the order line a refund line names (by id, the store's line id, or SKU)."""
    where = f"lines.{position}"
    if request.line_id is not None:
        matches = [i for i, line in enumerate(lines) if line.id == request.line_id]
        named = f"line_id {request.line_id}"
    elif request.line_external_id is not None:
        matches = [i for i, line in enumerate(lines) if line.external_id == request.line_external_id]
        named = f"line_external_id {request.line_external_id!r}"
    elif request.sku is not None:
        matches = [i for i, line in enumerate(lines) if line.sku == request.sku]
        named = f"sku {request.sku!r}"
    else:
        raise Invalid(
            "a refund line must name its order line",
            [FieldProblem(where, "give line_id, line_external_id or sku")],
        )
    if not matches:
        raise Invalid(
            "a refund line names no line of the order", [FieldProblem(where, f"no line with {named}")]
        )
    if len(matches) > 1 and request.sku is not None:
        # The same SKU on several lines: take the first with units left to refund.
        left = [i for i in matches if lines[i].refunded_quantity < lines[i].quantity]
        matches = left or matches
    return LineRefundRequest(matches[0], request.quantity, request.amount)
