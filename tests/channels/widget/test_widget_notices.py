"""In-widget messages: the journeys adapter leaves a notice for a shopper who used the widget, a widget
open for them hears of it at once over its socket, the widget API lists the shopper's own pending notices
only, and dismissing one (or following its link) is recorded on the send as an open (or a click)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.channels.widget import WidgetAdapter, WidgetNotice
from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.journeys import Channel, DeliveryStatus, Send, SendStatus
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.widget_ticket import issue_ticket
from tests.channels.engine_double import message_for, run_send
from tests.factories import StoreHandle
from tests.support.desk import event_named, hello, receive_until, signed


def a_send(db: Database, store: StoreHandle, customer_id: int, key: str) -> int:
    def add(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        send = Send(
            store_id=store.id,
            customer_id=customer_id,
            channel=Channel.WIDGET.value,
            category="marketing",
            idempotency_key=key,
            status=SendStatus.SENDING.value,
            due_at=now,
            created_at=now,
            content={},
        )
        uow.session.add(send)
        uow.session.flush()
        return send.id

    return db.write(add)


def customer(db: Database, store: StoreHandle, external_id: str) -> int:
    return db.write(upsert_customer, store.actor, store.id, external_id, CustomerProfile()).customer.id


def test_a_notice_waits_for_the_shopper_and_only_they_see_it(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    adapter = WidgetAdapter()
    nora = customer(db, store, "C-1")
    with db.read() as session:
        assert adapter.address_of(session, store.id, nora) is None  # never used the widget
    contact = db.write(identify_contact, store.id, customer_id=nora, visitor_token=None).contact_id
    with db.read() as session:
        assert adapter.address_of(session, store.id, nora) == str(contact)

    send_id = a_send(db, store, nora, "k-1")
    message = message_for(
        store.id,
        nora,
        Channel.WIDGET,
        send_id=send_id,
        address=str(contact),
        text="<b>Double points</b> today",
    )
    assert run_send(db, adapter, message).status is DeliveryStatus.SENT
    with db.read() as session:
        notice = session.scalars(select(WidgetNotice)).one()
        assert (notice.contact_id, notice.send_id, notice.customer_id) == (contact, send_id, nora)
        assert notice.expires_at - notice.created_at == timedelta(days=7)

    ticket = issue_ticket(runtime.secret_key, store.id, contact)
    listed = client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": ticket})
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    assert [(n["id"], n["title"], n["text"], n["url"]) for n in listed.json()["notices"]] == [
        (notice.id, "You have 120 points", "<b>Double points</b> today", "https://shop.example/rewards")
    ]

    # Another shopper sees none of it and cannot dismiss it.
    other = db.write(identify_contact, store.id, customer_id=customer(db, store, "C-2"), visitor_token=None)
    their_ticket = issue_ticket(runtime.secret_key, store.id, other.contact_id)
    assert client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": their_ticket}).json() == {
        "notices": []
    }
    dismiss = f"/widget-api/v1/{store.slug}/notices/{notice.id}/dismiss"
    assert client.post(dismiss, json={"ticket": their_ticket}).status_code == 404
    assert client.post(dismiss, json={"ticket": "forged"}).status_code == 401

    # The shopper follows the link: dismissed, and the send counts an open and a click.
    assert client.post(dismiss, json={"ticket": ticket, "clicked": True}).status_code == 200
    assert (
        client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": ticket}).json()["notices"] == []
    )
    with db.read() as session:
        send = session.get(Send, send_id)
        assert send is not None and send.opened_at is not None and send.clicked_at is not None
        notice = session.scalars(select(WidgetNotice)).one()
        assert notice.dismissed_at is not None and notice.shown_at is not None


def test_closing_a_notice_is_an_open_and_old_notices_expire(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    adapter = WidgetAdapter()
    nora = customer(db, store, "C-1")
    contact = db.write(identify_contact, store.id, customer_id=nora, visitor_token=None).contact_id
    ticket = issue_ticket(runtime.secret_key, store.id, contact)
    first, second = a_send(db, store, nora, "k-1"), a_send(db, store, nora, "k-2")
    run_send(db, adapter, message_for(store.id, nora, Channel.WIDGET, send_id=first))
    notices = client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": ticket}).json()["notices"]
    answer = client.post(
        f"/widget-api/v1/{store.slug}/notices/{notices[0]['id']}/dismiss", json={"ticket": ticket}
    )
    assert answer.status_code == 200
    with db.read() as session:
        send = session.get(Send, first)
        assert send is not None and send.opened_at is not None and send.clicked_at is None

    run_send(db, adapter, message_for(store.id, nora, Channel.WIDGET, send_id=second))
    assert (
        len(client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": ticket}).json()["notices"])
        == 1
    )
    clock.advance(timedelta(days=7, seconds=1))
    assert (
        client.get(f"/widget-api/v1/{store.slug}/notices", params={"ticket": ticket}).json()["notices"] == []
    )


def test_an_open_widget_hears_of_its_notice_at_once(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle
) -> None:
    from loyaldesk.stores import store_by_id

    with db.read() as session:
        secret = store_by_id(session, store.id).identity_secret
    nora = customer(db, store, "C-1")
    adapter = WidgetAdapter()
    with client.websocket_connect(f"/ws/widget/{store.slug}") as widget:
        welcome = hello(widget, customer=signed(secret, "C-1"))
        assert welcome["type"] == "welcome" and welcome["identified"] is True
        # Someone else's notice is not announced to this widget.
        other = db.write(
            identify_contact, store.id, customer_id=customer(db, store, "C-2"), visitor_token=None
        )
        assert other.contact_id
        run_send(db, adapter, message_for(store.id, customer(db, store, "C-2"), Channel.WIDGET, send_id=90))
        run_send(db, adapter, message_for(store.id, nora, Channel.WIDGET, send_id=91))
        frame = receive_until(widget, event_named("widget.notice_posted"))
        with db.read() as session:
            mine = session.scalar(select(WidgetNotice.id).where(WidgetNotice.customer_id == nora))
        assert frame["data"]["notice_id"] == mine
        notices = client.get(
            f"/widget-api/v1/{store.slug}/notices", params={"ticket": welcome["ticket"]}
        ).json()["notices"]
        assert [n["id"] for n in notices] == [mine]


def test_erasing_the_customer_removes_their_notices_and_browsers(db: Database, store: StoreHandle) -> None:
    from loyaldesk.channels.push import PushSubscription, PushSubscriptionIn, set_push_enabled, subscribe
    from loyaldesk.customers.actions import erase_customer

    nora = customer(db, store, "C-1")
    contact = db.write(identify_contact, store.id, customer_id=nora, visitor_token=None).contact_id
    run_send(db, WidgetAdapter(), message_for(store.id, nora, Channel.WIDGET, send_id=5))
    db.write(set_push_enabled, store.actor, store.id, enabled=True, subject="mailto:shop@example.com")
    point = "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"
    given = PushSubscriptionIn.model_validate(
        {"endpoint": "https://push.example/s/1", "keys": {"p256dh": point, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}
    )
    db.write(subscribe, store.id, contact, given)
    db.write(erase_customer, store.actor, store.id, nora)
    with db.read() as session:
        assert session.scalars(select(WidgetNotice)).all() == []
        assert session.scalars(select(PushSubscription)).all() == []
