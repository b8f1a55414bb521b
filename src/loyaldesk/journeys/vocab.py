"""Every word list of journeys, spelled once: one ``StrEnum`` per vocabulary, its labels beside it.

Rules, steps, sends and the explain record store these values; the console shows their labels; the API
schemas take them. ``LABELS`` maps each value to what a store manager reads.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """How a message reaches a customer."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WIDGET = "widget"  # a proactive message in the chat widget while the customer is on the site


class MessageCategory(StrEnum):
    """Why a message is sent, which decides the rules it obeys. Marketing needs consent per channel, is
    capped and waits for the recipient's waking hours; transactional and support messages are neither
    capped nor held (an order update, a reply about a case)."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    SUPPORT = "support"
    # A survey, or a reply to what the customer told the store ("we fixed it"): service, not promotion.
    # It waits for the recipient's waking hours like marketing, is not counted against the marketing caps
    # (surveys have one throttle of their own, in feedback), and is never sent on a channel the customer
    # opted out of; it needs no prior marketing opt-in (decision 0034).
    FEEDBACK = "feedback"


class RulePurpose(StrEnum):
    """Where a rule is listed: the desk's automations, lifecycle journeys, or campaigns."""

    SUPPORT = "support"
    JOURNEY = "journey"
    CAMPAIGN = "campaign"
    SURVEY = "survey"  # the rule that asks a feedback survey (managed from the survey, not edited alone)


class TriggerKind(StrEnum):
    """What starts a rule for a customer."""

    EVENT = "event"  # a domain event or a custom event the store posts
    DATE = "date"  # a date of the customer's (birthday, points expiring on)
    SEGMENT = "segment"  # the customer entered a segment (RFM segment, tier, tag, churn risk)
    ATTRIBUTE = "attribute"  # a customer attribute reached a value
    SCHEDULE = "schedule"  # a campaign: once at a time, or recurring


class StepKind(StrEnum):
    """What one step of a rule does."""

    SEND = "send"
    WAIT = "wait"  # a duration
    WAIT_UNTIL = "wait_until"  # a time of day / a date
    WAIT_FOR_EVENT = "wait_for_event"  # an event about the same customer, or a timeout
    BRANCH = "branch"  # a condition: go on at one step or another
    SPLIT = "split"  # A/B variants by share
    GRANT_POINTS = "grant_points"
    GRANT_REWARD = "grant_reward"
    TAG_CUSTOMER = "tag_customer"
    TAG_CONVERSATION = "tag_conversation"
    ASSIGN = "assign"
    SET_PRIORITY = "set_priority"
    REPLY = "reply"  # an automatic reply in the conversation
    CREATE_TASK = "create_task"
    CALL_WEBHOOK = "call_webhook"
    ASK_SURVEY = "ask_survey"  # ask a feedback survey (``journeys.ports.SurveyAsker``: throttle, invitation)
    EXIT = "exit"


class EnrollmentStatus(StrEnum):
    """Where one customer's run of a rule is."""

    DUE = "due"  # its next step is due at ``due_at``
    WAITING_EVENT = "waiting_event"
    DONE = "done"
    EXITED = "exited"
    HELD_OUT = "held_out"  # in the holdout group: measured, never contacted
    FAILED = "failed"


class SendStatus(StrEnum):
    """The life of one message."""

    QUEUED = "queued"
    DEFERRED = "deferred"  # waiting for quiet hours or a cap to pass
    CLAIMED = "claimed"  # taken and rendered by a worker, not yet handed to its channel
    SENDING = "sending"  # being handed to its channel; its outcome is being learnt
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"  # not sent, on purpose (consent, no address, holdout)
    DROPPED = "dropped"  # could wait no longer (expired while deferred)
    UNKNOWN = "unknown"  # a worker died mid-send and the channel cannot tell: never sent again


class Reason(StrEnum):
    """Why something did not happen, or happened later (the explain view's words)."""

    NOT_MATCHED = "not_matched"
    ALREADY_ENTERED = "already_entered"
    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"  # a survey or feedback reply to a customer who opted out of the channel
    SURVEY_THROTTLE = "survey_throttle"  # asked for feedback within the store's window already
    UNSUBSCRIBED = "unsubscribed"
    QUIET_HOURS = "quiet_hours"
    HOLIDAY = "holiday"
    CAP = "cap"
    HOLDOUT = "holdout"
    ALREADY_SENT = "already_sent"
    NO_ADDRESS = "no_address"
    EXPIRED = "expired"
    LOOP_LIMIT = "loop_limit"
    ERASED = "erased"
    CHANNEL_OFF = "channel_off"
    RULE_OFF = "rule_off"
    DELIVERY_FAILED = "delivery_failed"
    OUTCOME_UNKNOWN = "outcome_unknown"
    WITHDRAWN = "withdrawn"  # the sender took it back before it went (a cancelled session's reminder)


class Outcome(StrEnum):
    """One line of the explain record."""

    ENTERED = "entered"
    NOT_ENTERED = "not_entered"
    HELD_OUT = "held_out"
    STEP = "step"
    QUEUED = "queued"
    SENT = "sent"
    DEFERRED = "deferred"
    SUPPRESSED = "suppressed"
    FAILED = "failed"
    EXITED = "exited"
    DONE = "done"
    LOOP_STOPPED = "loop_stopped"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


LABELS: dict[StrEnum, str] = {
    Channel.EMAIL: "Email",
    Channel.SMS: "SMS",
    Channel.PUSH: "Web push",
    Channel.WIDGET: "Chat widget",
    MessageCategory.MARKETING: "Marketing",
    MessageCategory.TRANSACTIONAL: "Transactional",
    MessageCategory.SUPPORT: "Support",
    MessageCategory.FEEDBACK: "Surveys and feedback",
    RulePurpose.SUPPORT: "Support automation",
    RulePurpose.JOURNEY: "Journey",
    RulePurpose.CAMPAIGN: "Campaign",
    RulePurpose.SURVEY: "Survey",
    TriggerKind.EVENT: "When an event happens",
    TriggerKind.DATE: "On a date of the customer's",
    TriggerKind.SEGMENT: "When a customer enters a segment",
    TriggerKind.ATTRIBUTE: "When an attribute reaches a value",
    TriggerKind.SCHEDULE: "On a schedule",
    Reason.NOT_MATCHED: "Conditions not met",
    Reason.ALREADY_ENTERED: "Already entered for this occurrence",
    Reason.NO_CONSENT: "No marketing consent on this channel",
    Reason.OPTED_OUT: "The customer opted out of this channel",
    Reason.SURVEY_THROTTLE: "Asked for feedback recently (the store's survey throttle)",
    Reason.UNSUBSCRIBED: "Unsubscribed",
    Reason.QUIET_HOURS: "Quiet hours in the customer's time zone",
    Reason.HOLIDAY: "Public holiday in the customer's country",
    Reason.CAP: "Frequency cap reached",
    Reason.HOLDOUT: "In the holdout group",
    Reason.ALREADY_SENT: "Already sent",
    Reason.NO_ADDRESS: "No address for this channel",
    Reason.EXPIRED: "Could not wait any longer",
    Reason.LOOP_LIMIT: "Stopped: rules triggering each other too deep",
    Reason.ERASED: "Customer erased",
    Reason.CHANNEL_OFF: "Channel not set up",
    Reason.RULE_OFF: "Rule switched off",
    Reason.DELIVERY_FAILED: "Delivery failed",
    Reason.OUTCOME_UNKNOWN: "Delivery outcome unknown (not retried, to never send twice)",
    Reason.WITHDRAWN: "Withdrawn: what it was about no longer holds",
}


def label(value: StrEnum) -> str:
    return LABELS.get(value, str(value).replace("_", " ").capitalize())
