"""Stored dashboard figures: load, save (replacing) and prune ``AnalyticsSnapshot`` rows.

A payload is any JSON-able value (the caller turns its report into one and back); it is stored as
zlib-compressed JSON. Saving replaces the row of the same store, report and params in one transaction, so
a reader sees the old figures or the new ones, never a mix; two processes refreshing the same figures at
once both succeed (the later row wins).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loyaldesk.analytics.models import AnalyticsSnapshot
from loyaldesk.kernel.db import Database


@dataclass(frozen=True)
class StoredFigures:
    payload: Any
    computed_at: datetime
    compute_seconds: float


def load(session: Session, store_id: int, report: str, params: str) -> StoredFigures | None:
    row = session.execute(
        select(
            AnalyticsSnapshot.payload, AnalyticsSnapshot.computed_at, AnalyticsSnapshot.compute_seconds
        ).where(
            AnalyticsSnapshot.store_id == store_id,
            AnalyticsSnapshot.report == report,
            AnalyticsSnapshot.params == params,
        )
    ).first()
    if row is None:
        return None
    payload, computed_at, seconds = row
    return StoredFigures(orjson.loads(zlib.decompress(payload)), computed_at, float(seconds))


def computed_at(session: Session, store_id: int, report: str, params: str) -> datetime | None:
    """When the figures were last computed, without reading them."""
    return session.scalar(
        select(AnalyticsSnapshot.computed_at).where(
            AnalyticsSnapshot.store_id == store_id,
            AnalyticsSnapshot.report == report,
            AnalyticsSnapshot.params == params,
        )
    )


def save(
    database: Database,
    store_id: int,
    parts: dict[str, Any],
    params: str,
    computed_at: datetime,
    compute_seconds: float,
) -> None:
    """Store each ``report name -> payload`` of ``parts`` for ``params``, replacing what was there."""
    encoded = {
        report: zlib.compress(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS), 3)
        for report, payload in parts.items()
    }
    for attempt in range(2):
        try:
            with database.transaction() as uow:
                uow.session.execute(
                    delete(AnalyticsSnapshot).where(
                        AnalyticsSnapshot.store_id == store_id,
                        AnalyticsSnapshot.report.in_(list(encoded)),
                        AnalyticsSnapshot.params == params,
                    )
                )
                uow.session.add_all(
                    AnalyticsSnapshot(
                        store_id=store_id,
                        report=report,
                        params=params,
                        computed_at=computed_at,
                        compute_seconds=compute_seconds,
                        payload=payload,
                    )
                    for report, payload in encoded.items()
                )
            return
        except IntegrityError:  # another process saved the same figures between our delete and insert
            if attempt:
                raise


def prune(session: Session, computed_before: datetime) -> int:
    """Delete figures computed before ``computed_before``; they are computed again when next opened."""
    result = session.execute(delete(AnalyticsSnapshot).where(AnalyticsSnapshot.computed_at < computed_before))
    return int(getattr(result, "rowcount", 0) or 0)
