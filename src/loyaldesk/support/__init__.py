"""Conversations, messages, routing, SLA (business hours, targets, clocks, escalation): the support desk.

Other packages import the desk through the names below (``from loyaldesk.support import X``). The desk
is channel-neutral: the channel adapters (``loyaldesk.channels``) call its actions and react to its
events; it never imports them.
"""

from loyaldesk.support.actions import post_customer_message
from loyaldesk.support.attachments import MAX_FILES_PER_MESSAGE, NewAttachment
from loyaldesk.support.contacts import identify_contact
from loyaldesk.support.csat import csat_link_token
from loyaldesk.support.dropped_mail import DropReason, MailPath, record_dropped_email
from loyaldesk.support.events import CsatRequested, CsatSubmitted, MessagePosted, SlaBreached
from loyaldesk.support.message_format import MAX_MESSAGE_LENGTH, check_attachment
from loyaldesk.support.models import (
    ApiChannel,
    Contact,
    Conversation,
    Message,
    OutboundCallback,
    OutboundEmail,
    SupportSettings,
)
from loyaldesk.support.outbox import email_state, follows_by_email, support_address

__all__ = [
    "MAX_FILES_PER_MESSAGE",
    "MAX_MESSAGE_LENGTH",
    "ApiChannel",
    "Contact",
    "Conversation",
    "CsatRequested",
    "CsatSubmitted",
    "DropReason",
    "MailPath",
    "Message",
    "MessagePosted",
    "NewAttachment",
    "OutboundCallback",
    "OutboundEmail",
    "SlaBreached",
    "SupportSettings",
    "check_attachment",
    "csat_link_token",
    "email_state",
    "follows_by_email",
    "identify_contact",
    "post_customer_message",
    "record_dropped_email",
    "support_address",
]
