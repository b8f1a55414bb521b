"""Who wrote an inbound email: the contact of the store's customer with that address, else the contact
known by the address, else a new one, read and written with Core statements built once.

The rows are the ones ``support.identify_contact`` and an ORM ``Contact`` would leave: a customer's contact
is unique per store (created on first use), an address's contact is the oldest without a customer; the
name is set when the contact has none, the address when it has none, ``last_seen_at`` at most every
``SEEN_EVERY``. An ORM copy of the contact loaded earlier in the transaction is expired when its row
changes here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.support import Contact

# As ``support.actions.contacts.SEEN_EVERY``: a contact's ``last_seen_at`` is written at most this often.
SEEN_EVERY = timedelta(minutes=10)

_CONTACTS = cast(Table, Contact.__table__)
_C = _CONTACTS.c

_CUSTOMER_BY_EMAIL = (
    select(Customer.id)
    .where(Customer.store_id == bindparam("store_id"), Customer.email == bindparam("email"))
    .limit(1)
)
_CONTACT_OF_CUSTOMER = select(_C.id, _C.email, _C.name, _C.last_seen_at).where(
    _C.store_id == bindparam("store_id"), _C.customer_id == bindparam("customer_id")
)
_CONTACT_BY_EMAIL = (
    select(_C.id, _C.email, _C.name, _C.last_seen_at)
    .where(_C.store_id == bindparam("store_id"), _C.email == bindparam("email"), _C.customer_id.is_(None))
    .order_by(_C.id)
    .limit(1)
)
_INSERT_CONTACT = insert(_CONTACTS)


def email_contact(uow: UnitOfWork, store_id: int, address: str, name: str) -> int:
    """The id of the contact who wrote from ``address`` (normalised) as ``name`` (see the module)."""
    session = uow.session
    connection = session.connection()
    now = uow.now()
    customer_id = connection.execute(_CUSTOMER_BY_EMAIL, {"store_id": store_id, "email": address}).scalar()
    if customer_id is not None:
        row = connection.execute(
            _CONTACT_OF_CUSTOMER, {"store_id": store_id, "customer_id": customer_id}
        ).first()
    else:
        row = connection.execute(_CONTACT_BY_EMAIL, {"store_id": store_id, "email": address}).first()
    given_name = name.strip()[:200] or None
    if row is None:
        values = {
            "store_id": store_id,
            "customer_id": customer_id,
            "email": address,
            "name": given_name,
            "created_at": now,
            "last_seen_at": now,
        }
        result = cast(CursorResult[Any], connection.execute(_INSERT_CONTACT, values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])
    changes: dict[str, Any] = {}
    if not row.email:
        changes["email"] = address
    if not row.name and given_name:
        changes["name"] = given_name
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY:
        changes["last_seen_at"] = now
    if changes:
        connection.execute(update(_CONTACTS).where(_C.id == row.id).values(**changes))
        _expire_loaded(session, row.id)
    return int(row.id)


def _expire_loaded(session: Session, contact_id: int) -> None:
    loaded = session.identity_map.get(Session.identity_key(Contact, contact_id))
    if loaded is not None:
        session.expire(loaded)
