"""Periodic analytics work: keep each store's default dashboards computed ahead of time, and drop figures
nobody has refreshed for a week."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from loyaldesk.analytics import dashboards, snapshots
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.jobs import jobs
from loyaldesk.stores import Store

log = logging.getLogger("loyaldesk.analytics")
KEEP_FOR = timedelta(days=7)


_refreshing = threading.Lock()


@jobs.every_outside(900, name="analytics.refresh_dashboards")
def start_refresh(database: Database) -> int:
    """Run :func:`refresh_dashboards` in a thread of its own (one at a time per process), so that a long
    refresh of a large store never holds up event dispatch and the other jobs of the background runner.
    Returns 1 when a refresh started, 0 when one is still running."""
    if not _refreshing.acquire(blocking=False):
        return 0

    def run() -> None:
        try:
            refresh_dashboards(database)
        except Exception:
            log.exception("analytics refresh failed")
        finally:
            _refreshing.release()

    threading.Thread(target=run, name="loyaldesk-analytics-refresh", daemon=True).start()
    return 1


def refresh_lock_free() -> bool:
    """Whether no refresh thread is running in this process."""
    return not _refreshing.locked()


def refresh_dashboards(database: Database) -> int:
    """Recompute the default view of every dashboard whose figures are older than
    ``dashboards.STALE_AFTER``, store by store (reads in a read session, writes one short transaction per
    dashboard). Returns the number of dashboards recomputed."""
    now = database.clock.now()
    with database.read() as session:
        store_ids = list(session.scalars(select(Store.id).order_by(Store.id)))
    done = 0
    for store_id in store_ids:
        try:
            done += len(dashboards.refresh_store(database, store_id, now, only_stale=True))
        except Exception:  # one store's bad data must not stop the others
            log.exception("analytics refresh failed for store %s", store_id)
    with database.transaction() as uow:
        done += snapshots.prune(uow.session, now - KEEP_FOR)
    return done
