"""Community vocabularies have one spelling: every member has its label, the columns that store them are
wide enough; the journeys variables the question email uses are filled."""

from __future__ import annotations

import pytest

from loyaldesk.community import models
from loyaldesk.community.vocab import (
    AWARD_KIND_LABELS,
    AWARD_OUTCOME_LABELS,
    REPORT_RESOLUTION_LABELS,
    REPORT_STATUS_LABELS,
    SPACE_KIND_LABELS,
    THREAD_STATUS_LABELS,
    AwardKind,
    AwardOutcome,
    ReportResolution,
    ReportStatus,
    SpaceKind,
    ThreadStatus,
)
from tests.vocab_checks import assert_column_holds, assert_labelled


@pytest.mark.parametrize(
    ("column", "vocabulary"),
    [
        (models.Space.kind, SpaceKind),
        (models.Thread.status, ThreadStatus),
        (models.Report.status, ReportStatus),
        (models.Award.kind, AwardKind),
        (models.Award.outcome, AwardOutcome),
    ],
)
def test_the_columns_hold_every_value(column, vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert_column_holds(column, vocabulary)


@pytest.mark.parametrize(
    ("vocabulary", "labels"),
    [
        (SpaceKind, SPACE_KIND_LABELS),
        (ThreadStatus, THREAD_STATUS_LABELS),
        (ReportStatus, REPORT_STATUS_LABELS),
        (ReportResolution, REPORT_RESOLUTION_LABELS),
        (AwardKind, AWARD_KIND_LABELS),
        (AwardOutcome, AWARD_OUTCOME_LABELS),
    ],
)
def test_every_member_has_a_label(vocabulary, labels) -> None:  # type: ignore[no-untyped-def]
    assert_labelled(vocabulary, labels)


def test_the_question_email_variables_are_filled_from_the_send() -> None:
    from types import SimpleNamespace

    from loyaldesk.journeys.queries.facts import template_values

    store = SimpleNamespace(name="Acme", slug="acme", currency="EUR", locale="en", timezone="UTC")
    customer = SimpleNamespace(first_name="Bob", display_name="Bob T", erased_at=None)
    facts = {"event": {"question_title": "Is it loud?", "thread_id": 42}}
    values = template_values(store, customer, facts, "https://desk.example/", language="en")  # type: ignore[arg-type]
    assert values["question_title"] == "Is it loud?"
    assert values["question_url"] == "https://desk.example/m/acme/community/threads/42"
    assert template_values(store, customer, {}, "https://desk.example", language="en")["question_url"] == ""  # type: ignore[arg-type]
