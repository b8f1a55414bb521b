"""FastAPI dependencies shared by every route: the runtime, the database and who is asking.

Dependencies that do no blocking work are ``async def``: FastAPI runs a plain ``def`` dependency in the
thread pool, and each hand-off to a worker thread and back costs more than the dependency itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.db import Database
from loyaldesk.kernel.errors import NotAuthenticated, PermissionDenied
from loyaldesk.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor
from loyaldesk.runtime import Runtime
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores import queries as store_queries

_bearer = HTTPBearer(auto_error=False, description="A store API key: `Authorization: Bearer ld_...`")

# Write "last used" for a key at most this often, so that reads stay reads.
TOUCH_EVERY_SECONDS = 300


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


async def get_database(request: Request) -> Database:
    return request.app.state.runtime.database  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def api_actor(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The store backend calling the API, identified by its API key."""
    if credentials is None:
        raise NotAuthenticated("send an API key: Authorization: Bearer ld_...")
    database = runtime.database

    def load() -> store_queries.ApiCaller:
        with database.read() as session:
            return store_queries.authenticate_api_key(session, credentials.credentials)

    caller = runtime.api_keys.get_cached(credentials.credentials)
    if caller is None:
        caller = await anyio.to_thread.run_sync(
            lambda: runtime.api_keys.get_or_load(credentials.credentials, load)
        )
    actor = caller.actor
    if runtime.api_keys.touch_due(caller, TOUCH_EVERY_SECONDS):
        queue = database.write_queue
        if queue is not None and queue.running:
            queue.submit(store_actions.touch_api_key, caller.api_key_id)  # fire and forget
    return Actor(
        kind=actor.kind,
        id=actor.id,
        store_id=actor.store_id,
        label=actor.label,
        scopes=actor.scopes,
        ip=client_ip(request),
    )


ApiActor = Annotated[Actor, Depends(api_actor)]


def scope(required: str) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency that lets the call through only if the API key holds ``required``."""

    async def check(actor: ApiActor) -> Actor:
        if required not in actor.scopes:
            raise PermissionDenied(f"the API key lacks the {required} scope")
        return actor

    check.__name__ = f"scope_{required.replace(':', '_')}"
    return check


@dataclass(frozen=True)
class PageParams:
    """``?cursor=&limit=`` on every list."""

    before_id: int | None
    limit: int


async def page_params(
    cursor: Annotated[
        str | None, Query(max_length=200, description="From the previous page's next_cursor.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PageParams:
    return PageParams(before_id=decode_cursor(cursor), limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]
