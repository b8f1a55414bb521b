"""The public help center as a shopper (and a search engine) reaches it: home, categories, search, an
article with its title, description, canonical address and FAQ structured data, "did this help?" without
JavaScript, the sitemap, languages, and what must stay unreachable."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from sqlalchemy import select

from loyaldesk.assistant.knowledge import ArticleFeedback, SearchLogEntry
from loyaldesk.assistant.knowledge.actions.articles import publish_article, save_article
from loyaldesk.kernel.db import Database
from loyaldesk.settings import Settings
from tests.assistant.knowledge_helpers import publish_fixture
from tests.factories import StoreHandle, table_counts


def test_home_lists_categories_and_their_articles(client: TestClient, db: Database, store: StoreHandle):
    publish_fixture(db, store)
    home = client.get(f"/help/{store.slug}")
    assert home.status_code == 200
    assert "<title>Help center · Acme</title>" in home.text
    assert (
        "Returning an item" in home.text and f'href="/help/{store.slug}/categories/help?lang=en"' in home.text
    )
    category = client.get(f"/help/{store.slug}/categories/help")
    assert "Delivery times" in category.text
    assert f'href="/help/{store.slug}/theme.css"' in home.text
    theme = client.get(f"/help/{store.slug}/theme.css")
    assert theme.headers["content-type"].startswith("text/css") and "--accent: #1f5fbf" in theme.text


def test_an_article_page_for_shoppers_and_search_engines(
    client: TestClient, db: Database, store: StoreHandle, settings: Settings
):
    publish_fixture(db, store)
    public = settings.public_base_url.rstrip("/")
    page = client.get(f"/help/{store.slug}/en/articles/returns")
    assert page.status_code == 200
    assert "<title>Returning an item · Acme</title>" in page.text
    assert '<meta name="description" content="You can send items back within 30 days' in page.text
    assert f'<link rel="canonical" href="{public}/help/{store.slug}/en/articles/returns">' in page.text
    assert "<strong>30 days</strong>" in page.text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["@type"] == "FAQPage"
    assert data["mainEntity"] == [
        {
            "@type": "Question",
            "name": "Who pays for the return label?",
            "acceptedAnswer": {"@type": "Answer", "text": "Returns are free."},
        }
    ]


def test_markup_in_an_article_is_shown_as_text_and_scripts_never_run(
    client: TestClient, db: Database, store: StoreHandle
):
    def write(uow):  # type: ignore[no-untyped-def]
        article = save_article(
            uow,
            store.actor,
            store.id,
            title="Tricky </script><b>",
            body="<script>alert(1)</script> [click](javascript:alert(1)) and <img src=x onerror=alert(1)>",
            slug="tricky",
        )
        publish_article(uow, store.actor, store.id, article.id)

    db.write(write)
    page = client.get(f"/help/{store.slug}/en/articles/tricky")
    assert (
        "<script>alert" not in page.text and "<img" not in page.text and 'href="javascript' not in page.text
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # shown as the text it is
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert found is not None and json.loads(found.group(1))["mainEntity"][0]["name"] == "Tricky </script><b>"


def test_drafts_unknown_languages_and_other_stores_articles_are_not_found(
    client: TestClient, db: Database, store: StoreHandle, other_store: StoreHandle
):
    publish_fixture(db, store)
    db.write(
        save_article, store.actor, store.id, title="Secret sale", body="Next week: 50% off.", slug="secret"
    )
    assert client.get(f"/help/{store.slug}/en/articles/secret").status_code == 404
    assert client.get(f"/help/{store.slug}/fr/articles/returns").status_code == 404
    assert client.get(f"/help/{other_store.slug}/en/articles/returns").status_code == 404
    assert client.get("/help/no-such-store").status_code == 404
    assert "Returning an item" not in client.get(f"/help/{other_store.slug}").text
    results = client.get(f"/help/{other_store.slug}/search", params={"q": "send items back"})
    assert "Returning an item" not in results.text
    assert "secret" not in client.get(f"/help/{store.slug}/sitemap.xml").text


def test_search_finds_articles_and_logs_every_search(client: TestClient, db: Database, store: StoreHandle):
    ids = publish_fixture(db, store)
    found = client.get(f"/help/{store.slug}/search", params={"q": "how long until my parcel arrives"})
    assert found.status_code == 200
    first = re.search(r'<li class="panel"><h2><a href="([^"]+)">', found.text)
    assert first is not None and first.group(1) == f"/help/{store.slug}/en/articles/delivery"
    nothing = client.get(f"/help/{store.slug}/search", params={"q": "who painted the mona lisa"})
    assert "No article answers" in nothing.text
    with db.read() as session:
        logged = session.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)).all()
        assert [(e.results_count > 0, e.top_article_id, e.channel) for e in logged] == [
            (True, ids["delivery"], "help-center"),
            (False, None, "help-center"),
        ]
    too_long = client.get(f"/help/{store.slug}/search", params={"q": "x" * 301})
    assert too_long.status_code == 422 and "q" in too_long.text


def test_did_this_help_works_without_javascript(client: TestClient, db: Database, store: StoreHandle):
    ids = publish_fixture(db, store)
    page = client.get(f"/help/{store.slug}/en/articles/delivery")
    assert 'action="/help/acme/en/articles/delivery/feedback"' in page.text
    answered = client.post(
        f"/help/{store.slug}/en/articles/delivery/feedback",
        data={"helpful": "yes", "comment": "Clear, thanks"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    thanks = client.get(answered.headers["location"])
    assert "Thank you for your feedback." in thanks.text
    with db.read() as session:
        (feedback,) = session.scalars(select(ArticleFeedback)).all()
        assert (feedback.article_id, feedback.helpful, feedback.comment, feedback.article_version) == (
            ids["delivery"],
            True,
            "Clear, thanks",
            1,
        )
    wrong = client.post(f"/help/{store.slug}/en/articles/delivery/feedback", data={"helpful": "maybe"})
    assert wrong.status_code == 422 and "helpful" in wrong.text
    draft_feedback = client.post(
        f"/help/{store.slug}/en/articles/nothing-here/feedback", data={"helpful": "no"}
    )
    assert draft_feedback.status_code == 404
    assert table_counts(db, "knowledge_feedback") == {"knowledge_feedback": 1}


def test_feedback_is_rate_limited_per_address(client: TestClient, db: Database, store: StoreHandle):
    publish_fixture(db, store)
    answers = [
        client.post(
            f"/help/{store.slug}/en/articles/delivery/feedback",
            data={"helpful": "yes"},
            follow_redirects=False,
        )
        for _ in range(21)
    ]
    assert [a.status_code for a in answers[:20]] == [303] * 20
    assert answers[20].status_code == 429 and int(answers[20].headers["Retry-After"]) >= 1
    assert table_counts(db, "knowledge_feedback") == {"knowledge_feedback": 20}


def test_the_sitemap_lists_every_published_page(
    client: TestClient, db: Database, store: StoreHandle, settings: Settings
):
    publish_fixture(db, store)
    sitemap = client.get(f"/help/{store.slug}/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml")
    tree = ElementTree.fromstring(sitemap.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in tree.findall("s:url/s:loc", ns)]
    base = f"{settings.public_base_url.rstrip('/')}/help/{store.slug}"
    assert base in locations and f"{base}/categories/help" in locations
    assert f"{base}/en/articles/returns" in locations and len(locations) == 2 + 4


def test_the_help_center_speaks_the_shoppers_language(client: TestClient, db: Database, store: StoreHandle):
    publish_fixture(db, store)
    german = client.get(f"/help/{store.slug}", headers={"accept-language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in german.text and "Hilfe" in german.text
    # The store writes only English: its German shoppers get the English articles, not an empty page.
    assert "Returning an item" in german.text
    search = client.get(
        f"/help/{store.slug}/search", params={"q": "send items back"}, headers={"accept-language": "de"}
    )
    assert "Suchergebnisse" in search.text and "Returning an item" in search.text
    english = client.get(f"/help/{store.slug}?lang=en", headers={"accept-language": "de"})
    assert '<html lang="en">' in english.text and "Returning an item" in english.text
