"""Bookings vocabularies have one spelling: every member has its label, and the columns that store them
are wide enough."""

from __future__ import annotations

import pytest

from loyaldesk.bookings import models
from loyaldesk.bookings.vocab import (
    BOOKING_STATUS_LABELS,
    HOST_ASSIGNMENT_LABELS,
    SESSION_MODE_LABELS,
    WAITLIST_STATUS_LABELS,
    BookingStatus,
    HostAssignment,
    SessionMode,
    WaitlistStatus,
)
from tests.vocab_checks import assert_column_holds, assert_labelled


@pytest.mark.parametrize(
    ("column", "vocabulary"),
    [
        (models.Seat.status, BookingStatus),
        (models.SessionType.host_assignment, HostAssignment),
        (models.SessionType.mode, SessionMode),
        (models.WaitlistEntry.status, WaitlistStatus),
    ],
)
def test_the_columns_hold_every_value(column, vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert_column_holds(column, vocabulary)


@pytest.mark.parametrize(
    ("vocabulary", "labels"),
    [
        (BookingStatus, BOOKING_STATUS_LABELS),
        (HostAssignment, HOST_ASSIGNMENT_LABELS),
        (SessionMode, SESSION_MODE_LABELS),
        (WaitlistStatus, WAITLIST_STATUS_LABELS),
    ],
)
def test_every_member_has_a_label(vocabulary, labels) -> None:  # type: ignore[no-untyped-def]
    assert_labelled(vocabulary, labels)
