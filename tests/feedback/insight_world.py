"""Surveys, invitations and answers for the inbox and dashboard tests, made the way the product makes
them: a survey with validated questions, an invitation carrying its context (what the asker writes),
and the customer's answers through ``feedback.submit_answers`` (tier and value read then)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.feedback import Survey, SurveyInvitation, submit_answers
from loyaldesk.feedback.rules.questions import validate_questions
from loyaldesk.kernel.db import Database

QUESTIONS = {
    "nps": [
        {
            "id": "score",
            "type": "nps",
            "text": {"en": "How likely are you to recommend us?"},
            "required": True,
        },
        {"id": "why", "type": "text", "text": {"en": "What is the main reason?"}, "required": True},
    ],
    "csat": [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 5,
            "text": {"en": "How satisfied were you?"},
            "required": True,
        },
        {"id": "why", "type": "text", "text": {"en": "Anything to add?"}},
    ],
    "ces": [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 7,
            "text": {"en": "The store made it easy to handle my issue."},
            "required": True,
        },
        {"id": "why", "type": "text", "text": {"en": "Anything to add?"}},
    ],
}


def make_survey(db: Database, store_id: int, kind: str = "nps", name: str | None = None) -> int:
    """An active survey of ``kind`` (nps, csat or ces): a score question and a text question."""

    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        survey = Survey(
            store_id=store_id,
            kind=kind,
            name=name or f"{kind.upper()} survey",
            status="active",
            questions=validate_questions(QUESTIONS[kind], ["en"]),
            languages=["en"],
            trigger={"kind": "api"},
            channel="email",
            created_at=now,
            updated_at=now,
        )
        uow.session.add(survey)
        uow.session.flush()
        return survey.id

    return int(db.write(create))


def ask(
    db: Database,
    store_id: int,
    survey_id: int,
    customer_id: int,
    *,
    channel: str = "email",
    order_id: int | None = None,
    conversation_id: int | None = None,
    agent_id: int | None = None,
    product_ids: Sequence[int] = (),
    follow_up_of_id: int | None = None,
) -> int:
    """An invitation to ``survey_id`` for the customer, asked now (the database's clock)."""

    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        invitation = SurveyInvitation(
            store_id=store_id,
            survey_id=survey_id,
            customer_id=customer_id,
            channel=channel,
            token=secrets.token_urlsafe(24),
            status="asked",
            order_id=order_id,
            conversation_id=conversation_id,
            agent_id=agent_id,
            product_ids=list(product_ids),
            follow_up_of_id=follow_up_of_id,
            idempotency_key=f"test:{secrets.token_hex(8)}",
            asked_at=now,
            expires_at=now + timedelta(days=30),
        )
        uow.session.add(invitation)
        uow.session.flush()
        return invitation.id

    return int(db.write(create))


def answer(db: Database, invitation_id: int, answers: dict[str, Any]) -> int:
    """The customer's answers to the invitation through ``submit_answers``; the response's id."""

    def submit(uow):  # type: ignore[no-untyped-def]
        invitation = uow.session.get(SurveyInvitation, invitation_id)
        return submit_answers(uow, invitation, answers).id

    return int(db.write(submit))


def answered(
    db: Database,
    store_id: int,
    survey_id: int,
    customer_id: int,
    score: int,
    comment: str | None = None,
    **context: Any,
) -> int:
    """Ask and answer in one go: the score and, if given, the comment."""
    invitation = ask(db, store_id, survey_id, customer_id, **context)
    answers: dict[str, Any] = {"score": score}
    if comment:
        answers["why"] = comment
    return answer(db, invitation, answers)


def answered_many(
    db: Database, store_id: int, survey_id: int, customer_id: int, scores: Sequence[int]
) -> list[int]:
    """Many answers of one customer in one transaction (asked and answered at the clock's time)."""

    def create(uow):  # type: ignore[no-untyped-def]
        made = []
        for index, score in enumerate(scores):
            now = uow.now()
            invitation = SurveyInvitation(
                store_id=store_id,
                survey_id=survey_id,
                customer_id=customer_id,
                channel="email",
                token=secrets.token_urlsafe(24),
                status="asked",
                product_ids=[],
                idempotency_key=f"many:{secrets.token_hex(8)}:{index}",
                asked_at=now,
                expires_at=now + timedelta(days=30),
            )
            uow.session.add(invitation)
            uow.session.flush()
            made.append(submit_answers(uow, invitation, {"score": score}).id)
        return made

    return list(db.write(create))


def make_customer(client: TestClient, auth: dict[str, str], external_id: str, first_name: str) -> int:
    response = client.post(
        "/api/v1/customers",
        json={"external_id": external_id, "email": f"{external_id}@example.com", "first_name": first_name},
        headers=auth,
    )
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def make_product(client: TestClient, auth: dict[str, str], external_id: str, title: str) -> int:
    response = client.post(
        "/api/v1/products",
        json={"external_id": external_id, "title": title, "price": 2500, "currency": "EUR"},
        headers=auth,
    )
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])
