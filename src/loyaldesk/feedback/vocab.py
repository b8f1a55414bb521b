"""Every word list of feedback, spelled once: one ``StrEnum`` per vocabulary, its labels beside it."""

from __future__ import annotations

from enum import StrEnum


class SurveyKind(StrEnum):
    """What a survey measures. NPS, CSAT and CES have a score question whose answer puts the customer in
    a bucket (``rules.scoring``); a review request asks about products bought; custom is the store's own."""

    NPS = "nps"  # 0-10: how likely to recommend (relationship, on a schedule)
    CSAT = "csat"  # 1-5: how satisfied (after a conversation, after delivery)
    CES = "ces"  # 1-7: "the store made it easy to handle my issue" (after a resolved conversation)
    REVIEW = "review"  # a product review request (points for a review through the loyalty program)
    CUSTOM = "custom"


class QuestionType(StrEnum):
    NPS = "nps"  # 0-10
    SCALE = "scale"  # min..max whole numbers (CSAT 1-5, CES 1-7, a rating)
    SINGLE = "single"  # one of the options
    MULTIPLE = "multiple"  # any of the options
    TEXT = "text"  # free text


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # being built: asks nobody
    ACTIVE = "active"  # asks (its rule is on) and takes answers
    CLOSED = "closed"  # takes no more answers


class SurveyChannel(StrEnum):
    """Where a customer is asked and answers: the journeys channels plus the member page and the
    store's own site or app through the JSON API."""

    EMAIL = "email"
    SMS = "sms"
    WIDGET = "widget"
    MEMBER = "member"
    API = "api"


class InvitationStatus(StrEnum):
    ASKED = "asked"  # asked, no answer yet
    PARTIAL = "partial"  # some questions answered (kept)
    ANSWERED = "answered"  # every required question answered
    EXPIRED = "expired"  # not answered in time


class Bucket(StrEnum):
    """Where a score puts a customer. NPS: promoter 9-10, passive 7-8, detractor 0-6. CSAT: satisfied 4-5,
    neutral 3, detractor 1-2. CES: easy 5-7, neutral 4, detractor 1-3."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


class ThemeSource(StrEnum):
    MODEL = "model"  # the store's theme classifier tagged it on arrival
    AGENT = "agent"  # a person tagged or confirmed it (a correction the classifier learns from)


class PulseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# Labels per vocabulary (two vocabularies may share a value: SurveyKind.NPS and QuestionType.NPS are both
# "nps", so one dict keyed by value would mix them up).
LABELS: dict[type[StrEnum], dict[str, str]] = {
    SurveyKind: {
        SurveyKind.NPS: "Net Promoter Score (NPS)",
        SurveyKind.CSAT: "Customer satisfaction (CSAT)",
        SurveyKind.CES: "Customer effort (CES)",
        SurveyKind.REVIEW: "Product review request",
        SurveyKind.CUSTOM: "Custom survey",
    },
    QuestionType: {
        QuestionType.NPS: "0-10 likelihood",
        QuestionType.SCALE: "Scale",
        QuestionType.SINGLE: "Single choice",
        QuestionType.MULTIPLE: "Multiple choice",
        QuestionType.TEXT: "Text",
    },
    SurveyStatus: {
        SurveyStatus.DRAFT: "Draft",
        SurveyStatus.ACTIVE: "Active",
        SurveyStatus.CLOSED: "Closed",
    },
    SurveyChannel: {
        SurveyChannel.EMAIL: "Email",
        SurveyChannel.SMS: "SMS",
        SurveyChannel.WIDGET: "Chat widget",
        SurveyChannel.MEMBER: "Member page",
        SurveyChannel.API: "Your site or app (API)",
    },
    InvitationStatus: {
        InvitationStatus.ASKED: "Asked",
        InvitationStatus.PARTIAL: "Partly answered",
        InvitationStatus.ANSWERED: "Answered",
        InvitationStatus.EXPIRED: "Expired",
    },
    Bucket: {
        Bucket.PROMOTER: "Promoter",
        Bucket.PASSIVE: "Passive",
        Bucket.DETRACTOR: "Detractor",
    },
    ThemeSource: {
        ThemeSource.MODEL: "Suggested",
        ThemeSource.AGENT: "Set by the team",
    },
}


def label(value: StrEnum) -> str:
    """What a person reads for ``value`` (its vocabulary's label, else the value in words)."""
    return LABELS.get(type(value), {}).get(value, str(value).replace("_", " ").capitalize())
