"""The demo store's survey answers over its last six months, so the feedback inbox and dashboards have
something true to show: an NPS survey asked of buyers a week after their order, a CSAT survey after
resolved conversations (with the agent who answered), a CES survey after some of them, answered through
``feedback.submit_answers`` on the seeding clock (so each answer carries the customer's tier and value
of that day). Scores improve a little over the months; detractors are contacted by the team (most
within a week) and some answer a follow-up survey; comments name what went well or wrong (the theme
keys beside them say what they are about; the store's classifier tags them as they arrive).

Surveys are created here as rows with validated questions; when the store's default surveys exist
(``feedback.actions.surveys``) they should be used instead."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from loyaldesk.commerce import Order, OrderLine, Product
from loyaldesk.feedback import Survey, SurveyInvitation, Theme, submit_answers
from loyaldesk.feedback.models import SurveyResponse
from loyaldesk.feedback.rules.questions import validate_questions
from loyaldesk.feedback.rules.scoring import SCORE_RANGES, bucket, score_question
from loyaldesk.feedback.vocab import SurveyKind
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.stores import StaffAccount, StoreMembership

MONTHS = 6
QUESTIONS: dict[str, list[dict[str, Any]]] = {
    "nps": [
        {
            "id": "score",
            "type": "nps",
            "text": {"en": "How likely are you to recommend Juniper to a friend?"},
        },
        {"id": "why", "type": "text", "text": {"en": "What is the main reason for your score?"}},
    ],
    "csat": [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 5,
            "text": {"en": "How satisfied were you with our help?"},
        },
        {"id": "why", "type": "text", "text": {"en": "Anything we could do better?"}},
    ],
    "ces": [
        {
            "id": "score",
            "type": "scale",
            "min": 1,
            "max": 7,
            "text": {"en": "Juniper made it easy to handle my issue."},
        },
    ],
}
NAMES = {"nps": "Relationship NPS", "csat": "Support satisfaction", "ces": "Effort after support"}
# (comment, the theme keys it is about), by bucket.
COMMENTS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "promoter": [
        ("Fast delivery and lovely packaging.", ("delivery",)),
        ("The linen shirt is great quality.", ("product_quality",)),
        ("Ana sorted my exchange in minutes, thank you!", ("staff_service",)),
        ("I love collecting points for the rewards.", ("loyalty_program",)),
        ("", ()),
    ],
    "passive": [
        ("Good products, but shipping took a while.", ("delivery",)),
        ("A bit expensive for what it is.", ("price_value",)),
        ("The website is slow on my phone.", ("website_checkout",)),
        ("", ()),
    ],
    "detractor": [
        ("My parcel arrived two weeks late.", ("delivery",)),
        ("The mug arrived broken.", ("damaged_item",)),
        ("Still waiting for my refund.", ("returns_refunds",)),
        ("Checkout kept failing.", ("website_checkout",)),
        ("Nobody answered my email for days.", ("staff_service",)),
    ],
}


def _survey(uow: UnitOfWork, store_id: int, kind: str) -> tuple[int, str, str | None]:
    """The store's default survey of ``kind`` (made with the store) or, without one, a survey made here:
    (its id, its score question's id, its first text question's id)."""
    found = uow.session.scalar(
        select(Survey)
        .where(Survey.store_id == store_id, Survey.kind == kind, Survey.builtin_key.is_not(None))
        .order_by(Survey.id)
        .limit(1)
    )
    if found is None or score_question(found.questions) is None:
        now = uow.now()
        found = Survey(
            store_id=store_id,
            kind=kind,
            name=NAMES[kind],
            status="active",
            questions=validate_questions(QUESTIONS[kind], ["en"]),
            languages=["en"],
            trigger={"kind": "api"},
            channel="email",
            created_at=now,
            updated_at=now,
        )
        uow.session.add(found)
        uow.session.flush()
    scored = score_question(found.questions)
    assert scored is not None
    text = next((str(q["id"]) for q in found.questions if q.get("type") == "text"), None)
    return found.id, str(scored["id"]), text


def _score(rng: random.Random, kind: str, progress: float) -> int:
    """A score drawn from a distribution that improves with ``progress`` (0 at the start, 1 now)."""
    lift = 0.25 * progress
    if kind == "nps":
        weights = [4, 2, 2, 3, 3, 5, 7, 10, 16, 20 + 10 * lift, 22 + 20 * lift]
        return rng.choices(range(11), weights=weights)[0]
    if kind == "csat":
        return rng.choices(range(1, 6), weights=[5, 5, 10, 30, 45 + 30 * lift])[0]
    return rng.choices(range(1, 8), weights=[3, 3, 6, 10, 18, 28, 30 + 30 * lift])[0]


def seed_feedback(database: Database, clock: FakeClock, store_id: int, end: datetime, seed: int) -> int:
    """Answers over the ``MONTHS`` months before ``end``; returns how many. Leaves the clock at ``end``."""
    rng = random.Random(seed * 11 + 16)
    start = end - timedelta(days=30 * MONTHS)
    surveys = database.write(lambda uow: {kind: _survey(uow, store_id, kind) for kind in QUESTIONS})
    with database.read() as session:
        orders = list(
            session.execute(
                select(Order.id, Order.customer_id, Order.placed_at)
                .where(Order.store_id == store_id, Order.placed_at >= start, Order.customer_id.is_not(None))
                .order_by(Order.placed_at)
            )
        )
        agents = list(
            session.scalars(
                select(StaffAccount.id)
                .join(StoreMembership, StoreMembership.staff_id == StaffAccount.id)
                .where(StoreMembership.store_id == store_id, StoreMembership.role.in_(["agent", "admin"]))
            )
        )
        themes = {
            theme.key: theme.id for theme in session.scalars(select(Theme).where(Theme.store_id == store_id))
        }
        products: dict[int, list[int]] = {}
        for order_id, product_id in session.execute(
            select(OrderLine.order_id, Product.id)
            .join(Order, Order.id == OrderLine.order_id)
            .join(
                Product,
                (Product.store_id == store_id) & (Product.external_id == OrderLine.product_external_id),
            )
            .where(Order.store_id == store_id, Order.placed_at >= start)
        ):
            products.setdefault(order_id, []).append(product_id)
    if not orders:
        return 0
    sampled = [order for order in orders if rng.random() < 0.8]
    count = 0
    for week_start in _weeks(start, end):
        week = [
            o
            for o in sampled
            if week_start <= o.placed_at + timedelta(days=7) < week_start + timedelta(days=7)
        ]
        if not week:
            continue
        clock.set(min(end, week_start + timedelta(days=3, hours=rng.randrange(8, 20))))
        progress = (week_start - start) / (end - start)
        count += database.write(
            _answer_week, store_id, surveys, week, agents, themes, rng, progress, end, products
        )
    clock.set(end)
    return count


def _weeks(start: datetime, end: datetime) -> list[datetime]:
    weeks, moment = [], start
    while moment < end:
        weeks.append(moment)
        moment += timedelta(days=7)
    return weeks


def _answer_week(
    uow: UnitOfWork,
    store_id: int,
    surveys: dict[str, tuple[int, str, str | None]],
    orders: list[Any],
    agents: list[int],
    themes: dict[str, int],
    rng: random.Random,
    progress: float,
    end: datetime,
    products: dict[int, list[int]],
) -> int:
    count = 0
    for order in orders:
        kind = rng.choices(["nps", "csat", "ces"], weights=[55, 30, 15])[0]
        agent = rng.choice(agents) if agents and kind != "nps" else None
        channel = rng.choices(["email", "widget", "sms", "member"], weights=[60, 20, 10, 10])[0]
        survey_id, score_id, text_id = surveys[kind]
        invitation = _invite(uow, store_id, survey_id, order.customer_id, channel, order.id, agent)
        invitation.product_ids = sorted(set(products.get(order.id, ())))
        if rng.random() < 0.45:
            continue  # not every customer answers
        score = _score(rng, kind, progress)
        found = bucket(kind, score, *SCORE_RANGES[SurveyKind(kind)])
        comment, _keys = rng.choice(COMMENTS[found.value if found else "passive"])
        answers: dict[str, Any] = {score_id: score}
        if comment and text_id is not None:
            answers[text_id] = comment
        response = submit_answers(uow, invitation, answers)
        count += 1
        if response.bucket == "detractor":
            count += _close_the_loop(uow, store_id, survey_id, score_id, response, rng, end)
    return count


def _invite(
    uow: UnitOfWork,
    store_id: int,
    survey_id: int,
    customer_id: int,
    channel: str,
    order_id: int | None,
    agent_id: int | None,
    follow_up_of_id: int | None = None,
) -> SurveyInvitation:
    now = uow.now()
    invitation = SurveyInvitation(
        store_id=store_id,
        survey_id=survey_id,
        customer_id=customer_id,
        channel=channel,
        token=secrets.token_urlsafe(24),
        status="asked",
        order_id=order_id,
        agent_id=agent_id,
        product_ids=[],
        follow_up_of_id=follow_up_of_id,
        idempotency_key=f"demo:{secrets.token_hex(10)}",
        asked_at=now,
        expires_at=now + timedelta(days=30),
    )
    uow.session.add(invitation)
    uow.session.flush()
    return invitation


def _close_the_loop(
    uow: UnitOfWork,
    store_id: int,
    survey_id: int,
    score_id: str,
    response: SurveyResponse,
    rng: random.Random,
    end: datetime,
) -> int:
    """The team contacts most detractors (most within a week); some answer a follow-up survey, dated
    when they answered it (the answer is created at the clock's time, then moved there). Nothing is
    dated after ``end``: a detractor too recent is not contacted yet, nor followed up."""
    contacted_at = response.created_at + timedelta(days=rng.choice((0.2, 1, 2, 3, 5, 9)))
    if rng.random() < 0.15 or contacted_at > end:
        return 0
    response.contacted_at = contacted_at
    answered_at = contacted_at + timedelta(days=rng.randrange(5, 12))
    if rng.random() < 0.5 or answered_at > end:
        return 0
    invitation = _invite(
        uow, store_id, survey_id, response.customer_id or 0, "email", None, response.agent_id, response.id
    )
    low, high = SCORE_RANGES[SurveyKind(response.survey_kind)]
    better = min(high, max(low, (response.score or low) + rng.randrange(0, (high - low) // 2 + 2)))
    follow = submit_answers(uow, invitation, {score_id: better})
    follow.created_at = follow.updated_at = answered_at
    invitation.asked_at = contacted_at + timedelta(days=3)
    return 1
