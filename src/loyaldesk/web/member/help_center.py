"""The public help center of a store (no login): home with search and categories, a category, an article
(its published version only, Markdown rendered and sanitised), search results, "did this help?" (a plain
form POST), ``sitemap.xml`` and the store's accent colour as a stylesheet.

A draft, a withdrawn article or another store's article is 404. Searches and feedback are rate limited per
address (``help_searches_per_address``, ``article_feedback_per_address``) on top of the anonymous limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from xml.sax.saxutils import escape

import anyio
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.assistant.knowledge.actions.shoppers import give_feedback, record_search
from loyaldesk.assistant.knowledge.queries import articles as knowledge
from loyaldesk.assistant.knowledge.rules import plain_text, questions_and_answers, render_markdown, snippet
from loyaldesk.assistant.knowledge.vocab import ARTICLE_LANGUAGES, SearchChannel
from loyaldesk.assistant.retrieval import search_articles
from loyaldesk.kernel import i18n, rate_limits
from loyaldesk.kernel.errors import DomainError, NotFound
from loyaldesk.stores import store_by_slug
from loyaldesk.support import queries as support_queries
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.errors import status_for

router = APIRouter(include_in_schema=False)

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]
Slug = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[a-z0-9-]+$")]
Language = Annotated[str, Path(min_length=2, max_length=8)]
LanguageChoice = Annotated[str | None, Query(max_length=8, description="en or de")]
SEARCH_RESULTS = 10


def _language(request: Request, store: Any, chosen: str | None) -> str:
    """``?lang=`` when it is a help-center language, else as the shopper pages negotiate."""
    if chosen in ARTICLE_LANGUAGES:
        return str(chosen)
    return i18n.negotiate(
        profile=None,
        store_default=getattr(store, "default_language", None),
        accept_language=request.headers.get("accept-language"),
    )


def _base(runtime: Any) -> str:
    return str(runtime.settings.public_base_url).rstrip("/")


def _context(runtime: Any, request: Request, store: Any, language: str, **more: Any) -> dict[str, Any]:
    return {
        "store": store,
        "shopper_language": language,
        "help_base": f"/help/{store.slug}",
        "absolute_base": _base(runtime),
        "languages": ARTICLE_LANGUAGES,
        **more,
    }


def _not_found(request: Request, error: DomainError) -> Response:
    return render_error(request, status_for(error), error.message)


@router.get("/help/{store_slug}", response_class=HTMLResponse)
def help_home(
    request: Request, runtime: RuntimeDep, store_slug: StoreSlug, lang: LanguageChoice = None
) -> Response:
    try:
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            language = _language(request, store, lang)
            content = knowledge.article_language(session, store.id, language, store.default_language)
            categories = knowledge.categories_of(session, store.id)
            articles = knowledge.published_articles(session, store.id, content)
    except DomainError as error:
        return _not_found(request, error)
    by_category: dict[int | None, list[Any]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    sections = [(c, by_category.get(c.id, [])) for c in categories if by_category.get(c.id)]
    uncategorised = by_category.get(None, [])
    return render(
        request,
        "member/help/home.html",
        _context(runtime, request, store, language, sections=sections, uncategorised=uncategorised),
    )


@router.get("/help/{store_slug}/search", response_class=HTMLResponse)
async def help_search(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    q: Annotated[str, Query(max_length=300)] = "",
    lang: LanguageChoice = None,
) -> Response:
    """Results for ``q`` in the shopper's language; every search is logged (empty results are the
    content-gap report)."""
    runtime.rate_limits.hit(rate_limits.HELP_SEARCHES_PER_ADDRESS, client_ip(request) or "unknown")

    def search() -> tuple[Any, str, str, list[Any]]:
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            language = _language(request, store, lang)
            content = knowledge.article_language(session, store.id, language, store.default_language)
            hits = search_articles(session, store.id, q, content, SEARCH_RESULTS) if q.strip() else []
            return store, language, content, hits

    try:
        store, language, content, hits = await anyio.to_thread.run_sync(search)
    except DomainError as error:
        return _not_found(request, error)
    if q.strip():
        await runtime.database.write_async(
            record_search,
            store.id,
            query=q,
            language=content,
            channel=SearchChannel.HELP_CENTER,
            results_count=len(hits),
            top_article_id=hits[0].article_id if hits else None,
        )
    return render(
        request, "member/help/search.html", _context(runtime, request, store, language, q=q, hits=hits)
    )


@router.get("/help/{store_slug}/categories/{category_slug}", response_class=HTMLResponse)
def help_category(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    category_slug: Slug,
    lang: LanguageChoice = None,
) -> Response:
    try:
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            language = _language(request, store, lang)
            content = knowledge.article_language(session, store.id, language, store.default_language)
            category = knowledge.category_by_slug(session, store.id, category_slug)
            articles = knowledge.published_articles(session, store.id, content, category.id)
    except DomainError as error:
        return _not_found(request, error)
    return render(
        request,
        "member/help/category.html",
        _context(runtime, request, store, language, category=category, articles=articles),
    )


def _faq_json_ld(article: Any, url: str) -> str:
    """schema.org FAQPage for the article: its question headings with their answers, or the article
    itself as one question. Safe inside ``<script>``: ``<``, ``>`` and ``&`` are escaped as JSON."""
    pairs = questions_and_answers(article.body) or [(article.title, plain_text(article.body))]
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "url": url,
        "mainEntity": [
            {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}}
            for q, a in pairs
        ],
    }
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@router.get("/help/{store_slug}/{language}/articles/{article_slug}", response_class=HTMLResponse)
def help_article(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    language: Language,
    article_slug: Slug,
    feedback: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    try:
        if language not in ARTICLE_LANGUAGES:
            raise NotFound("no such article")
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            article = knowledge.published_article(session, store.id, language, article_slug)
            category = next(
                (c for c in knowledge.categories_of(session, store.id) if c.id == article.category_id), None
            )
    except DomainError as error:
        return _not_found(request, error)
    path = f"/help/{store.slug}/{language}/articles/{article.slug}"
    canonical = _base(runtime) + path
    return render(
        request,
        "member/help/article.html",
        _context(
            runtime,
            request,
            store,
            language,
            article=article,
            category=category,
            body_html=render_markdown(article.body),
            description=snippet(article.body, 155),
            canonical=canonical,
            article_path=path,
            json_ld=_faq_json_ld(article, canonical),
            thanks=feedback == "thanks",
        ),
    )


@router.post("/help/{store_slug}/{language}/articles/{article_slug}/feedback")
async def help_feedback(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    language: Language,
    article_slug: Slug,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Records "did this help?" (``helpful`` yes or no, an optional comment) and goes back to the article
    with a thank-you (303)."""
    runtime.rate_limits.hit(rate_limits.ARTICLE_FEEDBACK_PER_ADDRESS, client_ip(request) or "unknown")
    try:
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            article = knowledge.published_article(session, store.id, language, article_slug)
    except DomainError as error:
        return _not_found(request, error)
    await runtime.database.write_async(
        give_feedback, store.id, article.id, helpful=helpful == "yes", comment=comment
    )
    return RedirectResponse(
        f"/help/{store.slug}/{language}/articles/{article.slug}?feedback=thanks#feedback", status_code=303
    )


@router.get("/help/{store_slug}/sitemap.xml")
def help_sitemap(runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    """The help center's pages for search engines: home, categories and every published article."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        categories = knowledge.categories_of(session, store.id)
        articles = knowledge.published_articles(session, store.id)
    base = f"{_base(runtime)}/help/{store.slug}"
    entries = [f"<url><loc>{escape(base)}</loc></url>"]
    entries += [f"<url><loc>{escape(f'{base}/categories/{c.slug}')}</loc></url>" for c in categories]
    for article in articles:
        when = article.published_at.date().isoformat() if article.published_at else None  # type: ignore[attr-defined]
        lastmod = f"<lastmod>{when}</lastmod>" if when else ""
        loc = escape(f"{base}/{article.language}/articles/{article.slug}")
        entries.append(f"<url><loc>{loc}</loc>{lastmod}</url>")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(entries)
        + "\n</urlset>\n"
    )
    return Response(xml, media_type="application/xml", headers={"Cache-Control": "max-age=300"})


@router.get("/help/{store_slug}/theme.css")
def help_theme(runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    """The store's chat accent colour as a stylesheet (the page's CSP allows no inline styles)."""
    with runtime.database.read() as session:
        store = store_by_slug(session, store_slug)
        accent = support_queries.settings_of(session, store.id).widget_accent
    return Response(
        f":root {{ --accent: {accent}; }}\n", media_type="text/css", headers={"Cache-Control": "max-age=300"}
    )
