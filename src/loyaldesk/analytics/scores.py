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

The rows of customers with a segment also keep the RFM figures the segments page lists, with the "as of"
date of the segments' view they come from: opening a segment of that view, or exporting it, reads only
that segment's rows in customer id order, one page at a time (:func:`segment_page`, keyset pagination on
the index by store, segment and customer), instead of decoding every customer's scores.

Writing replaces the store's rows in chunks of consecutive customer ids, one short transaction each (a
million customers would hold SQLite's one write lock for seconds in one transaction): each customer's row
is always whole, and while a refresh writes, some customers have the new scores and others still the
previous ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from loyaldesk.analytics.models import CustomerScoreRow
from loyaldesk.analytics.reports.segments import SegmentReport
from loyaldesk.analytics.reports.value import ValueReport
from loyaldesk.analytics.segments import Segment, segments
from loyaldesk.journeys import CustomerScores
from loyaldesk.kernel.bulk import bulk_insert
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.money import exponent

READ_CHUNK = 500  # customer ids per lookup (well under every backend's limit of bound parameters)
WRITE_CHUNK = 5000  # rows per transaction when a refresh writes the scores


@dataclass(frozen=True, slots=True)
class Rfm:
    """A customer's RFM figures in the segments' view: days since the last order, orders and spend in the
    year, and the three scores as digits ("545")."""

    recency_days: int
    frequency: int
    monetary_minor: int
    rfm: str

    @property
    def recency_score(self) -> int:
        return int(self.rfm[0])

    @property
    def frequency_score(self) -> int:
        return int(self.rfm[1])

    @property
    def monetary_score(self) -> int:
        return int(self.rfm[2])


@dataclass(frozen=True, slots=True)
class ScoreRow:
    customer_id: int
    segment: str | None
    churn_risk: float | None
    value: float | None
    rfm: Rfm | None = None  # with ``segment``


@dataclass(frozen=True, slots=True)
class SegmentMember:
    """One customer of a segment as the segments page lists them and exports them."""

    customer_id: int
    segment: Segment
    figures: Rfm


def score_rows(segment_report: SegmentReport, value_report: ValueReport, currency: str) -> list[ScoreRow]:
    """One row per customer in either report, by customer id: the segment and RFM figures from
    ``segment_report``, the churn risk and the predicted CLV (in ``currency`` units, not minor units) from
    ``value_report``. Pure."""
    segment_of: dict[int, tuple[str, Rfm]] = {}
    report = segment_report
    if report.scores is not None:
        digits = (
            report.scores.recency.astype(str).astype(object)
            + report.scores.frequency.astype(str).astype(object)
            + report.scores.monetary.astype(str).astype(object)
        )
        segment_of = {
            int(customer_id): (segment.value, Rfm(int(recency), int(frequency), int(monetary), rfm))
            for customer_id, segment, recency, frequency, monetary, rfm in zip(
                report.customer_ids,
                segments(report.scores),
                report.recency_days,
                report.frequency,
                report.monetary_minor,
                digits.tolist(),
                strict=True,
            )
        }
    unit = 10 ** exponent(currency)
    values = {int(value.customer_id): value for value in value_report.values}
    rows = []
    for customer_id in sorted(segment_of.keys() | values.keys()):
        value = values.get(customer_id)
        segment, rfm = segment_of.get(customer_id, (None, None))
        rows.append(
            ScoreRow(
                customer_id,
                segment,
                None if value is None else min(1.0, max(0.0, value.churn_risk)),
                None if value is None else max(value.predicted_clv_minor, 0.0) / unit,
                rfm,
            )
        )
    return rows


def save(
    database: Database,
    store_id: int,
    rows: Sequence[ScoreRow],
    computed_at: datetime,
    as_of: date | None = None,
) -> None:
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
                        "as_of": as_of,
                        "recency_days": None if row.rfm is None else row.rfm.recency_days,
                        "frequency": None if row.rfm is None else row.rfm.frequency,
                        "monetary_minor": None if row.rfm is None else row.rfm.monetary_minor,
                        "rfm": None if row.rfm is None else row.rfm.rfm,
                    }
                    for row in chunk
                ],
            )
        if chunk:
            low = chunk[-1].customer_id
    if database.backend == "postgresql":
        # Every row was just replaced: fresh statistics keep the segment pages on the segment index (with
        # none, the planner reads and sorts a whole segment for each page).
        with database.transaction() as uow:
            uow.session.execute(text(f"ANALYZE {CustomerScoreRow.__tablename__}"))


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


def segments_as_of(session: Session, store_id: int) -> date | None:
    """The "as of" date of the segments' view whose figures the store's rows hold (None: none). Read from
    the store's first row: a refresh writes in customer id order, so while it writes the first rows
    already hold the new view."""
    return session.scalar(
        select(CustomerScoreRow.as_of)
        .where(CustomerScoreRow.store_id == store_id)
        .order_by(CustomerScoreRow.customer_id)
        .limit(1)
    )


def segment_page(
    session: Session, store_id: int, as_of: date, segment: Segment, after: int | None, limit: int
) -> list[SegmentMember]:
    """Up to ``limit`` customers of ``segment`` in the segments' view as of ``as_of``, by customer id,
    from just above ``after`` (None: from the first). Reads only those rows (the segment index)."""
    query = select(
        CustomerScoreRow.customer_id,
        CustomerScoreRow.recency_days,
        CustomerScoreRow.frequency,
        CustomerScoreRow.monetary_minor,
        CustomerScoreRow.rfm,
    ).where(
        CustomerScoreRow.store_id == store_id,
        CustomerScoreRow.segment == segment.value,
        CustomerScoreRow.as_of == as_of,
    )
    if after is not None:
        query = query.where(CustomerScoreRow.customer_id > after)
    rows = session.execute(query.order_by(CustomerScoreRow.customer_id).limit(limit))
    members = []
    for customer_id, recency, frequency, monetary, rfm in rows:
        # A row with a segment always carries its RFM figures: the refresh writes them together.
        assert recency is not None and frequency is not None and monetary is not None and rfm is not None
        members.append(SegmentMember(int(customer_id), segment, Rfm(recency, frequency, monetary, rfm)))
    return members


def _chunks(rows: Sequence[ScoreRow]) -> Iterator[tuple[Sequence[ScoreRow], bool]]:
    """``rows`` in chunks of :data:`WRITE_CHUNK`, each with whether it is the last; no rows: one empty
    last chunk (which deletes every old row)."""
    if not rows:
        yield (), True
        return
    for start in range(0, len(rows), WRITE_CHUNK):
        yield rows[start : start + WRITE_CHUNK], start + WRITE_CHUNK >= len(rows)
