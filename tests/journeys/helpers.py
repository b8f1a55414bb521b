"""Shared bits of the journeys email tests: a template, a brand, links, a customer with an email."""

from __future__ import annotations

from typing import Any

from loyaldesk.journeys import Channel, MessageTemplate, StoreMessaging, links_for
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle

SECRET = "test-secret-key-not-for-production"  # as the ``settings`` fixture's
BASE = "https://desk.example"


def email_template(**changes: Any) -> MessageTemplate:
    fields: dict[str, Any] = {
        "key": "points_expiring_7",
        "channel": "email",
        "name": "Points expiring",
        "subject": "{{ first_name | Hi }}, {{ expiring_points }} points expire on {{ expiring_on }}",
        "preheader": "Use them by {{ expiring_on }}",
        "body": "Hi **{{ first_name | there }}**,\n\nSee [your page]({{ member_url }}) or "
        "[the shop](https://shop.example/?a=1&b=2).\n\n- one\n- two",
        "button_label": "Spend {{ points }} points",
        "button_url": "{{ member_url }}",
        "mjml": None,
    }
    return MessageTemplate(**{**fields, **changes})


def brand(**changes: Any) -> StoreMessaging:
    values: dict[str, Any] = {
        "store_id": 1,
        "brand_color": "#1f5fbf",
        "logo_url": "",
        "postal_address": "Acme GmbH\nHauptstr. 1\n10115 Berlin",
    }
    return StoreMessaging(**{**values, **changes})


def links(store_id: int = 1, send_id: int = 42, customer_id: int = 7, slug: str = "acme"):  # type: ignore[no-untyped-def]
    return links_for(BASE, SECRET, slug, send_id, customer_id, Channel.EMAIL, store_id=store_id)


VALUES = {
    "first_name": "<Bob & *Al*>",
    "expiring_points": "120",
    "expiring_on": "3 Mar 2026",
    "member_url": "https://desk.example/m/acme",
    "points": "500",
}


def make_customer(db: Database, store: StoreHandle, email: str = "emma@example.com", **fields: Any) -> int:
    from loyaldesk.customers import Customer

    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        customer = Customer(
            store_id=store.id,
            external_id=fields.pop("external_id", f"c-{email}"),
            email=email,
            first_name=fields.pop("first_name", "Emma"),
            marketing_consent=fields.pop("marketing_consent", True),
            source="api",
            created_at=now,
            updated_at=now,
            **fields,
        )
        uow.session.add(customer)
        uow.session.flush()
        return customer.id

    return db.write(create)


def make_send(db: Database, store: StoreHandle, customer_id: int, key: str = "k-1") -> int:
    from loyaldesk.journeys import Send

    def create(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        send = Send(
            store_id=store.id, customer_id=customer_id, channel="email", category="marketing",
            idempotency_key=key, status="sent", due_at=now, created_at=now, sent_at=now,
        )  # fmt: skip
        uow.session.add(send)
        uow.session.flush()
        return send.id

    return db.write(create)
