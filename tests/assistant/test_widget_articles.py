"""Article suggestions in the chat widget, at the HTTP level as the widget's script calls them from a
store's page on another origin: CORS, the store's allowed origins, the top 3 with absolute links, the
search logged, an opened article recorded and settled as deflected or not."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.assistant.knowledge import Deflection, SearchLogEntry
from loyaldesk.assistant.knowledge.actions.shoppers import decide_deflections
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.settings import Settings
from loyaldesk.support.actions import post_customer_message
from loyaldesk.support.actions.contacts import identify_contact
from tests.assistant.knowledge_helpers import publish_fixture
from tests.factories import StoreHandle, table_counts
from tests.support.test_widget_origins import EVIL, SHOP, allow


def suggest(client: TestClient, store: StoreHandle, q: str, origin: str = SHOP) -> object:
    return client.get(
        f"/widget-api/v1/{store.slug}/articles",
        params={"q": q, "language": "en-GB"},
        headers={"origin": origin},
    )


def test_suggestions_from_the_stores_page(
    client: TestClient, db: Database, store: StoreHandle, settings: Settings
):
    ids = publish_fixture(db, store)
    allow(db, store, SHOP)
    preflight = client.options(
        f"/widget-api/v1/{store.slug}/articles",
        headers={"origin": SHOP, "access-control-request-method": "GET"},
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] in ("*", SHOP)
    found = suggest(client, store, "how long until my parcel arrives")
    assert found.status_code == 200, found.text
    assert found.headers["access-control-allow-origin"] == "*"
    body = found.json()
    assert body["language"] == "en" and 1 <= len(body["articles"]) <= 3
    first = body["articles"][0]
    assert first["id"] == ids["delivery"] and first["title"] == "Delivery times"
    assert first["url"] == f"{settings.public_base_url.rstrip('/')}/help/{store.slug}/en/articles/delivery"
    assert "working days" in first["snippet"]
    german = client.get(
        f"/widget-api/v1/{store.slug}/articles",
        params={"q": "how long until my parcel arrives", "language": "de-DE"},
        headers={"origin": SHOP},
    ).json()
    assert german["language"] == "en" and german["articles"][0]["id"] == ids["delivery"]  # all it has
    nothing = suggest(client, store, "who painted the mona lisa").json()
    assert nothing["articles"] == []
    with db.read() as session:
        logged = session.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)).all()
        assert [(e.channel, e.results_count > 0) for e in logged] == [
            ("widget", True),
            ("widget", True),
            ("widget", False),
        ]
        assert logged[0].id == body["search_id"]


def test_a_page_not_allowed_to_use_the_chat_gets_nothing(
    client: TestClient, db: Database, store: StoreHandle
):
    publish_fixture(db, store)
    allow(db, store, SHOP)
    refused = suggest(client, store, "how long until my parcel arrives", origin=EVIL)
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == "*"
    assert "articles" not in refused.json()
    assert table_counts(db, "knowledge_searches") == {"knowledge_searches": 0}
    empty = client.get(f"/widget-api/v1/{store.slug}/articles", params={"q": ""}, headers={"origin": SHOP})
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "q"


def test_another_stores_articles_are_never_suggested(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
):
    publish_fixture(db, store)
    allow(db, other_store, SHOP)
    assert suggest(client, other_store, "how long until my parcel arrives").json()["articles"] == []


def test_an_opened_article_is_deflected_unless_a_conversation_follows(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
):
    ids = publish_fixture(db, store)
    allow(db, store, SHOP)
    stays_away = db.write(identify_contact, store.id, customer_id=None, visitor_token=None)
    writes_anyway = db.write(identify_contact, store.id, customer_id=None, visitor_token=None)
    for visitor in (stays_away, writes_anyway):
        search_id = suggest(client, store, "how long until my parcel arrives").json()["search_id"]
        opened = client.post(
            f"/widget-api/v1/{store.slug}/articles/{ids['delivery']}/opened",
            json={"search_id": search_id, "visitor_token": visitor.new_visitor_token},
            headers={"origin": SHOP},
        )
        assert opened.status_code == 201, opened.text
    clock.advance(timedelta(minutes=10))
    db.write(post_customer_message, writes_anyway.contact_id, body="Where is my parcel anyway?")
    assert db.write(decide_deflections) == 0  # the 30 minutes have not passed
    clock.advance(timedelta(minutes=25))
    assert db.write(decide_deflections) == 2
    with db.read() as session:
        outcomes = [d.outcome for d in session.scalars(select(Deflection).order_by(Deflection.id))]
        clicked = session.scalars(select(SearchLogEntry.clicked_article_id)).all()
    assert outcomes == ["deflected", "contacted"]
    assert clicked == [ids["delivery"], ids["delivery"]]
    unknown = client.post(
        f"/widget-api/v1/{store.slug}/articles/999999/opened", json={}, headers={"origin": SHOP}
    )
    assert unknown.status_code == 404
