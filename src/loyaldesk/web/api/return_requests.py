"""``GET /api/v1/return-requests``: the returns shoppers started through the assistant, for the store's
backend (``orders:read``), newest first, optionally of one status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from loyaldesk.assistant.tools import ReturnRequestRow, ReturnStatus, return_requests
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import Page
from loyaldesk.web.deps import PageDep, RuntimeDep, scope

router = APIRouter(prefix="/api/v1/return-requests", tags=["returns"])

Reader = Annotated[Actor, Depends(scope("orders:read"))]


class ReturnRequestOut(BaseModel):
    id: int
    order_id: int
    order_number: str
    customer_id: int | None
    conversation_id: int | None
    status: ReturnStatus
    reason: str
    window_ends_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ReturnRequestRow) -> ReturnRequestOut:
        return cls(
            id=row.id,
            order_id=row.order_id,
            order_number=row.order_number,
            customer_id=row.customer_id,
            conversation_id=row.conversation_id,
            status=row.status,
            reason=row.reason,
            window_ends_at=row.window_ends_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@router.get("", response_model=Page[ReturnRequestOut], summary="Return requests, newest first")
def list_return_requests(
    actor: Reader,
    runtime: RuntimeDep,
    page: PageDep,
    status: Annotated[ReturnStatus | None, Query(description="Only requests in this status.")] = None,
) -> Page[ReturnRequestOut]:
    assert actor.store_id is not None
    with runtime.database.read() as session:
        rows, cursor = return_requests(
            session, actor.store_id, status=status, before_id=page.before_id, limit=page.limit
        )
    return Page(data=[ReturnRequestOut.of(row) for row in rows], next_cursor=cursor)
