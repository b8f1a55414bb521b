"""Serving picks from storage, as the store's backend and the shopper meet them: the store API's
``/customers/{id}/recommendations`` and the member API's ``/me/recommendations`` (the member page is in
``test_serving_pages``): the stored picks re-ranked and filtered, each with why in the customer's
language and its reward's points; bestsellers for a customer with nothing stored; clear refusals."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.recommendations import (
    PickFilters,
    PickRequest,
    RecommendationSettings,
    picks_for,
    update_recommendation_settings,
)
from loyaldesk.stores import Store
from loyaldesk.stores.credentials import shopper_signature
from tests.factories import StoreHandle, make_api_key, make_member, make_store, order_payload
from tests.recommendations.serving_factory import make_customer, make_product, store_picks

URL = "/api/v1/customers/{}/recommendations"


def catalogue(db: Database, store: StoreHandle) -> None:
    make_product(
        db,
        store,
        "beans",
        "Coffee beans",
        sku="BEANS",
        category="Coffee",
        consumable=True,
        price=1500,
        url="https://shop.example/beans",
        image_url="https://cdn.example/beans.jpg",
    )
    make_product(db, store, "grinder", "Burr grinder", sku="GRIND", category="Kitchen", price=9900, cost=5000)
    make_product(db, store, "filter", "Paper filters", sku="FILTER", category="Coffee", price=400)
    make_product(db, store, "kettle", "Kettle", sku="KETTLE", category="Kitchen", in_stock=False)
    make_product(db, store, "old", "Old mug", sku="OLD", category="Kitchen", active=False)


def customer_id_of(db: Database, store: StoreHandle, external_id: str) -> int:
    with db.read() as session:
        return int(
            session.query(Customer.id).filter_by(store_id=store.id, external_id=external_id).scalar()  # type: ignore[arg-type]
        )


PICKS = [
    ("beans", 0.9, "repurchase", {"title": "Coffee beans", "days": 30, "last_bought": "2026-02-01"}),
    ("kettle", 0.8, "similar", {"other_key": "beans", "other_title": "Coffee beans"}),
    ("grinder", 0.7, "bought_with", {"other_key": "beans", "other_title": "Coffee beans"}),
    ("filter", 0.68, "popular_in_category", {"category": "Coffee"}),
    ("old", 0.6, "for_you", {}),
    ("gone", 0.4, "similar", {"other_title": "Coffee beans", "title": "A gone item", "category": "Tea"}),
]


def test_the_store_reads_a_customers_picks_with_reasons_points_and_filters(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    catalogue(db, store)
    member_id = make_member(db, store, "m-1")
    customer_id = customer_id_of(db, store, "m-1")
    store_picks(db, store, customer_id, PICKS)
    reward = client.post(
        "/api/v1/loyalty/rewards",
        headers=store.auth,
        json={"name": "Free filters", "kind": "free_product", "product_sku": "FILTER", "points_cost": 300},
    )
    assert reward.status_code == 201, reward.text
    client.post(
        "/api/v1/loyalty/rewards",
        headers=store.auth,
        json={"name": "Free grinder", "kind": "free_product", "product_sku": "GRIND", "points_cost": 5000},
    )
    adjusted = client.post(
        f"/api/v1/loyalty/members/{member_id}/adjustments",
        headers={**store.auth, "Idempotency-Key": "pts-1"},
        json={"points": 400, "reason_code": "goodwill", "note": "welcome"},
    )
    assert adjusted.status_code == 201, adjusted.text

    response = client.get(URL.format(customer_id), headers=store.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == customer_id and body["language"] == "en"
    picks = {pick["item_key"]: pick for pick in body["data"]}
    # Out of stock (kettle) and archived (old) are left out; an item the catalogue lacks keeps its memory.
    assert list(picks) == ["beans", "filter", "grinder", "gone"]
    assert picks["beans"]["reason"] == "You buy Coffee beans about every 30 days"
    assert picks["beans"]["url"] == "https://shop.example/beans" and picks["beans"]["price"] == 1500
    assert picks["grinder"]["reason"] == "Often bought with Coffee beans"
    assert picks["filter"]["reason"] == "Popular in Coffee"
    assert picks["gone"]["reason"] == "Customers who bought Coffee beans also bought this"
    assert picks["gone"]["title"] == "A gone item" and picks["gone"]["product_id"] is None
    # Rewards: affordable filters (300 of 400 points) climb above the grinder; the grinder's cost shows.
    assert picks["filter"]["points_cost"] == 300 and picks["filter"]["affordable"] is True
    assert picks["filter"]["reward_id"] == reward.json()["id"]
    assert picks["grinder"]["points_cost"] == 5000 and picks["grinder"]["affordable"] is False

    # Filters narrow: a category, a campaign's items, a limit; in_stock_only cannot loosen the store's.
    only = client.get(URL.format(customer_id), headers=store.auth, params={"category": "Coffee"}).json()
    assert [pick["item_key"] for pick in only["data"]] == ["beans", "filter"]
    items = client.get(URL.format(customer_id), headers=store.auth, params={"items": "grinder,kettle"}).json()
    assert [pick["item_key"] for pick in items["data"]] == ["grinder"]
    loose = client.get(URL.format(customer_id), headers=store.auth, params={"in_stock_only": "false"}).json()
    assert "kettle" not in [pick["item_key"] for pick in loose["data"]]
    assert (
        len(client.get(URL.format(customer_id), headers=store.auth, params={"limit": 2}).json()["data"]) == 2
    )
    # The reasons in German when asked (or when the customer's profile says so).
    german = client.get(URL.format(customer_id), headers=store.auth, params={"language": "de"}).json()
    assert german["language"] == "de"
    assert german["data"][0]["reason"] == "Sie kaufen Coffee beans etwa alle 30 Tage"


def test_the_stores_settings_shape_what_is_served(db: Database, store: StoreHandle, clock: FakeClock) -> None:
    catalogue(db, store)
    customer_id = make_customer(db, store, "c-1")
    store_picks(db, store, customer_id, PICKS)

    def serve(**filters: object) -> list[str]:
        with db.read() as session:
            request = PickRequest(store.id, customer_id, filters=PickFilters(**filters))  # type: ignore[arg-type]
            return [view.item_key for view in picks_for(session, request, now=clock.now())]

    assert serve() == ["beans", "grinder", "filter", "gone"]
    db.write(update_recommendation_settings, store.actor, store.id, {"in_stock_only": False})
    assert serve()[:3] == ["beans", "kettle", "grinder"]
    assert "kettle" not in serve(in_stock_only=True)  # a placement may be stricter than the store
    db.write(update_recommendation_settings, store.actor, store.id, {"categories": ["Kitchen"]})
    assert serve() == ["kettle", "grinder"]
    assert serve(categories=("Coffee",)) == []  # a placement cannot widen the store's categories
    db.write(update_recommendation_settings, store.actor, store.id, {"enabled": False})
    assert serve() == []


def test_just_bought_non_consumables_are_left_out_and_consumables_stay(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    catalogue(db, store)
    order = order_payload(
        "o-1",
        customer={"external_id": "cust-1", "email": "emma@example.com"},
        placed_at=(clock.now() - timedelta(days=3)).isoformat(),
        lines=[
            {
                "external_id": "l1",
                "product_id": "grinder",
                "sku": "GRIND",
                "title": "Burr grinder",
                "quantity": 1,
                "unit_price": 9900,
            },
            {
                "external_id": "l2",
                "product_id": "beans",
                "sku": "BEANS",
                "title": "Coffee beans",
                "quantity": 1,
                "unit_price": 1500,
            },
        ],
    )
    created = client.post("/api/v1/orders", headers=store.auth, json=order)
    assert created.status_code in (200, 201), created.text
    customer_id = customer_id_of(db, store, "cust-1")
    store_picks(db, store, customer_id, PICKS)
    served = [
        pick["item_key"] for pick in client.get(URL.format(customer_id), headers=store.auth).json()["data"]
    ]
    assert "grinder" not in served and served[0] == "beans"
    db.write(update_recommendation_settings, store.actor, store.id, {"exclude_bought_days": 2})
    served = [
        pick["item_key"] for pick in client.get(URL.format(customer_id), headers=store.auth).json()["data"]
    ]
    assert "grinder" in served


def test_a_customer_with_nothing_stored_gets_the_bestsellers(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    catalogue(db, store)
    for number, customer in enumerate(["a", "b", "c"]):
        lines = [
            {
                "external_id": "l1",
                "product_id": "filter",
                "sku": "FILTER",
                "title": "Paper filters",
                "category": "Coffee",
                "quantity": 1,
                "unit_price": 400,
            }
        ]
        if number == 0:
            lines.append(
                {
                    "external_id": "l2",
                    "product_id": "grinder",
                    "sku": "GRIND",
                    "title": "Burr grinder",
                    "quantity": 1,
                    "unit_price": 9900,
                }
            )
        payload = order_payload(
            f"o-{number}", customer={"external_id": customer, "email": f"{customer}@example.com"}, lines=lines
        )
        assert client.post("/api/v1/orders", headers=store.auth, json=payload).status_code in (200, 201)
    newcomer = make_customer(db, store, "new-1", locale="de")
    body = client.get(URL.format(newcomer), headers=store.auth).json()
    assert [pick["item_key"] for pick in body["data"]] == ["filter", "grinder"]
    assert {pick["reason_kind"] for pick in body["data"]} == {"bestseller"}
    assert body["data"][0]["reason"] == "Ein Bestseller" and body["language"] == "de"
    # Stored picks the filters thin out are topped up with bestsellers the fit did not put forward.
    regular = make_customer(db, store, "regular")
    store_picks(db, store, regular, [("kettle", 1.0, "for_you", {}), ("grinder", 0.5, "for_you", {})])
    topped = client.get(URL.format(regular), headers=store.auth, params={"limit": 3}).json()["data"]
    assert [(pick["item_key"], pick["reason_kind"]) for pick in topped] == [
        ("grinder", "for_you"),
        ("filter", "bestseller"),
    ]


def test_bad_requests_are_refused_clearly(client: TestClient, db: Database, store: StoreHandle) -> None:
    customer_id = make_customer(db, store, "c-1")
    other = make_store(db, "other")
    stranger = make_customer(db, other, "c-9")
    assert client.get(URL.format(999999), headers=store.auth).status_code == 404
    assert client.get(URL.format(stranger), headers=store.auth).status_code == 404  # another store's
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"in_stock_only": "maybe"}, "in_stock_only"),
        ({"language": "xx"}, "language"),
        ({"items": ",".join(f"k{i}" for i in range(101))}, "items"),
    ]:
        response = client.get(URL.format(customer_id), headers=store.auth, params=params)
        assert response.status_code == 422, (params, response.text)
        assert field in response.text
    assert client.get(URL.format("abc"), headers=store.auth).status_code == 422
    assert client.get(URL.format(customer_id)).status_code == 401
    narrow = make_api_key(db, store, ["customers:read"])
    assert client.get(URL.format(customer_id), headers=narrow).status_code == 403
    reader = make_api_key(db, store, ["recommendations:read"])
    assert client.get(URL.format(customer_id), headers=reader).json() == {
        "customer_id": customer_id,
        "language": "en",
        "data": [],
    }


def test_every_new_store_gets_its_settings_and_an_older_store_reads_the_defaults(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    with db.read() as session:
        row = session.get(RecommendationSettings, store.id)
        assert row is not None and row.enabled and row.in_stock_only and row.exclude_bought_days == 180
    db.write(lambda uow: uow.session.delete(uow.session.get(RecommendationSettings, store.id)))
    customer_id = make_customer(db, store, "c-1")
    make_product(db, store, "beans", "Coffee beans")
    store_picks(db, store, customer_id, PICKS[:1])
    assert client.get(URL.format(customer_id), headers=store.auth).json()["data"][0]["item_key"] == "beans"


def signed(db: Database, store: StoreHandle, external_id: str) -> dict[str, str]:
    with db.read() as session:
        secret = session.get(Store, store.id).identity_secret  # type: ignore[union-attr]
    return {"X-Customer-Id": external_id, "X-Customer-Signature": shopper_signature(secret, external_id)}


def test_the_member_api_gives_a_shopper_their_own_picks_only(
    client: TestClient, db: Database, store: StoreHandle
) -> None:
    catalogue(db, store)
    mine = make_customer(db, store, "c-1", locale="de")
    theirs = make_customer(db, store, "c-2")
    store_picks(db, store, mine, PICKS[:1])
    store_picks(db, store, theirs, PICKS[2:3])
    response = client.get("/member-api/v1/acme/me/recommendations", headers=signed(db, store, "c-1"))
    assert response.status_code == 200
    [pick] = response.json()["recommendations"]
    assert pick["item_key"] == "beans" and pick["reason"] == "Sie kaufen Coffee beans etwa alle 30 Tage"
    assert "reason_params" not in pick
    other = client.get("/member-api/v1/acme/me/recommendations", headers=signed(db, store, "c-2")).json()
    assert [pick["item_key"] for pick in other["recommendations"]] == ["grinder"]
    assert client.get("/member-api/v1/acme/me/recommendations").status_code == 401
    forged = {"X-Customer-Id": "c-1", "X-Customer-Signature": "0" * 64}
    assert client.get("/member-api/v1/acme/me/recommendations", headers=forged).status_code == 401
    # A shopper the store has not told us about yet: nothing personal, nothing broken.
    unknown = client.get("/member-api/v1/acme/me/recommendations", headers=signed(db, store, "c-new"))
    assert unknown.status_code == 200 and unknown.json()["recommendations"] == []
    too_many = client.get(
        "/member-api/v1/acme/me/recommendations", headers=signed(db, store, "c-1"), params={"limit": 500}
    )
    assert too_many.status_code == 422


def test_preferences_and_churn_risk_shape_the_order(
    client: TestClient, db: Database, store: StoreHandle, clock: FakeClock
) -> None:
    from loyaldesk.analytics.models import CustomerScoreRow
    from loyaldesk.recommendations import CustomerPreferences

    catalogue(db, store)
    make_product(
        db, store, "boots", "Boots", sku="BOOTS", category="Shoes", attributes={"sizes": ["40", "41"]}
    )
    customer_id = make_customer(db, store, "c-1")
    store_picks(
        db,
        store,
        customer_id,
        [
            ("grinder", 1.0, "bought_with", {"other_title": "Coffee beans"}),
            ("boots", 0.95, "for_you", {}),
            ("filter", 0.9, "popular_in_category", {"category": "Coffee"}),
            ("beans", 0.8, "repurchase", {"title": "Coffee beans", "days": 30}),
            ("gone", 0.0, "for_you", {"title": "A gone item"}),
        ],
    )

    def served() -> list[str]:
        body = client.get(URL.format(customer_id), headers=store.auth).json()
        return [pick["item_key"] for pick in body["data"]]

    assert served() == ["grinder", "boots", "filter", "beans", "gone"]

    def tell(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            CustomerPreferences(
                store_id=store.id,
                customer_id=customer_id,
                sizes={"shoes": "44"},
                interests=["coffee"],
                excluded_categories=["Kitchen"],
                channels=[],
                updated_at=uow.now(),
            )
        )

    db.write(tell)
    # Kitchen left out, no boots in size 44, coffee lifted.
    assert served() == ["filter", "beans", "gone"]

    def drifting(uow):  # type: ignore[no-untyped-def]
        uow.session.add(
            CustomerScoreRow(
                store_id=store.id,
                customer_id=customer_id,
                segment="at_risk",
                churn_risk=0.9,
                value=80.0,
                computed_at=uow.now(),
            )
        )

    db.write(drifting)
    # A customer drifting away gets what they buy again first.
    assert served() == ["beans", "filter", "gone"]
