"""What other packages see of a call session: plain frozen dataclasses (no ORM rows leave the domain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyaldesk.calls.vocab import OPEN_CALL_STATES, CallKind, CallParty, CallState


@dataclass(frozen=True)
class CallSessionView:
    """One call session as the gateway, the widget and the console see it.

    ``conversation_id`` is set for calls started from a conversation, ``booking_seat_id`` for expert
    sessions; ``contact_id`` is the widget's contact (the shopper of a conversation), ``customer_id`` the
    store's customer when known (both ``None`` after the customer's erasure). ``agent_user_id`` is the
    staff account on the store's side (the agent who asked or answered, the seat's expert).
    ``duration_seconds`` counts from ``started_at`` (the answer) to ``ended_at``; ``None`` until it ended,
    0 for a session that never became active. ``control_allowed`` is the shopper's second consent
    (co-browsing: the agent may click and type), ``recording_allowed`` the shopper's consent to keep the
    stream, ``audio_only`` a call answered without video."""

    id: int
    store_id: int
    kind: CallKind
    state: CallState
    conversation_id: int | None
    booking_seat_id: int | None
    contact_id: int | None
    customer_id: int | None
    agent_user_id: int | None
    requested_by: CallParty
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    ended_by: CallParty | None
    duration_seconds: int | None
    control_allowed: bool
    recording_allowed: bool
    audio_only: bool

    @property
    def is_open(self) -> bool:
        """Still going on: requested (ringing, asking for consent) or active."""
        return self.state in OPEN_CALL_STATES

    def as_json(self) -> dict[str, Any]:
        """The session as a JSON-safe dict (enums as their values, times as ISO 8601), for sockets."""
        return {
            "id": self.id,
            "store_id": self.store_id,
            "kind": self.kind.value,
            "state": self.state.value,
            "conversation_id": self.conversation_id,
            "booking_seat_id": self.booking_seat_id,
            "contact_id": self.contact_id,
            "customer_id": self.customer_id,
            "agent_user_id": self.agent_user_id,
            "requested_by": self.requested_by.value,
            "requested_at": self.requested_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ended_by": self.ended_by.value if self.ended_by else None,
            "duration_seconds": self.duration_seconds,
            "control_allowed": self.control_allowed,
            "recording_allowed": self.recording_allowed,
            "audio_only": self.audio_only,
            "is_open": self.is_open,
        }


@dataclass(frozen=True)
class RelayUsage:
    """What the gateway relayed for one session (kept with it when it ends, for capacity planning)."""

    bytes_relayed: int
    frames_relayed: int


@dataclass(frozen=True)
class KindSummary:
    """One kind of call over a period: sessions ``requested``, ``answered`` (became active), the
    ``total_seconds`` and ``median_seconds`` of the answered ones' durations (``None`` without any)."""

    kind: CallKind
    requested: int
    answered: int
    total_seconds: int
    median_seconds: float | None

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class CallsSummary:
    """The calls of a store requested in ``[start, end)``, one ``KindSummary`` per kind (every kind, in
    ``CallKind`` order, zeros included)."""

    start: datetime
    end: datetime
    kinds: tuple[KindSummary, ...] = field(default_factory=tuple)

    @property
    def requested(self) -> int:
        return sum(kind.requested for kind in self.kinds)

    @property
    def answered(self) -> int:
        return sum(kind.answered for kind in self.kinds)

    def of(self, kind: CallKind) -> KindSummary:
        """The summary of one kind."""
        return next(item for item in self.kinds if item.kind == kind)
