"""Events of call sessions (ids and facts only), published on commit. The widget's socket forwards them to
the conversation's contact; support's history shows ``SessionEnded``; analytics may count them."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class _CallEvent(DomainEvent):
    subject_type = "calls_session"
    session_id: int
    conversation_id: int | None = None
    contact_id: int | None = None
    booking_seat_id: int | None = None
    kind: str

    def subject_id(self) -> int | None:
        return self.session_id


class SessionRequested(_CallEvent):
    """A party asked for a session (``requested_by``: agent or shopper): the other side is to answer."""

    event_type = "calls.session_requested"
    requested_by: str
    # The asking or answering agent's first name, for the shopper's card ("Ana asks to see this page").
    agent_name: str | None = None


class SessionAnswered(_CallEvent):
    """The asked party answered: ``accepted`` (the session is active) or declined."""

    event_type = "calls.session_answered"
    accepted: bool
    answered_by: str
    audio_only: bool = False
    recording_allowed: bool = False


class ControlChanged(_CallEvent):
    """The shopper allowed (or took back) the agent's control of their page (co-browsing)."""

    event_type = "calls.control_changed"
    control_allowed: bool


class SessionEnded(_CallEvent):
    """A session ended (``state``: ended, declined never gets here, missed when nobody answered), by
    ``ended_by``, after ``duration_seconds`` of being active."""

    event_type = "calls.session_ended"
    state: str
    ended_by: str
    duration_seconds: int
