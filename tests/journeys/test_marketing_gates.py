"""What stands between a marketing message and the customer, at the moment it would go: consent per
channel, the recipient's quiet hours in their own zone, the caps (deferred, never dropped while it can
still go) and its deadline. Transactional messages pass straight through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from loyaldesk.customers import Customer
from loyaldesk.journeys import Decision, Send, register_adapter, set_consent
from loyaldesk.journeys.actions.custom_events import record_custom_event
from loyaldesk.journeys.actions.templates import ensure_default_templates
from loyaldesk.journeys.models import StoreMessaging
from loyaldesk.journeys.ports import ADAPTERS
from loyaldesk.journeys.schemas import CustomEventIn
from loyaldesk.journeys.vocab import Channel
from tests.journeys.conftest import Engine, RecordingChannel


@pytest.fixture
def mail(engine: Engine) -> Iterator[RecordingChannel]:
    engine.db.write(lambda uow: ensure_default_templates(uow, engine.store.id, "en"))
    saved = ADAPTERS.get("email")
    channel = RecordingChannel("email")
    register_adapter(channel)
    yield channel
    if saved is not None:
        register_adapter(saved)


def _marketing_rule(engine: Engine, category: str = "marketing") -> int:
    return engine.rule(
        trigger={"kind": "event", "event": "custom:nudge"},
        category=category,
        steps=[{"kind": "send", "channel": "email", "template": "winback"}],
    )


def _nudge(engine: Engine, customer_id: int) -> None:
    engine.db.write(
        record_custom_event,
        engine.store.actor,
        engine.store.id,
        CustomEventIn(name="nudge", customer_id=customer_id),
    )


def _customer(engine: Engine, external_id: str, zone: str, *, consent: bool = True) -> int:
    customer_id = engine.customer(external_id, email=f"{external_id}@example.com", timezone=zone)
    engine.db.write(
        lambda uow: uow.session.execute(
            update(Customer).where(Customer.id == customer_id).values(marketing_consent=consent)
        )
    )
    return customer_id


def _statuses(engine: Engine) -> dict[int, str]:
    with engine.db.read() as session:
        return {
            customer_id: status
            for customer_id, status in session.execute(select(Send.customer_id, Send.status))
        }


def test_no_consent_no_marketing_but_transactional_goes(engine: Engine, mail: RecordingChannel) -> None:
    engine.clock.set(datetime(2026, 3, 3, 11, 0, tzinfo=UTC))
    marketing = _marketing_rule(engine)
    agreed, declined = (
        _customer(engine, "yes", "Europe/Berlin"),
        _customer(engine, "no", "Europe/Berlin", consent=False),
    )
    _nudge(engine, agreed)
    _nudge(engine, declined)
    engine.settle()
    assert [m.recipient.customer_id for m in mail.delivered] == [agreed]
    with engine.db.read() as session:
        reason = session.scalar(
            select(Decision.reason).where(
                Decision.customer_id == declined,
                Decision.rule_id == marketing,
                Decision.outcome == "suppressed",
            )
        )
    assert reason == "no_consent"
    engine.db.write(set_consent, engine.store.id, agreed, Channel.EMAIL, granted=False, source="test")
    _nudge(engine, agreed)
    engine.settle()
    assert len(mail.delivered) == 1


def test_quiet_hours_are_the_recipients_own(engine: Engine, mail: RecordingChannel) -> None:
    engine.clock.set(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))  # 08:00 in Tokyo, midnight in Berlin
    _marketing_rule(engine)
    tokyo, berlin = _customer(engine, "tokyo", "Asia/Tokyo"), _customer(engine, "berlin", "Europe/Berlin")
    _nudge(engine, tokyo)
    _nudge(engine, berlin)
    engine.settle()
    assert mail.delivered == [] and set(_statuses(engine).values()) == {"deferred"}
    engine.later(hours=1, seconds=5)  # 09:00 in Tokyo
    assert [m.recipient.customer_id for m in mail.delivered] == [tokyo]
    engine.later(hours=8)  # 09:00 in Berlin
    assert [m.recipient.customer_id for m in mail.delivered] == [tokyo, berlin]
    sent_at = engine.clock.now().astimezone(ZoneInfo("Europe/Berlin"))
    assert 9 <= sent_at.hour < 21


def test_caps_defer_then_send_and_a_message_past_its_deadline_is_dropped(
    engine: Engine, mail: RecordingChannel
) -> None:
    engine.clock.set(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    engine.db.write(
        lambda uow: uow.session.execute(update(StoreMessaging).values(min_gap_hours=16, max_defer_hours=24))
    )
    _marketing_rule(engine)
    other = engine.rule(
        name="Second",
        trigger={"kind": "event", "event": "custom:nudge"},
        category="marketing",
        steps=[
            {"kind": "wait", "hours": 1},
            {"kind": "send", "channel": "email", "template": "referral_nudge"},
        ],
    )
    customer = _customer(engine, "c", "Europe/Berlin")
    _nudge(engine, customer)
    engine.settle()
    assert len(mail.delivered) == 1
    engine.later(hours=1, seconds=5)  # the second is due, but the first went out an hour ago
    assert len(mail.delivered) == 1
    with engine.db.read() as session:
        second = session.scalar(select(Send).where(Send.rule_id == other))
        assert second is not None and second.status == "deferred" and second.reason == "cap"
    engine.later(hours=15)  # 16 hours after the first: 03:00 in Berlin, so it waits for the morning
    assert len(mail.delivered) == 1
    engine.later(hours=6)
    assert len(mail.delivered) == 2
    assert engine.clock.now().astimezone(ZoneInfo("Europe/Berlin")).hour == 9
    # A third, due in the evening, would wait past quiet hours and the cap beyond its 24-hour deadline.
    engine.db.write(lambda uow: uow.session.execute(update(StoreMessaging).values(max_defer_hours=1)))
    _nudge(engine, customer)
    engine.settle()
    assert len(mail.delivered) == 2
    assert _dropped(engine) >= 1  # the third (and the second rule's next one) could not wait that long


def _dropped(engine: Engine) -> int:
    with engine.db.read() as session:
        return len(list(session.scalars(select(Send.id).where(Send.status == "dropped"))))


def test_transactional_messages_are_neither_capped_nor_held(engine: Engine, mail: RecordingChannel) -> None:
    engine.clock.set(datetime(2026, 3, 3, 23, 30, tzinfo=UTC))  # half past midnight in Berlin
    _marketing_rule(engine, category="transactional")
    customer = _customer(engine, "c", "Europe/Berlin", consent=False)
    for _ in range(3):
        _nudge(engine, customer)
    engine.settle()
    assert len(mail.delivered) == 3
    assert engine.clock.now() - timedelta(minutes=1) < datetime(2026, 3, 3, 23, 31, tzinfo=UTC)


def test_a_customer_known_only_by_their_shipping_address_gets_their_countrys_hours(
    client, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    from loyaldesk.journeys.queries.facts import home_country
    from loyaldesk.journeys.rules.delivery_window import recipient_zone
    from tests.factories import order_payload

    answer = client.post(
        "/api/v1/orders",
        json=order_payload(shipping_address={"country_code": "jp", "city": "Kyoto", "address1": "1 Sanjo"}),
        headers=engine.store.auth,
    )
    assert answer.status_code in (200, 201), answer.text
    with engine.db.read() as session:
        customer = session.scalar(select(Customer).where(Customer.external_id == "cust-1"))
        assert customer is not None and home_country(session, customer) == "JP"
        assert (
            recipient_zone(None, None, home_country(session, customer), "Europe/Berlin")[0].key
            == "Asia/Tokyo"
        )


def test_a_rule_can_ask_for_consent_on_a_channel(engine: Engine, webhook_channel: RecordingChannel) -> None:
    engine.rule(
        trigger={"kind": "event", "event": "custom:nudge"},
        category="transactional",
        conditions={"all": [{"field": "consent.sms", "op": "eq", "value": True}]},
        steps=[{"kind": "call_webhook", "url": "https://shop.example.com/sms-optin"}],
    )
    agreed, silent = engine.customer("a"), engine.customer("b")
    engine.db.write(set_consent, engine.store.id, agreed, Channel.SMS, granted=True, source="test")
    _nudge(engine, agreed)
    _nudge(engine, silent)
    engine.settle()
    assert [m.payload["customer_id"] for m in webhook_channel.delivered] == [agreed]


def test_a_journey_leaves_a_message_in_the_chat_widget(engine: Engine) -> None:
    """The whole path through the engine to a channel that writes as it delivers (the widget's notices)."""
    from loyaldesk.channels.widget.models import WidgetNotice
    from loyaldesk.support.actions.contacts import identify_contact

    engine.db.write(lambda uow: ensure_default_templates(uow, engine.store.id, "en"))
    engine.rule(
        trigger={"kind": "event", "event": "custom:nudge"},
        category="transactional",
        steps=[{"kind": "send", "channel": "widget", "template": "points_expiring_widget"}],
    )
    customer = engine.customer("w", first_name="Wanda")
    contact = engine.db.write(
        identify_contact, engine.store.id, customer_id=customer, visitor_token=None
    ).contact_id
    _nudge(engine, customer)
    engine.settle()
    with engine.db.read() as session:
        notice = session.scalar(select(WidgetNotice))
        send = session.scalar(select(Send))
    assert notice is not None and notice.contact_id == contact and notice.send_id == send.id  # type: ignore[union-attr]
    assert send is not None and send.status == "sent"
