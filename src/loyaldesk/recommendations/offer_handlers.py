"""Personal offers meet the orders: a paid order converts its customer's open assignments.

For each active offer the customer is assigned to (either group: the holdout's conversions are the
baseline), the first paid order placed between the launch and the offer's end that qualifies (it holds
the target item, an item of the target category, or anything for an "any order" offer) marks the
assignment converted and emits ``OfferConverted``. A bonus-points offer credits its points to a
treatment customer once, through the loyalty program (goodwill, idempotency key per offer and customer).

A replayed event changes nothing: the assignment is claimed with an atomic update (``converted_at IS
NULL``) and the ledger refuses a second entry with the same key. With no open assignment for the
customer (the usual case) the handler costs one indexed query.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from loyaldesk.commerce import Order, OrderLine
from loyaldesk.commerce.events import OrderPaid
from loyaldesk.customers import grant_goodwill_points
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry
from loyaldesk.kernel.errors import Conflict
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.loyalty import LedgerEntry
from loyaldesk.recommendations.events import OfferConverted
from loyaldesk.recommendations.models import Offer, OfferAssignment
from loyaldesk.recommendations.vocab import OfferGroup, OfferKind, OfferStatus, OfferTarget


def register(handlers: HandlerRegistry) -> None:
    handlers.on(OrderPaid)(order_paid)


def bonus_key(offer_id: int, customer_id: int) -> str:
    """The ledger's idempotency key of an offer's bonus for one customer (goodwill prefixes it)."""
    return f"offer-bonus:{offer_id}:{customer_id}"


def _qualifies(uow: UnitOfWork, offer: Offer, order_id: int) -> bool:
    if offer.target_kind == OfferTarget.ANY:
        return True
    line = select(OrderLine.id).where(OrderLine.order_id == order_id)
    if offer.target_kind == OfferTarget.PRODUCT:
        line = line.where(or_(OrderLine.product_external_id == offer.target, OrderLine.sku == offer.target))
    else:
        line = line.where(OrderLine.category == offer.target)
    return uow.session.scalar(line.limit(1)) is not None


def order_paid(uow: UnitOfWork, stored: StoredEvent, event: OrderPaid) -> None:
    """Convert the paying customer's open assignments this order qualifies for (module docstring)."""
    if event.customer_id is None:
        return
    open_offers = list(
        uow.session.execute(
            select(Offer, OfferAssignment.group)
            .join(OfferAssignment, OfferAssignment.offer_id == Offer.id)
            .where(
                OfferAssignment.store_id == event.store_id,
                OfferAssignment.customer_id == event.customer_id,
                OfferAssignment.converted_at.is_(None),
                Offer.status == OfferStatus.ACTIVE.value,
            )
        )
    )
    if not open_offers:
        return
    placed_at = uow.session.scalar(
        select(Order.placed_at).where(Order.id == event.order_id, Order.store_id == event.store_id)
    )
    if placed_at is None:
        return
    for offer, group in open_offers:
        launched = offer.launched_at
        if launched is None or not launched <= placed_at < offer.ends_at:
            continue
        if not _qualifies(uow, offer, event.order_id):
            continue
        claimed = uow.session.execute(
            update(OfferAssignment)
            .where(
                OfferAssignment.offer_id == offer.id,
                OfferAssignment.customer_id == event.customer_id,
                OfferAssignment.converted_at.is_(None),
            )
            .values(converted_at=placed_at, conversion_order_id=event.order_id)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # a concurrent delivery of this event converted it first
        if group == OfferGroup.TREATMENT and offer.kind == OfferKind.BONUS_POINTS:
            _credit_bonus(uow, offer, event.customer_id)
        uow.emit(
            OfferConverted(
                store_id=event.store_id,
                customer_id=event.customer_id,
                offer_id=offer.id,
                order_id=event.order_id,
                group=group,
            )
        )


def _credit_bonus(uow: UnitOfWork, offer: Offer, customer_id: int) -> None:
    key = bonus_key(offer.id, customer_id)
    try:
        with uow.session.begin_nested():
            grant_goodwill_points(
                uow,
                offer.store_id,
                customer_id,
                points=offer.value,
                note=f"bonus points: {offer.name}",
                key=key,
                reason_code="goodwill",
                actor_label="personal offer",
            )
    except Conflict:
        return  # no longer a member of the program: converted, nothing to credit
    entry_id = uow.session.scalar(
        select(LedgerEntry.id).where(
            LedgerEntry.store_id == offer.store_id, LedgerEntry.idempotency_key == f"goodwill:{key}"
        )
    )
    uow.session.execute(
        update(OfferAssignment)
        .where(OfferAssignment.offer_id == offer.id, OfferAssignment.customer_id == customer_id)
        .values(bonus_entry_id=entry_id)
    )
