"""Every vocabulary of calls and co-browsing, spelled once: each StrEnum with its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class CallKind(StrEnum):
    """What a call session is: the agent sees the shopper's page (co-browsing), or a video or voice call."""

    COBROWSE = "cobrowse"
    VIDEO = "video"
    VOICE = "voice"

    @property
    def label(self) -> str:
        return CALL_KIND_LABELS[self]


CALL_KIND_LABELS: dict[CallKind, str] = {
    CallKind.COBROWSE: "Co-browsing",
    CallKind.VIDEO: "Video call",
    CallKind.VOICE: "Voice call",
}


class CallState(StrEnum):
    """Where a call session stands. ``requested`` and ``active`` are *open*; the others are history."""

    REQUESTED = "requested"  # one party asked, the other has not answered yet
    ACTIVE = "active"  # the other party accepted (for co-browsing: the shopper's consent to be seen)
    DECLINED = "declined"  # the other party said no
    ENDED = "ended"  # it took place and one side (or the system) stopped it
    MISSED = "missed"  # nobody answered (the gateway ends an unanswered ring)

    @property
    def label(self) -> str:
        return CALL_STATE_LABELS[self]


CALL_STATE_LABELS: dict[CallState, str] = {
    CallState.REQUESTED: "Requested",
    CallState.ACTIVE: "Active",
    CallState.DECLINED: "Declined",
    CallState.ENDED: "Ended",
    CallState.MISSED: "Missed",
}

# The states of a session still going on (at most one per conversation and kind, one per seat).
OPEN_CALL_STATES: tuple[CallState, ...] = (CallState.REQUESTED, CallState.ACTIVE)


class CallParty(StrEnum):
    """Who does something to a session: the store's agent (or expert), the shopper, or loyaldesk itself."""

    AGENT = "agent"
    SHOPPER = "shopper"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return CALL_PARTY_LABELS[self]


CALL_PARTY_LABELS: dict[CallParty, str] = {
    CallParty.AGENT: "Agent",
    CallParty.SHOPPER: "Shopper",
    CallParty.SYSTEM: "loyaldesk",
}
