"""The questions each kind of survey starts with, in English and German, and the surveys every store
starts with (drafts: nothing is asked until a manager switches one on), plus the chat's rating, which
support asks when a conversation is resolved and feedback keeps with the other answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyaldesk.feedback.vocab import SurveyChannel, SurveyKind

CHAT_RATING = "chat-rating"


def _t(en: str, de: str) -> dict[str, str]:
    return {"en": en, "de": de}


def _reason() -> dict[str, Any]:
    return {
        "id": "reason",
        "type": "text",
        "required": False,
        "text": _t(
            "What is the main reason for your answer?", "Was ist der wichtigste Grund für Ihre Antwort?"
        ),
    }


IMPROVE_OPTIONS = [
    {"id": "delivery", "text": _t("Delivery", "Lieferung")},
    {"id": "product", "text": _t("The products", "Die Produkte")},
    {"id": "price", "text": _t("Prices", "Preise")},
    {"id": "service", "text": _t("Customer service", "Kundenservice")},
    {"id": "website", "text": _t("The website", "Die Website")},
]

QUESTIONS: dict[SurveyKind, list[dict[str, Any]]] = {
    SurveyKind.NPS: [
        {
            "id": "score",
            "type": "nps",
            "required": True,
            "text": _t(
                "How likely are you to recommend us to a friend or colleague?",
                "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
            ),
            "low": _t("Not at all likely", "Sehr unwahrscheinlich"),
            "high": _t("Extremely likely", "Äußerst wahrscheinlich"),
        },
        _reason(),
        {
            "id": "improve",
            "type": "single",
            "required": False,
            "text": _t("What should we improve first?", "Was sollten wir zuerst verbessern?"),
            "options": IMPROVE_OPTIONS,
            "show_if": {"question": "score", "op": "lte", "value": 8},
        },
    ],
    SurveyKind.CSAT: [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 5,
            "required": True,
            "text": _t(
                "How satisfied are you with your order?", "Wie zufrieden sind Sie mit Ihrer Bestellung?"
            ),
            "low": _t("Very unsatisfied", "Sehr unzufrieden"),
            "high": _t("Very satisfied", "Sehr zufrieden"),
        },
        _reason(),
    ],
    SurveyKind.CES: [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 7,
            "required": True,
            "text": _t(
                "The store made it easy to handle my issue.",
                "Der Shop hat es mir leicht gemacht, mein Anliegen zu erledigen.",
            ),
            "low": _t("Strongly disagree", "Stimme überhaupt nicht zu"),
            "high": _t("Strongly agree", "Stimme voll und ganz zu"),
        },
        {
            "id": "reason",
            "type": "text",
            "required": False,
            "text": _t("What made it easy or hard?", "Was hat es leicht oder schwer gemacht?"),
        },
    ],
    SurveyKind.REVIEW: [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 5,
            "required": True,
            "text": _t("How would you rate what you bought?", "Wie bewerten Sie, was Sie gekauft haben?"),
            "low": _t("Poor", "Schlecht"),
            "high": _t("Excellent", "Ausgezeichnet"),
        },
        {
            "id": "review",
            "type": "text",
            "required": False,
            "text": _t(
                "Write a short review for other shoppers",
                "Schreiben Sie eine kurze Bewertung für andere Kunden",
            ),
        },
    ],
    SurveyKind.CUSTOM: [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 5,
            "required": True,
            "text": _t("How did we do?", "Wie haben wir es gemacht?"),
            "low": _t("Poorly", "Schlecht"),
            "high": _t("Very well", "Sehr gut"),
        },
        _reason(),
    ],
}


@dataclass(frozen=True)
class DefaultSurvey:
    key: str
    name: str
    kind: SurveyKind
    trigger: dict[str, Any]
    channel: SurveyChannel = SurveyChannel.EMAIL
    active: bool = False
    questions: list[dict[str, Any]] = field(default_factory=list)


DEFAULT_SURVEYS: tuple[DefaultSurvey, ...] = (
    DefaultSurvey(
        "nps-relationship",
        "Net Promoter Score (monthly, 10% of customers)",
        SurveyKind.NPS,
        {"kind": "schedule", "recurrence": "monthly", "sample_percent": 10},
    ),
    DefaultSurvey(
        "csat-delivery",
        "Satisfaction after delivery",
        SurveyKind.CSAT,
        {"kind": "event", "event": "order.delivered", "delay_days": 2},
    ),
    DefaultSurvey(
        "ces-support",
        "Effort after a resolved conversation",
        SurveyKind.CES,
        {"kind": "event", "event": "conversation.resolved", "delay_days": 0},
    ),
    DefaultSurvey(
        "review-request",
        "Product review request",
        SurveyKind.REVIEW,
        {"kind": "event", "event": "order.delivered", "delay_days": 14},
    ),
    DefaultSurvey(
        CHAT_RATING,
        "Chat rating (asked in the conversation when it is resolved)",
        SurveyKind.CSAT,
        {"kind": "api"},
        channel=SurveyChannel.WIDGET,
        active=True,
        questions=[
            {
                "id": "score",
                "type": "scale",
                "min": 1,
                "max": 5,
                "required": True,
                "text": _t(
                    "How would you rate the help you received?",
                    "Wie bewerten Sie die Hilfe, die Sie bekamen?",
                ),
            },
            {"id": "comment", "type": "text", "required": False, "text": _t("Comment", "Kommentar")},
        ],
    ),
)


def default_questions(kind: SurveyKind, languages: list[str]) -> list[dict[str, Any]]:
    """The kind's questions with their texts kept for ``languages`` only (English where a language has
    no built-in words: the store writes its own)."""
    return localise(QUESTIONS[kind], languages)


def localise(questions: list[dict[str, Any]], languages: list[str]) -> list[dict[str, Any]]:
    """``questions`` with their texts kept for ``languages`` only (English for the first language when
    it has no built-in words)."""
    result = []
    for question in questions:
        copy = {key: value for key, value in question.items()}
        for part in ("text", "low", "high"):
            if part in copy:
                copy[part] = _pick(copy[part], languages)
        if "options" in copy:
            copy["options"] = [{"id": o["id"], "text": _pick(o["text"], languages)} for o in copy["options"]]
        result.append(copy)
    return result


def _pick(texts: dict[str, str], languages: list[str]) -> dict[str, str]:
    chosen = {language: texts[language] for language in languages if language in texts}
    if languages[0] not in chosen:
        chosen[languages[0]] = texts["en"]
    return chosen
