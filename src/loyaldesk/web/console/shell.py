"""The console's entry points: ``/`` and ``/console`` send a visitor to the right place, ``/console/switch``
changes store, ``/console/{store}`` opens a store's first page.

A page the console does not have is FastAPI's 404; there is no catch-all, so the order in which routers are
included does not matter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.convertors import StringConvertor, register_url_convertor

from loyaldesk.stores import queries as store_queries
from loyaldesk.web.console.rendering import render_error
from loyaldesk.web.console.session import ConsoleDep, LoginDep, current_login
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

# Console pages whose URL is one segment under /console, beside the stores' own /console/{store}.
CONSOLE_PAGES_BESIDE_STORES = ("account", "switch")


class StoreHomeSlug(StringConvertor):
    """The ``{store_slug}`` of ``/console/{store_slug}``: any one segment except the console's own pages
    there, so that those pages are found whichever router is included first."""

    regex = "(?!(?:" + "|".join(CONSOLE_PAGES_BESIDE_STORES) + ")$)[^/]+"


register_url_convertor("store_home_slug", StoreHomeSlug())


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


@router.get("/console/{store_slug:store_home_slug}")
def store_home(console: ConsoleDep) -> Response:
    return RedirectResponse(f"/console/{console.store.slug}/customers", status_code=303)
