"""The chat widget's greeting over HTTP, as the widget's script asks for it with its ticket: a signed-in
shopper is greeted by first name, with their tier, their points, the points about to expire (amount and
day) and one thing for them (an active personal offer of theirs, else their top pick with why), in their
language; an anonymous visitor gets nothing personal; the store can turn the greeting off; another
store's ticket, a forged one and a page the store did not allow are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import Offer, OfferAssignment, ReasonKind, RecommendationSettings
from loyaldesk.runtime import Runtime
from loyaldesk.settings import Settings
from loyaldesk.support.actions.contacts import identify_contact
from loyaldesk.support.actions.desk_settings import update_settings
from loyaldesk.support.widget_ticket import issue_ticket
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop
from tests.recommendations.test_inbox_picks import add_picks, add_product

GREETING = "/widget-api/v1/acme/greeting"


def ticket_for(runtime: Runtime, db: Database, store: StoreHandle, customer_id: int | None) -> str:
    contact = db.write(identify_contact, store.id, customer_id=customer_id, visitor_token=None)
    return issue_ticket(runtime.secret_key, store.id, contact.contact_id)


def returning_shopper(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock, *, locale: str | None = None
) -> int:
    """Nora, a Gold member: 40 points earned 40 days ago, expiring 60 days after they were earned."""
    shop = Shop(client, store, db, clock)
    shop.settings(
        pending_days=0,
        unlock_after_status="fulfilled",
        earn_on_status="paid",
        expiry_policy="days_after_earning",
        expiry_amount=60,
    )
    shop.tier("Gold", 1, 0)  # the base tier: every member is Gold here
    order = shop.order("nora", [("TEE", "Apparel", 3, 1000), ("MUG", "Home", 1, 1000)])
    shop.move(order["id"], "fulfilled")
    shop.later(days=40)
    profile = CustomerProfile(first_name="Nora", locale=locale)
    return int(db.write(upsert_customer, store.actor, store.id, "nora", profile).customer.id)


def greet(client: TestClient, ticket: str, language: str = "en") -> dict[str, Any]:
    response = client.get(GREETING, params={"ticket": ticket, "language": language})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()  # type: ignore[no-any-return]


def test_a_signed_in_shopper_is_greeted_by_name_tier_points_and_their_top_pick(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customer_id = returning_shopper(client, db, store, clock)
    add_product(db, store, "BEANS-1", "Espresso beans 1 kg")
    add_picks(db, store, customer_id, [("BEANS-1", ReasonKind.REPURCHASE, {"days": 30})])
    body = greet(client, ticket_for(runtime, db, store, customer_id))

    assert body["personal"] is True and body["title"] == "Welcome back, Nora!"
    assert (body["first_name"], body["tier"], body["points"], body["expiring_points"]) == (
        "Nora",
        "Gold",
        40,
        40,
    )
    assert body["lines"][0] == "You are a Gold member with 40 points."
    expires = clock.now() + timedelta(days=20)
    assert body["expiring_on"][:10] == expires.date().isoformat()
    assert (
        body["lines"][1].startswith("40 of your points expire on ") and str(expires.year) in body["lines"][1]
    )
    assert body["suggestion"]["kind"] == "pick" and body["suggestion"]["title"] == "Espresso beans 1 kg"
    assert body["suggestion"]["url"] == "https://shop.example/p/beans-1"
    assert body["closing"] == "How can we help?" and len(body["lines"]) == 2


def test_an_active_personal_offer_comes_before_the_pick_and_a_held_out_customer_never_hears_of_it(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customer_id = returning_shopper(client, db, store, clock, locale="de")
    add_product(db, store, "BEANS-1", "Espresso beans 1 kg")
    add_picks(db, store, customer_id, [("BEANS-1", ReasonKind.REPURCHASE, {"days": 30})])

    def offer(uow: Any, group: str, told: bool = True) -> None:
        now = uow.now()
        row = Offer(
            store_id=store.id, name="Double points on coffee", description="Twice the points on beans.",
            kind="bonus_points", value=100, target_kind="category", target="Coffee", segment=None,
            holdout_percent=10, status="active", channel="email", ends_at=now + timedelta(days=10),
            launched_at=now, created_at=now, updated_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        uow.session.add(
            OfferAssignment(
                offer_id=row.id,
                customer_id=customer_id,
                store_id=store.id,
                group=group,
                assigned_at=now,
                told_at=now if told else None,
            )
        )

    db.write(offer, "holdout")
    ticket = ticket_for(runtime, db, store, customer_id)
    assert greet(client, ticket)["suggestion"]["kind"] == "pick"  # held out: the pick, not the offer
    db.write(offer, "treatment", False)
    assert greet(client, ticket)["suggestion"]["kind"] == "pick"  # not told yet: no code to show

    db.write(offer, "treatment")
    body = greet(client, ticket, language="en")
    # In the shopper's profile language (German), whatever the browser says.
    assert body["language"] == "de" and body["title"] == "Willkommen zurück, Nora!"
    assert body["lines"][0] == "Sie sind Gold-Mitglied mit 40 Punkten."
    suggestion = body["suggestion"]
    assert (suggestion["kind"], suggestion["title"]) == ("offer", "Double points on coffee")
    assert suggestion["label"] == "Ein Angebot für Sie"
    assert suggestion["text"].startswith("Twice the points on beans. Bis ")


def test_nothing_personal_for_an_anonymous_visitor_or_when_the_store_turned_it_off(
    client: TestClient, runtime: Runtime, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customer_id = returning_shopper(client, db, store, clock)
    assert greet(client, ticket_for(runtime, db, store, None)) == {"personal": False}

    def turn_off(uow: Any) -> None:
        row = uow.session.get(RecommendationSettings, store.id)  # every new store has its settings
        row.widget_greeting = False
        row.updated_at = uow.now()

    db.write(turn_off)
    assert greet(client, ticket_for(runtime, db, store, customer_id)) == {"personal": False}


def test_foreign_forged_and_disallowed_requests_are_refused(
    client: TestClient,
    runtime: Runtime,
    db: Database,
    store: StoreHandle,
    other_store: StoreHandle,
    clock: FakeClock,
) -> None:
    customer_id = returning_shopper(client, db, store, clock)
    theirs = ticket_for(runtime, db, other_store, None)
    assert client.get(GREETING, params={"ticket": theirs}).status_code in (401, 403, 404)
    assert client.get(GREETING, params={"ticket": "forged"}).status_code in (401, 403, 404)
    assert client.get(GREETING).status_code == 422  # the ticket is required, and named
    assert "ticket" in client.get(GREETING).text
    db.write(update_settings, store.actor, store.id, {"widget_allowed_origins": ["https://shop.example"]})
    elsewhere = client.get(
        GREETING,
        params={"ticket": ticket_for(runtime, db, store, customer_id)},
        headers={"origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403 and "Nora" not in elsewhere.text


def test_the_greeting_is_rate_limited_per_address(
    settings: Settings, db: Database, store: StoreHandle
) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous_requests_per_address": "3/minute"})
    runtime = Runtime(limited, database=db)
    ticket = ticket_for(runtime, db, store, None)
    with TestClient(create_app(runtime=runtime), base_url="https://testserver") as client:
        answers = [client.get(GREETING, params={"ticket": ticket}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
