"""What channels learn after a send: delivery receipts (an SMS provider's status callback), opens and
clicks (the email's pixel and links), unsubscribes. Each moves the send's record forward, never back."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.journeys.models import Send
from loyaldesk.journeys.vocab import Channel, SendStatus
from loyaldesk.kernel.db import UnitOfWork


def record_delivery_receipt(
    uow: UnitOfWork,
    store_id: int,
    channel: Channel,
    provider_id: str,
    *,
    delivered: bool,
    error: str | None = None,
) -> Send | None:
    """A provider says message ``provider_id`` reached the recipient (``delivered``) or finally failed.
    Returns the send, or None when this store sent no such message (receipts for others are ignored)."""
    send = uow.session.scalar(
        select(Send).where(
            Send.channel == channel.value, Send.provider_id == provider_id, Send.store_id == store_id
        )
    )
    if send is None:
        return None
    now = uow.now()
    if delivered:
        if send.delivered_at is None:
            send.delivered_at = now
        if send.status in (SendStatus.SENDING, SendStatus.SENT, SendStatus.UNKNOWN):
            send.status = SendStatus.DELIVERED
    elif send.status in (SendStatus.SENDING, SendStatus.SENT, SendStatus.UNKNOWN):
        send.status = SendStatus.FAILED
        send.last_error = (error or "the provider reported a failure")[:2000]
    return send


def record_open(uow: UnitOfWork, store_id: int, send_id: int) -> None:
    """The email was opened (its pixel was fetched): first open counts; opening implies delivery."""
    send = uow.session.get(Send, send_id)
    if send is None or send.store_id != store_id:
        return
    now = uow.now()
    send.opened_at = send.opened_at or now
    send.delivered_at = send.delivered_at or now


def record_click(uow: UnitOfWork, store_id: int, send_id: int) -> None:
    """A link in the message was followed: first click counts; a click implies an open."""
    send = uow.session.get(Send, send_id)
    if send is None or send.store_id != store_id:
        return
    now = uow.now()
    send.clicked_at = send.clicked_at or now
    send.opened_at = send.opened_at or now
    send.delivered_at = send.delivered_at or now


def record_unsubscribe(uow: UnitOfWork, store_id: int, send_id: int) -> None:
    """The recipient unsubscribed from this message (consent itself is changed by ``set_consent``)."""
    send = uow.session.get(Send, send_id)
    if send is None or send.store_id != store_id:
        return
    send.unsubscribed_at = send.unsubscribed_at or uow.now()
