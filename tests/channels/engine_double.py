"""What the journeys engine does with a channel adapter, in the order it does it (journeys.ports): find
the address in a session, load what the delivery needs on a read session, deliver outside any
transaction, then let the adapter write what it learnt in the transaction that records the outcome."""

from __future__ import annotations

from loyaldesk.journeys import (
    Channel,
    ChannelAdapter,
    DeliveryResult,
    MessageCategory,
    OutgoingMessage,
    Recipient,
    finish_delivery,
    prepare_delivery,
)
from loyaldesk.kernel.db import Database


def message_for(
    store_id: int,
    customer_id: int,
    channel: Channel,
    *,
    send_id: int = 1,
    address: str = "",
    subject: str = "You have 120 points",
    text: str = "They expire on 31 March: treat yourself.",
    url: str | None = "https://shop.example/rewards",
) -> OutgoingMessage:
    return OutgoingMessage(
        store_id=store_id,
        send_id=send_id,
        idempotency_key=f"test:{send_id}",
        channel=channel,
        category=MessageCategory.MARKETING,
        recipient=Recipient(customer_id=customer_id, address=address),
        subject=subject,
        text=text,
        url=url,
    )


def run_send(db: Database, adapter: ChannelAdapter, message: OutgoingMessage) -> DeliveryResult:
    with db.read() as session:
        prepared = prepare_delivery(adapter, session, message)
    result = adapter.deliver(prepared)
    db.write(lambda uow: finish_delivery(adapter, uow, prepared, result))
    return result
