"""The whole round trip over real sockets: the adapter hands a message to the fake provider, the send
records its sid (as the engine does), and the provider's signed status callback, posted to loyaldesk's
live server, marks the send delivered."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

from loyaldesk.channels.sms.adapter import SmsAdapter
from loyaldesk.journeys import DeliveryStatus, Send, SendStatus
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from tests.channels.sms.conftest import PUBLIC, make_send, message_to
from tests.channels.sms.fake_provider import FakeProvider
from tests.factories import StoreHandle
from tests.servers import serve_in_thread


def test_a_message_is_sent_and_its_receipt_comes_back(
    settings: Settings,
    db: Database,
    sms_store: StoreHandle,
    provider: FakeProvider,
    customer_factory: Callable[..., int],
) -> None:
    # loyaldesk's public address is behind a proxy; the provider signs that address.
    live_settings = settings.model_copy(update={"public_base_url": PUBLIC, "allow_private_network": True})
    runtime = Runtime(live_settings, database=db)
    customer = customer_factory(sms_store, "0151 23456789")
    with db.read() as session:
        adapter = SmsAdapter.from_settings(live_settings, database=db)
        address = adapter.address_of(session, sms_store.id, customer)
    assert address == "+4915123456789"
    send_id = make_send(db, sms_store, customer, None, "rule:1:step:0:customer:1:occurrence:1")
    result = adapter.deliver(message_to(sms_store, address, key="rule:1:step:0:customer:1:occurrence:1"))
    assert result.status is DeliveryStatus.SENT and result.provider_id

    def record(uow: UnitOfWork) -> None:
        uow.session.execute(update(Send).where(Send.id == send_id).values(provider_id=result.provider_id))

    db.write(record)
    with serve_in_thread(runtime) as base:
        assert provider.report(result.provider_id, "sent", deliver_to=base) == 204
        assert provider.report(result.provider_id, "delivered", deliver_to=base) == 204
        assert provider.report(result.provider_id, "delivered", deliver_to=base, token="wrong-token") == 403
    assert (
        provider.messages[result.provider_id]["StatusCallback"]
        == f"{PUBLIC}/webhooks/sms/{sms_store.slug}/status"
    )
    with db.read() as session:
        send = session.get(Send, send_id)
        assert send is not None and send.status == SendStatus.DELIVERED and send.delivered_at is not None
