"""The community in real browsers: a shopper asks a product question on the member page, a verified buyer
(another shopper, with an order of the product) answers from theirs, the asker accepts, and the points
appear on the member pages (the answerer's balance goes up by the store's accepted-answer points). Then
an agent finds a reported answer in the console's moderation queue."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from tests.e2e.conftest import screenshot
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff
from tests.web.community_fixtures import JACKET, community_shop

pytestmark = pytest.mark.e2e


def test_a_buyer_answers_the_asker_accepts_and_the_points_show(
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    shopper,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
    password_hash: str,
) -> None:
    shop = community_shop(runtime, store, db, clock)
    ana, bea = urlencode(shop.identity("ana")), urlencode(shop.identity("bea"))
    bea_before = shop.balance("bea")[0]
    ana_before = shop.balance("ana")[0]

    # Ana asks about the jacket on the member page.
    page.goto(f"{live_server}/m/acme/community/questions?{ana}&product={JACKET}")
    page.get_by_label("Title").fill("Does the rain jacket run small?")
    page.get_by_label("Details").fill("I wear **M** in most brands.")
    page.get_by_role("button", name="Post question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Does the rain jacket run small?")
    expect(page.get_by_test_id("thread-body").locator("strong")).to_have_text("M")
    thread_path = page.url.split(live_server, 1)[1].split("?", 1)[0]

    # Bea, who bought it, answers from her own member page: marked a verified buyer.
    shopper.goto(f"{live_server}{thread_path}?{bea}")
    shopper.get_by_label("Answer", exact=True).fill("It runs true to size; I took my usual M.")
    shopper.get_by_role("button", name="Post answer").click()
    answer = shopper.get_by_test_id("answer").filter(has_text="true to size")
    expect(answer.get_by_test_id("verified-buyer")).to_be_visible()
    expect(shopper.get_by_role("button", name="Accept this answer")).to_have_count(0)  # not her question

    # Ana accepts it.
    page.reload()
    page.get_by_role("button", name="Accept this answer").click()
    expect(page.get_by_test_id("accepted")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("accepted")
    screenshot(page, "community-thread")

    # The points on both member pages: Bea earned the store's accepted-answer points, Ana's are as they were.
    shopper.goto(f"{live_server}/m/acme?{bea}")
    expect(shopper.get_by_test_id("balance")).to_have_text(f"{bea_before + 50:,}")
    page.goto(f"{live_server}/m/acme?{ana}")
    expect(page.get_by_test_id("balance")).to_have_text(f"{ana_before:,}")
    shop.assert_ledger_clean()

    # Bea reports two spammy answers of Cleo's; an agent hides the first from the moderation queue and
    # sees the other waiting, with its content, and the hiding in the moderation log.
    thread_id = int(thread_path.rsplit("/", 1)[1])
    for spam in ("Follow my shop on **social media**!", "Get it **half price** at cheap-jackets.example!"):
        post_id = shop.answer(thread_id, "cleo", body=spam)
        reported = shop.api("bea", "POST", "/reports", json={"post_id": post_id, "reason": "advertising"})
        assert reported.status_code == 201, reported.text
    email = make_staff(db, store, "agent", password_hash)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/**")
    page.goto(f"{live_server}/console/acme/community")
    queue = page.get_by_test_id("moderation-queue")
    first = queue.locator("article").filter(has_text="social media")
    first.get_by_role("button", name="Hide the content").click()
    expect(page.get_by_role("status")).to_contain_text("Hidden")
    expect(queue.locator("article")).to_have_count(1)
    expect(queue.locator("strong").filter(has_text="half price")).to_be_visible()
    expect(page.get_by_test_id("moderation-audit")).to_contain_text("community.content_hidden")
    screenshot(page, "community-moderation")
    shopper.goto(f"{live_server}{thread_path}?{bea}")
    expect(shopper.get_by_test_id("answers")).not_to_contain_text("social media")
