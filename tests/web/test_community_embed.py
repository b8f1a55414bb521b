"""The product page's Q&A block from the store's own site (another origin): its script is served with the
widget's assets to any page, its JSON only to pages the store allows for its chat (CORS like the rest of
the widget API; another origin is refused, saying why), rate limited per address; the accepted answer
comes as sanitised HTML, authors by display name and badges."""

from __future__ import annotations

import pytest

from loyaldesk.kernel.clock import FakeClock
from loyaldesk.kernel.db import Database
from loyaldesk.runtime import Runtime
from loyaldesk.support.actions.desk_settings import update_settings
from tests.factories import StoreHandle
from tests.web.community_fixtures import JACKET, Community, community_shop

SHOP = "https://shop.example"
URL = f"/widget-api/v1/acme/community/products/{JACKET}/questions"


@pytest.fixture
def shop(runtime: Runtime, store: StoreHandle, db: Database, clock: FakeClock) -> Community:
    shop = community_shop(runtime, store, db, clock)
    db.write(update_settings, store.actor, store.id, {"widget_allowed_origins": [SHOP]})
    return shop


def test_the_block_shows_a_products_questions_with_the_accepted_answer_on_the_stores_site(
    shop: Community,
) -> None:
    thread_id = shop.ask("ana", title="Does it pack small?")
    post_id = shop.answer(thread_id, "bea", body="Into its own pocket. <script>alert(1)</script>")
    shop.ask("cleo", title="Is there a hood?")
    shop.answer(thread_id, "cleo", body="No idea")
    accepted = shop.api("ana", "POST", f"/threads/{thread_id}/accept", json={"post_id": post_id})
    assert accepted.status_code == 200, accepted.text

    preflight = shop.client.options(URL, headers={"Origin": SHOP, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    response = shop.client.get(URL, headers={"Origin": SHOP}, params={"language": "de-DE"})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] in (SHOP, "*")
    found = response.json()
    assert found["product_id"] == JACKET and found["language"] == "de"
    assert found["ask_url"].endswith(f"/m/acme/community/questions?product={JACKET}")
    by_title = {q["title"]: q for q in found["questions"]}
    assert set(by_title) == {"Does it pack small?", "Is there a hood?"}
    packed = by_title["Does it pack small?"]
    assert packed["answers_count"] == 2 and packed["url"].endswith(f"/m/acme/community/threads/{thread_id}")
    answer = packed["accepted_answer"]
    assert answer["author"]["verified_buyer"] is True and "@" not in answer["author"]["display_name"]
    assert "Into its own pocket." in answer["body_html"] and "<script" not in answer["body_html"]
    assert by_title["Is there a hood?"]["accepted_answer"] is None
    assert found["labels"]["ask"] != "Ask a question"  # in German
    assert "@example.com" not in response.text


def test_another_origin_is_refused_saying_why_and_strangers_are_rate_limited(shop: Community) -> None:
    refused = shop.client.get(URL, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "evil.example" in refused.json()["error"]["message"]
    missing = shop.client.get(
        "/widget-api/v1/nosuchstore/community/products/X/questions", headers={"Origin": SHOP}
    )
    assert missing.status_code == 404
    statuses = [shop.client.get(URL, headers={"Origin": SHOP}).status_code for _ in range(35)]
    assert statuses[0] == 200 and statuses[-1] == 429  # help searches per address: 30 a minute


def test_the_script_and_its_styles_are_served_to_any_page(shop: Community) -> None:
    script = shop.client.get("/static/widget/community-qa.js", headers={"Origin": SHOP})
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["access-control-allow-origin"] == "*"
    assert "/community/products/" in script.text and "innerHTML" in script.text
    styles = shop.client.get("/static/widget/community-qa.css")
    assert styles.status_code == 200 and ".ldqa" in styles.text
