"""The desk's settings page (admins): routing, the widget, CSAT, teams and each agent's capacity and
teams, the mailbox, and the recent mail that was dropped or kept without a part. Every form posts to its
own route and comes back here with a notice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyaldesk.kernel.errors import Conflict, FieldProblem, Invalid
from loyaldesk.stores import Permission
from loyaldesk.support import CHANNELS, queries
from loyaldesk.support.actions import desk_settings, dropped_mail, routing, teams
from loyaldesk.web.console.desk_forms import (
    DESK_INPUTS,
    GoodwillForm,
    MailboxForm,
    RoutingForm,
    ShopperPolicyForm,
    TeamForm,
    goodwill_values,
    mailbox_values,
    routing_values,
    shopper_policy_values,
)
from loyaldesk.web.console.forms import FormState, blank_form, read_form
from loyaldesk.web.console.rendering import render
from loyaldesk.web.console.session import Console, ConsoleDep
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


def _back(console: Console, notice: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(
        f"/console/{console.store.slug}/inbox-settings/desk?notice={quote(notice)}", status_code=303
    )


@router.get("/console/{store_slug}/inbox-settings/desk", response_class=HTMLResponse)
def desk_page(
    request: Request, runtime: RuntimeDep, console: ConsoleDep, notice: str | None = None
) -> Response:
    console.require(Permission.MANAGE_SUPPORT)
    return _page(request, runtime, console, notice=notice)


def _page(
    request: Request,
    runtime: Any,
    console: Console,
    *,
    notice: str | None = None,
    refused: FormState | None = None,
) -> Response:
    """The page; ``refused`` (a form that was not saved) is shown with its problems and typed values in
    place of the current settings."""
    with runtime.database.read() as session:
        settings = queries.settings_of(session, console.store.id)
        forms = {
            "routing_form": blank_form(RoutingForm, routing_values(settings)),
            "mailbox_form": blank_form(MailboxForm, mailbox_values(settings)),
            "goodwill_form": blank_form(GoodwillForm, goodwill_values(settings)),
            "team_form": blank_form(TeamForm),
            "policy_form": blank_form(ShopperPolicyForm, shopper_policy_values(settings)),
        }
        if refused is not None:
            forms[FORM_NAMES[refused.model]] = refused
            refused.refuse_for_scripts(request)
        context: dict[str, Any] = {
            "console": console,
            "section": "inbox",
            "settings": settings,
            "roster": queries.desk_roster(session, console.store.id),
            "teams": queries.teams_of(session, console.store.id),
            "channels": CHANNELS,
            "mail_domain": runtime.settings.mail_domain,
            "dropped_mail": dropped_mail.recent_dropped_emails(session, console.store.id),
            "dropped_mail_kept": (dropped_mail.KEEP_PER_STORE, dropped_mail.KEEP_DAYS),
            "notice": (notice or "")[:200],
            **forms,
        }
    return render(request, "inbox/desk.html", context, status_code=refused.status if refused else 200)


FORM_NAMES: dict[type, str] = {
    RoutingForm: "routing_form",
    MailboxForm: "mailbox_form",
    GoodwillForm: "goodwill_form",
    TeamForm: "team_form",
    ShopperPolicyForm: "policy_form",
}


async def _save(
    request: Request, runtime: Any, console: Console, state: FormState, changes: dict[str, Any] | None
) -> FormState:
    """Write ``changes`` (None: the form was refused already); the state with the domain's problems."""
    if changes is not None:
        try:
            await runtime.database.write_async(
                desk_settings.update_settings, console.actor, console.store.id, changes
            )
        except Invalid as error:
            state.fail(error, renamed=DESK_INPUTS)
    return state


@router.post("/console/{store_slug}/inbox-settings/desk/routing")
async def save_routing(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Routing, baseline priorities, the widget, CSAT and the support address; a refused form comes
    back (422) with each problem beside its input."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    routing_form, state = read_form(RoutingForm, await request.form())
    await _save(request, runtime, console, state, routing_form.changes() if routing_form else None)
    if state.invalid:
        return _page(request, runtime, console, refused=state)
    return _back(console, "Desk settings saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/policies")
async def save_shopper_policies(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The return window and the delivery options the assistant quotes to shoppers."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    policy_form, state = read_form(ShopperPolicyForm, await request.form())
    await _save(request, runtime, console, state, policy_form.changes() if policy_form else None)
    if state.invalid:
        return _page(request, runtime, console, refused=state)
    return _back(console, "Returns and delivery saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/agents/{staff_id}")
async def save_agent(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    staff_id: int,
    capacity: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """One agent's capacity (blank: the store's default) and teams (``team`` checkboxes)."""
    console.check_csrf(csrf_token)
    form = await request.form()
    try:
        team_ids = [int(str(value)) for value in form.getlist("team")]
        own_capacity = int(capacity) if capacity.strip() else None
    except ValueError as error:
        raise Invalid(
            "not a number", [FieldProblem("capacity", "a whole number from 0 to 100, or blank")]
        ) from error

    def change(uow: Any) -> None:
        routing.set_capacity(uow, console.actor, console.store.id, staff_id, own_capacity)
        teams.set_agent_teams(uow, console.actor, console.store.id, staff_id, team_ids)

    await runtime.database.write_async(change)
    return _back(console, "Agent saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/teams")
async def save_team(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """A new team, or a new name for one (``team_id``); a refused name comes back beside its input
    (409 when another team has it)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    team_form, state = read_form(TeamForm, await request.form())
    if team_form is not None:
        try:
            team = await runtime.database.write_async(
                teams.save_team,
                console.actor,
                console.store.id,
                name=team_form.name,
                team_id=team_form.team_id,
            )
            return _back(console, f"Team {team.name} saved.")
        except Invalid as error:
            state.fail(error)
        except Conflict as error:
            state.fail(error, field="name")
    return _page(request, runtime, console, refused=state)


@router.post("/console/{store_slug}/inbox-settings/desk/teams/{team_id}/delete")
async def delete_team(
    runtime: RuntimeDep, console: ConsoleDep, team_id: int, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    console.check_csrf(csrf_token)
    await runtime.database.write_async(teams.delete_team, console.actor, console.store.id, team_id)
    return _back(console, "Team deleted.")


@router.post("/console/{store_slug}/inbox-settings/desk/goodwill")
async def save_goodwill(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Monthly goodwill budgets per role (empty: no limit) and automatic service recovery."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    goodwill_form, state = read_form(GoodwillForm, await request.form())
    changes = None
    if goodwill_form is not None:
        changes = {
            "goodwill_budgets": goodwill_form.budgets(),
            "recovery_enabled": goodwill_form.recovery_enabled,
            "recovery_points": goodwill_form.recovery_points,
        }
    await _save(request, runtime, console, state, changes)
    if state.invalid:
        return _page(request, runtime, console, refused=state)
    return _back(console, "Goodwill settings saved.")


@router.post("/console/{store_slug}/inbox-settings/desk/mailbox")
async def save_mailbox(
    request: Request,
    runtime: RuntimeDep,
    console: ConsoleDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """The existing mailbox to poll over IMAP (an empty server stops polling)."""
    console.check_csrf(csrf_token)
    console.require(Permission.MANAGE_SUPPORT)
    mailbox, state = read_form(MailboxForm, await request.form())
    changes: dict[str, object] | None = None
    if mailbox is not None:
        host = mailbox.imap_host.strip() or None
        if host and (refusal := runtime.outbound.refusal_of_literal(host)) is not None:
            state.fail(
                Invalid("the mailbox cannot be reached from here", [FieldProblem("imap_host", refusal)])
            )
        elif host and not mailbox.imap_username.strip():
            state.fail(
                Invalid(
                    "the mailbox needs a user", [FieldProblem("imap_username", "is required with a server")]
                )
            )
        else:
            changes = {
                "imap_host": host,
                "imap_port": mailbox.imap_port,
                "imap_ssl": mailbox.imap_ssl,
                "imap_username": mailbox.imap_username.strip() or None,
                "imap_folder": mailbox.imap_folder.strip() or "INBOX",
            }
            if mailbox.imap_password:
                changes["imap_password"] = mailbox.imap_password
    await _save(request, runtime, console, state, changes)
    if state.invalid:
        return _page(request, runtime, console, refused=state)
    return _back(
        console, "Mailbox saved." if changes and changes["imap_host"] else "Mailbox reading switched off."
    )
