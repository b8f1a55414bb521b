"""Reads for the team: the return requests shoppers started, newest first, each with its order's number
and the customer's name, on a read session; only the store's own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.assistant.tools.vocab import ReturnStatus
from loyaldesk.commerce import Order
from loyaldesk.customers import Customer
from loyaldesk.kernel.pagination import page_of


@dataclass(frozen=True)
class ReturnRequestRow:
    id: int
    order_id: int
    order_number: str
    customer_id: int | None
    customer_name: str | None
    conversation_id: int | None
    status: ReturnStatus
    reason: str
    window_ends_at: datetime
    created_at: datetime
    updated_at: datetime


def return_requests(
    session: Session,
    store_id: int,
    *,
    status: ReturnStatus | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[ReturnRequestRow], str | None]:
    """One page of the store's return requests (``status`` narrows them), newest first."""
    query = (
        select(ReturnRequest, Order.number, Customer)
        .join(Order, Order.id == ReturnRequest.order_id)
        .outerjoin(Customer, Customer.id == ReturnRequest.customer_id)
        .where(ReturnRequest.store_id == store_id)
    )
    if status is not None:
        query = query.where(ReturnRequest.status == status.value)
    if before_id is not None:
        query = query.where(ReturnRequest.id < before_id)
    rows = list(session.execute(query.order_by(ReturnRequest.id.desc()).limit(limit + 1)).all())
    page, cursor = page_of(rows, limit, lambda row: row[0].id)
    return [
        ReturnRequestRow(
            id=request.id,
            order_id=request.order_id,
            order_number=number if number.startswith("#") else f"#{number}",
            customer_id=request.customer_id,
            customer_name=customer.display_name if customer is not None else None,
            conversation_id=request.conversation_id,
            status=ReturnStatus(request.status),
            reason=request.reason,
            window_ends_at=request.window_ends_at,
            created_at=request.created_at,
            updated_at=request.updated_at,
        )
        for request, number, customer in page
    ], cursor
