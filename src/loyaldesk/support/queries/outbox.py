"""The desk's side of replies sent outside the inbox (by email): the store's support address, whether a
conversation's customer follows it by email, and the delivery state of each reply.

The rows (``OutboundEmail``) are the desk's; composing and sending the mail is the email channel's
(``channels.email.outbox``), which the composition root subscribes to the desk's events.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.stores.models import Store
from loyaldesk.support.models import Conversation, OutboundEmail, SupportSettings


def support_address(store: Store, desk: SupportSettings | None, mail_domain: str) -> str:
    """Where the store's replies come from: its configured address, else ``<slug>@<mail domain>``."""
    if desk is not None and desk.support_email:
        return desk.support_email
    return f"{store.slug}@{mail_domain}"


def follows_by_email(conversation: Conversation) -> bool:
    """Whether the customer reads this conversation's replies by email."""
    return conversation.reply_by_email or conversation.channel == "email"


def email_state(session: Session, conversation_id: int) -> dict[int, str]:
    """Message id -> "pending", "sent" or "failed" for the conversation's replies by email."""
    rows = session.execute(
        select(OutboundEmail.message_id, OutboundEmail.status).where(
            OutboundEmail.conversation_id == conversation_id, OutboundEmail.message_id.is_not(None)
        )
    )
    return {message_id: status for message_id, status in rows if message_id is not None}
