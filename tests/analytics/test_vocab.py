"""Analytics vocabularies have one spelling: the groups, titles and segments the reports show are the
enums of ``analytics.vocab``, in their order, each with its label."""

from __future__ import annotations

from datetime import date

import pytest

from loyaldesk.analytics import impact, impact_report, retention_report, segments
from loyaldesk.analytics.cohorts import RetentionMatrix
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
from loyaldesk.kernel.errors import Invalid
from tests.vocab_checks import assert_labelled, values


@pytest.mark.parametrize(
    ("vocabulary", "labels"),
    [
        (Segment, SEGMENT_LABELS),
        (SupportGroup, SUPPORT_GROUP_LABELS),
        (LoyaltyGroup, LOYALTY_GROUP_LABELS),
        (RetentionGroup, RETENTION_GROUP_LABELS),
        (CohortMeasure, COHORT_MEASURE_LABELS),
    ],
)
def test_every_value_has_its_label(vocabulary, labels) -> None:
    assert_labelled(vocabulary, labels)


def test_the_impact_groups_and_titles_are_the_vocabulary_in_its_order() -> None:
    assert tuple(SupportGroup) == impact.SUPPORT_GROUPS
    assert tuple(LoyaltyGroup) == impact.LOYALTY_GROUPS
    assert {group.value: group.label for group in SupportGroup} == impact_report.SUPPORT_TITLES
    assert {group.value: group.label for group in LoyaltyGroup} == impact_report.LOYALTY_TITLES
    compared = {name for _label, group, against in impact_report.COMPARISONS for name in (group, against)}
    assert compared <= values(SupportGroup) | values(LoyaltyGroup)


def test_the_impact_report_groups_every_customer_by_the_vocabulary() -> None:
    assert tuple(impact.support_groups([])) == tuple(SupportGroup)
    assert tuple(impact.loyalty_groups([])) == tuple(LoyaltyGroup)


def test_the_retention_groups_and_titles_are_the_vocabulary() -> None:
    assert tuple(RetentionGroup) == retention_report.GROUPS
    assert {group.value: group.label for group in RetentionGroup} == retention_report.GROUP_TITLES
    assert tuple(MemberMix) == (
        retention_report.MIXED,
        retention_report.ALL_MEMBERS,
        retention_report.NO_MEMBERS,
    )


def test_segments_are_shown_in_the_vocabulary_order() -> None:
    assert tuple(Segment) == segments.SEGMENT_ORDER
    assert {segment for row in segments.SEGMENT_GRID for segment in row} == set(Segment)


def test_a_cohort_table_offers_exactly_the_measures() -> None:
    empty = RetentionMatrix(time_zone="UTC", through_month=date(2026, 1, 1), offsets=1, rows=())
    for measure in CohortMeasure:
        assert empty.as_rows(measure)[0][:2] == ("cohort", "size")
    with pytest.raises(Invalid) as refused:
        empty.as_rows("profit")
    assert refused.value.problems[0].reason == "must be 'retention', 'active' or 'revenue'"
