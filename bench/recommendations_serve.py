"""Serving picks from storage on a realistic store: ``GET /api/v1/customers/{id}/recommendations`` for
random customers, and ``recommendations.picks_for`` alone, beside the raw limit measured in the same run.

Builds a throwaway database (SQLite in a temporary directory, or ``--database-url`` of an empty migrated
PostgreSQL database) with one store: ``--customers`` customers (default 10,000) with ``--picks`` stored
picks each (default 40), ``--products`` catalogue products (default 3,000; ~8% out of stock, ~2%
archived, costs on half), ~3 orders of ~2.5 lines per customer over a year (the "bought recently" read
and the bestsellers), loyalty members with points for half the customers, 60 rewards on products,
analytics scores for every customer and preferences for a fifth. Everything is written with bulk Core
inserts.

Then, alternating per repetition (A/B, so a neighbour's load hits both alike), it times:

* raw limit: ``SELECT * FROM recommendation_picks WHERE store_id = ? AND customer_id = ? ORDER BY rank``
  (the one read serving cannot avoid);
* ``picks_for`` (every read of serving: settings, picks, products, member, rewards, scores,
  preferences, recent purchases; the re-ranking; the reasons);
* the API's floor: ``GET /api/v1/store`` (the key check, the middleware, one row, JSON);
* the API call through the whole app in-process (key check, rate limit, validation, JSON).

and prints p50 / p95 / p99 in ms and p50 as a ratio to the raw limit's.

    .venv/bin/python bench/recommendations_serve.py --customers 10000 --requests 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from loyaldesk.analytics.models import CustomerScoreRow
from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.composition import compose
from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.loyalty import Member, Reward
from loyaldesk.recommendations import CustomerPick, CustomerPreferences, PickRequest, picks_for
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import actions as store_actions
from loyaldesk.web.app import create_app

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CATEGORIES = [f"Category {n}" for n in range(30)]
KINDS = ["repurchase", "bought_with", "similar", "for_you", "popular_in_category"]
CHUNK = 5000


def _chunks(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        database.write(
            lambda uow, chunk=rows[start : start + CHUNK]: uow.session.execute(insert(table), chunk)
        )


def _build(database: Database, customers: int, picks: int, products: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)

    def setup(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR")
        key = store_actions.create_api_key(
            uow, system_for(store.id), store.id, name="bench", scopes=["recommendations:read"]
        )
        return store.id, key.token

    store_id, token = database.write(setup)
    _chunks(
        database,
        Product,
        [
            {
                "store_id": store_id,
                "external_id": f"p{n}",
                "sku": f"SKU-{n}",
                "title": f"Product {n}",
                "category": CATEGORIES[n % len(CATEGORIES)],
                "price": 500 + (n * 37) % 9500,
                "currency": "EUR",
                "attributes": {"sizes": ["S", "M", "L"]} if n % 10 == 0 else {},
                "url": f"https://shop.example/p{n}",
                "image_url": f"https://cdn.example/p{n}.jpg",
                "in_stock": rng.random() > 0.08,
                "cost": (500 + (n * 37) % 9500) // 2 if n % 2 else None,
                "consumable": n % 7 == 0,
                "active": rng.random() > 0.02,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(products)
        ],
    )
    _chunks(
        database,
        Customer,
        [
            {
                "store_id": store_id,
                "external_id": f"c{n}",
                "email": f"c{n}@example.com",
                "first_name": "Bench",
                "marketing_consent": False,
                "tags": [],
                "attributes": {},
                "preferences": {},
                "source": "api",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(customers)
        ],
    )
    with database.read() as session:
        customer_ids = list(session.scalars(select(Customer.id).where(Customer.store_id == store_id)))
    weights = [1 / (rank + 1) for rank in range(products)]  # a long tail of popularity
    pick_rows = []
    for customer_id in customer_ids:
        chosen = list(dict.fromkeys(rng.choices(range(products), weights=weights, k=picks * 2)))[:picks]
        for rank, product in enumerate(chosen):
            kind = KINDS[rank % len(KINDS)]
            pick_rows.append(
                {
                    "store_id": store_id,
                    "customer_id": customer_id,
                    "rank": rank,
                    "item_key": f"p{product}",
                    "score": 1.0 / (rank + 1),
                    "method": "blend",
                    "reason_kind": kind,
                    "reason_params": {
                        "title": f"Product {product}",
                        "category": CATEGORIES[product % len(CATEGORIES)],
                        "days": 30,
                        "other_key": "p1",
                        "other_title": "Product 1",
                    },
                    "fit_id": None,
                    "computed_at": NOW,
                }
            )
    _chunks(database, CustomerPick, pick_rows)
    orders = []
    for n, customer_id in enumerate(customer_ids):
        for k in range(rng.randint(1, 5)):
            placed = NOW - timedelta(days=rng.randint(0, 365), hours=rng.randint(0, 23))
            orders.append(
                {
                    "store_id": store_id,
                    "external_id": f"o{n}-{k}",
                    "number": f"#{n}-{k}",
                    "customer_id": customer_id,
                    "currency": "EUR",
                    "subtotal": 3000,
                    "discount_total": 0,
                    "shipping_total": 0,
                    "tax_total": 0,
                    "taxes_included": True,
                    "total": 3000,
                    "refunded_total": 0,
                    "status": "paid",
                    "refund_status": "none",
                    "discount_codes": [],
                    "source": "api",
                    "placed_at": placed,
                    "paid_at": placed,
                    "revision": 0,
                    "created_at": placed,
                    "updated_at": placed,
                }
            )
    _chunks(database, Order, orders)
    with database.read() as session:
        order_ids = list(session.scalars(select(Order.id).where(Order.store_id == store_id)))
    lines = []
    for order_id in order_ids:
        for position in range(rng.randint(1, 4)):
            product = rng.choices(range(products), weights=weights)[0]
            lines.append(
                {
                    "order_id": order_id,
                    "position": position,
                    "sku": f"SKU-{product}",
                    "product_external_id": f"p{product}",
                    "title": f"Product {product}",
                    "category": CATEGORIES[product % len(CATEGORIES)],
                    "quantity": 1,
                    "unit_price": 1000,
                    "discount": 0,
                    "total": 1000,
                    "refunded_quantity": 0,
                    "refunded_amount": 0,
                    "revision": 0,
                }
            )
    _chunks(database, OrderLine, lines)
    _chunks(
        database,
        Member,
        [
            {
                "store_id": store_id,
                "customer_id": customer_id,
                "enrolled_at": NOW,
                "available_points": rng.randint(0, 3000),
                "pending_points": 0,
                "lifetime_earned_points": 3000,
                "lifetime_redeemed_points": 0,
                "referral_code": f"R{customer_id:010d}",
            }
            for customer_id in customer_ids[::2]
        ],
    )
    _chunks(
        database,
        Reward,
        [
            {
                "store_id": store_id,
                "name": f"Free product {n}",
                "description": "",
                "kind": "free_product",
                "value": 0,
                "product_sku": f"SKU-{n}",
                "points_cost": 200 + 50 * n,
                "tier_costs": {},
                "segments": [],
                "early_access_days": 0,
                "code_valid_days": 90,
                "issued_count": 0,
                "active": True,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(60)
        ],
    )
    _chunks(
        database,
        CustomerScoreRow,
        [
            {
                "store_id": store_id,
                "customer_id": customer_id,
                "segment": "at_risk",
                "churn_risk": rng.random(),
                "value": rng.random() * 200,
                "computed_at": NOW,
            }
            for customer_id in customer_ids
        ],
    )
    _chunks(
        database,
        CustomerPreferences,
        [
            {
                "store_id": store_id,
                "customer_id": customer_id,
                "sizes": {CATEGORIES[0]: "M"},
                "interests": [CATEGORIES[1]],
                "excluded_categories": [CATEGORIES[2]],
                "channels": [],
                "updated_at": NOW,
            }
            for customer_id in customer_ids[::5]
        ],
    )
    return {
        "store_id": store_id,
        "token": token,
        "customer_ids": customer_ids,
        "picks": len(pick_rows),
        "orders": len(orders),
        "lines": len(lines),
    }


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return statistics.median(ordered), at(0.95), at(0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--picks", type=int, default=40)
    parser.add_argument("--products", type=int, default=3_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=17)
    options = parser.parse_args()
    compose()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        clock = FakeClock(NOW)
        database = Database(url, clock=clock)
        started = time.perf_counter()
        world = _build(database, options.customers, options.picks, options.products, options.seed)
        print(
            f"{options.customers:,} customers, {world['picks']:,} stored picks, "
            f"{options.products:,} products, "
            f"{world['orders']:,} orders / {world['lines']:,} lines written in "
            f"{time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )
        store_id = world["store_id"]
        settings = Settings(
            database_url=url,
            data_dir=Path(tmp) / "var",
            secret_key="bench-secret-key-not-for-production",
            run_background_jobs=False,
            redis_url=None,
            rate_limit_api_requests_per_key="1000000/minute",
        )
        runtime = Runtime(settings, database=database)
        client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
        headers = {"Authorization": f"Bearer {world['token']}"}
        rng = random.Random(options.seed)
        sample = [rng.choice(world["customer_ids"]) for _ in range(options.requests)]

        def raw(customer_id: int) -> object:
            with database.read() as session:
                return session.execute(
                    text(
                        "SELECT * FROM recommendation_picks WHERE store_id = :s AND customer_id = :c "
                        "ORDER BY rank"
                    ),
                    {"s": store_id, "c": customer_id},
                ).all()

        def query(customer_id: int) -> object:
            with database.read() as session:
                return picks_for(
                    session, PickRequest(store_id, customer_id, limit=options.limit), now=clock.now()
                )

        def api(customer_id: int) -> object:
            response = client.get(
                f"/api/v1/customers/{customer_id}/recommendations",
                headers=headers,
                params={"limit": options.limit},
            )
            assert response.status_code == 200, response.text
            assert response.json()["data"], "a customer without picks in the bench"
            return response

        def api_floor(customer_id: int) -> object:
            response = client.get("/api/v1/store", headers=headers)
            assert response.status_code == 200, response.text
            return response

        work: dict[str, Callable[[int], object]] = {
            "raw": raw,
            "picks_for": query,
            "api_floor": api_floor,
            "api": api,
        }
        for run in work.values():  # warm up: caches, connections, the first request
            for customer_id in sample[:20]:
                run(customer_id)
        times: dict[str, list[float]] = {name: [] for name in work}
        for customer_id in sample:  # alternating, so that a neighbour's load hits each alike
            for name, run in work.items():
                begun = time.perf_counter()
                run(customer_id)
                times[name].append((time.perf_counter() - begun) * 1000)
        raw_median = statistics.median(times["raw"])
        labels = {
            "raw": "raw limit: the stored picks by primary key",
            "picks_for": "picks_for (every read, re-rank, reasons)",
            "api_floor": "API floor: GET /api/v1/store (key, one row)",
            "api": "GET /api/v1/customers/{id}/recommendations",
        }
        for name, label in labels.items():
            p50, p95, p99 = _percentiles(times[name])
            print(
                f"{label:<46} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  "
                f"{p50 / raw_median:5.1f}x raw"
            )
        client.close()
        database.dispose()


if __name__ == "__main__":
    main()
