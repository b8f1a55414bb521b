"""Expert sessions under contention: thousands of concurrent hold attempts over HTTP on a few slots, against
a real server process, ending with no double booking and no buffer violated.

Per backend: a fresh database, a real server (``bench/ingest.py``'s: uvicorn with uvloop and httptools,
the product's default stack, background jobs on as a store runs it) on 127.0.0.1, a store with one expert
(09:00-18:00 UTC every day, 10 minutes of buffer before and after each session) hosting a one-hour,
one-to-one session type offered every 30 minutes, so that neighbouring starts overlap (09:00 and 09:30
cannot both be booked) and ``--customers`` shoppers. ``--clients`` keep-alive connections then send
``POST /member-api/v1/{store}/bookings/holds`` (signed shopper headers, a random shopper, one of the
``--slots`` first starts of a day a week ahead) until ``--attempts`` were sent or ``--seconds`` passed; a
client whose hold succeeded gives it back (``POST .../{id}/cancel``) half of the time, so the slots keep
changing hands. Reported: attempts/s, hold latency p50/p99/max, holds won, refusals (409), errors (any
other status: must be 0); then, read from the database: no occurrence with more seats taken than its
capacity, no two live sessions of the expert whose buffered spans overlap, no live seat on a retired
occurrence; each slot's live seats at most 1. The raw durable commit rate of the same database is measured
first (``bench/ingest.py``), and the hold rate is reported beside it as a ratio.

    .venv/bin/python bench/bookings.py --backend sqlite --backend postgresql

PostgreSQL uses LOYALDESK_BENCH_DATABASE_URL (default: the local test database, which it empties).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # bench/ is not a package: the sibling benchmark's HTTP client, raw rates and server

ROOT = Path(__file__).resolve().parent.parent
STORE = "bench"


@dataclass
class World:
    """What the clients need: the session type, the contested starts and each shopper's headers."""

    session_type_id: int
    starts: list[str]
    shoppers: list[dict[str, str]]


def prepare_world(url: str, customers: int, slots: int) -> World:
    """The expert, the session type and the shoppers, through the actions (untimed)."""
    from sqlalchemy import select

    from loyaldesk import bookings
    from loyaldesk.composition import compose
    from loyaldesk.customers import CustomerProfile, upsert_customer
    from loyaldesk.kernel.actors import system_for
    from loyaldesk.kernel.db import Database
    from loyaldesk.stores import Store, shopper_signature
    from loyaldesk.stores import actions as store_actions
    from loyaldesk.stores.models import StaffAccount
    from loyaldesk.stores.passwords import hash_password

    compose()
    database = Database(url)
    try:
        with database.read() as session:
            store = session.scalars(select(Store).where(Store.slug == STORE)).one()
            store_id, secret = store.id, store.identity_secret
        actor = system_for(store_id)
        database.write(
            store_actions.add_staff_member,
            actor,
            store_id,
            email="expert@bench.example.com",
            name="Expert",
            role="agent",
            password_hash=hash_password("bench-password"),
        )
        with database.read() as session:
            expert = session.scalars(
                select(StaffAccount.id).where(StaffAccount.email == "expert@bench.example.com")
            ).one()
        schedule_id = database.write(
            bookings.save_schedule,
            store_id=store_id,
            actor_id=expert,
            schedule_in=bookings.ScheduleIn(
                user_id=expert,
                time_zone="UTC",
                weekly_hours={day: [("09:00", "18:00")] for day in range(7)},
                buffer_before_minutes=10,
                buffer_after_minutes=10,
                slot_step_minutes=30,
            ),
        )
        session_type_id = database.write(
            bookings.save_session_type,
            store_id=store_id,
            actor_id=expert,
            session_type_in=bookings.SessionTypeIn(
                name="Styling",
                slug="styling",
                length_minutes=60,
                hold_minutes=30,
                hosts=[bookings.HostIn(schedule_id=schedule_id)],
            ),
        )
        shoppers = []
        for number in range(customers):
            external_id = f"shopper-{number}"
            database.write(
                upsert_customer, actor, store_id, external_id, CustomerProfile(first_name="Shopper")
            )
            shoppers.append(
                {
                    "X-Customer-Id": external_id,
                    "X-Customer-Signature": shopper_signature(secret, external_id),
                }
            )
        now = datetime.now(UTC)
        with database.read() as session:
            offered = bookings.slots_for_shopper(
                session,
                store_id=store_id,
                session_type_id=session_type_id,
                time_zone="UTC",
                first_day=(now + timedelta(days=7)).date(),
                days=1,
                now=now,
            )
        [day] = offered.values()
        starts = [slot.starts_at.isoformat() for slot in day[:slots]]
        return World(session_type_id, starts, shoppers)
    finally:
        database.dispose()


@dataclass
class Tally:
    sent: int = 0
    won: int = 0
    refused: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def contend(port: int, world: World, args: argparse.Namespace, tally: Tally) -> float:
    """Hold attempts from ``args.clients`` connections until ``args.attempts`` or ``args.seconds``;
    returns the elapsed seconds."""
    path = f"/member-api/v1/{STORE}/bookings"
    stop_at = time.perf_counter() + args.seconds
    randomness = random.Random(19)

    async def client() -> None:
        connection = await ingest.Connection.open("127.0.0.1", port)
        try:
            while tally.sent < args.attempts and time.perf_counter() < stop_at:
                tally.sent += 1
                shopper = randomness.choice(world.shoppers)
                body = json.dumps(
                    {"session_type_id": world.session_type_id, "starts_at": randomness.choice(world.starts)}
                ).encode()
                started = time.perf_counter()
                status, payload = await connection.post(path + "/holds", body, shopper)
                tally.latencies.append(time.perf_counter() - started)
                if status == 201:
                    tally.won += 1
                    if randomness.random() < 0.5:
                        seat = json.loads(payload)["id"]
                        released, answer = await connection.post(f"{path}/{seat}/cancel", b"{}", shopper)
                        if released != 200:
                            tally.errors.append(f"cancel {released}: {answer[:200]!r}")
                        tally.released += 1
                elif status == 409:
                    tally.refused += 1
                else:
                    tally.errors.append(f"hold {status}: {payload[:200]!r}")
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(args.clients)))
    return time.perf_counter() - started


def violations(url: str) -> dict[str, int]:
    """What the database holds after the run, each count must be 0."""
    from sqlalchemy import text

    from loyaldesk.kernel.db import Database

    database = Database(url)
    checks = {
        "over_capacity": "SELECT count(*) FROM bookings_occurrences WHERE seats_taken > capacity",
        "overlapping_live_sessions": """
            SELECT count(*) FROM bookings_occurrences a JOIN bookings_occurrences b
              ON a.schedule_id = b.schedule_id AND a.id < b.id AND a.active AND b.active
             AND a.blocked_from < b.blocked_until AND b.blocked_from < a.blocked_until""",
        "live_seats_on_retired_sessions": """
            SELECT count(*) FROM bookings_seats s JOIN bookings_occurrences o ON o.id = s.occurrence_id
             WHERE s.status IN ('held', 'confirmed') AND NOT o.active""",
        "seat_counts_out_of_step": """
            SELECT count(*) FROM bookings_occurrences o WHERE o.seats_taken <> (
              SELECT count(*) FROM bookings_seats s
               WHERE s.occurrence_id = o.id AND s.status IN ('held', 'confirmed'))""",
        "slots_with_two_live_seats": """
            SELECT count(*) FROM (SELECT o.starts_at FROM bookings_seats s
              JOIN bookings_occurrences o ON o.id = s.occurrence_id
             WHERE s.status IN ('held', 'confirmed') GROUP BY o.starts_at HAVING count(*) > 1) twice""",
    }
    try:
        with database.read() as session:
            found = {name: int(session.execute(text(sql)).scalar_one()) for name, sql in checks.items()}
            found["live_seats"] = int(
                session.execute(
                    text("SELECT count(*) FROM bookings_seats WHERE status IN ('held', 'confirmed')")
                ).scalar_one()
            )
        return found
    finally:
        database.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        directory = Path(tmp)
        url = ingest.prepare_database(backend, directory)
        server, port, _token = ingest.start_server(url, directory)
        try:
            world = prepare_world(url, args.customers, args.slots)
            raw = (
                ingest.raw_sqlite_commits(directory, 2.0)
                if backend == "sqlite"
                else ingest.raw_postgres_commits(url, 2.0)
            )
            tally = Tally()
            elapsed = asyncio.run(contend(port, world, args, tally))
        finally:
            server.terminate()
            server.wait(timeout=30)
        found = violations(url)
    rate = tally.sent / elapsed
    result = {
        "backend": backend,
        "attempts": tally.sent,
        "seconds": elapsed,
        "attempts_per_s": rate,
        "raw_commits_per_s": raw,
        "ratio_to_raw": rate / raw,
        "holds_won": tally.won,
        "holds_released": tally.released,
        "refused_409": tally.refused,
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
        "latency_ms": {
            "p50": percentile(tally.latencies, 0.50) * 1000,
            "p99": percentile(tally.latencies, 0.99) * 1000,
            "max": max(tally.latencies) * 1000 if tally.latencies else float("nan"),
        },
        "database": found,
    }
    problems = {name: count for name, count in found.items() if name != "live_seats" and count}
    if problems or tally.errors:
        raise SystemExit(f"{backend}: double booking or errors: {problems} {tally.errors[:3]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--attempts", type=int, default=3000, help="hold attempts at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="at most this long")
    parser.add_argument("--clients", type=int, default=64, help="concurrent keep-alive connections")
    parser.add_argument("--slots", type=int, default=4, help="contested starts (30 minutes apart)")
    parser.add_argument("--customers", type=int, default=200)
    args = parser.parse_args()
    results = [run_backend(backend, args) for backend in (args.backend or ["sqlite"])]
    print(
        f"# bookings contention, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; {args.clients} clients, "
        f"{args.slots} overlapping starts"
    )
    print(
        "| backend | attempts | attempts/s | raw commits/s | ratio | p50 ms | p99 ms | won | refused | "
        "errors | double bookings |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        doubles = sum(count for name, count in r["database"].items() if name != "live_seats")
        print(
            f"| {r['backend']} | {r['attempts']:,} | {r['attempts_per_s']:,.0f} "
            f"| {r['raw_commits_per_s']:,.0f} | {r['ratio_to_raw']:.2f} "
            f"| {r['latency_ms']['p50']:.1f} | {r['latency_ms']['p99']:.1f} "
            f"| {r['holds_won']:,} | {r['refused_409']:,} | {r['errors']} | {doubles} |"
        )
    print(json.dumps({"results": results}, indent=1))


if __name__ == "__main__":
    main()
