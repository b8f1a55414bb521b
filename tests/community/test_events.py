"""Events with RSVP: the capacity holds under concurrent RSVPs (one atomic update per place, and the
table's CHECK refuses an overfull event whatever writes it); one RSVP per member; giving a place back
frees it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import exc, select, text, update

from loyaldesk import community
from loyaldesk.community import EventIn
from loyaldesk.community.models import Rsvp, Thread
from loyaldesk.customers import CustomerRef, resolve_customers
from loyaldesk.kernel.errors import Conflict, Invalid, NotFound, PermissionDenied
from tests.community.conftest import Forum


def event(forum: Forum, capacity: int | None = 3, **overrides: object) -> int:
    now = forum.clock.now()
    values = {
        "title": "Latte art workshop",
        "body": "Bring a cup.",
        "starts_at": now + timedelta(days=3),
        "ends_at": now + timedelta(days=3, hours=2),
        "location": "The shop, Main Street 1",
        "capacity": capacity,
    }
    values.update(overrides)
    return forum.write(
        community.create_event,
        store_id=forum.store.id,
        actor=forum.admin,
        event_in=EventIn.model_validate(values),
    )


def rsvp(forum: Forum, thread_id: int, customer_id: int, going: bool = True) -> None:
    forum.write(
        community.rsvp, store_id=forum.store.id, thread_id=thread_id, customer_id=customer_id, going=going
    )


def test_concurrent_rsvps_never_overfill_an_event(forum: Forum) -> None:
    thread_id = event(forum, capacity=5)

    def crowd(uow):  # type: ignore[no-untyped-def]
        refs: list[CustomerRef | None] = [CustomerRef(external_id=f"fan-{n}") for n in range(24)]
        return [
            int(customer)
            for customer in resolve_customers(uow, forum.store.id, refs, source="api")
            if customer
        ]

    fans = forum.write(crowd)

    def attempt(customer_id: int) -> str:
        try:
            rsvp(forum, thread_id, customer_id)
        except Conflict:
            return "full"
        return "going"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, fans))
    assert outcomes.count("going") == 5 and outcomes.count("full") == 19
    with forum.db.read() as session:
        going = session.scalar(select(Thread.going_count).where(Thread.id == thread_id))
        rows = session.scalars(select(Rsvp.customer_id).where(Rsvp.thread_id == thread_id)).all()
        listed = community.events(session, store_id=forum.store.id, now=forum.clock.now())
    assert going == 5 and len(rows) == 5
    assert [(item.going_count, item.full) for item in listed] == [(5, True)]


def test_the_database_refuses_an_overfull_event(forum: Forum) -> None:
    thread_id = event(forum, capacity=2)

    def overfill(uow):  # type: ignore[no-untyped-def]
        uow.session.execute(update(Thread).where(Thread.id == thread_id).values(going_count=3))

    with pytest.raises(exc.IntegrityError):
        forum.write(overfill)

    def second_rsvp(uow):  # type: ignore[no-untyped-def]
        for _ in range(2):
            uow.session.execute(
                text(
                    "INSERT INTO community_rsvps (store_id, thread_id, customer_id, created_at) "
                    "VALUES (:store, :thread, :customer, :at)"
                ),
                {
                    "store": forum.store.id,
                    "thread": thread_id,
                    "customer": forum.people["ann"],
                    "at": forum.clock.now(),
                },
            )

    with pytest.raises(exc.IntegrityError):
        forum.write(second_rsvp)


def test_one_rsvp_per_member_and_cancelling_frees_the_place(forum: Forum) -> None:
    thread_id = event(forum, capacity=1)
    rsvp(forum, thread_id, forum.people["ann"])
    rsvp(forum, thread_id, forum.people["ann"])  # again: nothing changes
    with pytest.raises(Conflict):
        rsvp(forum, thread_id, forum.people["bob"])
    rsvp(forum, thread_id, forum.people["ann"], going=False)
    rsvp(forum, thread_id, forum.people["ann"], going=False)  # again: nothing changes
    rsvp(forum, thread_id, forum.people["bob"])
    with forum.db.read() as session:
        mine = community.events(
            session, store_id=forum.store.id, viewer_customer_id=forum.people["bob"], now=forum.clock.now()
        )
        view = community.thread(
            session, store_id=forum.store.id, thread_id=thread_id, viewer_customer_id=forum.people["bob"]
        )
    assert [(item.going, item.going_count) for item in mine] == [(True, 1)]
    assert view.going and view.location == "The shop, Main Street 1" and view.space_kind == "events"


def test_event_rules(forum: Forum) -> None:
    unlimited = event(forum, capacity=None)
    for name in ("ann", "bob", "cleo"):
        rsvp(forum, unlimited, forum.people[name])
    with pytest.raises(Invalid) as refused:
        event(forum, ends_at=forum.clock.now())
    assert refused.value.problems[0].field == "ends_at"
    with pytest.raises(PermissionDenied):
        forum.write(
            community.create_event,
            store_id=forum.store.id,
            actor=forum.agent,  # agents answer; managers announce events
            event_in=EventIn(
                title="x" * 5, starts_at=forum.clock.now(), ends_at=forum.clock.now() + timedelta(hours=1)
            ),
        )
    forum.clock.advance(timedelta(days=4))
    with pytest.raises(Conflict):  # it is over
        rsvp(forum, unlimited, forum.people["dan"])
    with forum.db.read() as session:
        assert community.events(session, store_id=forum.store.id, now=forum.clock.now()) == []
        past = community.events(session, store_id=forum.store.id, upcoming=False, now=forum.clock.now())
    assert [item.going_count for item in past] == [3]
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Not an event",
        body="?",
        customer_id=forum.people["ann"],
    )
    with pytest.raises(NotFound):
        rsvp(forum, thread_id, forum.people["bob"])
