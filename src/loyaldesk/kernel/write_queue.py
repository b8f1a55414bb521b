"""Group commit: units of work that arrive together share one durable commit.

A durable commit costs a disk flush; on SQLite there is one writer at a time anyway. So one writer
thread takes every unit waiting in the queue, runs each inside its own SAVEPOINT in a single
transaction, commits once, and only then resolves each caller's future. A unit that raises is rolled
back to its savepoint alone (its events discarded) and its caller gets the exception; the others commit.
Nothing waits on a timer: under light load a unit commits alone at once, under heavy load the units
queued during one flush share the next.

If the grouped commit itself fails (a deadlock with another process on PostgreSQL, say), each unit is
retried in a transaction of its own, so one unit's trouble never fails its neighbours.

Coalescing goes one step further for bulk-capable actions: units submitted with ``submit_coalesced``
and the same key are merged into one call ``fn(uow, *args, items)`` over all their items (one order each,
say), so that a hundred single-order requests cost one set of bulk statements. Such an action must
return one result per item, in order, and report per-item failures in its results rather than raise; if
the merged call raises anyway, each unit is run alone to find whose item it was.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError

from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.events import StoredEvent

log = logging.getLogger("loyaldesk.write_queue")

_STOP = object()


@dataclass
class _Unit:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)
    result: Any = None
    error: BaseException | None = None
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    # Set for coalescible units: units with equal keys merge into one call over their items.
    coalesce_key: Hashable | None = None
    item: Any = None


class WriteQueue:
    """The single writer thread of a process. Start it once; ``Database.write`` then uses it."""

    def __init__(self, database: Database, *, max_units_per_commit: int = 512) -> None:
        self.database = database
        self.max_units_per_commit = max_units_per_commit
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.running = False
        self.commits = 0
        self.units = 0

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._thread = threading.Thread(target=self._run, name="loyaldesk-writer", daemon=True)
        self._thread.start()
        self.database.write_queue = self

    def stop(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        if not self.running:
            return
        self.running = False
        self._queue.put(_STOP)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self.database.write_queue is self:
            self.database.write_queue = None

    def is_writer_thread(self) -> bool:
        return self._thread is threading.current_thread()

    def submit_coalesced(
        self, key: Hashable, fn: Callable[..., list[Any]], *args: Any, item: Any, **kwargs: Any
    ) -> Future[Any]:
        """Queue ``item`` for ``fn(uow, *args, [items...], **kwargs)``, merged with the items of other
        units waiting with the same ``key``; the future resolves to this item's result."""
        unit = _Unit(fn, args, kwargs, coalesce_key=(key, fn), item=item)
        if not self.running:
            unit.future.set_exception(RuntimeError("the write queue is stopped"))
            return unit.future
        self._queue.put(unit)
        return unit.future

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue ``fn(uow, *args, **kwargs)``; the future resolves after its durable commit."""
        unit = _Unit(fn, args, kwargs)
        if not self.running:
            unit.future.set_exception(RuntimeError("the write queue is stopped"))
            return unit.future
        self._queue.put(unit)
        return unit.future

    # -- the writer thread -------------------------------------------------------------------
    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Unit] = [first]
            while len(batch) < self.max_units_per_commit:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                batch.append(nxt)
            self._commit_group(batch)

    def _commit_group(self, batch: list[_Unit]) -> None:
        try:
            stored = self._run_grouped(batch)
        except DBAPIError as error:
            if len(batch) == 1:
                self._resolve_failed(batch[0], error)
                return
            log.warning("grouped commit of %d units failed (%s); retrying one by one", len(batch), error)
            for unit in batch:
                unit.error = None
                self._commit_group([unit])
            return
        except BaseException as error:
            for unit in batch:
                self._resolve_failed(unit, error)
            return
        self.commits += 1
        self.units += len(batch)
        callbacks = [cb for unit in batch if unit.error is None for cb in unit.callbacks]
        self.database.notify_committed(stored, callbacks)
        for unit in batch:
            if unit.future.done():
                continue  # the caller gave up waiting (its task was cancelled); the work is committed
            if unit.error is not None:
                unit.future.set_exception(unit.error)
            else:
                unit.future.set_result(unit.result)

    def _run_grouped(self, batch: list[_Unit]) -> list[StoredEvent]:
        with self.database.write_session() as session:
            uow = self.database.new_unit_of_work(session)
            try:
                for group in _coalesced_groups(batch):
                    if len(group) == 1:
                        self._run_unit_in_savepoint(uow, group[0])
                    else:
                        self._run_group_in_savepoint(uow, group)
                stored = uow.store_events()
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return stored

    @staticmethod
    def _run_unit_in_savepoint(uow: UnitOfWork, unit: _Unit) -> None:
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            if unit.coalesce_key is None:
                unit.result = unit.fn(uow, *unit.args, **unit.kwargs)
            else:
                [unit.result] = unit.fn(uow, *unit.args, [unit.item], **unit.kwargs)
            savepoint.commit()
        except DBAPIError as error:
            savepoint.rollback()
            if _is_connection_level(error):
                raise
            unit.error = error
        except Exception as error:
            savepoint.rollback()
            unit.error = error
        if unit.error is not None:
            uow.discard_since(mark)
        else:
            unit.callbacks = uow.after_commit_callbacks[mark[1] :]

    def _run_group_in_savepoint(self, uow: UnitOfWork, group: list[_Unit]) -> None:
        """One call over the items of all units in ``group``; on failure, each unit alone."""
        first = group[0]
        mark = uow.mark()
        savepoint = uow.session.begin_nested()
        try:
            results = first.fn(uow, *first.args, [unit.item for unit in group], **first.kwargs)
            if len(results) != len(group):
                raise RuntimeError(
                    f"{first.fn.__name__} returned {len(results)} results for {len(group)} items"
                )
            savepoint.commit()
        except DBAPIError as error:
            savepoint.rollback()
            uow.discard_since(mark)
            if _is_connection_level(error):
                raise
            results = None
        except Exception:
            savepoint.rollback()
            uow.discard_since(mark)
            results = None
        if results is None:
            for unit in group:
                self._run_unit_in_savepoint(uow, unit)
            return
        callbacks = uow.after_commit_callbacks[mark[1] :]
        for unit, result in zip(group, results, strict=True):
            unit.result = result
        first.callbacks = callbacks

    @staticmethod
    def _resolve_failed(unit: _Unit, error: BaseException) -> None:
        if not unit.future.done():
            unit.future.set_exception(error)


def _is_connection_level(error: DBAPIError) -> bool:
    """Errors that poison the whole transaction, not just one unit's savepoint."""
    return bool(error.connection_invalidated) or "deadlock" in str(error).lower()


def _coalesced_groups(batch: list[_Unit]) -> list[list[_Unit]]:
    """The batch as groups to run in order: coalescible units with one key together, others alone.

    Merging keeps the first unit's place; units in between never depend on a later merged unit because
    each caller waits for its own unit only.
    """
    groups: list[list[_Unit]] = []
    by_key: dict[Hashable, list[_Unit]] = {}
    for unit in batch:
        if unit.coalesce_key is None:
            groups.append([unit])
            continue
        group = by_key.get(unit.coalesce_key)
        if group is None:
            group = by_key[unit.coalesce_key] = [unit]
            groups.append(group)
        else:
            group.append(unit)
    return groups
