"""A shopper on the member page in a real browser: sees their balance, redeems a reward (confirming the
dialog), sees the code to use at checkout, and finds it again in their codes; a forged link shows an
error, not someone's points."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.web.app import create_app
from tests.e2e.conftest import screenshot
from tests.factories import StoreHandle
from tests.loyalty.shop import Shop

pytestmark = pytest.mark.e2e


def _shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Shop:
    client = TestClient(create_app(runtime=runtime), base_url="https://testserver")
    shop = Shop(client, store, db, clock)
    shop.settings(member_page_title="Acme Rewards", member_page_accent="#2d6a4f", pending_days=0)
    shop.tier("Bronze", 0, 0)
    shop.tier("Gold", 1, 100_000, perks=["free_shipping"])
    shop.reward("€5 off your next order", 500, description="Take €5 off any order")
    shop.reward("Tote bag", 5_000, kind="free_product", value=0, product_sku="TOTE")
    shop.order("emma", [("POT", "Garden", 2, 2_500)], status="delivered")
    shop.adjust("emma", 700, key="welcome-back")
    return shop


def test_a_shopper_redeems_a_reward_and_sees_the_code(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
) -> None:
    shop = _shop(runtime, store, db, clock)
    signature = shop.shopper("emma")["X-Customer-Signature"]
    page.goto(f"{live_server}/m/acme?{urlencode({'customer': 'emma', 'signature': signature})}")
    assert page.get_by_role("heading", level=1).inner_text() == "Acme Rewards"
    assert page.get_by_test_id("balance").inner_text() == "750"
    locked = page.locator(".reward-locked")
    assert "Needs 4,250 more points" in locked.inner_text()
    screenshot(page, "member-page")

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Redeem €5 off your next order").click()
    code = page.get_by_test_id("reward-code")
    code.wait_for()
    assert dialogs == ["Spend 500 points on €5 off your next order?"]
    assert re.fullmatch(r"LD-[A-Z2-9]{5}-[A-Z2-9]{5}", code.inner_text())
    assert page.get_by_test_id("balance").inner_text() == "250"
    assert page.evaluate("document.activeElement.id") == "redeemed"  # announced to screen readers
    codes = page.locator("#codes-title + table")
    assert code.inner_text() in codes.inner_text() and "issued" in codes.inner_text()
    screenshot(page, "member-page-redeemed")
    assert shop.balance("emma")[0] == 250


def test_a_forged_link_shows_no_points(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
) -> None:
    _shop(runtime, store, db, clock)
    response = page.goto(f"{live_server}/m/acme?customer=emma&signature={'ab' * 32}")
    assert response is not None and response.status == 401
    assert "does not match" in page.content()
    assert page.get_by_test_id("balance").count() == 0
