"""The community in real browsers: a shopper asks a product question on the member page, a verified buyer
(another shopper, with an order of the product) answers from theirs, the asker accepts, and the points
appear on both member pages (the answerer's balance goes up by the store's accepted-answer points, the
asker's by the points for an answered question). Then
an agent finds a reported answer in the console's moderation queue. And the product page's Q&A block on
the store's own site (another origin)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.desk_settings import update_settings
from tests.e2e.conftest import screenshot
from tests.e2e.test_widget_cross_origin import StoreSite, _shop_page
from tests.factories import TEST_PASSWORD, StoreHandle, make_staff
from tests.web.community_fixtures import JACKET, community_shop

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


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

    # The points on both member pages: Bea earned the store's accepted-answer points, Ana the asker's.
    shopper.goto(f"{live_server}/m/acme?{bea}")
    expect(shopper.get_by_test_id("balance")).to_have_text(f"{bea_before + 50:,}")
    page.goto(f"{live_server}/m/acme?{ana}")
    expect(page.get_by_test_id("balance")).to_have_text(f"{ana_before + 10:,}")
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


@pytest.fixture
def product_site() -> Iterator[StoreSite]:
    """The store's own web server (another origin than loyaldesk's), serving its product page."""
    site = StoreSite()
    yield site
    site.close()


def test_the_product_qa_block_on_the_stores_own_site(
    live_server: str,
    shopper,  # type: ignore[no-untyped-def]
    runtime: Runtime,
    store: StoreHandle,
    db: Database,
    clock: FakeClock,
    product_site: StoreSite,
) -> None:
    """The store's product page (another origin, its own strict policy with loyaldesk's address added)
    carries the block's tag; the block shows the question with its accepted answer, the buyer's badge,
    and links to the member page with the signed-in shopper's identity."""
    runtime.settings.public_base_url = live_server
    shop = community_shop(runtime, store, db, clock)
    shop_origin = f"http://127.0.0.1:{product_site.port}"
    db.write(update_settings, store.actor, store.id, {"widget_allowed_origins": [shop_origin]})
    thread_id = shop.ask("ana", title="Does it pack small?")
    post_id = shop.answer(thread_id, "bea", body="Into its **own pocket**. <script>alert(1)</script>")
    assert (
        shop.api("ana", "POST", f"/threads/{thread_id}/accept", json={"post_id": post_id}).status_code == 200
    )
    signature = shop.identity("cleo")["signature"]
    product_site.body = _shop_page(
        f'<script type="module" src="{live_server}/static/widget/community-qa.js" data-loyaldesk-qa '
        f'data-store="acme" data-product="{JACKET}" data-customer-id="cleo" '
        f'data-customer-signature="{signature}"></script>'
    )
    product_site.policy = (
        f"default-src 'self'; script-src 'self' {live_server}; style-src 'self' {live_server}; "
        f"connect-src 'self' {live_server}; require-trusted-types-for 'script'; "
        "trusted-types loyaldesk-community-qa"
    )
    violations: list[str] = []
    shopper.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    shopper.goto(f"{shop_origin}/shop")
    block = shopper.locator("[data-loyaldesk-qa='ready']")
    expect(block.get_by_role("heading", name="Questions and answers")).to_be_visible()
    question = block.locator(".ldqa-question").filter(has_text="Does it pack small?")
    expect(question.locator(".ldqa-body strong")).to_have_text("own pocket")
    expect(question.locator(".ldqa-verified")).to_have_text("Verified buyer")
    assert shopper.locator(".ldqa-body script").count() == 0
    ask = block.get_by_role("link", name="Ask a question")
    assert "customer=cleo" in (ask.get_attribute("href") or "")
    assert violations == []
    ask.click()
    expect(shopper.get_by_label("Product", exact=True).last).to_have_value(JACKET)
