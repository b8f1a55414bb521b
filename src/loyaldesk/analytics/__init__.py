"""Retention analytics: support, loyalty and retention metrics, cohorts, RFM segments, customer lifetime
value (BG/NBD purchase and dropout model, Gamma-Gamma spend model), churn risk and the impact of support
and loyalty on what customers buy.

Other packages import analytics through this module only. By role: pure figures with no I/O (``metrics``,
``cohorts``, ``segments``, ``clv``, ``churn``, ``impact``, ``sentiment``, ``rfm_summary``), the reports
the console shows (``reports``), reads (``queries``), the dashboards' cache (``dashboards``,
``snapshots``) and its refresh job (``jobs``), each customer's cached scores (``scores``:
``customer_scores`` is journeys' ``ScoresProvider``); the vocabularies in ``vocab``.
"""

from loyaldesk.analytics import dashboards, queries
from loyaldesk.analytics.community_participation import (
    CommunityParticipationReport,
    ParticipationBar,
    community_participation,
)
from loyaldesk.analytics.dashboards import (
    DASHBOARDS,
    DEFAULT_PERIOD_DAYS,
    Cached,
    DataEnd,
    Filters,
    open_dashboard,
    period,
    refresh_store,
)
from loyaldesk.analytics.reports import impact as impact_report
from loyaldesk.analytics.reports import retention as retention_report
from loyaldesk.analytics.scores import customer_scores
from loyaldesk.analytics.segment_advice import segment_advice
from loyaldesk.analytics.segment_listing import segment_csv_rows, segment_members
from loyaldesk.analytics.segments import CSV_HEADER as SEGMENTS_CSV_HEADER
from loyaldesk.analytics.segments import segment_rows
from loyaldesk.analytics.vocab import (
    COHORT_MEASURE_LABELS,
    LOYALTY_GROUP_LABELS,
    RETENTION_GROUP_LABELS,
    SEGMENT_LABELS,
    SUPPORT_GROUP_LABELS,
    CohortMeasure,
    LoyaltyGroup,
    MemberMix,
    RetentionGroup,
    Segment,
    SupportGroup,
)

__all__ = [
    "COHORT_MEASURE_LABELS",
    "DASHBOARDS",
    "DEFAULT_PERIOD_DAYS",
    "LOYALTY_GROUP_LABELS",
    "RETENTION_GROUP_LABELS",
    "SEGMENTS_CSV_HEADER",
    "SEGMENT_LABELS",
    "SUPPORT_GROUP_LABELS",
    "Cached",
    "CohortMeasure",
    "CommunityParticipationReport",
    "DataEnd",
    "Filters",
    "LoyaltyGroup",
    "MemberMix",
    "ParticipationBar",
    "RetentionGroup",
    "Segment",
    "SupportGroup",
    "community_participation",
    "customer_scores",
    "dashboards",
    "impact_report",
    "open_dashboard",
    "period",
    "queries",
    "refresh_store",
    "retention_report",
    "segment_advice",
    "segment_csv_rows",
    "segment_members",
    "segment_rows",
]
