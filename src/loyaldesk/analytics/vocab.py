"""Every vocabulary of analytics, spelled once: each StrEnum with its labels beside it.

Reports, exports and the console use these enums; ``tests/analytics/test_vocab.py`` proves that the
tuples and titles the reports show are these, in this order.
"""

from __future__ import annotations

from enum import StrEnum


class Segment(StrEnum):
    """Named RFM segments; the value is the stable slug used in exports and URLs."""

    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW_CUSTOMERS = "new_customers"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANNOT_LOSE_THEM = "cannot_lose_them"
    HIBERNATING = "hibernating"
    LOST = "lost"

    @property
    def label(self) -> str:
        return SEGMENT_LABELS[self]


SEGMENT_LABELS: dict[Segment, str] = {
    Segment.CHAMPIONS: "Champions",
    Segment.LOYAL: "Loyal",
    Segment.POTENTIAL_LOYALIST: "Potential loyalist",
    Segment.NEW_CUSTOMERS: "New customers",
    Segment.PROMISING: "Promising",
    Segment.NEED_ATTENTION: "Need attention",
    Segment.ABOUT_TO_SLEEP: "About to sleep",
    Segment.AT_RISK: "At risk",
    Segment.CANNOT_LOSE_THEM: "Cannot lose them",
    Segment.HIBERNATING: "Hibernating",
    Segment.LOST: "Lost",
}


class SupportGroup(StrEnum):
    """Customers grouped by their support experience in an impact report's exposure period."""

    NO_CONTACT = "no_contact"
    CSAT_4_5 = "csat_4_5"
    CSAT_1_3 = "csat_1_3"
    RESPONSE_WITHIN_TARGET = "response_within_target"
    RESPONSE_BREACHED = "response_breached"

    @property
    def label(self) -> str:
        return SUPPORT_GROUP_LABELS[self]


SUPPORT_GROUP_LABELS: dict[SupportGroup, str] = {
    SupportGroup.NO_CONTACT: "No support contact",
    SupportGroup.CSAT_4_5: "Rated support 4-5",
    SupportGroup.CSAT_1_3: "Rated support 1-3",
    SupportGroup.RESPONSE_WITHIN_TARGET: "First response within target",
    SupportGroup.RESPONSE_BREACHED: "First response target breached",
}


class LoyaltyGroup(StrEnum):
    """Customers grouped by their membership and redemptions in an impact report's exposure period."""

    MEMBERS = "members"
    NON_MEMBERS = "non_members"
    REDEEMERS = "redeemers"
    NON_REDEEMERS = "non_redeemers"

    @property
    def label(self) -> str:
        return LOYALTY_GROUP_LABELS[self]


LOYALTY_GROUP_LABELS: dict[LoyaltyGroup, str] = {
    LoyaltyGroup.MEMBERS: "Loyalty members",
    LoyaltyGroup.NON_MEMBERS: "Not members",
    LoyaltyGroup.REDEEMERS: "Members who redeemed",
    LoyaltyGroup.NON_REDEEMERS: "Members who did not redeem",
}


class RetentionGroup(StrEnum):
    """The groups the retention report compares: everyone, loyalty members and the others."""

    EVERYONE = "everyone"
    MEMBERS = "members"
    NON_MEMBERS = "non_members"

    @property
    def label(self) -> str:
        return RETENTION_GROUP_LABELS[self]


RETENTION_GROUP_LABELS: dict[RetentionGroup, str] = {
    RetentionGroup.EVERYONE: "All customers",
    RetentionGroup.MEMBERS: "Loyalty members",
    RetentionGroup.NON_MEMBERS: "Not members",
}


class MemberMix(StrEnum):
    """Whether a retention report's customers split into members and non-members, or are all one kind."""

    MIXED = "mixed"
    ALL_MEMBERS = "all_members"
    NO_MEMBERS = "no_members"


class CohortMeasure(StrEnum):
    """What the cells of a cohort table hold: retention shares, active customers or net revenue."""

    RETENTION = "retention"
    ACTIVE = "active"
    REVENUE = "revenue"

    @property
    def label(self) -> str:
        return COHORT_MEASURE_LABELS[self]


COHORT_MEASURE_LABELS: dict[CohortMeasure, str] = {
    CohortMeasure.RETENTION: "Retention",
    CohortMeasure.ACTIVE: "Active customers",
    CohortMeasure.REVENUE: "Net revenue",
}
