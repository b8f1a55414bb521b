"""Help articles inside the chat widget: suggestions as the shopper types (before a conversation starts)
and recording that they opened one (a deflection record: did they still start a conversation?).

Both answer only pages allowed to use the store's chat (``widget_origins``, like every widget route) and
are rate limited per address (``help_searches_per_address``; opening: ``widget_actions_per_contact``)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from loyaldesk.assistant.knowledge.actions.shoppers import record_article_opened, record_search
from loyaldesk.assistant.knowledge.queries.articles import article_language
from loyaldesk.assistant.knowledge.vocab import ARTICLE_LANGUAGES, SearchChannel
from loyaldesk.assistant.retrieval import search_articles
from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.i18n import negotiate
from loyaldesk.stores import store_by_slug
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.widget.routes import RowId, StoreSlug, _store_for_page

router = APIRouter()
SUGGESTIONS = 3


class ArticleSuggestionOut(BaseModel):
    id: int
    title: str
    url: str = Field(description="The article in the store's public help center (absolute).")
    snippet: str


class SuggestionsOut(BaseModel):
    search_id: int | None = Field(description="Send it back when the shopper opens one of the articles.")
    language: str
    articles: list[ArticleSuggestionOut]


@router.get(
    "/widget-api/v1/{store_slug}/articles",
    tags=["widget"],
    response_model=SuggestionsOut,
    summary="Help articles that answer what the shopper is typing (at most 3, best first)",
)
async def suggest_articles(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    q: Annotated[str, Query(min_length=1, max_length=300, description="What the shopper typed.")],
    language: Annotated[str | None, Query(max_length=35, description="The browser's language.")] = None,
) -> JSONResponse:
    """``{"search_id", "language", "articles": [{id, title, url, snippet}]}``; an empty list when no
    article is good enough. Every search is logged (the content-gap report)."""
    runtime.rate_limits.hit(rate_limits.HELP_SEARCHES_PER_ADDRESS, client_ip(request) or "unknown")

    def search() -> tuple[int, str, list]:  # type: ignore[type-arg]
        store_id = _store_for_page(runtime, store_slug, request)
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            chosen = negotiate(profile=None, store_default=store.default_language, accept_language=language)
            chosen = chosen if chosen in ARTICLE_LANGUAGES else "en"
            chosen = article_language(session, store_id, chosen, store.default_language)
            return store_id, chosen, search_articles(session, store_id, q, chosen, SUGGESTIONS)

    store_id, chosen, hits = await anyio.to_thread.run_sync(search)
    search_id = await runtime.database.write_async(
        record_search,
        store_id,
        query=q,
        language=chosen,
        channel=SearchChannel.WIDGET,
        results_count=len(hits),
        top_article_id=hits[0].article_id if hits else None,
    )
    base = str(runtime.settings.public_base_url).rstrip("/")
    return JSONResponse(
        {
            "search_id": search_id,
            "language": chosen,
            "articles": [
                {"id": h.article_id, "title": h.title, "url": base + h.url, "snippet": h.snippet}
                for h in hits
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


class OpenedIn(BaseModel):
    search_id: int | None = Field(default=None, ge=1, le=2**62)
    visitor_token: str | None = Field(default=None, max_length=64)


@router.post(
    "/widget-api/v1/{store_slug}/articles/{article_id}/opened",
    tags=["widget"],
    status_code=201,
    summary="The shopper opened a suggested article (counts towards deflection)",
)
async def article_opened(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, article_id: RowId, given: OpenedIn
) -> JSONResponse:
    store_id = await anyio.to_thread.run_sync(_store_for_page, runtime, store_slug, request)
    runtime.rate_limits.hit(rate_limits.WIDGET_ACTIONS_PER_CONTACT, client_ip(request) or "unknown")
    record = await runtime.database.write_async(
        record_article_opened,
        store_id,
        article_id,
        search_id=given.search_id,
        visitor_token=given.visitor_token,
    )
    return JSONResponse({"recorded": record.id}, status_code=201)
