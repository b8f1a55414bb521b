"""The invitation link's page: ``/invitations/{token}``, where an invited person accepts a role.

Anyone with the link may open it (rate limited per client address). What accepting asks for:
* logged in as the invited address: one click;
* otherwise, a password: the one of the account the address already has, or a new one that creates the
  account. The page looks the same either way; a wrong password for an existing account counts as a
  failed login of that account (the login throttle, reserved first, and the audit log).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.kernel.errors import Invalid, RateLimited
from loyaldesk.runtime import Runtime
from loyaldesk.stores import (
    ConsoleSession,
    StaffAccount,
    TokenPurpose,
    check_password,
    invitations,
    staff_account_by_email,
    wait_in_words,
)
from loyaldesk.stores import actions as store_actions
from loyaldesk.web.console.account_forms import AcceptInvitationForm, refused
from loyaldesk.web.console.auth import (
    LinkToken,
    form_token_matches,
    new_form_token,
    no_store,
    open_session,
    sentence,
    too_many,
    verified_account,
)
from loyaldesk.web.console.forms import FormState, blank_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import current_login
from loyaldesk.web.deps import RuntimeDep, client_ip

router = APIRouter(include_in_schema=False)


def _usable(runtime: Runtime, token: str) -> tuple[str, invitations.InvitationView] | None:
    digest = runtime.account_tokens.digest_of(TokenPurpose.INVITATION, token)
    if digest is None:
        return None
    with runtime.database.read() as session:
        view = invitations.usable_invitation(session, digest, runtime.clock.now())
    return (digest, view) if view is not None else None


def _page(
    request: Request,
    token: str,
    view: invitations.InvitationView | None,
    login: ConsoleSession | None,
    *,
    error: str | None = None,
    name: str | None = None,
    form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The invitation; a refused password comes back beside its input (never typed back), the name kept."""
    context: dict[str, Any] = {"token": token, "invitation": view, "login": login, "error": error}
    if view is not None:
        typed = {"name": view.suggested_name if name is None else name}
        context["form"] = form or blank_form(AcceptInvitationForm, typed)
        context["signed_in_as_invitee"] = login is not None and login.account.email == view.email
        context["csrf_token"] = login.csrf_token if login is not None else new_form_token(request)
    return no_store(render(request, "invitation.html", context, status_code=status_code))


def _gone(request: Request) -> HTMLResponse:
    return no_store(render(request, "invitation.html", {"gone": True}, status_code=410))


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, runtime: RuntimeDep, token: LinkToken) -> Response:
    try:
        runtime.account_throttle.reserve_link_request(client_ip(request))
    except RateLimited as error:
        return too_many(_page(request, token, None, None, error=sentence(error), status_code=429), error)
    found = _usable(runtime, token)
    if found is None:
        return _gone(request)
    return _page(request, token, found[1], current_login(request, runtime))


@router.post("/invitations/{token}", response_class=HTMLResponse)
async def accept_invitation(
    request: Request,
    runtime: RuntimeDep,
    token: LinkToken,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Accept: as the logged-in invitee, with the existing account's password, or with a new password."""
    ip = client_ip(request)
    try:
        await anyio.to_thread.run_sync(runtime.account_throttle.reserve_link_request, ip)
    except RateLimited as error:
        return too_many(_page(request, token, None, None, error=sentence(error), status_code=429), error)
    found = await anyio.to_thread.run_sync(_usable, runtime, token)
    if found is None:
        return _gone(request)
    digest, view = found
    login = await anyio.to_thread.run_sync(current_login, request, runtime)

    def page(error: str, status_code: int) -> HTMLResponse:
        return _page(request, token, view, login, error=error, name=name, status_code=status_code)

    def wrong_password(reason: str, status_code: int) -> HTMLResponse:
        form = refused(AcceptInvitationForm, {"name": name}, "password", reason)
        return _page(request, token, view, login, form=form, status_code=status_code)

    if (
        login is not None
        and login.account.email == view.email
        and hmac.compare_digest(csrf_token, login.csrf_token)
    ):
        try:
            accepted = await runtime.database.write_async(
                invitations.accept_invitation, digest, account_id=login.account.id, ip=ip
            )
        except invitations.InvitationGone:
            return _gone(request)
        return RedirectResponse(f"/console/{accepted.store_slug}", status_code=303)
    if login is not None or not form_token_matches(request, csrf_token):
        return page("The form expired. Please try again.", 403)
    try:
        check_password(password)
    except Invalid as error:
        return wrong_password(error.problems[0].reason, 422)
    try:
        # This may verify the password of an existing account: it is a login attempt of that account.
        await anyio.to_thread.run_sync(runtime.account_throttle.reserve_login, view.email, ip)
    except RateLimited as error:
        return too_many(
            page(f"Too many attempts. Try again in {wait_in_words(error.retry_after_seconds)}.", 429), error
        )
    try:
        account = await verified_account(runtime, view.email, password)
        if account is not None:
            accepted = await runtime.database.write_async(
                invitations.accept_invitation, digest, account_id=account.id, ip=ip
            )
        else:
            exists = await anyio.to_thread.run_sync(_exists, runtime, view.email)
            if exists:
                await runtime.database.write_async(store_actions.record_failed_login, view.email, ip)
                return wrong_password(
                    f"{view.email} has a loyaldesk account already, and that is not its password. Enter "
                    "the password you log in with (forgot it? reset it from the login page).",
                    401,
                )
            new_hash = await runtime.password_hashing.hash(password)
            accepted = await runtime.database.write_async(
                invitations.accept_invitation,
                digest,
                new_account=invitations.NewAccount(name=name or view.suggested_name, password_hash=new_hash),
                ip=ip,
            )
            account = await anyio.to_thread.run_sync(_account, runtime, accepted.staff_id)
    except invitations.InvitationGone:
        return _gone(request)
    except invitations.AccountExists as error:
        return page(error.message[:1].upper() + error.message[1:] + ".", 409)
    except RateLimited as error:
        return too_many(page(sentence(error), 429), error)
    if account is None:  # pragma: no cover - disabled between the two steps
        return page("The account cannot log in.", 403)
    await anyio.to_thread.run_sync(runtime.account_throttle.login_succeeded, view.email)
    await open_session(request, runtime, account, password)
    return RedirectResponse(f"/console/{accepted.store_slug}", status_code=303)


def _exists(runtime: Runtime, email: str) -> bool:
    with runtime.database.read() as session:
        return staff_account_by_email(session, email) is not None


def _account(runtime: Runtime, staff_id: int) -> StaffAccount | None:
    with runtime.database.read() as session:
        return session.get(StaffAccount, staff_id)
