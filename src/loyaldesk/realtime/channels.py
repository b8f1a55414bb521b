"""Broker channels and which events a shopper may see.

Committed events go to their store's channel (``runtime.store_events_channel``), which only staff
consoles read. The events of a conversation that its customer may see also go to the conversation's
public channel, which the customer's widget reads; a notice left for a widget contact goes to the
contact's public channel, which that contact's widget reads. Internal notes and the desk's bookkeeping
(labels, priority, assignment) never reach a public channel.
"""

from __future__ import annotations

from typing import Any

from loyaldesk.kernel.events import StoredEvent

# The support events a widget may receive (when not internal).
PUBLIC_CONVERSATION_EVENTS = frozenset(
    {
        "conversation.started",
        "conversation.message_posted",
        "conversation.status_changed",
        "conversation.read",
        "csat.requested",
        "csat.submitted",
    }
)
# What a widget contact's own widget receives (subject: the contact): a notice left for them.
CONTACT_EVENTS = frozenset({"widget.notice_posted"})
# A call session's events (co-browsing requests, consent, the end of a call), forwarded to the contact it
# is with (their ``contact_id``): the widget learns that an agent asks to see the page or rings.
CALL_EVENTS = frozenset(
    {"calls.session_requested", "calls.session_answered", "calls.control_changed", "calls.session_ended"}
)
# What the console's live inbox listens to.
CONSOLE_EVENT_PREFIXES: tuple[str, ...] = ("conversation.", "csat.", "agent.", "sla.")
# Recognition for one staff member (ids only; the console asks the server whether it is for its viewer).
CONSOLE_EVENT_PREFIXES += ("feedback.kudos_received", "feedback.shoutout_received")
# Call sessions (a shopper ringing, a co-browsing consent): the console shows them where they are open.
CONSOLE_EVENT_PREFIXES += ("calls.",)


def conversation_channel(conversation_id: int) -> str:
    """The public channel of one conversation: what its customer's widget may see."""
    return f"conversation:{conversation_id}:public"


def contact_channel(contact_id: int) -> str:
    """The public channel of one widget contact: what their widget may see besides their conversations."""
    return f"contact:{contact_id}:public"


def is_for_contact(event_type: str, subject_type: str | None) -> bool:
    return subject_type == "contact" and event_type in CONTACT_EVENTS


def is_call_event_for(event_type: str, payload: dict[str, Any], contact_id: int) -> bool:
    """Whether a stored event is a call event of the widget contact ``contact_id``."""
    return event_type in CALL_EVENTS and payload.get("contact_id") == contact_id


def is_public(event_type: str, subject_type: str | None, payload: dict[str, Any]) -> bool:
    return (
        subject_type == "conversation"
        and event_type in PUBLIC_CONVERSATION_EVENTS
        and not payload.get("internal", False)
    )


def public_channels_for(event: StoredEvent) -> list[str]:
    """The public channels on which ``event`` is announced besides its store's channel."""
    if event.subject_id is not None and is_public(event.event_type, event.subject_type, event.payload):
        return [conversation_channel(event.subject_id)]
    if event.subject_id is not None and is_for_contact(event.event_type, event.subject_type):
        return [contact_channel(event.subject_id)]
    contact_id = event.payload.get("contact_id")
    if event.event_type in CALL_EVENTS and isinstance(contact_id, int):
        return [contact_channel(contact_id)]
    return []


def is_console_event(event_type: str) -> bool:
    return event_type.startswith(CONSOLE_EVENT_PREFIXES)
