"""Each customer's scores (RFM segment, churn risk, expected value) kept per customer, for what reads one
customer at a time: journeys' rule conditions (``analytics.segment``, ``analytics.churn_risk``,
``analytics.value``) through ``journeys.ports.ScoresProvider``.

The scores are written by the analytics refresh (``dashboards.refresh_store``, run by the
``analytics.refresh_dashboards`` job) from the very reports the segments and value pages cache, computed
once for both: the segment is the one the segments page shows for the customer, the churn risk and value
those of the value report (``reports.value``: P(alive) raised by support and loyalty signals; the
12-month CLV, here in the store's currency units). Reading them never computes anything: one primary-key
lookup per customer (:func:`customer_scores`). A customer without a row has no score yet (no order, or
no refresh since their first one).

Writing replaces the store's rows in chunks of consecutive customer ids, one short transaction each (a
million customers would hold SQLite's one write lock for seconds in one transaction): each customer's row
is always whole, and while a refresh writes, some customers have the new scores and others still the
previous ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from loyaldesk.analytics.models import CustomerScoreRow
from loyaldesk.analytics.reports.segments import SegmentReport
from loyaldesk.analytics.reports.value import ValueReport
from loyaldesk.analytics.segments import segments
from loyaldesk.journeys import CustomerScores
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.money import exponent

READ_CHUNK = 500  # customer ids per lookup (well under every backend's limit of bound parameters)
WRITE_CHUNK = 5000  # rows per transaction when a refresh writes the scores


@dataclass(frozen=True, slots=True)
class ScoreRow:
    customer_id: int
    segment: str | None
    churn_risk: float | None
    value: float | None


def score_rows(segment_report: SegmentReport, value_report: ValueReport, currency: str) -> list[ScoreRow]:
    """One row per customer in either report, by customer id: the segment from ``segment_report``, the
    churn risk and the predicted CLV (in ``currency`` units, not minor units) from ``value_report``. Pure."""
    segment_of: dict[int, str] = {}
    if segment_report.scores is not None:
        segment_of = {
            int(customer_id): segment.value
            for customer_id, segment in zip(
                segment_report.customer_ids, segments(segment_report.scores), strict=True
            )
        }
    unit = 10 ** exponent(currency)
    values = {int(value.customer_id): value for value in value_report.values}
    rows = []
    for customer_id in sorted(segment_of.keys() | values.keys()):
        value = values.get(customer_id)
        rows.append(
            ScoreRow(
                customer_id,
                segment_of.get(customer_id),
                None if value is None else min(1.0, max(0.0, value.churn_risk)),
                None if value is None else max(value.predicted_clv_minor, 0.0) / unit,
            )
        )
    return rows


def save(database: Database, store_id: int, rows: Sequence[ScoreRow], computed_at: datetime) -> None:
    """Replace the store's scores with ``rows`` (sorted by customer id, as :func:`score_rows` makes them):
    chunk by chunk, each chunk deleting the old rows in its range of customer ids (from just above the
    previous chunk's last id) and inserting its own, so that customers no longer scored lose their row."""
    low: int | None = None  # the previous chunk's last id: this chunk's range starts above it
    for chunk, last in _chunks(rows):
        with database.transaction() as uow:
            stale = delete(CustomerScoreRow).where(CustomerScoreRow.store_id == store_id)
            if low is not None:
                stale = stale.where(CustomerScoreRow.customer_id > low)
            if not last:
                stale = stale.where(CustomerScoreRow.customer_id <= chunk[-1].customer_id)
            uow.session.execute(stale)
            bulk_insert(
                uow,
                CustomerScoreRow.__table__,
                [
                    {
                        "store_id": store_id,
                        "customer_id": row.customer_id,
                        "segment": row.segment,
                        "churn_risk": row.churn_risk,
                        "value": row.value,
                        "computed_at": computed_at,
                    }
                    for row in chunk
                ],
            )
        if chunk:
            low = chunk[-1].customer_id


def computed_at(session: Session, store_id: int) -> datetime | None:
    """When the store's scores were last written (None: never, or nobody has a score)."""
    return session.scalar(
        select(CustomerScoreRow.computed_at).where(CustomerScoreRow.store_id == store_id).limit(1)
    )


def customer_scores(session: Session, store_id: int, customer_ids: list[int]) -> dict[int, CustomerScores]:
    """The cached scores of those of ``customer_ids`` that have some (``journeys.ports.ScoresProvider``);
    customers without a row are absent. Reads the table by primary key; computes nothing."""
    unique = list(dict.fromkeys(customer_ids))
    found: dict[int, CustomerScores] = {}
    for start in range(0, len(unique), READ_CHUNK):
        rows = session.execute(
            select(
                CustomerScoreRow.customer_id,
                CustomerScoreRow.segment,
                CustomerScoreRow.churn_risk,
                CustomerScoreRow.value,
                CustomerScoreRow.computed_at,
            ).where(
                CustomerScoreRow.store_id == store_id,
                CustomerScoreRow.customer_id.in_(unique[start : start + READ_CHUNK]),
            )
        )
        for customer_id, segment, risk, value, at in rows:
            found[int(customer_id)] = CustomerScores(
                segment=segment, churn_risk=risk, value=value, extra={"computed_at": at}
            )
    return found


def _chunks(rows: Sequence[ScoreRow]) -> Iterator[tuple[Sequence[ScoreRow], bool]]:
    """``rows`` in chunks of :data:`WRITE_CHUNK`, each with whether it is the last; no rows: one empty
    last chunk (which deletes every old row)."""
    if not rows:
        yield (), True
        return
    for start in range(0, len(rows), WRITE_CHUNK):
        yield rows[start : start + WRITE_CHUNK], start + WRITE_CHUNK >= len(rows)
