"""The demo store's personal offer: one that ran for four weeks and has ended, so the console's offers page
shows real-looking results (the offer group against the holdout, with intervals).

The offer is created and launched through recommendations' own actions at its launch moment (the split),
and its offer group told by the telling job at that moment (the messages queued, which expired with the
offer and are never sent). The history was ingested before
the offer existed, so the conversions are read from the orders of the window, for both groups, as the
paid-order handler would have marked them (the demo credits no bonus points for them). No order is
invented: the demo's history knows nothing of the offer, so its results show what a randomised test
usually shows, a difference whose interval straddles zero."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from loyaldesk.commerce import Order, OrderLine
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import Invalid
from loyaldesk.recommendations.actions.offer_launch import end_due_offers, launch_offer
from loyaldesk.recommendations.actions.offer_telling import tell_offer_groups
from loyaldesk.recommendations.actions.offers import create_offer
from loyaldesk.recommendations.models import OfferAssignment
from loyaldesk.recommendations.offer_schemas import OfferIn
from loyaldesk.recommendations.vocab import OfferKind, OfferTarget

RAN_DAYS = 28
ENDED_DAYS_AGO = 10


def seed_offers(database: Database, clock: FakeClock, store_id: int, end: datetime, seed: int) -> int | None:
    """The ended offer's id (None when the store has no category to offer on). Leaves the clock at ``end``."""
    launch_at = end - timedelta(days=RAN_DAYS + ENDED_DAYS_AGO)
    ends_at = end - timedelta(days=ENDED_DAYS_AGO)
    with database.read() as session:
        category = session.scalar(
            select(OrderLine.category)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.store_id == store_id, OrderLine.category.is_not(None))
            .group_by(OrderLine.category)
            .order_by(func.count().desc(), OrderLine.category)
            .limit(1)
        )
    if category is None:
        return None
    actor = system_for(store_id, "demo seeder")
    clock.set(launch_at)
    offer = database.write(
        create_offer,
        actor,
        store_id,
        OfferIn(
            name=f"Bonus points on {category}",
            description=f"200 bonus points on your next order with anything from {category}.",
            kind=OfferKind.BONUS_POINTS,
            value=200,
            target_kind=OfferTarget.CATEGORY,
            target=category,
            holdout_percent=20,
            ends_at=ends_at,
        ),
    )
    try:
        database.write(launch_offer, actor, store_id, offer.id)
    except Invalid:
        clock.set(end)
        return None
    while tell_offer_groups(database):
        pass
    database.write(_conversions, offer.id, launch_at, ends_at, category)
    clock.set(end)
    database.write(end_due_offers)
    return int(offer.id)


def _conversions(uow: UnitOfWork, offer_id: int, start: datetime, end: datetime, category: str) -> None:
    """Each assigned customer's first order with the category in the window, as the handler marks it."""
    first = (
        select(Order.customer_id, func.min(Order.placed_at), func.min(Order.id))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(OfferAssignment, OfferAssignment.customer_id == Order.customer_id)
        .where(
            OfferAssignment.offer_id == offer_id,
            OrderLine.category == category,
            Order.placed_at >= start,
            Order.placed_at < end,
        )
        .group_by(Order.customer_id)
    )
    for customer_id, placed_at, order_id in uow.session.execute(first).all():
        uow.session.execute(
            update(OfferAssignment)
            .where(OfferAssignment.offer_id == offer_id, OfferAssignment.customer_id == customer_id)
            .values(converted_at=placed_at, conversion_order_id=order_id)
        )
