"""Journeys: automation rules, lifecycle flows, campaigns, their calendar and frequency caps. Whatever
loyaldesk sends a customer on its own initiative goes through a journey's send step: one place for
consent, quiet hours, caps, exactly-once and the explain record.

Channels (email, SMS, web push, the widget) plug in as ``ChannelAdapter``s (``journeys.ports``); the
analytics' scores as a ``ScoresProvider``; the composition root registers both.
"""

from loyaldesk.journeys.actions.consent import consent_allows, consents_of, set_consent
from loyaldesk.journeys.actions.messaging_settings import (
    create_messaging_settings,
    messaging_settings,
    update_messaging_settings,
)
from loyaldesk.journeys.actions.receipts import (
    record_click,
    record_delivery_receipt,
    record_open,
    record_unsubscribe,
)
from loyaldesk.journeys.events import (
    ConsentChanged,
    CustomEventReceived,
    JourneyEntered,
    MessageSent,
    RuleLoopStopped,
    TaskCreated,
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
    Recipient,
    ScoresProvider,
    finish_delivery,
    prepare_delivery,
    provide_scores,
    register_adapter,
)
from loyaldesk.journeys.rules.variables import VARIABLES, UnknownVariable, fill, variables_in
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
    "MessageCategory",
    "MessageSent",
    "MessageTemplate",
    "Outcome",
    "OutgoingMessage",
    "Reason",
    "Recipient",
    "RuleLoopStopped",
    "RulePurpose",
    "ScoresProvider",
    "Send",
    "SendStatus",
    "StepKind",
    "StoreMessaging",
    "TaskCreated",
    "TeamTask",
    "TriggerKind",
    "UnknownVariable",
    "consent_allows",
    "consents_of",
    "create_messaging_settings",
    "fill",
    "finish_delivery",
    "messaging_settings",
    "prepare_delivery",
    "provide_scores",
    "record_click",
    "record_delivery_receipt",
    "record_open",
    "record_unsubscribe",
    "register_adapter",
    "set_consent",
    "update_messaging_settings",
    "variables_in",
]
