"""Handlers run from the outbox, once per event, with failures kept and retried after a backoff."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import HandlerRegistry, dispatch_until_idle
from loyaldesk.kernel.events import DomainEvent, EventRecord, StoredEvent
from loyaldesk.kernel.jobs import BackgroundRunner, JobRegistry
from loyaldesk.stores.models import Store


class Pinged(DomainEvent):
    event_type = "test.pinged"
    n: int


class Ponged(DomainEvent):
    event_type = "test.ponged"
    n: int


def _store(db: Database) -> int:
    def create(uow: UnitOfWork) -> int:
        store = Store(
            slug="s",
            name="s",
            currency="EUR",
            timezone="UTC",
            locale="en",
            identity_secret="x",
            created_at=uow.now(),
        )
        uow.session.add(store)
        uow.session.flush()
        return store.id

    return db.write(create)


def test_handlers_run_once_and_their_own_events_are_handled_too(db: Database) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    seen: list[str] = []

    @registry.on("test.pinged")
    def reply(uow: UnitOfWork, event: StoredEvent) -> None:
        seen.append(f"ping {event.payload['n']}")
        uow.emit(Ponged(store_id=event.store_id, n=event.payload["n"]))

    @registry.on("test.ponged")
    def note(uow: UnitOfWork, event: StoredEvent) -> None:
        seen.append(f"pong {event.payload['n']}")

    with db.transaction() as uow:
        uow.emit(Pinged(store_id=store_id, n=1))
        uow.emit(Pinged(store_id=store_id, n=2))
    assert dispatch_until_idle(db, registry) == 4
    assert seen == ["ping 1", "ping 2", "pong 1", "pong 2"]
    assert dispatch_until_idle(db, registry) == 0  # nothing twice
    with db.read() as session:
        assert all(record.dispatched_at is not None for record in session.scalars(select(EventRecord)))


def test_a_failing_handler_rolls_back_alone_and_is_retried_after_backoff(
    db: Database, clock: FakeClock
) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    attempts: list[int] = []

    @registry.on("test.pinged")
    def flaky(uow: UnitOfWork, event: StoredEvent) -> None:
        attempts.append(event.payload["n"])
        uow.emit(Ponged(store_id=event.store_id, n=99))  # must vanish with the failure
        if len(attempts) < 3:
            raise RuntimeError("downstream unavailable")

    with db.transaction() as uow:
        uow.emit(Pinged(store_id=store_id, n=7))
    dispatch_until_idle(db, registry)
    with db.read() as session:
        record = session.scalars(select(EventRecord).where(EventRecord.event_type == "test.pinged")).one()
        assert record.dispatched_at is None and record.dispatch_attempts == 1
        assert "downstream unavailable" in (record.dispatch_error or "")
        assert session.scalars(select(EventRecord).where(EventRecord.event_type == "test.ponged")).all() == []
    dispatch_until_idle(db, registry)
    assert attempts == [7]  # waiting for its backoff
    clock.advance(timedelta(seconds=3))
    dispatch_until_idle(db, registry)
    clock.advance(timedelta(seconds=5))
    dispatch_until_idle(db, registry)
    assert attempts == [7, 7, 7]
    with db.read() as session:
        record = session.scalars(select(EventRecord).where(EventRecord.event_type == "test.pinged")).one()
        assert record.dispatched_at is not None and record.dispatch_error is None
        assert (
            len(session.scalars(select(EventRecord).where(EventRecord.event_type == "test.ponged")).all())
            == 1
        )


def test_background_runner_runs_periodic_jobs_at_their_interval(db: Database) -> None:
    jobs = JobRegistry()
    runs: list[str] = []

    @jobs.every(3600, name="hourly")
    def hourly(uow: UnitOfWork) -> int:
        runs.append("hourly")
        return 1

    runner = BackgroundRunner(db, handler_registry=HandlerRegistry(), job_registry=jobs)
    assert runner.run_once() == 1
    assert runner.run_once() == 0
    assert runs == ["hourly"]


def test_a_backlog_is_handled_batch_by_batch_with_a_pause_after_each_full_one(db: Database) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    handled: list[int] = []
    registry.on("test.pinged")(lambda uow, event: handled.append(event.payload["n"]))
    with db.transaction() as uow:
        for n in range(25):
            uow.emit(Pinged(store_id=store_id, n=n))
    pauses: list[int] = []

    def after_batch(seconds: float) -> bool:
        assert seconds >= 0
        pauses.append(len(handled))
        return True

    assert dispatch_until_idle(db, registry, limit=10, after_batch=after_batch) == 25
    assert pauses == [10, 20] and handled == list(range(25))  # none after the last, partial batch


def test_a_stopping_runner_leaves_the_rest_of_a_backlog_for_later(db: Database) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    handled: list[int] = []
    registry.on("test.pinged")(lambda uow, event: handled.append(event.payload["n"]))
    with db.transaction() as uow:
        for n in range(25):
            uow.emit(Pinged(store_id=store_id, n=n))
    runner = BackgroundRunner(db, handler_registry=registry, job_registry=JobRegistry(), share=0.5)
    runner.request_stop()
    assert not runner._give_way(0.01)  # stopping: no pause, and no more batches
    assert dispatch_until_idle(db, registry, limit=10, after_batch=runner._give_way) == 10
    assert handled == list(range(10))
    with db.read() as session:
        left = session.scalars(select(EventRecord).where(EventRecord.dispatched_at.is_(None))).all()
    assert len(left) == 15


def test_a_long_backlog_lets_the_periodic_jobs_run_between_stretches_of_dispatching(db: Database) -> None:
    store_id = _store(db)
    registry = HandlerRegistry()
    registry.on("test.pinged")(lambda uow, event: None)
    with db.transaction() as uow:
        for n in range(450):
            uow.emit(Pinged(store_id=store_id, n=n))
    jobs = JobRegistry()
    runs: list[int] = []

    @jobs.every(30, name="sla")
    def sla(uow: UnitOfWork) -> int:
        runs.append(1)
        return 0

    # No time to dispatch at all: one batch (200), then the jobs, and the pass says more is waiting.
    runner = BackgroundRunner(db, handler_registry=registry, job_registry=jobs, dispatch_seconds=0)
    assert runner.run_once() == 200
    assert runs == [1] and runner._cut_short
    with db.read() as session:
        left = session.scalars(select(EventRecord).where(EventRecord.dispatched_at.is_(None))).all()
    assert len(left) == 250


def test_a_failure_in_a_pass_keeps_the_other_handlers_work_once_and_calls_the_failing_one_once(
    db: Database,
) -> None:
    """The handlers of a pass run together in one savepoint; when one fails the pass is run again one
    handler per savepoint: what the others did is kept exactly once, the failing event alone waits for
    its retry with what it emitted gone, and the failing handler is not called twice in the pass."""
    store_id = _store(db)
    registry = HandlerRegistry()
    calls: list[str] = []

    @registry.on_batch(Pinged)
    def answer_all(uow: UnitOfWork, events: list[StoredEvent]) -> None:
        calls.append("batch " + ",".join(str(event.payload["n"]) for event in events))
        for event in events:
            uow.emit(Ponged(store_id=event.store_id, n=event.payload["n"]))

    @registry.on("test.pinged")
    def picky(uow: UnitOfWork, event: StoredEvent) -> None:
        calls.append(f"picky {event.payload['n']}")
        uow.emit(Ponged(store_id=event.store_id, n=100 + event.payload["n"]))  # gone if it fails
        if event.payload["n"] == 2:
            raise RuntimeError("two is refused")

    with db.transaction() as uow:
        for n in (1, 2, 3):
            uow.emit(Pinged(store_id=store_id, n=n))
    dispatch_until_idle(db, registry)
    assert calls.count("picky 2") == 1
    assert calls.count("picky 3") == 1  # after the failure: run once, in its own savepoint
    with db.read() as session:
        pinged = {
            record.payload["n"]: record
            for record in session.scalars(select(EventRecord).where(EventRecord.event_type == "test.pinged"))
        }
        ponged = sorted(
            record.payload["n"]
            for record in session.scalars(select(EventRecord).where(EventRecord.event_type == "test.ponged"))
        )
    assert ponged == [1, 2, 3, 101, 103]
    assert pinged[2].dispatched_at is None and "two is refused" in (pinged[2].dispatch_error or "")
    assert pinged[1].dispatched_at is not None and pinged[3].dispatched_at is not None


def test_inline_a_failing_handler_loses_neither_the_callers_work_nor_the_others_nor_its_event(
    db: Database,
) -> None:
    """``dispatch_inline`` in the caller's transaction: a handler that fails leaves its event pending with
    the error (for the background runner), while the caller's own write and the other handler's work
    commit with the caller."""
    from loyaldesk.kernel.dispatcher import dispatch_inline

    store_id = _store(db)
    registry = HandlerRegistry()

    @registry.on_batch(Pinged)
    def answer_all(uow: UnitOfWork, events: list[StoredEvent]) -> None:
        for event in events:
            uow.emit(Ponged(store_id=event.store_id, n=event.payload["n"]))

    @registry.on("test.pinged")
    def refuse(uow: UnitOfWork, event: StoredEvent) -> None:
        uow.emit(Ponged(store_id=event.store_id, n=-1))  # gone with the failure
        raise RuntimeError("refused inline")

    with db.transaction() as uow:
        store = uow.session.get(Store, store_id)
        assert store is not None
        store.name = "renamed by the caller"
        uow.emit(Pinged(store_id=store_id, n=5))
        dispatch_inline(uow, registry)
    with db.read() as session:
        assert session.get(Store, store_id).name == "renamed by the caller"  # type: ignore[union-attr]
        pinged = session.scalars(select(EventRecord).where(EventRecord.event_type == "test.pinged")).one()
        assert pinged.dispatched_at is None and "refused inline" in (pinged.dispatch_error or "")
        ponged = session.scalars(select(EventRecord).where(EventRecord.event_type == "test.ponged")).all()
        assert [record.payload["n"] for record in ponged] == [5]
