"""Runs domain event handlers from the outbox, at least once, in event-id order within a batch.

A handler is ``handler(uow, event)``: it reacts to another domain's committed event (loyalty earns points
on ``order.paid``, say) inside a unit of work that also marks the event handled, so its writes and the
"handled" mark commit together. A failing handler rolls back alone; the event is retried later with
backoff, and its error is kept on the row for operators.

A batch handler (``@handlers.on_batch``) receives every claimed event of its types at once, so that it can
load what it needs in a few queries (ten thousand imported orders earn points in bulk). If it raises, it
is run again one event at a time, to find and hold back only the event that fails.

Handlers should reconcile from current state (load the order, compute what the points should be) rather
than trust the event's payload alone: with several worker processes two events about one order may be
handled in either order.

On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``, so several ``loyaldesk worker``
processes share the work without handling an event twice.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.events import EventRecord, StoredEvent

log = logging.getLogger("loyaldesk.dispatcher")

Handler = Callable[[UnitOfWork, StoredEvent], None]
BatchHandler = Callable[[UnitOfWork, list[StoredEvent]], None]

MAX_BACKOFF = timedelta(hours=1)


class HandlerRegistry:
    """Which handlers react to which event types. Domains register theirs at import time."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._batch_handlers: dict[BatchHandler, frozenset[str]] = {}

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@handlers.on("order.paid")``."""

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                if handler not in self._handlers[event_type]:
                    self._handlers[event_type].append(handler)
            return handler

        return register

    def on_batch(self, *event_types: str) -> Callable[[BatchHandler], BatchHandler]:
        """Decorator for a handler that takes a list of events of these types."""

        def register(handler: BatchHandler) -> BatchHandler:
            self._batch_handlers[handler] = self._batch_handlers.get(handler, frozenset()) | frozenset(
                event_types
            )
            return handler

        return register

    def for_type(self, event_type: str) -> list[Handler]:
        return list(self._handlers.get(event_type, ()))

    def batch_handlers(self) -> list[tuple[BatchHandler, frozenset[str]]]:
        return list(self._batch_handlers.items())

    def handles(self, event_type: str) -> bool:
        """Whether any handler reacts to this type (events nobody handles are stored as dispatched)."""
        return bool(self._handlers.get(event_type)) or any(
            event_type in types for types in self._batch_handlers.values()
        )


# The process-wide registry that domain ``handlers.py`` modules register into.
handlers = HandlerRegistry()


def dispatch_pending(uow: UnitOfWork, registry: HandlerRegistry, limit: int = 200) -> int:
    """Handle up to ``limit`` due, unhandled events in this unit of work. Returns how many were taken."""
    now = uow.now()
    query = (
        select(EventRecord)
        .where(EventRecord.dispatched_at.is_(None))
        .where((EventRecord.next_dispatch_at.is_(None)) | (EventRecord.next_dispatch_at <= now))
        .order_by(EventRecord.id)
        .limit(limit)
    )
    if uow.is_postgresql:
        query = query.with_for_update(skip_locked=True)
    records = uow.session.scalars(query).all()
    failures: dict[int, Exception] = {}
    handled: list[int] = []
    events = {record.id: StoredEvent.from_record(record) for record in records}
    for handler, types in registry.batch_handlers():
        batch = [events[record.id] for record in records if record.event_type in types]
        if batch and _run(uow, handler, batch) is not None:
            for event in batch:  # find the events that fail alone
                error = _run(uow, handler, [event])
                if error is not None:
                    failures[event.id] = error
    for record in records:
        single = registry.for_type(record.event_type)
        if single and record.id not in failures:
            event = events[record.id]
            error = _run(uow, _each, (single, event))
            if error is not None:
                failures[record.id] = error
        if record.id in failures:
            error = failures[record.id]
            record.dispatch_attempts += 1
            record.dispatch_error = f"{type(error).__name__}: {error}"[:2000]
            record.next_dispatch_at = now + min(timedelta(seconds=2**record.dispatch_attempts), MAX_BACKOFF)
            log.warning("handling event %s (%s) failed: %s", record.id, record.event_type, error)
        else:
            handled.append(record.id)
    uow.session.flush()
    for start in range(0, len(handled), 500):  # one statement for many rows, not one UPDATE each
        uow.session.execute(
            update(EventRecord)
            .where(EventRecord.id.in_(handled[start : start + 500]))
            .values(dispatched_at=now, dispatch_error=None)
            .execution_options(synchronize_session=False)
        )
    return len(records)


def _each(uow: UnitOfWork, work: tuple[list[Handler], StoredEvent]) -> None:
    single, event = work
    for handler in single:
        handler(uow, event)


def _run(uow: UnitOfWork, handler: Callable[[UnitOfWork, Any], None], argument: Any) -> Exception | None:
    """Run ``handler(uow, argument)`` in a savepoint; on failure roll it (and the events it emitted) back
    and return why."""
    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    try:
        handler(uow, argument)
        savepoint.commit()
    except Exception as error:
        savepoint.rollback()
        uow.discard_since(mark)
        return error
    return None


def dispatch_until_idle(
    database: Database,
    registry: HandlerRegistry = handlers,
    limit: int = 200,
    *,
    after_batch: Callable[[float], bool] | None = None,
) -> int:
    """Handle every due event, including those the handlers themselves emit. Returns the total taken.

    ``after_batch(seconds)`` is called after each full batch (more may be waiting) with the time it took,
    and says whether to go on: the server's background runner pauses there so that a long backlog never
    takes the whole process, and stops there when the process shuts down.

    Terminates: a failed event is pushed into the future (backoff), so a pass never retakes it.
    """
    total = 0
    while True:
        started = time.perf_counter()
        taken = database.write(dispatch_pending, registry, limit)
        if taken == 0:
            return total
        total += taken
        if after_batch is not None and taken >= limit and not after_batch(time.perf_counter() - started):
            return total
