"""What every place a customer answers a survey shares: finding the invitation a token or a shopper
holds, the language to show it in, the questions as the customer reads them, why it takes no answers
(closed, expired, answered), the store's colours with readable contrast, and a customer's answers from a
page's form fields.

Used by the survey page (``web.member.surveys``), its JSON API (``web.member.survey_api``), the widget's
survey card (``web.widget.surveys``) and the member page. Reads only; answers are written by
``feedback.submit_answers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.feedback import Survey, SurveyInvitation, SurveyResponse, SurveyStatus
from loyaldesk.feedback.rules.questions import text_of, visible
from loyaldesk.feedback.vocab import InvitationStatus, QuestionType
from loyaldesk.journeys import messaging_settings
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import Store

NOT_FOUND = "There is no such survey. Use the link from your message exactly as it is."
DEFAULT_BRAND = "#1f5fbf"
# Why an invitation takes no answers: the reason's code, as the JSON API and the pages name it.
CLOSED, EXPIRED, ANSWERED = "closed", "expired", "answered"
OPEN_STATUSES = (InvitationStatus.ASKED.value, InvitationStatus.PARTIAL.value)


@dataclass(frozen=True)
class Opened:
    """An invitation with its survey and store, and what the customer answered so far."""

    store: Store
    survey: Survey
    invitation: SurveyInvitation
    customer: Customer | None
    answers: dict[str, Any]


def open_by_token(session: Session, store_slug: str, token: str) -> Opened:
    """The invitation ``token`` opens in the store ``store_slug``; ``NotFound`` the same way for an
    unknown token, one of another store and an unknown store (nothing tells them apart)."""
    if not token or len(token) > 64 or not store_slug or len(store_slug) > 64:
        raise NotFound(NOT_FOUND)
    store = session.scalar(select(Store).where(Store.slug == store_slug))
    invitation = session.scalar(select(SurveyInvitation).where(SurveyInvitation.token == token))
    if store is None or invitation is None or invitation.store_id != store.id:
        raise NotFound(NOT_FOUND)
    return _opened(session, store, invitation)


def open_by_id(session: Session, store: Store, customer_id: int | None, invitation_id: int) -> Opened:
    """The invitation ``invitation_id`` of ``customer_id`` in ``store``; ``NotFound`` for one of
    another customer or store, exactly as for none."""
    invitation = session.get(SurveyInvitation, invitation_id)
    if (
        invitation is None
        or customer_id is None
        or invitation.store_id != store.id
        or invitation.customer_id != customer_id
    ):
        raise NotFound(NOT_FOUND)
    return _opened(session, store, invitation)


def _opened(session: Session, store: Store, invitation: SurveyInvitation) -> Opened:
    survey = session.get(Survey, invitation.survey_id)
    if survey is None:
        raise NotFound(NOT_FOUND)
    customer = session.get(Customer, invitation.customer_id)
    response = session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))
    return Opened(store, survey, invitation, customer, dict(response.answers or {}) if response else {})


def open_invitations(session: Session, store_id: int, customer_id: int, now: datetime) -> list[Opened]:
    """The customer's invitations that still take answers (asked or partly answered, not expired, their
    survey not closed), newest first."""
    rows = session.scalars(
        select(SurveyInvitation)
        .where(
            SurveyInvitation.store_id == store_id,
            SurveyInvitation.customer_id == customer_id,
            SurveyInvitation.status.in_(OPEN_STATUSES),
            SurveyInvitation.expires_at > now,
        )
        .order_by(SurveyInvitation.asked_at.desc(), SurveyInvitation.id.desc())
        .limit(20)
    ).all()
    store = session.get(Store, store_id)
    assert store is not None
    opened = [_opened(session, store, row) for row in rows]
    return [item for item in opened if refusal(item, now) is None]


def refusal(opened: Opened, now: datetime) -> str | None:
    """Why the invitation takes no answers now (``closed``, ``answered``, ``expired``), or None; in the
    order ``feedback.submit_answers`` checks them."""
    survey, invitation = opened.survey, opened.invitation
    if survey.status == SurveyStatus.CLOSED or (survey.closes_at is not None and survey.closes_at <= now):
        return CLOSED
    if invitation.status == InvitationStatus.ANSWERED:
        return ANSWERED
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        return EXPIRED
    return None


def survey_language(survey: Survey, wanted: str | None, customer: Customer | None) -> str:
    """The language to show ``survey`` in: ``wanted`` (``?lang=``), else the customer's, else the
    survey's first; only ever one of the survey's languages."""
    languages = list(survey.languages or ["en"])
    for tag in (wanted, getattr(customer, "locale", None)):
        if not tag:
            continue
        tag = tag.strip()
        if tag in languages:
            return tag
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in languages:
            return primary
    return languages[0]


def question_view(question: Mapping[str, Any], language: str, languages: Sequence[str]) -> dict[str, Any]:
    """A question as a customer reads it: its texts in ``language``, its choices spelled out (a scale's
    numbers; options with their words)."""
    kind = str(question["type"])
    view: dict[str, Any] = {
        "id": str(question["id"]),
        "type": kind,
        "text": text_of(question.get("text") or {}, language, languages),
        "required": bool(question.get("required")),
    }
    if kind in (QuestionType.NPS, QuestionType.SCALE):
        view["min"], view["max"] = int(question["min"]), int(question["max"])
        view["low"] = text_of(question.get("low") or {}, language, languages) if question.get("low") else ""
        view["high"] = (
            text_of(question.get("high") or {}, language, languages) if question.get("high") else ""
        )
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        view["options"] = [
            {"id": str(option["id"]), "text": text_of(option.get("text") or {}, language, languages)}
            for option in question.get("options") or []
        ]
    if question.get("show_if"):
        view["show_if"] = dict(question["show_if"])
    return view


def questions_view(survey: Survey, language: str) -> list[dict[str, Any]]:
    languages = list(survey.languages or ["en"])
    return [question_view(question, language, languages) for question in survey.questions or []]


def visible_ids(survey: Survey, answers: Mapping[str, Any]) -> list[str]:
    return [str(question["id"]) for question in visible(survey.questions or [], answers)]


def answers_from_form(survey: Survey, form: Mapping[str, Any], getlist: Any) -> dict[str, Any]:
    """A page's form fields (``q_<id>``) as answers: a number's or option's value as given (checked by
    ``feedback``), a multiple choice as a list, empty fields left out."""
    answers: dict[str, Any] = {}
    for question in survey.questions or []:
        name = f"q_{question['id']}"
        if question["type"] == QuestionType.MULTIPLE:
            chosen = [str(value) for value in getlist(name) if str(value)]
            if chosen:
                answers[str(question["id"])] = chosen
        else:
            value = form.get(name)
            if value is not None and str(value).strip() != "":
                answers[str(question["id"])] = str(value)
    return answers


# -- the store's colours ---------------------------------------------------------------------------


def brand_of(session: Session, store_id: int) -> tuple[str, str]:
    """The store's brand colour (``#rrggbb``) and logo address (``""`` for none), from its messaging
    settings."""
    settings = messaging_settings(session, store_id)
    colour = settings.brand_color if _is_colour(settings.brand_color) else DEFAULT_BRAND
    logo = settings.logo_url if (settings.logo_url or "").startswith(("https://", "http://")) else ""
    return colour.lower(), logo


def _is_colour(value: str | None) -> bool:
    return bool(value) and len(value or "") == 7 and (value or "").startswith("#") and _hex(value or "")


def _hex(value: str) -> bool:
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _darker(colour: str, step: float = 0.9) -> str:
    channels = [int(int(colour[i : i + 2], 16) * step) for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in channels)


def theme_css(colour: str) -> str:
    """The page's colours from the store's: ``--brand`` for buttons and the chosen answer, ``--on-brand``
    for text on it (white or near-black, whichever reads better), ``--brand-text`` the brand darkened
    until it reads on white (WCAG AA, 4.5:1) for links, outlines and headings."""
    on_brand = "#ffffff" if contrast(colour, "#ffffff") >= contrast(colour, "#111111") else "#111111"
    readable = colour
    for _ in range(40):
        if contrast(readable, "#ffffff") >= 4.5:
            break
        readable = _darker(readable)
    return f":root {{ --brand: {colour}; --on-brand: {on_brand}; --brand-text: {readable}; }}\n"
