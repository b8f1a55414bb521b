"""The pages of serving: the member page's "Picked for you" for the signed-in shopper (the browser test is
``tests/e2e/test_member_recommendations_browser.py``) and the console's Recommendations settings (the
form, its refusals, the last fits, "fit now")."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import RecommendationFit, RecommendationSettings
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle, csrf_of, login, make_member, make_staff, table_counts
from tests.recommendations.serving_factory import make_customer, make_product, store_picks
from tests.recommendations.test_serving import PICKS, catalogue, customer_id_of


def page_params(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    return {"customer": external_id, "signature": shopper_signature(secret, external_id)}


def test_the_member_page_shows_the_shoppers_picks_with_why_and_points(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    catalogue(db, store)
    member_id = make_member(db, store, "m-1")
    store_picks(db, store, customer_id_of(db, store, "m-1"), PICKS)
    client.post(
        "/api/v1/loyalty/rewards",
        headers=store.auth,
        json={"name": "Free filters", "kind": "free_product", "product_sku": "FILTER", "points_cost": 300},
    )
    client.post(
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        headers={**store.auth, "Idempotency-Key": "pts-1"},
        json={"points": 400, "reason_code": "goodwill", "note": "welcome"},
    )
    page = client.get("/m/acme", params=page_params(db, store, "m-1"))
    assert page.status_code == 200
    html = page.text
    assert "Picked for you" in html
    assert 'href="https://shop.example/beans"' in html and 'src="https://cdn.example/beans.jpg"' in html
    assert "You buy Coffee beans about every 30 days" in html
    assert "Often bought with Coffee beans" in html
    assert "Kettle" not in html  # out of stock
    assert 'data-testid="pick-points">300 points<' in html
    assert 'name="reward_id"' in html
    # The page allows the store's product pictures.
    assert "img-src 'self' data: https:" in page.headers["content-security-policy"]
    # Another shopper of the store sees their own (nothing stored: the bestsellers, none yet) — not these.
    make_customer(db, store, "c-2")
    other = client.get("/m/acme", params=page_params(db, store, "c-2"))
    assert (
        other.status_code == 200 and "Coffee beans" not in other.text and "Picked for you" not in other.text
    )
    # Nobody signed: no page at all.
    anonymous = client.get("/m/acme")
    assert anonymous.status_code == 401 and "Coffee beans" not in anonymous.text


def test_the_member_page_speaks_the_shoppers_language(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    make_product(db, store, "beans", "Kaffeebohnen", category="Kaffee")
    customer_id = make_customer(db, store, "c-1", locale="de")
    store_picks(db, store, customer_id, [("beans", 1.0, "popular_in_category", {"category": "Kaffee"})])
    html = client.get("/m/acme", params=page_params(db, store, "c-1")).text
    assert "Für Sie ausgewählt" in html and "Beliebt in Kaffee" in html


def owner(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, role: str = "owner"
) -> None:
    login(client, make_staff(db, store, role, password_hash))


def test_a_manager_changes_the_settings_and_a_bad_value_is_refused_beside_its_field(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    owner(client, db, store, password_hash)
    page = client.get("/console/acme/recommendations")
    assert page.status_code == 200
    assert "Recommendations" in page.text and 'href="/console/acme/recommendations/offers"' in page.text
    assert "No fit yet" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "enabled": "on",
        "categories": "Coffee, Tea, Coffee",
        "exclude_bought_days": "90",
        "consumable_categories": "Coffee",
        "weights": "repurchase=2, als=1",
        "refit_hours": "12",
        "widget_greeting": "on",
    }
    saved = client.post("/console/acme/recommendations", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with db.read() as session:
        row = session.get(RecommendationSettings, store.id)
        assert row is not None
        assert (row.enabled, row.in_stock_only, row.categories) == (True, False, ["Coffee", "Tea"])
        assert row.exclude_bought_days == 90 and row.consumable_categories == ["Coffee"]
        assert row.weights == {"repurchase": 2.0, "als": 1.0} and row.refit_hours == 12
    again = client.get("/console/acme/recommendations?done=1").text
    assert "Settings saved." in again and 'value="Coffee, Tea"' in again and "repurchase=2, als=1" in again

    before = table_counts(db, "recommendation_settings", "audit_log")
    for change, field in [
        ({"weights": "magic=3"}, "weights"),
        ({"weights": "repurchase"}, "weights"),
        ({"exclude_bought_days": "-1"}, "exclude_bought_days"),
        ({"refit_hours": "0"}, "refit_hours"),
    ]:
        refused = client.post("/console/acme/recommendations", data={**form, **change})
        assert refused.status_code == 422, change
        assert 'aria-invalid="true"' in refused.text and f'id="f-{field}"' in refused.text
    assert table_counts(db, "recommendation_settings", "audit_log") == before
    with db.read() as session:
        assert session.get(RecommendationSettings, store.id).refit_hours == 12  # type: ignore[union-attr]


def test_the_last_fits_and_fit_now(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str, clock: FakeClock
) -> None:
    def fits(uow):  # type: ignore[no-untyped-def]
        now = uow.now()
        uow.session.add(
            RecommendationFit(
                store_id=store.id,
                status="succeeded",
                started_at=now - timedelta(hours=2),
                finished_at=now - timedelta(hours=2),
                orders_count=5400,
                customers_count=830,
                items_count=312,
                fit_seconds=12.25,
                weights={},
                metrics={},
            )
        )
        uow.session.add(
            RecommendationFit(
                store_id=store.id,
                status="failed",
                started_at=now - timedelta(hours=1),
                finished_at=now,
                orders_count=0,
                customers_count=0,
                items_count=0,
                fit_seconds=None,
                weights={},
                metrics={},
                error="no orders in the window",
            )
        )

    db.write(fits)
    owner(client, db, store, password_hash)
    page = client.get("/console/acme/recommendations").text
    assert "Succeeded" in page and "5400" in page and "12.2 s" in page
    assert "Failed" in page and "no orders in the window" in page
    assert page.index("Failed") < page.index("Succeeded")  # newest first

    started = client.post("/console/acme/recommendations/fit", data={"csrf_token": csrf_of(page)})
    assert "Fit started" in started.text
    # The engine's fit runs on a thread of its own and records its row: a third fit, newest first.
    import time

    for _ in range(300):
        if table_counts(db, "recommendation_fits")["recommendation_fits"] == 3:
            break
        time.sleep(0.05)
    for _ in range(300):
        page = client.get("/console/acme/recommendations").text
        if "Running" not in page:
            break
        time.sleep(0.05)
    assert table_counts(db, "recommendation_fits")["recommendation_fits"] == 3
    assert page.index("Succeeded") < page.index("Failed")  # the new fit (no orders: 0 customers) on top


def test_who_may_not_manage_the_store_cannot_open_or_change_it(
    client: TestClient, db: Database, store: StoreHandle, password_hash: str
) -> None:
    owner(client, db, store, password_hash, role="agent")
    assert client.get("/console/acme/recommendations").status_code == 403
    home = client.get("/console/acme/customers").text
    assert "/console/acme/recommendations" not in home
    before = table_counts(db, "recommendation_settings", "audit_log")
    refused = client.post(
        "/console/acme/recommendations", data={"csrf_token": csrf_of(home), "enabled": "on"}
    )
    assert refused.status_code == 403
    assert table_counts(db, "recommendation_settings", "audit_log") == before
