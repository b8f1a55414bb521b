"""A customer's journeys data in their GDPR export, and gone with their erasure (through the API)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.journeys import ChannelConsent, Decision, Send, set_consent
from loyaldesk.journeys.actions.custom_events import record_custom_event
from loyaldesk.journeys.schemas import CustomEventIn
from loyaldesk.journeys.vocab import Channel
from tests.journeys.conftest import Engine, RecordingChannel


def test_export_lists_consent_and_messages_and_erasure_removes_them(
    client: TestClient, engine: Engine, webhook_channel: RecordingChannel
) -> None:  # the client first: its runtime composes, then the recording channel takes the webhook's place
    engine.rule(
        trigger={"kind": "event", "event": "custom:cart_abandoned"},
        category="transactional",
        conditions={"all": [{"field": "customer.first_name", "op": "eq", "value": "Ada"}]},
        steps=[{"kind": "call_webhook", "url": "https://shop.example.com/hook"}, {"kind": "wait", "days": 1},
               {"kind": "call_webhook", "url": "https://shop.example.com/later"}],
    )  # fmt: skip
    customer = engine.customer("ada", first_name="Ada", email="ada@example.com")
    engine.db.write(set_consent, engine.store.id, customer, Channel.SMS, granted=True, source="checkout")
    engine.db.write(
        record_custom_event,
        engine.store.actor,
        engine.store.id,
        CustomEventIn(name="cart_abandoned", customer_id=customer),
    )
    engine.settle()
    auth = engine.store.auth
    export = client.get(f"/api/v1/customers/{customer}/export", headers=auth)
    assert export.status_code == 200, export.text
    section = export.json()["messages"]
    assert section["consent"][0]["channel"] == "sms" and section["consent"][0]["granted"] is True
    assert [m["status"] for m in section["messages"]] == ["sent"]

    erased = client.post(f"/api/v1/customers/{customer}/erase", headers=auth)
    assert erased.status_code in (200, 202), erased.text
    engine.later(days=2)
    assert len(webhook_channel.delivered) == 1  # the run ended with the erasure
    with engine.db.read() as session:
        assert session.scalar(select(ChannelConsent).where(ChannelConsent.customer_id == customer)) is None
        assert all(d.details == {} and "Ada" not in d.summary for d in session.scalars(select(Decision)))
        assert all(s.content == {} for s in session.scalars(select(Send)))
