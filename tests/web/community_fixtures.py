"""A store with a community to test through HTTP: a loyalty program (points available at once), Ana who
asks (she bought a tee) and Bea who bought the rain jacket she asks about, and Cleo who bought nothing of
it. Shoppers act through the member page's forms and the member API with the store's real signatures."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import text

from loyaldesk.customers import CustomerProfile, upsert_customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.web.app import create_app
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop

JACKET = "JACKET-RAIN"


class Community(Shop):
    """``Shop`` with the community's doors: the member page's forms and the member API."""

    def identity(self, customer: str) -> dict[str, str]:
        return {"customer": customer, "signature": shopper_signature(self.secret(), customer)}

    def page(self, customer: str, path: str = "", **params: Any) -> Any:
        query = urlencode({**self.identity(customer), **params})
        return self.client.get(f"/m/{self.store.slug}/community{path}?{query}")

    def form(self, customer: str, path: str, **fields: Any) -> Any:
        return self.client.post(
            f"/m/{self.store.slug}/community{path}",
            data={**self.identity(customer), **fields},
            follow_redirects=False,
        )

    def api(self, customer: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.as_shopper(customer, method, f"/community{path}", **kwargs)

    def ask(self, customer: str = "ana", title: str = "Is it really waterproof?", **more: Any) -> int:
        body = {"title": title, "body": "Does it keep the rain out in a storm?", "product_id": JACKET, **more}
        response = self.api(customer, "POST", "/questions", json={"space": "product_qa", **body})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def answer(
        self, thread_id: int, customer: str = "bea", body: str = "Yes: **dry** after two hours."
    ) -> int:
        response = self.api(customer, "POST", f"/threads/{thread_id}/answers", json={"body": body})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def count(self, table: str) -> int:
        with self.db.read() as session:
            return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def fingerprint(self) -> dict[str, Any]:
        """What a refused request must leave as it was: the community's rows and the ledger."""
        with self.db.read() as session:
            return {
                table: session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
                for table in (
                    "community_threads",
                    "community_posts",
                    "community_votes",
                    "community_reports",
                    "loyalty_entries",
                    "loyalty_postings",
                )
            }


def community_shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Community:
    client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
    shop = Community(client, store, db, clock)
    shop.settings(member_page_title="Acme Rewards", pending_days=0)
    shop.tier("Bronze", 0, 0)
    shop.order("ana", [("TEE", "Apparel", 1, 2_000)], status="delivered")
    shop.order("bea", [(JACKET, "Outdoor", 1, 12_000)], status="delivered")
    shop.order("cleo", [("SOCKS", "Apparel", 1, 900)], status="delivered")
    for customer, first, last in (
        ("ana", "Ana", "Lopez"),
        ("bea", "Beatrix", "Moreau"),
        ("cleo", "Cleo", "Park"),
    ):
        db.write(
            upsert_customer,
            store.actor,
            store.id,
            customer,
            CustomerProfile(first_name=first, last_name=last),
        )
    return shop
