"""Surveys and invitations for the tests of where customers answer: rows made directly (the asking side,
``feedback.ask_customer``, has its own tests), answered only through HTTP."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from loyaldesk.customers import upsert_customer
from loyaldesk.customers.schemas import CustomerProfile
from loyaldesk.feedback import Survey, SurveyInvitation, SurveyResponse
from loyaldesk.kernel.db import Database, UnitOfWork
from tests.factories import StoreHandle

NPS_QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "score",
        "type": "nps",
        "text": {"en": "How likely are you to recommend us?", "de": "Wie wahrscheinlich empfehlen Sie uns?"},
        "required": True,
        "min": 0,
        "max": 10,
        "low": {"en": "Not likely", "de": "Unwahrscheinlich"},
        "high": {"en": "Very likely", "de": "Sehr wahrscheinlich"},
    },
    {
        "id": "why_low",
        "type": "single",
        "text": {"en": "What went wrong?", "de": "Was lief schief?"},
        "required": True,
        "options": [
            {"id": "delivery", "text": {"en": "Delivery", "de": "Lieferung"}},
            {"id": "product", "text": {"en": "The product", "de": "Das Produkt"}},
        ],
        "show_if": {"question": "score", "op": "lte", "value": 6},
    },
    {
        "id": "liked",
        "type": "multiple",
        "text": {"en": "What did you like?", "de": "Was hat Ihnen gefallen?"},
        "required": True,
        "options": [
            {"id": "price", "text": {"en": "The price", "de": "Der Preis"}},
            {"id": "speed", "text": {"en": "The speed", "de": "Die Geschwindigkeit"}},
        ],
        "show_if": {"question": "score", "op": "gte", "value": 7},
    },
    {
        "id": "comment",
        "type": "text",
        "text": {"en": "Anything else?", "de": "Noch etwas?"},
        "required": False,
    },
]


def make_customer(
    db: Database, store: StoreHandle, external_id: str = "c-1", locale: str | None = None
) -> int:
    profile = CustomerProfile(
        first_name="Ada", last_name="L", email=f"{external_id}@example.com", locale=locale
    )
    return int(db.write(upsert_customer, store.actor, store.id, external_id, profile).customer.id)


def make_survey(
    db: Database,
    store: StoreHandle,
    *,
    questions: list[dict[str, Any]] | None = None,
    languages: list[str] | None = None,
    status: str = "active",
    kind: str = "nps",
    name: str = "How are we doing?",
) -> int:
    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        survey = Survey(
            store_id=store.id,
            kind=kind,
            name=name,
            status=status,
            questions=questions or NPS_QUESTIONS,
            languages=languages or ["en", "de"],
            trigger={"kind": "api"},
            channel="email",
            created_at=now,
            updated_at=now,
        )
        uow.session.add(survey)
        uow.session.flush()
        return survey.id

    return int(db.write(create))


def invite(
    db: Database,
    store: StoreHandle,
    survey_id: int,
    customer_id: int,
    *,
    days: int = 30,
    channel: str = "email",
) -> tuple[int, str]:
    token = secrets.token_urlsafe(24)

    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        invitation = SurveyInvitation(
            store_id=store.id,
            survey_id=survey_id,
            customer_id=customer_id,
            channel=channel,
            token=token,
            status="asked",
            product_ids=[],
            idempotency_key=f"test:{token}",
            asked_at=now,
            expires_at=now + timedelta(days=days),
        )
        uow.session.add(invitation)
        uow.session.flush()
        return invitation.id

    return int(db.write(create)), token


def response_of(db: Database, invitation_id: int) -> SurveyResponse | None:
    with db.read() as session:
        response = session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation_id))
        if response is not None:
            session.expunge(response)
        return response


def invitation_status(db: Database, invitation_id: int) -> str:
    with db.read() as session:
        invitation = session.get(SurveyInvitation, invitation_id)
        assert invitation is not None
        return invitation.status
