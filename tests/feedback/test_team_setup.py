"""Setting the scene for the team tests (no tests here): staff with names, a survey, a conversation an
agent served, a customer's answer about it (through ``feedback.submit_answers``, the customer's own
path), and console clients logged in as each person. What the tests then check goes through HTTP and
the console's socket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.feedback import Survey, SurveyInvitation, submit_answers
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.runtime import Runtime
from loyaldesk.stores import StaffAccount
from loyaldesk.stores import actions as store_actions
from loyaldesk.support import Conversation, post_customer_message
from loyaldesk.support.actions.contacts import identify_contact
from tests.factories import TEST_PASSWORD, StoreHandle, app_serving, csrf_of, login

CSAT_QUESTIONS = [
    {
        "id": "score",
        "type": "scale",
        "min": 1,
        "max": 5,
        "text": {"en": "How satisfied are you?"},
        "required": True,
    },
    {"id": "comment", "type": "text", "text": {"en": "Anything to add?"}, "required": False},
]
NPS_QUESTIONS = [
    {"id": "score", "type": "nps", "min": 0, "max": 10, "text": {"en": "Recommend us?"}, "required": True},
    {"id": "comment", "type": "text", "text": {"en": "Why?"}, "required": False},
]
RATING_QUESTIONS = [  # a custom survey's own 0-3 rating
    {"id": "stars", "type": "scale", "min": 0, "max": 3, "text": {"en": "Stars?"}, "required": True},
    {"id": "words", "type": "text", "text": {"en": "Words?"}, "required": False},
]


def add_staff(db: Database, store: StoreHandle, name: str, role: str, password_hash: str) -> int:
    """A staff member of ``store`` called ``name``; returns their id (email: first name @ store)."""
    email = f"{name.split()[0].lower()}@{store.slug}.example.com"
    db.write(
        store_actions.add_staff_member,
        system_for(store.id),
        store.id,
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
    )
    with db.read() as session:
        return int(session.scalar(select(StaffAccount.id).where(StaffAccount.email == email)))


def make_customer(db: Database, store: StoreHandle, external_id: str) -> int:
    """A customer of the store (its id)."""
    from loyaldesk.customers import CustomerRef, resolve_customers

    def create(uow):  # type: ignore[no-untyped-def]
        [customer_id] = resolve_customers(uow, store.id, [CustomerRef(external_id=external_id)], source="api")
        return customer_id

    return int(db.write(create))


def email_of(name: str, store: StoreHandle) -> str:
    return f"{name.split()[0].lower()}@{store.slug}.example.com"


def make_survey(db: Database, store: StoreHandle, kind: str, questions: list[dict[str, Any]]) -> int:
    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        survey = Survey(
            store_id=store.id,
            kind=kind,
            name=f"{kind} survey",
            status="active",
            questions=questions,
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


def served_conversation(
    db: Database, store: StoreHandle, agent_id: int | None, *, resolved: bool = False, customer: str = "c-1"
) -> tuple[int, int]:
    """A customer's chat ``agent_id`` served (resolved now when asked): (conversation, customer)."""
    customer_id = make_customer(db, store, customer)

    def create(uow):  # type: ignore[no-untyped-def]
        contact = identify_contact(uow, store.id, customer_id=customer_id, visitor_token=None)
        message = post_customer_message(uow, contact.contact_id, body="help me please", new_thread=True)
        conversation = uow.session.get(Conversation, message.conversation_id)
        conversation.assignee_id = agent_id
        if resolved:
            conversation.status = "resolved"
            conversation.resolved_at = uow.now()
        return conversation.id

    return int(db.write(create)), customer_id


def customer_answers(
    db: Database,
    store: StoreHandle,
    survey_id: int,
    answers: dict[str, Any],
    *,
    agent_id: int | None,
    conversation_id: int | None = None,
    customer_id: int | None = None,
) -> int:
    """A customer invited to ``survey_id`` about the agent's conversation answers ``answers``; the
    events are dispatched as the background would. Returns the response id."""
    if customer_id is None:
        customer_id = make_customer(db, store, f"c-{uuid.uuid4().hex[:8]}")

    def invite(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        invitation = SurveyInvitation(
            store_id=store.id,
            survey_id=survey_id,
            customer_id=customer_id,
            channel="email",
            token=uuid.uuid4().hex,
            status="asked",
            conversation_id=conversation_id,
            agent_id=agent_id,
            product_ids=[],
            idempotency_key=uuid.uuid4().hex,
            asked_at=now,
            expires_at=now + timedelta(days=30),
        )
        uow.session.add(invitation)
        uow.session.flush()
        return invitation.id

    invitation_id = db.write(invite)
    response_id = answer_more(db, invitation_id, answers)
    return response_id


def answer_more(db: Database, invitation_id: int, answers: dict[str, Any]) -> int:
    def answer(uow):  # type: ignore[no-untyped-def]
        invitation = uow.session.get(SurveyInvitation, invitation_id)
        return submit_answers(uow, invitation, answers).id

    response_id = int(db.write(answer))
    dispatch_until_idle(db)
    return response_id


@contextmanager
def console_clients(runtime: Runtime, store: StoreHandle, *names: str) -> Iterator[dict[str, TestClient]]:
    """A logged-in console client per staff name (and "anonymous")."""
    with ExitStack() as stack:
        app = stack.enter_context(app_serving(runtime))
        clients: dict[str, TestClient] = {}
        for name in ("anonymous", *names):
            client = stack.enter_context(TestClient(app, base_url="https://testserver"))
            if name != "anonymous":
                login(client, email_of(name, store), TEST_PASSWORD)
            clients[name] = client
        yield clients


def csrf(client: TestClient, slug: str) -> str:
    return csrf_of(client.get(f"/console/{slug}/team/shoutouts/new").text)
