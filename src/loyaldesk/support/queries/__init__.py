"""Reads of the support desk, each in a read session and never writing: the inbox and a conversation with
the customer's picture (``inbox``), what an agent must not miss (``attention``), the manager's report
(``reports``), the delivery state of replies by email (``outbox``).

The inbox's reads are importable from here (``queries.inbox(...)``, ``queries.customer_picture(...)``).
"""

from loyaldesk.support.queries.inbox import (
    ACTIVE_STATUSES,
    INBOX_STATUSES,
    INBOX_VIEWS,
    CustomerPicture,
    InboxRow,
    agents_online,
    canned_replies_of,
    canned_reply_values,
    contact_conversations,
    contact_name,
    conversation_of,
    conversation_view,
    customer_picture,
    desk_agents,
    desk_roster,
    inbox,
    messages_of,
    one_message,
    settings_of,
    tasks_of,
    teams_of,
)

__all__ = [
    "ACTIVE_STATUSES",
    "INBOX_STATUSES",
    "INBOX_VIEWS",
    "CustomerPicture",
    "InboxRow",
    "agents_online",
    "canned_replies_of",
    "canned_reply_values",
    "contact_conversations",
    "contact_name",
    "conversation_of",
    "conversation_view",
    "customer_picture",
    "desk_agents",
    "desk_roster",
    "inbox",
    "messages_of",
    "one_message",
    "settings_of",
    "tasks_of",
    "teams_of",
]
