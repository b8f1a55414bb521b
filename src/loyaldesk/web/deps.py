"""FastAPI dependencies shared by every route: the runtime, the database and who is asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

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


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def get_database(request: Request) -> Database:
    return get_runtime(request).database


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DatabaseDep = Annotated[Database, Depends(get_database)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def api_actor(
    request: Request,
    database: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The store backend calling the API, identified by its API key."""
    if credentials is None:
        raise NotAuthenticated("send an API key: Authorization: Bearer ld_...")
    with database.read() as session:
        caller = store_queries.authenticate_api_key(session, credentials.credentials)
    actor = caller.actor
    if caller.last_used_at is None or time.time() - caller.last_used_at.timestamp() > TOUCH_EVERY_SECONDS:
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


def scope(required: str) -> Callable[[Actor], Actor]:
    """A dependency that lets the call through only if the API key holds ``required``."""

    def check(actor: ApiActor) -> Actor:
        if required not in actor.scopes:
            raise PermissionDenied(f"the API key lacks the {required} scope")
        return actor

    check.__name__ = f"scope_{required.replace(':', '_')}"
    return check


class PageParams:
    """``?cursor=&limit=`` on every list."""

    def __init__(
        self,
        cursor: Annotated[
            str | None, Query(max_length=200, description="From the previous page's next_cursor.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> None:
        self.before_id = decode_cursor(cursor)
        self.limit = limit


PageDep = Annotated[PageParams, Depends()]
