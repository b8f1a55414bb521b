"""A signed-in shopper's "Picked for you" in a real browser: cards with a picture, a title linking to the
product, the price and why each is picked; a reward they can afford shows its points and redeems from the
card. An anonymous visitor sees nothing personal."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from loyaldesk.customers import Customer
from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop
from tests.recommendations.serving_factory import make_product, store_picks

pytestmark = pytest.mark.e2e

# A 1x1 picture, so that the browser loads it without the network.
PICTURE_DATA = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PICTURE = f"data:image/png;base64,{PICTURE_DATA}"


def _shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
    shop = Shop(client, store, db, clock)
    shop.settings(member_page_title="Acme Rewards", pending_days=0)
    shop.order("emma", [("BEANS", "Coffee", 1, 1_500)], status="delivered")
    shop.reward("Free filters", 300, kind="free_product", value=0, product_sku="FILTER")
    shop.adjust("emma", 400, key="welcome")
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
        image_url=PICTURE,
    )
    make_product(
        db,
        store,
        "filter",
        "Paper filters",
        sku="FILTER",
        category="Coffee",
        price=400,
        url="https://shop.example/filters",
    )
    make_product(db, store, "kettle", "Kettle", sku="KETTLE", category="Kitchen", in_stock=False)
    with db.read() as session:
        emma = session.query(Customer.id).filter_by(store_id=store.id, external_id="emma").scalar()
    store_picks(
        db,
        store,
        int(emma),  # type: ignore[arg-type]
        [
            ("beans", 0.9, "repurchase", {"title": "Coffee beans", "days": 30}),
            ("kettle", 0.8, "similar", {"other_title": "Coffee beans"}),
            ("filter", 0.7, "bought_with", {"other_key": "beans", "other_title": "Coffee beans"}),
        ],
    )
    return shop


def test_a_signed_in_shopper_sees_their_picks_with_why_and_redeems_one(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
) -> None:
    shop = _shop(runtime, store, db, clock)
    before = shop.balance("emma")[0]
    signature = shop.shopper("emma")["X-Customer-Signature"]
    page.goto(f"{live_server}/m/acme?{urlencode({'customer': 'emma', 'signature': signature})}")
    section = page.get_by_test_id("picked-for-you")
    assert section.get_by_role("heading", name="Picked for you").is_visible()
    cards = section.get_by_test_id("pick")
    assert cards.count() == 2  # the kettle is out of stock
    first, second = cards.nth(0), cards.nth(1)
    assert (
        first.get_by_role("link", name="Coffee beans").get_attribute("href") == "https://shop.example/beans"
    )
    assert first.get_by_test_id("pick-reason").inner_text() == "You buy Coffee beans about every 30 days"
    assert first.locator("img").evaluate("img => img.naturalWidth") == 1  # the picture loaded
    assert "€15.00" in first.inner_text() or "15.00" in first.inner_text()
    assert second.get_by_test_id("pick-reason").inner_text() == "Often bought with Coffee beans"
    assert second.get_by_test_id("pick-points").inner_text() == "300 points"
    screenshot(page, "member-picked-for-you")

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    second.get_by_role("button", name="Redeem Paper filters").click()
    code = page.get_by_test_id("reward-code")
    code.wait_for()
    assert dialogs == ["Spend 300 points on Paper filters?"]
    assert re.fullmatch(r"LD-[A-Z2-9]{5}-[A-Z2-9]{5}", code.inner_text())
    assert shop.balance("emma")[0] == before - 300


def test_an_anonymous_visitor_sees_nothing_personal(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
) -> None:
    _shop(runtime, store, db, clock)
    response = page.goto(f"{live_server}/m/acme")
    assert response is not None and response.status == 401
    content = page.content()
    assert "Picked for you" not in content and "Coffee beans" not in content
    forged = page.goto(f"{live_server}/m/acme?customer=emma&signature={'ab' * 32}")
    assert forged is not None and forged.status == 401
    assert "Coffee beans" not in page.content()
    api = page.request.get(f"{live_server}/member-api/v1/acme/me/recommendations")
    assert api.status == 401 and "Coffee" not in api.text()
