"""Console settings: staff and roles, API keys, integrations (Shopify, shopper identity), the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field
from pydantic.json_schema import JsonDict

from loyaldesk.kernel.errors import Conflict, Invalid, PermissionDenied
from loyaldesk.kernel.pagination import decode_cursor
from loyaldesk.stores import API_SCOPES, DEFAULT_API_SCOPES, ROLE_DESCRIPTIONS, Permission, Role, invitations
from loyaldesk.stores import actions as store_actions
from loyaldesk.stores import queries as store_queries
from loyaldesk.web.console.account_forms import InviteForm, RoleForm, failed
from loyaldesk.web.console.forms import ConsoleForm, FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)

StaffId = Annotated[int, Path(ge=1, le=2**62)]
API_SCOPE_CHOICES: JsonDict = {scope: f"{scope}: {description}" for scope, description in API_SCOPES.items()}


def _message(error: Exception) -> str:
    if isinstance(error, Invalid) and error.problems:
        return "; ".join(f"{p.field.replace('_', ' ')}: {p.reason}" for p in error.problems)
    return str(error)


@router.get("/console/{store_slug}/settings")
def settings_home(console: ConsoleDep) -> Response:
    base = f"/console/{console.store.slug}/settings"
    for permission, path in (
        (Permission.MANAGE_STAFF, "staff"),
        (Permission.MANAGE_API_KEYS, "api-keys"),
        (Permission.MANAGE_STORE_SETTINGS, "integrations"),
        (Permission.VIEW_AUDIT_LOG, "audit"),
    ):
        if console.can(permission):
            return RedirectResponse(f"{base}/{path}", status_code=303)
    raise PermissionDenied("your role has no settings to manage")


def _staff_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    error: str | None = None,
    flash: str | None = None,
    new_invitation: invitations.NewInvitation | None = None,
    form: FormState | None = None,
    role_form: tuple[int, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    """The staff page; a refused invitation or role change comes back beside its input, as typed."""
    console.require(Permission.MANAGE_STAFF)
    with runtime.database.read() as session:
        staff = store_queries.list_staff(session, console.store.id)
        pending = invitations.pending_invitations(session, console.store.id, runtime.clock.now())
    role_forms = {
        member.staff_id: blank_form(RoleForm, {"role": member.role}, prefix=f"role-{member.staff_id}-")
        for member in staff
    }
    if role_form is not None and role_form[0] in role_forms:
        role_forms[role_form[0]] = role_form[1]
    elif role_form is not None:  # no longer on the staff list: said above it
        error = "; ".join(problem.reason for problem in role_form[1].problems)
    response = render(
        request,
        "settings/staff.html",
        {
            "console": console,
            "section": "settings",
            "tab": "staff",
            "staff": staff,
            "invitations": pending,
            "new_invitation": new_invitation,
            "mail_ready": runtime.account_mail.can_send,
            "valid_days": runtime.settings.invitation_valid_days,
            "roles": list(Role),
            "role_descriptions": ROLE_DESCRIPTIONS,
            "error": error,
            "flash": flash,
            "form": form or blank_form(InviteForm),
            "role_forms": role_forms,
        },
        status_code=status_code,
    )
    if new_invitation is not None:
        response.headers["Cache-Control"] = "no-store"  # the link is shown once
    return response


@router.get("/console/{store_slug}/settings/staff", response_class=HTMLResponse)
def staff_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    flash = {
        "invited": "Invitation sent. It works once, for the days shown below.",
        "role": "Role changed.",
        "removed": "Removed.",
        "cancelled": "Invitation cancelled: its link no longer works.",
    }.get(done or "")
    return _staff_page(request, console, runtime, flash=flash)


def _invited(
    request: Request, console: Console, runtime: Any, invitation: invitations.NewInvitation
) -> Response:
    """The answer to an invitation: the same whether or not the address has an account elsewhere."""
    if invitation.link is None:
        return RedirectResponse(f"/console/{console.store.slug}/settings/staff?done=invited", status_code=303)
    # No mail on this install: the link is shown once, in the response itself (never in a URL).
    return _staff_page(request, console, runtime, new_invitation=invitation, status_code=201)


@router.post("/console/{store_slug}/settings/staff")
def invite_staff(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Invite someone: a link by mail (or shown here when the install cannot send mail)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_STAFF)
    try:
        invitation = runtime.database.write(
            invitations.invite_staff_member,
            console.actor,
            console.store.id,
            email=email,
            name=name,
            role=role,
            tokens=runtime.account_tokens,
            mail=runtime.account_mail,
            valid_for=timedelta(days=runtime.settings.invitation_valid_days),
        )
    except (Invalid, Conflict) as error:
        state = failed(InviteForm, {"name": name, "email": email, "role": role}, error, "email")
        return _staff_page(request, console, runtime, form=state, status_code=422)
    return _invited(request, console, runtime, invitation)


@router.post("/console/{store_slug}/settings/staff/invitations/{invitation_id}/resend")
def resend_invitation(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    invitation_id: StaffId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new link for a pending or expired invitation; the old link stops working."""
    console.check_csrf(csrf_token)
    try:
        invitation = runtime.database.write(
            invitations.resend_invitation,
            console.actor,
            console.store.id,
            invitation_id,
            tokens=runtime.account_tokens,
            mail=runtime.account_mail,
            valid_for=timedelta(days=runtime.settings.invitation_valid_days),
        )
    except Conflict as error:
        return _staff_page(request, console, runtime, error=_message(error), status_code=409)
    return _invited(request, console, runtime, invitation)


@router.post("/console/{store_slug}/settings/staff/invitations/{invitation_id}/cancel")
def cancel_invitation(
    console: ConsoleDep,
    runtime: RuntimeDep,
    invitation_id: StaffId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(invitations.revoke_invitation, console.actor, console.store.id, invitation_id)
    return RedirectResponse(f"/console/{console.store.slug}/settings/staff?done=cancelled", status_code=303)


@router.post("/console/{store_slug}/settings/staff/{staff_id}/role")
def change_role(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    staff_id: StaffId,
    role: Annotated[str, Form(max_length=16)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    try:
        runtime.database.write(
            store_actions.change_staff_role, console.actor, console.store.id, staff_id, role
        )
    except (Invalid, Conflict) as error:
        state = failed(RoleForm, {"role": role}, error, "role", prefix=f"role-{staff_id}-")
        return _staff_page(request, console, runtime, role_form=(staff_id, state), status_code=422)
    return RedirectResponse(f"/console/{console.store.slug}/settings/staff?done=role", status_code=303)


@router.post("/console/{store_slug}/settings/staff/{staff_id}/remove")
def remove_staff(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    staff_id: StaffId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    try:
        runtime.database.write(store_actions.remove_staff_member, console.actor, console.store.id, staff_id)
    except Conflict as error:
        return _staff_page(request, console, runtime, error=_message(error), status_code=409)
    return RedirectResponse(f"/console/{console.store.slug}/settings/staff?done=removed", status_code=303)


class ApiKeyForm(ConsoleForm):
    """A new API key: its name and what it may do."""

    name: str = Field(
        title="Name",
        max_length=100,
        json_schema_extra={"attrs": {"placeholder": "e.g. shop backend"}},
    )
    scopes: list[str] = Field(
        default_factory=list, title="Scopes", json_schema_extra={"choices": API_SCOPE_CHOICES}
    )


def _keys_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    new_token: str | None = None,
    flash: str | None = None,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    console.require(Permission.MANAGE_API_KEYS)
    with runtime.database.read() as session:
        keys = store_queries.list_api_keys(session, console.store.id)
    return render(
        request,
        "settings/api_keys.html",
        {
            "console": console,
            "section": "settings",
            "tab": "api-keys",
            "keys": keys,
            "new_token": new_token,
            "flash": flash,
            "form": form or blank_form(ApiKeyForm, {"scopes": list(DEFAULT_API_SCOPES)}),
        },
        status_code=status_code,
    )


@router.get("/console/{store_slug}/settings/api-keys", response_class=HTMLResponse)
def api_keys_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return _keys_page(request, console, runtime, flash="Key revoked." if done == "revoked" else None)


@router.post("/console/{store_slug}/settings/api-keys", response_class=HTMLResponse)
async def create_key(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Create a key; its token is shown once, in this answer. A refused form comes back (422) with each
    problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_API_KEYS)
    key, state = read_form(ApiKeyForm, await request.form())
    if key is not None:
        try:
            created = await runtime.database.write_async(
                store_actions.create_api_key,
                console.actor,
                console.store.id,
                name=key.name,
                scopes=key.scopes,
            )
        except Invalid as error:
            state.fail(error)
        else:
            # Shown once, in the response to the POST itself: never stored, never put in a URL.
            response = _keys_page(request, console, runtime, new_token=created.token, status_code=201)
            response.headers["Cache-Control"] = "no-store"
            return response
    state.refuse_for_scripts(request)
    return _keys_page(request, console, runtime, form=state, status_code=state.status)


@router.post("/console/{store_slug}/settings/api-keys/{key_id}/revoke")
def revoke_key(
    console: ConsoleDep,
    runtime: RuntimeDep,
    key_id: Annotated[int, Path(ge=1, le=2**62)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(store_actions.revoke_api_key, console.actor, console.store.id, key_id)
    return RedirectResponse(f"/console/{console.store.slug}/settings/api-keys?done=revoked", status_code=303)


class ShopifySecretForm(ConsoleForm):
    """The secret that signs the store's Shopify-format webhooks (never shown again)."""

    secret: str = Field(
        title="Webhook signing secret",
        max_length=255,
        json_schema_extra={
            "widget": "password",
            "attrs": {"autocomplete": "off", "minlength": 8, "required": True},
        },
    )


@router.get("/console/{store_slug}/settings/integrations", response_class=HTMLResponse)
def integrations_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    flash = {"shopify": "Shopify secret saved.", "identity": "Identity secret rotated."}.get(done or "")
    return _integrations_page(request, console, runtime, flash=flash)


def _integrations_page(
    request: Request,
    console: Console,
    runtime: Any,
    *,
    flash: str | None = None,
    form: FormState | None = None,
) -> Response:
    console.require(Permission.MANAGE_STORE_SETTINGS)
    webhook_url = f"{runtime.settings.public_base_url.rstrip('/')}/webhooks/shopify/{console.store.slug}"
    if form is not None:
        form.refuse_for_scripts(request)
    return render(
        request,
        "settings/integrations.html",
        {
            "console": console,
            "section": "settings",
            "tab": "integrations",
            "webhook_url": webhook_url,
            "flash": flash,
            "form": form or blank_form(ShopifySecretForm),
        },
        status_code=form.status if form is not None else 200,
    )


@router.post("/console/{store_slug}/settings/integrations/shopify")
async def set_shopify_secret(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Save the secret; a refused one comes back (422) beside its input, never typed back."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_STORE_SETTINGS)
    form, state = read_form(ShopifySecretForm, await request.form())
    if form is not None:
        try:
            await runtime.database.write_async(
                store_actions.set_shopify_webhook_secret, console.actor, console.store.id, form.secret
            )
        except Invalid as error:
            state.fail(error, renamed={"shopify_webhook_secret": "secret"})
        else:
            return RedirectResponse(
                f"/console/{console.store.slug}/settings/integrations?done=shopify", status_code=303
            )
    return _integrations_page(request, console, runtime, form=state)


@router.post("/console/{store_slug}/settings/integrations/identity-secret")
def rotate_identity(
    console: ConsoleDep, runtime: RuntimeDep, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    console.check_csrf(csrf_token)
    runtime.database.write(store_actions.rotate_identity_secret, console.actor, console.store.id)
    return RedirectResponse(
        f"/console/{console.store.slug}/settings/integrations?done=identity", status_code=303
    )


@router.get("/console/{store_slug}/settings/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    console: ConsoleDep,
    runtime: RuntimeDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    console.require(Permission.VIEW_AUDIT_LOG)
    with runtime.database.read() as session:
        entries, next_cursor = store_queries.audit_log(
            session, console.store.id, before_id=decode_cursor(cursor)
        )
    return render(
        request,
        "settings/audit.html",
        {
            "console": console,
            "section": "settings",
            "tab": "audit",
            "entries": entries,
            "next_cursor": next_cursor,
        },
    )
