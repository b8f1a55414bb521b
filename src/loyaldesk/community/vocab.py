"""Every vocabulary of the community, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class SpaceKind(StrEnum):
    """The three spaces every store's community has (created on first use)."""

    PRODUCT_QA = "product_qa"  # a thread per question about one of the store's products
    DISCUSSIONS = "discussions"  # general discussions, by category
    EVENTS = "events"  # announcements and events (launches, workshops) with RSVP

    @property
    def label(self) -> str:
        return SPACE_KIND_LABELS[self]


SPACE_KIND_LABELS: dict[SpaceKind, str] = {
    SpaceKind.PRODUCT_QA: "Product questions",
    SpaceKind.DISCUSSIONS: "Discussions",
    SpaceKind.EVENTS: "Events",
}


class ThreadStatus(StrEnum):
    """Where a thread stands. ``answered``: an answer is accepted; ``closed``: no more answers."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return THREAD_STATUS_LABELS[self]


THREAD_STATUS_LABELS: dict[ThreadStatus, str] = {
    ThreadStatus.OPEN: "Open",
    ThreadStatus.ANSWERED: "Answered",
    ThreadStatus.CLOSED: "Closed",
}


class ReportStatus(StrEnum):
    """A report's place in the moderation queue."""

    OPEN = "open"  # waiting for staff
    DISMISSED = "dismissed"  # staff looked and left the content up
    HIDDEN = "hidden"  # staff hid the content

    @property
    def label(self) -> str:
        return REPORT_STATUS_LABELS[self]


REPORT_STATUS_LABELS: dict[ReportStatus, str] = {
    ReportStatus.OPEN: "Open",
    ReportStatus.DISMISSED: "Dismissed",
    ReportStatus.HIDDEN: "Content hidden",
}


class ReportResolution(StrEnum):
    """What staff do with a report (``resolve_report``'s ``action``)."""

    DISMISS = "dismiss"
    HIDE = "hide"

    @property
    def label(self) -> str:
        return REPORT_RESOLUTION_LABELS[self]


REPORT_RESOLUTION_LABELS: dict[ReportResolution, str] = {
    ReportResolution.DISMISS: "Dismiss the report",
    ReportResolution.HIDE: "Hide the content",
}


class AwardKind(StrEnum):
    """Why a member was (or would have been) credited community points."""

    ACCEPTED = "accepted"  # their answer was accepted
    HELPFUL = "helpful"  # their answer reached a milestone of helpful votes
    QUESTION = "question"  # their question got an answer (by someone else) accepted

    @property
    def label(self) -> str:
        return AWARD_KIND_LABELS[self]


AWARD_KIND_LABELS: dict[AwardKind, str] = {
    AwardKind.ACCEPTED: "Accepted answer",
    AwardKind.HELPFUL: "Helpful answer",
    AwardKind.QUESTION: "Question answered",
}


class AwardOutcome(StrEnum):
    """What became of one award (decided once per award key; a replay reads the decision)."""

    CREDITED = "credited"  # the points are in the ledger
    CAPPED = "capped"  # the member reached the day's cap: nothing credited
    NOT_A_MEMBER = "not_a_member"  # not in the loyalty program (or it is off): nothing credited
    ALREADY_CREDITED = "already_credited"  # the thread's accepted-answer points went to an earlier answer
    NO_POINTS = "no_points"  # the store gives no points for this

    @property
    def label(self) -> str:
        return AWARD_OUTCOME_LABELS[self]


AWARD_OUTCOME_LABELS: dict[AwardOutcome, str] = {
    AwardOutcome.CREDITED: "Points credited",
    AwardOutcome.CAPPED: "Daily cap reached",
    AwardOutcome.NOT_A_MEMBER: "Not in the loyalty program",
    AwardOutcome.ALREADY_CREDITED: "Thread already rewarded",
    AwardOutcome.NO_POINTS: "No points set",
}
