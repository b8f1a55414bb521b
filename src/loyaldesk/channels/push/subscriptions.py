"""Subscribing and unsubscribing a shopper's browser. Only a shopper the store identified (its signature
of their customer id, through the widget) can subscribe: a notification about points or orders is about
a customer. Subscribing grants push consent (``source="push_subscribe"``); removing the last subscription
withdraws it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loyaldesk.channels.push.models import PushKeys, PushSubscription
from loyaldesk.channels.push.schemas import PushSubscriptionIn
from loyaldesk.journeys import Channel, set_consent
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Conflict, NotFound, PermissionDenied
from loyaldesk.support import Contact

# A shopper's browsers and devices; a new one beyond this replaces the oldest.
MAX_SUBSCRIPTIONS_PER_CUSTOMER = 10


def _identified_customer(session: Session, store_id: int, contact_id: int) -> int:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.store_id != store_id:
        raise NotFound("no such contact")
    if contact.customer_id is None:
        raise PermissionDenied("sign in to the shop to get notifications")
    return contact.customer_id


def subscribe(
    uow: UnitOfWork, store_id: int, contact_id: int, given: PushSubscriptionIn, *, user_agent: str = ""
) -> PushSubscription:
    """Keep the browser's subscription for the contact's customer (again: its keys are refreshed, and a
    browser now used by another shopper of the store moves to them), and record their push consent."""
    session = uow.session
    keys = session.get(PushKeys, store_id)
    if keys is None or not keys.enabled:
        raise NotFound("this store does not send web push notifications")
    customer_id = _identified_customer(session, store_id, contact_id)
    row = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == given.endpoint))
    if row is not None and row.store_id != store_id:
        raise Conflict("this browser subscription belongs to another store")
    if row is None:
        row = PushSubscription(store_id=store_id, endpoint=given.endpoint, created_at=uow.now(), failures=0)
        session.add(row)
    row.customer_id = customer_id
    row.contact_id = contact_id
    row.p256dh = given.keys.p256dh
    row.auth = given.keys.auth
    row.user_agent = user_agent[:300]
    session.flush()
    others = session.scalars(
        select(PushSubscription)
        .where(PushSubscription.store_id == store_id, PushSubscription.customer_id == customer_id)
        .order_by(PushSubscription.id.desc())
        .offset(MAX_SUBSCRIPTIONS_PER_CUSTOMER)
    ).all()
    for old in others:
        session.delete(old)
    set_consent(uow, store_id, customer_id, Channel.PUSH, granted=True, source="push_subscribe")
    return row


def unsubscribe(uow: UnitOfWork, store_id: int, contact_id: int, endpoint: str) -> bool:
    """Forget the contact's customer's subscription at ``endpoint`` (another shopper's is not touched:
    ``NotFound``); with none left, push consent is withdrawn. Returns True."""
    session = uow.session
    customer_id = _identified_customer(session, store_id, contact_id)
    row = session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint,
            PushSubscription.store_id == store_id,
            PushSubscription.customer_id == customer_id,
        )
    )
    if row is None:
        raise NotFound("no such subscription")
    session.delete(row)
    session.flush()
    if not subscription_count(session, store_id, customer_id):
        set_consent(uow, store_id, customer_id, Channel.PUSH, granted=False, source="push_unsubscribe")
    return True


def subscription_count(session: Session, store_id: int, customer_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(PushSubscription.id)).where(
                PushSubscription.store_id == store_id, PushSubscription.customer_id == customer_id
            )
        )
        or 0
    )


def erase_subscriptions(uow: UnitOfWork, store_id: int, customer_id: int) -> None:
    """The customer record's erasure step: their browsers are forgotten (endpoints identify a device)."""
    for row in uow.session.scalars(
        select(PushSubscription).where(
            PushSubscription.store_id == store_id, PushSubscription.customer_id == customer_id
        )
    ):
        uow.session.delete(row)
