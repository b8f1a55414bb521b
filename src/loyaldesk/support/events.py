"""Events of the support desk. Each is about one conversation (its subject), except agent presence.

``MessagePosted`` carries the message as its recipients see it (sanitized HTML, author's display name),
because the realtime gateway delivers and replays it from the event log; erasing a customer scrubs these
payloads along with the messages (see ``support.privacy``).
"""

from __future__ import annotations

from typing import Any

from loyaldesk.kernel.events import DomainEvent


class _ConversationEvent(DomainEvent):
    subject_type = "conversation"
    conversation_id: int

    def subject_id(self) -> int | None:
        return self.conversation_id


class ConversationStarted(_ConversationEvent):
    event_type = "conversation.started"
    channel: str
    priority: str
    contact_id: int


class MessagePosted(_ConversationEvent):
    event_type = "conversation.message_posted"
    internal: bool
    # {"id", "author_kind", "author_name", "body_html", "internal", "client_message_id", "created_at",
    #  "attachments": [{"id", "filename", "content_type", "size"}]}; JSON-ready as built (``message_view``)
    message: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The payload without Pydantic's serializer: ``message`` is JSON-ready already (ints, strings,
        booleans, None and the attachments' lists of them), so it is stored and published as built."""
        return {"conversation_id": self.conversation_id, "internal": self.internal, "message": self.message}


class ConversationAssigned(_ConversationEvent):
    event_type = "conversation.assigned"
    assignee_id: int | None
    team_id: int | None
    previous_assignee_id: int | None
    automatic: bool


class ConversationStatusChanged(_ConversationEvent):
    event_type = "conversation.status_changed"
    from_status: str
    to_status: str
    snoozed_until: str | None = None


class ConversationUpdated(_ConversationEvent):
    """Priority, labels, subject or team changed (what changed is in ``changes``)."""

    event_type = "conversation.updated"
    changes: dict[str, Any]


class MessagesRead(_ConversationEvent):
    """The customer (reader "customer") or the desk ("agent") has read up to ``message_id``."""

    event_type = "conversation.read"
    reader: str
    message_id: int


class CsatRequested(_ConversationEvent):
    event_type = "csat.requested"


class CsatSubmitted(_ConversationEvent):
    """The customer rated the conversation; ``agent_id`` is the agent credited with it."""

    event_type = "csat.submitted"
    rating: int
    agent_id: int | None
    has_comment: bool


class AgentPresenceChanged(DomainEvent):
    event_type = "agent.presence_changed"
    subject_type = "staff"
    staff_account_id: int
    presence: str

    def subject_id(self) -> int | None:
        return self.staff_account_id


class SlaWarning(_ConversationEvent):
    """A target of the conversation's SLA policy is close: ``due_at`` is near (the policy's warning)."""

    event_type = "sla.warning"
    policy_id: int
    metric: str  # first_response, next_response, resolution
    due_at: str


class SlaBreached(_ConversationEvent):
    """A target was missed; ``actions`` lists the escalation done (``raised_priority``, ``moved_to_team``,
    ``notified_lead``), ``lead_id`` whom to tell."""

    event_type = "sla.breached"
    policy_id: int
    metric: str
    due_at: str
    actions: list[str]
    lead_id: int | None


class GoodwillGranted(_ConversationEvent):
    """Points given as a gesture from this conversation (by ``staff_id``, or ``automatic`` recovery)."""

    event_type = "conversation.goodwill_granted"
    points: int  # for a reward code: its cost in points
    reason: str
    staff_id: int | None
    automatic: bool
    available_points: int | None  # the balance after points; None for a reward code
    reward_name: str | None = None
