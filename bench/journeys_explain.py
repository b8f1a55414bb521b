"""The journeys explain view for a customer with a year of history: how long "why did it / didn't it
fire" takes, as the query (``journeys.queries.explain``) and as the console page over HTTP (TestClient,
logged in, rendering included).

One store with ``--customers`` (2,000) customers and 10 rules (event, date and segment triggers with
conditions). The subject customer has a year of history: ``--decisions`` (5,000) decisions spread over
the 10 rules and 365 days, a send for every fifth decision, a run for every tenth; every other customer
has ``--noise`` (50) decisions too, so that the subject's rows are a small part of the tables. Then 50
calls of each (after 5 untimed), median and p95 in milliseconds.

    .venv/bin/python bench/journeys_explain.py --backend sqlite --backend postgresql

PostgreSQL: LOYALDESK_BENCH_DATABASE_URL (default: the local server, database ``loyaldesk_bench_explain``,
created if missing and emptied on every run).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from loyaldesk.composition import compose
from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.rules import save_rule
from loyaldesk.journeys.models import Decision, Enrollment, MessageTemplate, Send
from loyaldesk.journeys.queries.explain import explain
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.kernel.actors import SYSTEM, system_for
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores.models import Store
from loyaldesk.stores.passwords import hash_password

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PASSWORD = "bench horse battery staple"
OUTCOMES = ("entered", "not_entered", "step", "queued", "sent", "deferred", "suppressed", "done")
REASONS = (None, "not_matched", "quiet_hours", "cap", "no_consent", "already_entered")


def _url(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'explain.db'}"
    server = os.environ.get(
        "LOYALDESK_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS loyaldesk_bench_explain WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE loyaldesk_bench_explain"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/loyaldesk_bench_explain"


def _rules() -> list[RuleIn]:
    send = {"kind": "send", "channel": "email", "template": "hello"}
    rules = []
    for n in range(10):
        if n % 3 == 0:
            trigger: dict[str, Any] = {"kind": "event", "event": "order.delivered"}
        elif n % 3 == 1:
            trigger = {"kind": "date", "date": "birthday", "days_before": n}
        else:
            trigger = {
                "kind": "segment",
                "condition": {"all": [{"field": "orders.count", "op": "gte", "value": n}]},
            }
        rules.append(
            RuleIn(
                name=f"Rule {n}",
                trigger=trigger,
                conditions={
                    "all": [
                        {"field": "orders.count", "op": "gte", "value": 1},
                        {"field": "customer.marketing_consent", "op": "eq", "value": True},
                        {"field": "loyalty.points", "op": "gte", "value": 100},
                    ]
                },
                steps=[{"kind": "wait", "days": 1}, send],
                holdout_percent=10,
                enabled=True,
            )
        )
    return rules


def build(database: Database, customers: int, decisions: int, noise: int) -> tuple[str, int, int, str]:
    """The store, its customers, rules and history; (slug, subject's id, a rule's id, owner's email)."""
    random.seed(7)

    def store_and_rules(uow):  # type: ignore[no-untyped-def]
        store = store_actions.create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR")
        store_actions.add_staff_member(
            uow,
            system_for(store.id),
            store.id,
            email="owner@bench.example.com",
            name="Owner",
            role="owner",
            password_hash=hash_password(PASSWORD),
        )
        uow.session.add(
            MessageTemplate(
                store_id=store.id,
                key="hello",
                channel="email",
                name="Hello",
                subject="Hi",
                body="Hi",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.session.flush()
        return store.id, [save_rule(uow, SYSTEM, store.id, rule).id for rule in _rules()]

    store_id, rule_ids = database.write(store_and_rules)

    def people(uow):  # type: ignore[no-untyped-def]
        rows = [
            {
                "store_id": store_id,
                "external_id": f"c{n}",
                "email": f"c{n}@example.com",
                "first_name": f"Customer {n}",
                "marketing_consent": n % 2 == 0,
                "tags": [],
                "attributes": {},
                "preferences": {},
                "source": "api",
                "created_at": NOW - timedelta(days=400),
                "updated_at": NOW - timedelta(days=400),
            }
            for n in range(customers)
        ]
        uow.session.execute(insert(Customer), rows)

    database.write(people)
    with database.read() as session:
        ids = [row[0] for row in session.execute(text("SELECT id FROM customers ORDER BY id"))]
    subject = ids[0]

    def history(uow):  # type: ignore[no-untyped-def]
        decision_rows, send_rows, run_rows = [], [], []
        plan = [(subject, decisions)] + [(other, noise) for other in ids[1:]]
        for customer_id, count in plan:
            for n in range(count):
                rule_id = rule_ids[n % len(rule_ids)]
                at = NOW - timedelta(minutes=random.randrange(365 * 24 * 60))
                decision_rows.append(
                    {
                        "store_id": store_id,
                        "rule_id": rule_id,
                        "customer_id": customer_id,
                        "at": at,
                        "outcome": random.choice(OUTCOMES),
                        "reason": random.choice(REASONS),
                        "summary": "order.delivered #1001",
                        "details": {"tests": [{"field": "orders.count", "passed": True}]},
                    }
                )
                if customer_id == subject and n % 5 == 0:
                    send_rows.append(
                        {
                            "store_id": store_id,
                            "rule_id": rule_id,
                            "customer_id": customer_id,
                            "channel": "email",
                            "category": "marketing",
                            "template_key": "hello",
                            "content": {},
                            "idempotency_key": f"bench-{customer_id}-{n}",
                            "status": "sent",
                            "due_at": at,
                            "sent_at": at,
                            "created_at": at,
                            "attempts": 1,
                        }
                    )
                if customer_id == subject and n % 10 == 0:
                    run_rows.append(
                        {
                            "store_id": store_id,
                            "rule_id": rule_id,
                            "rule_version": 1,
                            "customer_id": customer_id,
                            "occurrence": f"o{n}",
                            "status": "done",
                            "step_index": 2,
                            "depth": 0,
                            "context": {},
                            "steps_run": 2,
                            "created_at": at,
                            "updated_at": at,
                        }
                    )
        for table, rows in ((Decision, decision_rows), (Send, send_rows), (Enrollment, run_rows)):
            for start in range(0, len(rows), 5000):
                uow.session.execute(insert(table), rows[start : start + 5000])

    database.write(history)
    with database.read() as session:
        slug = session.get(Store, store_id).slug  # type: ignore[union-attr]
    return slug, subject, rule_ids[0], "owner@bench.example.com"


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from loyaldesk.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="explain-bench-"))
    url = _url(backend, folder)
    upgrade_to_head(url)
    database = Database(url, clock=FakeClock(NOW))
    slug, subject, rule_id, email = build(database, args.customers, args.decisions, args.noise)
    with database.read() as session:
        store = session.get(
            Store, session.execute(text("SELECT id FROM stores WHERE slug = :s"), {"s": slug}).scalar()
        )
        customer = session.get(Customer, subject)
        from loyaldesk.journeys.models import JourneyRule

        rule = session.get(JourneyRule, rule_id)
        assert store is not None and customer is not None and rule is not None
    query_times = []
    for n in range(args.calls + 5):
        with database.read() as session:
            store = session.merge(store)
            started = time.perf_counter()
            found = explain(session, store, session.merge(rule), session.merge(customer), NOW)
            elapsed = time.perf_counter() - started
        assert len(found.decisions) == 200
        if n >= 5:
            query_times.append(elapsed)

    settings = Settings(
        database_url=url,
        data_dir=folder / "var",
        secret_key="bench-secret-key-not-for-production",
        run_background_jobs=False,
        redis_url=None,
    )
    runtime = Runtime(settings, database=database)
    page_times = []
    with TestClient(create_app(runtime=runtime), base_url="https://testserver") as client:
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/console"}
        )
        page = f"/console/{slug}/journeys/{rule_id}/explain?customer=c0@example.com"
        for n in range(args.calls + 5):
            started = time.perf_counter()
            answer = client.get(page)
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200 and "What happened" in answer.text, answer.status_code
            if n >= 5:
                page_times.append(elapsed)
    database.dispose()
    return {"backend": backend, "query": _stats(query_times), "page": _stats(page_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--noise", type=int, default=50)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    compose()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs", file=sys.stderr
    )
    for backend in args.backend or ["sqlite"]:
        result = measure(backend, args)
        query, page = result["query"], result["page"]
        print(
            f"{backend}: explain query median {query['median_ms']} ms, p95 {query['p95_ms']} ms;"
            f" console page median {page['median_ms']} ms, p95 {page['p95_ms']} ms (max {page['max_ms']} ms)"
        )


if __name__ == "__main__":
    main()
