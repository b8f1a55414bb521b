"""One answer with everything about it (the answer page), and what the inbox's filters offer.

Reads only; the caller has checked the reader may see the store's feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.commerce import Product
from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyResponse, Theme
from loyaldesk.feedback.queries.inbox import InboxFilters, InboxRow, responses, with_context
from loyaldesk.kernel.errors import NotFound
from loyaldesk.stores import StaffAccount, StoreMembership

OTHER_ANSWERS = 20
LISTED_PRODUCTS = 500


@dataclass(frozen=True)
class QuestionAnswer:
    """A question of the survey (its text in the survey's first language) and the answer given."""

    id: str
    text: str
    type: str
    answer: Any


@dataclass(frozen=True)
class AnswerDetail:
    """The answer page: the answer in context, each question with its answer, the customer's other
    answers (newest first), the answers that followed up on this one (recovery), the store's enabled
    themes and the ids of those the answer is tagged with now."""

    row: InboxRow
    questions: tuple[QuestionAnswer, ...]
    other_answers: tuple[InboxRow, ...]
    follow_ups: tuple[InboxRow, ...]
    enabled_themes: tuple[tuple[int, str], ...]
    current_theme_ids: frozenset[int]
    corrected_by_staff: bool


def answer_detail(session: Session, store_id: int, response_id: int) -> AnswerDetail:
    """Everything about answer ``response_id`` of the store; ``NotFound`` for an answer of another
    store, as for none."""
    response = session.get(SurveyResponse, response_id)
    if response is None or response.store_id != store_id:
        raise NotFound("no such answer")
    (row,) = with_context(session, store_id, [response])
    survey = session.get(Survey, response.survey_id)
    language = (survey.languages or ["en"])[0] if survey else "en"
    questions = tuple(
        QuestionAnswer(
            id=str(question.get("id")),
            text=_text(question.get("text"), language),
            type=str(question.get("type")),
            answer=_readable(question, response.answers.get(str(question.get("id"))), language),
        )
        for question in (survey.questions if survey else [])
    )
    others: tuple[InboxRow, ...] = ()
    if response.customer_id is not None:
        page, _ = responses(
            session, store_id, InboxFilters(customer_id=response.customer_id), limit=OTHER_ANSWERS + 1
        )
        others = tuple(other for other in page if other.id != response.id)[:OTHER_ANSWERS]
    follow_ups = with_context(
        session,
        store_id,
        list(
            session.scalars(
                select(SurveyResponse)
                .where(SurveyResponse.store_id == store_id, SurveyResponse.follow_up_of_id == response.id)
                .order_by(SurveyResponse.created_at)
            )
        ),
    )
    enabled = tuple(
        session.execute(
            select(Theme.id, Theme.name)
            .where(Theme.store_id == store_id, Theme.enabled.is_(True))
            .order_by(Theme.name)
        )
    )
    tags = list(session.scalars(select(ResponseTheme).where(ResponseTheme.response_id == response.id)))
    return AnswerDetail(
        row=row,
        questions=questions,
        other_answers=others,
        follow_ups=tuple(follow_ups),
        enabled_themes=enabled,
        current_theme_ids=frozenset(tag.theme_id for tag in tags if tag.present),
        corrected_by_staff=any(tag.staff_id is not None for tag in tags),
    )


def _text(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _readable(question: dict[str, Any], answer: Any, language: str) -> Any:
    """A choice's answer as the option's text rather than its id."""
    options = {
        str(option.get("id")): _text(option.get("text"), language) for option in question.get("options") or []
    }
    if not options or answer is None:
        return answer
    if isinstance(answer, list):
        return ", ".join(options.get(str(item), str(item)) for item in answer)
    return options.get(str(answer), answer)


@dataclass(frozen=True)
class FilterChoices:
    """What the inbox's filters offer: (value, label) pairs."""

    surveys: tuple[tuple[int, str], ...]
    themes: tuple[tuple[int, str], ...]
    tiers: tuple[str, ...]
    agents: tuple[tuple[int, str], ...]
    products: tuple[tuple[int, str], ...]


def filter_choices(session: Session, store_id: int) -> FilterChoices:
    """The store's surveys, themes, the tiers answers were given in, its staff and its products."""
    return FilterChoices(
        surveys=tuple(
            session.execute(
                select(Survey.id, Survey.name).where(Survey.store_id == store_id).order_by(Survey.name)
            )
        ),
        themes=tuple(
            session.execute(
                select(Theme.id, Theme.name).where(Theme.store_id == store_id).order_by(Theme.name)
            )
        ),
        tiers=tuple(
            tier
            for tier in session.scalars(
                select(SurveyResponse.tier)
                .where(SurveyResponse.store_id == store_id, SurveyResponse.tier.is_not(None))
                .distinct()
                .order_by(SurveyResponse.tier)
            )
            if tier
        ),
        agents=tuple(
            session.execute(
                select(StaffAccount.id, StaffAccount.name)
                .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
                .where(StoreMembership.store_id == store_id)
                .order_by(StaffAccount.name)
            )
        ),
        products=tuple(
            session.execute(
                select(Product.id, Product.title)
                .where(Product.store_id == store_id)
                .order_by(Product.title)
                .limit(LISTED_PRODUCTS)
            )
        ),
    )
