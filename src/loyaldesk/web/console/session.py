"""Who is logged into the console, for which store, and the CSRF check on every form.

The signed session cookie (Starlette's ``SessionMiddleware``) carries only a random token; the server
keeps the session row (so logout and password changes end sessions everywhere) and its CSRF token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import NotAuthenticated, PermissionDenied
from loyaldesk.stores import ConsoleSession, Permission, StoreAccess
from loyaldesk.stores import queries as store_queries
from loyaldesk.web.deps import RuntimeDep, client_ip

SESSION_TOKEN_KEY = "sid"
LOGIN_CSRF_KEY = "login_csrf"


def current_login(request: Request, runtime: RuntimeDep) -> ConsoleSession | None:
    token = request.session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str) or not token:
        return None
    with runtime.database.read() as session:
        return store_queries.console_session(session, token, runtime.clock.now())


def require_login(request: Request, runtime: RuntimeDep) -> ConsoleSession:
    login = current_login(request, runtime)
    if login is None:
        request.session.pop(SESSION_TOKEN_KEY, None)
        raise NotAuthenticated("please log in")
    return login


LoginDep = Annotated[ConsoleSession, Depends(require_login)]


@dataclass
class Console:
    """Everything a console page needs to know about who is looking at which store."""

    login: ConsoleSession
    access: StoreAccess
    stores: list[StoreAccess]
    ip: str | None
    # Events of this store the background has yet to handle, when that many that people should know.
    catching_up: int | None = None

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.access.store

    @property
    def actor(self) -> Actor:
        return self.access.actor_for(self.login.account, self.ip)

    @property
    def csrf_token(self) -> str:
        return self.login.csrf_token

    def can(self, permission: Permission | str) -> bool:
        return self.access.can(Permission(permission))

    def require(self, permission: Permission) -> None:
        store_queries.require_permission(self.access, permission)

    def check_csrf(self, token: str | None) -> None:
        check_csrf(self.login, token)


def check_csrf(login: ConsoleSession, token: str | None) -> None:
    if not token or not hmac.compare_digest(token, login.csrf_token):
        raise PermissionDenied(
            "this form has expired or did not come from loyaldesk; reload the page and try again"
        )


def console_for(
    request: Request,
    runtime: RuntimeDep,
    login: LoginDep,
    store_slug: Annotated[str, Path(min_length=1, max_length=64)],
) -> Console:
    with runtime.database.read() as session:
        access = store_queries.access_store(session, login.account.id, store_slug)
        stores = store_queries.memberships_of(session, login.account.id)
    return Console(
        login=login,
        access=access,
        stores=stores,
        ip=client_ip(request),
        catching_up=runtime.backlog.catching_up(access.store.id),
    )


ConsoleDep = Annotated[Console, Depends(console_for)]
