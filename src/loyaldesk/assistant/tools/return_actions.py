"""The team's side of a return request: accept or decline it, then close it once the goods are back.
One action, audited, announcing ``assistant.return_status_changed`` to the store's backend."""

from __future__ import annotations

from loyaldesk.assistant.tools.events import ReturnStatusChanged
from loyaldesk.assistant.tools.models import ReturnRequest
from loyaldesk.assistant.tools.vocab import ReturnStatus
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound
from loyaldesk.stores import Permission, authorize, record_audit

# Where a request may go from each status (a closed or declined request is final).
NEXT_STATUSES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.ACCEPTED, ReturnStatus.DECLINED}),
    ReturnStatus.ACCEPTED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.DECLINED: frozenset(),
    ReturnStatus.CLOSED: frozenset(),
}


def change_return_status(
    uow: UnitOfWork, actor: Actor, store_id: int, return_id: int, status: ReturnStatus
) -> ReturnRequest:
    """Move the store's return request ``return_id`` to ``status``. ``NotFound`` for another store's or
    a missing request; ``Conflict`` for a move ``NEXT_STATUSES`` does not allow (setting the status it
    already has changes nothing)."""
    authorize(actor, store_id, scope="orders:write", permission=Permission.ANSWER_CONVERSATIONS)
    request = uow.session.get(ReturnRequest, return_id, with_for_update=uow.is_postgresql)
    if request is None or request.store_id != store_id:
        raise NotFound(f"no return request {return_id} in this store")
    current = ReturnStatus(request.status)
    if status == current:
        return request
    if status not in NEXT_STATUSES[current]:
        raise Conflict(f"a {current.label.lower()} return request cannot become {status.label.lower()}")
    request.status = status.value
    request.updated_at = uow.now()
    record_audit(
        uow,
        actor,
        "assistant.return_status_changed",
        store_id=store_id,
        target_type="return_request",
        target_id=request.id,
        details={"from": current.value, "to": status.value},
    )
    uow.emit(
        ReturnStatusChanged(
            store_id=store_id,
            customer_id=request.customer_id,
            order_id=request.order_id,
            return_request_id=request.id,
            status=status.value,
        )
    )
    return request
