"""A few help articles for the knowledge base's tests, written for them (not the benchmark's)."""

from __future__ import annotations

from loyaldesk.assistant.knowledge.actions.articles import publish_article, save_article
from loyaldesk.assistant.knowledge.actions.categories import save_category
from loyaldesk.kernel.db import Database
from tests.factories import StoreHandle

ARTICLES = {
    "returns": (
        "Returning an item",
        "You can send items back within **30 days** of delivery. Print the prepaid label under My orders "
        "and drop the parcel at any post office.\n\n## Who pays for the return label?\nReturns are free.",
    ),
    "pending-points": (
        "Why are my points pending?",
        "Points for an order stay pending until the return window has closed, then they become "
        "available automatically.",
    ),
    "delivery": (
        "Delivery times",
        "Standard delivery takes 2 to 4 working days. Express arrives the next working day.",
    ),
    "sku-care": (
        "Care instructions for the SKU TEE-M organic tee",
        "Wash the TEE-M at 30 degrees inside out and do not tumble dry.",
    ),
}


def publish_fixture(db: Database, store: StoreHandle, *, language: str = "en") -> dict[str, int]:
    """Publish ``ARTICLES`` in a category "Help"; returns their ids by slug."""

    def write(uow):  # type: ignore[no-untyped-def]
        category = save_category(uow, store.actor, store.id, name="Help")
        ids = {}
        for slug, (title, body) in ARTICLES.items():
            article = save_article(
                uow,
                store.actor,
                store.id,
                title=title,
                body=body,
                language=language,
                slug=slug,
                category_id=category.id,
            )
            publish_article(uow, store.actor, store.id, article.id)
            ids[slug] = article.id
        return ids

    return db.write(write)
