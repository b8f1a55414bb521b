"""Who answers a new conversation first: people, or the store's assistant.

The desk does not know the assistant (it sits above the desk); the composition root provides the answer
with ``provide_first_line``. Without one, people answer every conversation.

Contract of a ``FirstLine``: ``(session, contact, channel) -> bool``, True when the assistant takes the new
conversation. Such a conversation (``Conversation.assistant_active``) is not routed to an agent and runs no
SLA clock until the assistant hands it to people (``actions.assistant_turns.release_to_people``): an
agent is never paged for a conversation the assistant answers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from loyaldesk.support.models import Contact

FirstLine = Callable[[Session, Contact, str], bool]

_first_line: FirstLine | None = None


def provide_first_line(first_line: FirstLine | None) -> None:
    global _first_line
    _first_line = first_line


def assistant_takes(session: Session, contact: Contact, channel: str) -> bool:
    """Whether the assistant answers a new conversation of ``contact`` on ``channel``."""
    return _first_line is not None and _first_line(session, contact, channel)
