"""The product Q&A block a store puts on its product pages (``static/widget/community-qa.js``): the
product's questions with their accepted answers, as JSON.

Public (the questions are the community's public content) but answered only for pages allowed to use the
store's chat (``widget_origins``, checked like every widget route: a page of another origin gets 403
saying why; CORS headers come from ``MemberApiCorsMiddleware`` like the rest of ``/widget-api/``). Rate
limited per address (``anonymous_requests_per_address`` and ``help_searches_per_address``, the limit of
the widget's other public read). Hidden questions and answers are left out; authors show their display
name and badges, never an email; answers come as the domain's sanitised HTML.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from loyaldesk import community
from loyaldesk.kernel import rate_limits
from loyaldesk.kernel.i18n import gettext, negotiate, ngettext, use_language
from loyaldesk.stores import store_by_slug
from loyaldesk.web.deps import RuntimeDep, client_ip
from loyaldesk.web.member import community_views as views
from loyaldesk.web.widget.routes import StoreSlug, _store_for_page

router = APIRouter()
QUESTIONS_SHOWN = 10


def _labels(language: str) -> dict[str, str]:
    with use_language(language):
        return {
            "heading": gettext("Questions and answers"),
            "empty": gettext("No questions about this product yet."),
            "ask": gettext("Ask a question"),
            "accepted": gettext("Accepted answer"),
            "read_more": gettext("See all answers"),
            "staff": gettext("Staff"),
            "verified_buyer": gettext("Verified buyer"),
        }


@router.get(
    "/widget-api/v1/{store_slug}/community/products/{product_id}/questions",
    tags=["widget"],
    summary="A product's questions with their accepted answers (the product page's Q&A block)",
)
async def product_questions(
    request: Request,
    runtime: RuntimeDep,
    store_slug: StoreSlug,
    product_id: Annotated[str, Path(min_length=1, max_length=255)],
    language: Annotated[str | None, Query(max_length=35, description="The browser's language.")] = None,
) -> JSONResponse:
    """``{"product_id", "ask_url", "labels", "questions": [{id, title, url, author, answers_count,
    answers_label, accepted_answer: {body, body_html, author} | null}]}``. ``ask_url`` is the member
    page's product questions, to which the block adds the shopper's signed identity when it has one."""
    runtime.rate_limits.hit(rate_limits.HELP_SEARCHES_PER_ADDRESS, client_ip(request) or "unknown")

    def read() -> tuple[Any, list[Any]]:
        store_id = _store_for_page(runtime, store_slug, request)
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            found = community.product_questions(
                session, store_id=store_id, product_id=product_id, limit=QUESTIONS_SHOWN
            )
            session.expunge(store)
        return store, found

    store, found = await anyio.to_thread.run_sync(read)
    chosen = negotiate(profile=None, store_default=store.default_language, accept_language=language)
    base = str(runtime.settings.public_base_url).rstrip("/")
    member = f"{base}/m/{store.slug}/community"
    questions = []
    with use_language(chosen):
        for item in found:
            question = views.product_question_json(item)
            question["url"] = f"{member}/threads/{question['id']}"
            question["answers_label"] = ngettext(
                "{count} answer", "{count} answers", question["answers_count"]
            )
            questions.append(question)
    return JSONResponse(
        {
            "product_id": product_id,
            "language": chosen,
            "ask_url": f"{member}/questions?product={_quote(product_id)}",
            "labels": _labels(chosen),
            "questions": questions,
        },
        headers={"Cache-Control": "no-store"},
    )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
