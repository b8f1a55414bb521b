"""Logging in and out of the console, changing and resetting passwords; rate limits and CSRF throughout.

Password checks run in the runtime's bounded hashing pool (``stores.passwords.PasswordHashing``), awaited
from ``async`` routes: a burst of logins never takes the threads other requests need. Every attempt is
reserved in the throttle before any password is verified (``stores.throttle``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import Invalid, RateLimited
from loyaldesk.runtime import Runtime
from loyaldesk.stores import (
    StaffAccount,
    TokenPurpose,
    check_password,
    needs_rehash,
    password_resets,
    wait_in_words,
)
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores import queries as store_queries
from loyaldesk.web.console.account_forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    refused,
)
from loyaldesk.web.console.forms import FormState, blank_form
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

LinkToken = Annotated[str, Path(min_length=1, max_length=300)]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a freshly logged-in user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def new_form_token(request: Request) -> str:
    """A CSRF token for a form shown before anyone is logged in (kept in the signed session cookie)."""
    token = secrets.token_urlsafe(32)
    request.session[LOGIN_CSRF_KEY] = token
    return token


def form_token_matches(request: Request, token: str) -> bool:
    expected = request.session.get(LOGIN_CSRF_KEY)
    return bool(expected) and secrets.compare_digest(str(expected), token)


def sentence(error: RateLimited) -> str:
    """The error's message as a sentence for a page."""
    return f"{error.message[:1].upper()}{error.message[1:]}."


def no_store(response: HTMLResponse) -> HTMLResponse:
    """Pages whose address holds a live token are never kept by a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def too_many(response: HTMLResponse, error: RateLimited) -> HTMLResponse:
    response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


def _login_page(
    request: Request, *, next_url: str, error: str | None = None, email: str = "", status_code: int = 200
) -> HTMLResponse:
    """The login form; a refusal is said above it, the same whichever of email and password was wrong."""
    form = blank_form(LoginForm, {"email": email})
    return render(
        request,
        "login.html",
        {"csrf_token": new_form_token(request), "next": next_url, "error": error, "form": form},
        status_code=status_code,
    )


async def _account_by_email(runtime: Runtime, email: str) -> StaffAccount | None:
    def read() -> StaffAccount | None:
        with runtime.database.read() as session:
            return store_queries.staff_account_by_email(session, email)

    return await anyio.to_thread.run_sync(read)


async def verified_account(runtime: Runtime, email: str, password: str) -> StaffAccount | None:
    """The live account whose email and password these are, else None. Takes as long either way (an
    unknown address is checked against a dummy hash) and runs in the bounded hashing pool."""
    account = await _account_by_email(runtime, email)
    matches = await runtime.password_hashing.verify(account.password_hash if account else None, password)
    if not matches or account is None or account.disabled_at is not None:
        return None
    return account


async def open_session(request: Request, runtime: Runtime, account: StaffAccount, password: str) -> None:
    """Log ``account`` in (its password was just verified): a new session, the old cookie dropped; the
    stored hash is renewed when it was made with older hashing parameters."""
    rehashed = None
    if needs_rehash(account.password_hash):
        rehashed = (account.password_hash, await runtime.password_hashing.hash(password))
    new_session = await runtime.database.write_async(
        store_actions.start_staff_session,
        account.id,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        max_age=timedelta(seconds=runtime.settings.session_max_age_seconds),
        rehashed_password=rehashed,
    )
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = new_session.token


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, runtime: RuntimeDep, next: Annotated[str | None, Query()] = None
) -> Response:
    if current_login(request, runtime) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/console",
) -> Response:
    next_url = _safe_next(next)
    if not form_token_matches(request, csrf_token):
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=403,
            error="The login form expired. Please try again.",
        )
    ip = client_ip(request)
    try:
        # Reserved before the password is checked: concurrent guesses cannot all slip under the limit.
        await anyio.to_thread.run_sync(runtime.account_throttle.reserve_login, email, ip)
    except RateLimited as error:
        message = f"Too many failed attempts. Try again in {wait_in_words(error.retry_after_seconds)}."
        return too_many(
            _login_page(request, next_url=next_url, email=email, status_code=429, error=message), error
        )
    try:
        account = await verified_account(runtime, email, password)
    except RateLimited as error:  # the hashing pool's queue is full
        return too_many(
            _login_page(request, next_url=next_url, email=email, status_code=429, error=sentence(error)),
            error,
        )
    if account is None:
        await runtime.database.write_async(store_actions.record_failed_login, email.strip().lower(), ip)
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            status_code=401,
            error="That email and password do not match an account.",
        )
    await anyio.to_thread.run_sync(runtime.account_throttle.login_succeeded, email)
    await open_session(request, runtime, account, password)
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
    return render(
        request,
        "account.html",
        {
            "login": login,
            "stores": stores,
            "csrf_token": login.csrf_token,
            "form": blank_form(ChangePasswordForm),
        },
    )


@router.post("/console/account/password")
async def change_password(
    request: Request,
    runtime: RuntimeDep,
    login: LoginDep,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(login, csrf_token)

    def memberships() -> list[store_queries.StoreAccess]:
        with runtime.database.read() as session:
            return store_queries.memberships_of(session, login.account.id)

    context = {
        "login": login,
        "stores": await anyio.to_thread.run_sync(memberships),
        "csrf_token": login.csrf_token,
    }

    def page(error: str, status_code: int, form: FormState | None = None) -> HTMLResponse:
        form = form or blank_form(ChangePasswordForm)
        return render(
            request, "account.html", {**context, "error": error, "form": form}, status_code=status_code
        )

    try:
        # Each attempt verifies the current password: a stolen session must not become a guessing oracle.
        await anyio.to_thread.run_sync(runtime.account_throttle.reserve_password_change, login.account.id)
        verified = await verified_account(runtime, login.account.email, current_password)
    except RateLimited as error:
        return too_many(page(sentence(error), 429), error)
    if verified is None:
        return page(
            "",
            422,
            refused(ChangePasswordForm, {}, "current_password", "Your current password is not right."),
        )
    try:
        new_hash = await runtime.password_hashing.hash(check_password(new_password))
    except Invalid as error:
        return page("", 422, refused(ChangePasswordForm, {}, "new_password", error.problems[0].reason))
    except RateLimited as error:
        return too_many(page(sentence(error), 429), error)
    actor = Actor(
        kind="staff", id=login.account.id, store_id=None, label=login.account.email, ip=client_ip(request)
    )
    await runtime.database.write_async(store_actions.change_own_password, actor, new_hash)
    request.session.clear()
    return RedirectResponse("/login?changed=1", status_code=303)


# -- forgotten passwords ------------------------------------------------------------------------------


def _forgot_page(
    request: Request,
    runtime: Runtime,
    *,
    email: str = "",
    sent_to: str | None = None,
    error: str | None = None,
    form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "password_forgot.html",
        {
            "csrf_token": new_form_token(request),
            "form": form or blank_form(ForgotPasswordForm, {"email": email}),
            "sent_to": sent_to,
            "error": error,
            "mail_ready": runtime.account_mail.can_send,
            "valid_minutes": runtime.settings.password_reset_valid_minutes,
        },
        status_code=status_code,
    )


@router.get("/login/forgot", response_class=HTMLResponse)
def forgot_password_form(request: Request, runtime: RuntimeDep) -> Response:
    try:
        runtime.account_throttle.reserve_link_request(client_ip(request))
    except RateLimited as error:
        return too_many(_forgot_page(request, runtime, error=sentence(error), status_code=429), error)
    return _forgot_page(request, runtime)


@router.post("/login/forgot", response_class=HTMLResponse)
def forgot_password(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Mail a reset link if the address has an account; the answer is the same either way."""
    if not form_token_matches(request, csrf_token):
        return _forgot_page(
            request, runtime, email=email, error="The form expired. Please try again.", status_code=403
        )
    address = email.strip().lower()
    if not address or "@" not in address:
        form = refused(ForgotPasswordForm, {"email": email}, "email", "Enter the address you log in with.")
        return _forgot_page(request, runtime, form=form, status_code=422)
    try:
        runtime.account_throttle.reserve_reset_request(address, client_ip(request))
    except RateLimited as error:
        return too_many(
            _forgot_page(request, runtime, email=email, error=sentence(error), status_code=429),
            error,
        )
    runtime.database.write(
        password_resets.request_password_reset,
        address,
        ip=client_ip(request),
        tokens=runtime.account_tokens,
        mail=runtime.account_mail,
        valid_for=timedelta(minutes=runtime.settings.password_reset_valid_minutes),
    )
    return _forgot_page(request, runtime, sent_to=address)


def _reset_page(
    request: Request,
    token: str,
    *,
    email: str | None,
    error: str | None = None,
    form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, object] = {"csrf_token": new_form_token(request), "token": token, "email": email}
    context |= {"error": error, "form": form or blank_form(ResetPasswordForm)}
    return no_store(render(request, "password_reset.html", context, status_code=status_code))


def _reset_link_gone(request: Request) -> HTMLResponse:
    return no_store(render(request, "password_reset.html", {"gone": True}, status_code=410))


@router.get("/login/reset/{token}", response_class=HTMLResponse)
def reset_password_form(request: Request, runtime: RuntimeDep, token: LinkToken) -> Response:
    try:
        runtime.account_throttle.reserve_link_request(client_ip(request))
    except RateLimited as error:
        return too_many(
            _reset_page(request, token, email=None, error=sentence(error), status_code=429), error
        )
    digest = runtime.account_tokens.digest_of(TokenPurpose.PASSWORD_RESET, token)
    view = None
    if digest is not None:
        with runtime.database.read() as session:
            view = password_resets.usable_reset_link(session, digest, runtime.clock.now())
    if view is None:
        return _reset_link_gone(request)
    return _reset_page(request, token, email=view.email)


@router.post("/login/reset/{token}", response_class=HTMLResponse)
async def reset_password(
    request: Request,
    runtime: RuntimeDep,
    token: LinkToken,
    new_password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Set a new password with a reset link: once, before it expires; every session of the account ends."""
    ip = client_ip(request)
    try:
        await anyio.to_thread.run_sync(runtime.account_throttle.reserve_link_request, ip)
    except RateLimited as error:
        return too_many(
            _reset_page(request, token, email=None, error=sentence(error), status_code=429), error
        )
    digest = runtime.account_tokens.digest_of(TokenPurpose.PASSWORD_RESET, token)

    def usable() -> password_resets.ResetLinkView | None:
        with runtime.database.read() as session:
            return password_resets.usable_reset_link(session, digest or "", runtime.clock.now())

    view = await anyio.to_thread.run_sync(usable) if digest else None
    if view is None or digest is None:
        return _reset_link_gone(request)
    if not form_token_matches(request, csrf_token):
        return _reset_page(
            request, token, email=view.email, error="The form expired. Please try again.", status_code=403
        )
    try:
        new_hash = await runtime.password_hashing.hash(check_password(new_password))
    except Invalid as error:
        form = refused(ResetPasswordForm, {}, "new_password", error.problems[0].reason)
        return _reset_page(request, token, email=view.email, form=form, status_code=422)
    except RateLimited as error:
        return too_many(
            _reset_page(request, token, email=view.email, error=sentence(error), status_code=429), error
        )
    try:
        email = await runtime.database.write_async(password_resets.reset_password, digest, new_hash, ip=ip)
    except password_resets.ResetLinkGone:
        return _reset_link_gone(request)
    # The owner of the address proved who they are: the account gets its login attempts back.
    await anyio.to_thread.run_sync(runtime.account_throttle.login_succeeded, email)
    request.session.clear()
    return RedirectResponse("/login?reset=1", status_code=303)
