"""Tables of analytics: the cached figures of each dashboard (see ``snapshots``) and each customer's
scores (see ``scores``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from loyaldesk.kernel.orm import Base, IdType, UTCDateTime


class AnalyticsSnapshot(Base):
    """One dashboard's figures for one choice of filters, as computed at ``computed_at``.

    ``report`` names the dashboard (``retention``, ``segments``, ...), ``params`` its filters in a canonical
    form (``from=2026-01-01&to=2026-03-31``); ``payload`` is the report as zlib-compressed JSON. A refresh
    replaces the row."""

    __tablename__ = "analytics_snapshots"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    report: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    compute_seconds: Mapped[float] = mapped_column(Float)
    payload: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("store_id", "report", "params"),)


class CustomerScoreRow(Base):
    """One customer's scores as of the store's last analytics refresh: the RFM ``segment`` key (None: no
    order in the segments' window), ``churn_risk`` in 0..1 and ``value`` (the predicted 12-month CLV, in
    the store's currency units) (None: the purchase model could not be fitted). With a segment, the RFM
    figures the segments page lists: ``as_of`` (the segments' "as of" date), ``recency_days``,
    ``frequency``, ``monetary_minor`` and ``rfm`` (the three scores as digits, "545"). Written in bulk by
    the refresh (``scores.save``), read by primary key, or by segment in customer id order (the index);
    never computed on a read."""

    __tablename__ = "analytics_customer_scores"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    customer_id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    segment: Mapped[str | None] = mapped_column(String(32))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    as_of: Mapped[date | None] = mapped_column(Date)
    recency_days: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int | None] = mapped_column(Integer)
    monetary_minor: Mapped[int | None] = mapped_column(BigInteger)
    rfm: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (Index("ix_analytics_customer_scores_segment", "store_id", "segment", "customer_id"),)
