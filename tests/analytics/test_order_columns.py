"""The orders analytics counts, read column-wise (``order_columns``: the SQLite driver's cursor, PostgreSQL's
binary COPY): exactly the facts a row-by-row read gives, to the microsecond, net of refunds (never below
0), without cancelled orders or orders in another currency, sorted by time then id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import update

from loyaldesk.analytics import queries
from loyaldesk.analytics.columns import OrderColumns
from loyaldesk.analytics.metrics import OrderFact
from loyaldesk.analytics.order_columns import order_columns
from loyaldesk.commerce import Order, OrderIn, ingest_orders
from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from tests.factories import StoreHandle, order_payload

START = datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def _order(number: int, customer: str, placed_at: datetime, cents: int, **extra: object) -> OrderIn:
    return OrderIn.model_validate(
        order_payload(
            str(number),
            placed_at=placed_at.isoformat(),
            customer={"external_id": customer, "email": f"{customer}@example.com"},
            lines=[{"external_id": "l1", "sku": "S", "title": "Thing", "quantity": 1, "unit_price": cents}],
            shipping_total=0,
            **extra,
        )
    )


def test_the_columns_are_the_orders_analytics_counts(db: Database, store: StoreHandle) -> None:
    orders = [
        _order(1, "ann", START, 1000),  # the last microsecond of a year
        _order(2, "bob", START - timedelta(days=400, microseconds=1), 2500),
        _order(3, "ann", START - timedelta(days=1), 700),  # refunded beyond its total below: net 0
        _order(4, "cid", START - timedelta(hours=5), 900),  # partly refunded below: net 600
        _order(5, "bob", START - timedelta(days=2), 800, status="cancelled", cancelled_at=START.isoformat()),
        _order(6, "cid", START - timedelta(days=3), 500, currency="USD"),
        _order(7, "bob", START - timedelta(hours=5), 300),  # the same instant as order 4
    ]
    db.write(ingest_orders, store.actor, store.id, orders)
    with db.transaction() as uow:  # refunds as the refund action leaves them on the order
        for external_id, refunded in (("3", 900), ("4", 300)):
            uow.session.execute(
                update(Order)
                .where(Order.store_id == store.id, Order.external_id == external_id)
                .values(refunded_total=refunded)
            )
    with db.read() as session:
        shop = store_by_id(session, store.id)
        columns = order_columns(session, shop)
        ids = {
            external: int(order_id)
            for external, order_id, customer_id in session.execute(
                Order.__table__.select().with_only_columns(Order.external_id, Order.id, Order.customer_id)
            )
        }
        customers = {
            external: int(customer_id)
            for external, customer_id in session.execute(
                Order.__table__.select().with_only_columns(Order.external_id, Order.customer_id)
            )
        }
        facts = queries.order_facts(session, shop)
        before = order_columns(session, shop, START)

    def fact(external: str, placed_at: datetime, net: int) -> OrderFact:
        return OrderFact(customers[external], ids[external], placed_at, net)

    expected = sorted(
        [
            fact("2", START - timedelta(days=400, microseconds=1), 2500),
            fact("3", START - timedelta(days=1), 0),
            fact("4", START - timedelta(hours=5), 600),
            fact("7", START - timedelta(hours=5), 300),
            fact("1", START, 1000),
        ],
        key=lambda order: (order.placed_at, order.order_id),
    )
    assert list(facts) == expected
    assert list(columns.facts()) == expected
    assert OrderColumns.of(expected).order_id.tolist() == columns.order_id.tolist()
    assert np.array_equal(before.order_id, columns.order_id[:-1])  # the last order is at START
    assert columns.count_before(START + timedelta(microseconds=1)) == len(expected)
