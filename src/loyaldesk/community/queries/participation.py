"""Members who take part in the community against those who do not, with their retention and spend
(the analytics' community panel).

In a period ``[period_start, period_end)``: *participants* are the store's customers (not erased) who
asked, answered, voted or RSVPd in it; *others* are the rest of the store's customers (not erased) who
existed by the period's end. For each group, from commerce's orders placed in the period (not cancelled,
in the store's currency, net of refunds): how many customers, how many bought, their orders, the
repeat-purchase rate (buyers with two or more orders, over buyers), spend per customer (over the whole
group) and the average order value. Three statements, whatever the store's size."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select, union
from sqlalchemy.orm import Session

from loyaldesk.commerce import Order
from loyaldesk.community.models import Post, Rsvp, Thread, Vote
from loyaldesk.community.queries.views import Participation, ParticipationGroup
from loyaldesk.customers import Customer
from loyaldesk.kernel.errors import Invalid
from loyaldesk.stores import store_by_id


def participants_query(store_id: int, period_start: datetime, period_end: datetime):  # type: ignore[no-untyped-def]
    """The ids of the customers who took part in the period (a selectable)."""

    def within(column):  # type: ignore[no-untyped-def]
        return (column >= period_start) & (column < period_end)

    return union(
        select(Thread.author_customer_id.label("customer_id")).where(
            Thread.store_id == store_id, Thread.author_customer_id.is_not(None), within(Thread.created_at)
        ),
        select(Post.author_customer_id).where(
            Post.store_id == store_id, Post.author_customer_id.is_not(None), within(Post.created_at)
        ),
        select(Vote.customer_id).where(Vote.store_id == store_id, within(Vote.created_at)),
        select(Rsvp.customer_id).where(Rsvp.store_id == store_id, within(Rsvp.created_at)),
    )


def participation(
    session: Session, *, store_id: int, period_start: datetime, period_end: datetime
) -> Participation:
    """Participants against the others in ``[period_start, period_end)`` (``Invalid`` on
    ``period_end`` when it is not after the start)."""
    if period_end <= period_start:
        raise Invalid.field("period_end", "must be after period_start")
    currency = store_by_id(session, store_id).currency
    took_part = participants_query(store_id, period_start, period_end).subquery()
    bought = (
        select(
            Order.customer_id.label("customer_id"),
            func.count(Order.id).label("orders"),
            func.sum(Order.total - Order.refunded_total).label("spend"),
        )
        .where(
            Order.store_id == store_id,
            Order.status != "cancelled",
            Order.currency == currency,
            Order.placed_at >= period_start,
            Order.placed_at < period_end,
            Order.customer_id.is_not(None),
        )
        .group_by(Order.customer_id)
        .subquery()
    )
    is_participant = case((took_part.c.customer_id.is_not(None), literal(True)), else_=literal(False))
    rows = session.execute(
        select(
            is_participant.label("participant"),
            func.count(Customer.id),
            func.count(bought.c.customer_id),
            func.coalesce(func.sum(bought.c.orders), 0),
            func.coalesce(func.sum(case((bought.c.orders >= 2, 1), else_=0)), 0),
            func.coalesce(func.sum(bought.c.spend), 0),
        )
        .select_from(Customer)
        .outerjoin(took_part, took_part.c.customer_id == Customer.id)
        .outerjoin(bought, bought.c.customer_id == Customer.id)
        .where(
            Customer.store_id == store_id,
            Customer.erased_at.is_(None),
            (Customer.created_at < period_end) | took_part.c.customer_id.is_not(None),
        )
        .group_by(is_participant)
    ).all()
    groups = {bool(row[0]): _group(*(int(value or 0) for value in row[1:])) for row in rows}
    empty = _group(0, 0, 0, 0, 0)
    return Participation(
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        participants=groups.get(True, empty),
        others=groups.get(False, empty),
    )


def _group(customers: int, buyers: int, orders: int, repeaters: int, spend: int) -> ParticipationGroup:
    return ParticipationGroup(
        customers=customers,
        buyers=buyers,
        orders=orders,
        repeat_purchase_rate=repeaters / buyers if buyers else 0.0,
        spend_per_customer=spend / customers if customers else 0.0,
        average_order_value=spend / orders if orders else 0.0,
    )
