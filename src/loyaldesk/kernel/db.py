"""Database access: engines, read sessions and the unit of work every state change runs in.

Contract
--------
* ``database.transaction()`` opens a unit of work: one database transaction. On a clean exit the
  events it emitted are inserted into ``domain_events`` and everything is committed durably; then the
  commit listeners receive the stored events. On an exception nothing is written.
* ``database.write(fn, *args)`` runs ``fn(uow, *args)`` in a unit of work and returns its result. When
  the write queue runs (the server starts it), units that arrive together share one durable commit.
* ``database.read()`` gives a session for queries. It never writes.
* ``database.shared_transaction()`` opens one transaction that every ``write``, ``read``, ``transaction``
  and ``scratch`` of this database joins while it is ``joined`` (a context variable, so a request's
  worker threads see it too): each write in a savepoint of its own, as the write queue does, everything
  committed (or rolled back) together by the owner. The ``Idempotency-Key`` middleware runs a request so,
  storing the response in the same transaction as its effect (see ``kernel/idempotency.py``).

SQLite runs in WAL mode with foreign keys on and ``synchronous=FULL``: every acknowledged write
survives a power cut. Writers open their transaction with ``BEGIN IMMEDIATE`` so that two writers never
deadlock on a lock upgrade; readers use a deferred ``BEGIN`` and are never blocked by writers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import anyio
import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.clock import Clock, SystemClock
from loyaldesk.kernel.events import DomainEvent, EventRecord, StoredEvent
from loyaldesk.kernel.ids import reserve_ids

if TYPE_CHECKING:
    from loyaldesk.kernel.write_queue import WriteQueue

P = ParamSpec("P")
R = TypeVar("R")

CommitListener = Callable[[Sequence[StoredEvent]], None]


@dataclass
class UnitOfWork:
    """One transaction: the session to change tables with, the clock, and the events to publish.

    Actions receive a ``UnitOfWork`` as their first argument and must not commit or roll back
    themselves; the caller owns the transaction.
    """

    session: Session
    clock: Clock
    backend: str
    events: list[DomainEvent] = field(default_factory=list)
    after_commit_callbacks: list[Callable[[], None]] = field(default_factory=list)
    # Whether an event type has handlers to run; those without are stored as already dispatched.
    dispatch_needed: Callable[[str], bool] = field(default=lambda _event_type: True)
    # Publishes a message on a broker channel (the runtime's broker; nothing without one).
    announcer: Callable[[str, str], None] = field(default=lambda _channel, _message: None)
    # How many reactions led to what this unit of work does (0: a person or a system acted; a handler of
    # an event at depth d works at d + 1). Every event emitted carries it, so that rules reacting to each
    # other in a loop can be stopped at a limit (journeys) instead of running forever.
    chain_depth: int = 0
    event_depths: list[int] = field(default_factory=list)
    # Events stored before the commit (``dispatcher.dispatch_inline`` stores them to handle them in this
    # same transaction); ``store_events`` returns them with the rest, to be published on commit.
    stored_early: list[StoredEvent] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock.now()

    def emit(self, domain_event: DomainEvent) -> None:
        """Record an event; it is stored with this transaction and published after it commits."""
        self.events.append(domain_event)
        self.event_depths.append(self.chain_depth)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction is durably committed (never if it rolls back)."""
        self.after_commit_callbacks.append(callback)

    def announce(self, channel: str, message: str) -> None:
        """Publish ``message`` on the broker ``channel`` once this transaction commits (never if it rolls
        back). For realtime nudges that are not domain facts and belong to no store (a console session
        ended), so they are not stored as events; a lost one is made up for by whoever listens re-checking."""
        announcer = self.announcer
        self.after_commit(lambda: announcer(channel, message))

    def mark(self) -> tuple[int, int]:
        """A point to roll the emitted events and callbacks back to (with a savepoint)."""
        return len(self.events), len(self.after_commit_callbacks)

    def discard_since(self, mark: tuple[int, int]) -> None:
        """Forget events and callbacks added after ``mark``: their savepoint was rolled back."""
        del self.events[mark[0] :]
        del self.event_depths[mark[0] :]
        del self.after_commit_callbacks[mark[1] :]

    @property
    def is_postgresql(self) -> bool:
        return self.backend == "postgresql"

    def store_events(self) -> list[StoredEvent]:
        """Insert the emitted events into ``domain_events``; called just before commit, and returns every
        event this unit of work stored (also those stored earlier, for ``dispatch_inline``).

        Events that no handler reacts to are stored already marked dispatched, so that the dispatcher
        never has to touch them.
        """
        if not self.events:
            return list(self.stored_early)
        now = self.now()
        ids = reserve_ids(self, EventRecord.__table__, len(self.events))
        stored = []
        rows = []
        depths = self.event_depths + [self.chain_depth] * (len(self.events) - len(self.event_depths))
        for event_id, emitted, depth in zip(ids, self.events, depths, strict=True):
            occurred_at = emitted.occurred_at or now
            payload = emitted.payload()
            needs_dispatch = self.dispatch_needed(emitted.event_type)
            stored.append(
                StoredEvent(
                    id=event_id,
                    store_id=emitted.store_id,
                    event_type=emitted.event_type,
                    customer_id=emitted.customer_id,
                    subject_type=emitted.subject_type,
                    subject_id=emitted.subject_id(),
                    payload=payload,
                    occurred_at=occurred_at,
                    needs_dispatch=needs_dispatch,
                    chain_depth=depth,
                )
            )
            rows.append(
                {
                    "id": event_id,
                    "store_id": emitted.store_id,
                    "event_type": emitted.event_type,
                    "customer_id": emitted.customer_id,
                    "subject_type": emitted.subject_type,
                    "subject_id": stored[-1].subject_id,
                    "payload": payload,
                    "occurred_at": occurred_at,
                    "dispatched_at": None if needs_dispatch else now,
                    "dispatch_attempts": 0,
                    "chain_depth": depth,
                }
            )
        bulk_insert(self, EventRecord.__table__, rows)
        self.events.clear()
        self.event_depths.clear()
        return self.stored_early + stored

    def store_events_early(self) -> None:
        """Store the events emitted so far now, before the commit, so that this transaction can handle
        them (``dispatcher.dispatch_inline``); they are still published once it commits."""
        self.stored_early = self.store_events()


class SharedTransaction:
    """One transaction that the writes of a request join (see the module contract). Used from one
    request at a time, possibly from several of its threads in turn: a lock keeps their turns apart."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.session = database.write_session()
        self.uow = database.new_unit_of_work(self.session)
        self._lock = threading.RLock()
        self.closed = False

    def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """``fn(uow, *args, **kwargs)`` in a savepoint: on an exception only its own changes and events
        are undone, and the exception goes to the caller."""
        with self.unit() as uow:
            return fn(uow, *args, **kwargs)

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        with self._lock:
            mark = self.uow.mark()
            savepoint = self.session.begin_nested()
            try:
                yield self.uow
                savepoint.commit()
            except BaseException:
                savepoint.rollback()
                self.uow.discard_since(mark)
                raise

    @contextmanager
    def scratch(self) -> Iterator[UnitOfWork]:
        """A unit that is always rolled back (dry runs); its events are never stored."""
        with self._lock:
            savepoint = self.session.begin_nested()
            try:
                yield self.database.new_unit_of_work(self.session)
            finally:
                savepoint.rollback()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._lock:
            yield self.session

    def commit(self) -> None:
        """Commit durably, then hand the events to the commit listeners (as ``transaction()`` does)."""
        with self._lock:
            try:
                stored = self.uow.store_events()
                self.session.commit()
            except BaseException:
                self.rollback()
                raise
            self._close()
        self.database.notify_committed(stored, self.uow.after_commit_callbacks)

    def rollback(self) -> None:
        with self._lock:
            if not self.closed:
                self.session.rollback()
                self._close()

    def _close(self) -> None:
        self.closed = True
        self.session.close()


# The shared transaction the current request's writes join, if any (see ``Database.joined``).
_shared: ContextVar[SharedTransaction | None] = ContextVar("loyaldesk_shared_transaction", default=None)


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    """Pragmas on every new connection, and our own BEGIN instead of pysqlite's implicit one."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN; pysqlite's own handling cannot do
        # BEGIN IMMEDIATE or SAVEPOINT correctly.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-32000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _orjson_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (event payloads, tags, attributes) are encoded with orjson: several times faster than the
# standard library on the bulk-ingestion path, and stricter (no NaN).
_JSON_CODEC: dict[str, Any] = {"json_serializer": _orjson_dumps, "json_deserializer": orjson.loads}


class Database:
    """The engines of one database and the ways to read from and write to it."""

    def __init__(self, url: str, *, clock: Clock | None = None, echo: bool = False) -> None:
        self.url = url
        self.clock: Clock = clock or SystemClock()
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:"):
                raise ValueError("use a file for SQLite: WAL and several connections need one")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            connect_args = {"check_same_thread": False, "timeout": 30}
            self.engine = create_engine(
                url, echo=echo, connect_args=connect_args, pool_size=4, max_overflow=16, **_JSON_CODEC
            )
            self.read_engine = create_engine(
                url, echo=echo, connect_args=connect_args, pool_size=24, max_overflow=40, **_JSON_CODEC
            )
            _configure_sqlite(self.engine, immediate=True)
            _configure_sqlite(self.read_engine, immediate=False)
        elif self.backend == "postgresql":
            self.engine = create_engine(
                url, echo=echo, pool_size=20, max_overflow=20, pool_pre_ping=True, **_JSON_CODEC
            )
            self.read_engine = self.engine
        else:  # pragma: no cover - Settings refuses other URLs
            raise ValueError(f"unsupported database backend {self.backend!r}")
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self.dispatch_needed: Callable[[str], bool] = lambda _event_type: True
        # Where ``uow.announce`` publishes; the runtime points it at its broker while it runs.
        self.announcer: Callable[[str, str], None] = lambda _channel, _message: None
        self._commit_listeners: list[CommitListener] = []
        self._listeners_lock = threading.Lock()
        self.write_queue: WriteQueue | None = None

    # -- reading -----------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries. Closing it ends its transaction; loaded objects stay readable. Inside a
        joined shared transaction: its session, which sees what the request wrote so far."""
        shared = self._shared_here()
        if shared is not None:
            with shared.reading() as session:
                yield session
            return
        with self._read_sessions() as session:
            yield session

    # -- a transaction shared by a request ------------------------------------------------------
    def shared_transaction(self) -> SharedTransaction:
        """A new shared transaction; the caller commits or rolls it back (see the module contract)."""
        return SharedTransaction(self)

    @contextmanager
    def joined(self, shared: SharedTransaction) -> Iterator[None]:
        """Make this context's reads and writes of this database join ``shared``."""
        token = _shared.set(shared)
        try:
            yield
        finally:
            _shared.reset(token)

    def _shared_here(self) -> SharedTransaction | None:
        shared = _shared.get()
        return shared if shared is not None and shared.database is self and not shared.closed else None

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work committed on a clean exit (see the module contract)."""
        shared = self._shared_here()
        if shared is not None:
            with shared.unit() as joined:
                yield joined
            return
        with self._write_sessions() as session:
            uow = self.new_unit_of_work(session)
            try:
                yield uow
                stored = uow.store_events()
                session.commit()
            except BaseException:
                session.rollback()
                raise
        self.notify_committed(stored, uow.after_commit_callbacks)

    @contextmanager
    def scratch(self) -> Iterator[UnitOfWork]:
        """A unit of work that is always rolled back, for dry runs that reuse the write path's code and
        must keep nothing (its events are never stored)."""
        shared = self._shared_here()
        if shared is not None:
            with shared.scratch() as uow:
                yield uow
            return
        with self._read_sessions() as session:
            try:
                yield self.new_unit_of_work(session)
            finally:
                session.rollback()

    def new_unit_of_work(self, session: Session) -> UnitOfWork:
        return UnitOfWork(
            session=session,
            clock=self.clock,
            backend=self.backend,
            dispatch_needed=self.dispatch_needed,
            announcer=self.announcer,
        )

    def write_session(self) -> Session:
        """A bare session on the write engine, for the write queue's grouped transactions."""
        return self._write_sessions()

    def write(self, fn: Callable[Concatenate[UnitOfWork, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn(uow, *args, **kwargs)`` in a unit of work and return its result.

        Goes through the write queue when it runs (grouped durable commits), else a transaction of its own;
        inside a joined shared transaction, a savepoint of that one.
        """
        shared = self._shared_here()
        if shared is not None:
            return shared.run(fn, *args, **kwargs)
        queue = self.write_queue
        if queue is not None and queue.running and not queue.is_writer_thread():
            return queue.submit(fn, *args, **kwargs).result()
        with self.transaction() as uow:
            return fn(uow, *args, **kwargs)

    def write_coalesced(
        self, key: Hashable, fn: Callable[..., list[R]], *args: Any, item: Any, **kwargs: Any
    ) -> R:
        """Run ``fn(uow, *args, [item], **kwargs)`` and return its one result; with the write queue running,
        merged with other waiting items of the same ``key`` into one call (see ``write_queue``)."""
        shared = self._shared_here()
        if shared is not None:
            [result] = shared.run(fn, *args, [item], **kwargs)
            return result
        queue = self.write_queue
        if queue is not None and queue.running and not queue.is_writer_thread():
            return queue.submit_coalesced(key, fn, *args, item=item, **kwargs).result()  # type: ignore[no-any-return]
        with self.transaction() as uow:
            [result] = fn(uow, *args, [item], **kwargs)
            return result

    async def write_async(
        self, fn: Callable[Concatenate[UnitOfWork, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """``write`` for the event loop: awaits the write queue without holding a thread."""
        shared = self._shared_here()
        if shared is not None:
            return await anyio.to_thread.run_sync(lambda: shared.run(fn, *args, **kwargs))
        queue = self.write_queue
        if queue is not None and queue.running:
            return await asyncio.wrap_future(queue.submit(fn, *args, **kwargs))  # type: ignore[no-any-return]
        return await anyio.to_thread.run_sync(lambda: self.write(fn, *args, **kwargs))

    async def write_coalesced_async(
        self, key: Hashable, fn: Callable[..., list[R]], *args: Any, item: Any, **kwargs: Any
    ) -> R:
        """``write_coalesced`` for the event loop."""
        shared = self._shared_here()
        if shared is not None:
            results = await anyio.to_thread.run_sync(lambda: shared.run(fn, *args, [item], **kwargs))
            return results[0]  # type: ignore[no-any-return]
        queue = self.write_queue
        if queue is not None and queue.running:
            future = queue.submit_coalesced(key, fn, *args, item=item, **kwargs)
            return await asyncio.wrap_future(future)  # type: ignore[no-any-return]
        return await anyio.to_thread.run_sync(
            lambda: self.write_coalesced(key, fn, *args, item=item, **kwargs)
        )

    # -- after commit ------------------------------------------------------------------------
    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(stored_events)`` after each commit that stored events."""
        with self._listeners_lock:
            self._commit_listeners.append(listener)

    def remove_commit_listener(self, listener: CommitListener) -> None:
        with self._listeners_lock:
            if listener in self._commit_listeners:
                self._commit_listeners.remove(listener)

    def notify_committed(
        self, stored: Sequence[StoredEvent], callbacks: Sequence[Callable[[], None]] = ()
    ) -> None:
        """Hand committed events to listeners and run after-commit callbacks. Never raises."""
        for callback in callbacks:
            try:
                callback()
            except Exception:
                _log_listener_failure(callback)
        if not stored:
            return
        with self._listeners_lock:
            listeners = list(self._commit_listeners)
        for listener in listeners:
            try:
                listener(stored)
            except Exception:
                _log_listener_failure(listener)

    def dispose(self) -> None:
        if self.write_queue is not None:
            self.write_queue.stop()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _log_listener_failure(listener: object) -> None:
    import logging

    logging.getLogger("loyaldesk.db").exception("after-commit listener %r failed", listener)
