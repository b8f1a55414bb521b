"""Contacts: whoever writes on a channel. A verified customer of the store has one contact; an anonymous
web-chat visitor is known by a secret token their browser keeps (only its hash is stored)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support.models import Contact


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class WidgetContact:
    contact_id: int
    customer_id: int | None
    # Set only when a new anonymous visitor was created: the secret their browser keeps.
    new_visitor_token: str | None


# A contact's ``last_seen_at`` is written at most this often (every widget page load would be a write).
SEEN_EVERY = timedelta(minutes=10)


def find_contact(
    session: Session, store_id: int, *, customer_id: int | None, visitor_token: str | None
) -> Contact | None:
    """The verified customer's contact, else the anonymous visitor holding ``visitor_token``; read only."""
    if customer_id is not None:
        return session.scalar(
            select(Contact).where(Contact.store_id == store_id, Contact.customer_id == customer_id)
        )
    if visitor_token:
        return session.scalar(
            select(Contact).where(
                Contact.store_id == store_id, Contact.visitor_token_hash == _token_hash(visitor_token)
            )
        )
    return None


def identify_contact(
    uow: UnitOfWork,
    store_id: int,
    *,
    customer_id: int | None,
    visitor_token: str | None,
    name: str | None = None,
) -> WidgetContact:
    """The contact behind a widget: the verified customer's (created on first use), else the anonymous
    visitor holding ``visitor_token``, else a new anonymous visitor with a fresh token.

    An anonymous token never leads to a customer's contact, so an unverified visitor never sees an
    identified customer's conversations."""
    now = uow.now()
    contact = find_contact(uow.session, store_id, customer_id=customer_id, visitor_token=visitor_token)
    if contact is None and customer_id is not None:
        contact = Contact(store_id=store_id, customer_id=customer_id, created_at=now, name=name)
        uow.session.add(contact)
    if contact is not None:
        if contact.last_seen_at is None or now - contact.last_seen_at >= SEEN_EVERY:
            contact.last_seen_at = now
        uow.session.flush()
        return WidgetContact(contact.id, customer_id, None)
    token = secrets.token_urlsafe(24)
    contact = Contact(
        store_id=store_id, visitor_token_hash=_token_hash(token), created_at=now, last_seen_at=now
    )
    uow.session.add(contact)
    uow.session.flush()
    return WidgetContact(contact.id, None, token)
