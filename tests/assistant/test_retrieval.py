"""Retrieval over published articles: paraphrases find the right article, BM25 keeps SKUs, nonsense
finds nothing, drafts and other stores' articles are never found, the index follows publishing; and the
evaluation function on files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loyaldesk.assistant import ports
from loyaldesk.assistant.knowledge.actions.articles import save_article, unpublish_article
from loyaldesk.assistant.retrieval import evaluate_retrieval, search_articles
from loyaldesk.kernel.db import Database
from tests.assistant.knowledge_helpers import publish_fixture
from tests.factories import StoreHandle


def top(db: Database, store: StoreHandle, text: str, limit: int = 3) -> list[int]:
    with db.read() as session:
        return [hit.article_id for hit in search_articles(session, store.id, text, "en", limit)]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("can I send my jacket back after two weeks", "returns"),
        ("how long until my parcel arrives", "delivery"),
        ("my loyalty points are not usable yet", "pending-points"),
        ("how do I wash TEE-M", "sku-care"),
    ],
)
def test_a_paraphrased_question_finds_its_article(db: Database, store: StoreHandle, query: str, slug: str):
    ids = publish_fixture(db, store)
    assert top(db, store, query)[:1] == [ids[slug]]


def test_a_hit_says_what_the_shopper_sees(db: Database, store: StoreHandle):
    ids = publish_fixture(db, store)
    with db.read() as session:
        (hit, *_) = ports.find_articles(session, store.id, "send items back", "en", 1)
    assert hit.article_id == ids["returns"]
    assert hit.title == "Returning an item"
    assert hit.url == f"/help/{store.slug}/en/articles/returns"
    assert "30 days" in hit.snippet and "**" not in hit.snippet
    assert 0 < hit.score <= 1


@pytest.mark.parametrize("nonsense", ["who painted the mona lisa", "zxqv blorp frindle", "   "])
def test_nonsense_finds_nothing(db: Database, store: StoreHandle, nonsense: str):
    publish_fixture(db, store)
    assert top(db, store, nonsense) == []


def test_drafts_other_stores_and_withdrawn_articles_are_never_found(
    db: Database, store: StoreHandle, other_store: StoreHandle
):
    ids = publish_fixture(db, store)
    draft = db.write(
        save_article,
        store.actor,
        store.id,
        title="Gift wrapping",
        body="We wrap every gift in recycled paper for 3 euros.",
        slug="gift-wrap",
    )
    assert draft.id not in top(db, store, "do you wrap gifts in recycled paper")
    assert top(db, other_store, "can I send my jacket back") == []
    db.write(unpublish_article, store.actor, store.id, ids["returns"])
    assert ids["returns"] not in top(db, store, "can I send my jacket back after two weeks")


def test_editing_a_published_draft_does_not_change_what_is_found(db: Database, store: StoreHandle):
    ids = publish_fixture(db, store)
    db.write(
        save_article,
        store.actor,
        store.id,
        title="Delivery times",
        body="Carrier pigeons bring your parcel.",
        slug="delivery",
        article_id=ids["delivery"],
    )
    with db.read() as session:
        (hit,) = search_articles(session, store.id, "how long does delivery take", "en", 1)
    assert "2 to 4 working days" in hit.snippet


def test_evaluate_retrieval_measures_a_ranking(tmp_path: Path):
    articles = [
        {"id": "a", "title": "Returns", "body": "Send items back within 30 days for a refund."},
        {"id": "b", "title": "Shipping", "body": "Delivery takes two to four working days."},
        {"id": "c", "title": "Points", "body": "Earn one point for every euro you spend."},
    ]
    (tmp_path / "a.json").write_text(json.dumps(articles))
    (tmp_path / "q.csv").write_text(
        "text,article_id\nhow do I get my money back for a jacket,a\nwhen will my parcel come,b\n"
        "how many points per euro,c\n"
    )
    result = evaluate_retrieval(tmp_path / "a.json", tmp_path / "q.csv")
    assert result["hit_at_1"] == 1.0 and result["recall_at_5"] == 1.0 and result["mrr_at_10"] == 1.0
    assert result["queries"] == 3 and result["articles"] == 3


def test_evaluate_retrieval_names_what_is_wrong_in_the_files(tmp_path: Path):
    (tmp_path / "a.json").write_text(json.dumps([{"id": "a", "title": "Returns", "body": "..."}]))
    (tmp_path / "q.csv").write_text("text,article_id\nwhere is my order,zzz\n")
    with pytest.raises(ValueError, match="line 2: article_id 'zzz'"):
        evaluate_retrieval(tmp_path / "a.json", tmp_path / "q.csv")
    (tmp_path / "q.csv").write_text("question,answer\nx,a\n")
    with pytest.raises(ValueError, match="text,article_id"):
        evaluate_retrieval(tmp_path / "a.json", tmp_path / "q.csv")


def test_passages_embedded_for_an_older_draft_are_not_published(db: Database, store: StoreHandle):
    from loyaldesk.assistant.knowledge.actions.articles import prepare_passages, publish_article

    article = db.write(
        save_article, store.actor, store.id, title="Gift cards", body="Gift cards are valid for 3 years."
    )
    stale = prepare_passages("Gift cards", "Carrier pigeons deliver every parcel.")
    db.write(publish_article, store.actor, store.id, article.id, prepared=stale)
    assert top(db, store, "how long can I use a gift card") == [article.id]
    assert top(db, store, "do carrier pigeons deliver my parcel") == []
