"""Loyalty throughput: orders turned into points (rules + ledger, durable), single and batch, and redemption
latency under 8 concurrent clients, each beside the raw durable commit rate measured in the same run.

Per backend, one database holds everything: a store created with the CLI, a realistic program set up
through the loyalty actions (earning 1 point per euro on payment, pending until 14 days after delivery;
Bronze/Silver/Gold tiers on rolling 12-month spend with multipliers and entry rewards; gift cards
excluded; a double-points campaign on shoes; a sign-up reward), and customers that come back: a pool of
``--customers`` (2,000) who each placed a first order before the measurements (untimed warm-up), then
orders of 1-4 lines, status ``paid``, 90% from the pool (skewed: some customers buy much more often) and
10% from new customers (who join the program on the way).

Phases, repeated ``--repetitions`` times in this order (alternating), medians reported:

1. *raw*: single-row durable commits per second on the same database (``bench/ingest.py``'s functions);
2. *single*: orders arriving one at a time, each turned into points durably on its own, as the API's
   ``POST /api/v1/orders`` does: one transaction ``ingest_orders_and_react([order])`` (the order, its
   points and the journeys' reaction to them: one durable commit), then ``dispatch_pending(uow,
   handlers)`` transactions (default limit) until nothing is pending, as the background runner does when
   woken by that commit (normally nothing is left); in-process, no HTTP; validation of the order payload
   is not timed. Reported: orders/s end to end, and the ingestion transaction alone ("ingest", which now
   holds the points) and the dispatch part alone ("loyalty part");
3. *batch*: ``ingest_orders`` of ``--batch-size`` (1,000) orders in one transaction (timed separately),
   then ``dispatch_pending`` passes with ``limit = 4 x batch size`` (more than the batch's events: two
   per order plus ``customer.created``) until nothing is pending (a second, smaller pass takes the points
   events to the journeys): the loyalty batch handler reconciles the whole
   batch at once. Reported: orders/s of the points processing alone and end to end;
4. *redemptions*: a real server process (``bench/ingest.py``'s ``start_server``: uvicorn, uvloop,
   httptools, write batching on; background jobs off so that its dispatcher does not race this process's
   phases for the same events; redemptions emit no event that a handler reacts to), 8 keep-alive clients
   each redeeming for its own member through ``POST /member-api/v1/{store}/me/redemptions`` (signed
   shopper headers, a fresh ``Idempotency-Key`` per request) for ``--seconds``; then the same with all 8
   clients redeeming for ONE member (contention on that member's row). Reported: redemptions/s,
   latency p50/p99/max, and the server process's CPU time per request (``/proc``, all its threads).

5. *http-batch* (after the repetitions of the phases above, on the same database): the first server is
   stopped and a second one started with its background jobs on, as a store runs it (after an untimed
   round, once the jobs it starts with have ended: their CPU is not the orders'); 2 keep-alive
   clients post batches of ``--batch-size`` orders (the same workload, as JSON) to ``POST
   /api/v1/orders/batch`` for ``--seconds`` (the endpoint writes each 100 orders with their points in
   one unit of work); the clock stops when no event of those orders waits for the server's dispatcher
   (this process polls the outbox every 20 ms; no pending event, no failure). Reported: orders/s
   accepted over HTTP, orders/s end to end with their points, and the server's CPU per order; ratios to
   the median raw rate. Repeated ``--repetitions`` times.

At the end: a drain test (the shared member gets exactly K redemptions' worth of points; 8 clients redeem
until refused: exactly K must succeed and the balance must end at 0, never below it, replaying the
member's postings in order), ``check_ledger`` on the whole database (printed; must be ``[]``), and one
untimed pass with a statement counter (SQLAlchemy ``before/after_cursor_execute``, plus a wrapped driver
cursor for ``kernel.bulk``) giving SQL statements per order by kind and table for the single and batch
paths. Ratios are taken to the raw rate of the same repetition, then the median of the repetitions is
reported; the CPU time of this process per order is reported beside them (all of the work on SQLite;
the client side only on PostgreSQL), since CPU steal from neighbours moves wall-clock rates. The output
names the commit and a hash of ``src/`` measured.

    .venv/bin/python bench/loyalty.py --backend sqlite --backend postgresql --repetitions 3 --json out.json

PostgreSQL: the server of LOYALDESK_BENCH_DATABASE_URL (default: the local test server), database
``loyaldesk_bench`` (created if missing, emptied on every run). ``--phase`` runs only some phases (raw
always runs; for profiling with py-spy), ``--no-statements`` skips the statement count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # bench/ is not a package: the sibling benchmark's HTTP client, raw rates and server

ROOT = ingest.ROOT
BASE_PG_URL = os.environ.get(
    "LOYALDESK_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BENCH_DATABASE = "loyaldesk_bench"
STORE_SLUG = "bench"  # created by ingest.start_server
PHASES = ("raw", "single", "batch", "redeem", "http-batch")
CLIENTS = 8
REWARD_COST = 100

# category, number of SKUs, unit price range in cents, weight
CATALOGUE = (
    ("Apparel", 40, 1500, 6000, 40),
    ("Shoes", 15, 5000, 14000, 15),
    ("Home", 30, 800, 4500, 20),
    ("Beauty", 25, 600, 3500, 20),
    ("Gift cards", 3, 2500, 10000, 5),
)


# -- PostgreSQL: a database of our own ------------------------------------------------------------
def bench_postgres_url() -> str:
    """``loyaldesk_bench`` on the server of LOYALDESK_BENCH_DATABASE_URL, created if missing."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(BASE_PG_URL)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        if (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)).fetchone()
            is None
        ):
            connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


# -- the workload ---------------------------------------------------------------------------------
class Workload:
    """Orders of returning (skewed) and new customers, 1-4 lines, paid a few minutes ago."""

    def __init__(self, customers: int, seed: int = 20261122) -> None:
        self.customers = customers
        self.rng = random.Random(seed)
        self.next = 0
        from pydantic import TypeAdapter

        from loyaldesk.commerce import OrderIn

        self.adapter = TypeAdapter(list[OrderIn])

    def _line(self, position: int) -> dict[str, Any]:
        category, skus, low, high, _ = self.rng.choices(CATALOGUE, weights=[c[4] for c in CATALOGUE])[0]
        sku = self.rng.randrange(skus)
        return {
            "external_id": str(position + 1),
            "sku": f"{category[:3].upper()}-{sku}",
            "title": f"{category} item {sku}",
            "category": category,
            "quantity": self.rng.choice((1, 1, 1, 2, 2, 3)),
            "unit_price": self.rng.randrange(low, high, 100),
        }

    def payload(self, customer: str) -> dict[str, Any]:
        n = self.next
        self.next += 1
        placed = datetime.now(UTC) - timedelta(minutes=self.rng.randrange(1, 240))
        lines = self.rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]
        return {
            "external_id": f"lo-{n}",
            "number": f"#{100000 + n}",
            "customer": {"external_id": customer, "email": f"{customer}@example.com"},
            "currency": "EUR",
            "lines": [self._line(i) for i in range(lines)],
            "shipping_total": self.rng.choice((0, 495)),
            "status": "paid",
            "placed_at": placed.isoformat(),
            "paid_at": (placed + timedelta(seconds=30)).isoformat(),
        }

    def customer(self) -> str:
        if self.rng.random() < 0.1:
            return f"new-{self.next}"
        # density ~ x^(-1/3): the most loyal customers buy far more often than the tail
        return f"c{int(self.customers * self.rng.random() ** 1.5)}"

    def orders(self, count: int) -> list[Any]:
        """``count`` validated ``OrderIn`` (validation is the client's part of the work: not timed)."""
        return self.adapter.validate_python([self.payload(self.customer()) for _ in range(count)])

    def first_orders(self, start: int, count: int) -> list[Any]:
        """One order for each pool customer in [start, start+count)."""
        return self.adapter.validate_python([self.payload(f"c{i}") for i in range(start, start + count)])


# -- the program ----------------------------------------------------------------------------------
def set_up_program(database: Any, store_id: int) -> None:
    """The program through the manager's actions: settings, three tiers on spend, two purchase rules,
    a sign-up reward."""
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.loyalty.actions.configure_program import save_rule, save_tier, update_program
    from loyaldesk.loyalty.rule_config import ActionRuleIn, PurchaseRuleIn
    from loyaldesk.loyalty.schemas import ProgramSettingsPatch, RuleIn, TierIn

    actor = system_for(store_id, "bench")
    now = datetime.now(UTC)
    with database.transaction() as uow:
        update_program(
            uow,
            actor,
            store_id,
            ProgramSettingsPatch(
                # The program runs since yesterday: the workload's orders (placed up to 4 hours ago) earn.
                # A program starting when the store was created (seconds ago) would earn them nothing.
                starts_at=now - timedelta(days=1),
                earn_on_status="paid",
                unlock_after_status="delivered",
                pending_days=14,
                tier_metric="spend",
                tier_period="rolling_12_months",
            ),
        )
        save_tier(uow, actor, store_id, TierIn(name="Bronze", rank=0, threshold=0))
        save_tier(
            uow,
            actor,
            store_id,
            TierIn(
                name="Silver",
                rank=1,
                threshold=50_000,
                earn_multiplier=Decimal("1.25"),
                perks=["free_shipping"],
                entry_reward_points=100,
            ),
        )
        save_tier(
            uow,
            actor,
            store_id,
            TierIn(
                name="Gold",
                rank=2,
                threshold=200_000,
                earn_multiplier=Decimal("1.5"),
                perks=["free_shipping", "early_access", "priority_support"],
                entry_reward_points=250,
                support_priority="high",
            ),
        )
        save_rule(
            uow,
            actor,
            store_id,
            RuleIn(
                name="Gift cards earn nothing",
                purchase=PurchaseRuleIn(kind="base_exclusion", excluded_categories=["Gift cards"]),
            ),
        )
        save_rule(
            uow,
            actor,
            store_id,
            RuleIn(
                name="Double points on shoes",
                purchase=PurchaseRuleIn(
                    kind="campaign",
                    multiplier=Decimal(2),
                    only_categories=["Shoes"],
                    starts_at=now - timedelta(days=1),
                    ends_at=now + timedelta(days=60),
                ),
            ),
        )
        save_rule(
            uow, actor, store_id, RuleIn(name="Welcome", action=ActionRuleIn(action="signup", points=100))
        )


# -- in-process phases ----------------------------------------------------------------------------
class Engine:
    """This process's side of the database: the product's ``Database`` without write queue or
    background runner (the phases decide when each transaction happens)."""

    def __init__(self, url: str) -> None:
        from loyaldesk.composition import compose
        from loyaldesk.kernel.db import Database
        from loyaldesk.kernel.dispatcher import handlers

        compose()
        self.database = Database(url)
        self.database.dispatch_needed = handlers.handles  # as the Runtime does
        self.handlers = handlers
        from sqlalchemy import select

        from loyaldesk.kernel.actors import system_for
        from loyaldesk.stores import Store

        with self.database.read() as session:
            store_id, secret = session.execute(
                select(Store.id, Store.identity_secret).where(Store.slug == STORE_SLUG)
            ).one()
        self.store_id: int = store_id
        self.identity_secret: str = secret
        self.actor = system_for(self.store_id, "bench")

    def ingest(self, orders: list[Any], *, react: bool = False) -> None:
        """One transaction ``ingest_orders``; ``react``: ``ingest_orders_and_react`` (the API's path for
        orders one at a time: the points in the ingestion's own transaction)."""
        from loyaldesk.commerce import ingest_orders, ingest_orders_and_react

        with self.database.transaction() as uow:
            ingest = ingest_orders_and_react if react else ingest_orders
            outcomes = ingest(uow, self.actor, self.store_id, orders)
        bad = [outcome for outcome in outcomes if outcome.outcome != "created"]
        if bad:
            raise RuntimeError(f"{len(bad)} orders not created, first: {bad[0]}")

    def dispatch(self, limit: int = 200) -> int:
        from loyaldesk.kernel.dispatcher import dispatch_pending

        with self.database.transaction() as uow:
            return dispatch_pending(uow, self.handlers, limit)

    def dispatch_all(self, limit: int = 200) -> int:
        """Dispatch until nothing is pending, as the background runner keeps doing: the loyalty handler's
        own event (``loyalty.points_changed``) is a second pass, for the journeys that react to it."""
        total = 0
        while handled := self.dispatch(limit):
            total += handled
        return total

    def outbox_clean(self) -> None:
        """Every event handled, none failed: the phase really turned every order into points."""
        from sqlalchemy import func, select

        from loyaldesk.kernel.events import EventRecord

        with self.database.read() as session:
            pending = session.scalar(
                select(func.count()).select_from(EventRecord).where(EventRecord.dispatched_at.is_(None))
            )
            failed = session.execute(
                select(EventRecord.id, EventRecord.event_type, EventRecord.dispatch_error)
                .where(EventRecord.dispatch_error.is_not(None))
                .limit(3)
            ).all()
        if pending or failed:
            raise RuntimeError(f"{pending} events still pending; failures: {failed}")

    def dispose(self) -> None:
        self.database.dispose()


def warm_up(engine: Engine, workload: Workload, batch_size: int) -> float:
    """Every pool customer's first order, processed into points (untimed setup). Returns seconds."""
    started = time.perf_counter()
    for start in range(0, workload.customers, batch_size):
        engine.ingest(workload.first_orders(start, min(batch_size, workload.customers - start)))
        engine.dispatch_all(limit=4 * batch_size)
    for _ in range(50):  # warm the single path's statement caches
        engine.ingest(workload.orders(1), react=True)
        engine.dispatch_all()
    engine.outbox_clean()
    return time.perf_counter() - started


def single_phase(engine: Engine, workload: Workload, seconds: float, max_orders: int) -> dict[str, float]:
    ingest_time = dispatch_time = cpu_time = 0.0
    done = events = 0
    while done < max_orders and ingest_time + dispatch_time < seconds:
        orders = workload.orders(1)
        cpu = time.process_time()
        began = time.perf_counter()
        engine.ingest(orders, react=True)
        ingested = time.perf_counter()
        events += engine.dispatch_all()
        dispatch_time += time.perf_counter() - ingested
        ingest_time += ingested - began
        cpu_time += time.process_time() - cpu
        done += 1
    engine.outbox_clean()
    return {
        "orders": done,
        "events": events,
        "orders_per_s": done / (ingest_time + dispatch_time),
        "loyalty_orders_per_s": done / dispatch_time,
        "ingest_orders_per_s": done / ingest_time,
        "cpu_ms_per_order": 1000 * cpu_time / done,  # this process only (all of it on SQLite)
    }


def batch_phase(
    engine: Engine, workload: Workload, seconds: float, max_orders: int, size: int
) -> dict[str, float]:
    ingest_time = dispatch_time = dispatch_cpu = 0.0
    done = events = 0
    while done < max(max_orders, size) and ingest_time + dispatch_time < seconds:
        orders = workload.orders(size)
        began = time.perf_counter()
        engine.ingest(orders)
        ingested = time.perf_counter()
        cpu = time.process_time()
        events += engine.dispatch_all(limit=4 * size)
        dispatch_cpu += time.process_time() - cpu
        dispatch_time += time.perf_counter() - ingested
        ingest_time += ingested - began
        done += size
    engine.outbox_clean()  # the passes took every event of the batch
    return {
        "orders": done,
        "events": events,
        "points_orders_per_s": done / dispatch_time,
        "end_to_end_orders_per_s": done / (ingest_time + dispatch_time),
        "ingest_orders_per_s": done / ingest_time,
        "points_cpu_ms_per_order": 1000 * dispatch_cpu / done,  # this process only
    }


# -- redemptions through the server ---------------------------------------------------------------
class Shoppers:
    """The redeeming members, set up through the server's APIs."""

    def __init__(self, port: int, token: str, secret: str, server_pid: int | None = None) -> None:
        self.port, self.token, self.secret = port, token, secret
        self.server_pid = server_pid  # whose CPU time the redemption phase reports per redemption
        self.path = f"/member-api/v1/{STORE_SLUG}/me/redemptions"
        self.reward_id = 0
        self.members: dict[str, int] = {}

    def headers(self, external_id: str) -> dict[str, str]:
        from loyaldesk.stores import shopper_signature

        return {
            "X-Customer-Id": external_id,
            "X-Customer-Signature": shopper_signature(self.secret, external_id),
        }

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str], expect: int) -> Any:
        connection = await ingest.Connection.open("127.0.0.1", self.port)
        try:
            status, payload = await connection.post(path, json.dumps(body).encode(), headers)
        finally:
            connection.close()
        if status != expect:
            raise RuntimeError(f"{path}: {status} {payload[:300]!r}")
        return json.loads(payload)

    async def set_up(self, external_ids: list[str]) -> None:
        api = {"Authorization": f"Bearer {self.token}"}
        reward = await self._post(
            "/api/v1/loyalty/rewards",
            {"name": "5 EUR off", "kind": "fixed_discount", "value": 500, "points_cost": REWARD_COST},
            api,
            201,
        )
        self.reward_id = reward["id"]
        for external_id in external_ids:
            member = await self._post(
                f"/member-api/v1/{STORE_SLUG}/me/join", {}, self.headers(external_id), 200
            )
            self.members[external_id] = member["member_id"]
            await self.adjust(external_id, 5_000_000, f"fund-{external_id}")

    async def adjust(self, external_id: str, points: int, key: str) -> int:
        result = await self._post(
            f"/api/v1/loyalty/members/{self.members[external_id]}/adjustments",
            {"points": points, "reason_code": "migration", "note": "bench balance"},
            {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key},
            201,
        )
        return int(result["available_points"])

    async def redeem(
        self, identities: list[str], seconds: float, tag: str, until_refused: bool = False
    ) -> dict[str, Any]:
        """Clients redeem in a loop (``identities[i]`` for client i) for ``seconds``; with
        ``until_refused`` each client stops at its first 409 instead."""
        body = json.dumps({"reward_id": self.reward_id}).encode()
        latencies: list[float] = []
        statuses: Tally[int] = Tally()
        errors: list[str] = []
        stop_at = time.perf_counter() + seconds

        async def client(number: int, external_id: str) -> None:
            headers = self.headers(external_id)
            connection = await ingest.Connection.open("127.0.0.1", self.port)
            try:
                n = 0
                while time.perf_counter() < stop_at:
                    n += 1
                    began = time.perf_counter()
                    status, payload = await connection.post(
                        self.path, body, {**headers, "Idempotency-Key": f"{tag}-{number}-{n}"}
                    )
                    latencies.append(time.perf_counter() - began)
                    statuses[status] += 1
                    if status == 409 and until_refused:
                        return
                    if status != 201:
                        errors.append(f"{status} {payload[:200]!r}")
                        if status >= 500 or len(errors) > 100:
                            return
            finally:
                connection.close()

        cpu_before = process_cpu_seconds(self.server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(client(i, external_id) for i, external_id in enumerate(identities)))
        elapsed = time.perf_counter() - started
        server_cpu = process_cpu_seconds(self.server_pid) - cpu_before
        latencies.sort()
        return {
            "requests": len(latencies),
            "redeemed": statuses[201],
            "statuses": dict(statuses),
            "errors": errors[:3] if not until_refused else [],
            "redemptions_per_s": statuses[201] / elapsed,
            # the server process's CPU (all its threads) per request answered, 409s included
            "server_cpu_ms_per_request": 1000 * server_cpu / max(1, len(latencies)),
            "p50_ms": 1000 * percentile(latencies, 0.50),
            "p99_ms": 1000 * percentile(latencies, 0.99),
            "max_ms": 1000 * latencies[-1] if latencies else math.nan,
        }


# -- batches over HTTP, points by the server's own dispatcher -------------------------------------
def pending_events(engine: Engine) -> int:
    """Events not yet handled by any dispatcher (raises on a failed one: the phase would be wrong)."""
    from sqlalchemy import func, select

    from loyaldesk.kernel.events import EventRecord

    with engine.database.read() as session:
        pending = session.scalar(
            select(func.count()).select_from(EventRecord).where(EventRecord.dispatched_at.is_(None))
        )
        failed = session.scalar(
            select(func.count()).select_from(EventRecord).where(EventRecord.dispatch_error.is_not(None))
        )
    if failed:
        raise RuntimeError(f"{failed} events failed in the server's dispatcher")
    return int(pending or 0)


def settle(pid: int, most: float = 120.0) -> None:
    """Wait until process ``pid`` uses under 5% of a core over a second (at most ``most`` seconds)."""
    give_up = time.perf_counter() + most
    while time.perf_counter() < give_up:
        before = process_cpu_seconds(pid)
        time.sleep(1.0)
        if process_cpu_seconds(pid) - before < 0.05:
            return


async def http_batch_phase(
    engine: Engine, workload: Workload, port: int, token: str, server_pid: int, seconds: float, size: int
) -> dict[str, float]:
    """2 clients post batches of ``size`` orders for ``seconds``; then wait until the server's
    dispatcher has turned every one into points (at most 300 s more)."""
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        connection = await ingest.Connection.open("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at and not errors:
                orders = [workload.payload(workload.customer()) for _ in range(size)]
                body = json.dumps({"orders": orders}).encode()
                status, payload = await connection.post("/api/v1/orders/batch", body, headers)
                result = json.loads(payload) if status == 200 else {}
                if status != 200 or result.get("created") != size:
                    errors.append(f"{status} {payload[:300]!r}")
                    return
                done += size
        finally:
            connection.close()

    cpu_before = process_cpu_seconds(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(2)))
    accepted = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"batch refused: {errors[0]}")
    give_up = time.perf_counter() + 300
    while (pending := await asyncio.to_thread(pending_events, engine)) and time.perf_counter() < give_up:
        await asyncio.sleep(0.02)
    if pending:
        raise RuntimeError(f"{pending} events still pending 300 s after the last batch")
    elapsed = time.perf_counter() - started
    server_cpu = process_cpu_seconds(server_pid) - cpu_before
    return {
        "orders": done,
        "accepted_orders_per_s": done / accepted,
        "end_to_end_orders_per_s": done / elapsed,
        "server_cpu_ms_per_order": 1000 * server_cpu / done,
    }


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``); 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def available_history(engine: Engine, member_id: int) -> tuple[int, int]:
    """(lowest running available balance replaying the member's postings in entry order, final one)."""
    from sqlalchemy import func, select

    from loyaldesk.loyalty.models import LedgerPosting

    with engine.database.read() as session:
        rows = session.execute(
            select(LedgerPosting.entry_id, func.sum(LedgerPosting.amount))
            .where(LedgerPosting.member_id == member_id, LedgerPosting.account == "available")
            .group_by(LedgerPosting.entry_id)
            .order_by(LedgerPosting.entry_id)
        ).all()
    running, lowest = 0, 0
    for _entry_id, amount in rows:
        running += int(amount)
        lowest = min(lowest, running)
    return lowest, running


def drain(engine: Engine, shoppers: Shoppers, external_id: str, redemptions: int) -> dict[str, Any]:
    """Leave the member exactly ``redemptions`` rewards' worth; 8 clients redeem until refused."""
    from loyaldesk.loyalty.models import Member

    with engine.database.read() as session:
        member = session.get(Member, shoppers.members[external_id])
        assert member is not None
        available = member.available_points
    target = redemptions * REWARD_COST
    if available != target:
        left = asyncio.run(shoppers.adjust(external_id, target - available, f"drain-{time.time_ns()}"))
        assert left == target, (left, target)
    result = asyncio.run(
        shoppers.redeem([external_id] * CLIENTS, 30.0, f"drain-{time.time_ns()}", until_refused=True)
    )
    lowest, final = available_history(engine, shoppers.members[external_id])
    with engine.database.read() as session:
        member = session.get(Member, shoppers.members[external_id])
        assert member is not None
        cached = member.available_points
    verdict = result["redeemed"] == redemptions and final == 0 and cached == 0 and lowest >= 0
    return {
        "expected": redemptions,
        "redeemed": result["redeemed"],
        "refused_409": result["statuses"].get(409, 0),
        "other_statuses": {k: v for k, v in result["statuses"].items() if k not in (201, 409)},
        "final_available": cached,
        "lowest_running_available": lowest,
        "ok": verdict,
    }


# -- statements per order -------------------------------------------------------------------------
_TABLE = {
    "SELECT": re.compile(r"\bFROM\s+\"?(\w+)", re.I),
    "INSERT": re.compile(r"^INSERT\s+INTO\s+\"?(\w+)", re.I),
    "UPDATE": re.compile(r"^UPDATE\s+\"?(\w+)", re.I),
    "DELETE": re.compile(r"^DELETE\s+FROM\s+\"?(\w+)", re.I),
}


def classify(statement: str) -> str:
    text = statement.lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    pattern = _TABLE.get(verb)
    if pattern is None:
        return verb  # BEGIN, SAVEPOINT, RELEASE, ROLLBACK...
    found = pattern.search(text)
    return f"{verb} {found.group(1) if found else '?'}"


class _CountingCursor:
    """A driver cursor that reports each ``execute``/``executemany`` (kind, seconds, rows)."""

    def __init__(self, cursor: Any, record: Callable[[str, float, int], None]) -> None:
        self._cursor, self._record = cursor, record

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        began = time.perf_counter()
        try:
            return self._cursor.execute(sql, parameters)
        finally:
            self._record("driver " + classify(sql), time.perf_counter() - began, 1)

    def executemany(self, sql: str, parameters: Any) -> Any:
        began = time.perf_counter()
        try:
            return self._cursor.executemany(sql, parameters)
        finally:
            self._record("driver " + classify(sql), time.perf_counter() - began, len(parameters))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


@contextmanager
def counting(engine: Engine) -> Iterator[Callable[[], dict[str, tuple[int, float, int]]]]:
    """Count the statements sent on the write engine: {kind: (executions, seconds inside the driver's
    execute, rows)}. Through SQLAlchemy (``before/after_cursor_execute``) an executemany counts once and
    its rows are not counted (``rows`` = executions); ``kernel.bulk`` hands its statements to the driver
    directly, so its driver cursor is wrapped for the count (kinds ``driver ...``, with the rows of each
    executemany). Not seen: ``kernel.ids.reserve_ids`` on SQLite (one ``SELECT max(id)`` per table per
    transaction, on the driver) and the COMMIT itself."""
    from sqlalchemy import event

    from loyaldesk.kernel import bulk

    executions: Tally[str] = Tally()
    rows: Tally[str] = Tally()
    spent: dict[str, float] = {}

    def record(kind: str, seconds: float, count: int) -> None:
        executions[kind] += 1
        rows[kind] += count
        spent[kind] = spent.get(kind, 0.0) + seconds

    def before(_conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        if context is not None:
            context._bench_started = (classify(statement), time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool) -> None:
        started = getattr(context, "_bench_started", None)
        if started is not None:
            record(started[0], time.perf_counter() - started[1], 1)
        else:
            record(classify(statement), 0.0, 1)

    original = bulk._driver_cursor

    def counted_cursor(uow: Any) -> Any:
        return _CountingCursor(original(uow), record)

    target = engine.database.engine
    event.listen(target, "before_cursor_execute", before)
    event.listen(target, "after_cursor_execute", after)
    bulk._driver_cursor = counted_cursor  # type: ignore[assignment]
    try:
        yield lambda: {kind: (executions[kind], spent.get(kind, 0.0), rows[kind]) for kind in executions}
    finally:
        bulk._driver_cursor = original  # type: ignore[assignment]
        event.remove(target, "before_cursor_execute", before)
        event.remove(target, "after_cursor_execute", after)


def statement_profile(engine: Engine, workload: Workload, size: int) -> dict[str, Any]:
    """Untimed: statements per order on the single path (ingest and dispatch apart) and the batch path,
    as {kind: [executions per order, microseconds in the driver's execute per order, rows per order]},
    with the wall time per order of each transaction beside them (``_wall_us_per_order``)."""
    singles = 100

    def per_order(totals: dict[str, list[float]], orders: int) -> dict[str, list[float]]:
        ordered = sorted(totals.items(), key=lambda kv: -kv[1][0])
        return {
            k: [round(v[0] / orders, 3), round(1e6 * v[1] / orders, 1), round(v[2] / orders, 3)]
            for k, v in ordered
        }

    def add(totals: dict[str, list[float]], counts: dict[str, tuple[int, float, int]]) -> None:
        for kind, (executions, seconds, rows) in counts.items():
            slot = totals.setdefault(kind, [0, 0.0, 0])
            slot[0] += executions
            slot[1] += seconds
            slot[2] += rows

    out: dict[str, Any] = {"single_orders": singles, "batch_orders": size}
    for label, orders_per_round, rounds, limit in (("single", 1, singles, 200), ("batch", size, 1, 4 * size)):
        ingest_totals: dict[str, list[float]] = {}
        dispatch_totals: dict[str, list[float]] = {}
        ingest_wall = dispatch_wall = 0.0
        for _ in range(rounds):
            orders = workload.orders(orders_per_round)
            with counting(engine) as counts:
                began = time.perf_counter()
                engine.ingest(orders)
                ingest_wall += time.perf_counter() - began
            add(ingest_totals, counts())
            with counting(engine) as counts:
                began = time.perf_counter()
                engine.dispatch_all(limit)
                dispatch_wall += time.perf_counter() - began
            add(dispatch_totals, counts())
        total = orders_per_round * rounds
        out[f"{label}_ingest"] = per_order(ingest_totals, total)
        out[f"{label}_ingest_wall_us_per_order"] = round(1e6 * ingest_wall / total, 1)
        out[f"{label}_dispatch"] = per_order(dispatch_totals, total)
        out[f"{label}_dispatch_wall_us_per_order"] = round(1e6 * dispatch_wall / total, 1)
    engine.outbox_clean()
    return out


# -- the run --------------------------------------------------------------------------------------
def source_fingerprint() -> dict[str, str]:
    """Which code was measured: the commit, and a hash and the newest change time of src/ as it is
    (the engine may be edited between runs)."""
    import hashlib
    import subprocess

    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted((ROOT / "src").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return {
        "commit": head,
        "src_sha256": digest.hexdigest()[:16],
        "src_newest_change": datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds"),
    }


def raw_rate(backend: str, url: str, directory: Path, seconds: float) -> float:
    if backend == "sqlite":
        return ingest.raw_sqlite_commits(directory, seconds)
    return ingest.raw_postgres_commits(url, seconds)


def database_summary(engine: Engine) -> dict[str, Any]:
    from sqlalchemy import func, select

    from loyaldesk.commerce import Order
    from loyaldesk.loyalty.models import LedgerEntry, Member, PointLot, Tier

    with engine.database.read() as session:
        tiers = dict(
            session.execute(
                select(Tier.name, func.count(Member.id))
                .join(Member, Member.tier_id == Tier.id)
                .group_by(Tier.name)
            ).all()
        )
        return {
            "orders": session.scalar(select(func.count()).select_from(Order)),
            "members": session.scalar(select(func.count()).select_from(Member)),
            "entries": session.scalar(select(func.count()).select_from(LedgerEntry)),
            "lots": session.scalar(select(func.count()).select_from(PointLot)),
            "members_by_tier": tiers,
        }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    phases = set(args.phase or PHASES)
    # The server must not dispatch: this process's phases dispatch their own events and time it.
    os.environ["LOYALDESK_RUN_BACKGROUND_JOBS"] = "false"
    if backend == "postgresql":
        ingest.PG_URL = bench_postgres_url()  # ingest.prepare_database empties this database
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        directory = Path(tmp)
        url = ingest.prepare_database(backend, directory)
        server, port, token = ingest.start_server(url, directory)
        engine: Engine | None = None
        result: dict[str, Any] = {"backend": backend}
        reps: dict[str, list[Any]] = {
            "raw": [],
            "single": [],
            "batch": [],
            "redeem_own": [],
            "redeem_shared": [],
            "http_batch": [],
        }
        try:
            engine = Engine(url)
            set_up_program(engine.database, engine.store_id)
            workload = Workload(args.customers)
            result["warm_up_s"] = warm_up(engine, workload, args.batch_size)
            own = [f"shopper-{i}" for i in range(CLIENTS)]
            shared = "shopper-shared"
            shoppers = Shoppers(port, token, engine.identity_secret, server.pid)
            if "redeem" in phases:
                asyncio.run(shoppers.set_up([*own, shared]))
                asyncio.run(shoppers.redeem(own, 1.0, "warm"))
            for rep in range(args.repetitions):
                reps["raw"].append(raw_rate(backend, url, directory, args.seconds))
                if "single" in phases:
                    reps["single"].append(single_phase(engine, workload, args.seconds, args.orders))
                if "batch" in phases:
                    reps["batch"].append(
                        batch_phase(engine, workload, args.seconds, args.orders, args.batch_size)
                    )
                if "redeem" in phases:
                    reps["redeem_own"].append(asyncio.run(shoppers.redeem(own, args.seconds, f"own-{rep}")))
                    reps["redeem_shared"].append(
                        asyncio.run(shoppers.redeem([shared] * CLIENTS, args.seconds, f"shared-{rep}"))
                    )
                print(
                    f"[{backend}] repetition {rep + 1}: "
                    + json.dumps({k: v[-1] for k, v in reps.items() if v}),
                    file=sys.stderr,
                )
            if "redeem" in phases:
                result["drain"] = drain(engine, shoppers, shared, args.drain)
            if args.statements:
                result["statements"] = statement_profile(engine, workload, args.batch_size)
            if "http-batch" in phases:
                engine.dispatch_all()  # the redemptions' events (for the journeys), left by the last phase
                engine.outbox_clean()
                server.terminate()
                server.wait(timeout=30)
                # the server as a store runs it: its dispatcher turns the orders into points
                env = {**ingest.server_environment(url, directory), "LOYALDESK_RUN_BACKGROUND_JOBS": "true"}
                server, port = ingest.launch_server(env)
                # untimed: a first round, then until the jobs a server starts with (dashboards, fits) end
                asyncio.run(http_batch_phase(engine, workload, port, token, server.pid, 2.0, args.batch_size))
                settle(server.pid)
                for rep in range(args.repetitions):
                    reps["http_batch"].append(
                        asyncio.run(
                            http_batch_phase(
                                engine, workload, port, token, server.pid, args.seconds, args.batch_size
                            )
                        )
                    )
                    print(
                        f"[{backend}] http-batch {rep + 1}: {json.dumps(reps['http_batch'][-1])}",
                        file=sys.stderr,
                    )
            from loyaldesk.loyalty.queries.check_ledger import check_ledger

            with engine.database.read() as session:
                violations = check_ledger(session)
            print(f"[{backend}] check_ledger(session) -> {violations!r}", file=sys.stderr)
            result["check_ledger"] = [f"{v.invariant}: {v.detail}" for v in violations]
            result["database"] = database_summary(engine)
        finally:
            if engine is not None:
                engine.dispose()
            server.terminate()
            server.wait(timeout=30)
    result["repetitions"] = reps
    raws = reps["raw"]
    result["raw_median"] = statistics.median(raws)
    ratios: dict[str, float] = {}

    def med(phase: str, key: str) -> float:
        return statistics.median(rep[key] for rep in reps[phase])

    def med_ratio(phase: str, key: str) -> float:
        # ratio to the raw rate of the same repetition, then the median (HTTP batches run after every
        # repetition: to the median raw rate)
        if phase == "http_batch":
            return med(phase, key) / statistics.median(raws)
        return statistics.median(rep[key] / raw for rep, raw in zip(reps[phase], raws, strict=False))

    medians: dict[str, float] = {}
    for phase, keys in (
        ("single", ("orders_per_s", "loyalty_orders_per_s", "ingest_orders_per_s", "cpu_ms_per_order")),
        (
            "batch",
            (
                "points_orders_per_s",
                "end_to_end_orders_per_s",
                "ingest_orders_per_s",
                "points_cpu_ms_per_order",
            ),
        ),
        ("http_batch", ("accepted_orders_per_s", "end_to_end_orders_per_s", "server_cpu_ms_per_order")),
        ("redeem_own", ("redemptions_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request")),
        (
            "redeem_shared",
            ("redemptions_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request"),
        ),
    ):
        if reps[phase]:
            for key in keys:
                medians[f"{phase}.{key}"] = med(phase, key)
                if key.endswith("_per_s"):
                    ratios[f"{phase}.{key}"] = med_ratio(phase, key)
    result["medians"] = medians
    result["ratios_to_raw"] = ratios
    return result


def report(results: list[dict[str, Any]]) -> None:
    print(
        f"# loyalty benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(
        "\n| backend | raw durable commits/s | single: orders/s (ratio) | single: loyalty part alone "
        "orders/s (ratio) | batch: points orders/s (ratio) | batch: end to end orders/s (ratio) "
        "| CPU ms/order single, batch points (this process) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        m, q = r["medians"], r["ratios_to_raw"]

        def cell(key: str, m: dict[str, float] = m, q: dict[str, float] = q) -> str:
            return f"{m[key]:,.0f} ({q[key]:.2f})" if key in m else "-"

        print(
            f"| {r['backend']} | {r['raw_median']:,.0f} | {cell('single.orders_per_s')} | "
            f"{cell('single.loyalty_orders_per_s')} | {cell('batch.points_orders_per_s')} | "
            f"{cell('batch.end_to_end_orders_per_s')} | {m.get('single.cpu_ms_per_order', math.nan):.2f}, "
            f"{m.get('batch.points_cpu_ms_per_order', math.nan):.2f} |"
        )
    if any("http_batch.end_to_end_orders_per_s" in r["medians"] for r in results):
        print(
            "\n| backend | batches over HTTP: accepted orders/s (ratio) | end to end with points orders/s "
            "(ratio) | server CPU ms/order |"
        )
        print("|---|---:|---:|---:|")
        for r in results:
            m, q = r["medians"], r["ratios_to_raw"]
            if "http_batch.end_to_end_orders_per_s" in m:
                print(
                    f"| {r['backend']} | {m['http_batch.accepted_orders_per_s']:,.0f} "
                    f"({q['http_batch.accepted_orders_per_s']:.2f}) | "
                    f"{m['http_batch.end_to_end_orders_per_s']:,.0f} "
                    f"({q['http_batch.end_to_end_orders_per_s']:.2f}) | "
                    f"{m['http_batch.server_cpu_ms_per_order']:.2f} |"
                )
    print(
        "\n| backend | raw commit ms | variant | redemptions/s (ratio to raw) | p50 ms | p99 ms | max ms "
        "| server CPU ms/request |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        m, q = r["medians"], r["ratios_to_raw"]
        for variant, label in (
            ("redeem_own", "8 clients, 8 members"),
            ("redeem_shared", "8 clients, 1 member"),
        ):
            if f"{variant}.p50_ms" in m:
                print(
                    f"| {r['backend']} | {1000 / r['raw_median']:.3f} | {label} | "
                    f"{m[f'{variant}.redemptions_per_s']:,.0f} ({q[f'{variant}.redemptions_per_s']:.3f}) | "
                    f"{m[f'{variant}.p50_ms']:.1f} | {m[f'{variant}.p99_ms']:.1f} | "
                    f"{m[f'{variant}.max_ms']:.1f} | "
                    f"{m.get(f'{variant}.server_cpu_ms_per_request', math.nan):.2f} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase and repetition")
    parser.add_argument(
        "--orders", type=int, default=5000, help="at most this many orders per phase and repetition"
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=2000, help="the pool of returning customers")
    parser.add_argument("--drain", type=int, default=200, help="redemptions the drain test expects")
    parser.add_argument("--phase", action="append", choices=PHASES, help="run only these (raw always runs)")
    parser.add_argument("--no-statements", dest="statements", action="store_false", help="skip the SQL count")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    source = source_fingerprint()
    results = [run_backend(backend, args) for backend in (args.backend or ["sqlite"])]
    if source_fingerprint() != source:
        print(
            "WARNING: src/ changed during the run; the server processes may run newer code", file=sys.stderr
        )
    report(results)
    print(f"\nsource: {source}")
    document = {"arguments": {k: str(v) for k, v in vars(args).items()}, "source": source, "results": results}
    if args.json:
        args.json.write_text(json.dumps(document, indent=1))
    print(json.dumps(document, indent=1))


if __name__ == "__main__":
    main()
