"""The help center in the console: the article list (by category, status, language), writing and
editing an article (Markdown with a preview of the draft), publishing and withdrawing it, deleting it,
and starting an article from a resolved conversation. Categories and the report: ``help_center_report``.

Everyone who sees conversations may read the articles; writing needs ``MANAGE_KNOWLEDGE``."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from pydantic.json_schema import JsonDict

from loyaldesk.assistant.knowledge.actions import articles as actions
from loyaldesk.assistant.knowledge.queries import articles as queries
from loyaldesk.assistant.knowledge.queries.report import draft_from_conversation
from loyaldesk.assistant.knowledge.rules import render_markdown
from loyaldesk.assistant.knowledge.vocab import ARTICLE_LANGUAGES, ARTICLE_STATUS_LABELS, ArticleStatus
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]
NO_CATEGORY: JsonDict = {"": "No category"}  # the store's categories are added per page
LANGUAGE_CHOICES: JsonDict = dict(ARTICLE_LANGUAGES)


class ArticleForm(ConsoleForm):
    """An article's draft."""

    title: str = Field(title="Title", min_length=1, max_length=200)
    category_id: str = Field(default="", title="Category", json_schema_extra={"choices": NO_CATEGORY})
    language: str = Field(default="en", title="Language", json_schema_extra={"choices": LANGUAGE_CHOICES})
    slug: str = Field(
        default="",
        title="Address",
        max_length=120,
        description="The end of the article's public address; made from the title when empty.",
    )
    body: str = Field(
        title="Text (Markdown)",
        min_length=1,
        max_length=100_000,
        description="Headings with ## (a heading ending in ? is shown to search engines as a question), "
        "lists with -, links as [text](https://...). Raw HTML is shown as text.",
        json_schema_extra={"widget": "textarea", "attrs": {"rows": 16}},
    )


def _base(console: Console) -> str:
    return f"/console/{console.store.slug}/help-center"


def _category_choices(runtime: Any, console: Console) -> tuple[tuple[str, str], ...]:
    with runtime.database.read() as session:
        categories = queries.categories_of(session, console.store.id)
    return (("", "No category"), *((str(c.id), c.name) for c in categories))


@router.get("/console/{store_slug}/help-center", response_class=HTMLResponse)
def article_list(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    category: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    status: Annotated[ArticleStatus | None, Query()] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        categories = queries.categories_of(session, console.store.id)
        articles = queries.articles_of(
            session, console.store.id, category_id=category, status=status, language=language or None
        )
    names = {c.id: c.name for c in categories}
    return render(
        request,
        "help_center/list.html",
        {
            "console": console,
            "section": "help_center",
            "articles": articles,
            "categories": categories,
            "category_names": names,
            "statuses": ARTICLE_STATUS_LABELS,
            "languages": ARTICLE_LANGUAGES,
            "chosen": {"category": category, "status": status, "language": language or ""},
            "can_write": console.can(Permission.MANAGE_KNOWLEDGE),
        },
    )


def _editor(
    request: Request,
    runtime: Any,
    console: Console,
    state: FormState,
    *,
    article: Any = None,
    preview: str | None = None,
    status_code: int = 200,
) -> Response:
    choices = _category_choices(runtime, console)
    return render(
        request,
        "help_center/article.html",
        {
            "console": console,
            "section": "help_center",
            "article": article,
            "form": state,
            "category_field": state.field("category_id", choices=choices),
            "preview": preview,
            "published_html": render_markdown(article.published_body)
            if article is not None and article.published_body
            else None,
            "public_url": f"/help/{console.store.slug}/{article.language}/articles/{article.slug}"
            if article is not None and article.status == ArticleStatus.PUBLISHED
            else None,
            "can_write": console.can(Permission.MANAGE_KNOWLEDGE),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/help-center/articles/new", response_class=HTMLResponse)
def new_article(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    conversation: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The editor for a new article; ``?conversation=`` pre-fills it from a resolved conversation (the
    customer's question as the title, the agents' answers as the text)."""
    console.require(Permission.MANAGE_KNOWLEDGE)
    values: dict[str, Any] = {}
    if conversation is not None:
        with runtime.database.read() as session:
            start = draft_from_conversation(session, console.store.id, conversation)
        values = {"title": start.title, "body": start.body}
    return _editor(request, runtime, console, blank_form(ArticleForm, values))


async def _save(
    request: Request, runtime: Any, console: Console, csrf_token: str | None, article_id: int | None
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_KNOWLEDGE)
    posted = await request.form()
    form, state = read_form(ArticleForm, posted)
    existing = None
    if article_id is not None:
        with runtime.database.read() as session:
            existing = queries.article_of_store(session, console.store.id, article_id)
    if form is not None and posted.get("intent") == "preview":
        return _editor(request, runtime, console, state, article=existing, preview=render_markdown(form.body))
    if form is not None:
        try:
            saved = await runtime.database.write_async(
                actions.save_article,
                console.actor,
                console.store.id,
                title=form.title,
                body=form.body,
                language=form.language,
                slug=form.slug,
                category_id=int(form.category_id) if form.category_id.isdigit() else None,
                article_id=article_id,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="slug")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _editor(request, runtime, console, state, article=existing, status_code=state.status)
    return RedirectResponse(f"{_base(console)}/articles/{saved.id}?saved=1", status_code=303)


@router.post("/console/{store_slug}/help-center/articles")
async def create_article(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Saves a new draft and opens it (or shows the form again, 422, each problem beside its input);
    ``intent=preview`` shows the rendered text without saving."""
    return await _save(request, runtime, console, csrf_token, None)


@router.get("/console/{store_slug}/help-center/articles/{article_id}", response_class=HTMLResponse)
def edit_article(request: Request, runtime: RuntimeDep, console: ConsoleDep, article_id: RowId) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    with runtime.database.read() as session:
        article = queries.article_of_store(session, console.store.id, article_id)
    values = {
        "title": article.title,
        "body": article.body,
        "language": article.language,
        "slug": article.slug,
        "category_id": str(article.category_id or ""),
    }
    return _editor(
        request,
        runtime,
        console,
        blank_form(ArticleForm, values),
        article=article,
        preview=render_markdown(article.body),
    )


@router.post("/console/{store_slug}/help-center/articles/{article_id}")
async def update_article(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    article_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Saves the draft; a published article keeps showing its published version until published again."""
    return await _save(request, runtime, console, csrf_token, article_id)


@router.post("/console/{store_slug}/help-center/articles/{article_id}/publish")
async def publish(
    runtime: RuntimeDep,
    console: ConsoleDep,
    article_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Publishes the draft; its passages are embedded before the write (the writer is not held while the
    model runs)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_KNOWLEDGE)

    def prepare() -> actions.PreparedPassages:
        with runtime.database.read() as session:
            article = queries.article_of_store(session, console.store.id, article_id)
            title, body = article.title, article.body
        return actions.prepare_passages(title, body)

    prepared = await anyio.to_thread.run_sync(prepare)
    await runtime.database.write_async(
        actions.publish_article, console.actor, console.store.id, article_id, prepared=prepared
    )
    return RedirectResponse(f"{_base(console)}/articles/{article_id}?published=1", status_code=303)


@router.post("/console/{store_slug}/help-center/articles/{article_id}/unpublish")
async def unpublish(
    runtime: RuntimeDep,
    console: ConsoleDep,
    article_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(actions.unpublish_article, console.actor, console.store.id, article_id)
    return RedirectResponse(f"{_base(console)}/articles/{article_id}", status_code=303)


@router.post("/console/{store_slug}/help-center/articles/{article_id}/delete")
async def delete(
    runtime: RuntimeDep,
    console: ConsoleDep,
    article_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(actions.delete_article, console.actor, console.store.id, article_id)
    return RedirectResponse(_base(console), status_code=303)
