"""The help center's categories (list, add, rename and reorder, delete) and its report: searches that
found nothing (content gaps), the articles that deflected most conversations, and article helpfulness."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from loyaldesk.assistant.knowledge.actions import categories as actions
from loyaldesk.assistant.knowledge.queries import articles as queries
from loyaldesk.assistant.knowledge.queries import report
from loyaldesk.kernel.errors import Conflict, Invalid
from loyaldesk.stores import Permission
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**62)]


class CategoryForm(ConsoleForm):
    """A new category, or a changed one (``category_id``)."""

    name: str = Field(title="Name", min_length=1, max_length=120)
    slug: str = Field(
        default="", title="Address", max_length=80, description="Made from the name when empty."
    )
    position: int | None = Field(
        default=None, title="Position", ge=0, le=10_000, description="Lower comes first."
    )
    category_id: int | None = Field(default=None, ge=1, le=2**62, json_schema_extra={"widget": "hidden"})


def _categories_page(
    request: Request, runtime: Any, console: Console, state: FormState, status_code: int = 200
) -> Response:
    with runtime.database.read() as session:
        categories = queries.categories_of(session, console.store.id)
    return render(
        request,
        "help_center/categories.html",
        {
            "console": console,
            "section": "help_center",
            "categories": categories,
            "form": state,
            "can_write": console.can(Permission.MANAGE_KNOWLEDGE),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/help-center/categories", response_class=HTMLResponse)
def categories_page(request: Request, runtime: RuntimeDep, console: ConsoleDep) -> Response:
    console.require(Permission.VIEW_CONVERSATIONS)
    return _categories_page(request, runtime, console, blank_form(CategoryForm))


@router.post("/console/{store_slug}/help-center/categories")
async def save_category(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_KNOWLEDGE)
    form, state = read_form(CategoryForm, await request.form())
    if form is not None:
        try:
            await runtime.database.write_async(
                actions.save_category,
                console.actor,
                console.store.id,
                name=form.name,
                slug=form.slug,
                position=form.position,
                category_id=form.category_id,
            )
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="slug")
    if state.invalid:
        state.refuse_for_scripts(request)
        return _categories_page(request, runtime, console, state, status_code=state.status)
    return RedirectResponse(f"/console/{console.store.slug}/help-center/categories", status_code=303)


@router.post("/console/{store_slug}/help-center/categories/{category_id}/delete")
async def delete_category(
    runtime: RuntimeDep,
    console: ConsoleDep,
    category_id: RowId,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(actions.delete_category, console.actor, console.store.id, category_id)
    return RedirectResponse(f"/console/{console.store.slug}/help-center/categories", status_code=303)


@router.get("/console/{store_slug}/help-center/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    """The last ``days`` days: content gaps, deflections per article, helpfulness per article."""
    console.require(Permission.VIEW_CONVERSATIONS)
    since = runtime.clock.now() - timedelta(days=days)
    with runtime.database.read() as session:
        gaps = report.content_gaps(session, console.store.id, since)
        deflections = report.deflections(session, console.store.id, since)
        helpfulness = report.helpfulness(session, console.store.id, since)
    return render(
        request,
        "help_center/report.html",
        {
            "console": console,
            "section": "help_center",
            "days": days,
            "gaps": gaps,
            "deflections": deflections,
            "helpfulness": helpfulness,
        },
    )
