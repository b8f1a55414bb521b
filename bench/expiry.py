"""Expiry catching up: how fast lots that are all due at once expire, the old way and the new.

One SQLite database holds a store with ``--members`` members, each with ``--lots`` / ``--members``
available lots earned at the same moment; the clock then moves 366 days on (the default program expires
points 365 days after they are earned), so every lot is due. Each repetition copies that database twice
and expires everything:

* *before*: the job as it was until the program start date change: 500 lots per transaction, one
  ``ledger.expire`` call per member (its own reads, savepoint and flushes), run back to back here (the
  job itself ran once every 5 minutes, so it expired at most 500 lots / 300 s = 1.7 lots/s);
* *after*: ``unlocking.catch_up_expiry``: 2,000 lots per transaction written in bulk, until none is due.

Beside them, the raw durable commit rate of the same disk in the same repetition (single-row commits,
WAL, synchronous=FULL). Repetitions alternate the order of the two; medians are reported.

    .venv/bin/python bench/expiry.py --lots 20000 --members 2000 --repetitions 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # bench/ is not a package: the raw durable commit rate
from loyaldesk.composition import compose
from loyaldesk.customers import CustomerRef, resolve_customers
from loyaldesk.kernel.actors import SYSTEM
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.migrations import upgrade_to_head
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.actions.earn_in_bulk import Credit, credit_in_bulk
from loyaldesk.loyalty.actions.enrol_members import enroll_many
from loyaldesk.loyalty.actions.unlock_and_expire import catch_up_expiry
from loyaldesk.loyalty.models import Member, PointLot
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from loyaldesk.stores import actions as store_actions

EARNED = datetime(2025, 1, 1, tzinfo=UTC)
DUE = EARNED + timedelta(days=366)


def build(path: Path, members: int, lots: int) -> None:
    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    database = Database(url, clock=FakeClock(EARNED))

    def fill(uow: UnitOfWork) -> None:
        store = store_actions.create_store(uow, SYSTEM, slug="bench", name="Bench", currency="EUR")
        ids = resolve_customers(
            uow, store.id, [CustomerRef(external_id=f"m{i}") for i in range(members)], source="bench"
        )
        enroll_many(uow, store.id, {customer_id: uow.now() for customer_id in ids if customer_id})
        rows = uow.session.scalars(select(Member).order_by(Member.id)).all()
        terms = terms_of(ensure_program(uow, store.id), "UTC")
        credits = [
            Credit(
                member=rows[index % members],
                key=f"gift:{index}",
                fingerprint=ledger.request_hash(kind="gift", number=index),
                points=5,
                description="5 points",
                source="adjustment",
                earned_at=uow.now(),
                pending=False,
            )
            for index in range(lots)
        ]
        credit_in_bulk(uow, credits, terms)

    database.write(fill)
    database.dispose()


def expire_as_before(uow: UnitOfWork) -> int:
    """The old ``expire_due_lots``: up to 500 due lots, one ``ledger.expire`` per member."""
    query = (
        select(PointLot)
        .where(
            PointLot.status == "available",
            PointLot.expires_at.is_not(None),
            PointLot.expires_at <= uow.now(),
            PointLot.remaining > 0,
        )
        .order_by(PointLot.member_id, PointLot.id)
        .limit(500)
    )
    by_member: dict[int, list[PointLot]] = {}
    for lot in uow.session.scalars(query):
        by_member.setdefault(lot.member_id, []).append(lot)
    for member_id, lots in by_member.items():
        member = uow.session.get(Member, member_id)
        assert member is not None
        ledger.expire(
            uow,
            member,
            terms_of(ensure_program(uow, member.store_id), "UTC"),
            lots,
            key=f"expire:{member_id}:{min(lot.id for lot in lots)}-{max(lot.id for lot in lots)}",
            description=f"{sum(lot.remaining for lot in lots)} points expired",
        )
    return sum(len(lots) for lots in by_member.values())


def run(template: Path, folder: Path, way: str) -> tuple[int, float]:
    path = folder / f"{way}.db"
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}", clock=FakeClock(DUE))
    started = time.perf_counter()
    if way == "before":
        expired = 0
        while done := database.write(expire_as_before):
            expired += done
    else:
        expired = catch_up_expiry(database)
    seconds = time.perf_counter() - started
    with database.read() as session:
        problems = check_ledger(session)
    database.dispose()
    path.unlink()
    if problems:
        raise SystemExit(f"{way}: the ledger is broken: {problems}")
    return expired, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lots", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--repetitions", type=int, default=3)
    arguments = parser.parse_args()
    compose()
    rates: dict[str, list[float]] = {"before": [], "after": [], "raw": []}
    with tempfile.TemporaryDirectory(prefix="bench-expiry-") as name:
        folder = Path(name)
        template = folder / "template.db"
        build(template, arguments.members, arguments.lots)
        for repetition in range(arguments.repetitions):
            rates["raw"].append(ingest.raw_sqlite_commits(folder, 2.0))
            order = ("before", "after") if repetition % 2 == 0 else ("after", "before")
            for way in order:
                expired, seconds = run(template, folder, way)
                if expired != arguments.lots:
                    raise SystemExit(f"{way} expired {expired} lots, not {arguments.lots}")
                rates[way].append(expired / seconds)
                print(f"repetition {repetition + 1}, {way}: {expired:,} lots in {seconds:.1f} s", flush=True)
    raw = statistics.median(rates["raw"])
    for way in ("before", "after"):
        rate = statistics.median(rates[way])
        print(
            f"{way:6s}: {rate:8,.0f} lots/s (median of {arguments.repetitions}), "
            f"{rate / raw:.2f}x raw commits/s"
        )
    print(f"raw   : {raw:8,.0f} single-row durable commits/s")
    print("before, as scheduled (500 lots every 300 s): 1.7 lots/s")


if __name__ == "__main__":
    main()
