"""Personal offers meet the orders: a paid order converts its customer's open assignments.

For each active offer the customer is assigned to (either group: the holdout's conversions are the
baseline), the first paid order placed between the launch and the offer's end that qualifies (it holds
the target item, an item of the target category, or anything for an "any order" offer) marks the
assignment converted and emits ``OfferConverted``. A bonus-points offer credits its points to a
treatment customer once, through the loyalty program (goodwill, idempotency key per offer and customer).

A replayed event changes nothing: the assignment is claimed with an atomic update (``converted_at IS
NULL``) and the ledger refuses a second entry with the same key. A batch handler: the open assignments
of every paying customer of the batch are read in one indexed query per store (per 500 customers), so
that with no open assignment (the usual case) a burst of orders costs that one query, not one each.
"""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select, update

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
    handlers.on_batch(OrderPaid)(orders_paid)


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


def orders_paid(uow: UnitOfWork, events: list[StoredEvent]) -> None:
    """Convert the paying customers' open assignments their orders qualify for (module docstring), in
    the events' order: a customer's first qualifying order converts it."""
    by_store: dict[int, list[StoredEvent]] = {}
    for event in events:
        if event.customer_id is not None and event.subject_id is not None:
            by_store.setdefault(event.store_id, []).append(event)
    for store_id, paid in by_store.items():
        open_offers = _open_offers(uow, store_id, sorted({event.customer_id for event in paid}))  # type: ignore[misc]
        for event in paid:
            offers = open_offers.get(event.customer_id)  # type: ignore[arg-type]
            if offers:
                _convert(uow, store_id, event.customer_id, event.subject_id, offers)  # type: ignore[arg-type]


# Built once, on the tables' columns (no ORM execution layer): runs for every batch of paid orders,
# first thing in the handler's savepoint (flushed), and finds nothing in the usual case.
_ASSIGNMENTS = OfferAssignment.__table__.c
_OFFERS = Offer.__table__.c
_OPEN_ASSIGNMENTS = (
    select(_ASSIGNMENTS.offer_id, _ASSIGNMENTS.customer_id, _ASSIGNMENTS.group)
    .join_from(OfferAssignment.__table__, Offer.__table__, _ASSIGNMENTS.offer_id == _OFFERS.id)
    .where(
        _ASSIGNMENTS.store_id == bindparam("store_id"),
        _ASSIGNMENTS.customer_id.in_(bindparam("customer_ids", expanding=True)),
        _ASSIGNMENTS.converted_at.is_(None),
        _OFFERS.status == OfferStatus.ACTIVE.value,
    )
    .order_by(_ASSIGNMENTS.offer_id)
)


def _open_offers(
    uow: UnitOfWork, store_id: int, customer_ids: list[int]
) -> dict[int, list[tuple[Offer, str]]]:
    """Per customer, the active offers they hold an unconverted assignment to, with their group (the
    offers are loaded only when there is one)."""
    found: dict[int, list[tuple[Offer, str]]] = {}
    for start in range(0, len(customer_ids), 500):
        rows = uow.session.execute(
            _OPEN_ASSIGNMENTS, {"store_id": store_id, "customer_ids": customer_ids[start : start + 500]}
        ).all()
        for offer_id, customer_id, group in rows:
            offer = uow.session.get(Offer, offer_id)
            if offer is not None:
                found.setdefault(customer_id, []).append((offer, group))
    return found


def _convert(
    uow: UnitOfWork, store_id: int, customer_id: int, order_id: int, open_offers: list[tuple[Offer, str]]
) -> None:
    placed_at = uow.session.scalar(
        select(Order.placed_at).where(Order.id == order_id, Order.store_id == store_id)
    )
    if placed_at is None:
        return
    for offer, group in open_offers:
        launched = offer.launched_at
        if launched is None or not launched <= placed_at < offer.ends_at:
            continue
        if not _qualifies(uow, offer, order_id):
            continue
        claimed = uow.session.execute(
            update(OfferAssignment)
            .where(
                OfferAssignment.offer_id == offer.id,
                OfferAssignment.customer_id == customer_id,
                OfferAssignment.converted_at.is_(None),
            )
            .values(converted_at=placed_at, conversion_order_id=order_id)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # converted already: by an earlier order of this batch or a concurrent delivery
        if group == OfferGroup.TREATMENT and offer.kind == OfferKind.BONUS_POINTS:
            _credit_bonus(uow, offer, customer_id)
        uow.emit(
            OfferConverted(
                store_id=store_id,
                customer_id=customer_id,
                offer_id=offer.id,
                order_id=order_id,
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
