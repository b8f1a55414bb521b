"""Members who take part against those who do not, in a period: counts, repeat-purchase rate and spend,
from a small shop whose answer is worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loyaldesk import community
from loyaldesk.analytics import community_participation
from loyaldesk.commerce import ingest_orders
from loyaldesk.community import EventIn
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.errors import Invalid
from tests.community.conftest import Forum, order

START = datetime(2026, 4, 2, tzinfo=UTC)
END = datetime(2026, 5, 1, tzinfo=UTC)


def test_participants_against_the_others(forum: Forum) -> None:
    # Before the period (the clock reads 2026-04-01 10:00): ivy's question does not make her take part.
    forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Early bird",
        body="?",
        customer_id=forum.people["ivy"],
    )
    forum.clock.set(datetime(2026, 4, 20, 9, tzinfo=UTC))
    april = datetime(2026, 4, 10, tzinfo=UTC)
    plan = {  # orders placed in the period, 2000 each
        "ann": 2,
        "bob": 1,
        "dan": 3,
        "eve": 1,
        "hal": 2,
    }
    orders = [
        order(f"{name}-april-{n}", name, april + timedelta(hours=n), ["BEANS-1"])
        for name, count in plan.items()
        for n in range(count)
    ]
    orders += [
        order("eve-cancelled", "eve", april, ["BEANS-1"], status="cancelled"),  # not counted
        order("hal-dollars", "hal", april, ["BEANS-1"], currency="USD"),  # not the store's currency
        order("gus-may", "gus", datetime(2026, 5, 2, tzinfo=UTC), ["BEANS-1"]),  # after the period
    ]
    forum.write(ingest_orders, system_for(forum.store.id), forum.store.id, orders)
    # Taking part in the period: ann asks, bob answers, cleo votes, dan goes to an event.
    thread_id = forum.write(
        community.ask_question,
        store_id=forum.store.id,
        title="Grind size?",
        body="?",
        customer_id=forum.people["ann"],
    )
    post_id = forum.write(
        community.post_answer,
        store_id=forum.store.id,
        thread_id=thread_id,
        body="Fine.",
        customer_id=forum.people["bob"],
    )
    forum.write(
        community.vote_helpful, store_id=forum.store.id, post_id=post_id, customer_id=forum.people["cleo"]
    )
    event_id = forum.write(
        community.create_event,
        store_id=forum.store.id,
        actor=forum.admin,
        event_in=EventIn(
            title="Cupping evening",
            starts_at=datetime(2026, 4, 25, 18, tzinfo=UTC),
            ends_at=datetime(2026, 4, 25, 20, tzinfo=UTC),
        ),
    )
    forum.write(
        community.rsvp,
        store_id=forum.store.id,
        thread_id=event_id,
        customer_id=forum.people["dan"],
        going=True,
    )

    with forum.db.read() as session:
        result = community.participation(session, store_id=forum.store.id, period_start=START, period_end=END)
    # Participants: ann (2 orders), bob (1), cleo (0), dan (3): 4 customers, 3 buyers, 6 orders, 12000.
    assert result.participants.as_json() == {
        "customers": 4,
        "buyers": 3,
        "orders": 6,
        "repeat_purchase_rate": pytest.approx(2 / 3),
        "spend_per_customer": 3000.0,
        "average_order_value": 2000.0,
    }
    # Others: eve (1), fay (0), gus (0 in the period), hal (2 in euros), ivy (0): 5, 2 buyers, 3 orders.
    assert result.others.as_json() == {
        "customers": 5,
        "buyers": 2,
        "orders": 3,
        "repeat_purchase_rate": 0.5,
        "spend_per_customer": 1200.0,
        "average_order_value": 2000.0,
    }
    assert result.currency == "EUR"
    assert result.as_json()["period_start"] == START.isoformat()
    # The analytics' panel: the comparison and the chart's bars.
    with forum.db.read() as session:
        panel = community_participation(session, forum.store.id, period_start=START, period_end=END)
    assert panel.spend_ratio == 2.5
    assert panel.repeat_rate_difference == pytest.approx(2 / 3 - 0.5)
    assert [(bar.measure, bar.participants, bar.others) for bar in panel.bars][1] == (
        "spend_per_customer",
        3000.0,
        1200.0,
    )
    assert panel.as_json()["participants"]["customers"] == 4


def test_an_empty_period_and_a_backwards_one(forum: Forum) -> None:
    with forum.db.read() as session:
        quiet = community.participation(
            session,
            store_id=forum.store.id,
            period_start=datetime(2025, 1, 1, tzinfo=UTC),
            period_end=datetime(2025, 2, 1, tzinfo=UTC),
        )
        assert quiet.participants.customers == 0 and quiet.participants.repeat_purchase_rate == 0.0
        assert quiet.others.customers == 0  # nobody existed yet
        with pytest.raises(Invalid) as refused:
            community.participation(session, store_id=forum.store.id, period_start=END, period_end=START)
    assert refused.value.problems[0].field == "period_end"
