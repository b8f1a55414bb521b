"""Conversations, messages, routing, SLA (business hours, targets, clocks, escalation): the support desk.

Other packages import the desk through the names below (``from loyaldesk.support import X``). The desk
is channel-neutral: the channel adapters (``loyaldesk.channels``) call its actions and react to its
events; it never imports them.
"""

from loyaldesk.support.actions import (
    CustomerMessage,
    PostedMessage,
    assign,
    change_status,
    mark_read,
    post_agent_message,
    post_customer_message,
    post_customer_messages,
    post_system_note,
    submit_offline_message,
    update_conversation,
)
from loyaldesk.support.actions.attachments import (
    MAX_FILES_PER_MESSAGE,
    NewAttachment,
    attachment_for_contact,
    attachment_for_staff,
)
from loyaldesk.support.actions.canned_replies import save_canned_reply
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.actions.csat import csat_link_token, request_csat, submit_csat
from loyaldesk.support.actions.desk_settings import create_desk_settings, settings_for, update_settings
from loyaldesk.support.actions.dropped_mail import DropReason, MailPath, record_dropped_email
from loyaldesk.support.actions.goodwill import grant_goodwill
from loyaldesk.support.actions.sla import calendar_of
from loyaldesk.support.actions.sla_settings import save_policy
from loyaldesk.support.actions.teams import save_team, set_agent_teams
from loyaldesk.support.business_hours import is_open
from loyaldesk.support.events import (
    ConversationAssigned,
    ConversationStarted,
    ConversationStatusChanged,
    ConversationUpdated,
    CsatRequested,
    CsatSubmitted,
    MessagePosted,
    SlaBreached,
)
from loyaldesk.support.message_format import (
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_LENGTH,
    check_attachment,
    check_message_body,
    render_message_html,
)
from loyaldesk.support.models import (
    ApiChannel,
    BusinessCalendarRow,
    Contact,
    Conversation,
    CsatResponse,
    GoodwillGrant,
    Message,
    OutboundCallback,
    OutboundEmail,
    SlaPolicy,
    SupportSettings,
    Team,
    TeamMember,
)
from loyaldesk.support.queries.attention import inbox_attention
from loyaldesk.support.queries.outbox import email_state, follows_by_email, support_address
from loyaldesk.support.queries.reports import WEEKDAYS, SupportReport, support_report
from loyaldesk.support.rules import CANNED_VARIABLES, CHANNELS, PRIORITIES, RoutingMethod, render_canned_reply
from loyaldesk.support.widget_origins import origin_refusal
from loyaldesk.support.widget_ticket import contact_of_ticket, issue_ticket

__all__ = [
    "CANNED_VARIABLES",
    "CHANNELS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_FILES_PER_MESSAGE",
    "MAX_MESSAGE_LENGTH",
    "PRIORITIES",
    "WEEKDAYS",
    "ApiChannel",
    "BusinessCalendarRow",
    "Contact",
    "Conversation",
    "ConversationAssigned",
    "ConversationStarted",
    "ConversationStatusChanged",
    "ConversationUpdated",
    "CsatRequested",
    "CsatResponse",
    "CsatSubmitted",
    "CustomerMessage",
    "DropReason",
    "GoodwillGrant",
    "MailPath",
    "Message",
    "MessagePosted",
    "NewAttachment",
    "OutboundCallback",
    "OutboundEmail",
    "PostedMessage",
    "RoutingMethod",
    "SlaBreached",
    "SlaPolicy",
    "SupportReport",
    "SupportSettings",
    "Team",
    "TeamMember",
    "assign",
    "attachment_for_contact",
    "attachment_for_staff",
    "calendar_of",
    "change_status",
    "check_attachment",
    "check_message_body",
    "contact_of_ticket",
    "create_desk_settings",
    "csat_link_token",
    "email_state",
    "follows_by_email",
    "grant_goodwill",
    "identify_contact",
    "inbox_attention",
    "is_open",
    "issue_ticket",
    "mark_read",
    "origin_refusal",
    "post_agent_message",
    "post_customer_message",
    "post_customer_messages",
    "post_system_note",
    "record_dropped_email",
    "render_canned_reply",
    "render_message_html",
    "request_csat",
    "save_canned_reply",
    "save_policy",
    "save_team",
    "set_agent_teams",
    "settings_for",
    "submit_csat",
    "submit_offline_message",
    "support_address",
    "support_report",
    "update_conversation",
    "update_settings",
]
