"""Concurrent redemptions never overdraw; concurrent retries of one key make one entry.

Each thread runs its own transaction on its own connection (no write queue), so the database's own
locking is what is tested: row locks on PostgreSQL, the single writer on SQLite.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from loyaldesk.kernel.db import Database
from loyaldesk.loyalty.actions import move_points as ledger
from loyaldesk.loyalty.models import LedgerEntry, Member
from loyaldesk.loyalty.program import ensure_program, terms_of
from loyaldesk.loyalty.queries.check_ledger import check_ledger
from tests.factories import StoreHandle, make_member


def _in_threads(count: int, work) -> list[Any]:  # type: ignore[no-untyped-def]
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _operation(db: Database, store: StoreHandle, member_id: int, name: str, **kwargs: Any) -> Any:
    with db.transaction() as uow:
        terms = terms_of(ensure_program(uow, store.id), "UTC")
        member = uow.session.get(Member, member_id)
        return getattr(ledger, name)(uow, member, terms, **kwargs)


def test_parallel_redemptions_worth_twice_the_balance_redeem_at_most_the_balance(
    db: Database, store: StoreHandle
) -> None:
    member_id = make_member(db, store)
    _operation(db, store, member_id, "earn", points=1000, key="seed", description="x", source="action")
    results = _in_threads(
        20,
        lambda i: _operation(db, store, member_id, "spend", points=100, key=f"r{i}", description="voucher"),
    )
    succeeded = [r for r in results if isinstance(r, ledger.EntryResult)]
    refused = [r for r in results if isinstance(r, ledger.InsufficientPoints)]
    assert len(succeeded) == 10 and len(refused) == 10, results
    with db.read() as session:
        member = session.get(Member, member_id)
        assert member is not None and member.available_points == 0
        assert check_ledger(session) == []


def test_a_hundred_parallel_retries_of_one_key_make_one_entry(db: Database, store: StoreHandle) -> None:
    member_id = make_member(db, store)
    results = _in_threads(
        100,
        lambda i: _operation(
            db, store, member_id, "earn", points=25, key="once", description="bonus", source="action"
        ),
    )
    created = [r for r in results if isinstance(r, ledger.EntryResult) and r.created]
    replayed = [r for r in results if isinstance(r, ledger.EntryResult) and not r.created]
    assert len(created) == 1
    assert len(replayed) == 99, [r for r in results if not isinstance(r, ledger.EntryResult)][:3]
    assert all(r.entry.id == created[0].entry.id for r in replayed)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        member = session.get(Member, member_id)
        assert member is not None and member.available_points == 25
        assert check_ledger(session) == []
