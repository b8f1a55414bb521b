"""How calls read on the customer's timeline (agents see it beside the conversation): a finished call with
its kind and duration, a declined or missed one. Registers on import (the composition root imports it with
the other registering modules)."""

from __future__ import annotations

from loyaldesk.calls.events import SessionEnded
from loyaldesk.calls.rules.history import history_line
from loyaldesk.calls.vocab import CallKind, CallParty, CallState
from loyaldesk.customers import TimelineEntry, timeline_entry
from loyaldesk.kernel.events import StoredEvent


@timeline_entry(SessionEnded.event_type)
def _ended(event: StoredEvent) -> TimelineEntry:
    payload = event.payload
    try:
        kind = CallKind(str(payload.get("kind")))
        state = CallState(str(payload.get("state")))
        ended_by = CallParty(str(payload.get("ended_by")))
    except ValueError:
        return TimelineEntry(title="Call", detail="")
    duration = payload.get("duration_seconds")
    seconds = duration if isinstance(duration, int) else 0
    detail = "From an expert session" if payload.get("booking_seat_id") else "From a conversation"
    return TimelineEntry(title=history_line(kind, state, seconds, ended_by), detail=detail)
