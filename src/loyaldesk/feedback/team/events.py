"""Events of the team part of feedback. Payloads carry ids, never the words of a shout-out."""

from __future__ import annotations

from loyaldesk.kernel.events import DomainEvent


class ShoutoutReceived(DomainEvent):
    """A staff member thanked another for their work in a conversation; the recipient is notified (the
    console's socket carries it to their inbox, like ``feedback.kudos_received``)."""

    event_type = "feedback.shoutout_received"
    subject_type = "staff"
    shoutout_id: int
    to_staff_id: int
    from_staff_id: int
    conversation_id: int | None = None

    def subject_id(self) -> int | None:
        return self.to_staff_id
