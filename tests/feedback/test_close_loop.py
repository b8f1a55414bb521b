"""Closing the loop: ``mark_fixed`` tells exactly the customers who raised a theme (once each, never an
erased one), through journeys (category feedback), with goodwill points for members only; refuses bad
input naming it, storing nothing; and a property test that a broadcast's delivered messages go to
exactly the customers who raised the issue and did not opt out (journeys' deliver job, a capturing
email channel)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from loyaldesk.customers.actions import erase_customer
from loyaldesk.feedback import ThemeFixed
from loyaldesk.feedback.loop import audience, closure_detail, mark_fixed
from loyaldesk.feedback.models import LoopClosure, LoopClosureRecipient, Theme
from loyaldesk.journeys import Channel, Send, register_adapter, set_consent
from loyaldesk.journeys.actions.deliver import deliver_due
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.kernel.dispatcher import dispatch_until_idle
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.kernel.events import StoredEvent
from loyaldesk.loyalty.models import Member
from tests.factories import StoreHandle, make_store, table_counts
from tests.feedback.test_detractors import answer, invite, make_customer, make_survey, make_theme, tag
from tests.journeys.conftest import CONFIG, RecordingChannel

TABLES = ("feedback_loop_closures", "feedback_loop_closure_recipients", "journey_sends")


@pytest.fixture
def email_channel() -> Iterator[RecordingChannel]:
    saved = ADAPTERS.get("email")
    channel = RecordingChannel("email")
    register_adapter(channel)
    yield channel
    if saved is not None:
        register_adapter(saved)


def enroll(db: Database, store: StoreHandle, customer_id: int) -> None:
    from loyaldesk.loyalty.actions.enrol_members import enroll as enrol
    from loyaldesk.loyalty.program import ensure_program

    def create(uow: UnitOfWork) -> None:
        ensure_program(uow, store.id)
        enrol(uow, store.id, customer_id)

    db.write(create)


def raised(
    db: Database, store: StoreHandle, survey: int, customer_id: int, theme_id: int, **answers: Any
) -> int:
    response = answer(db, invite(db, store, survey, customer_id), {"score": 3, "why": "Late.", **answers})
    tag(db, response, theme_id)
    return response


def opt_out(db: Database, store: StoreHandle, customer_id: int) -> None:
    db.write(set_consent, store.id, customer_id, Channel.EMAIL, granted=False, source="preference_page")


def balance(db: Database, customer_id: int) -> int:
    with db.read() as session:
        member = session.scalar(select(Member).where(Member.customer_id == customer_id))
        return int(member.available_points) if member is not None else -1


def test_mark_fixed_tells_each_customer_who_raised_it_once_with_points_for_members(
    db: Database, store: StoreHandle, clock: FakeClock, email_channel: RecordingChannel
) -> None:
    survey = make_survey(db, store)
    delivery = make_theme(db, store, "delivery")
    price = make_theme(db, store, "price")
    ann, bob, cleo, dan, eve = (
        make_customer(db, store, name) for name in ("ann", "bob", "cleo", "dan", "eve")
    )
    enroll(db, store, ann)
    raised(db, store, survey, ann, delivery)
    clock.advance(timedelta(days=40))  # past the throttle: ann answered twice about it, told once
    raised(db, store, survey, ann, delivery)
    raised(db, store, survey, bob, delivery)
    raised(db, store, survey, cleo, price)  # another theme
    wrong = raised(db, store, survey, dan, delivery)
    tag(db, wrong, delivery, present=False)  # a person corrected the classifier: not about delivery
    raised(db, store, survey, eve, delivery)
    db.write(erase_customer, store.actor, store.id, eve)

    closure = db.write(
        mark_fixed,
        store.actor,
        store.id,
        theme_id=delivery,
        note="Parcels now ship the same day.",
        goodwill_points=50,
    )
    with db.read() as session:
        header, rows = closure_detail(session, store.id, closure.id)
        theme = session.get(Theme, delivery)
        assert theme is not None and theme.fixed_note == "Parcels now ship the same day."
        assert theme.fixed_at == clock.now()
    assert header.recipient_count == 2
    assert {row.customer_id: row.points_granted for row in rows} == {ann: 50, bob: 0}  # bob is no member
    assert balance(db, ann) == 50
    # Once per customer, however often it runs: the same keys.
    dispatch_until_idle(db)
    delivered = deliver_due(db, CONFIG)
    assert delivered == 2
    assert sorted(message.recipient.customer_id for message in email_channel.delivered) == [ann, bob]
    [first, *_] = email_channel.delivered
    assert "Parcels now ship the same day." in first.text
    assert first.subject == "You told us, we fixed it"
    with db.read() as session:
        _, rows = closure_detail(session, store.id, closure.id)
        assert {row.status for row in rows} == {"sent"}
        stored = session.scalar(select(func.count()).select_from(Send))
        assert stored == 2


def test_the_event_and_the_audit(db: Database, store: StoreHandle) -> None:
    survey = make_survey(db, store)
    theme = make_theme(db, store, "returns")
    raised(db, store, survey, make_customer(db, store, "ann"), theme)
    closure = db.write(mark_fixed, store.actor, store.id, theme_id=theme, note="Free returns.")
    seen: list[ThemeFixed] = []
    from loyaldesk.kernel.dispatcher import HandlerRegistry

    registry = HandlerRegistry()

    def remember(uow: UnitOfWork, stored: StoredEvent, event: ThemeFixed) -> None:
        seen.append(event)

    registry.on(ThemeFixed)(remember)
    dispatch_until_idle(db, registry)
    assert [(event.closure_id, event.theme_id, event.recipient_count) for event in seen] == [
        (closure.id, theme, 1)
    ]


def test_the_listed_answers_and_since_choose_who_is_told(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    survey = make_survey(db, store)
    theme = make_theme(db, store, "website")
    ann, bob = make_customer(db, store, "ann"), make_customer(db, store, "bob")
    raised(db, store, survey, ann, theme)
    clock.advance(timedelta(days=3))
    since = clock.now()
    late = raised(db, store, survey, bob, theme)
    with db.read() as session:
        assert [
            r.customer_id for r in audience(session, store.id, theme_id=theme, since=since).recipients
        ] == [bob]
    picked = db.write(
        mark_fixed, store.actor, store.id, response_ids=[late], note="The checkout is fast again."
    )
    with db.read() as session:
        assert [row.customer_id for row in closure_detail(session, store.id, picked.id)[1]] == [bob]
        assert session.get(Theme, theme).fixed_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"note": "   "}, "note"),
        ({"goodwill_points": -5}, "goodwill_points"),
        ({"goodwill_points": 1_000_000}, "goodwill_points"),
        ({"channel": "sms"}, "channel"),
        ({"theme_id": "nobody"}, "theme_id"),
        ({"response_ids": "foreign"}, "response_ids"),
    ],
)
def test_bad_input_is_refused_naming_it_and_stores_nothing(
    db: Database, store: StoreHandle, changes: dict[str, Any], field: str
) -> None:
    other = make_store(db, "globex")
    survey = make_survey(db, store)
    theme = make_theme(db, store, "delivery")
    raised(db, store, survey, make_customer(db, store, "ann"), theme)
    foreign_theme = make_theme(db, other, "delivery")
    foreign_answer = raised(db, other, make_survey(db, other), make_customer(db, other, "zed"), foreign_theme)
    arguments: dict[str, Any] = {"theme_id": theme, "note": "Fixed.", **changes}
    if arguments["theme_id"] == "nobody":
        arguments["theme_id"] = make_theme(db, store, "price")  # nobody raised it
    if arguments.get("response_ids") == "foreign":
        arguments["response_ids"] = [foreign_answer]
    before = table_counts(db, *TABLES)
    with pytest.raises(Invalid) as refused:
        db.write(mark_fixed, store.actor, store.id, **arguments)
    assert field in {problem.field for problem in refused.value.problems}
    assert table_counts(db, *TABLES) == before
    with db.read() as session:
        assert session.get(Theme, theme).fixed_at is None  # type: ignore[union-attr]
    with pytest.raises(NotFound):  # another store's theme: as if there were none
        db.write(mark_fixed, store.actor, store.id, theme_id=foreign_theme, note="Fixed.")
    assert table_counts(db, *TABLES) == before


def test_an_agent_may_not_mark_fixed(db: Database, store: StoreHandle) -> None:
    from loyaldesk.kernel.actors import Actor

    survey = make_survey(db, store)
    theme = make_theme(db, store, "delivery")
    raised(db, store, survey, make_customer(db, store, "ann"), theme)
    agent = Actor(kind="staff", id=99, store_id=store.id, label="Agent", role="agent")
    with pytest.raises(PermissionDenied):
        db.write(mark_fixed, agent, store.id, theme_id=theme, note="Fixed.")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoopClosure)) == 0


# One customer in a generated store: did they raise the theme, another theme, or nothing; did they opt
# out of email; were they erased; did they answer about it more than once.
CUSTOMER = st.fixed_dictionaries(
    {
        "raised": st.sampled_from(["theme", "other", "corrected", "nothing"]),
        "opted_out": st.booleans(),
        "erased": st.booleans(),
        "twice": st.booleans(),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(CUSTOMER, min_size=1, max_size=6))
def test_a_broadcast_reaches_exactly_those_who_raised_it_and_did_not_opt_out(
    db: Database, clock: FakeClock, email_channel: RecordingChannel, people: list[dict[str, Any]]
) -> None:
    store = make_store(
        db, f"s{db.write(lambda uow: uow.session.scalar(select(func.count()).select_from(Theme)))}"
    )
    survey = make_survey(db, store)
    theme, other = make_theme(db, store, "delivery"), make_theme(db, store, "price")
    expected, listed = set(), set()
    for number, person in enumerate(people):
        customer = make_customer(db, store, f"p{number}")
        if person["raised"] != "nothing":
            response = raised(db, store, survey, customer, other if person["raised"] == "other" else theme)
            responses = [response]
            if person["twice"]:
                clock.advance(timedelta(days=31))
                responses.append(
                    raised(db, store, survey, customer, other if person["raised"] == "other" else theme)
                )
            if person["raised"] == "corrected":
                for response in responses:
                    tag(db, response, theme, present=False)
        if person["opted_out"]:
            opt_out(db, store, customer)
        if person["erased"]:
            db.write(erase_customer, store.actor, store.id, customer)
        if person["raised"] == "theme" and not person["erased"]:
            listed.add(customer)
            if not person["opted_out"]:
                expected.add(customer)
    email_channel.delivered.clear()
    if not listed:
        with pytest.raises(Invalid):
            db.write(mark_fixed, store.actor, store.id, theme_id=theme, note="Fixed it.")
        return
    with db.read() as session:
        preview = audience(session, store.id, theme_id=theme)
    assert (preview.total, preview.reached, preview.opted_out) == (
        len(listed),
        len(expected),
        len(listed - expected),
    )
    closure = db.write(mark_fixed, store.actor, store.id, theme_id=theme, note="Fixed it.")
    for _ in range(2):  # however often the jobs run
        dispatch_until_idle(db)
        deliver_due(db, CONFIG)
    delivered = [message.recipient.customer_id for message in email_channel.delivered]
    assert sorted(delivered) == sorted(expected)  # each once, exactly those
    with db.read() as session:
        recipients = set(
            session.scalars(
                select(LoopClosureRecipient.customer_id).where(LoopClosureRecipient.closure_id == closure.id)
            )
        )
    assert recipients == listed


def test_the_message_is_a_journeys_template_in_the_stores_language_the_store_may_change(
    db: Database, store: StoreHandle, email_channel: RecordingChannel
) -> None:
    from loyaldesk.journeys import save_template, template_of
    from loyaldesk.stores import Store

    def german(uow: UnitOfWork) -> None:
        found = uow.session.get(Store, store.id)
        assert found is not None
        found.default_language = "de"

    db.write(german)
    survey = make_survey(db, store)
    theme = make_theme(db, store, "delivery")
    raised(db, store, survey, make_customer(db, store, "ann"), theme)
    db.write(mark_fixed, store.actor, store.id, theme_id=theme, note="Pakete gehen am selben Tag raus.")
    with db.read() as session:
        template = template_of(session, store.id, "feedback_fixed")
        assert template is not None and template.subject == "Sie haben es uns gesagt, wir haben es behoben"
    # The store rewrites it in the template editor's terms; the next broadcast uses its words.
    db.write(save_template, store.actor, store.id, "feedback_fixed", {"subject": "Erledigt: {{ fix_note }}"})
    raised(db, store, survey, make_customer(db, store, "bob"), theme)
    db.write(mark_fixed, store.actor, store.id, theme_id=theme, note="Wirklich behoben.")
    dispatch_until_idle(db)
    deliver_due(db, CONFIG)
    assert sorted(message.subject for message in email_channel.delivered) == [
        "Erledigt: Pakete gehen am selben Tag raus.",
        "Erledigt: Wirklich behoben.",
        "Erledigt: Wirklich behoben.",
    ]
