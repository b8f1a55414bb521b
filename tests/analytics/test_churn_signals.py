"""Churn signals read from support and loyalty: an angry customer's messages count as negative sentiment,
a calm one's do not, and points about to expire are counted; both show as reasons of churn risk."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.analytics import queries, sentiment
from loyaldesk.analytics.churn import churn_risk
from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.stores import store_by_id
from loyaldesk.support import actions
from loyaldesk.support.actions import contacts
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop

LINES = [("TEE", "Apparel", 3, 1000), ("MUG", "Home", 1, 1000)]  # 40 points


def _write(db: Database, store: StoreHandle, customer: str, text: str) -> None:
    with db.read() as session:
        customer_id = session.scalar(
            select(Customer.id).where(Customer.store_id == store.id, Customer.external_id == customer)
        )
    contact = db.write(contacts.identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    db.write(actions.post_customer_message, contact.contact_id, body=text, channel="webchat", subject="")


def test_sentiment_scores_plain_words() -> None:
    assert sentiment.score("This is awful, the third time my order is late. I am furious.") < -0.5
    assert sentiment.score("Thank you, great service!") > 0.5
    assert sentiment.negative_customers(
        [(1, "Terrible, broken and useless"), (1, "Where is my order?"), (2, "Lovely!")]
    ) == {1}


def test_negative_messages_and_expiring_points_raise_churn_risk(
    client: TestClient, store: StoreHandle, db: Database, clock: FakeClock
) -> None:
    shop = Shop(client, store, db, clock)
    shop.settings(pending_days=0, unlock_after_status="fulfilled", earn_on_status="paid")
    shop.settings(expiry_policy="days_after_earning", expiry_amount=60)
    for customer in ("angry", "calm"):
        shop.move(shop.order(customer, LINES)["id"], "fulfilled")
    shop.later(days=40)  # their points expire in 20 days
    _write(
        db, store, "angry", "This is ridiculous. The parcel is lost again and nobody answers. Awful service."
    )
    _write(db, store, "calm", "Hi! Could you tell me when the blue mug is back in stock? Thanks")
    now = clock.now() + timedelta(seconds=1)
    with db.read() as session:
        orders = queries.order_facts(session, store_by_id(session, store.id), now)
        by_external = {
            external: id_ for external, id_ in session.execute(select(Customer.external_id, Customer.id))
        }
        signals = queries.churn_signals(session, store.id, orders, now)
    angry, calm = signals[by_external["angry"]], signals[by_external["calm"]]
    assert angry.negative_sentiment and not calm.negative_sentiment
    assert angry.points_expiring_soon == calm.points_expiring_soon == 40
    assert angry.open_problems == 1 and angry.days_inactive == 40
    reasons = churn_risk(0.9, angry).reasons
    assert any("negative" in reason for reason in reasons) and any("expir" in reason for reason in reasons)
