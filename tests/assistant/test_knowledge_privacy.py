"""A customer's help-center traces (feedback, searches) go into their export and are erased with them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.assistant.knowledge import ArticleFeedback, SearchChannel, SearchLogEntry
from loyaldesk.assistant.knowledge.actions.shoppers import give_feedback, record_search
from loyaldesk.kernel.db import Database
from tests.assistant.knowledge_helpers import publish_fixture
from tests.factories import StoreHandle


def test_export_and_erase(client: TestClient, db: Database, store: StoreHandle):
    ids = publish_fixture(db, store)
    made = client.post(
        "/api/v1/customers", json={"external_id": "c-1", "email": "ada@example.com"}, headers=store.auth
    )
    assert made.status_code in (200, 201), made.text
    customer_id = made.json()["id"]
    db.write(
        give_feedback, store.id, ids["returns"], helpful=False, comment="I am Ada", customer_id=customer_id
    )
    db.write(
        record_search,
        store.id,
        query="ada's order 1001",
        language="en",
        channel=SearchChannel.ASSISTANT,
        results_count=0,
        top_article_id=None,
        customer_id=customer_id,
    )
    exported = client.get(f"/api/v1/customers/{customer_id}/export", headers=store.auth).json()
    section = exported["knowledge"] if "knowledge" in exported else exported["sections"]["knowledge"]
    assert section["article_feedback"][0]["comment"] == "I am Ada"
    assert section["help_searches"][0]["query"] == "ada's order 1001"
    erased = client.post(f"/api/v1/customers/{customer_id}/erase", headers=store.auth)
    assert erased.status_code in (200, 202), erased.text
    with db.read() as session:
        feedback = session.scalars(select(ArticleFeedback)).one()
        search = session.scalars(select(SearchLogEntry)).one()
    assert (feedback.comment, feedback.customer_id, feedback.helpful) == ("", None, False)
    assert (search.query, search.customer_id, search.results_count) == ("(erased)", None, 0)
