"""How the community's events read on the customer's timeline (the customer 360): what they asked and
answered, answers of theirs accepted (with the points), votes, RSVPs and reports. Titles carry no text
the member wrote (the events carry ids only). Registers on import (the composition root imports it with
the other registering modules)."""

from __future__ import annotations

from loyaldesk.community.vocab import SPACE_KIND_LABELS, SpaceKind
from loyaldesk.customers import TimelineEntry, timeline_entry
from loyaldesk.kernel.events import StoredEvent


def _space(event: StoredEvent) -> str:
    try:
        return SPACE_KIND_LABELS[SpaceKind(str(event.payload.get("space_kind")))].lower()
    except ValueError:
        return "the community"


@timeline_entry("community.question_asked")
def _asked(event: StoredEvent) -> TimelineEntry | None:
    if event.customer_id is None:
        return None
    detail = f"Product {event.payload['product_id']}" if event.payload.get("product_id") else None
    return TimelineEntry(
        title=f"Asked in {_space(event)} (thread #{event.payload.get('thread_id')})", detail=detail
    )


@timeline_entry("community.answer_posted")
def _answered(event: StoredEvent) -> TimelineEntry | None:
    if event.customer_id is None:
        return None
    detail = "As a verified buyer" if event.payload.get("verified_buyer") else None
    return TimelineEntry(
        title=f"Answered in the community (thread #{event.payload.get('thread_id')})", detail=detail
    )


@timeline_entry("community.answer_accepted")
def _accepted(event: StoredEvent) -> TimelineEntry | None:
    if event.customer_id is None:
        return None
    points = int(event.payload.get("points") or 0)
    return TimelineEntry(
        title=f"Community answer accepted (thread #{event.payload.get('thread_id')})",
        detail=f"{points} points" if points else None,
    )


@timeline_entry("community.answer_voted")
def _voted(event: StoredEvent) -> TimelineEntry:
    return TimelineEntry(title="Voted a community answer helpful")


@timeline_entry("community.rsvp_changed")
def _rsvp(event: StoredEvent) -> TimelineEntry:
    going = bool(event.payload.get("going"))
    what = "Going to" if going else "No longer going to"
    return TimelineEntry(title=f"{what} a community event (#{event.payload.get('thread_id')})")


@timeline_entry("community.content_reported")
def _reported(event: StoredEvent) -> TimelineEntry | None:
    if event.customer_id is None:
        return None
    return TimelineEntry(title="Reported community content")
