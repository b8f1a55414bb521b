"""The engine end to end on a real database: events start rules, runs wait as rows, messages go out once,
loops stop, and every decision is explained."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from loyaldesk.journeys import Decision, Enrollment, JourneyRule, Send
from loyaldesk.journeys.actions.custom_events import record_custom_event
from loyaldesk.journeys.actions.deliver import claim_due, mark_sending, recover_stale
from loyaldesk.journeys.actions.enroll import MAX_CHAIN_DEPTH
from loyaldesk.journeys.handlers import react
from loyaldesk.journeys.ports import DeliveryStatus
from loyaldesk.journeys.schemas import CustomEventIn
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.events import EventRecord, StoredEvent
from tests.journeys.conftest import CONFIG, Engine, RecordingChannel

HOOK = {"kind": "call_webhook", "url": "https://shop.example.com/hooks/journey"}


def _count(engine: Engine, model, *where) -> int:  # type: ignore[no-untyped-def]
    with engine.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _cart(engine: Engine, customer_id: int) -> None:
    engine.db.write(
        record_custom_event,
        engine.store.actor,
        engine.store.id,
        CustomEventIn(name="cart_abandoned", customer_id=customer_id, properties={"value": 42}),
    )


def test_a_custom_event_starts_a_rule_that_waits_then_calls_out_once(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"},
        category="transactional",
        conditions={"all": [{"field": "event.properties.value", "op": "gte", "value": 20}]},
        steps=[{"kind": "wait", "hours": 1}, HOOK],
    )
    customer = engine.customer()
    _cart(engine, customer)
    engine.settle()
    assert webhook_channel.delivered == []  # waiting its hour, as a row
    engine.later(minutes=59)
    assert webhook_channel.delivered == []
    engine.later(minutes=1, seconds=5)
    assert len(webhook_channel.delivered) == 1
    message = webhook_channel.delivered[0]
    assert message.payload["customer_id"] == customer
    assert message.payload["context"]["event"]["properties"] == {"value": 42}
    engine.later(hours=5)
    assert len(webhook_channel.delivered) == 1
    assert _count(engine, Enrollment, Enrollment.status == "done") == 1


def test_waiting_for_an_event_ends_the_run_when_it_comes(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"},
        category="transactional",
        steps=[
            {"kind": "wait_for_event", "event": "custom:checkout", "timeout_hours": 1, "on_event": "exit"},
            HOOK,
        ],
    )
    bought, left = engine.customer("c-1"), engine.customer("c-2")
    _cart(engine, bought)
    _cart(engine, left)
    engine.settle()
    engine.db.write(
        record_custom_event,
        engine.store.actor,
        engine.store.id,
        CustomEventIn(name="checkout", customer_id=bought),
    )
    engine.later(minutes=30)
    engine.later(minutes=31)
    assert [m.payload["customer_id"] for m in webhook_channel.delivered] == [left]
    assert _count(engine, Enrollment, Enrollment.customer_id == bought, Enrollment.status == "exited") == 1


def test_conditions_that_fail_are_recorded_with_what_was_found(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    rule_id = engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"},
        category="transactional",
        conditions={"all": [{"field": "customer.tags", "op": "contains", "value": "vip"}]},
        steps=[HOOK],
    )
    customer = engine.customer(tags=["regular"])
    _cart(engine, customer)
    engine.settle()
    assert webhook_channel.delivered == []
    with engine.db.read() as session:
        decision = session.scalar(select(Decision).where(Decision.rule_id == rule_id))
    assert decision is not None and decision.outcome == "not_entered" and decision.reason == "not_matched"
    assert decision.details["tests"] == [
        {
            "field": "customer.tags",
            "op": "contains",
            "expected": "vip",
            "actual": ["regular"],
            "passed": False,
        }
    ]


def test_a_duplicate_event_enters_once(engine: Engine, webhook_channel: RecordingChannel) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"}, category="transactional", steps=[HOOK]
    )
    customer = engine.customer()
    _cart(engine, customer)
    with engine.db.read() as session:
        record = session.scalar(select(EventRecord).where(EventRecord.event_type == "custom.event"))
        stored = StoredEvent.from_record(record)
    engine.db.write(react, [stored])
    engine.db.write(react, [stored])  # delivered again (a retry after a crash)
    engine.settle()  # and once more by the dispatcher itself
    assert len(webhook_channel.delivered) == 1
    assert _count(engine, Send) == 1


def _claim_as_a_worker_that_dies(engine: Engine, *, handing_over: bool) -> None:
    from loyaldesk.journeys.actions.run_steps import run_due
    from loyaldesk.kernel.dispatcher import dispatch_until_idle

    dispatch_until_idle(engine.db)
    engine.db.write(run_due)
    claimed = engine.db.write(claim_due, CONFIG)  # the worker claims it ...
    assert len(claimed) == 1
    if handing_over:  # ... starts handing it to the channel ...
        engine.db.write(mark_sending, [claimed[0].send_id])
    # ... and dies before the channel's answer is recorded.


def test_a_worker_killed_while_handing_a_message_over_never_sends_it_twice(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"}, category="transactional", steps=[HOOK]
    )
    _cart(engine, engine.customer())
    _claim_as_a_worker_that_dies(engine, handing_over=True)
    engine.later(minutes=5)
    assert webhook_channel.delivered == []  # still leased: nobody else takes it
    engine.later(minutes=6)
    assert webhook_channel.delivered == []
    with engine.db.read() as session:
        send = session.scalar(select(Send))
    assert send is not None and send.status == "unknown" and send.reason == "outcome_unknown"
    assert engine.db.write(recover_stale, CONFIG) == 0


def test_a_worker_killed_before_handing_a_message_over_leaves_it_to_the_next(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"}, category="transactional", steps=[HOOK]
    )
    _cart(engine, engine.customer())
    _claim_as_a_worker_that_dies(engine, handing_over=False)
    engine.later(minutes=5)
    assert webhook_channel.delivered == []
    engine.later(minutes=6)
    assert len(webhook_channel.delivered) == 1
    engine.later(minutes=30)
    assert len(webhook_channel.delivered) == 1


def test_passing_failures_are_retried_with_backoff_then_given_up(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    webhook_channel.answers = [DeliveryStatus.RETRY, DeliveryStatus.RETRY, DeliveryStatus.SENT]
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"}, category="transactional", steps=[HOOK]
    )
    _cart(engine, engine.customer("c-1"))
    engine.settle()
    assert webhook_channel.delivered == []
    engine.later(seconds=31)
    assert webhook_channel.delivered == []
    engine.later(minutes=2, seconds=1)
    assert len(webhook_channel.delivered) == 1
    webhook_channel.answers = [DeliveryStatus.FAILED]
    _cart(engine, engine.customer("c-2"))
    engine.settle()
    with engine.db.read() as session:
        statuses = sorted(session.scalars(select(Send.status)))
    assert statuses == ["failed", "sent"]


def test_rules_that_trigger_each_other_stop_at_the_depth_limit(engine: Engine) -> None:
    from tests.factories import make_member

    make_member(engine.db, engine.store, "loopy")
    rule_id = engine.rule(
        name="Points beget points",
        category="transactional",
        trigger={"kind": "event", "event": "loyalty.points_changed"},
        steps=[{"kind": "grant_points", "points": 1, "reason": "loop"}],
    )
    from loyaldesk.customers import grant_goodwill_points

    def first(uow):  # type: ignore[no-untyped-def]
        from loyaldesk.customers import Customer

        customer = uow.session.scalar(select(Customer).where(Customer.external_id == "loopy"))
        grant_goodwill_points(
            uow,
            engine.store.id,
            customer.id,
            points=5,
            note="start",
            key="start",
            reason_code="goodwill",
            actor_label="test",
        )

    engine.db.write(first)
    for _ in range(3 * MAX_CHAIN_DEPTH):
        engine.settle()
    assert (
        _count(engine, Enrollment, Enrollment.rule_id == rule_id, Enrollment.status != "exited")
        == MAX_CHAIN_DEPTH
    )
    with engine.db.read() as session:
        rule = session.get(JourneyRule, rule_id)
        assert rule is not None and rule.alert and "loop" in rule.alert
        assert (
            session.scalar(
                select(func.count()).select_from(Decision).where(Decision.outcome == "loop_stopped")
            )
            == 1
        )


def test_a_birthday_enters_once_per_year_whatever_the_scans(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    today = engine.clock.now().date()
    engine.rule(
        trigger={"kind": "date", "date": "birthday", "days_before": 0}, category="transactional", steps=[HOOK]
    )
    engine.customer("c-1", birthday=date(1990, today.month, today.day))
    engine.customer("c-2", birthday=date(1990, today.month, 1 if today.day != 1 else 2))
    assert engine.scan() == 1
    engine.clock.advance(timedelta(minutes=11))
    assert engine.scan() == 0
    engine.settle()
    assert len(webhook_channel.delivered) == 1


def test_the_holdout_is_measured_and_never_contacted(
    engine: Engine, webhook_channel: RecordingChannel
) -> None:
    rule_id = engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"},
        category="transactional",
        holdout_percent=50,
        steps=[HOOK],
    )
    customers = [engine.customer(f"c-{n}") for n in range(40)]
    for customer in customers:
        _cart(engine, customer)
    engine.settle()
    held = _count(engine, Enrollment, Enrollment.rule_id == rule_id, Enrollment.status == "held_out")
    assert 8 <= held <= 32
    assert len(webhook_channel.delivered) == 40 - held


@pytest.mark.parametrize(
    ("fields", "where", "words"),
    [
        (
            {"conditions": {"all": [{"field": "customer.tierr", "op": "eq", "value": "Gold"}]}},
            "conditions.all[0].field",
            "unknown field",
        ),
        (
            {"conditions": {"all": [{"field": "event.colour", "op": "eq", "value": "red"}]}},
            "conditions.all[0].field",
            "has no 'colour'",
        ),
        (
            {"steps": [{"kind": "send", "channel": "email", "template": "nope"}]},
            "steps[0].template",
            "no message template 'nope'",
        ),
        ({"steps": [{"kind": "reply", "text": "Hi {{ frist_name }}"}]}, "steps[0].text", "unknown variable"),
        ({"steps": [{"kind": "wait"}]}, "steps[0]", "above zero"),
        ({"trigger": {"kind": "event", "event": "order.teleported"}}, "trigger.event", "not an event"),
    ],
)
def test_a_rule_that_cannot_run_is_refused_at_save_with_the_reason(
    engine: Engine,
    fields: dict,
    where: str,
    words: str,  # type: ignore[type-arg]
) -> None:
    definition = {"trigger": {"kind": "event", "event": "order.paid"}, "steps": [HOOK], **fields}
    with pytest.raises(Invalid) as refused:
        engine.rule(**definition)
    assert refused.value.problems[0].field == where
    assert words in refused.value.problems[0].reason
    assert _count(engine, JourneyRule) == 0
