"""What the provider tells us, once its signature is checked (``web/api/sms_webhooks.py``):

* a status callback moves the send forward (``journeys.record_delivery_receipt``): ``delivered``, or
  ``undelivered`` / ``failed`` with the provider's error; other statuses (queued, sending, sent) say
  nothing new;
* an SMS from a customer: the carriers' opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT)
  withdraw SMS marketing consent for every customer of the store with that number, and START / UNSTOP
  give it back (``journeys.set_consent``, sources ``sms_stop`` / ``sms_start``). The word must be the
  whole message (trimmed, any case), as carriers and Twilio read it.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.channels.sms.adapter import customer_region
from loyaldesk.channels.sms.phones import normalise_phone
from loyaldesk.customers import Customer
from loyaldesk.journeys import Channel, Send, record_delivery_receipt, set_consent
from loyaldesk.kernel.db import UnitOfWork

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
DELIVERED = "delivered"
NOT_DELIVERED = frozenset({"undelivered", "failed"})


def keyword_of(body: str | None) -> bool | None:
    """False for an opt-out word, True for an opt-in word, None for anything else."""
    word = (body or "").strip().upper()
    if word in STOP_WORDS:
        return False
    if word in START_WORDS:
        return True
    return None


def record_status(
    uow: UnitOfWork,
    store_id: int,
    message_sid: str,
    status: str,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> Send | None:
    """Apply one status callback; the send it concerns, or None when it says nothing new or names no
    message of this store."""
    status = status.strip().lower()
    if status == DELIVERED:
        return record_delivery_receipt(uow, store_id, Channel.SMS, message_sid, delivered=True)
    if status in NOT_DELIVERED:
        words = (
            " ".join(part for part in (error_code, error_message) if part) or f"the provider said {status}"
        )
        error = f"{status}: {words}"
        return record_delivery_receipt(uow, store_id, Channel.SMS, message_sid, delivered=False, error=error)
    return None


def _candidates(session: Session, store_id: int, e164: str) -> Iterator[Customer]:
    """The store's customers whose phone may be ``e164``: the database keeps phones as typed (spaces,
    dashes, a national prefix), so it narrows them down by the last digits in order (the subscriber
    number's end survives any formatting) and the caller compares the numbers read properly."""
    tail = e164[-4:]
    pattern = "%" + "%".join(tail) + "%"
    query = (
        select(Customer)
        .where(Customer.store_id == store_id, Customer.phone.is_not(None), Customer.erased_at.is_(None))
        .where(Customer.phone.like(pattern))
        .order_by(Customer.id)
    )
    yield from session.scalars(query)


def customers_with_phone(session: Session, store_id: int, e164: str, default_region: str) -> list[int]:
    """The ids of the store's customers whose phone, read in their country, is ``e164``."""
    return [
        customer.id
        for customer in _candidates(session, store_id, e164)
        if normalise_phone(customer.phone, customer_region(customer, default_region)) == e164
    ]


def record_inbound(
    uow: UnitOfWork, store_id: int, from_number: str, body: str, *, default_region: str
) -> tuple[bool | None, list[int]]:
    """Apply an SMS a customer sent: (the consent it asks for or None, the customers whose consent
    changed). Messages that are not a keyword change nothing."""
    granted = keyword_of(body)
    sender = normalise_phone(from_number, default_region)
    if granted is None or sender is None:
        return granted, []
    changed = []
    for customer_id in customers_with_phone(uow.session, store_id, sender, default_region):
        source = "sms_start" if granted else "sms_stop"
        if set_consent(uow, store_id, customer_id, Channel.SMS, granted=granted, source=source):
            changed.append(customer_id)
    return granted, changed
