"""The refit job (registered by the composition root as ``recommendations.refit``, outside a
transaction): each store whose last fit is older than its ``refit_hours`` and that has had new orders
since (or that was never fitted and has orders) is fitted, one store per pass, with no transaction open
while it computes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from loyaldesk.commerce import Order
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations.actions.fit import fit_store
from loyaldesk.recommendations.models import RecommendationFit, RecommendationSettings
from loyaldesk.recommendations.vocab import FitStatus

REFIT_CHECK_SECONDS = 300
DEFAULT_REFIT_HOURS = 24
STORES_PER_PASS = 1


def due_stores(database: Database) -> list[int]:
    """Stores due a fit, longest waiting first."""
    now = database.clock.now()
    with database.read() as session:
        newest_order = dict(
            session.execute(
                select(Order.store_id, func.max(Order.created_at))
                .where(Order.customer_id.is_not(None))
                .group_by(Order.store_id)
            ).all()
        )
        last_fit = dict(
            session.execute(
                select(RecommendationFit.store_id, func.max(RecommendationFit.started_at))
                .where(RecommendationFit.status != FitStatus.FAILED.value)
                .group_by(RecommendationFit.store_id)
            ).all()
        )
        last_try = dict(
            session.execute(
                select(RecommendationFit.store_id, func.max(RecommendationFit.started_at)).group_by(
                    RecommendationFit.store_id
                )
            ).all()
        )
        settings = {row.store_id: row for row in session.scalars(select(RecommendationSettings))}
    due: list[tuple[object, int]] = []
    for store_id, newest in newest_order.items():
        configured = settings.get(store_id)
        if configured is not None and not configured.enabled:
            continue
        hours = (
            configured.refit_hours
            if configured is not None and configured.refit_hours
            else DEFAULT_REFIT_HOURS
        )
        previous = last_fit.get(store_id)
        tried = last_try.get(store_id)
        # a failing store is retried after its interval too, not on every pass
        if tried is not None and now - tried < timedelta(hours=hours):
            continue
        if previous is None or newest > previous:
            due.append((previous or newest, store_id))
    return [store_id for _, store_id in sorted(due, key=lambda pair: str(pair[0]))]


def run_due_fits(database: Database, *, limit: int = STORES_PER_PASS) -> int:
    """Fit the stores that are due (at most ``limit``); returns how many were fitted."""
    done = 0
    for store_id in due_stores(database)[:limit]:
        fit_store(database, store_id)
        done += 1
    return done
