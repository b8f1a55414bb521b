"""The unit of work, the outbox and the write queue, on a real database."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.errors import Conflict
from loyaldesk.kernel.events import DomainEvent, EventRecord, StoredEvent
from loyaldesk.kernel.write_queue import WriteQueue
from loyaldesk.stores.models import Store


class ThingHappened(DomainEvent):
    event_type = "test.thing_happened"
    what: str


def _add_store(uow: UnitOfWork, slug: str, *, fail: bool = False) -> int:
    store = Store(
        slug=slug,
        name=slug,
        currency="EUR",
        timezone="UTC",
        locale="en",
        identity_secret="x",
        created_at=uow.now(),
    )
    uow.session.add(store)
    uow.session.flush()
    uow.emit(ThingHappened(store_id=store.id, what=slug))
    if fail:
        raise Conflict(f"{slug} refused")
    return store.id


def _slugs(db: Database) -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(Store.slug)))


def _events(db: Database) -> list[str]:
    with db.read() as session:
        return [
            record.payload["what"] for record in session.scalars(select(EventRecord).order_by(EventRecord.id))
        ]


def test_a_committed_unit_stores_its_rows_and_events_and_tells_listeners(db: Database) -> None:
    heard: list[StoredEvent] = []
    db.add_commit_listener(heard.extend)

    with db.transaction() as uow:
        _add_store(uow, "one")

    assert _slugs(db) == ["one"]
    assert _events(db) == ["one"]
    assert [event.payload["what"] for event in heard] == ["one"]
    assert heard[0].id > 0 and heard[0].occurred_at == db.clock.now()


def test_a_failed_unit_writes_nothing_and_announces_nothing(db: Database) -> None:
    heard: list[StoredEvent] = []
    db.add_commit_listener(heard.extend)

    with pytest.raises(Conflict), db.transaction() as uow:
        _add_store(uow, "two", fail=True)

    assert _slugs(db) == []
    assert _events(db) == []
    assert heard == []


def test_after_commit_callbacks_run_only_after_a_commit(db: Database) -> None:
    ran: list[str] = []
    with db.transaction() as uow:
        uow.after_commit(lambda: ran.append("committed"))
    with pytest.raises(RuntimeError), db.transaction() as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    assert ran == ["committed"]


def test_write_queue_groups_concurrent_units_and_isolates_a_failing_one(db: Database) -> None:
    queue = WriteQueue(db)
    queue.start()
    try:
        results: dict[int, Any] = {}
        barrier = threading.Barrier(24)

        def submit(index: int) -> None:
            barrier.wait()
            try:
                results[index] = db.write(_add_store, f"s{index:02d}", fail=(index == 7))
            except Conflict as error:
                results[index] = error

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        queue.stop()

    assert isinstance(results[7], Conflict)
    assert all(isinstance(results[i], int) for i in range(24) if i != 7)
    assert _slugs(db) == sorted(f"s{i:02d}" for i in range(24) if i != 7)
    assert sorted(_events(db)) == sorted(f"s{i:02d}" for i in range(24) if i != 7)
    # 23 units arrived together: they must have shared commits.
    assert queue.units == 24 and queue.commits < 24


def test_write_queue_unit_sees_its_own_writes_and_returns_after_durable_commit(db: Database) -> None:
    queue = WriteQueue(db)
    queue.start()
    try:
        store_id = db.write(_add_store, "visible")
        # Read on another connection right away: the commit happened before write() returned.
        with db.read() as session:
            assert session.get(Store, store_id) is not None
    finally:
        queue.stop()


def test_a_stopped_queue_falls_back_to_direct_transactions(db: Database) -> None:
    queue = WriteQueue(db)
    queue.start()
    queue.stop()
    assert db.write(_add_store, "direct") > 0
    assert _slugs(db) == ["direct"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync(db: Database) -> None:
    if db.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.read() as session:
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def _add_stores(uow: UnitOfWork, prefix: str, slugs: list[str]) -> list[int]:
    """A bulk-capable action: one result per item; refuses the whole call if any slug is 'bad'."""
    calls.append(len(slugs))
    if "bad" in slugs:
        raise Conflict("bad slug")
    return [_add_store(uow, f"{prefix}-{slug}") for slug in slugs]


calls: list[int] = []


def test_coalesced_units_merge_into_one_call_and_a_failing_item_fails_alone(db: Database) -> None:
    calls.clear()
    queue = WriteQueue(db)
    queue.start()
    results: dict[str, Any] = {}
    barrier = threading.Barrier(30)

    def submit(slug: str) -> None:
        barrier.wait()
        try:
            results[slug] = db.write_coalesced("stores", _add_stores, "c", item=slug)
        except Conflict as error:
            results[slug] = error

    slugs = [f"s{i:02d}" for i in range(29)] + ["bad"]
    threads = [threading.Thread(target=submit, args=(slug,)) for slug in slugs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        queue.stop()
    assert isinstance(results["bad"], Conflict)
    assert all(isinstance(results[slug], int) for slug in slugs if slug != "bad")
    assert len(set(results[slug] for slug in slugs if slug != "bad")) == 29
    assert _slugs(db) == sorted(f"c-{slug}" for slug in slugs if slug != "bad")
    assert any(size > 1 for size in calls)  # some items were merged into one call


def test_write_coalesced_without_a_queue_runs_one_item(db: Database) -> None:
    calls.clear()
    assert isinstance(db.write_coalesced("stores", _add_stores, "d", item="x"), int)
    assert calls == [1]
