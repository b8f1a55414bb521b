"""The console's entry points and the sections that later capabilities fill in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.stores import queries as store_queries
from loyaldesk.web.console.rendering import render, render_error
from loyaldesk.web.console.session import ConsoleDep, LoginDep, current_login
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(request: Request, runtime: RuntimeDep) -> Response:
    return RedirectResponse("/console" if current_login(request, runtime) else "/login", status_code=303)


@router.get("/console")
def console_home(request: Request, runtime: RuntimeDep, login: LoginDep) -> Response:
    with runtime.database.read() as session:
        stores = store_queries.memberships_of(session, login.account.id)
    if not stores:
        return render_error(
            request, 403, "Your account does not work for any store yet. Ask a store owner to add you."
        )
    return RedirectResponse(f"/console/{stores[0].store.slug}/customers", status_code=303)


@router.get("/console/switch")
def switch_store(login: LoginDep, store: Annotated[str, Query(min_length=1, max_length=64)]) -> Response:
    return RedirectResponse(f"/console/{store}/customers", status_code=303)


@router.get("/console/{store_slug}")
def store_home(console: ConsoleDep) -> Response:
    return RedirectResponse(f"/console/{console.store.slug}/customers", status_code=303)


# Sections a later capability will fill; each shows a "coming soon" page until then.
SECTIONS: dict[str, tuple[str, str, str]] = {}


@router.get("/console/{store_slug}/{section}", response_class=HTMLResponse)
def section_page(request: Request, console: ConsoleDep, section: str) -> Response:
    if section not in SECTIONS:
        return render_error(request, 404, "There is no such page.")
    heading, title, text = SECTIONS[section]
    return render(
        request,
        "coming_soon.html",
        {
            "console": console,
            "section": section,
            "heading": heading,
            "empty_title": title,
            "empty_text": text,
        },
    )
