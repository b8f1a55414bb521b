"""The demo store's help center: the help articles of ``help_articles.json`` (the same articles the
retrieval benchmark measures, bench/data/retrieval_articles.json), in their categories, published."""

from __future__ import annotations

import json
from importlib import resources

from loyaldesk.assistant.knowledge.actions.articles import publish_article, save_article
from loyaldesk.assistant.knowledge.actions.categories import save_category
from loyaldesk.kernel.actors import system_for
from loyaldesk.kernel.db import UnitOfWork


def help_articles() -> list[dict[str, str]]:
    """``[{id, category, title, body}]``: the demo's articles, in order."""
    text = resources.files("loyaldesk.demo").joinpath("help_articles.json").read_text(encoding="utf-8")
    return list(json.loads(text))


def seed_help_center(uow: UnitOfWork, store_id: int) -> int:
    """Create the categories and publish every article (embedding their passages). Returns the count."""
    actor = system_for(store_id, "demo seeder")
    categories: dict[str, int] = {}
    articles = help_articles()
    for item in articles:
        if item["category"] not in categories:
            category = save_category(uow, actor, store_id, name=item["category"])
            categories[item["category"]] = category.id
        article = save_article(
            uow,
            actor,
            store_id,
            title=item["title"],
            body=item["body"],
            language="en",
            slug=item["id"],
            category_id=categories[item["category"]],
        )
        publish_article(uow, actor, store_id, article.id)
    return len(articles)
