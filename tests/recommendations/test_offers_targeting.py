"""Who an offer reaches: an analytics RFM segment (the cached scores), "picked" (customers whose stored
picks include the target), or every member with an order; a draft can be changed until it is launched;
the member page shows the offer group its offer and the holdout nothing; staff actions leave audit rows."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.analytics.models import CustomerScoreRow
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database, UnitOfWork
from loyaldesk.recommendations import CustomerPick, Offer
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from loyaldesk.stores.models import AuditLogEntry
from tests.factories import StoreHandle
from tests.recommendations.offer_world import launched, shop, tell
from tests.recommendations.test_offers_flow import groups_of


def test_an_rfm_segment_narrows_the_offer_to_its_customers(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customers = shop(db, store, 12, clock.now() - timedelta(days=3))
    at_risk = set(customers[:5])

    def score(uow: UnitOfWork) -> None:
        for customer in customers:
            uow.session.add(
                CustomerScoreRow(
                    store_id=store.id,
                    customer_id=customer,
                    segment="at_risk" if customer in at_risk else "champions",
                    computed_at=uow.now(),
                )
            )

    db.write(score)
    offer_id = launched(db, store, clock.now() + timedelta(days=7), segment="at_risk", holdout_percent=0)
    assert set(groups_of(db, offer_id)) == at_risk
    assert set(groups_of(db, offer_id).values()) == {"treatment"}


def test_picked_reaches_the_customers_whose_picks_include_the_target(
    db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    customers = shop(db, store, 8, clock.now() - timedelta(days=3))
    picked = customers[2:5]

    def pick(uow: UnitOfWork) -> None:
        for customer in picked:
            uow.session.add(
                CustomerPick(
                    store_id=store.id,
                    customer_id=customer,
                    rank=0,
                    item_key="BEANS-1",
                    score=1.0,
                    method="blend",
                    reason_kind="bestseller",
                    reason_params={},
                    computed_at=uow.now(),
                )
            )

    db.write(pick)
    offer_id = launched(
        db,
        store,
        clock.now() + timedelta(days=7),
        target_kind="product",
        target="BEANS-1",
        segment="picked",
        holdout_percent=0,
    )
    assert set(groups_of(db, offer_id)) == set(picked)


def test_a_draft_changes_until_launched_and_the_member_page_shows_only_the_offer_group(
    db: Database, store: StoreHandle, clock: FakeClock, client: TestClient
) -> None:
    customers = shop(db, store, 20, clock.now() - timedelta(days=3))
    ends = (clock.now() + timedelta(days=9)).isoformat()
    body = {"name": "Tea time", "kind": "fixed_discount", "value": 500, "target_kind": "category"}
    created = client.post(
        "/api/v1/offers", json={**body, "target": "Tea", "ends_at": ends}, headers=store.auth
    )
    assert created.status_code == 201, created.text
    offer_id = created.json()["id"]
    changed = client.put(
        f"/api/v1/offers/{offer_id}",
        json={**body, "target": "Coffee", "holdout_percent": 50, "ends_at": ends},
        headers=store.auth,
    )
    assert changed.status_code == 200 and changed.json()["target"] == "Coffee"
    bad = client.put(
        f"/api/v1/offers/{offer_id}", json={**body, "target": "Nothing", "ends_at": ends}, headers=store.auth
    )
    assert bad.status_code == 422 and "target" in bad.text
    launch = client.post(f"/api/v1/offers/{offer_id}/launch", headers=store.auth)
    assert launch.status_code == 200 and launch.json()["status"] == "active"
    # Nobody is told in the launch: the telling job reports its progress through the API.
    assert (launch.json()["told_count"], launch.json()["telling"]) == (0, True)
    again = client.put(
        f"/api/v1/offers/{offer_id}", json={**body, "target": "Tea", "ends_at": ends}, headers=store.auth
    )
    assert again.status_code == 409
    groups = groups_of(db, offer_id)
    with db.read() as session:
        found = session.get(Store, store.id)
        assert found is not None
        secret = found.identity_secret
        actions = list(
            session.scalars(
                select(AuditLogEntry.action).where(AuditLogEntry.target_type == "recommendation_offer")
            )
        )
        offer = session.get(Offer, offer_id)
        assert offer is not None
    assert actions == [
        "recommendations.offer_created",
        "recommendations.offer_changed",
        "recommendations.offer_launched",
    ]

    def page(customer: int) -> str:
        external = f"c{customers.index(customer) + 1}"
        answer = client.get(
            "/m/acme", params={"customer": external, "signature": shopper_signature(secret, external)}
        )
        assert answer.status_code == 200
        return answer.text

    treated = next(c for c in customers if groups[c] == "treatment")
    held = next(c for c in customers if groups[c] == "holdout")
    assert "Tea time" not in page(treated)  # not told yet: no code, nothing to show
    assert tell(db) == offer.treatment_count
    read = client.get(f"/api/v1/offers/{offer_id}", headers=store.auth).json()
    assert (read["told_count"], read["telling"]) == (offer.treatment_count, False)
    shown = page(treated)
    assert "Just for you" in shown and "Tea time" in shown and 'data-testid="offer-code"' in shown
    assert "on anything in Coffee" in shown
    hidden = page(held)
    assert "Just for you" not in hidden and "Tea time" not in hidden
