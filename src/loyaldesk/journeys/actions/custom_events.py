"""Events from the store's own site or app (cart abandoned, product viewed), posted through the API: they
go into the event log about one customer and start the rules that trigger on ``custom:<name>``."""

from __future__ import annotations

import json

from sqlalchemy import select

from loyaldesk.customers import Customer
from loyaldesk.journeys.actions.consent import set_consent
from loyaldesk.journeys.events import CustomEventReceived
from loyaldesk.journeys.schemas import ConsentIn, CustomEventIn
from loyaldesk.journeys.vocab import Channel
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import UnitOfWork
from loyaldesk.kernel.errors import Invalid, NotFound
from loyaldesk.stores import Permission, authorize

MAX_PROPERTIES_BYTES = 8192


def _customer(uow: UnitOfWork, store_id: int, customer_id: int | None, external_id: str | None) -> Customer:
    if (customer_id is None) == (external_id is None):
        raise Invalid.field("customer_id", "give exactly one of customer_id and customer_external_id")
    query = select(Customer).where(Customer.store_id == store_id)
    query = (
        query.where(Customer.id == customer_id)
        if customer_id is not None
        else query.where(Customer.external_id == (external_id or "").strip())
    )
    customer = uow.session.scalar(query)
    if customer is None or customer.erased_at is not None:
        field = "customer_id" if customer_id is not None else "customer_external_id"
        raise NotFound(
            f"{field}: no such customer in this store "
            "(create them first with PUT /api/v1/customers/by-external-id/...)"
        )
    return customer


def record_custom_event(
    uow: UnitOfWork, actor: Actor, store_id: int, data: CustomEventIn
) -> CustomEventReceived:
    """Store the event about its customer; the rules on ``custom:<name>`` react once it commits."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    if len(json.dumps(data.properties, default=str)) > MAX_PROPERTIES_BYTES:
        raise Invalid.field("properties", f"at most {MAX_PROPERTIES_BYTES} bytes of JSON")
    customer = _customer(uow, store_id, data.customer_id, data.customer_external_id)
    event = CustomEventReceived(
        store_id=store_id, customer_id=customer.id, name=data.name, properties=data.properties
    )
    uow.emit(event)
    return event


def change_consent(uow: UnitOfWork, actor: Actor, store_id: int, customer_id: int, data: ConsentIn) -> bool:
    """The store tells loyaldesk a customer's choice for a channel (its own sign-up form, its checkbox)."""
    authorize(actor, store_id, scope="journeys:write", permission=Permission.MANAGE_JOURNEYS)
    customer = _customer(uow, store_id, customer_id, None)
    return set_consent(
        uow, store_id, customer.id, Channel(data.channel), granted=data.granted, source=data.source
    )
