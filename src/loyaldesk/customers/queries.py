"""Reads of the customers domain: one customer, search, the timeline and the GDPR export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from loyaldesk.customers import extensions
from loyaldesk.customers.models import Customer
from loyaldesk.customers.schemas import CustomerOut, TimelineItemOut
from loyaldesk.kernel.errors import NotFound
from loyaldesk.kernel.events import EventRecord, StoredEvent
from loyaldesk.kernel.pagination import decode_position, encode_position, page_of
from loyaldesk.kernel.sql import json_list_contains


def get_customer(session: Session, store_id: int, customer_id: int) -> Customer:
    """The customer, if it belongs to the store; ``NotFound`` otherwise (even if another store has it)."""
    customer = session.scalar(
        select(Customer).where(Customer.id == customer_id, Customer.store_id == store_id)
    )
    if customer is None:
        raise NotFound(f"no customer {customer_id} in this store")
    return customer


def get_customer_by_external_id(session: Session, store_id: int, external_id: str) -> Customer:
    customer = session.scalar(
        select(Customer).where(Customer.store_id == store_id, Customer.external_id == external_id)
    )
    if customer is None:
        raise NotFound(f"no customer with external_id {external_id!r} in this store")
    return customer


def _term_matches(term: str) -> ColumnElement[bool]:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    clauses: list[ColumnElement[bool]] = [
        Customer.email.ilike(like, escape="\\"),
        Customer.first_name.ilike(like, escape="\\"),
        Customer.last_name.ilike(like, escape="\\"),
        Customer.phone.ilike(like, escape="\\"),
        Customer.external_id == term,
    ]
    if term.isdigit() and len(term) < 18:
        clauses.append(Customer.id == int(term))
    return or_(*clauses)


def search_customers(
    session: Session,
    store_id: int,
    *,
    query: str | None = None,
    tag: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[Customer], str | None]:
    """Customers of the store, newest first. Every word of ``query`` must match a name, email, phone
    or id; ``tag`` keeps customers carrying that tag. Returns the page and the next cursor."""
    statement = select(Customer).where(Customer.store_id == store_id)
    for term in (query or "").split()[:5]:
        statement = statement.where(_term_matches(term))
    if before_id is not None:
        statement = statement.where(Customer.id < before_id)
    if tag:
        statement = statement.where(json_list_contains(session, Customer.tags, tag))
    rows = list(session.scalars(statement.order_by(Customer.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda customer: customer.id)


def timeline(
    session: Session, store_id: int, customer_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[TimelineItemOut], str | None]:
    """What happened with this customer, most recent first (by when it happened, not when we heard of
    it), in words; each capability describes its own events. Returns the page and the next cursor."""
    get_customer(session, store_id, customer_id)
    statement = select(EventRecord).where(
        EventRecord.store_id == store_id,
        EventRecord.customer_id == customer_id,
        EventRecord.event_type.in_(extensions.described_types()),
    )
    position = decode_position(cursor)
    if position is not None:
        moment, last_id = position
        statement = statement.where(
            or_(
                EventRecord.occurred_at < moment,
                and_(EventRecord.occurred_at == moment, EventRecord.id < last_id),
            )
        )
    statement = statement.order_by(EventRecord.occurred_at.desc(), EventRecord.id.desc()).limit(limit + 1)
    records = list(session.scalars(statement))
    next_cursor = None
    if len(records) > limit:
        records = records[:limit]
        next_cursor = encode_position(records[-1].occurred_at, records[-1].id)
    items: list[TimelineItemOut] = []
    for record in records:
        entry = extensions.describe(StoredEvent.from_record(record))
        if entry is not None:
            items.append(
                TimelineItemOut(
                    event_id=record.id,
                    type=record.event_type,
                    occurred_at=record.occurred_at,
                    title=entry.title,
                    detail=entry.detail,
                    link=entry.link,
                )
            )
    return items, next_cursor


def export_customer(session: Session, store_id: int, customer_id: int) -> dict[str, Any]:
    """Everything loyaldesk holds about a customer, as JSON-able data (GDPR art. 15 and 20)."""
    customer = get_customer(session, store_id, customer_id)
    events = session.scalars(
        select(EventRecord)
        .where(EventRecord.store_id == store_id, EventRecord.customer_id == customer_id)
        .order_by(EventRecord.id)
    ).all()
    document: dict[str, Any] = {
        "format": "loyaldesk.customer-export/1",
        "profile": CustomerOut.of(customer).model_dump(mode="json"),
        "events": [StoredEvent.from_record(record).as_message() for record in events],
    }
    for name, section in sorted(extensions.export_sections().items()):
        document[name] = section(session, store_id, customer_id)
    return document


def count_customers(session: Session, store_id: int) -> int:
    from sqlalchemy import func

    return int(
        session.scalar(select(func.count()).select_from(Customer).where(Customer.store_id == store_id)) or 0
    )
