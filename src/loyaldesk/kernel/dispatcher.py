"""Runs domain event handlers from the outbox, at least once, in event-id order within a batch.

A handler is ``handler(uow, event)``: it reacts to another domain's committed event (loyalty earns points
on ``order.paid``, say) inside a unit of work that also marks the event handled, so its writes and the
"handled" mark commit together. A failing handler rolls back alone; the event is retried later with
backoff, and its error is kept on the row for operators.

Handlers should reconcile from current state (load the order, compute what the points should be) rather
than trust the event's payload alone: with several worker processes two events about one order may be
handled in either order.

On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``, so several ``loyaldesk worker``
processes share the work without handling an event twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.events import EventRecord, StoredEvent

log = logging.getLogger("loyaldesk.dispatcher")

Handler = Callable[[UnitOfWork, StoredEvent], None]

MAX_BACKOFF = timedelta(hours=1)


class HandlerRegistry:
    """Which handlers react to which event types. Domains register theirs at import time."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        """Decorator: ``@handlers.on("order.paid")``."""

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                if handler not in self._handlers[event_type]:
                    self._handlers[event_type].append(handler)
            return handler

        return register

    def for_type(self, event_type: str) -> list[Handler]:
        return list(self._handlers.get(event_type, ()))


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
    for record in records:
        stored = StoredEvent.from_record(record)
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            for handler in registry.for_type(record.event_type):
                handler(uow, stored)
            savepoint.commit()
            record.dispatched_at = now
            record.dispatch_error = None
        except Exception as error:
            savepoint.rollback()
            uow.discard_since(mark)
            record.dispatch_attempts += 1
            record.dispatch_error = f"{type(error).__name__}: {error}"[:2000]
            backoff = min(timedelta(seconds=2**record.dispatch_attempts), MAX_BACKOFF)
            record.next_dispatch_at = now + backoff
            log.warning("handling event %s (%s) failed: %s", record.id, record.event_type, error)
    uow.session.flush()
    return len(records)


def dispatch_until_idle(database: Database, registry: HandlerRegistry = handlers, limit: int = 200) -> int:
    """Handle every due event, including those the handlers themselves emit. Returns the total taken.

    Terminates: a failed event is pushed into the future (backoff), so a pass never retakes it.
    """
    total = 0
    while True:
        taken = database.write(dispatch_pending, registry, limit)
        if taken == 0:
            return total
        total += taken
