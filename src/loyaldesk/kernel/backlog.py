"""How much background work waits: the events still to be handled, per store.

After a large import the dispatcher may need minutes to work through its events; meanwhile points,
timelines and service levels lag behind, and the console says so ("catching up: N events left").
Counting reads only a partial index that holds just the events still to be handled
(``ix_domain_events_undispatched_store``); the gauge keeps each store's count for a few seconds so that a
busy console does not count on every page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.kernel.db import Database
from loyaldesk.kernel.events import EventRecord

# Below this, the background is simply keeping up (a few events in flight): nothing worth saying.
CATCHING_UP_FROM = 500


def events_left(session: Session, store_id: int | None = None) -> int:
    """Events not yet handled (of one store, or of every store), whether due now or retried later."""
    query = select(func.count()).select_from(EventRecord).where(EventRecord.dispatched_at.is_(None))
    if store_id is not None:
        query = query.where(EventRecord.store_id == store_id)
    return int(session.scalar(query) or 0)


class BacklogGauge:
    """Each store's ``events_left``, counted at most once per ``ttl_seconds`` per process."""

    def __init__(
        self,
        database: Database,
        *,
        ttl_seconds: float = 5.0,
        threshold: int = CATCHING_UP_FROM,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds
        self.threshold = threshold
        self._monotonic = monotonic
        self._counted: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def events_left(self, store_id: int) -> int:
        now = self._monotonic()
        with self._lock:
            cached = self._counted.get(store_id)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        with self.database.read() as session:
            count = events_left(session, store_id)
        with self._lock:
            self._counted[store_id] = (now, count)
        return count

    def catching_up(self, store_id: int) -> int | None:
        """The store's backlog when it is large enough to tell people about, else None."""
        count = self.events_left(store_id)
        return count if count >= self.threshold else None
