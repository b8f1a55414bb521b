"""A detractor's conversation: every detractor answer opens one conversation in the support inbox
(within a minute, with the job run on a fake clock), routed to the team owning the answer's most
confident theme, high priority, labelled, with the store's detractor SLA; a comment that comes later
is added to it; the team's first reply sets ``contacted_at``; nothing opens for promoters, for a store
that switched it off, or twice.

The helpers here (a survey, an invitation, themes) are shared with the other tests of this part."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.feedback import submit_answers, update_feedback_settings
from loyaldesk.feedback.detractors import open_due
from loyaldesk.feedback.models import ResponseTheme, Survey, SurveyInvitation, SurveyResponse, Theme
from loyaldesk.feedback.rules.questions import validate_questions
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.jobs import jobs
from loyaldesk.support import Conversation, Message, SlaPolicy, change_status, post_agent_message, save_team
from tests.factories import StoreHandle

NPS_QUESTIONS = [
    {"id": "score", "type": "nps", "text": {"en": "How likely are you to recommend us?"}, "required": True},
    {
        "id": "reason",
        "type": "single",
        "text": {"en": "What was it about?"},
        "options": [{"id": "delivery", "text": {"en": "Delivery"}}, {"id": "price", "text": {"en": "Price"}}],
        "required": False,
    },
    {"id": "why", "type": "text", "text": {"en": "What should we do better?"}, "required": True},
]


def make_survey(db: Database, store: StoreHandle, kind: str = "nps", name: str = "How are we doing?") -> int:
    def create(uow: UnitOfWork) -> int:
        now = uow.now()
        survey = Survey(
            store_id=store.id, kind=kind, name=name, status="active",
            questions=validate_questions(NPS_QUESTIONS, ["en"]), languages=["en"], trigger={"kind": "api"},
            channel="email", created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(survey)
        uow.session.flush()
        return survey.id

    return db.write(create)


def make_customer(
    db: Database, store: StoreHandle, external_id: str, email: str | None = None, **more: Any
) -> int:
    profile = CustomerProfile(
        email=email or f"{external_id}@example.com", first_name=external_id.title(), **more
    )
    result = db.write(upsert_customer, store.actor, store.id, external_id, profile)
    return int(result.customer.id)


def invite(
    db: Database, store: StoreHandle, survey_id: int, customer_id: int, **context: Any
) -> SurveyInvitation:
    """An invitation as the asker makes one (the asker itself is another part's)."""

    def create(uow: UnitOfWork) -> SurveyInvitation:
        now = uow.now()
        invitation = SurveyInvitation(
            store_id=store.id, survey_id=survey_id, customer_id=customer_id, channel="email",
            token=secrets.token_urlsafe(16), status="asked", idempotency_key=f"t-{secrets.token_hex(8)}",
            asked_at=now, expires_at=now + timedelta(days=30), **context,
        )  # fmt: skip
        uow.session.add(invitation)
        uow.session.flush()
        uow.session.expunge(invitation)
        return invitation

    return db.write(create)


def answer(db: Database, invitation: SurveyInvitation, answers: dict[str, Any]) -> int:
    def submit(uow: UnitOfWork) -> int:
        fresh = uow.session.get(SurveyInvitation, invitation.id)
        assert fresh is not None
        return submit_answers(uow, fresh, answers).id

    return db.write(submit)


def make_theme(db: Database, store: StoreHandle, key: str, owner_team_id: int | None = None) -> int:
    def create(uow: UnitOfWork) -> int:
        """The store's theme ``key`` (a built-in one the store was made with, or a new one), owned by
        ``owner_team_id``."""
        theme = uow.session.scalar(select(Theme).where(Theme.store_id == store.id, Theme.key == key))
        if theme is None:
            theme = Theme(
                store_id=store.id, key=key, name=key.replace("_", " ").capitalize(), created_at=uow.now()
            )
            uow.session.add(theme)
        theme.owner_team_id = owner_team_id
        uow.session.flush()
        return theme.id

    return db.write(create)


def tag(
    db: Database, response_id: int, theme_id: int, confidence: float | None = None, present: bool = True
) -> None:
    """What the classifier (or a person) would have tagged the answer with."""

    def create(uow: UnitOfWork) -> None:
        response = uow.session.get(SurveyResponse, response_id)
        assert response is not None
        uow.session.merge(
            ResponseTheme(
                response_id=response_id, theme_id=theme_id, store_id=response.store_id,
                source="agent" if confidence is None else "model", present=present, confidence=confidence,
                at=uow.now(),
            )
        )  # fmt: skip

    db.write(create)


def run_opening_job(db: Database) -> int:
    [job] = [job for job in jobs.all() if job.name == "feedback.open_detractor_conversations"]
    return int(db.write(job.run))  # type: ignore[arg-type]


def response_row(db: Database, response_id: int) -> SurveyResponse:
    with db.read() as session:
        found = session.get(SurveyResponse, response_id)
        assert found is not None
        session.expunge(found)
        return found


def conversation_row(db: Database, conversation_id: int) -> Conversation:
    with db.read() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        session.expunge(found)
        return found


def messages_of(db: Database, conversation_id: int) -> list[tuple[str, str]]:
    with db.read() as session:
        return [
            (kind, body)
            for kind, body in session.execute(
                select(Message.author_kind, Message.body)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
        ]


@pytest.fixture
def survey(db: Database, store: StoreHandle) -> int:
    return make_survey(db, store)


def test_every_detractor_gets_a_conversation_within_a_minute(
    db: Database, store: StoreHandle, clock: FakeClock, survey: int
) -> None:
    """The score alone (the required comment not given yet): the job, run every 10 s of simulated
    time as the runner would, opens the conversation before a minute has passed."""
    emma = make_customer(db, store, "emma")
    invitation = invite(db, store, survey, emma)
    response_id = answer(db, invitation, {"score": 3})
    answered_at = clock.now()
    opened_after = None
    ticks = 0
    while ticks < 6:
        ticks += 1
        clock.advance(timedelta(seconds=10))
        dispatch_until_idle(db)
        run_opening_job(db)
        dispatch_until_idle(db)
        if response_row(db, response_id).detractor_conversation_id is not None:
            opened_after = clock.now() - answered_at
            break
    assert opened_after is not None and opened_after <= timedelta(seconds=60), opened_after
    assert ticks >= 3  # it waited for the comment (30 s) first
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_the_conversation_says_what_the_customer_answered_and_goes_to_the_themes_team(
    db: Database, store: StoreHandle, clock: FakeClock, survey: int
) -> None:
    emma = make_customer(db, store, "emma")
    delivery_team = db.write(save_team, store.actor, store.id, name="Delivery").id
    pricing_team = db.write(save_team, store.actor, store.id, name="Pricing").id
    delivery = make_theme(db, store, "delivery", delivery_team)
    price = make_theme(db, store, "price", pricing_team)
    db.write(update_feedback_settings, store.actor, store.id, {"detractor_sla_hours": 24})
    invitation = invite(db, store, survey, emma)
    response_id = answer(
        db, invitation, {"score": 2, "reason": "delivery", "why": "The parcel came a week late."}
    )
    tag(db, response_id, price, confidence=0.41)
    tag(db, response_id, delivery, confidence=0.93)
    assert run_opening_job(db) == 1  # complete: no need to wait for the comment
    dispatch_until_idle(db)
    response = response_row(db, response_id)
    assert response.detractor_conversation_id is not None
    conversation = conversation_row(db, response.detractor_conversation_id)
    assert conversation.customer_id == emma
    assert conversation.team_id == delivery_team  # the most confident theme's owner
    assert conversation.priority == "high"
    assert "detractor" in conversation.labels and "delivery" in conversation.labels
    assert conversation.subject == "Detractor: How are we doing?: 2/10"
    [(kind, body)] = messages_of(db, conversation.id)
    assert kind == "customer"
    assert "score 2 of 10" in body
    assert "What was it about? Delivery" in body
    assert "The parcel came a week late." in body
    # The SLA: support's own policy for the detractor label, the first reply due in 24 hours.
    assert conversation.sla_state == "running"
    assert conversation.sla_due_at == clock.now() + timedelta(hours=24)
    with db.read() as session:
        policy = session.get(SlaPolicy, conversation.sla_policy_id)
        assert policy is not None and policy.first_response_minutes == 24 * 60
    # Run again: never a second conversation.
    assert run_opening_job(db) == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_without_an_owning_theme_the_store_detractor_team_gets_it_else_the_usual_routing(
    db: Database, store: StoreHandle, survey: int
) -> None:
    care = db.write(save_team, store.actor, store.id, name="Customer care").id
    unowned = make_theme(db, store, "website")
    ann, bob = make_customer(db, store, "ann"), make_customer(db, store, "bob")
    first = answer(db, invite(db, store, survey, ann), {"score": 0, "why": "Checkout broke."})
    tag(db, first, unowned)
    run_opening_job(db)
    assert conversation_row(db, response_row(db, first).detractor_conversation_id or 0).team_id is None
    db.write(update_feedback_settings, store.actor, store.id, {"detractor_team_id": care})
    second = answer(db, invite(db, store, survey, bob), {"score": 1, "why": "Slow."})
    run_opening_job(db)
    assert conversation_row(db, response_row(db, second).detractor_conversation_id or 0).team_id == care


def test_no_conversation_for_promoters_passives_or_when_switched_off(
    db: Database, store: StoreHandle, clock: FakeClock, survey: int
) -> None:
    for number, score in enumerate((10, 8)):
        who = make_customer(db, store, f"happy{number}")
        answer(db, invite(db, store, survey, who), {"score": score, "why": "Fine."})
    db.write(update_feedback_settings, store.actor, store.id, {"detractor_conversations": False})
    grumpy = make_customer(db, store, "grumpy")
    response_id = answer(db, invite(db, store, survey, grumpy), {"score": 4, "why": "Meh."})
    clock.advance(timedelta(minutes=5))
    assert run_opening_job(db) == 0
    db.write(update_feedback_settings, store.actor, store.id, {"detractor_conversations": True})
    assert run_opening_job(db) == 1
    assert response_row(db, response_id).detractor_conversation_id is not None


def test_a_comment_that_comes_later_is_added_and_the_first_reply_closes_the_loop(
    db: Database, store: StoreHandle, clock: FakeClock, survey: int
) -> None:
    emma = make_customer(db, store, "emma")
    invitation = invite(db, store, survey, emma)
    response_id = answer(db, invitation, {"score": 5})
    clock.advance(timedelta(seconds=31))
    assert run_opening_job(db) == 1
    dispatch_until_idle(db)
    conversation_id = response_row(db, response_id).detractor_conversation_id
    assert conversation_id is not None
    clock.advance(timedelta(minutes=2))
    answer(db, invitation, {"why": "Nobody answered my emails."})
    dispatch_until_idle(db)
    dispatch_until_idle(db)
    said = messages_of(db, conversation_id)
    assert said[-1] == ("customer", "Nobody answered my emails.")
    assert len(said) == 2
    # An internal note is not contact; the first public reply is.
    assert response_row(db, response_id).contacted_at is None
    db.write(post_agent_message, store.actor, conversation_id, body="Looking into it", internal=True)
    dispatch_until_idle(db)
    assert response_row(db, response_id).contacted_at is None
    clock.advance(timedelta(hours=3))
    db.write(post_agent_message, store.actor, conversation_id, body="Sorry, Emma: we will call you today.")
    replied_at = clock.now()
    dispatch_until_idle(db)
    clock.advance(timedelta(hours=1))
    db.write(post_agent_message, store.actor, conversation_id, body="And here is a follow-up.")
    dispatch_until_idle(db)
    assert response_row(db, response_id).contacted_at == replied_at


def test_two_workers_never_open_two_conversations(db: Database, store: StoreHandle, survey: int) -> None:
    emma = make_customer(db, store, "emma")
    response_id = answer(db, invite(db, store, survey, emma), {"score": 1, "why": "Broken."})
    # A worker that read the answer before the other committed still writes the same conversation.
    from loyaldesk.feedback.detractors import open_conversation

    def open_twice(uow: UnitOfWork) -> tuple[int, int]:
        response = uow.session.get(SurveyResponse, response_id)
        assert response is not None
        first = open_conversation(uow, response)
        response.detractor_conversation_id = None
        second = open_conversation(uow, response)
        assert first is not None and second is not None
        return first.id, second.id

    first, second = db.write(open_twice)
    assert first == second
    assert open_due and run_opening_job(db) == 0
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 1


def test_resolving_asks_the_survey_again_once_as_a_follow_up(
    db: Database, store: StoreHandle, clock: FakeClock, survey: int
) -> None:
    """Recovery: the resolved conversation asks the same survey again (past the throttle: Emma was
    asked minutes ago), linked to the detractor answer; her new answer is a follow-up of it."""
    emma = make_customer(db, store, "emma")
    response_id = answer(db, invite(db, store, survey, emma), {"score": 1, "why": "Broken."})
    run_opening_job(db)
    conversation_id = response_row(db, response_id).detractor_conversation_id
    assert conversation_id is not None
    db.write(post_agent_message, store.actor, conversation_id, body="We sent a new one.")
    db.write(change_status, store.actor, conversation_id, "resolved")
    dispatch_until_idle(db)
    with db.read() as session:
        [follow_up] = session.scalars(
            select(SurveyInvitation).where(SurveyInvitation.follow_up_of_id == response_id)
        )
        session.expunge(follow_up)
    assert follow_up.survey_id == survey and follow_up.customer_id == emma
    assert follow_up.conversation_id == conversation_id
    # Reopened and resolved again: still one follow-up.
    db.write(change_status, store.actor, conversation_id, "open")
    db.write(change_status, store.actor, conversation_id, "resolved")
    dispatch_until_idle(db)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 2
    # Her answer to it is a recovery (7 or more), kept as a follow-up of the detractor answer.
    recovered = answer(db, follow_up, {"score": 9, "why": "Great service after all."})
    again = response_row(db, recovered)
    assert again.follow_up_of_id == response_id and again.bucket == "promoter"


def test_no_recovery_survey_when_switched_off_or_for_a_follow_up(
    db: Database, store: StoreHandle, survey: int
) -> None:
    emma, finn = make_customer(db, store, "emma"), make_customer(db, store, "finn")
    first = answer(db, invite(db, store, survey, emma), {"score": 1, "why": "Broken."})
    follow_up = answer(
        db, invite(db, store, survey, finn, follow_up_of_id=first), {"score": 2, "why": "Still."}
    )
    run_opening_job(db)
    db.write(update_feedback_settings, store.actor, store.id, {"recovery_survey": False})
    conversation_id = response_row(db, first).detractor_conversation_id
    assert conversation_id is not None
    db.write(change_status, store.actor, conversation_id, "resolved")
    dispatch_until_idle(db)
    db.write(update_feedback_settings, store.actor, store.id, {"recovery_survey": True})
    conversation_id = response_row(db, follow_up).detractor_conversation_id  # a follow-up: no loop
    assert conversation_id is not None
    db.write(change_status, store.actor, conversation_id, "resolved")
    dispatch_until_idle(db)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SurveyInvitation)) == 2
