"""Journeys: automation rules, lifecycle flows, campaigns, their calendar and frequency caps. Whatever
loyaldesk sends a customer on its own initiative goes through a journey's send step: one place for
consent, quiet hours, caps, exactly-once and the explain record.

Channels (email, SMS, web push, the widget) plug in as ``ChannelAdapter``s (``journeys.ports``); the
analytics' scores as a ``ScoresProvider``; the composition root registers both.
"""

from loyaldesk.journeys.actions.consent import consent_allows, consents_of, feedback_allowed, set_consent
from loyaldesk.journeys.actions.messaging_settings import (
    create_messaging_settings,
    messaging_settings,
    update_messaging_settings,
)
from loyaldesk.journeys.actions.queue import queue_message, withdraw_message
from loyaldesk.journeys.actions.receipts import (
    record_click,
    record_delivery_receipt,
    record_open,
    record_unsubscribe,
)
from loyaldesk.journeys.actions.rules import save_owned_rule
from loyaldesk.journeys.actions.templates import (
    check_template,
    delete_template,
    ensure_default_templates,
    ensure_owned_template,
    save_template,
)
from loyaldesk.journeys.events import (
    ConsentChanged,
    CustomEventReceived,
    JourneyEntered,
    MessageSent,
    RuleLoopStopped,
    TaskCreated,
)
from loyaldesk.journeys.links import (
    LinkClaims,
    LinkKind,
    MessageLinks,
    link_token,
    links_for,
    read_link_token,
)
from loyaldesk.journeys.models import (
    ChannelConsent,
    Decision,
    Enrollment,
    JourneyRule,
    MessageTemplate,
    Send,
    StoreMessaging,
    TeamTask,
)
from loyaldesk.journeys.ports import (
    ChannelAdapter,
    CustomerScores,
    DeliveryResult,
    DeliveryStatus,
    OutgoingMessage,
    ProductAsk,
    ProductCard,
    ProductPicker,
    Recipient,
    ScoresProvider,
    SurveyAsk,
    SurveyAsker,
    finish_delivery,
    prepare_delivery,
    provide_product_picker,
    provide_scores,
    provide_survey_asker,
    register_adapter,
    scores_for,
)
from loyaldesk.journeys.queries.templates import rules_using_template, template_of, templates_of
from loyaldesk.journeys.rendering import RenderedMessage, render_message
from loyaldesk.journeys.rendering.sample import sample_values
from loyaldesk.journeys.rules.variables import VARIABLES, UnknownVariable, fill, variables_in
from loyaldesk.journeys.schemas import RuleIn
from loyaldesk.journeys.vocab import (
    Channel,
    EnrollmentStatus,
    MessageCategory,
    Outcome,
    Reason,
    RulePurpose,
    SendStatus,
    StepKind,
    TriggerKind,
)

__all__ = [
    "VARIABLES",
    "Channel",
    "ChannelAdapter",
    "ChannelConsent",
    "ConsentChanged",
    "CustomEventReceived",
    "CustomerScores",
    "Decision",
    "DeliveryResult",
    "DeliveryStatus",
    "Enrollment",
    "EnrollmentStatus",
    "JourneyEntered",
    "JourneyRule",
    "LinkClaims",
    "LinkKind",
    "MessageCategory",
    "MessageLinks",
    "MessageSent",
    "MessageTemplate",
    "Outcome",
    "OutgoingMessage",
    "ProductAsk",
    "ProductCard",
    "ProductPicker",
    "Reason",
    "Recipient",
    "RenderedMessage",
    "RuleIn",
    "RuleLoopStopped",
    "RulePurpose",
    "ScoresProvider",
    "Send",
    "SendStatus",
    "StepKind",
    "StoreMessaging",
    "SurveyAsk",
    "SurveyAsker",
    "TaskCreated",
    "TeamTask",
    "TriggerKind",
    "UnknownVariable",
    "check_template",
    "consent_allows",
    "consents_of",
    "create_messaging_settings",
    "delete_template",
    "ensure_default_templates",
    "ensure_owned_template",
    "feedback_allowed",
    "fill",
    "finish_delivery",
    "link_token",
    "links_for",
    "messaging_settings",
    "prepare_delivery",
    "provide_product_picker",
    "provide_scores",
    "provide_survey_asker",
    "queue_message",
    "read_link_token",
    "record_click",
    "record_delivery_receipt",
    "record_open",
    "record_unsubscribe",
    "register_adapter",
    "render_message",
    "rules_using_template",
    "sample_values",
    "save_owned_rule",
    "save_template",
    "scores_for",
    "set_consent",
    "template_of",
    "templates_of",
    "update_messaging_settings",
    "variables_in",
    "withdraw_message",
]
