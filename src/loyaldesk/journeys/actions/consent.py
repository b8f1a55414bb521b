"""A customer's marketing consent per channel: given, withdrawn (unsubscribe link, preference page, SMS
STOP, the API), and asked (``consent_allows``, before every marketing send)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.journeys.events import ConsentChanged
from loyaldesk.journeys.models import ChannelConsent
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import NotFound


def set_consent(
    uow: UnitOfWork, store_id: int, customer_id: int, channel: Channel, *, granted: bool, source: str
) -> bool:
    """Record the customer's choice for ``channel``; returns whether it changed anything. For email it
    also sets the profile's ``marketing_consent`` so that the customer record and journeys agree."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.store_id != store_id:
        raise NotFound(f"no customer {customer_id} in this store")
    now = uow.now()
    row = uow.session.scalar(
        select(ChannelConsent).where(
            ChannelConsent.customer_id == customer_id, ChannelConsent.channel == channel.value
        )
    )
    before = consent_allows(uow.session, customer, channel)
    if row is None:
        row = ChannelConsent(store_id=store_id, customer_id=customer_id, channel=channel.value)
        uow.session.add(row)
    row.granted = granted
    row.source = source[:64]
    row.changed_at = now
    if channel is Channel.EMAIL and customer.marketing_consent != granted:
        customer.marketing_consent = granted
        customer.marketing_consent_at = now
        customer.updated_at = now
    uow.session.flush()
    if before != granted:
        uow.emit(
            ConsentChanged(
                store_id=store_id,
                customer_id=customer_id,
                channel=channel.value,
                granted=granted,
                source=source[:64],
            )
        )
    return before != granted


def consents_of(session: Session, customer_id: int) -> dict[Channel, bool]:
    rows = session.execute(
        select(ChannelConsent.channel, ChannelConsent.granted).where(
            ChannelConsent.customer_id == customer_id
        )
    ).all()
    return {Channel(channel): granted for channel, granted in rows}


def consent_allows(session: Session, customer: Customer, channel: Channel) -> bool:
    """Whether marketing may reach ``customer`` on ``channel``: their choice for that channel if they made
    one; else, for email, the profile's marketing consent; else no. The widget is the store's own site
    while the customer is on it: a proactive message there needs no separate opt-in, but an opt-out
    (``granted`` false) is honoured."""
    if customer.erased_at is not None:
        return False
    choice = consents_of(session, customer.id).get(channel)
    if choice is not None:
        return choice
    if channel is Channel.EMAIL:
        return bool(customer.marketing_consent)
    return channel is Channel.WIDGET


def feedback_allowed(session: Session, customer: Customer, channel: Channel) -> bool:
    """Whether a survey or a reply to the customer's feedback may reach ``customer`` on ``channel``
    (``MessageCategory.FEEDBACK``): yes unless they were erased or opted out of that channel (an
    unsubscribe link, the preference page, SMS STOP, the API). It asks for no marketing opt-in: a question
    about an order or a conversation, or word that what they complained about is fixed, is service
    (decision 0034)."""
    if customer.erased_at is not None:
        return False
    return consents_of(session, customer.id).get(channel) is not False
