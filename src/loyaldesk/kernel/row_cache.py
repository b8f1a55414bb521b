"""A per-process cache of facts read from a few tables, kept a few seconds and forgotten at once when this
process changes one of those tables.

For reads that every message or order repeats and that change a few times a year (a store's desk
settings, whether it has an SLA policy, which store an address is for). The contract:
- an entry is kept for ``seconds``; a change made by another process is seen within that time, so use
  it only where a few seconds' delay is acceptable (routing, priorities), never for money;
- any insert, update or delete of a watched model's row in this process forgets every entry at once, at
  its flush and again at its commit (a read between the two cannot keep the old answer);
- a session that has changed a watched model never stores what it reads: its transaction's view is not
  committed, so not for others to see.
Keys are per database (the session's engine), so two databases in one process (tests) never mix.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

Value = TypeVar("Value")


class RowCache(Generic[Value]):
    """Facts per (database, key), forgotten when a row of ``models`` changes (see the module)."""

    def __init__(self, name: str, models: Iterable[type], *, seconds: float = 5.0, most: int = 10_000):
        self.seconds = seconds
        self.most = most
        self._entries: dict[tuple[object, Hashable], tuple[float, Value]] = {}
        self._lock = threading.Lock()
        self._changed_flag = f"loyaldesk.row_cache.{name}"
        for model in models:
            for change in ("after_insert", "after_update", "after_delete"):
                event.listen(model, change, self._row_changed)
        event.listen(Session, "after_commit", self._after_commit)

    def forget(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()

    def get(self, session: Session, key: Hashable) -> Value | None:
        """The fresh entry for ``key`` in ``session``'s database, or None."""
        entry = self._entries.get((_database(session), key))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def get_for_engine(self, engine: object, key: Hashable) -> Value | None:
        """As ``get`` without a session (no I/O: for an event loop holding the engine)."""
        entry = self._entries.get((engine, key))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def put(self, session: Session, key: Hashable, value: Value) -> None:
        """Keep ``value`` for ``key``, unless ``session`` has changed a watched model."""
        if session.info.get(self._changed_flag):
            return
        with self._lock:
            if len(self._entries) >= self.most:
                self._entries.clear()
            self._entries[(_database(session), key)] = (time.monotonic() + self.seconds, value)

    def _row_changed(self, _mapper: object, _connection: object, target: object) -> None:
        self.forget()
        session = object_session(target)
        if session is not None:
            session.info[self._changed_flag] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(self._changed_flag, False):
            self.forget()


def _database(session: Session) -> object:
    bind = session.get_bind()
    return getattr(bind, "engine", bind)
