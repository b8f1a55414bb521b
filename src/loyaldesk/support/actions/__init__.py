"""Every state change of the support desk: one function each, one transaction, an audit row where a person
acted, its event published on commit. A module per change:

* ``post_message``: a customer's message, the offline form, an agent's reply or note, loyaldesk's notes;
  ``customer_messages``: the batch behind every customer's message (the widget's coalesced fast lane);
* ``open_conversation``: which conversation a message continues, a new one's priority;
* ``change_conversation``: status (resolve, snooze, reopen), assignment and team, details, read receipts;
* ``contacts``, ``routing`` (presence, capacity, assignment of waiting conversations), ``teams``,
  ``canned_replies``, ``csat``, ``goodwill`` (and service recovery), ``sla`` (clocks and escalation),
  ``sla_settings``, ``desk_settings``, ``attachments``, ``dropped_mail``, ``privacy`` (export, erasure).

The conversation writers are importable from here (``actions.post_agent_message(...)``).
"""

from loyaldesk.support.actions.change_conversation import (
    KEEP_TEAM,
    assign,
    change_status,
    mark_read,
    update_conversation,
    wake_snoozed,
)
from loyaldesk.support.actions.customer_messages import (
    CUSTOMER_MESSAGES,
    CustomerMessage,
    PostedMessage,
    post_customer_messages,
)
from loyaldesk.support.actions.open_conversation import CHANNELS
from loyaldesk.support.actions.post_message import (
    message_view,
    post_agent_message,
    post_customer_message,
    post_system_note,
    staff_name,
    submit_offline_message,
)

__all__ = [
    "CHANNELS",
    "CUSTOMER_MESSAGES",
    "KEEP_TEAM",
    "CustomerMessage",
    "PostedMessage",
    "assign",
    "change_status",
    "mark_read",
    "message_view",
    "post_agent_message",
    "post_customer_message",
    "post_customer_messages",
    "post_system_note",
    "staff_name",
    "submit_offline_message",
    "update_conversation",
    "wake_snoozed",
]
