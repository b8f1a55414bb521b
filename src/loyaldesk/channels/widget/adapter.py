"""In-widget messages as a journeys channel: ``WidgetAdapter`` (``journeys.ports.ChannelAdapter`` for
``Channel.WIDGET``) leaves a notice for the customer's widget contact.

The notice is a row of loyaldesk's own, so the delivery *is* the write, done where the engine records the
send's outcome (``journeys.finish_delivery`` → ``after_delivery``): the send is ``sent`` exactly when the
notice exists. ``deliver`` itself has nothing to call and answers ``SENT``. Committing the notice
announces ``widget.notice_posted`` on the contact's public channel: a widget open for that contact
fetches it and shows the banner at once; otherwise the widget fetches pending notices when it loads
(within ``NOTICE_DAYS``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from loyaldesk.channels.widget.events import NoticePosted
from loyaldesk.channels.widget.models import WidgetNotice
from loyaldesk.journeys import Channel, DeliveryResult, DeliveryStatus, OutgoingMessage
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Contact, Conversation

NOTICE_DAYS = 7


def widget_contact_of(session: Session, store_id: int, customer_id: int) -> Contact | None:
    """The customer's contact if they used the chat widget: it has a web chat, or it was made by the
    widget (a contact made by mail or an app's channel carries that address or reference)."""
    contact = session.scalar(
        select(Contact).where(Contact.store_id == store_id, Contact.customer_id == customer_id)
    )
    if contact is None:
        return None
    if contact.email is None and contact.external_ref is None:
        return contact
    chatted = session.scalar(
        select(exists().where(Conversation.contact_id == contact.id, Conversation.channel == "webchat"))
    )
    return contact if chatted else None


class WidgetAdapter:
    channel = Channel.WIDGET

    def address_of(self, session: Session, store_id: int, customer_id: int, /) -> str | None:
        """The customer's widget contact's id (as text); None when they never used the widget."""
        contact = widget_contact_of(session, store_id, customer_id)
        return None if contact is None else str(contact.id)

    def deliver(self, message: OutgoingMessage, /) -> DeliveryResult:
        return DeliveryResult(DeliveryStatus.SENT)

    def after_delivery(self, uow: UnitOfWork, message: OutgoingMessage, result: DeliveryResult, /) -> None:
        if result.status is not DeliveryStatus.SENT:
            return
        post_notice(uow, message)


def post_notice(uow: UnitOfWork, message: OutgoingMessage) -> WidgetNotice | None:
    """Store ``message`` as a notice for its recipient's widget contact and announce it; None when the
    customer has no widget contact (any more)."""
    contact = widget_contact_of(uow.session, message.store_id, message.recipient.customer_id)
    if contact is None:
        return None
    now = uow.now()
    notice = WidgetNotice(
        store_id=message.store_id,
        customer_id=message.recipient.customer_id,
        contact_id=contact.id,
        send_id=message.send_id,
        title=message.subject[:300],
        text=message.text,
        url=message.url,
        created_at=now,
        expires_at=now + timedelta(days=NOTICE_DAYS),
    )
    uow.session.add(notice)
    uow.session.flush()
    uow.emit(
        NoticePosted(
            store_id=message.store_id,
            customer_id=message.recipient.customer_id,
            contact_id=contact.id,
            notice_id=notice.id,
        )
    )
    return notice
