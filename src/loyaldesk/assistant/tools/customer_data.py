"""What the tools keep about a customer, for their erasure: the free-text reason of their return requests
and the details (a new address, a reason) of the tasks the assistant created for their orders. The rows
stay (the team's history and the counts), without the words."""

from __future__ import annotations

from sqlalchemy import update

from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.customers import erasure_step
from loyaldesk.journeys import TeamTask
from loyaldesk.kernel.db import UnitOfWork


def erase_requests(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """Blank the words of the customer's return requests and of the assistant's tasks about them."""
    uow.session.execute(
        update(ReturnRequest)
        .where(ReturnRequest.store_id == store_id, ReturnRequest.customer_id == customer_id)
        .values(reason="", updated_at=uow.now())
    )
    uow.session.execute(
        update(TeamTask)
        .where(
            TeamTask.store_id == store_id,
            TeamTask.customer_id == customer_id,
            TeamTask.idempotency_key.like("assistant:%"),
        )
        .values(details="(erased)")
    )


def register() -> None:
    """Plug the tools' erasure step into the customer record (idempotent)."""
    erasure_step("assistant_requests")(erase_requests)
