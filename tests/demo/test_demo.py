"""The demo store: deterministic for a seed, realistic in shape, and seeded through the real actions."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, select

from loyaldesk.commerce.models import Order, Refund
from loyaldesk.customers.models import Customer
from loyaldesk.demo.generator import generate
from loyaldesk.demo.seed import DEMO_PASSWORD, DEMO_STAFF, demo_exists, seed_demo
from loyaldesk.kernel.db import Database
from loyaldesk.stores.queries import verify_staff_credentials

UNTIL = date(2026, 11, 20)


def _fingerprint(seed: int) -> str:
    history = generate(seed=seed, customers=400, until=UNTIL)
    data = [order.payload | {"refunds": order.refunds} for order in history.orders]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def test_same_seed_same_history_other_seed_other_history() -> None:
    assert _fingerprint(7) == _fingerprint(7)
    assert _fingerprint(7) != _fingerprint(8)


def test_history_looks_like_a_real_store() -> None:
    history = generate(seed=42, customers=2000, until=UNTIL)
    orders = [order.payload for order in history.orders]
    per_customer = Counter(order["customer"]["external_id"] for order in orders)
    one_off = sum(1 for count in per_customer.values() if count == 1)
    repeat = sum(1 for count in per_customer.values() if count >= 3)
    assert one_off > 0.3 * len(per_customer) and repeat > 0.1 * len(per_customer)
    placed = [datetime.fromisoformat(order["placed_at"]) for order in orders]
    assert min(placed).date() >= date(2024, 11, 20) and max(placed).date() <= UNTIL
    by_month = Counter(moment.month for moment in placed)
    assert by_month[12] > 1.3 * by_month[2]  # the December peak
    second_year = sum(1 for moment in placed if moment.date() > date(2025, 11, 20))
    assert second_year > len(placed) - second_year  # the store grows
    refunded = sum(1 for order in history.orders if order.refunds)
    cancelled = sum(1 for order in orders if order["status"] == "cancelled")
    assert 0.02 * len(orders) < refunded < 0.15 * len(orders)
    assert 0 < cancelled < 0.05 * len(orders)
    assert any(order["discount_codes"] for order in orders)


def test_seeding_creates_logins_customers_and_orders(db: Database) -> None:
    assert not demo_exists(db)
    summary = seed_demo(db, seed=3, customers=150, until=UNTIL)
    assert demo_exists(db)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 150
        assert session.scalar(select(func.count()).select_from(Order)) == summary.orders
        assert session.scalar(select(func.count()).select_from(Refund)) == summary.refunds
        for email, _name, _role in DEMO_STAFF:
            assert verify_staff_credentials(session, email, DEMO_PASSWORD) is not None
        oldest = session.scalar(select(func.min(Customer.created_at)))
    assert oldest is not None and oldest.date() < date(2025, 6, 1)  # customers since their first order
    assert summary.api_key and summary.api_key.startswith("ld_")
