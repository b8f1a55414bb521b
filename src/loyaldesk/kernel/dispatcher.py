"""Runs domain event handlers from the outbox, at least once, in event-id order within a batch.

A handler subscribes by event class (``@handlers.on(OrderPaid)``) and is called
``handler(uow, stored, event)``: ``stored`` is the committed envelope (id, store, customer, subject, time)
and ``event`` the typed payload (an ``OrderPaid`` rebuilt from the stored row), so a renamed field fails
type checking instead of silently reading ``None``. It reacts to another domain's committed event (loyalty
earns points on ``order.paid``, say) inside a unit of work that also marks the event handled, so its writes
and the "handled" mark commit together. (A handler may also subscribe by type name, ``on("test.pinged")``,
for events without a class; it is then called ``handler(uow, stored)``.)

A failing handler rolls back alone; the event is retried later with backoff, and its error is kept on the
row for operators.

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
from typing import Any, TypeVar, cast

from sqlalchemy import Integer, Table, bindparam, select, update

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.events import DomainEvent, EventRecord, StoredEvent

log = logging.getLogger("loyaldesk.dispatcher")

Handler = Callable[[UnitOfWork, StoredEvent], None]
BatchHandler = Callable[[UnitOfWork, list[StoredEvent]], None]
EventT = TypeVar("EventT", bound=DomainEvent)
TypedHandler = Callable[[UnitOfWork, StoredEvent, EventT], None]

MAX_BACKOFF = timedelta(hours=1)


def typed_event(event_class: type[EventT], stored: StoredEvent) -> EventT:
    """The typed event a stored row holds (validated: a payload that no longer fits its class fails the
    handler, and is retried and reported, rather than being read as missing fields)."""
    return event_class.model_validate(
        {
            **stored.payload,
            "store_id": stored.store_id,
            "customer_id": stored.customer_id,
            "occurred_at": stored.occurred_at,
        }
    )


def _typed(event_class: type[EventT], handler: TypedHandler[EventT]) -> Handler:
    def run(uow: UnitOfWork, stored: StoredEvent) -> None:
        handler(uow, stored, typed_event(event_class, stored))

    run.__wrapped__ = handler  # type: ignore[attr-defined]
    # ``_each`` rebuilds an event once for all the handlers of its class (events are frozen).
    run.event_class = event_class  # type: ignore[attr-defined]
    run.__qualname__ = getattr(handler, "__qualname__", repr(handler))
    return run


def _event_type(event_class: type[DomainEvent] | str) -> str:
    if isinstance(event_class, str):
        return event_class
    if not event_class.event_type:
        raise TypeError(f"{event_class.__name__} has no event_type: subscribe to a concrete event class")
    return event_class.event_type


class HandlerRegistry:
    """Which handlers react to which event types. The composition root (``loyaldesk.composition``)
    registers every domain's handlers; registering the same handler again changes nothing."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._keys: dict[str, list[object]] = defaultdict(list)
        self._batch_handlers: dict[BatchHandler, frozenset[str]] = {}

    def _add(self, event_type: str, key: object, handler: Handler) -> None:
        keys = self._keys[event_type]
        if key in keys:  # the same handler registered again (a second composition): replace it
            self._handlers[event_type][keys.index(key)] = handler
        else:
            keys.append(key)
            self._handlers[event_type].append(handler)

    def on(self, *event_types: type[EventT] | str) -> Callable[[Any], Any]:
        """Decorator: ``@handlers.on(OrderPaid)`` for ``handler(uow, stored, event: OrderPaid)``; with
        several classes the handler receives whichever class the stored event is. ``@handlers.on("x.y")``
        (a type name, for events without a class) registers ``handler(uow, stored)``."""

        def register(handler: Any) -> Any:
            for event_class in event_types:
                event_type = _event_type(event_class)
                key = _handler_key(handler)
                if isinstance(event_class, str):
                    self._add(event_type, key, handler)
                else:
                    self._add(event_type, key, _typed(event_class, handler))
            return handler

        return register

    def on_batch(self, *event_types: type[DomainEvent] | str) -> Callable[[BatchHandler], BatchHandler]:
        """Decorator for a handler that takes a list of stored events of these classes at once (it loads
        what it needs in a few queries; no payload is rebuilt per event, for speed)."""

        def register(handler: BatchHandler) -> BatchHandler:
            names = frozenset(_event_type(event_class) for event_class in event_types)
            self._batch_handlers[handler] = self._batch_handlers.get(handler, frozenset()) | names
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


def _handler_key(handler: Any) -> object:
    """What identifies a handler across compositions: a bound method by its function and the class of its
    owner (an adapter configured again with other settings replaces itself), anything else by itself."""
    owner = getattr(handler, "__self__", None)
    if owner is not None:
        return (type(owner), handler.__func__)
    return handler


# The process-wide registry the composition root registers every domain's handlers into.
handlers = HandlerRegistry()


_EVENTS = cast(Table, EventRecord.__table__)
_DUE = (
    select(
        _EVENTS.c.id,
        _EVENTS.c.store_id,
        _EVENTS.c.event_type,
        _EVENTS.c.customer_id,
        _EVENTS.c.subject_type,
        _EVENTS.c.subject_id,
        _EVENTS.c.payload,
        _EVENTS.c.occurred_at,
        _EVENTS.c.chain_depth,
        _EVENTS.c.dispatch_attempts,
    )
    .where(_EVENTS.c.dispatched_at.is_(None))
    .where((_EVENTS.c.next_dispatch_at.is_(None)) | (_EVENTS.c.next_dispatch_at <= bindparam("now")))
    .order_by(_EVENTS.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)
_HANDLED = (
    update(_EVENTS)
    .where(_EVENTS.c.id.in_(bindparam("ids", expanding=True)))
    .values(dispatched_at=bindparam("now"), dispatch_error=None)
)
_FAILED = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(
        dispatch_attempts=bindparam("attempts"),
        dispatch_error=bindparam("error"),
        next_dispatch_at=bindparam("retry_at"),
    )
)


def dispatch_pending(uow: UnitOfWork, registry: HandlerRegistry, limit: int = 200) -> int:
    """Handle up to ``limit`` due, unhandled events in this unit of work. Returns how many were taken.

    The events are read and marked with Core statements built once (this runs for every order of the
    single-order lane): no ORM objects for the outbox rows. The handlers run first all together in one
    savepoint (``_all_at_once``); only when one of them fails is that rolled back and the pass run again
    one handler per savepoint (``_one_by_one``), so that the failure rolls back alone, as the module
    says: a savepoint per handler cost more than most handlers' own work on the single-order lane."""
    now = uow.now()
    if uow.session.autoflush:  # as the ORM query this replaced did: handlers see the caller's writes
        uow.session.flush()
    statement = _DUE_LOCKED if uow.is_postgresql else _DUE
    rows = uow.session.execute(statement, {"now": now, "limit": limit}).all()
    handled: list[int] = []
    events = {
        row.id: StoredEvent(
            id=row.id,
            store_id=row.store_id,
            event_type=row.event_type,
            customer_id=row.customer_id,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            payload=row.payload,
            occurred_at=row.occurred_at,
            chain_depth=row.chain_depth or 0,
        )
        for row in rows
    }
    failed_first = _all_at_once(uow, _plan(registry, rows, events))
    failures = {} if failed_first is None else _one_by_one(uow, registry, rows, events, failed_first)
    for row in rows:
        if row.id in failures:
            error = failures[row.id]
            attempts = (row.dispatch_attempts or 0) + 1
            uow.session.execute(
                _FAILED,
                {
                    "event_id": row.id,
                    "attempts": attempts,
                    "error": f"{type(error).__name__}: {error}"[:2000],
                    "retry_at": now + min(timedelta(seconds=2**attempts), MAX_BACKOFF),
                },
            )
            log.warning("handling event %s (%s) failed: %s", row.id, row.event_type, error)
        else:
            handled.append(row.id)
    uow.session.flush()
    for start in range(0, len(handled), 500):  # one statement for many rows, not one UPDATE each
        uow.session.execute(
            _HANDLED,
            {"ids": handled[start : start + 500], "now": now},
            execution_options={"synchronize_session": False},
        )
    return len(rows)


def dispatch_inline(uow: UnitOfWork, registry: HandlerRegistry = handlers, passes: int = 3) -> int:
    """Handle the events this unit of work emitted, in its own transaction, before it commits: what they
    cause (an order's points) then shares the durable commit of what caused them (the order), instead
    of one commit for the order and one or two more for the dispatcher's passes. Up to ``passes``
    rounds, for the events the handlers themselves emit (``loyalty.points_changed`` for the journeys);
    whatever is left is the background runner's, as usual. Returns how many events were taken.

    Each pass is ``dispatch_pending`` of as many events as the unit holds (at least 200): oldest pending
    events first (another unit's waiting events may be taken too), each handler in its savepoint, a
    failure recorded on its event for a retry. Should the pass itself fail, it is rolled back alone and
    the events stay pending for the background runner: the caller's own work is never lost to a handler.

    Call it last in a unit of work (nothing after it may raise): the events it stores early include
    those of the units before it in a write-queue group, and they are kept with the transaction, not with
    the unit's savepoint.
    """
    taken = 0
    for _ in range(passes):
        if not uow.events:
            break
        # every event this unit emitted in one pass (a batch of orders), at least the usual 200
        limit = max(200, len(uow.events))
        uow.store_events_early()
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            handled = dispatch_pending(uow, registry, limit)
            savepoint.commit()
        except Exception as error:  # the runner retries these events; never fail the caller for them
            savepoint.rollback()
            uow.discard_since(mark)
            log.warning("inline dispatch failed, left to the background runner: %s", error)
            break
        taken += handled
        if not handled:
            break
    return taken


_Unit = tuple[Callable[[UnitOfWork, Any], None], Any]


def _plan(registry: HandlerRegistry, rows: Any, events: dict[int, StoredEvent]) -> list[_Unit]:
    """What a pass runs when nothing fails, in order: each batch handler with its events, then each
    event's single handlers (``_each``), in event-id order."""
    plan: list[_Unit] = []
    for handler, types in registry.batch_handlers():
        batch = [event for event in events.values() if event.event_type in types]
        if batch:
            plan.append((handler, batch))
    for row in rows:
        single = registry.for_type(row.event_type)
        if single:
            plan.append((_each, (single, events[row.id])))
    return plan


def _unit_key(unit: _Unit) -> tuple[object, ...]:
    """What identifies a unit of a pass: a batch handler by itself and its events, ``_each`` by its event."""
    handler, argument = unit
    if isinstance(argument, list):
        return (handler, tuple(event.id for event in argument))
    return (handler, argument[1].id)


def _all_at_once(uow: UnitOfWork, plan: list[_Unit]) -> tuple[tuple[object, ...], Exception] | None:
    """Run the units in one savepoint, each flushed before the next (so that a failure at flush is its
    own, as a savepoint's release would make it). None when all succeeded; otherwise everything is rolled
    back (with the events and callbacks they emitted) and the first unit that failed is returned, with
    its error, for ``_one_by_one``."""
    if not plan:
        return None
    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    for unit in plan:
        handler, argument = unit
        if isinstance(argument, list):  # a batch: its events' deepest chain, plus one (as ``_run``)
            uow.chain_depth = max(event.chain_depth for event in argument) + 1
        try:
            handler(uow, argument)
            uow.session.flush()
        except Exception as error:
            savepoint.rollback()
            uow.discard_since(mark)
            return _unit_key(unit), error
        finally:
            uow.chain_depth = 0
    savepoint.commit()
    return None


def _one_by_one(
    uow: UnitOfWork,
    registry: HandlerRegistry,
    rows: Any,
    events: dict[int, StoredEvent],
    failed_first: tuple[tuple[object, ...], Exception],
) -> dict[int, Exception]:
    """The pass again, each handler in its own savepoint (``_run``): a failure rolls back alone and a
    failing batch is run again one event at a time to find the events that fail. The unit that failed
    in ``_all_at_once`` is not called a second time: its error stands (it ran on the same state, what
    the units before it wrote). Returns the events that failed, with why."""
    known_key, known_error = failed_first

    def run(handler: Callable[[UnitOfWork, Any], None], argument: Any) -> Exception | None:
        if _unit_key((handler, argument)) == known_key:
            return known_error
        return _run(uow, handler, argument)

    failures: dict[int, Exception] = {}
    for handler, types in registry.batch_handlers():
        batch = [event for event in events.values() if event.event_type in types]
        if batch and run(handler, batch) is not None:
            for event in batch:  # find the events that fail alone
                error = _run(uow, handler, [event])
                if error is not None:
                    failures[event.id] = error
    for row in rows:
        single = registry.for_type(row.event_type)
        if single and row.id not in failures:
            error = run(_each, (single, events[row.id]))
            if error is not None:
                failures[row.id] = error
    return failures


def _each(uow: UnitOfWork, work: tuple[list[Handler], StoredEvent]) -> None:
    single, event = work
    uow.chain_depth = event.chain_depth + 1  # what the handlers emit was caused by this event
    typed: dict[type[DomainEvent], DomainEvent] = {}
    try:
        for handler in single:
            event_class = getattr(handler, "event_class", None)
            if event_class is None:
                handler(uow, event)
                continue
            value = typed.get(event_class)
            if value is None:
                value = typed[event_class] = typed_event(event_class, event)
            handler.__wrapped__(uow, event, value)  # type: ignore[attr-defined]
    finally:
        uow.chain_depth = 0


def _run(uow: UnitOfWork, handler: Callable[[UnitOfWork, Any], None], argument: Any) -> Exception | None:
    """Run ``handler(uow, argument)`` in a savepoint; on failure roll it (and the events it emitted) back
    and return why."""
    mark = uow.mark()
    savepoint = uow.session.begin_nested()
    if isinstance(argument, list) and argument:  # a batch: its events' deepest chain, plus one
        uow.chain_depth = max(event.chain_depth for event in argument) + 1
    try:
        handler(uow, argument)
        savepoint.commit()
    except Exception as error:
        savepoint.rollback()
        uow.discard_since(mark)
        return error
    finally:
        uow.chain_depth = 0
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
