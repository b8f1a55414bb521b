"""Logging in and out of the console, with rate limiting and CSRF protection."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import Invalid, RateLimited
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores import queries as store_queries
from loyaldesk.stores.passwords import hash_password
from loyaldesk.stores.rules import check_password
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import (
    LOGIN_CSRF_KEY,
    SESSION_TOKEN_KEY,
    LoginDep,
    check_csrf,
    current_login,
)
from loyaldesk.web.deps import RuntimeDep, client_ip

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a freshly logged-in user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def _login_page(
    request: Request, *, next_url: str, error: str | None = None, email: str = "", status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    request.session[LOGIN_CSRF_KEY] = token
    return render(
        request,
        "login.html",
        {"csrf_token": token, "next": next_url, "error": error, "email": email},
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, runtime: RuntimeDep, next: Annotated[str | None, Query()] = None
) -> Response:
    if current_login(request, runtime) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    next_url = _safe_next(next)
    expected = request.session.get(LOGIN_CSRF_KEY)
    if not expected or not secrets.compare_digest(str(expected), csrf_token):
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=403,
            error="The login form expired. Please try again.",
        )
    ip = client_ip(request)
    try:
        runtime.login_throttle.check(email, ip)
    except RateLimited as error:
        response = _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=429,
            error=f"Too many failed attempts. Try again in "
            f"{max(1, round(error.retry_after_seconds / 60))} minute(s).",
        )
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    with runtime.database.read() as session:
        account = store_queries.verify_staff_credentials(session, email, password)
    if account is None:
        runtime.login_throttle.failed(email, ip)
        runtime.database.write(store_actions.record_failed_login, email.strip().lower(), ip)
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=401,
            error="That email and password do not match an account.",
        )
    runtime.login_throttle.succeeded(email)
    new_session = runtime.database.write(
        store_actions.start_staff_session,
        account.id,
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        max_age=timedelta(seconds=runtime.settings.session_max_age_seconds),
    )
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = new_session.token
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    runtime: RuntimeDep,
    login: LoginDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(login, csrf_token)
    token = request.session.get(SESSION_TOKEN_KEY)
    if isinstance(token, str):
        runtime.database.write(store_actions.end_staff_session, token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/console/account", response_class=HTMLResponse)
def account_page(request: Request, runtime: RuntimeDep, login: LoginDep) -> Response:
    with runtime.database.read() as session:
        stores = store_queries.memberships_of(session, login.account.id)
    return render(request, "account.html", {"login": login, "stores": stores, "csrf_token": login.csrf_token})


@router.post("/console/account/password")
def change_password(
    request: Request,
    runtime: RuntimeDep,
    login: LoginDep,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(login, csrf_token)
    with runtime.database.read() as session:
        stores = store_queries.memberships_of(session, login.account.id)
        verified = store_queries.verify_staff_credentials(session, login.account.email, current_password)
    context = {"login": login, "stores": stores, "csrf_token": login.csrf_token}
    if verified is None:
        return render(
            request,
            "account.html",
            {**context, "error": "Your current password is not right."},
            status_code=422,
        )
    try:
        new_hash = hash_password(check_password(new_password))
    except Invalid as error:
        return render(
            request,
            "account.html",
            {**context, "error": error.problems[0].reason.capitalize()},
            status_code=422,
        )
    actor = Actor(
        kind="staff", id=login.account.id, store_id=None, label=login.account.email, ip=client_ip(request)
    )
    runtime.database.write(store_actions.change_own_password, actor, new_hash)
    request.session.clear()
    return RedirectResponse("/login?changed=1", status_code=303)
