"""Saving what a customer told the store they prefer (sizes, interests, categories to leave out, channels).

A customer changes only their own (the member page and API find them from the verified identity); staff
who may edit customers may change them for the customer (audited); an API key needs
``recommendations:write``. An interest that is also excluded is refused: the two would contradict.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound, PermissionDenied
from loyaldesk.recommendations.events import PreferencesChanged
from loyaldesk.recommendations.models import CustomerPreferences
from loyaldesk.recommendations.schemas import PreferencesIn
from loyaldesk.stores import Permission, authorize, record_audit


def _may_change(actor: Actor, store_id: int, customer_id: int) -> None:
    if actor.kind == "customer":
        if actor.store_id != store_id or actor.id != customer_id:
            raise PermissionDenied("a customer may change only their own preferences")
        return
    authorize(actor, store_id, scope="recommendations:write", permission=Permission.EDIT_CUSTOMERS)


def _locked_row(uow: UnitOfWork, store_id: int, customer_id: int) -> CustomerPreferences | None:
    return uow.session.scalar(
        select(CustomerPreferences)
        .where(CustomerPreferences.store_id == store_id, CustomerPreferences.customer_id == customer_id)
        .with_for_update()
    )


def _created_row(uow: UnitOfWork, store_id: int, customer_id: int) -> CustomerPreferences:
    """An empty row for the customer, or the one another request created at the same moment."""
    row = CustomerPreferences(
        store_id=store_id,
        customer_id=customer_id,
        sizes={},
        interests=[],
        excluded_categories=[],
        channels=[],
        updated_at=uow.now(),
    )
    savepoint = uow.session.begin_nested()
    try:
        uow.session.add(row)
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        existing = _locked_row(uow, store_id, customer_id)
        assert existing is not None
        return existing
    return row


def save_preferences(
    uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int, preferences: PreferencesIn
) -> CustomerPreferences:
    """Replace the customer's preferences with ``preferences``; emits ``PreferencesChanged`` when anything
    changed. ``NotFound`` for a customer not of this store (or erased)."""
    _may_change(actor, store_id, customer_id)
    customer = uow.session.scalar(
        select(Customer).where(Customer.id == customer_id, Customer.store_id == store_id)
    )
    if customer is None or customer.erased_at is not None:
        raise NotFound("no such customer")
    excluded = {name.casefold() for name in preferences.excluded_categories}
    both = [name for name in preferences.interests if name.casefold() in excluded]
    if both:
        raise Invalid.field("excluded_categories", f"{both[0]!r} is also an interest; choose one")
    values = {
        "sizes": dict(preferences.sizes),
        "interests": list(preferences.interests),
        "excluded_categories": list(preferences.excluded_categories),
        "channels": [channel.value for channel in preferences.channels],
    }
    row = _locked_row(uow, store_id, customer_id) or _created_row(uow, store_id, customer_id)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, values[name])
    row.updated_at = uow.now()
    if changed:
        uow.emit(PreferencesChanged(store_id=store_id, customer_id=customer_id))
        if actor.kind in ("staff", "customer"):
            # A person acted (staff for the customer, or the customer): the fields changed, never what
            # the customer prefers, since the audit log outlives an erasure.
            record_audit(
                uow,
                actor,
                "recommendations.preferences_changed",
                store_id=store_id,
                target_type="customer",
                target_id=customer_id,
                details={"fields": changed},
            )
    uow.session.flush()
    return row
